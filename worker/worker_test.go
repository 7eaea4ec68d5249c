package worker

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
)

func TestSubmitsEachApplicationOnce(t *testing.T) {
	h := newHarness(t)
	h.fake.tokenFailures = 2 // the token endpoint fails twice, then works
	h.run()
	apps := []lending.Application{h.apply(), h.apply(), h.apply()}
	for _, a := range apps {
		got := h.waitForLead(a.ID)
		if got.Lead.Status != lending.LeadCreated || got.Lead.SubmittedAt.IsZero() {
			t.Errorf("lead = %+v", got.Lead)
		}
		if ev := h.events(a.ID, lending.EventLeadCreated); len(ev) != 1 || !strings.Contains(ev[0].Detail, got.Lead.UUID) {
			t.Errorf("lead_created events = %+v", ev)
		}
	}
	leads, posts, tokens, _ := h.fake.stats()
	if leads != 3 || posts != 3 {
		t.Errorf("fake saw %d leads from %d POSTs, want 3 and 3", leads, posts)
	}
	if tokens != 3 {
		t.Errorf("token requests = %d, want 2 failures and 1 cached success", tokens)
	}
	for i, c := range h.fake.correlations {
		found := false
		for _, a := range apps {
			found = found || c == a.CorrelationID
		}
		if !found {
			t.Errorf("POST %d carried correlation id %q, not an application's", i, c)
		}
	}
}

