package lending

import (
	"fmt"
	"slices"
	"strings"
)

// StatusFacts are what the portal knows about an application (or a partner's
// credit application) that decides its status in seeds 003 and 004. CreditStatus
// and LineOfCreditStatus read them; nothing else derives those statuses.
type StatusFacts struct {
	// Review is the stored decision: the officer's review status of a portal
	// application, or a credit application's own status (set by its partner,
	// the sponsor bank or a cancel).
	Review ReviewStatus
	// ApplicationReview is the review status of the portal application a
	// credit application evaluates ("" when it evaluates none): its decision
	// carries over (seed 003: a canceled application cancels its credit
	// application).
	ApplicationReview ReviewStatus
	// Lead is the platform's lead status of the application evaluated ("": none
	// to follow), LeadSubmitted whether it reached the platform.
	Lead          LeadStatus
	LeadSubmitted bool
	// Answer is the borrower's answer to approved credit: accepted (an offer
	// selected, or the sponsor bank says so), declined ("none of these work for
	// me") or expired (no offer chosen in time).
	Answer CustomerAnswer
}

// CustomerAnswer is the borrower's answer to approved credit.
type CustomerAnswer string

// Customer answers; "" is none yet.
const (
	AnswerAccepted CustomerAnswer = "accepted"
	AnswerDeclined CustomerAnswer = "declined"
	AnswerExpired  CustomerAnswer = "expired"
)

// CreditStatus is seed 003's status of an application, from its facts:
//
//   - a stored decision is final: Canceled, Denied or Approved (an officer's,
//     a partner's or the sponsor bank's);
//   - the evaluated application's decision (an officer's approval, denial or
//     cancellation) carries over;
//   - the platform's answer decides: offers found (or one chosen) is Approved,
//     with the largest amount offered as the approved credit limit; no offers is
//     Denied;
//   - held for an officer is ManualReview;
//   - a lead at the platform (also timed out: a retry may still answer) is
//     Pending, and so is a stored Pending with no lead to follow (an
//     existing customer's credit application: seed 003 moves it to Pending);
//   - otherwise Created: received, its lead not yet at the platform.
func CreditStatus(f StatusFacts) ReviewStatus {
	switch {
	case f.Review.Final():
		return f.Review
	case f.ApplicationReview.Final():
		return f.ApplicationReview
	case f.Lead == LeadOffersFound || f.Lead == LeadProductSelected:
		return ReviewApproved
	case f.Lead == LeadNoOffers:
		return ReviewDenied
	case f.Review == ReviewManualReview || f.ApplicationReview == ReviewManualReview:
		return ReviewManualReview
	case f.LeadSubmitted, f.Review == ReviewPending && f.Lead == "":
		return ReviewPending
	}
	return ReviewCreated
}

// LoCStatus is a Line-of-Credit application's status (seed 004).
type LoCStatus string

// Seed 004's statuses, and the portal's one addition: CANCELED (seed 003's
// cancel before a decision; seed 004 has no word for it).
const (
	LoCSubmitted           LoCStatus = "SUBMITTED"
	LoCApproved            LoCStatus = "CREDIT_APPROVED"
	LoCDenied              LoCStatus = "CREDIT_DENIED"
	LoCAcceptedByCustomer  LoCStatus = "CREDIT_ACCEPTED_BY_CUSTOMER"
	LoCNotAcceptedCustomer LoCStatus = "CREDIT_NOT_ACCEPTED_BY_CUSTOMER"
	LoCCanceled            LoCStatus = "CANCELED"
)

// LoCStatuses lists seed 004's statuses in lifecycle order (CANCELED last).
var LoCStatuses = []LoCStatus{LoCSubmitted, LoCApproved, LoCDenied, LoCAcceptedByCustomer, LoCNotAcceptedCustomer, LoCCanceled}

