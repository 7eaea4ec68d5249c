package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
)

// lcClock is a settable clock for the lead lifecycle tests.
type lcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lcClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *lcClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lcStore is a store on a real SQLite file with a clock the test moves.
func lcStore(t *testing.T) (*Store, *lcClock) {
	t.Helper()
	s, _ := openTestStore(t)
	clock := &lcClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s.SetClock(clock.now)
	return s, clock
}

var lcSeq atomic.Int64 // PostgreSQL tests run in parallel

// lcCreate stores a fresh application (with its submit job) and returns it.
func lcCreate(t *testing.T, s *Store) lending.Application {
	t.Helper()
	seq := lcSeq.Add(1)
	a := testApplicant(fmt.Sprintf("lead%d@example.com", seq), fmt.Sprintf("%09d", 100000000+seq))
	a.FirstName = fmt.Sprintf("Lead%c", 'a'+seq%26)
	app, _, err := s.CreateApplication(context.Background(), NewApplication{SessionID: "sess", IdempotencyKey: NewID(),
		Applicant: a, LeadTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// lcSubmitted stores an application whose lead the platform accepted as uuid.
func lcSubmitted(t *testing.T, s *Store, clock *lcClock, uuid string) lending.Application {
	t.Helper()
	app := lcCreate(t, s)
	job := SubmitJob{ApplicationID: app.ID, Tries: 1, Owner: "w1"}
	if err := s.r.QueryRow(`SELECT id FROM jobs WHERE application_id = ? AND done_at_ms IS NULL`, app.ID).Scan(&job.ID); err != nil {
		t.Fatalf("submit job of %s: %v", app.ID, err)
	}
	if err := s.RecordLeadCreated(context.Background(), LeadCreated{Job: job, Attempt: 1, UUID: uuid,
		Status: lending.LeadCreated, FirstPoll: clock.now().Add(5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	return lcApp(t, s, app.ID)
}

func lcApp(t *testing.T, s *Store, id string) lending.Application {
	t.Helper()
	app, err := s.Application(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func lcEvents(t *testing.T, s *Store, id, kind string) []lending.Event {
	t.Helper()
	all, err := s.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []lending.Event
	for _, e := range all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func lcOffer(id string, r lending.AmountRange) lending.Offer {
	return lending.Offer{ProductID: id, LenderName: "Acme", AmountRange: r, LoanAmount: 12000_00, TermMonths: 36,
		APR: 1299, InterestRate: 1149, MonthlyPayment: 395_65, TotalRepayment: 14243_40, TotalInterest: 2243_40,
		OriginationFee: 240_00, LenderOfferURL: "https://lender.example/o/" + id, Disclaimer: "Subject to verification."}
}

func TestClaimSubmitJobLeasesAndReleasesOnExpiry(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	first := lcCreate(t, s)
	clock.advance(time.Second)
	second := lcCreate(t, s)

	job, err := s.ClaimSubmitJob(ctx, "w1", 10*time.Second)
	if err != nil || job.ApplicationID != first.ID || job.Tries != 1 || job.Owner != "w1" {
		t.Fatalf("first claim = %+v, %v; want the oldest job", job, err)
	}
	job2, err := s.ClaimSubmitJob(ctx, "w2", 10*time.Second)
	if err != nil || job2.ApplicationID != second.ID {
		t.Fatalf("second claim = %+v, %v; want the other job", job2, err)
	}
	if _, err := s.ClaimSubmitJob(ctx, "w3", 10*time.Second); !errors.Is(err, ErrNotFound) {
		t.Fatalf("third claim err = %v, want ErrNotFound while both are leased", err)
	}

	// w1 keeps its job alive; w2 dies.
	clock.advance(8 * time.Second)
	if err := s.ExtendJobLease(ctx, job.ID, "w1", 10*time.Second); err != nil {
		t.Fatalf("extend own lease: %v", err)
	}
	if err := s.ExtendJobLease(ctx, job.ID, "w3", 10*time.Second); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("extend someone else's lease: %v, want ErrLeaseLost", err)
	}
	clock.advance(3 * time.Second)
	again, err := s.ClaimSubmitJob(ctx, "w3", 10*time.Second)
	if err != nil || again.ID != job2.ID || again.Tries != 2 || again.Owner != "w3" {
		t.Fatalf("claim after w2's lease ran out = %+v, %v; want job %d on its second try", again, err, job2.ID)
	}
	if _, err := s.ClaimSubmitJob(ctx, "w4", 10*time.Second); !errors.Is(err, ErrNotFound) {
		t.Fatalf("w1's extended job was claimable: %v", err)
	}
}

func TestClaimSubmitJobIsExclusiveUnderConcurrency(t *testing.T) {
	s, _ := lcStore(t)
	for range 5 {
		lcCreate(t, s)
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job, err := s.ClaimSubmitJob(context.Background(), fmt.Sprintf("w%d", i), time.Minute)
			if errors.Is(err, ErrNotFound) {
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			claimed[job.ID]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(claimed) != 5 {
		t.Errorf("claimed %d distinct jobs, want 5", len(claimed))
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("job %d claimed %d times", id, n)
		}
	}
}

func TestLeadRequestForOpensTheSSN(t *testing.T) {
	s, _ := lcStore(t)
	app := lcCreate(t, s)
	req, err := s.LeadRequestFor(context.Background(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Applicant.SSN) != 9 || !strings.HasSuffix(req.Applicant.SSN, app.SSNLast4) {
		t.Errorf("SSN %q does not end in %q", req.Applicant.SSN, app.SSNLast4)
	}
	if req.Applicant.DOB.Format(time.DateOnly) != "1990-04-12" || req.Applicant.RequestedAmount != 15000_00 {
		t.Errorf("applicant = %+v", req.Applicant)
	}
	if req.PartnerLeadID != app.PartnerLeadID || req.CorrelationID != app.CorrelationID || req.Attempt != 1 {
		t.Errorf("ids = %s %s %d", req.PartnerLeadID, req.CorrelationID, req.Attempt)
	}
	if printed := fmt.Sprintf("%v %+v %s", req, req, req); strings.Contains(printed, req.Applicant.SSN) || strings.Contains(printed, "1990-04-12") {
		t.Errorf("printing a lead request shows the SSN or date of birth: %s", printed)
	}
	if got, want := req.IdempotencyKey(), app.ID+"-1"; got != want {
		t.Errorf("IdempotencyKey = %q, want %q", got, want)
	}
	if why := req.Blocker(); why != "" {
		t.Errorf("a fresh application is blocked: %s", why)
	}
	if _, err := s.LeadRequestFor(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestLeadRequestBlocker(t *testing.T) {
	ok := LeadRequest{Status: lending.LeadCreated, Review: lending.ReviewPending}
	tests := []struct {
		name    string
		mutate  func(*LeadRequest)
		blocked bool
	}{
		{"fresh", func(*LeadRequest) {}, false},
		{"approved after review", func(r *LeadRequest) { r.Review = lending.ReviewApproved }, false},
		{"held", func(r *LeadRequest) { r.Review = lending.ReviewManualReview }, true},
		{"denied", func(r *LeadRequest) { r.Review = lending.ReviewDenied }, true},
		{"canceled", func(r *LeadRequest) { r.Review = lending.ReviewCanceled }, true},
		{"refused before", func(r *LeadRequest) { r.SubmitError = "{}" }, true},
		{"lead exists", func(r *LeadRequest) { r.LeadUUID = "u" }, true},
		{"timed out", func(r *LeadRequest) { r.Status = lending.LeadTimedOut }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mutate(&r)
			if got := r.Blocker() != ""; got != tt.blocked {
				t.Errorf("blocked = %v (%q), want %v", got, r.Blocker(), tt.blocked)
			}
		})
	}
}

func TestRecordLeadCreated(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcSubmitted(t, s, clock, "lead-1")
	if app.Lead.UUID != "lead-1" || app.Lead.Status != lending.LeadCreated || app.Lead.SubmittedAt.IsZero() {
		t.Errorf("lead = %+v", app.Lead)
	}
	if open, _ := s.OpenSubmitJobs(ctx, app.ID); open != 0 {
		t.Errorf("%d open submit jobs after the lead was created", open)
	}
	if got := len(lcEvents(t, s, app.ID, lending.EventLeadCreated)); got != 1 {
		t.Errorf("%d lead_created events", got)
	}
	if got := lcEvents(t, s, app.ID, lending.EventSubmitAttempt); len(got) != 1 || !strings.Contains(got[0].Detail, "accepted") {
		t.Errorf("submit_attempt events = %+v", got)
	}
}

// A job's lease can run out while its worker still waits on the platform (a
// loaded machine); a second claimant then submits again under the same
// idempotency key and gets the same lead. Recording that lead twice records it
// once.
func TestRecordLeadCreatedTwiceForOneJobRecordsItOnce(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	first, err := s.ClaimSubmitJob(ctx, "w1", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Second)
	second, err := s.ClaimSubmitJob(ctx, "w2", time.Second)
	if err != nil || second.ID != first.ID {
		t.Fatalf("second claim: %+v %v", second, err)
	}
	for _, job := range []SubmitJob{second, first} {
		if err := s.RecordLeadCreated(ctx, LeadCreated{Job: job, Attempt: 1, UUID: "lead-1", Status: lending.LeadCreated,
			FirstPoll: clock.now()}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(lcEvents(t, s, app.ID, lending.EventLeadCreated)); got != 1 {
		t.Errorf("%d lead_created events for one lead", got)
	}
	if got := lcApp(t, s, app.ID); got.Lead.UUID != "lead-1" || got.Lead.Status != lending.LeadCreated {
		t.Errorf("lead = %+v", got.Lead)
	}
}

func TestRecordLeadCreatedForASupersededAttemptChangesNothing(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	job, err := s.ClaimSubmitJob(ctx, "w1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Meanwhile the lead timed out and the borrower retried.
	clock.advance(3 * time.Minute)
	if _, err := s.MarkTimedOut(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RetryLead(ctx, app.ID, 2*time.Minute, lending.SourceBorrower, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordLeadCreated(ctx, LeadCreated{Job: job, Attempt: 1, UUID: "old-lead", Status: lending.LeadCreated,
		FirstPoll: clock.now()}); err != nil {
		t.Fatal(err)
	}
	got := lcApp(t, s, app.ID)
	if got.Lead.UUID != "" || got.Lead.Attempt != 2 || got.Lead.Status != lending.LeadCreated {
		t.Errorf("lead after a stale answer = %+v", got.Lead)
	}
	if open, _ := s.OpenSubmitJobs(ctx, app.ID); open != 1 {
		t.Errorf("open submit jobs = %d, want attempt 2's", open)
	}
}

func TestRecordSubmitFailure(t *testing.T) {
	t.Run("transient failure reschedules the job", func(t *testing.T) {
		s, clock := lcStore(t)
		ctx := context.Background()
		app := lcCreate(t, s)
		job, _ := s.ClaimSubmitJob(ctx, "w1", time.Minute)
		err := s.RecordSubmitFailure(ctx, SubmitFailure{Job: job, Attempt: 1, Reason: "HTTP 503", Retry: true,
			RetryAt: clock.now().Add(4 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimSubmitJob(ctx, "w1", time.Minute); !errors.Is(err, ErrNotFound) {
			t.Fatalf("job claimable before its retry time: %v", err)
		}
		clock.advance(4 * time.Second)
		again, err := s.ClaimSubmitJob(ctx, "w2", time.Minute)
		if err != nil || again.ID != job.ID || again.Tries != 2 {
			t.Fatalf("claim after backoff = %+v, %v", again, err)
		}
		if got := lcApp(t, s, app.ID); got.Lead.SubmitError != "" {
			t.Errorf("transient failure set submit_error %q", got.Lead.SubmitError)
		}
		if ev := lcEvents(t, s, app.ID, lending.EventSubmitAttempt); len(ev) != 1 || !strings.Contains(ev[0].Detail, "HTTP 503") {
			t.Errorf("submit_attempt events = %+v", ev)
		}
	})
	t.Run("validation refusal is kept and not retried", func(t *testing.T) {
		s, clock := lcStore(t)
		ctx := context.Background()
		app := lcCreate(t, s)
		job, _ := s.ClaimSubmitJob(ctx, "w1", time.Minute)
		fields := map[string][]string{"borrower.phone": {"must be ten digits"}}
		if err := s.RecordSubmitFailure(ctx, SubmitFailure{Job: job, Attempt: 1, Reason: "platform: HTTP 400: invalid lead",
			FieldErrors: fields}); err != nil {
			t.Fatal(err)
		}
		clock.advance(time.Hour)
		if _, err := s.ClaimSubmitJob(ctx, "w1", time.Minute); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a refused lead's job is claimable again: %v", err)
		}
		got := lcApp(t, s, app.ID)
		var stored submitError
		if err := json.Unmarshal([]byte(got.Lead.SubmitError), &stored); err != nil {
			t.Fatalf("submit_error %q: %v", got.Lead.SubmitError, err)
		}
		if stored.Error != "platform: HTTP 400: invalid lead" || stored.FieldErrors["borrower.phone"][0] != "must be ten digits" {
			t.Errorf("submit_error = %+v", stored)
		}
		if j, _ := got.Journey(); j != lending.JourneyClosed {
			t.Errorf("journey = %s, want CLOSED (contact support)", j)
		}
		if len(lcEvents(t, s, app.ID, lending.EventSubmitFailed)) != 1 {
			t.Error("no submit_failed event")
		}
		// A refused application never times out: it has an answer.
		if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 0 {
			t.Errorf("refused application timed out: %v", ids)
		}
	})
}

func TestCloseSubmitJob(t *testing.T) {
	s, _ := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	job, _ := s.ClaimSubmitJob(ctx, "w1", time.Minute)
	if err := s.CloseSubmitJob(ctx, job, "review status is Canceled"); err != nil {
		t.Fatal(err)
	}
	if open, _ := s.OpenSubmitJobs(ctx, app.ID); open != 0 {
		t.Errorf("job still open")
	}
	if ev := lcEvents(t, s, app.ID, lending.EventSubmitAttempt); len(ev) != 1 || !strings.Contains(ev[0].Detail, "Canceled") {
		t.Errorf("events = %+v", ev)
	}
}

func TestApplyLeadUpdateNeverMovesBackwards(t *testing.T) {
	tests := []struct {
		name     string
		sequence []lending.LeadStatus
		want     lending.LeadStatus
		changes  int
	}{
		{"in order", []lending.LeadStatus{"in_progress", "finding_products", "offers_found"}, "offers_found", 3},
		{"terminal first, stale after", []lending.LeadStatus{"offers_found", "in_progress", "finding_products", "created"}, "offers_found", 1},
		{"skips ahead", []lending.LeadStatus{"finding_products", "in_progress"}, "finding_products", 1},
		{"no_offers is final", []lending.LeadStatus{"no_offers", "offers_found", "timed_out"}, "no_offers", 1},
		{"late answer upgrades platform timeout", []lending.LeadStatus{"timed_out", "offers_found"}, "offers_found", 2},
		{"selection after offers", []lending.LeadStatus{"offers_found", "product_selected", "offers_found"}, "product_selected", 2},
		{"selection without offers is ignored", []lending.LeadStatus{"product_selected"}, "created", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock := lcStore(t)
			app := lcSubmitted(t, s, clock, "lead-x")
			for i, st := range tt.sequence {
				clock.advance(time.Second)
				_, err := s.ApplyLeadUpdate(context.Background(), LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-x", Status: st},
					Source: lending.SourceCallback, WebhookID: fmt.Sprintf("msg_%d", i)})
				if err != nil {
					t.Fatal(err)
				}
			}
			got := lcApp(t, s, app.ID)
			if got.Lead.Status != tt.want {
				t.Errorf("status = %s, want %s", got.Lead.Status, tt.want)
			}
			changes := lcEvents(t, s, app.ID, lending.EventStatusChanged)
			if len(changes) != tt.changes {
				t.Errorf("%d status_changed events, want %d: %+v", len(changes), tt.changes, changes)
			}
			if n := len(lcEvents(t, s, app.ID, lending.EventCallbackAccepted)); n != len(tt.sequence) {
				t.Errorf("%d callback_accepted events, want %d", n, len(tt.sequence))
			}
		})
	}
}

func TestApplyLeadUpdateStoresResults(t *testing.T) {
	ctx := context.Background()
	t.Run("offers replace earlier products and stop polling", func(t *testing.T) {
		s, clock := lcStore(t)
		app := lcSubmitted(t, s, clock, "lead-o")
		offers := []lending.Offer{lcOffer("p1", lending.RangeRequested), lcOffer("p2", lending.RangeLower)}
		res, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-o", Status: lending.LeadOffersFound, Offers: offers},
			Source: lending.SourceCallback, WebhookID: "msg_1"})
		if err != nil || !res.Changed || res.ApplicationID != app.ID || res.From != lending.LeadCreated || res.To != lending.LeadOffersFound {
			t.Fatalf("result = %+v, %v", res, err)
		}
		stored, err := s.LeadOffers(ctx, app.ID)
		if err != nil || len(stored) != 2 || stored[0] != offers[0] || stored[1] != offers[1] {
			t.Fatalf("stored offers = %+v, %v", stored, err)
		}
		got := lcApp(t, s, app.ID)
		if got.Lead.TerminalAt.IsZero() || got.Lead.LastCallbackAt.IsZero() {
			t.Errorf("lead = %+v", got.Lead)
		}
		clock.advance(time.Hour)
		if due, _ := s.ClaimDuePolls(ctx, 0, time.Minute, 10); len(due) != 0 {
			t.Errorf("a terminal lead is due for polling: %+v", due)
		}
		// The platform later reports the borrower's click-through.
		if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-o", Status: lending.LeadProductSelected, SelectedProductID: "p2"},
			Source: lending.SourceCallback, WebhookID: "msg_2"}); err != nil {
			t.Fatal(err)
		}
		got = lcApp(t, s, app.ID)
		if got.Lead.Status != lending.LeadProductSelected || got.Lead.SelectedProductID != "p2" || got.Lead.SelectedAt.IsZero() {
			t.Errorf("after selection: %+v", got.Lead)
		}
		if stored, _ := s.LeadOffers(ctx, app.ID); len(stored) != 2 {
			t.Errorf("a selection without products dropped the offers: %d left", len(stored))
		}
	})
	t.Run("no offers keeps the raw notice", func(t *testing.T) {
		s, clock := lcStore(t)
		app := lcSubmitted(t, s, clock, "lead-n")
		notice := `<p>Declined</p><script>alert(1)</script>`
		if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-n", Status: lending.LeadNoOffers, AdverseActionNotice: &notice},
			Source: lending.SourcePoller}); err != nil {
			t.Fatal(err)
		}
		got := lcApp(t, s, app.ID)
		if got.Lead.Status != lending.LeadNoOffers || got.Lead.AdverseActionNotice != notice {
			t.Errorf("lead = %+v", got.Lead)
		}
		if !got.Lead.LastCallbackAt.IsZero() {
			t.Error("a poll counted as a callback")
		}
		if ev := lcEvents(t, s, app.ID, lending.EventPolled); len(ev) != 1 || ev[0].Source != lending.SourcePoller {
			t.Errorf("polled events = %+v", ev)
		}
		if ev := lcEvents(t, s, app.ID, lending.EventStatusChanged); len(ev) != 1 || ev[0].Source != lending.SourcePoller {
			t.Errorf("status_changed events = %+v", ev)
		}
	})
	t.Run("unknown and not yet recorded leads", func(t *testing.T) {
		s, _ := lcStore(t)
		app := lcCreate(t, s)
		_, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "nobody", PartnerLeadID: "pl_nobody", Status: lending.LeadOffersFound},
			Source: lending.SourceCallback, WebhookID: "msg_a"})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown lead: %v, want ErrNotFound", err)
		}
		_, err = s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "fresh", PartnerLeadID: app.PartnerLeadID, Status: lending.LeadInProgress},
			Source: lending.SourceCallback, WebhookID: "msg_b"})
		if !errors.Is(err, ErrLeadNotRecorded) {
			t.Errorf("lead of a submission in flight: %v, want ErrLeadNotRecorded", err)
		}
		// Neither consumed its webhook id: the retried delivery must still apply.
		var receipts int
		if err := s.r.QueryRow(`SELECT count(*) FROM webhook_receipts`).Scan(&receipts); err != nil || receipts != 0 {
			t.Errorf("receipts = %d, %v", receipts, err)
		}
	})
}

func TestApplyLeadUpdateDropsRepeatedWebhookIDs(t *testing.T) {
	s, clock := lcStore(t)
	app := lcSubmitted(t, s, clock, "lead-d")
	update := LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-d", Status: lending.LeadOffersFound, Offers: []lending.Offer{lcOffer("p1", lending.RangeRequested)}},
		Source: lending.SourceCallback, WebhookID: "msg_same"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	changed, duplicates := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.ApplyLeadUpdate(context.Background(), update)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if res.Changed {
				changed++
			}
			if res.Duplicate {
				duplicates++
			}
		}()
	}
	wg.Wait()
	if changed != 1 || duplicates != 19 {
		t.Errorf("changed %d, duplicates %d; want 1 and 19", changed, duplicates)
	}
	if n := len(lcEvents(t, s, app.ID, lending.EventStatusChanged)); n != 1 {
		t.Errorf("%d status_changed events, want 1", n)
	}
	if n := len(lcEvents(t, s, app.ID, lending.EventCallbackDuplicate)); n != 19 {
		t.Errorf("%d callback_duplicate events, want 19", n)
	}
}

func TestClaimDuePolls(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	quiet, every := 15*time.Second, 15*time.Second
	polled := lcSubmitted(t, s, clock, "lead-p") // first poll 5 s after submission
	talking := lcSubmitted(t, s, clock, "lead-t")
	lcCreate(t, s) // never submitted: nothing to poll

	if due, _ := s.ClaimDuePolls(ctx, quiet, every, 10); len(due) != 0 {
		t.Fatalf("due before the first poll time: %+v", due)
	}
	clock.advance(4 * time.Second)
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-t", Status: lending.LeadInProgress},
		Source: lending.SourceCallback, WebhookID: "msg_t"}); err != nil {
		t.Fatal(err)
	}
	clock.advance(2 * time.Second)
	due, err := s.ClaimDuePolls(ctx, quiet, every, 10)
	if err != nil || len(due) != 1 || due[0].ApplicationID != polled.ID || due[0].UUID != "lead-p" || due[0].CorrelationID != polled.CorrelationID {
		t.Fatalf("due = %+v, %v; want only the lead without callbacks", due, err)
	}
	if again, _ := s.ClaimDuePolls(ctx, quiet, every, 10); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	clock.advance(every)
	due, _ = s.ClaimDuePolls(ctx, quiet, every, 10)
	if len(due) != 2 {
		t.Fatalf("after the interval %d due, want both (the callbacks went quiet)", len(due))
	}
	if due[0].ApplicationID == due[1].ApplicationID || (due[0].ApplicationID != talking.ID && due[1].ApplicationID != talking.ID) {
		t.Errorf("due = %+v", due)
	}
}

