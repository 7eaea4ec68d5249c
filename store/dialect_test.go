package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"prequal/migrations"
)

// Every SQLite migration has its PostgreSQL twin under the same name, and no
// twin is left without its original: both databases go through the same versions.
func TestMigrationsHaveTwins(t *testing.T) {
	list := func(f fs.FS) []string {
		names, err := fs.Glob(f, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	sqlite, postgres := list(migrations.FS), list(migrations.Postgres)
	if len(sqlite) == 0 {
		t.Fatal("no SQLite migrations found")
	}
	for _, name := range sqlite {
		if !slices.Contains(postgres, name) {
			t.Errorf("migrations/%s has no PostgreSQL twin: add migrations/postgres/%s (see store/dialect.go)", name, name)
		}
	}
	for _, name := range postgres {
		if !slices.Contains(sqlite, name) {
			t.Errorf("migrations/postgres/%s has no SQLite original migrations/%s", name, name)
		}
	}
}

// The two schemas have the same tables with the same columns, whatever the
// migrations did to get there. It compares them in the PostgreSQL pass (with a
// fresh SQLite file beside the test's schema); the SQLite pass checks the SQLite
// schema's own listing.
func TestSchemasHaveTheSameTablesAndColumns(t *testing.T) {
	s, where := openTestStore(t)
	lite := s
	if s.d.postgres {
		lite = openAgainSQLite(t)
	}
	want := sqliteColumns(t, lite)
	if len(want["applications"]) < 40 || !slices.Contains(want["api_keys"], "key_hash") {
		t.Fatalf("SQLite schema listing looks wrong: %v", want)
	}
	if !s.d.postgres {
		return
	}
	got := postgresColumns(t, where)
	for table, cols := range want {
		if !slices.Equal(got[table], cols) {
			t.Errorf("table %s: SQLite columns %v, PostgreSQL %v", table, cols, got[table])
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("table %s exists only on PostgreSQL", table)
		}
	}
}

// openAgainSQLite opens a migrated SQLite store in a temp dir.
func openAgainSQLite(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "portal.db"), testDataKey())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// sqliteColumns lists each table's columns, sorted (goose's own table left out).
func sqliteColumns(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	rows, err := s.r.Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	return collectColumns(t, rows)
}

func postgresColumns(t *testing.T, url string) map[string][]string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	rows, err := db.Query(`SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	return collectColumns(t, rows)
}

func collectColumns(t *testing.T, rows interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}) map[string][]string {
	t.Helper()
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], strings.ToLower(col))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, cols := range out {
		slices.Sort(cols)
	}
	return out
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`: `SELECT 1`,
		`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`:                       `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`,
		`SELECT '?', "a?b", x FROM t WHERE y = ? -- what?` + "\n AND z = ?": `SELECT '?', "a?b", x FROM t WHERE y = $1 -- what?` + "\n AND z = $2",
		`SELECT 'it''s ?' /* ? */ , ? `:                                     `SELECT 'it''s ?' /* ? */ , $1 `,
		`lower(x) LIKE ? ESCAPE '\' OR y = ?`:                               `lower(x) LIKE $1 ESCAPE '\' OR y = $2`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}
