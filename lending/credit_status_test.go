package lending

import (
	"strings"
	"testing"
)

// TestCreditStatus walks the facts that decide seed 003's and seed 004's status.
func TestCreditStatus(t *testing.T) {
	cases := []struct {
		name   string
		f      StatusFacts
		credit ReviewStatus
		loc    LoCStatus
	}{
		{"received, lead not yet sent", StatusFacts{Review: ReviewPending, Lead: LeadCreated}, ReviewCreated, LoCSubmitted},
		{"onboarding credit application", StatusFacts{Review: ReviewCreated}, ReviewCreated, LoCSubmitted},
		{"existing customer: Pending at once", StatusFacts{Review: ReviewPending}, ReviewPending, LoCSubmitted},
		{"lead at the platform", StatusFacts{Review: ReviewPending, Lead: LeadFindingProducts, LeadSubmitted: true}, ReviewPending, LoCSubmitted},
		{"timed out may still answer", StatusFacts{Review: ReviewPending, Lead: LeadTimedOut, LeadSubmitted: true}, ReviewPending, LoCSubmitted},
		{"held", StatusFacts{Review: ReviewManualReview, Lead: LeadCreated}, ReviewManualReview, LoCSubmitted},
		{"application held", StatusFacts{Review: ReviewCreated, ApplicationReview: ReviewManualReview}, ReviewManualReview, LoCSubmitted},
		{"offers found", StatusFacts{Review: ReviewPending, Lead: LeadOffersFound, LeadSubmitted: true}, ReviewApproved, LoCApproved},
		{"offer chosen", StatusFacts{Review: ReviewPending, Lead: LeadProductSelected, LeadSubmitted: true}, ReviewApproved, LoCAcceptedByCustomer},
		{"none of these work", StatusFacts{Review: ReviewPending, Lead: LeadOffersFound, Answer: AnswerDeclined}, ReviewApproved, LoCNotAcceptedCustomer},
		{"offers expired", StatusFacts{Review: ReviewPending, Lead: LeadOffersFound, Answer: AnswerExpired}, ReviewApproved, LoCNotAcceptedCustomer},
		{"no offers", StatusFacts{Review: ReviewPending, Lead: LeadNoOffers, LeadSubmitted: true}, ReviewDenied, LoCDenied},
		{"officer denied", StatusFacts{Review: ReviewDenied, Lead: LeadCreated}, ReviewDenied, LoCDenied},
		{"officer approved beats no offers", StatusFacts{Review: ReviewApproved, Lead: LeadNoOffers}, ReviewApproved, LoCApproved},
		{"sponsor accepted", StatusFacts{Review: ReviewApproved, Answer: AnswerAccepted}, ReviewApproved, LoCAcceptedByCustomer},
		{"canceled", StatusFacts{Review: ReviewCanceled, Lead: LeadOffersFound}, ReviewCanceled, LoCCanceled},
		{"application canceled", StatusFacts{Review: ReviewCreated, ApplicationReview: ReviewCanceled}, ReviewCanceled, LoCCanceled},
		{"application denied", StatusFacts{Review: ReviewCreated, ApplicationReview: ReviewDenied}, ReviewDenied, LoCDenied},
		{"application approved", StatusFacts{Review: ReviewCreated, ApplicationReview: ReviewApproved}, ReviewApproved, LoCApproved},
	}
	for _, c := range cases {
		if got := CreditStatus(c.f); got != c.credit {
			t.Errorf("%s: CreditStatus = %s, want %s", c.name, got, c.credit)
		}
		if got := LineOfCreditStatus(c.f); got != c.loc {
			t.Errorf("%s: LineOfCreditStatus = %s, want %s", c.name, got, c.loc)
		}
	}
}

// TestCanDecide: officers decide anything not final, never twice, never after
// the platform's answer, and Canceled only before a decision.
func TestCanDecide(t *testing.T) {
	pending := StatusFacts{Review: ReviewPending, Lead: LeadFindingProducts, LeadSubmitted: true}
	held := StatusFacts{Review: ReviewManualReview, Lead: LeadCreated}
	for _, to := range []ReviewStatus{ReviewApproved, ReviewDenied, ReviewCanceled} {
		if !CanDecide(pending, to) || !CanDecide(held, to) {
			t.Errorf("a pending or held application must take %s", to)
		}
		for _, final := range []StatusFacts{{Review: ReviewApproved}, {Review: ReviewDenied}, {Review: ReviewCanceled},
			{Review: ReviewPending, Lead: LeadOffersFound}, {Review: ReviewPending, Lead: LeadNoOffers}} {
			if CanDecide(final, to) {
				t.Errorf("final %+v took %s", final, to)
			}
		}
	}
	if CanDecide(pending, ReviewPending) || CanDecide(pending, ReviewManualReview) {
		t.Error("only decisions are decisions")
	}
}

// TestTransitionLoC walks seed 004's state machine: every pair.
func TestTransitionLoC(t *testing.T) {
	allowed := map[[2]LoCStatus]LoCTransition{
		{LoCSubmitted, LoCApproved}:           {Review: ReviewApproved},
		{LoCSubmitted, LoCDenied}:             {Review: ReviewDenied},
		{LoCApproved, LoCAcceptedByCustomer}:  {Answer: AnswerAccepted},
		{LoCApproved, LoCNotAcceptedCustomer}: {Answer: AnswerDeclined},
	}
	for _, from := range LoCStatuses {
		for _, to := range LoCStatuses {
			got, err := TransitionLoC(from, to)
			want, ok := allowed[[2]LoCStatus{from, to}]
			if ok != (err == nil) || got != want {
				t.Errorf("%s → %s: %+v, %v", from, to, got, err)
			}
		}
	}
	_, err := TransitionLoC(LoCSubmitted, LoCAcceptedByCustomer)
	if err == nil || !strings.Contains(err.Error(), "CREDIT_APPROVED, CREDIT_DENIED") {
		t.Errorf("refusal must name the allowed statuses: %v", err)
	}
}

func TestAdverseActionCodes(t *testing.T) {
	if len(AdverseActionCodeTable()) != len(AdverseReasons) {
		t.Fatal("every Regulation B reason needs a seed 004 code")
	}
	seen := map[string]bool{}
	for _, r := range AdverseReasons {
		code := AdverseActionCode(r.Code)
		if code == "" || seen[code] {
			t.Errorf("reason %s: code %q missing or repeated", r.Code, code)
		}
		seen[code] = true
		if back, ok := AdverseReasonForCode(code); !ok || back != r.Code {
			t.Errorf("code %s maps back to %q", code, back)
		}
	}
	if AdverseActionCode("delinquent_obligations") != "DELINQUENT_CREDIT_HISTORY" {
		t.Error("the seed's own example must map")
	}
}

func TestEventTypes(t *testing.T) {
	if CreditEventType(ReviewManualReview) != "creditApplication.manualReview" || CreditEventType(ReviewApproved) != "creditApplication.approved" {
		t.Error(CreditEventType(ReviewManualReview))
	}
	if LoCEventType(LoCDenied) != "application.CREDIT_DENIED" {
		t.Error(LoCEventType(LoCDenied))
	}
}