// LineOfCreditStatus is seed 004's status of an application, from the same
// facts as CreditStatus: Created, Pending and ManualReview are SUBMITTED;
// Denied is CREDIT_DENIED; Approved is CREDIT_APPROVED until the borrower
// answers — CREDIT_ACCEPTED_BY_CUSTOMER (an offer chosen) or
// CREDIT_NOT_ACCEPTED_BY_CUSTOMER (declined, or no offer chosen in time);
// Canceled is CANCELED.
func LineOfCreditStatus(f StatusFacts) LoCStatus {
	switch CreditStatus(f) {
	case ReviewApproved:
		switch {
		case f.Answer == AnswerAccepted || f.Lead == LeadProductSelected:
			return LoCAcceptedByCustomer
		case f.Answer == AnswerDeclined || f.Answer == AnswerExpired:
			return LoCNotAcceptedCustomer
		}
		return LoCApproved
	case ReviewDenied:
		return LoCDenied
	case ReviewCanceled:
		return LoCCanceled
	}
	return LoCSubmitted
}

// locTransitions is seed 004's state machine.
var locTransitions = map[LoCStatus][]LoCStatus{
	LoCSubmitted: {LoCApproved, LoCDenied},
	LoCApproved:  {LoCAcceptedByCustomer, LoCNotAcceptedCustomer},
}

// NextLoCStatuses lists the statuses seed 004 allows after from.
func NextLoCStatuses(from LoCStatus) []LoCStatus { return locTransitions[from] }

// ParseLoCStatus accepts exactly seed 004's spelling of a settable status.
func ParseLoCStatus(s string) (LoCStatus, error) {
	st := LoCStatus(s)
	if !slices.Contains(LoCStatuses, st) || st == LoCCanceled {
		return "", fmt.Errorf("parse status %q: %w", s, ErrUnknownReviewStatus)
	}
	return st, nil
}

// LoCTransition is what a seed 004 status change does to the stored facts.
type LoCTransition struct {
	Review ReviewStatus   // the stored decision after it ("" keeps it)
	Answer CustomerAnswer // the borrower's answer after it ("" keeps it)
}

// TransitionLoC checks a move of seed 004's state machine (SUBMITTED →
// CREDIT_APPROVED | CREDIT_DENIED → … ; CREDIT_APPROVED →
// CREDIT_ACCEPTED_BY_CUSTOMER | CREDIT_NOT_ACCEPTED_BY_CUSTOMER) and says what it
// stores. A refused move is an error naming the allowed ones.
func TransitionLoC(from, to LoCStatus) (LoCTransition, error) {
	if !slices.Contains(locTransitions[from], to) {
		allowed := locTransitions[from]
		if len(allowed) == 0 {
			return LoCTransition{}, fmt.Errorf("an application in status %s is final and can't become %s", from, to)
		}
		names := make([]string, len(allowed))
		for i, a := range allowed {
			names[i] = string(a)
		}
		return LoCTransition{}, fmt.Errorf("an application in status %s can't become %s; allowed: %s", from, to, strings.Join(names, ", "))
	}
	switch to {
	case LoCApproved:
		return LoCTransition{Review: ReviewApproved}, nil
	case LoCDenied:
		return LoCTransition{Review: ReviewDenied}, nil
	case LoCAcceptedByCustomer:
		return LoCTransition{Answer: AnswerAccepted}, nil
	}
	return LoCTransition{Answer: AnswerDeclined}, nil
}

// CanDecide reports whether a decision (Approved, Denied or Canceled) may be
// taken on an application with these facts now: only while its seed 003 status
// is not final (Created, Pending or ManualReview). Officers decide any such
// application, not only held ones; the review queue lists the held ones.
func CanDecide(f StatusFacts, to ReviewStatus) bool {
	if !to.Final() {
		return false
	}
	return !CreditStatus(f).Final() && CanTransitionReview(f.Review, to)
}

// CreditEventType is the partner event of a seed 003 status: creditApplication.
// created, .pending, .manualReview, .approved, .denied, .canceled.
func CreditEventType(st ReviewStatus) string {
	s := string(st)
	if s == "" {
		return ""
	}
	return "creditApplication." + strings.ToLower(s[:1]) + s[1:]
}

// LoCEventType is the partner event of a seed 004 status: application.SUBMITTED, …
func LoCEventType(st LoCStatus) string { return "application." + string(st) }
