package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
)

// Several instances on one database. Each test opens two Stores on the same
// database — two portal instances on PostgreSQL; on SQLite, two processes on one
// file, which SQLite also keeps correct — and races them.

// twoInstances returns two stores on one fresh database, on one clock.
func twoInstances(t *testing.T) (a, b *Store, clock *lcClock) {
	t.Helper()
	a, where := openTestStore(t)
	b = openAgain(t, where)
	clock = &lcClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	a.SetClock(clock.now)
	b.SetClock(clock.now)
	return a, b, clock
}

// Workers of two instances claiming at once never take the same job, and
// between them take every one.
func TestTwoInstancesClaimEachJobOnce(t *testing.T) {
	a, b, _ := twoInstances(t)
	const jobs = 30
	for i := range jobs {
		lcCreate(t, []*Store{a, b}[i%2])
	}
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		st := []*Store{a, b}[w%2]
		owner := fmt.Sprintf("instance%d-worker%d", w%2, w)
		wg.Go(func() {
			for {
				got, err := st.ClaimSubmitJobs(context.Background(), owner, time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					if prev, dup := claimed[j.ID]; dup {
						t.Errorf("job %d claimed by %s and %s", j.ID, prev, owner)
					}
					claimed[j.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != jobs {
		t.Errorf("%d of %d jobs claimed", len(claimed), jobs)
	}
}

// The mail outbox too: each email is claimed by one instance per attempt,
// however many claim at once.
func TestTwoInstancesClaimEachEmailOnce(t *testing.T) {
	a, b, _ := twoInstances(t)
	const emails = 20
	for i := range emails {
		lcCreate(t, []*Store{a, b}[i%2]) // each queues its "application received" email
	}
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		st := []*Store{a, b}[w%2]
		owner := fmt.Sprintf("instance%d-mailer%d", w%2, w)
		wg.Go(func() {
			for {
				got, err := st.ClaimMailJobs(context.Background(), owner, time.Minute, 2)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, j := range got {
					if prev, dup := claimed[j.ID]; dup {
						t.Errorf("email %d claimed by %s and %s", j.ID, prev, owner)
					}
					claimed[j.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != emails {
		t.Errorf("%d of %d emails claimed", len(claimed), emails)
	}
}

// A job whose instance died holding it (lease never extended, never finished)
// is taken over by the other instance once the lease ran out, not before; the
// dead instance's late answer cannot extend it back.
func TestALeaseOfADeadInstanceIsTakenOver(t *testing.T) {
	a, b, clock := twoInstances(t)
	ctx := context.Background()
	app := lcCreate(t, a)
	job, err := a.ClaimSubmitJob(ctx, "instance-a", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil { // the instance dies with the job in hand
		t.Fatal(err)
	}
	if _, err := b.ClaimSubmitJob(ctx, "instance-b", 10*time.Second); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim while the dead instance's lease runs: %v, want ErrNotFound", err)
	}
	clock.advance(10 * time.Second)
	again, err := b.ClaimSubmitJob(ctx, "instance-b", 10*time.Second)
	if err != nil || again.ID != job.ID || again.ApplicationID != app.ID || again.Tries != 2 {
		t.Fatalf("claim after the lease ran out = %+v, %v; want job %d on its second try", again, err, job.ID)
	}
	if err := b.ExtendJobLease(ctx, job.ID, "instance-a", time.Minute); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the old owner extended a lease it lost: %v", err)
	}
}

// The same idempotency key submitted to both instances at once (a borrower's
// double click across a load balancer) makes one application.
func TestTwoInstancesOneIdempotencyKey(t *testing.T) {
	a, b, _ := twoInstances(t)
	for round := range 5 {
		key := NewID()
		applicant := testApplicant(fmt.Sprintf("twice%d@example.com", round), fmt.Sprintf("%09d", 300000000+round))
		ids := make([]string, 6)
		created := atomic.Int64{}
		var wg sync.WaitGroup
		for i := range ids {
			st := []*Store{a, b}[i%2]
			wg.Go(func() {
				app, c, err := st.CreateApplication(context.Background(), newApp("sess-twice", key, applicant))
				if err != nil {
					t.Error(err)
					return
				}
				if c {
					created.Add(1)
				}
				ids[i] = app.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("round %d: one key made applications %v", round, ids)
			}
		}
		if created.Load() != 1 {
			t.Errorf("round %d: %d submits said they created the application", round, created.Load())
		}
	}
	var n int
	if err := a.r.QueryRow(`SELECT count(*) FROM applications`).Scan(&n); err != nil || n != 5 {
		t.Errorf("%d applications stored (%v), want 5", n, err)
	}
}

// Two people applying with one SSN at the same moment, one through each
// instance: screening sees the other application either way, so exactly one of
// the two is held for review.
func TestTwoInstancesScreenOneSSNTogether(t *testing.T) {
	a, b, _ := twoInstances(t)
	for round := range 20 {
		ssn := fmt.Sprintf("%09d", 400000000+round)
		held := atomic.Int64{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, st := range []*Store{a, b} {
			wg.Go(func() {
				<-start
				applicant := testApplicant(fmt.Sprintf("same%d-%d@example.com", round, i), ssn)
				applicant.FirstName = []string{"Alex", "Blake"}[i]
				in := newApp("sess", NewID(), applicant)
				in.ClientIP = fmt.Sprintf("198.18.%d.%d", round, i) // only the SSN rule may hold them
				app, _, err := st.CreateApplication(context.Background(), in)
				if err != nil {
					t.Error(err)
					return
				}
				if app.Review.Status == lending.ReviewManualReview {
					held.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if held.Load() != 1 {
			t.Errorf("round %d: %d of the two applications sharing an SSN held for review, want 1", round, held.Load())
		}
	}
}

// Wrong passwords from one client sent to both instances at once are all
// counted: exactly lending.SignInFreeFailures of them get their password
// checked before the client is blocked on that account, however they are
// spread over the instances.
func TestSignInThrottleIsSharedByInstances(t *testing.T) {
	a, b, _ := twoInstances(t)
	ctx := context.Background()
	if _, err := a.CreateOfficer(ctx, NewOfficer{Email: "jo@partner.example", Role: lending.RoleOfficer,
		Password: "correct horse battery staple"}); err != nil {
		t.Fatal(err)
	}
	var checked, throttled atomic.Int64
	var wg sync.WaitGroup
	for i := range 16 {
		st := []*Store{a, b}[i%2]
		wg.Go(func() {
			_, err := st.SignIn(ctx, SignInAttempt{Email: "jo@partner.example", Password: "wrong guess",
				IP: "198.51.100.7"})
			switch {
			case errors.Is(err, ErrBadCredentials):
				checked.Add(1)
			case errors.Is(err, ErrThrottled):
				throttled.Add(1)
			default:
				t.Errorf("attempt %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if checked.Load() != lending.SignInFreeFailures || throttled.Load() != 16-lending.SignInFreeFailures {
		t.Errorf("%d attempts checked, %d throttled; want %d checked, the rest throttled",
			checked.Load(), throttled.Load(), lending.SignInFreeFailures)
	}
	var failures int
	if err := a.r.QueryRow(`SELECT failures FROM signin_throttle WHERE throttle_key = ?`, lending.SignInThrottleKeys("jo@partner.example", "198.51.100.7")[0]).
		Scan(&failures); err != nil || failures != lending.SignInFreeFailures {
		t.Errorf("account counter = %d (%v), want %d", failures, err, lending.SignInFreeFailures)
	}
}

// An officer session started on one instance signs the officer in on the
// other, and signing out on either ends it on both.
func TestOfficerSessionsAreSharedByInstances(t *testing.T) {
	a, b, _ := twoInstances(t)
	ctx := context.Background()
	o, err := a.CreateOfficer(ctx, NewOfficer{Email: "kim@partner.example", Role: lending.RoleOfficer,
		Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := a.StartOfficerSession(ctx, o.ID, "", "192.0.2.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.OfficerSession(ctx, token); err != nil || got.ID != o.ID {
		t.Fatalf("session of instance a on instance b: %+v, %v", got, err)
	}
	if err := b.EndOfficerSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OfficerSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after signing out on b, a still accepts the session: %v", err)
	}
}

// A key's rate limit is the key's: N requests a minute in all, however they
// are spread over the instances, and a new window gives N again.
func TestRateLimitIsSharedByInstances(t *testing.T) {
	a, b, clock := twoInstances(t)
	ctx := context.Background()
	limiters := []*RateLimiter{NewRateLimiter(a), NewRateLimiter(b)}
	allowed := func(key string, limit, requests int) int {
		var n atomic.Int64
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := w; i < requests; i += 8 {
					d, err := limiters[i%2].Take(ctx, key, limit, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						n.Add(1)
					}
					if d.Limit != limit || d.Reset <= 0 || d.Reset > time.Minute || d.Remaining < 0 || d.Remaining > limit {
						t.Errorf("decision %+v", d)
					}
				}
			})
		}
		wg.Wait()
		return int(n.Load())
	}
	// 50 a minute: one request per lease; 1,000: leases of 10, which each
	// instance uses up while requests keep coming.
	for _, limit := range []int{50, 1000} {
		key := fmt.Sprint("key-", limit)
		if got := allowed(key, limit, 3*limit); got != limit {
			t.Errorf("limit %d: %d of %d requests allowed in one window across two instances, want %d", limit, got, 3*limit, limit)
		}
	}
	if d, _ := limiters[0].Take(ctx, "key-other", 50, time.Minute); !d.Allowed || d.Remaining != 49 {
		t.Errorf("another key's first request: %+v", d)
	}
	clock.advance(time.Minute)
	if got := allowed("key-50", 50, 100); got != 50 {
		t.Errorf("next window: %d allowed, want 50", got)
	}
}

// A partner suspended through one instance is refused by the other's API key
// finder: on PostgreSQL as soon as the announcement arrives (the clock does
// not move, so the cache's TTL plays no part), on SQLite once the TTL ends.
func TestPartnerSuspensionIsHonouredByTheOtherInstance(t *testing.T) {
	a, b, clock := twoInstances(t)
	ctx := context.Background()
	waitListening(t, a)
	finder := NewAPIKeyFinder(a)
	_, secret, err := b.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := finder.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ChangePartnerStatus(ctx, "acme", lending.PartnerSuspend, AuditEntry{OfficerID: "adm"}); err != nil {
		t.Fatal(err)
	}
	if !a.d.postgres {
		clock.advance(apiKeyCacheTTL)
	}
	suspended := time.Now()
	for {
		_, err := finder.APIKeyBySecret(ctx, secret)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if time.Since(suspended) > 10*time.Second {
			t.Fatalf("the other instance's suspension not honoured after 10 s: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("suspension honoured by the other instance after %v", time.Since(suspended).Round(time.Millisecond))
}

// One Idempotency-Key sent to both instances at once is claimed by exactly one
// request; every other is told the first is in progress, and once it finished
// either instance replays its response.
func TestIdempotencyKeyIsClaimedOnceAcrossInstances(t *testing.T) {
	a, b, _ := twoInstances(t)
	ctx := context.Background()
	for round := range 5 {
		r := IdempotentRequest{Scope: "acme", Key: fmt.Sprintf("key-%d", round), Method: "POST",
			Path: "/api/v1/journeys", RequestHash: "h"}
		var claimed, inProgress atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 6 {
			st := []*Store{a, b}[i%2]
			wg.Go(func() {
				<-start
				replay, err := st.BeginIdempotent(ctx, r)
				switch {
				case err == nil && replay == nil:
					claimed.Add(1)
				case errors.Is(err, ErrIdempotencyInProgress):
					inProgress.Add(1)
				default:
					t.Errorf("round %d: replay %v, error %v", round, replay, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if claimed.Load() != 1 || inProgress.Load() != 5 {
			t.Fatalf("round %d: %d claims and %d in progress, want 1 and 5", round, claimed.Load(), inProgress.Load())
		}
		if err := []*Store{a, b}[round%2].FinishIdempotent(ctx, r, StoredResponse{Status: 201, Body: []byte(`{"id":"x"}`)}); err != nil {
			t.Fatal(err)
		}
		for _, st := range []*Store{a, b} {
			replay, err := st.BeginIdempotent(ctx, r)
			if err != nil || replay == nil || replay.Status != 201 || string(replay.Body) != `{"id":"x"}` {
				t.Errorf("round %d: replay %+v, %v; want the stored 201", round, replay, err)
			}
		}
	}
}

// Partner events of one application written by both instances at once are
// numbered 1, 2, 3, … without a gap or a repeat.
func TestPartnerEventSequenceAcrossInstances(t *testing.T) {
	a, b, _ := twoInstances(t)
	app := lcCreate(t, a)
	const events = 20
	var wg sync.WaitGroup
	for i := range events {
		st := []*Store{a, b}[i%2]
		wg.Go(func() {
			err := st.inTx(context.Background(), func(tx *sql.Tx) error {
				_, err := st.addPartnerEvent(context.Background(), tx, NewPartnerEvent{ApplicationID: app.ID,
					Type: "journey.snapshot", PayloadVersion: 1, Payload: map[string]int{"n": i}})
				return err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	evs, err := b.PartnerEvents(context.Background(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, e := range evs {
		seen[e.Sequence] = true
	}
	for n := int64(1); n <= events; n++ {
		if !seen[n] {
			t.Errorf("sequence %d missing", n)
		}
	}
	if len(evs) != events || len(seen) != events {
		t.Errorf("%d events with %d distinct sequences, want %d", len(evs), len(seen), events)
	}
}

// Webhook senders of two instances claiming at once never take the same
// delivery (each attempt is sent once), and between them take every one.
func TestTwoInstancesClaimEachWebhookDeliveryOnce(t *testing.T) {
	a, b, _ := twoInstances(t)
	ctx := context.Background()
	if _, _, err := a.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	ep, err := a.CreateWebhookEndpoint(ctx, NewWebhookEndpoint{PartnerID: "acme", URL: "https://hooks.example/acme",
		EventTypes: []string{lending.EventWebhookTest}, Secret: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ="})
	if err != nil {
		t.Fatal(err)
	}
	const deliveries = 40
	for range deliveries {
		if _, err := a.SendWebhookTestEvent(ctx, "acme", ep.ID); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 6 {
		st := []*Store{a, b}[w%2]
		owner := fmt.Sprintf("instance%d-sender%d", w%2, w)
		wg.Go(func() {
			for {
				got, err := st.ClaimWebhookDeliveries(ctx, owner, time.Minute, 3, deliveries)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					if prev, dup := claimed[d.DeliveryID]; dup {
						t.Errorf("delivery %d claimed by %s and %s", d.DeliveryID, prev, owner)
					}
					claimed[d.DeliveryID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != deliveries {
		t.Errorf("%d deliveries claimed, want %d", len(claimed), deliveries)
	}
}