func TestMarkTimedOut(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	submitted := lcSubmitted(t, s, clock, "lead-late")    // deadline 2 min after submission
	unsent := lcCreate(t, s)                              // its submit job keeps failing
	answered := lcSubmitted(t, s, clock, "lead-answered") // gets its answer in time
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-answered", Status: lending.LeadNoOffers},
		Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	clock.advance(119 * time.Second)
	if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 0 {
		t.Fatalf("timed out before the deadline: %v", ids)
	}
	clock.advance(2 * time.Second)
	ids, err := s.MarkTimedOut(ctx, 2*time.Minute)
	if err != nil || len(ids) != 2 {
		t.Fatalf("timed out %v, %v; want the submitted and the unsent lead", ids, err)
	}
	for _, id := range []string{submitted.ID, unsent.ID} {
		got := lcApp(t, s, id)
		if got.Lead.Status != lending.LeadTimedOut || got.Lead.TerminalAt.IsZero() {
			t.Errorf("%s: lead = %+v", id, got.Lead)
		}
		if ev := lcEvents(t, s, id, lending.EventTimedOut); len(ev) != 1 || ev[0].StatusTo != string(lending.LeadTimedOut) {
			t.Errorf("%s: timed_out events = %+v", id, ev)
		}
	}
	if got := lcApp(t, s, answered.ID); got.Lead.Status != lending.LeadNoOffers {
		t.Errorf("an answered lead became %s", got.Lead.Status)
	}
	if open, _ := s.OpenSubmitJobs(ctx, unsent.ID); open != 0 {
		t.Errorf("the unsent lead's job is still open")
	}
	// The timed-out lead gets one last look, then none.
	due, _ := s.ClaimDuePolls(ctx, time.Second, time.Second, 10)
	if len(due) != 1 || due[0].ApplicationID != submitted.ID {
		t.Fatalf("last look = %+v", due)
	}
	clock.advance(time.Hour)
	if due, _ := s.ClaimDuePolls(ctx, time.Second, time.Second, 10); len(due) != 0 {
		t.Errorf("timed-out lead polled again: %+v", due)
	}
	// A late platform answer still upgrades our own timeout.
	res, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-late", Status: lending.LeadOffersFound, Offers: []lending.Offer{lcOffer("p1", lending.RangeRequested)}},
		Source: lending.SourceCallback, WebhookID: "msg_late"})
	if err != nil || !res.Changed || res.To != lending.LeadOffersFound {
		t.Errorf("late answer = %+v, %v", res, err)
	}
}

