package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"prequal/lending"
)

// groupCommitTable gives a test a table of its own to write into.
func groupCommitTable(t *testing.T, s *Store) {
	t.Helper()
	if err := s.inTx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE gc_test (k TEXT PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func gcKeys(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	rows, err := s.r.Query(`SELECT k FROM gc_test`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	return got
}

func insertKey(k string) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO gc_test (k) VALUES (?)`, k)
		return err
	}
}

func newReq(ctx context.Context, fn func(tx *sql.Tx) error) *writeReq {
	return &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
}

// runWrites runs reqs as the store's write path would: on SQLite as one batch
// of the committer, on PostgreSQL each in its own transaction, in order.
func runWrites(t *testing.T, s *Store, reqs []*writeReq) {
	t.Helper()
	if !s.d.postgres {
		if rest := s.commitBatch(reqs); len(rest) != 0 {
			t.Fatalf("%d writes left over", len(rest))
		}
		return
	}
	for _, r := range reqs {
		r.done <- s.write(r.ctx, writeOptions{dur: r.dur}, r.fn)
	}
}

// Every write succeeds or fails alone (SQLite: in its own savepoint of the
// batch): a failing or panicking write is undone alone, a write whose caller
// gave up is not run, and the rest commit.
func TestCommitBatchIsolatesEachWrite(t *testing.T) {
	s, _ := openTestStore(t)
	groupCommitTable(t, s)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	boom := errors.New("boom")
	reqs := []*writeReq{
		newReq(ctx, insertKey("a")),
		newReq(ctx, func(tx *sql.Tx) error {
			if err := insertKey("b")(tx); err != nil {
				return err
			}
			return boom // after a write: it must be undone
		}),
		newReq(ctx, insertKey("c")),
		newReq(ctx, func(tx *sql.Tx) error {
			_ = insertKey("d")(tx)
			panic("bad write")
		}),
		newReq(cancelled, insertKey("e")),
		newReq(ctx, insertKey("a")), // primary key conflict with the first
		newReq(ctx, insertKey("f")),
	}
	runWrites(t, s, reqs)
	wantErr := []func(error) bool{
		func(err error) bool { return err == nil },
		func(err error) bool { return errors.Is(err, boom) },
		func(err error) bool { return err == nil },
		func(err error) bool { return err != nil },
		func(err error) bool { return errors.Is(err, context.Canceled) },
		func(err error) bool { return err != nil },
		func(err error) bool { return err == nil },
	}
	for i, r := range reqs {
		if err := <-r.done; !wantErr[i](err) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	got := gcKeys(t, s)
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": false, "e": false, "f": true} {
		if got[k] != want {
			t.Errorf("key %q stored = %v, want %v", k, got[k], want)
		}
	}
}

// When the database loses the whole transaction under a write, nothing that
// ran in it may report success. SQLite: a batch whose transaction was rolled
// back answers errBatchLost to the writes that ran, and the writes not yet run
// go to a fresh transaction. PostgreSQL: a statement that failed aborts the
// transaction, so a write that ignored the failure and returned nil is not
// told "committed", and keeps nothing.
func TestCommitBatchNeverReportsALostTransactionAsCommitted(t *testing.T) {
	s, _ := openTestStore(t)
	groupCommitTable(t, s)
	ctx := context.Background()
	if s.d.postgres {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if err := insertKey("a")(tx); err != nil {
				return err
			}
			_, _ = tx.Exec(`INSERT INTO no_such_table (k) VALUES (1)`) // aborts the transaction; ignored
			return nil
		})
		if err == nil {
			t.Error("a write whose transaction was aborted was told it committed")
		}
		if err := s.inTx(ctx, insertKey("c")); err != nil {
			t.Errorf("the next write: %v", err)
		}
		if got := gcKeys(t, s); got["a"] || !got["c"] {
			t.Errorf("stored %v, want only c", got)
		}
		return
	}
	first := newReq(ctx, insertKey("a"))
	loser := newReq(ctx, func(tx *sql.Tx) error {
		_, _ = tx.Exec(`ROLLBACK`) // what an I/O error or an interrupt does to the transaction
		return errors.New("interrupted")
	})
	later := newReq(ctx, insertKey("c"))
	rest := s.commitBatch([]*writeReq{first, loser, later})
	if len(rest) != 1 || rest[0] != later {
		t.Fatalf("left over %d writes, want the one not yet run", len(rest))
	}
	if err := <-first.done; !errors.Is(err, errBatchLost) {
		t.Errorf("the write the rollback undid answered %v, want errBatchLost", err)
	}
	if err := <-loser.done; err == nil {
		t.Error("the failing write answered nil")
	}
	if rest := s.commitBatch(rest); len(rest) != 0 {
		t.Fatal("the retried batch left writes over")
	}
	if err := <-later.done; err != nil {
		t.Errorf("the write run in a fresh transaction: %v", err)
	}
	if got := gcKeys(t, s); got["a"] || !got["c"] {
		t.Errorf("stored %v, want only c", got)
	}
}

// Read-then-write transactions racing each other all count: SQLite runs them
// one at a time; PostgreSQL runs them SERIALIZABLE and runs a write again when
// it collided with another (on several instances, this is what keeps counters
// such as the sign-in throttle exact).
func TestConcurrentReadThenWriteLosesNothing(t *testing.T) {
	s, where := openTestStore(t)
	other := openAgain(t, where) // a second instance on the same database
	ctx := context.Background()
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`CREATE TABLE counter (n INTEGER NOT NULL)`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO counter (n) VALUES (0)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := range writers {
		st := s
		if w%2 == 1 {
			st = other
		}
		wg.Go(func() {
			for range each {
				err := st.inTx(ctx, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRow(`SELECT n FROM counter`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(`UPDATE counter SET n = ?`, n+1)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	var n int
	if err := s.r.QueryRow(`SELECT n FROM counter`).Scan(&n); err != nil || n != writers*each {
		t.Fatalf("counter = %d (%v), want %d: increments were lost", n, err, writers*each)
	}
}

// Many writers at once: every one that was told "committed" is there, and the
// store's own writes (applications) keep their guarantees under batching.
func TestGroupCommitUnderConcurrency(t *testing.T) {
	s, _ := openTestStore(t)
	groupCommitTable(t, s)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			if i%10 == 9 {
				errs[i] = s.inTx(ctx, func(tx *sql.Tx) error {
					_ = insertKey(fmt.Sprint("x", i))(tx)
					return errors.New("refused")
				})
				return
			}
			errs[i] = s.inTx(ctx, insertKey(fmt.Sprint("k", i)))
		})
	}
	wg.Wait()
	got := gcKeys(t, s)
	for i := range n {
		switch {
		case i%10 == 9:
			if errs[i] == nil || got[fmt.Sprint("x", i)] {
				t.Errorf("refused write %d: err %v, stored %v", i, errs[i], got[fmt.Sprint("x", i)])
			}
		case errs[i] != nil || !got[fmt.Sprint("k", i)]:
			t.Errorf("write %d: err %v, stored %v", i, errs[i], got[fmt.Sprint("k", i)])
		}
	}

	// Concurrent submits with one idempotency key still make one application.
	key := NewID()
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			app, _, err := s.CreateApplication(ctx, newApp("sess-gc", key, testApplicant("gc@example.com", "123456780")))
			if err != nil {
				t.Error(err)
			}
			ids[i] = app.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one idempotency key made applications %v", ids)
		}
	}
}

func TestWritesAfterCloseFailCleanly(t *testing.T) {
	s, _ := openTestStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.AddEvent(context.Background(), "app", lending.Event{Kind: lending.EventPolled}) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("write after Close: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a write after Close hung")
	}
}

// A full disk fails the writes that need space — none reports success, none
// half-stored — and the store takes writes again once there is room. SQLite's
// SQLITE_FULL comes from capping the file's size; PostgreSQL's disk_full
// (53100), from a trigger that raises it on every consent insert, so each
// application fails halfway through its transaction.
func TestFullDiskFailsWritesCleanlyAndRecovers(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	fill, makeRoom := capSQLiteFile, dropPGFullTrigger
	if s.d.postgres {
		fill = addPGFullTrigger
	} else {
		makeRoom = uncapSQLiteFile
	}
	fill(t, s)
	var failed error
	stored := 0
	for i := 0; i < 500 && failed == nil; i++ {
		_, _, failed = s.CreateApplication(ctx, newApp("sess-full", NewID(), testApplicant(fmt.Sprintf("full%d@example.com", i), fmt.Sprintf("%09d", 500000000+i))))
		if failed == nil {
			stored++
		}
	}
	if failed == nil {
		t.Fatal("the capped database never filled up")
	}
	t.Logf("full after %d applications: %v", stored, failed)

	// A batch of writers against the full disk: every one fails, nothing is half-stored.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() {
			_, _, errs[i] = s.CreateApplication(ctx, newApp("sess-full", NewID(), testApplicant(fmt.Sprintf("batch%d@example.com", i), fmt.Sprintf("%09d", 510000000+i))))
		})
	}
	wg.Wait()
	var apps, consents int
	if err := s.r.QueryRow(`SELECT count(*) FROM applications WHERE session_id = 'sess-full'`).Scan(&apps); err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRow(`SELECT count(*) FROM consents c JOIN applications a ON a.id = c.application_id WHERE a.session_id = 'sess-full'`).Scan(&consents); err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		}
	}
	if apps != stored+ok || consents != 4*apps {
		t.Errorf("%d applications and %d consents stored; %d writes reported success before and %d during the batch", apps, consents, stored, ok)
	}

	makeRoom(t, s)
	if _, _, err := s.CreateApplication(ctx, newApp("sess-full", NewID(), testApplicant("room@example.com", "599999999"))); err != nil {
		t.Errorf("after room came back: %v", err)
	}
}

func capSQLiteFile(t *testing.T, s *Store) {
	var pages int64
	if err := s.w.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
}

func uncapSQLiteFile(t *testing.T, s *Store) {
	if _, err := s.w.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
}

func addPGFullTrigger(t *testing.T, s *Store) {
	for _, q := range []string{
		`CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS
			'BEGIN RAISE EXCEPTION ''could not extend file: No space left on device'' USING ERRCODE = ''disk_full''; END'`,
		`CREATE TRIGGER consents_disk_full BEFORE INSERT ON consents FOR EACH ROW EXECUTE FUNCTION disk_full()`,
	} {
		if _, err := s.w.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func dropPGFullTrigger(t *testing.T, s *Store) {
	if _, err := s.w.Exec(`DROP TRIGGER consents_disk_full ON consents`); err != nil {
		t.Fatal(err)
	}
}

// A write that need only be logged commits without waiting for its flush; a
// synced one waits. SQLite: a batch of logged writes commits with
// synchronous=NORMAL, and one synced write in a batch makes its whole commit
// FULL. PostgreSQL: a logged write's transaction runs with synchronous_commit
// off, every other with it on.
func TestCommitBatchDurabilityFollowsItsWrites(t *testing.T) {
	s, _ := openTestStore(t)
	groupCommitTable(t, s)
	ctx := context.Background()
	if s.d.postgres {
		for _, tt := range []struct {
			name  string
			write func(context.Context, func(*sql.Tx) error) error
			want  string
		}{
			{"logged", s.inTxLogged, "off"},
			{"synced", s.inTx, "on"},
			{"synced, read committed", s.inTxReadCommitted, "on"},
		} {
			var got string
			if err := tt.write(ctx, func(tx *sql.Tx) error {
				return tx.QueryRow(`SELECT current_setting('synchronous_commit')`).Scan(&got)
			}); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s: synchronous_commit = %s, want %s", tt.name, got, tt.want)
			}
		}
		return
	}
	const normal, full = 1, 2 // PRAGMA synchronous values
	n := 0
	for _, tt := range []struct {
		name string
		durs []durability
		want int
	}{
		{"logged only", []durability{logged, logged}, normal},
		{"a synced write joins", []durability{logged, synced, logged}, full},
		{"logged again", []durability{logged}, normal},
		{"synced only", []durability{synced}, full},
	} {
		var reqs []*writeReq
		for _, d := range tt.durs {
			n++
			r := newReq(ctx, insertKey(fmt.Sprint(n)))
			r.dur = d
			reqs = append(reqs, r)
		}
		if rest := s.commitBatch(reqs); len(rest) != 0 {
			t.Fatalf("%s: %d writes left over", tt.name, len(rest))
		}
		for _, r := range reqs {
			if err := <-r.done; err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		var got int
		if err := s.w.QueryRow(`PRAGMA synchronous`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("%s: committed with synchronous=%d, want %d", tt.name, got, tt.want)
		}
	}
	if got := len(gcKeys(t, s)); got != n {
		t.Errorf("%d rows stored, want %d", got, n)
	}
}
