package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Moving a portal's data from its SQLite file to PostgreSQL (portal
// migrate-data). Every table of the SQLite schema is copied as it is, in an
// order that satisfies the foreign keys, in one PostgreSQL transaction: a copy
// that fails leaves the target as empty as it was. Then it is checked: the
// rows counted on both sides, a sample of rows compared column by column, and a
// sample of sealed SSNs opened on the target with the data key.

// ErrTargetNotEmpty is returned when the PostgreSQL database already holds
// portal data: the copy adds to nothing, so it never mixes two portals.
var ErrTargetNotEmpty = errors.New("store: the target database already holds data")

// CopyReport says what MoveData copied and checked, table by table.
type CopyReport struct {
	Tables       []TableCopy
	SampledRows  int // rows compared column by column
	SSNsVerified int // sealed SSNs opened on the target and equal to the source's
}

// TableCopy is one table's row counts on both sides after the copy.
type TableCopy struct {
	Table          string
	Source, Target int64
}

// copySample is how many rows of each table are compared, and how many SSNs opened.
const copySample = 200

// MoveData copies every row of from (SQLite, migrated) into to (PostgreSQL,
// migrated, empty), then checks the copy. Both must use the same data key.
func MoveData(ctx context.Context, from, to *Store) (CopyReport, error) {
	var rep CopyReport
	if from.d.postgres || !to.d.postgres {
		return rep, errors.New("store.MoveData: copies from SQLite to PostgreSQL")
	}
	tables, err := from.copyOrder(ctx)
	if err != nil {
		return rep, fmt.Errorf("store.MoveData: %w", err)
	}
	for _, t := range tables {
		var n int64
		if err := to.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return rep, fmt.Errorf("store.MoveData: target table %s: %w", t, err)
		}
		if n > 0 {
			return rep, fmt.Errorf("store.MoveData: %w (%s has %d rows)", ErrTargetNotEmpty, t, n)
		}
	}
	conn, err := to.r.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("store.MoveData: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc := dc.(*pgConn).Conn.Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for _, t := range tables {
			if err := from.copyTable(ctx, tx, t); err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return rep, fmt.Errorf("store.MoveData: %w", err)
	}
	if err := verifyCopy(ctx, from, to, tables, &rep); err != nil {
		return rep, fmt.Errorf("store.MoveData: check: %w", err)
	}
	return rep, nil
}