func TestMarkTimedOutSparesApplicationsNotBeingSubmitted(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	// Held for review: no submit job (CreateApplication enqueues none for held ones).
	if _, err := s.w.Exec(`UPDATE jobs SET done_at_ms = 1 WHERE application_id = ?`, app.ID); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Hour)
	if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 0 {
		t.Fatalf("an application with no submission timed out: %v", ids)
	}
	// Approved an hour later: the approval starts the attempt with a new deadline.
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE applications SET lead_deadline_ms = ? WHERE id = ?`, ms(clock.now().Add(2*time.Minute)), app.ID); err != nil {
			return err
		}
		return s.enqueueSubmit(ctx, tx, app.ID, clock.now())
	}); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 0 {
		t.Fatalf("timed out one minute after its submission began: %v", ids)
	}
	clock.advance(61 * time.Second)
	if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 1 {
		t.Fatalf("not timed out after the full timeout: %v", ids)
	}
}

func TestMarkTimedOutGivesAFreshSubmitJobItsTime(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcCreate(t, s)
	// A job enqueued an hour later without renewing the deadline.
	clock.advance(time.Hour)
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := closeOpenSubmitJobs(ctx, tx, app.ID, clock.now(), "test"); err != nil {
			return err
		}
		return s.enqueueSubmit(ctx, tx, app.ID, clock.now())
	}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 0 {
		t.Fatalf("timed out with a fresh submit job: %v", ids)
	}
	clock.advance(2 * time.Minute)
	if ids, _ := s.MarkTimedOut(ctx, 2*time.Minute); len(ids) != 1 {
		t.Fatalf("not timed out once the job was as old as the timeout: %v", ids)
	}
}

func TestRetryLead(t *testing.T) {
	s, clock := lcStore(t)
	ctx := context.Background()
	app := lcSubmitted(t, s, clock, "lead-r1")
	if _, err := s.RetryLead(ctx, app.ID, time.Minute, lending.SourceBorrower, ""); !errors.Is(err, ErrCannotRetry) {
		t.Fatalf("retry of a pending lead: %v, want ErrCannotRetry", err)
	}
	clock.advance(3 * time.Minute)
	if _, err := s.MarkTimedOut(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	retried, err := s.RetryLead(ctx, app.ID, time.Minute, lending.SourceOfficer, "officer@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if retried.Lead.Attempt != 2 || retried.Lead.Status != lending.LeadCreated || retried.Lead.UUID != "" ||
		!retried.Lead.Deadline.Equal(clock.now().Add(time.Minute)) || !retried.Lead.TerminalAt.IsZero() {
		t.Errorf("retried lead = %+v", retried.Lead)
	}
	ev := lcEvents(t, s, app.ID, lending.EventRetryRequested)
	if len(ev) != 1 || ev[0].Source != lending.SourceOfficer || ev[0].Actor != "officer@example.com" || ev[0].Detail != "attempt 2" {
		t.Errorf("retry events = %+v", ev)
	}
	job, err := s.ClaimSubmitJob(ctx, "w1", time.Minute)
	if err != nil || job.ApplicationID != app.ID {
		t.Fatalf("new submit job: %+v, %v", job, err)
	}
	req, _ := s.LeadRequestFor(ctx, app.ID)
	if req.IdempotencyKey() != app.ID+"-2" || req.Blocker() != "" {
		t.Errorf("retry request: key %q blocker %q", req.IdempotencyKey(), req.Blocker())
	}
	// The old lead's late callback no longer finds the application.
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-r1", Status: lending.LeadOffersFound},
		Source: lending.SourceCallback, WebhookID: "msg_old"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("callback of the superseded lead: %v", err)
	}
	if _, err := s.RetryLead(ctx, "missing", time.Minute, lending.SourceBorrower, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry of a missing application: %v", err)
	}
}