func TestLeadPostFailureThenSuccessCreatesOneLead(t *testing.T) {
	tests := []struct {
		name  string
		fault fault
	}{
		{"500 after the platform stored the lead", fault{createThen: http.StatusInternalServerError}},
		{"timeout after the platform stored the lead", fault{createAndLag: 2 * time.Second}},
		{"503 before anything was stored", fault{status: http.StatusServiceUnavailable, body: platform.ErrorBody{Error: "busy"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.fake.faults = []fault{tt.fault}
			h.run()
			app := h.waitForLead(h.apply().ID)
			leads, posts, _, _ := h.fake.stats()
			if leads != 1 || posts != 2 {
				t.Errorf("fake saw %d leads from %d POSTs, want 1 lead from 2 POSTs", leads, posts)
			}
			if app.Lead.UUID != "lead-1" {
				t.Errorf("stored uuid %q, want the one lead the platform holds", app.Lead.UUID)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newHarness(t)
	h.fake.faults = []fault{{status: http.StatusTooManyRequests, retryAfter: "1", body: platform.ErrorBody{Error: "slow down"}}}
	h.run()
	h.waitForLead(h.apply().ID)
	posts := h.fake.postTimes()
	if len(posts) != 2 {
		t.Fatalf("%d POSTs, want 2", len(posts))
	}
	if gap := posts[1].Sub(posts[0]); gap < 950*time.Millisecond {
		t.Errorf("second POST %s after a 429 with Retry-After: 1", gap)
	}
}

func TestTransientFailuresRescheduleTheJob(t *testing.T) {
	h := newHarness(t)
	busy := fault{status: http.StatusServiceUnavailable, body: platform.ErrorBody{Error: "busy"}}
	// Each job try makes 3 client attempts: the first two tries fail entirely.
	h.fake.faults = []fault{busy, busy, busy, busy, busy, busy}
	h.run()
	app := h.waitForLead(h.apply().ID)
	leads, posts, _, _ := h.fake.stats()
	if leads != 1 || posts != 7 {
		t.Errorf("fake saw %d leads from %d POSTs, want 1 from 7", leads, posts)
	}
	attempts := h.events(app.ID, lending.EventSubmitAttempt)
	if len(attempts) != 3 || !strings.Contains(attempts[0].Detail, "try 1 failed") ||
		!strings.Contains(attempts[1].Detail, "try 2 failed") || !strings.Contains(attempts[2].Detail, "try 3: accepted") {
		t.Errorf("submit_attempt events = %+v", attempts)
	}
	if open, _ := h.store.OpenSubmitJobs(context.Background(), app.ID); open != 0 {
		t.Errorf("%d open jobs", open)
	}
}

func TestValidationRefusalIsRecordedAndNotRetried(t *testing.T) {
	h := newHarness(t)
	h.fake.faults = []fault{{status: http.StatusBadRequest, body: platform.ErrorBody{
		Error: "invalid lead", FieldErrors: map[string][]string{"borrower.phone": {"must be a US phone number"}}}}}
	h.run()
	app := h.apply()
	var got lending.Application
	h.waitFor("submit_error", 15*time.Second, func() bool {
		got = h.app(app.ID)
		return got.Lead.SubmitError != ""
	})
	if !strings.Contains(got.Lead.SubmitError, `"borrower.phone":["must be a US phone number"]`) {
		t.Errorf("submit_error = %s", got.Lead.SubmitError)
	}
	if _, next := got.Journey(); next != lending.ActionContactSupport {
		t.Errorf("next action = %s", next)
	}
	time.Sleep(100 * time.Millisecond) // ten ticks: a retry would have happened by now
	if _, posts, _, _ := h.fake.stats(); posts != 1 {
		t.Errorf("%d POSTs, want exactly 1 (no retry after a validation error)", posts)
	}
	if len(h.events(app.ID, lending.EventSubmitFailed)) != 1 {
		t.Error("no submit_failed event")
	}
}

func TestPollingFindsTheResultWithoutACallback(t *testing.T) {
	h := newHarness(t)
	h.cfg.PollAfter, h.cfg.PollEvery = 50*time.Millisecond, 100*time.Millisecond
	h.run()
	app := h.waitForLead(h.apply().ID)
	// The platform finishes; no callback ever comes.
	h.fake.setStatus(app.Lead.UUID, platform.StatusOffersFound, fakeProduct("p1"), fakeProduct("p2"))
	h.waitFor("offers_found by polling", 15*time.Second, func() bool {
		return h.app(app.ID).Lead.Status == lending.LeadOffersFound
	})
	offers, err := h.store.LeadOffers(context.Background(), app.ID)
	if err != nil || len(offers) != 2 || offers[0].APR != 1299 || offers[0].LoanAmount != 15000_00 {
		t.Errorf("offers = %+v, %v", offers, err)
	}
	changes := h.events(app.ID, lending.EventStatusChanged)
	if len(changes) != 1 || changes[0].Source != lending.SourcePoller || changes[0].StatusTo != string(lending.LeadOffersFound) {
		t.Errorf("status changes = %+v", changes)
	}
	if len(h.events(app.ID, lending.EventPolled)) == 0 {
		t.Error("no polled events")
	}
	// Terminal: polling stops.
	_, _, _, gets := h.fake.stats()
	time.Sleep(300 * time.Millisecond)
	if _, _, _, after := h.fake.stats(); after != gets {
		t.Errorf("polled a terminal lead %d more times", after-gets)
	}
}

func TestTimeoutSweepThenOneLastLook(t *testing.T) {
	h := newHarness(t)
	// Long enough for the submission to record the lead's uuid first even on a
	// loaded machine: a lead timed out before it has one gets no last look.
	h.leadTimeout, h.cfg.LeadTimeout = 3*time.Second, 3*time.Second
	h.run()
	app := h.waitForLead(h.apply().ID)
	h.fake.setStatus(app.Lead.UUID, platform.StatusFindingProducts) // stuck
	h.waitFor("timed_out", 15*time.Second, func() bool {
		return h.app(app.ID).Lead.Status == lending.LeadTimedOut
	})
	if ev := h.events(app.ID, lending.EventTimedOut); len(ev) != 1 || ev[0].StatusFrom != string(lending.LeadCreated) {
		t.Errorf("timed_out events = %+v", ev)
	}
	// A poll already in flight when the sweep ran may add a second "polled"
	// event; what matters is that the last look happened and changed nothing.
	h.waitFor("the last look", 15*time.Second, func() bool { return len(h.events(app.ID, lending.EventPolled)) >= 1 })
	if got := h.app(app.ID); got.Lead.Status != lending.LeadTimedOut {
		t.Errorf("a stale finding_products moved a timed-out lead to %s", got.Lead.Status)
	}
}

func TestRetryAfterTimeoutCreatesAFreshLead(t *testing.T) {
	h := newHarness(t)
	// The lead timeout outlasts the submission even on a loaded machine, so
	// the first lead has its uuid when it times out (see the test above).
	h.leadTimeout, h.cfg.LeadTimeout = 3*time.Second, 3*time.Second
	h.run()
	first := h.waitForLead(h.apply().ID)
	h.waitFor("timed_out", 15*time.Second, func() bool { return h.app(first.ID).Lead.Status == lending.LeadTimedOut })
	if _, err := h.store.RetryLead(context.Background(), first.ID, time.Minute, lending.SourceBorrower, ""); err != nil {
		t.Fatal(err)
	}
	var second lending.Application
	h.waitFor("the second lead", 15*time.Second, func() bool {
		second = h.app(first.ID)
		return second.Lead.UUID != ""
	})
	if second.Lead.UUID == first.Lead.UUID || second.Lead.Attempt != 2 {
		t.Errorf("retry reused lead %q (attempt %d)", second.Lead.UUID, second.Lead.Attempt)
	}
	if leads, _, _, _ := h.fake.stats(); leads != 2 {
		t.Errorf("fake holds %d leads, want 2 (one per attempt)", leads)
	}
}

func TestJobOfADeadWorkerIsTakenOverWithoutASecondLead(t *testing.T) {
	h := newHarness(t)
	h.cfg.Lease = 300 * time.Millisecond
	app := h.apply()
	// A worker claimed the job, reached the platform, and died before recording.
	job, err := h.store.ClaimSubmitJob(context.Background(), "dead-worker", h.cfg.Lease)
	if err != nil {
		t.Fatal(err)
	}
	req, err := h.store.LeadRequestFor(context.Background(), app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.cfg.Platform.SubmitLead(context.Background(), leadRequest(req), req.IdempotencyKey(), req.CorrelationID); err != nil {
		t.Fatal(err)
	}
	claimedAt := time.Now()
	h.run()
	got := h.waitForLead(app.ID)
	if took := time.Since(claimedAt); took < 250*time.Millisecond {
		t.Errorf("job taken over after %s, before its lease ran out", took)
	}
	leads, posts, _, _ := h.fake.stats()
	if leads != 1 || posts != 2 || got.Lead.UUID != "lead-1" {
		t.Errorf("fake holds %d leads from %d POSTs; stored uuid %q", leads, posts, got.Lead.UUID)
	}
	if ev := h.events(app.ID, lending.EventSubmitAttempt); len(ev) != 1 || !strings.Contains(ev[0].Detail, "try 2") {
		t.Errorf("submit_attempt events = %+v (job %d)", ev, job.ID)
	}
}

func TestStopFinishesTheJobInHand(t *testing.T) {
	h := newHarness(t)
	h.fake.faults = []fault{{createAndLag: 200 * time.Millisecond}}
	h.cfg.Platform = platform.NewClient(platform.Config{BaseURL: h.url, ClientID: "portal", ClientSecret: "s3cret-value",
		CallTimeout: 2 * time.Second, Logger: h.cfg.Logger})
	stop := h.run()
	app := h.apply()
	h.waitFor("the POST", 15*time.Second, func() bool { _, posts, _, _ := h.fake.stats(); return posts == 1 })
	stop()
	got := h.app(app.ID)
	if got.Lead.UUID != "lead-1" {
		t.Errorf("the job in hand was not finished: lead %+v", got.Lead)
	}
}

func TestStopGraceCancelsAHungJobAndReschedulesIt(t *testing.T) {
	h := newHarness(t)
	h.fake.faults = []fault{{createAndLag: time.Minute}}
	h.cfg.StopGrace = 100 * time.Millisecond
	h.cfg.Platform = platform.NewClient(platform.Config{BaseURL: h.url, ClientID: "portal", ClientSecret: "s3cret-value",
		CallTimeout: time.Minute, Logger: h.cfg.Logger})
	stop := h.run()
	app := h.apply()
	h.waitFor("the POST", 15*time.Second, func() bool { _, posts, _, _ := h.fake.stats(); return posts == 1 })
	if took := stop(); took > 2*time.Second {
		t.Errorf("stop took %s with a 100ms grace", took)
	}
	if open, _ := h.store.OpenSubmitJobs(context.Background(), app.ID); open != 1 {
		t.Fatalf("open jobs = %d, want the rescheduled one", open)
	}
	// The next process picks it up at once (no lease to wait for) and gets the same lead.
	job, err := h.store.ClaimSubmitJob(context.Background(), "next", time.Second)
	if err != nil || job.ApplicationID != app.ID {
		t.Errorf("claim after stop: %+v, %v", job, err)
	}
}

var _ Platform = (*platform.Client)(nil)
