// Package store keeps the portal's data in SQLite: every SQL statement lives here,
// one file per aggregate. Writes go through a single-connection writer pool (SQLite
// has one writer at a time; queueing in Go beats SQLITE_BUSY), reads through a
// separate reader pool that WAL lets run alongside.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"prequal/migrations"
)

// ErrNotFound is returned when the row asked for does not exist (or is not the
// caller's to see). It is never nil, nil.
var ErrNotFound = errors.New("store: not found")

// Store is the portal's database.
type Store struct {
	w      *sql.DB
	r      *sql.DB
	ckpt   *sql.DB // the background WAL checkpointer's connection (checkpoint.go)
	sealer *Sealer
	now    func() time.Time
	// reads caches the reader pool's prepared statements (stmts.go).
	reads *stmtCache

	// writerStmts are the writer's prepared statements by SQL (nil: wanted, not
	// prepared yet), guarded by writerMu (stmts.go).
	writerMu     sync.Mutex
	writerStmts  map[string]*sql.Stmt
	unpreparable map[string]bool

	// apiKeyGen counts committed key rotations and revocations: APIKeyFinder
	// trusts nothing it read before the latest one (apikeys.go).
	apiKeyGen atomic.Uint64
	// idempotencyPurgedAt is when expired idempotency records were last
	// deleted, in unix milliseconds (idempotency.go).
	idempotencyPurgedAt atomic.Int64

	// writes hands write transactions to the committer (groupcommit.go).
	writes        chan *writeReq
	writerDur     durability // the writer connection's synchronous setting; committer only
	closing       chan struct{}
	committerDone chan struct{}
	// checkpointerDone closes when the background checkpointer has stopped.
	checkpointerDone chan struct{}
	// progressReqs hands the polls' reads to the progress readers (progress.go).
	progressReqs chan *progressReq
	progressDone sync.WaitGroup
	closeOnce    sync.Once
	closeErr     error
}

// Open opens (creating if needed) the SQLite database at path. dataKey is the
// 32-byte key that seals SSNs. Call Migrate before use.
func Open(ctx context.Context, path string, dataKey []byte) (*Store, error) {
	sealer, err := NewSealer(dataKey)
	if err != nil {
		return nil, fmt.Errorf("store.Open: %w", err)
	}
	common := url.Values{}
	common.Add("_pragma", "busy_timeout(10000)")
	common.Add("_pragma", "foreign_keys(1)")

	wq := url.Values{}
	for k, v := range common {
		wq[k] = v
	}
	wq.Add("_pragma", "journal_mode(WAL)")
	wq.Add("_pragma", "synchronous(FULL)") // consent and decision records must survive power loss
	// Group commit runs each write in a savepoint; their sub-journals are temp
	// files unless kept in memory (they never need to outlive the transaction).
	wq.Add("_pragma", "temp_store(MEMORY)")
	wq.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerAutoCheckpoint)) // see checkpoint.go
	// The writer touches index pages all over the file; a 16 MiB page cache
	// (the default is 2 MiB) keeps them from being read back again and again.
	wq.Add("_pragma", "cache_size(-16384)")
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store.Open: writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store.Open: writer: %w", err)
	}

	rq := common
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store.Open: reader: %w", err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()*2))
	r.SetMaxIdleConns(max(4, runtime.NumCPU()*2))

	ckpt, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store.Open: checkpointer: %w", err)
	}
	ckpt.SetMaxOpenConns(1)

	s := &Store{w: w, r: r, ckpt: ckpt, sealer: sealer, now: time.Now, reads: newStmtCache(r),
		writerStmts: map[string]*sql.Stmt{}, unpreparable: map[string]bool{},
		writes: make(chan *writeReq), closing: make(chan struct{}),
		committerDone: make(chan struct{}), checkpointerDone: make(chan struct{}),
		progressReqs: make(chan *progressReq)}
	go s.commitLoop()
	go s.checkpointLoop()
	for range progressReaders {
		s.progressDone.Add(1)
		go s.progressReader()
	}
	return s, nil
}

// SetClock replaces the store's clock (tests).
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Migrate applies the embedded goose migrations.
func (s *Store) Migrate(ctx context.Context) error {
	// Migrations are numbered in ranges per feature, so one written earlier can
	// land after a later-numbered one: apply whatever is missing, in order.
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, migrations.FS, goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("store.Migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store.Migrate: %w", err)
	}
	return nil
}

// Ping reports whether the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store.Ping: %w", err)
	}
	return nil
}

// Close stops the writer (the batch in progress is finished first; later
// writes get ErrClosed) and closes both pools. It is safe to call twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.committerDone
		<-s.checkpointerDone
		s.progressDone.Wait()
		s.closeErr = errors.Join(s.reads.close(), s.closeWriterStmts(), s.r.Close(), s.ckpt.Close(), s.w.Close())
	})
	return s.closeErr
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// nullMS is a nullable time column; zero time ↔ NULL.
func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// nullString is a nullable text column; "" ↔ NULL.
func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
