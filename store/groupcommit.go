package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many write transactions share one commit.
const maxBatch = 128

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("store: closed")

// errBatchLost fails every write of a batch whose transaction SQLite rolled
// back as a whole (an I/O error, a full disk, an interrupted statement): their
// work was undone with it, so none of them may report success.
var errBatchLost = errors.New("store: the shared transaction was rolled back; nothing of this write was kept")

// durability is how far a write's COMMIT must have gone before its writer is
// told it succeeded.
type durability int

const (
	// synced: the commit is fsynced (synchronous=FULL) and survives power loss.
	// Every write is synced unless it asks otherwise.
	synced durability = iota
	// logged: the commit is written to the WAL but not yet fsynced
	// (synchronous=NORMAL). It survives the portal crashing or being killed at
	// once; a power loss can take it back until the WAL is next fsynced, by the
	// next synced commit or the background checkpoint (checkpoint.go), normally
	// within a second. Only counters whose loss in a power cut is tolerable (API
	// usage) use it: an fsync costs more than the whole call they count.
	logged
)

// pragma is the synchronous setting that gives d.
func (d durability) pragma() string {
	if d == logged {
		return `PRAGMA synchronous=NORMAL`
	}
	return `PRAGMA synchronous=FULL`
}

// writeReq is one caller's write transaction, waiting for the committer.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	dur  durability
	done chan error
}

// writeOptions say how a write transaction must commit.
type writeOptions struct {
	dur durability
	// readCommitted (PostgreSQL only) runs the transaction READ COMMITTED
	// instead of SERIALIZABLE: for writes that take the locks they need
	// themselves (FOR UPDATE SKIP LOCKED claims, ON CONFLICT upserts, UPDATEs
	// whose WHERE re-checks the state), where serializable's conflict checks
	// would only add retries between instances. SQLite ignores it.
	readCommitted bool
}

// inTx runs fn in a write transaction and returns once it is durably committed
// (or failed).
//
// On SQLite, writers that arrive while a commit is in progress share the next
// one (group commit): each runs in its own SAVEPOINT inside one BEGIN IMMEDIATE
// … COMMIT, so one fsync — synchronous(FULL) stays on — makes all of them
// durable, where one commit each made the disk's flush rate the portal's
// ceiling on accepted applications. Each fn still succeeds or fails alone: a
// failing fn rolls back to its savepoint, and nobody is told "committed" before
// the COMMIT returned. fn must use only tx, as before.
//
// On PostgreSQL fn runs in a SERIALIZABLE transaction of its own, and may run
// more than once (postgres.go; dialect.go says what that asks of fn).
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, writeOptions{dur: synced}, fn)
}

// inTxLogged is inTx for a write that need only be logged, not synced (see
// logged): it skips the fsync unless it shares its commit with a synced write.
// It runs READ COMMITTED on PostgreSQL: its writes are atomic increments.
func (s *Store) inTxLogged(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, writeOptions{dur: logged, readCommitted: true}, fn)
}

// inTxReadCommitted is inTx for a write that locks what it reads and then
// changes (see writeOptions.readCommitted).
func (s *Store) inTxReadCommitted(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, writeOptions{dur: synced, readCommitted: true}, fn)
}

// write hands fn to the committer (SQLite) or runs it in its own transaction
// (PostgreSQL), to commit as o says, and waits for the outcome.
func (s *Store) write(ctx context.Context, o writeOptions, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.d.postgres {
		return s.writePostgres(ctx, o, fn)
	}
	req := &writeReq{ctx: ctx, fn: fn, dur: o.dur, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.closing:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once taken, the request's fate is decided by its batch's COMMIT: wait for
	// it even if ctx ends, so the answer is never a guess.
	return <-req.done
}

// commitLoop is the store's only writer: it takes the waiting writes, up to
// maxBatch, and commits them together, until Close.
func (s *Store) commitLoop() {
	defer close(s.committerDone)
	for {
		var first *writeReq
		select {
		case first = <-s.writes:
		case <-s.closing:
			return
		}
		batch := []*writeReq{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		for len(batch) > 0 {
			batch = s.commitBatch(batch)
		}
		s.prepareWanted()
	}
}

// commitBatch runs the batch in one transaction and answers every request it
// ran. When SQLite rolled the whole transaction back under it, the requests it
// had not started yet are returned, to run in a fresh transaction; every call
// answers at least one request, so a broken database cannot spin it.
func (s *Store) commitBatch(batch []*writeReq) (notRun []*writeReq) {
	err := s.setDurability(batchDurability(batch))
	if err != nil {
		for _, r := range batch {
			r.done <- err
		}
		return nil
	}
	tx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, r := range batch {
			r.done <- err
		}
		return nil
	}
	single := len(batch) == 1
	var ran []*writeReq
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		if single {
			if err := runFn(r.fn, tx); err != nil {
				_ = tx.Rollback()
				r.done <- err
				return nil
			}
			ran = append(ran, r)
			break
		}
		if _, err := s.txExec(context.Background(), tx, `SAVEPOINT w`); err != nil {
			r.done <- err
			return s.abandon(tx, ran, batch[i+1:], err)
		}
		if err := runFn(r.fn, tx); err != nil {
			if _, rbErr := s.txExec(context.Background(), tx, `ROLLBACK TO w`); rbErr != nil {
				// The savepoint is gone: SQLite rolled back the whole transaction.
				r.done <- err
				return s.abandon(tx, ran, batch[i+1:], rbErr)
			}
			if _, relErr := s.txExec(context.Background(), tx, `RELEASE w`); relErr != nil {
				r.done <- err
				return s.abandon(tx, ran, batch[i+1:], relErr)
			}
			r.done <- err
			continue
		}
		if _, err := s.txExec(context.Background(), tx, `RELEASE w`); err != nil {
			r.done <- errBatchLost
			return s.abandon(tx, ran, batch[i+1:], err)
		}
		ran = append(ran, r)
	}
	if len(ran) == 0 {
		_ = tx.Rollback()
		return nil
	}
	err = tx.Commit()
	for _, r := range ran {
		r.done <- err
	}
	return nil
}

// batchDurability is the strongest durability any write of batch asks for.
func batchDurability(batch []*writeReq) durability {
	for _, r := range batch {
		if r.dur == synced {
			return synced
		}
	}
	return logged
}

// setDurability makes the writer's next commit d. SQLite refuses to change it
// inside a transaction, so it is set on the writer pool's only connection
// between batches, and only when it changes. Should database/sql ever replace
// that connection, the new one starts synced (the DSN's synchronous(FULL)), so
// a stale writerDur can cost an fsync but never skip one.
func (s *Store) setDurability(d durability) error {
	if d == s.writerDur {
		return nil
	}
	if _, err := s.w.ExecContext(context.Background(), d.pragma()); err != nil {
		return fmt.Errorf("store: set commit durability: %w", err)
	}
	s.writerDur = d
	return nil
}

// abandon rolls back a transaction SQLite already lost, fails the writes that
// ran in it, and hands back the ones that did not run yet.
func (s *Store) abandon(tx *sql.Tx, ran, rest []*writeReq, cause error) []*writeReq {
	_ = tx.Rollback()
	for _, r := range ran {
		r.done <- fmt.Errorf("%w (%v)", errBatchLost, cause)
	}
	return rest
}

// runFn runs fn, turning a panic into an error: fn runs on the committer's
// goroutine now, where a panic would take the whole portal down.
func runFn(fn func(tx *sql.Tx) error, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in a write transaction: %v", p)
		}
	}()
	return fn(tx)
}
