// Package migrations holds the portal's goose SQL migrations, embedded in the binary.
package migrations

import "embed"

// FS is the set of migration files, applied in order by store.Migrate.
//
//go:embed *.sql
var FS embed.FS
