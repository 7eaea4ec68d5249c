package store

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"prequal/lending"
)

func TestLenderOutcomeMovesForwardOnly(t *testing.T) {
	ctx := context.Background()
	s, clock := lcStore(t)
	app := lcSubmitted(t, s, clock, "lead-lo")
	offers := []lending.Offer{lcOffer("p1", lending.RangeRequested), lcOffer("p2", lending.RangeLower)}
	update := func(id string, status lending.LeadStatus, o *lending.LenderOutcome) {
		t.Helper()
		if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-lo", Status: status,
			Offers: offers, SelectedProductID: "p1", LenderOutcome: o}, Source: lending.SourceCallback, WebhookID: id}); err != nil {
			t.Fatal(err)
		}
	}
	update("m1", lending.LeadOffersFound, nil)
	if got := lcApp(t, s, app.ID).LenderOutcome; got.Known() {
		t.Fatalf("outcome before any: %+v", got)
	}
	update("m2", lending.LeadProductSelected, nil)
	// An outcome about an offer that was not chosen is noted and ignored.
	update("m3", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p2"})
	if got := lcApp(t, s, app.ID).LenderOutcome; got.Known() {
		t.Fatalf("an outcome for another product was applied: %+v", got)
	}
	update("m4", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p1"})
	got := lcApp(t, s, app.ID)
	if got.LenderOutcome.Status != lending.LenderApproved || got.LenderOutcome.ProductID != "p1" || got.LenderOutcome.At.IsZero() || len(got.LenderOutcome.Reasons) != 0 {
		t.Fatalf("after approval: %+v", got.LenderOutcome)
	}
	clock.advance(time.Minute)
	update("m5", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p1"}) // repeated: nothing
	update("m6", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderDeclined, ProductID: "p1",
		Reasons: []string{"Unable to verify income", "  ", "Unable\tto verify identity"}})
	got = lcApp(t, s, app.ID)
	if got.LenderOutcome.Status != lending.LenderDeclined || len(got.LenderOutcome.Reasons) != 2 || got.LenderOutcome.Reasons[1] != "Unable to verify identity" {
		t.Fatalf("after decline: %+v", got.LenderOutcome)
	}
	update("m7", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderFunded, ProductID: "p1"}) // after a final one: nothing
	if got = lcApp(t, s, app.ID); got.LenderOutcome.Status != lending.LenderDeclined {
		t.Fatalf("a final outcome changed: %+v", got.LenderOutcome)
	}
	events := lcEvents(t, s, app.ID, lending.EventLenderOutcome)
	if len(events) != 3 || events[1].StatusTo != "approved" || events[2].StatusFrom != "approved" || events[2].StatusTo != "declined" ||
		events[2].Detail != "the lender declined the loan: Unable to verify income; Unable to verify identity" {
		t.Fatalf("timeline: %+v", events)
	}
}

// TestLenderOutcomeMovesTheHeadlessJourney: the lender's approval and funding
// reach a headless journey's partner as journey.snapshot events
// (LENDER_PROCESSING, then DISBURSED) written with the outcome itself, right
// after its timeline event; seeds 003/004's statuses stay where the
// selection left them (Approved, CREDIT_ACCEPTED_BY_CUSTOMER), so no status
// event follows an outcome.
func TestLenderOutcomeMovesTheHeadlessJourney(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	if _, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme", Scopes: lending.Scopes{lending.ScopeJourneys}}, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	sess, err := s.StartHeadlessSession(ctx, "acme", "user-lo", HeadlessTTL{Access: time.Minute, Refresh: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.StartJourney(ctx, sess.Borrower)
	if err != nil {
		t.Fatal(err)
	}
	j, _, err = s.SubmitJourney(ctx, sess.Borrower, j.ID, NewApplication{Applicant: testApplicant("lo@example.com", "219099999"),
		ClientIP: "198.18.9.9", LeadTimeout: 2 * time.Minute})
	if err != nil || j.Application == nil {
		t.Fatalf("submit: %+v %v", j, err)
	}
	appID := j.Application.ID
	job, err := s.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != appID {
		t.Fatalf("claim %+v %v", job, err)
	}
	if err := s.RecordLeadCreated(ctx, LeadCreated{Job: job, Attempt: 1, UUID: "lead-hj", Status: lending.LeadCreated,
		Deadline: time.Now().Add(time.Minute), FirstPoll: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	offers := []lending.Offer{lcOffer("p1", lending.RangeRequested)}
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-hj", Status: lending.LeadOffersFound,
		Offers: offers}, Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SelectOffer(ctx, appID, "p1"); err != nil {
		t.Fatal(err)
	}
	statusEvents := func() []string {
		var out []string
		for _, ty := range partnerEventTypes(t, s, appID) {
			if ty != lending.EventJourneySnapshot {
				out = append(out, ty)
			}
		}
		return out
	}
	selected := statusEvents()
	if len(selected) == 0 || selected[len(selected)-1] != "application.CREDIT_ACCEPTED_BY_CUSTOMER" {
		t.Fatalf("status events at selection: %v", selected)
	}
	outcome := func(webhookID string, st lending.LenderOutcomeStatus) {
		t.Helper()
		if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-hj", Status: lending.LeadProductSelected,
			Offers: offers, SelectedProductID: "p1", LenderOutcome: &lending.LenderOutcome{Status: st, ProductID: "p1"}},
			Source: lending.SourceCallback, WebhookID: webhookID}); err != nil {
			t.Fatal(err)
		}
	}
	lastSnapshot := func() JourneySnapshotPayload {
		t.Helper()
		evs, err := s.JourneyEvents(ctx, j.ID)
		if err != nil || len(evs) == 0 {
			t.Fatalf("journey events %v %v", evs, err)
		}
		var p JourneySnapshotPayload
		if err := json.Unmarshal(evs[len(evs)-1].Payload, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := lastSnapshot(); p.Status != string(lending.JourneyOfferSelected) {
		t.Fatalf("before any outcome: %+v", p)
	}
	outcome("wh-approved", lending.LenderApproved)
	if p := lastSnapshot(); p.Status != string(lending.JourneyLenderProcessing) || p.NextAction != string(lending.ActionContinueToLender) ||
		p.ActionRequired || p.Resource != string(lending.ResourceLenderRedirect) {
		t.Fatalf("after approval: %+v", p)
	}
	n := len(partnerEventTypes(t, s, appID))
	outcome("wh-approved-again", lending.LenderApproved) // repeated: no new snapshot
	if got := len(partnerEventTypes(t, s, appID)); got != n {
		t.Fatalf("a repeated outcome wrote %d partner events", got-n)
	}
	outcome("wh-funded", lending.LenderFunded)
	if p := lastSnapshot(); p.Status != string(lending.JourneyDisbursed) || p.NextAction != string(lending.ActionNone) ||
		p.Resource != string(lending.ResourceNone) {
		t.Fatalf("after funding: %+v", p)
	}
	if got := statusEvents(); !slices.Equal(got, selected) {
		t.Errorf("status events after the outcomes %v, want those of the selection %v", got, selected)
	}
	// The funding's snapshot is the application's last partner event in
	// commit order, written no earlier than the outcome it reports.
	evs, err := s.PartnerEvents(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	last, at := evs[len(evs)-1], lcApp(t, s, appID).LenderOutcome.At
	if last.Type != lending.EventJourneySnapshot || last.OccurredAt.Before(at) {
		t.Errorf("last partner event %s at %v, outcome at %v", last.Type, last.OccurredAt, at)
	}
}
