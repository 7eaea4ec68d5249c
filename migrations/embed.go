// Package migrations holds the portal's goose SQL migrations, embedded in the
// binary: SQLite's in this folder, PostgreSQL's in postgres/. Every migration
// has its twin there under the same file name (same version), so both databases
// go through the same versions; store.TestMigrationsHaveTwins checks it.
package migrations

import (
	"embed"
	"io/fs"
)

// FS is the set of SQLite migration files, applied in order by store.Migrate.
//
//go:embed *.sql
var FS embed.FS

//go:embed postgres/*.sql
var postgresFiles embed.FS

// Postgres is the set of PostgreSQL migration files (the postgres/ folder).
var Postgres = mustSub(postgresFiles, "postgres")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
