package store

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"prequal/lending"
)

// Every store test runs on both databases: the whole suite once on SQLite,
// then once more on PostgreSQL when PORTAL_TEST_DATABASE_URL names a database
// the tests may create schemas in (.ci/run starts a server and sets it). Each
// PostgreSQL test gets a schema of its own, dropped when it ends, so the tests
// of that half run in parallel.

// testDialect is the database the current pass of the suite runs on.
var testDialect = sqliteDialect

// pgTestURL is PORTAL_TEST_DATABASE_URL; pgAdmin is a pool on it that creates
// and drops the tests' schemas.
var (
	pgTestURL string
	pgAdmin   *sql.DB
)

// pgTestParallel is how many PostgreSQL tests run at once: they wait on the
// server, not on this machine's two cores.
const pgTestParallel = 8

func TestMain(m *testing.M) {
	flag.Parse()
	pgTestURL = os.Getenv("PORTAL_TEST_DATABASE_URL")
	code := m.Run()
	switch {
	case pgTestURL != "":
		cfg, err := pgx.ParseConfig(pgTestURL)
		if err != nil {
			fmt.Fprintln(os.Stderr, "PORTAL_TEST_DATABASE_URL:", err)
			os.Exit(1)
		}
		pgAdmin = stdlib.OpenDB(*cfg)
		testDialect = postgresDialect
		_ = flag.Set("test.parallel", fmt.Sprint(pgTestParallel))
		fmt.Println("store: the same tests again on PostgreSQL")
		code = max(code, m.Run())
		pgAdmin.Close()
	case os.Getenv("CI") == "true":
		fmt.Fprintln(os.Stderr, "store: CI=true but PORTAL_TEST_DATABASE_URL is not set: the PostgreSQL half cannot run (.ci/run sets it)")
		code = max(code, 1)
	}
	os.Exit(code)
}

// openTestStore opens a migrated store of the current pass's database: a real
// SQLite file in a temp dir, or a fresh schema on the test PostgreSQL server.
// It returns where the data lives (the file's path, or the URL of the schema)
// for openAgain. On PostgreSQL the test runs in parallel with the others.
func openTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	var where string
	if testDialect.postgres {
		if tt, ok := t.(*testing.T); ok {
			tt.Parallel()
		}
		where = newTestSchema(t)
	} else {
		where = filepath.Join(t.TempDir(), "portal.db")
	}
	s := openAgain(t, where)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, where
}

// openAgain opens another Store on the database of openTestStore (another
// process, as far as the first Store can tell); it is closed when the test ends.
func openAgain(t testing.TB, where string) *Store {
	t.Helper()
	var (
		s   *Store
		err error
	)
	if testDialect.postgres {
		s, err = OpenPostgres(context.Background(), where, testDataKey())
	} else {
		s, err = Open(context.Background(), where, testDataKey())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newTestSchema creates a schema for one test and returns the URL of the test
// database with it as the search path; the schema is dropped when the test ends.
func newTestSchema(t testing.TB) string {
	t.Helper()
	schema := "test_" + NewID()[:16]
	if _, err := pgAdmin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return withSearchPath(t, pgTestURL, schema)
}

// withSearchPath returns the connection URL u with search_path set to schema
// (pgx sends it as a run-time parameter on every connection).
func withSearchPath(t testing.TB, u, schema string) string {
	t.Helper()
	if !strings.Contains(u, "://") { // key=value form
		return u + " search_path=" + schema
	}
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	q.Set("search_path", schema)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

// storedBytes returns everything the database holds for the store's data, as
// an attacker with a copy would read it: the SQLite file and its WAL, or every
// row of every table of the test's PostgreSQL schema as text.
func storedBytes(t *testing.T, s *Store, where string) []byte {
	t.Helper()
	var all []byte
	if !s.d.postgres {
		for _, f := range []string{where, where + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	rows, err := s.r.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		rows, err := s.r.Query(`SELECT t::text FROM ` + table + ` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			if err := rows.Scan(&row); err != nil {
				t.Fatal(err)
			}
			all = append(all, row...)
			all = append(all, '\n')
		}
		rows.Close()
	}
	return all
}

// testDataKey is the data key of every test store.
func testDataKey() []byte {
	key := make([]byte, DataKeySize)
	for i := range key {
		key[i] = byte(i)
	}
	return key
}

// testApplicant is a valid applicant; vary email/SSN per test to avoid screening.
func testApplicant(email, ssn string) lending.Applicant {
	return lending.Applicant{
		RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation",
		FirstName: "Alex", LastName: "Rivera", Email: email, Phone: "2025550143",
		DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), SSN: ssn,
		Street: "1 Main St", City: "Springfield", State: "IL", Zipcode: "62701",
		EmploymentStatus: "employed", IncomeYearly: 85000_00, HousingType: "rent",
		HousingMonthly: 1400_00, CreditRating: "good",
	}
}