// copyOrder lists the SQLite tables (goose's own left out), each after the
// tables its foreign keys point to.
func (s *Store) copyOrder(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	deps := map[string][]string{}
	for _, n := range names {
		rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, err
			}
			if d != n {
				deps[n] = append(deps[n], d)
			}
		}
		rows.Close()
	}
	var order []string
	done := map[string]bool{}
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		if done[n] {
			return nil
		}
		if slices.Contains(path, n) {
			return fmt.Errorf("foreign keys form a cycle through %s", n)
		}
		for _, d := range deps[n] {
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		done[n] = true
		order = append(order, n)
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// copyTable streams one table into the PostgreSQL transaction (COPY), each
// value converted to the target column's type, and moves an identity column's
// sequence past the copied ids.
func (s *Store) copyTable(ctx context.Context, tx pgx.Tx, table string) error {
	types, identity, err := pgColumnTypes(ctx, tx, table)
	if err != nil {
		return err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for _, c := range cols {
		if _, ok := types[c]; !ok {
			return fmt.Errorf("column %s is missing on PostgreSQL (its migrations are behind)", c)
		}
	}
	src := &sqliteRows{rows: rows, cols: cols, types: types}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
		return err
	}
	if src.err != nil {
		return src.err
	}
	for _, c := range identity {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'),
			coalesce((SELECT max(%s) FROM %s), 0) + 1, false)`, table, c, c, table)); err != nil {
			return err
		}
	}
	return nil
}

// pgColumnTypes returns the data type of each column of table on PostgreSQL,
// and its identity columns.
func pgColumnTypes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, []string, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type, is_identity FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	types := map[string]string{}
	var identity []string
	for rows.Next() {
		var name, typ, ident string
		if err := rows.Scan(&name, &typ, &ident); err != nil {
			return nil, nil, err
		}
		types[name] = typ
		if ident == "YES" {
			identity = append(identity, name)
		}
	}
	if len(types) == 0 {
		return nil, nil, fmt.Errorf("no table %s on PostgreSQL (its migrations are behind)", table)
	}
	return types, identity, rows.Err()
}

// sqliteRows feeds SQLite rows to COPY (pgx.CopyFromSource).
type sqliteRows struct {
	rows  *sql.Rows
	cols  []string
	types map[string]string
	vals  []any
	err   error
}

func (r *sqliteRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	raw := make([]any, len(r.cols))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if r.err = r.rows.Scan(ptrs...); r.err != nil {
		return false
	}
	for i, c := range r.cols {
		if raw[i], r.err = pgValue(raw[i], r.types[c]); r.err != nil {
			r.err = fmt.Errorf("column %s: %w", c, r.err)
			return false
		}
	}
	r.vals = raw
	return true
}

func (r *sqliteRows) Values() ([]any, error) { return r.vals, nil }

func (r *sqliteRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// pgValue converts what SQLite stored (its columns take any type) to the
// PostgreSQL column's type.
func pgValue(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			return int64(x), nil
		case bool:
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		case string:
			return strconv.ParseInt(x, 10, 64)
		case []byte:
			return strconv.ParseInt(string(x), 10, 64)
		}
	case "text":
		switch x := v.(type) {
		case string:
			return strings.ReplaceAll(x, "\x00", "\uFFFD"), nil
		case []byte:
			return strings.ReplaceAll(string(x), "\x00", "\uFFFD"), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("cannot store a %T as %s", v, pgType)
}

// verifyCopy counts every table on both sides, compares a sample of rows of
// each (the first and the last by the table's own order) column by column, and
// opens a sample of sealed SSNs on the target.
func verifyCopy(ctx context.Context, from, to *Store, tables []string, rep *CopyReport) error {
	for _, t := range tables {
		tc := TableCopy{Table: t}
		if err := from.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&tc.Source); err != nil {
			return err
		}
		if err := to.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&tc.Target); err != nil {
			return err
		}
		rep.Tables = append(rep.Tables, tc)
		if tc.Source != tc.Target {
			return fmt.Errorf("table %s: %d rows on SQLite, %d on PostgreSQL", t, tc.Source, tc.Target)
		}
		key, err := from.primaryKey(ctx, t)
		if err != nil {
			return err
		}
		textCols, err := to.textColumns(ctx, t)
		if err != nil {
			return err
		}
		for _, dir := range []string{"ASC", "DESC"} {
			// Both in byte order: SQLite's, and PostgreSQL's "C" collation.
			var liteOrder, pgOrder []string
			for _, k := range key {
				liteOrder = append(liteOrder, k+" "+dir)
				if textCols[k] {
					pgOrder = append(pgOrder, k+` COLLATE "C" `+dir)
				} else {
					pgOrder = append(pgOrder, k+" "+dir)
				}
			}
			a, err := sampleRows(ctx, from.r, `SELECT * FROM `+t+` ORDER BY `+strings.Join(liteOrder, ", ")+` LIMIT ?`, copySample/2)
			if err != nil {
				return err
			}
			b, err := sampleRows(ctx, to.r, `SELECT * FROM `+t+` ORDER BY `+strings.Join(pgOrder, ", ")+` LIMIT ?`, copySample/2)
			if err != nil {
				return err
			}
			if len(a) != len(b) {
				return fmt.Errorf("table %s: sample of %d rows on SQLite, %d on PostgreSQL", t, len(a), len(b))
			}
			for i := range a {
				if !slices.EqualFunc(a[i], b[i], sameValue) {
					return fmt.Errorf("table %s: row %d of the %s sample differs", t, i+1, dir)
				}
			}
			rep.SampledRows += len(a)
		}
	}
	ids, err := sampleRows(ctx, from.r, `SELECT id FROM applications ORDER BY created_at_ms DESC, id LIMIT ?`, copySample)
	if err != nil {
		return err
	}
	for _, row := range ids {
		id := fmt.Sprint(row[0])
		want, err := from.LeadRequestFor(ctx, id)
		if err != nil {
			return fmt.Errorf("open the SSN of %s on SQLite: %w", id, err)
		}
		got, err := to.LeadRequestFor(ctx, id)
		if err != nil {
			return fmt.Errorf("open the SSN of %s on PostgreSQL: %w", id, err)
		}
		if got.Applicant.SSN != want.Applicant.SSN || got.Applicant.SSN == "" {
			return fmt.Errorf("application %s: the SSN sealed on PostgreSQL differs from SQLite's", id)
		}
		rep.SSNsVerified++
	}
	return nil
}

// textColumns names table's text columns on PostgreSQL.
func (s *Store) textColumns(ctx context.Context, table string) (map[string]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? AND data_type = 'text'`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// primaryKey lists table's primary key columns in order (or every column of a
// table without one).
func (s *Store) primaryKey(ctx context.Context, table string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all []string
	pk := map[int]string{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		all = append(all, name)
		if n > 0 {
			pk[n] = name
		}
	}
	if len(pk) == 0 {
		return all, rows.Err()
	}
	key := make([]string, len(pk))
	for n, name := range pk {
		key[n-1] = name
	}
	return key, rows.Err()
}

func sampleRows(ctx context.Context, db *sql.DB, q string, n int) ([][]any, error) {
	rows, err := db.QueryContext(ctx, q, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]any
	for rows.Next() {
		raw := make([]any, len(cols))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, raw)
	}
	return out, rows.Err()
}

// sameValue compares a value as SQLite and PostgreSQL return it (bytes and
// text alike as their bytes, numbers as their decimal form, NUL as PostgreSQL
// stores it).
func sameValue(a, b any) bool {
	norm := func(v any) []byte {
		switch x := v.(type) {
		case nil:
			return nil
		case []byte:
			return x
		case string:
			return []byte(strings.ReplaceAll(x, "\x00", "\uFFFD"))
		default:
			return []byte(fmt.Sprint(x))
		}
	}
	if (a == nil) != (b == nil) {
		return false
	}
	return bytes.Equal(norm(a), norm(b))
}
