package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestRecordAPICallsCountsPerKeyAndMonth(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	a, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "a"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "b"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAPICalls(ctx, []string{a.ID, a.ID, b.ID, a.ID}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute) // February
	if err := s.RecordAPICalls(ctx, []string{a.ID, a.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAPICalls(ctx, nil); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		key         string
		total, this int64
	}{{a.ID, 5, 2}, {b.ID, 1, 0}, {"unknown", 0, 0}} {
		u, err := s.APIKeyUsage(ctx, tt.key)
		if err != nil {
			t.Fatal(err)
		}
		if u.Calls != tt.total || u.CallsThisMonth != tt.this {
			t.Errorf("usage of %s = %+v, want calls %d, this month %d", tt.key, u, tt.total, tt.this)
		}
	}

	months, err := s.APIUsageByMonth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []APIMonthlyUsage{{a.ID, "2026-02", 2}}
	jan := []APIMonthlyUsage{{a.ID, "2026-01", 3}, {b.ID, "2026-01", 1}}
	if a.ID > b.ID {
		jan[0], jan[1] = jan[1], jan[0]
	}
	want = append(want, jan...)
	if len(months) != len(want) {
		t.Fatalf("APIUsageByMonth = %+v, want %+v", months, want)
	}
	for i := range want {
		if months[i] != want[i] {
			t.Errorf("APIUsageByMonth[%d] = %+v, want %+v", i, months[i], want[i])
		}
	}
}

func TestRecordAPICallsRejectsUnknownKey(t *testing.T) {
	s, _ := openTestStore(t)
	if err := s.RecordAPICalls(context.Background(), []string{"no-such-key"}); err == nil {
		t.Error("recording a call for a key that does not exist succeeded; the foreign key should refuse it")
	}
}

func TestUsageRecorderCommitsEveryConcurrentCall(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	k1, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "a"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	k2, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "b"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	r := NewUsageRecorder(s)
	const n = 300
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			id := k1.ID
			if i%3 == 0 {
				id = k2.ID
			}
			errs <- r.Record(ctx, id)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Record returned, so each call is committed and visible to a new reader.
	for _, tt := range []struct {
		id   string
		want int64
	}{{k1.ID, n * 2 / 3}, {k2.ID, n / 3}} {
		u, err := s.APIKeyUsage(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Calls != tt.want {
			t.Errorf("calls = %d, want %d", u.Calls, tt.want)
		}
	}
}

func TestUsageRecorderReportsCommitFailure(t *testing.T) {
	s, _ := openTestStore(t)
	r := NewUsageRecorder(s)
	if err := r.Record(context.Background(), "no-such-key"); err == nil {
		t.Error("Record succeeded although the commit must fail (unknown key)")
	}
	k, _, err := s.CreateAPIKey(context.Background(), NewAPIKey{PartnerID: "a"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Record(context.Background(), k.ID); err != nil {
		t.Errorf("a failed batch must not poison the next one: %v", err)
	}
}

// BenchmarkRecordAPICalls commits one batch of billed calls spread over many
// keys, as the Decision API's group commit does under load (many partners).
func BenchmarkRecordAPICalls(b *testing.B) {
	for _, keys := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("%d-keys", keys), func(b *testing.B) {
			s, _ := openTestStore(b)
			ctx := context.Background()
			ids := make([]string, keys)
			for i := range ids {
				k, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: fmt.Sprintf("tenant-%d", i)}, AuditEntry{})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = k.ID
			}
			batch := make([]string, 64)
			for i := range batch {
				batch[i] = ids[i%keys]
			}
			for b.Loop() {
				if err := s.RecordAPICalls(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/call")
		})
	}
}

// A batch over many keys is written in several statements of a few shapes;
// every key gets exactly its calls.
func TestRecordAPICallsOverManyKeys(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	var batch []string
	want := map[string]int64{}
	for i := range 45 + maxUsageRows { // more keys than one statement takes, not a power of two
		k, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: fmt.Sprintf("t%d", i)}, AuditEntry{})
		if err != nil {
			t.Fatal(err)
		}
		for range i%3 + 1 {
			batch = append(batch, k.ID)
			want[k.ID]++
		}
	}
	for range 2 {
		if err := s.RecordAPICalls(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for id, n := range want {
		u, err := s.APIKeyUsage(ctx, id)
		if err != nil || u.Calls != 2*n || u.CallsThisMonth != 2*n {
			t.Errorf("key %s: %+v %v, want %d calls", id, u, err, 2*n)
		}
	}
	for keys, want := range map[int]int{1: 1, 2: 2, 3: 2, 45: 32, 64: 64, 200: 64} {
		if got := recordAPICallsChunk(keys); got != want {
			t.Errorf("recordAPICallsChunk(%d) = %d, want %d", keys, got, want)
		}
	}
}
