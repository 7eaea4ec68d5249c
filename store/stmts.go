package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps prepared statements of one pool, keyed by their SQL. For the
// small queries on the hot paths (the checking-rates poll reads one application
// by id thousands of times a second) SQLite spends most of the time parsing and
// planning; a prepared statement does that once per connection. database/sql
// prepares a Stmt lazily on each connection of the pool that runs it.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement for query, preparing it on first use.
// Only fixed query texts belong here: the cache never shrinks.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// close closes every statement; the pool is closed by its owner.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// readRow runs a fixed single-row query on the reader pool through a prepared
// statement. A statement that cannot be prepared (the database is closed, the
// schema is not migrated yet) falls back to an ordinary query, which reports
// the same error through Scan.
//
// Use it for reads by key only: they take microseconds, so they run detached
// from ctx's cancellation. With a cancellable context the SQLite driver starts
// a goroutine per query to watch it, which cost more than the query itself.
//
// On PostgreSQL pgx already prepares each query once per connection and keeps
// it (its statement cache), and a read is a network round trip that ctx may
// cancel: the query simply runs on the pool.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.d.postgres {
		return s.r.QueryRowContext(ctx, query, args...)
	}
	if err := ctx.Err(); err != nil {
		return s.r.QueryRowContext(ctx, query, args...) // reports err through Scan
	}
	ctx = context.WithoutCancel(ctx)
	st, err := s.reads.get(ctx, query)
	if err != nil {
		return s.r.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// readRows is readRow for queries returning several rows.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.d.postgres {
		return s.r.QueryContext(ctx, query, args...)
	}
	st, err := s.reads.get(ctx, query)
	if err != nil {
		return s.r.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// txExec runs a fixed statement in a write transaction through a statement
// prepared once on the writer's connection. The first use runs it unprepared
// and asks the committer to prepare it between batches (preparing needs the
// connection, which the batch holds). Only code running inside an inTx fn may
// call it: the statements belong to the writer's one connection.
//
// On PostgreSQL it is tx.ExecContext: pgx prepares and keeps the statement.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s.d.postgres {
		return tx.ExecContext(ctx, query, args...)
	}
	if st := s.writerStmt(query); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow is txExec for a single-row query.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if s.d.postgres {
		return tx.QueryRowContext(ctx, query, args...)
	}
	if st := s.writerStmt(query); st != nil {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// writerStmt returns the prepared statement for query, or nil after noting
// that it is wanted.
func (s *Store) writerStmt(query string) *sql.Stmt {
	s.writerMu.Lock()
	defer s.writerMu.Unlock()
	st, known := s.writerStmts[query]
	if !known {
		s.writerStmts[query] = nil // wanted: prepared after this batch
	}
	return st
}

// prepareWanted prepares the statements txExec asked for. It runs on the
// committer between batches, when the writer's connection is free; a statement
// that fails to prepare is left to run unprepared.
func (s *Store) prepareWanted() {
	s.writerMu.Lock()
	var wanted []string
	for q, st := range s.writerStmts {
		if st == nil && !s.unpreparable[q] {
			wanted = append(wanted, q)
		}
	}
	s.writerMu.Unlock()
	for _, q := range wanted {
		prepared, err := s.w.PrepareContext(context.Background(), q)
		s.writerMu.Lock()
		if err != nil {
			s.unpreparable[q] = true
		} else {
			s.writerStmts[q] = prepared
		}
		s.writerMu.Unlock()
	}
}

// closeWriterStmts closes the writer's statements once the committer has stopped.
func (s *Store) closeWriterStmts() error {
	s.writerMu.Lock()
	defer s.writerMu.Unlock()
	var errs []error
	for q, st := range s.writerStmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
		delete(s.writerStmts, q)
	}
	return errors.Join(errs...)
}
