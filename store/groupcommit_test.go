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

// A batch runs every write in its own savepoint: a failing or panicking write
// is undone alone, a write whose caller gave up is not run, and the rest commit.
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
			return boom // after a write: the savepoint must undo "b"
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
	if rest := s.commitBatch(reqs); len(rest) != 0 {
		t.Fatalf("%d writes left over", len(rest))
	}
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

// When SQLite loses the whole transaction under a batch, nothing that ran in it
// may report success, and the writes not yet run go to a fresh transaction.
func TestCommitBatchNeverReportsALostTransactionAsCommitted(t *testing.T) {
	s, _ := openTestStore(t)
	groupCommitTable(t, s)
	ctx := context.Background()
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

// A full disk (SQLite's SQLITE_FULL, here by capping the file's size) fails the
// writes that need space — none reports success, none half-stored — and the
// store takes writes again once there is room.
func TestFullDiskFailsWritesCleanlyAndRecovers(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	var pages int64
	if err := s.w.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
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

	if _, err := s.w.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateApplication(ctx, newApp("sess-full", NewID(), testApplicant("room@example.com", "599999999"))); err != nil {
		t.Errorf("after room came back: %v", err)
	}
}

// A batch of logged writes commits without an fsync (synchronous=NORMAL); one
// synced write in a batch makes its whole commit synced (FULL).
func TestCommitBatchDurabilityFollowsItsWrites(t *testing.T) {
	s, _ := openTestStore(t)
	groupCommitTable(t, s)
	ctx := context.Background()
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
