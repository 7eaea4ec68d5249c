package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL connection the store's code talks through: pgx's database/sql
// adapter, with the two translations that let one set of SQL serve both
// databases, so no store function needs to know which one it runs on:
//
//   - placeholders: the store writes `?` (SQLite's); PostgreSQL wants $1, $2, …
//     Each query is rewritten once (rebind) and remembered.
//   - booleans: the schema keeps them as INTEGER 0/1 (as in SQLite), so a Go bool
//     argument is sent as 0 or 1. Scanning an INTEGER into a bool already works
//     (database/sql converts).
//   - NUL: PostgreSQL's text cannot hold the byte 0, which SQLite stores; a NUL
//     in a string argument is sent as U+FFFD (the Unicode replacement
//     character), so hostile input is stored rather than refused with a 500.

// pgConnector wraps pgx's connector so that every connection rebinds.
type pgConnector struct{ driver.Connector }

func newPGConnector(cfg *pgx.ConnConfig) driver.Connector {
	return pgConnector{stdlib.GetConnector(*cfg)}
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: conn.(*stdlib.Conn)}, nil
}

// pgConn is a pgx connection that takes portable SQL. Everything but the three
// ways a query comes in (prepare, exec, query) is pgx's own.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.PrepareContext(ctx, rebind(query))
	if err != nil {
		return nil, err
	}
	return pgStmt{st.(*stdlib.Stmt)}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), pgArgs(args))
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), pgArgs(args))
}

// pgStmt is a prepared statement whose arguments go through pgArgs.
type pgStmt struct{ *stdlib.Stmt }

func (s pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.Stmt.ExecContext(ctx, pgArgs(args))
}

func (s pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.Stmt.QueryContext(ctx, pgArgs(args))
}

// pgArgs turns bool arguments into the INTEGER 0/1 the schema stores, and
// NULs in strings into U+FFFD.
func pgArgs(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		switch v := a.Value.(type) {
		case bool:
			n := int64(0)
			if v {
				n = 1
			}
			args[i].Value = n
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				args[i].Value = strings.ReplaceAll(v, "\x00", "\uFFFD")
			}
		}
	}
	return args
}

// rebound remembers each query's PostgreSQL form: the store's queries are a
// fixed set (plus the pipeline's filter combinations), so the map stays small.
var rebound sync.Map // string → string

// rebind rewrites the `?` placeholders of query as $1, $2, … in order. A `?`
// inside a string literal, a quoted identifier or a comment is left alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := closingQuote(query, i)
			b.WriteString(query[i:j])
			i = j - 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	q := b.String()
	rebound.Store(query, q)
	return q
}

// closingQuote returns the index just past the literal or identifier that opens
// at query[i] (a doubled quote inside it is part of it).
func closingQuote(query string, i int) int {
	quote := query[i]
	for j := i + 1; j < len(query); j++ {
		if query[j] != quote {
			continue
		}
		if j+1 < len(query) && query[j+1] == quote {
			j++
			continue
		}
		return j + 1
	}
	return len(query)
}
