package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"prequal/migrations"
)

// PostgreSQL: several portal instances on one database. What differs from
// SQLite at run time is here: the connection pool, how a write transaction
// runs (and is retried), the migration lock, and the notifications that keep
// every instance's caches honest.

const (
	// pgMaxConns bounds one instance's connections. Writes and reads share them;
	// a request holds one only for its statement or transaction.
	pgMaxConns = 16
	// pgRetryFor bounds how long a write whose transaction PostgreSQL keeps
	// rolling back for conflicts (serialization failure, deadlock) is run
	// again: n writers of one row take up to n rounds.
	pgRetryFor = 10 * time.Second
	// notifyChannel is the LISTEN/NOTIFY channel instances tell each other about
	// changes that caches depend on; the payload names what changed.
	notifyChannel = "portal_changes"
	// migrationLockKey (with the schema's hash) names the advisory lock that
	// lets one instance at a time migrate a schema.
	migrationLockKey = 0x70716c // "pql"
)

// Change topics sent over notifyChannel.
const (
	topicAPIKeys = "api_keys" // a key was rotated or revoked: forget cached keys
)

// pgState is what only a PostgreSQL store has.
type pgState struct {
	config *pgx.ConnConfig
	// listening is true while this instance's LISTEN connection is up: only
	// then may caches trust what they remember (apikeys.go).
	listening    atomic.Bool
	stopListen   context.CancelFunc
	listenerDone chan struct{}
}

// OpenPostgres opens the portal's database on a PostgreSQL server, url being a
// connection URL (postgres://user:password@host:5432/dbname?sslmode=require) or
// key=value string as libpq takes it. dataKey seals SSNs, as for Open. Call
// Migrate before use.
func OpenPostgres(ctx context.Context, url string, dataKey []byte) (*Store, error) {
	sealer, err := NewSealer(dataKey)
	if err != nil {
		return nil, fmt.Errorf("store.OpenPostgres: %w", err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store.OpenPostgres: %w", err)
	}
	db := sql.OpenDB(newPGConnector(cfg))
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store.OpenPostgres: %w", err)
	}
	listenCtx, stop := context.WithCancel(context.Background())
	s := &Store{d: postgresDialect, w: db, r: db, sealer: sealer, now: time.Now,
		pg:      &pgState{config: cfg, stopListen: stop, listenerDone: make(chan struct{})},
		closing: make(chan struct{})}
	go s.listen(listenCtx)
	return s, nil
}

// migratePostgres applies migrations/postgres under an advisory lock, so
// instances starting together migrate one after the other. goose gets a plain
// pgx connection: its own SQL is PostgreSQL's, not the store's portable form.
func (s *Store) migratePostgres(ctx context.Context) error {
	db := stdlib.OpenDB(*s.pg.config)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.Postgres,
		goose.WithSessionLocker(pgMigrationLock{}), goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("store.Migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store.Migrate: %w", err)
	}
	return nil
}

// pgMigrationLock is goose's session lock as a blocking advisory lock on the
// current schema (goose's own polls every 5 seconds, and locks the whole server).
type pgMigrationLock struct{}

func (pgMigrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, migrationLockKey)
	return err
}

func (pgMigrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, migrationLockKey)
	return err
}

// closePostgres stops the listener and closes the pool.
func (s *Store) closePostgres() error {
	s.pg.stopListen()
	<-s.pg.listenerDone
	return s.w.Close()
}

// writePostgres runs fn in a transaction of its own and commits it. Concurrent
// transactions' commits share PostgreSQL's WAL flushes, which is what the
// SQLite committer's batches do by hand. Once begun, a transaction runs to its
// COMMIT or ROLLBACK even if ctx ends meanwhile (fn's statements still see ctx):
// the answer is never a guess. When PostgreSQL rolls the transaction back for
// a conflict with another transaction (40001 serialization failure, 40P01
// deadlock), fn runs again in a fresh one, after a short random pause.
func (s *Store) writePostgres(ctx context.Context, o writeOptions, fn func(tx *sql.Tx) error) error {
	opts := &sql.TxOptions{Isolation: sql.LevelSerializable}
	if o.readCommitted {
		opts.Isolation = sql.LevelReadCommitted
	}
	pause, start := time.Millisecond, time.Now()
	for try := 1; ; try++ {
		select {
		case <-s.closing:
			return ErrClosed
		default:
		}
		err := s.pgTx(ctx, o.dur, opts, fn)
		if err == nil || !retryableConflict(err) || time.Since(start) > pgRetryFor {
			return err
		}
		select {
		case <-time.After(pause/2 + rand.N(pause)):
		case <-ctx.Done():
			return fmt.Errorf("%w (after %d conflicting tries: %v)", ctx.Err(), try, err)
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

func (s *Store) pgTx(ctx context.Context, dur durability, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(context.WithoutCancel(ctx), opts)
	if err != nil {
		return err
	}
	if dur == logged {
		// The commit returns before its WAL record is flushed: PostgreSQL's
		// synchronous=NORMAL (see durability).
		if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := runFn(fn, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// retryableConflict reports whether PostgreSQL rolled a transaction back only
// because it collided with another one: running it again is the cure.
func retryableConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// uniqueViolation reports whether PostgreSQL refused a row for a duplicate key
// (23505): what a concurrent insert by another instance looks like to a write
// that checked first. (On SQLite the one writer makes the check enough.)
func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// lockKeys holds PostgreSQL advisory locks named by keys until tx ends, taken
// in one order so two writers wanting overlapping keys never deadlock: a READ
// COMMITTED write that counts rows and then adds one (screening) takes its
// turn with the others counting the same rows. SQLite's one writer needs none.
func (s *Store) lockKeys(ctx context.Context, tx *sql.Tx, keys ...string) error {
	if !s.d.postgres {
		return nil
	}
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, k); err != nil {
			return err
		}
	}
	return nil
}

// announce tells every instance, when tx commits, that topic changed (NOTIFY is
// transactional: a rolled-back change announces nothing). SQLite has one
// process, whose caches are told directly.
func (s *Store) announce(ctx context.Context, tx *sql.Tx, topic string) error {
	if !s.d.postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, notifyChannel, topic)
	return err
}

// cachesTrusted reports whether what the caches remember may be used: always
// on SQLite (one process: changes are seen directly), and on PostgreSQL while
// this instance hears the others' announcements.
func (s *Store) cachesTrusted() bool {
	return !s.d.postgres || s.pg.listening.Load()
}

// listen keeps a connection LISTENing on notifyChannel until ctx ends, and
// applies what it hears. While it is down, nothing cached is trusted; when it
// comes (back) up, everything cached before is forgotten, since announcements
// may have been missed in between.
func (s *Store) listen(ctx context.Context) {
	defer close(s.pg.listenerDone)
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, s.pg.config.Copy())
		if err == nil {
			if _, err = conn.Exec(ctx, `LISTEN `+notifyChannel); err == nil {
				s.changed("")
				s.pg.listening.Store(true)
				pause = 100 * time.Millisecond
				for {
					n, err := conn.WaitForNotification(ctx)
					if err != nil {
						break
					}
					s.changed(n.Payload)
				}
				s.pg.listening.Store(false)
				s.changed("")
			}
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
			pause = min(2*pause, 5*time.Second)
		}
	}
}

// changed makes this instance forget what it cached about topic ("" is every
// topic).
func (s *Store) changed(topic string) {
	switch topic {
	case topicAPIKeys, "":
		s.apiKeyGen.Add(1)
	}
}
