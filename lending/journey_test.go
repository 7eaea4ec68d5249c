package lending

import (
	"testing"
	"time"
)

func TestDeriveJourney(t *testing.T) {
	tests := []struct {
		name    string
		in      JourneyInput
		journey Journey
		action  NextAction
	}{
		{"draft", JourneyInput{}, JourneyProfileRequired, ActionCompleteProfile},
		{"draft ignores everything else", JourneyInput{LeadStatus: LeadOffersFound, Review: ReviewDenied, SubmitFailed: true}, JourneyProfileRequired, ActionCompleteProfile},
		{"waiting in outbox", JourneyInput{Submitted: true, Review: ReviewPending}, JourneyOffersPending, ActionWaitForOffers},
		{"created", JourneyInput{Submitted: true, LeadStatus: LeadCreated, Review: ReviewPending}, JourneyOffersPending, ActionWaitForOffers},
		{"in progress", JourneyInput{Submitted: true, LeadStatus: LeadInProgress}, JourneyOffersPending, ActionWaitForOffers},
		{"finding products", JourneyInput{Submitted: true, LeadStatus: LeadFindingProducts}, JourneyOffersPending, ActionWaitForOffers},
		{"offers found", JourneyInput{Submitted: true, LeadStatus: LeadOffersFound, Review: ReviewPending}, JourneyOffersAvailable, ActionChooseOffer},
		{"offers found, approved", JourneyInput{Submitted: true, LeadStatus: LeadOffersFound, Review: ReviewApproved}, JourneyOffersAvailable, ActionChooseOffer},
		{"product selected", JourneyInput{Submitted: true, LeadStatus: LeadProductSelected}, JourneyOfferSelected, ActionContinueToLender},
		{"no offers", JourneyInput{Submitted: true, LeadStatus: LeadNoOffers}, JourneyRejected, ActionReviewNotice},
		{"timed out", JourneyInput{Submitted: true, LeadStatus: LeadTimedOut}, JourneyExpired, ActionRetry},
		{"unknown lead status", JourneyInput{Submitted: true, LeadStatus: "mystery"}, JourneyClosed, ActionContactSupport},
		{"submit refused", JourneyInput{Submitted: true, SubmitFailed: true}, JourneyClosed, ActionContactSupport},
		{"submit refused beats lead status", JourneyInput{Submitted: true, SubmitFailed: true, LeadStatus: LeadCreated}, JourneyClosed, ActionContactSupport},
		{"manual review", JourneyInput{Submitted: true, Review: ReviewManualReview}, JourneyOffersPending, ActionWaitForReview},
		{"manual review hides offers", JourneyInput{Submitted: true, Review: ReviewManualReview, LeadStatus: LeadOffersFound}, JourneyOffersPending, ActionWaitForReview},
		{"manual review beats submit failure", JourneyInput{Submitted: true, Review: ReviewManualReview, SubmitFailed: true}, JourneyOffersPending, ActionWaitForReview},
		{"denied", JourneyInput{Submitted: true, Review: ReviewDenied}, JourneyRejected, ActionReviewNotice},
		{"denied beats offers", JourneyInput{Submitted: true, Review: ReviewDenied, LeadStatus: LeadOffersFound}, JourneyRejected, ActionReviewNotice},
		{"canceled", JourneyInput{Submitted: true, Review: ReviewCanceled}, JourneyClosed, ActionNone},
		{"canceled beats selection", JourneyInput{Submitted: true, Review: ReviewCanceled, LeadStatus: LeadProductSelected}, JourneyClosed, ActionNone},
		{"canceled beats submit failure", JourneyInput{Submitted: true, Review: ReviewCanceled, SubmitFailed: true}, JourneyClosed, ActionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, a := DeriveJourney(tt.in)
			if j != tt.journey || a != tt.action {
				t.Errorf("DeriveJourney(%+v) = %s/%s, want %s/%s", tt.in, j, a, tt.journey, tt.action)
			}
		})
	}
}

func TestNextActionPolling(t *testing.T) {
	all := []NextAction{
		ActionCompleteProfile, ActionWaitForOffers, ActionWaitForReview, ActionChooseOffer,
		ActionContinueToLender, ActionReviewNotice, ActionRetry, ActionContactSupport, ActionNone,
	}
	for _, a := range all {
		want := a == ActionWaitForOffers || a == ActionWaitForReview
		if got := a.Polling(); got != want {
			t.Errorf("%s.Polling() = %v, want %v", a, got, want)
		}
	}
}

// Every terminal lead status ends polling, every pending one keeps it going.
func TestJourneyPollingFollowsLeadStatus(t *testing.T) {
	for _, s := range allLeadStatuses {
		_, a := DeriveJourney(JourneyInput{Submitted: true, LeadStatus: s, Review: ReviewPending})
		if a.Polling() != s.Pending() {
			t.Errorf("lead %s: action %s polling=%v, want %v", s, a, a.Polling(), s.Pending())
		}
	}
}

func TestPollInterval(t *testing.T) {
	tests := []struct {
		elapsed, want time.Duration
	}{
		{-time.Second, 2 * time.Second},
		{0, 2 * time.Second},
		{10 * time.Second, 2 * time.Second},
		{30 * time.Second, 2 * time.Second},
		{33750 * time.Millisecond, 5 * time.Second},
		{45 * time.Second, 5 * time.Second},
		{50 * time.Second, 5 * time.Second},
		{59 * time.Second, 5 * time.Second},
		{60 * time.Second, 10 * time.Second},
		{5 * time.Minute, 10 * time.Second},
		{100 * time.Hour, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := PollInterval(tt.elapsed); got != tt.want {
			t.Errorf("PollInterval(%v) = %v, want %v", tt.elapsed, got, tt.want)
		}
	}
	// Never shrinks as time passes.
	prev := PollInterval(0)
	for e := time.Duration(0); e <= 70*time.Second; e += 250 * time.Millisecond {
		got := PollInterval(e)
		if got < prev {
			t.Fatalf("PollInterval(%v) = %v < %v", e, got, prev)
		}
		prev = got
	}
}
