package lending

import (
	"testing"
	"time"
)

func TestDecideJourneyState(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	app := func(status LeadStatus, uuid string, review ReviewStatus) *Application {
		return &Application{CreatedAt: t0, Lead: Lead{Status: status, UUID: uuid, Attempt: 1, StatusAt: t0.Add(time.Second)},
			Review: Review{Status: review, SubmittedAt: t0}}
	}
	outcome := func(a *Application, st LenderOutcomeStatus) *Application {
		a.Lead.SelectedProductID, a.LenderOutcome = "p1", LenderOutcome{Status: st, ProductID: "p1", At: t0.Add(time.Minute)}
		return a
	}
	tests := []struct {
		name   string
		facts  JourneyFacts
		at     time.Duration
		status Journey
		next   NextAction
		act    bool
		res    ResourceKind
		wait   WaitingFor
		poll   time.Duration
	}{
		{"started", JourneyFacts{StartedAt: t0}, 0, JourneyStarted, ActionCompleteProfile, true, ResourceProfileForm, WaitingForBorrower, 0},
		{"incomplete profile", JourneyFacts{StartedAt: t0, Profile: ProfileIncomplete}, 0, JourneyProfileRequired, ActionCompleteProfile, true, ResourceProfileForm, WaitingForBorrower, 0},
		{"complete profile", JourneyFacts{StartedAt: t0, Profile: ProfileComplete}, 0, JourneyProfileSubmitted, ActionSubmitProfile, true, ResourceSubmit, WaitingForBorrower, 0},
		{"draft canceled", JourneyFacts{Profile: ProfileComplete, Canceled: true}, 0, JourneyClosed, ActionNone, false, ResourceNone, WaitingForNothing, 0},
		{"queued for submission", JourneyFacts{Application: app(LeadCreated, "", ReviewPending)}, 0, JourneyProfileSubmitted, ActionWaitForOffers, false, ResourceProgress, WaitingForSubmission, 2 * time.Second},
		{"finding offers", JourneyFacts{Application: app(LeadFindingProducts, "u", ReviewPending)}, 45 * time.Second, JourneyOffersPending, ActionWaitForOffers, false, ResourceProgress, WaitingForLenders, 5 * time.Second},
		{"long wait", JourneyFacts{Application: app(LeadInProgress, "u", ReviewPending)}, 5 * time.Minute, JourneyOffersPending, ActionWaitForOffers, false, ResourceProgress, WaitingForLenders, 10 * time.Second},
		{"held for review", JourneyFacts{Application: app(LeadCreated, "", ReviewManualReview)}, 0, JourneyOffersPending, ActionWaitForReview, false, ResourceProgress, WaitingForReview, 15 * time.Second},
		{"offers", JourneyFacts{Application: app(LeadOffersFound, "u", ReviewPending)}, 0, JourneyOffersAvailable, ActionChooseOffer, true, ResourceOffers, WaitingForBorrower, 0},
		{"selected", JourneyFacts{Application: app(LeadProductSelected, "u", ReviewPending)}, 0, JourneyOfferSelected, ActionContinueToLender, false, ResourceLenderRedirect, WaitingForNothing, 0},
		{"lender approved", JourneyFacts{Application: outcome(app(LeadProductSelected, "u", ReviewPending), LenderApproved)}, time.Hour, JourneyLenderProcessing, ActionContinueToLender, false, ResourceLenderRedirect, WaitingForLender, 20 * time.Second},
		{"lender funded", JourneyFacts{Application: outcome(app(LeadProductSelected, "u", ReviewPending), LenderFunded)}, 0, JourneyDisbursed, ActionNone, false, ResourceNone, WaitingForNothing, 0},
		{"lender declined", JourneyFacts{Application: outcome(app(LeadProductSelected, "u", ReviewPending), LenderDeclined)}, 0, JourneyRejected, ActionReviewNotice, false, ResourceNotice, WaitingForNothing, 0},
		// An officer's cancellation outranks whatever a lender reported.
		{"lender outcome, canceled", JourneyFacts{Application: outcome(app(LeadProductSelected, "u", ReviewCanceled), LenderFunded)}, 0, JourneyClosed, ActionNone, false, ResourceNone, WaitingForNothing, 0},
		{"no offers", JourneyFacts{Application: app(LeadNoOffers, "u", ReviewPending)}, 0, JourneyRejected, ActionReviewNotice, false, ResourceNotice, WaitingForNothing, 0},
		{"timed out", JourneyFacts{Application: app(LeadTimedOut, "u", ReviewPending)}, 0, JourneyExpired, ActionRetry, true, ResourceRetry, WaitingForBorrower, 0},
		{"canceled", JourneyFacts{Application: app(LeadOffersFound, "u", ReviewCanceled)}, 0, JourneyClosed, ActionNone, false, ResourceNone, WaitingForNothing, 0},
	}
	for _, tt := range tests {
		s := DecideJourneyState(tt.facts, t0.Add(tt.at))
		if s.Status != tt.status || s.NextAction != tt.next || s.ActionRequired != tt.act || s.Resource != tt.res ||
			s.Diagnostics.WaitingFor != tt.wait || s.Diagnostics.PollAfter != tt.poll {
			t.Errorf("%s: %+v", tt.name, s)
		}
	}
	// The lender's wait is counted from its report, and nobody may cancel a
	// journey the lender is completing or has completed.
	for _, st := range []LenderOutcomeStatus{LenderApproved, LenderFunded, LenderDeclined} {
		s := DecideJourneyState(JourneyFacts{Application: outcome(app(LeadProductSelected, "u", ReviewPending), st)}, t0.Add(time.Hour))
		if !s.Diagnostics.Since.Equal(t0.Add(time.Minute)) || CanCancelJourney(s) {
			t.Errorf("%s: since %v, cancelable %v", st, s.Diagnostics.Since, CanCancelJourney(s))
		}
	}
}

// Every poll interval the state answer names is inside one of seed 001's
// bands: 2–5 s (active) or 10–20 s (passive).
func TestPollIntervalsStayInSeedBands(t *testing.T) {
	for e := time.Duration(0); e <= 10*time.Minute; e += 500 * time.Millisecond {
		d := PollInterval(e)
		if !(d >= 2*time.Second && d <= 5*time.Second) && !(d >= 10*time.Second && d <= 20*time.Second) {
			t.Fatalf("PollInterval(%v) = %v: outside both bands", e, d)
		}
	}
	if PollIntervalReview < 10*time.Second || PollIntervalReview > 20*time.Second {
		t.Errorf("review poll %v", PollIntervalReview)
	}
	if PollIntervalLender < 10*time.Second || PollIntervalLender > 20*time.Second {
		t.Errorf("lender poll %v", PollIntervalLender)
	}
}
