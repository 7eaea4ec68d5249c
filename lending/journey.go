package lending

import "time"

// Journey is the borrower-facing stage of an application (seed 001's public journey
// states, the subset a prequalification reaches). It is derived from the stored
// statuses every time and never stored, so it cannot drift from them.
type Journey string

// Journey stages.
const (
	JourneyStarted          Journey = "STARTED"           // a headless journey with no profile yet
	JourneyProfileRequired  Journey = "PROFILE_REQUIRED"  // a draft: nothing accepted yet
	JourneyProfileSubmitted Journey = "PROFILE_SUBMITTED" // a complete profile, not yet submitted
	JourneyOffersPending    Journey = "OFFERS_PENDING"
	JourneyOffersAvailable  Journey = "OFFERS_AVAILABLE"
	JourneyOfferSelected    Journey = "OFFER_SELECTED"
	JourneyLenderProcessing Journey = "LENDER_PROCESSING" // the chosen lender approved and is completing the loan
	JourneyDisbursed        Journey = "DISBURSED"         // the chosen lender funded the loan
	JourneyRejected         Journey = "REJECTED"
	JourneyExpired          Journey = "EXPIRED"
	JourneyClosed           Journey = "CLOSED"
)

// NextAction is what the borrower should do next. Seed 001 makes it the source of
// truth for the screen: the borrower's page is chosen from the action alone.
type NextAction string

// Next actions.
const (
	ActionCompleteProfile  NextAction = "COMPLETE_PROFILE"
	ActionSubmitProfile    NextAction = "SUBMIT_PROFILE"
	ActionWaitForOffers    NextAction = "WAIT_FOR_OFFERS"
	ActionWaitForReview    NextAction = "WAIT_FOR_REVIEW"
	ActionChooseOffer      NextAction = "CHOOSE_OFFER"
	ActionContinueToLender NextAction = "CONTINUE_TO_LENDER"
	ActionReviewNotice     NextAction = "REVIEW_NOTICE"
	ActionRetry            NextAction = "RETRY"
	ActionContactSupport   NextAction = "CONTACT_SUPPORT"
	ActionNone             NextAction = "NONE"
)

// JourneyInput is everything the journey depends on.
type JourneyInput struct {
	Submitted    bool // false: a draft, nothing accepted yet
	LeadStatus   LeadStatus
	Review       ReviewStatus
	SubmitFailed bool // the platform refused the lead with a validation error
}

// DeriveJourney is the single function that decides what the borrower sees next.
// An officer's decision outranks the platform: a canceled or denied application is
// over whatever lenders said, and one held in manual review has not reached (or
// must not yet show) the platform's answer. A submitted application with no lead
// status yet is still waiting in the submit outbox. A lead status this code does not
// know sends the borrower to support rather than guessing.
func DeriveJourney(in JourneyInput) (Journey, NextAction) {
	switch {
	case !in.Submitted:
		return JourneyProfileRequired, ActionCompleteProfile
	case in.Review == ReviewCanceled:
		return JourneyClosed, ActionNone
	case in.Review == ReviewDenied:
		return JourneyRejected, ActionReviewNotice
	case in.Review == ReviewManualReview:
		return JourneyOffersPending, ActionWaitForReview
	case in.SubmitFailed:
		return JourneyClosed, ActionContactSupport
	case in.LeadStatus == "" || in.LeadStatus.Pending():
		return JourneyOffersPending, ActionWaitForOffers
	}
	switch in.LeadStatus {
	case LeadOffersFound:
		return JourneyOffersAvailable, ActionChooseOffer
	case LeadProductSelected:
		return JourneyOfferSelected, ActionContinueToLender
	case LeadNoOffers:
		return JourneyRejected, ActionReviewNotice
	case LeadTimedOut:
		return JourneyExpired, ActionRetry
	}
	return JourneyClosed, ActionContactSupport
}

// Polling reports whether the borrower's page should keep asking for news.
func (a NextAction) Polling() bool {
	return a == ActionWaitForOffers || a == ActionWaitForReview
}

// Poll intervals, inside seed 001's two bands: 2–5 s while a step is active
// or an action was just submitted, 10–20 s in passive waits. Most platform
// answers arrive within the first half minute, so a wait polls at 2 s then,
// at 5 s for the next half minute, and passively at 10 s after; a wait for an
// officer (a person, not a machine) is passive from the start, at 15 s; a
// wait for a lender completing an approved loan (hours, not seconds) polls at
// the passive band's slowest, 20 s.
const (
	PollIntervalActive  = 2 * time.Second
	PollIntervalSlowing = 5 * time.Second
	PollIntervalPassive = 10 * time.Second
	PollIntervalReview  = 15 * time.Second
	PollIntervalLender  = 20 * time.Second
	pollActiveFor       = 30 * time.Second
	pollBackoffUntil    = 60 * time.Second
)

// PollInterval is the delay before the next status poll, given the time elapsed
// since the wait began: 2 s for the first 30 s, 5 s until 60 s, then 10 s.
func PollInterval(elapsed time.Duration) time.Duration {
	switch {
	case elapsed <= pollActiveFor:
		return PollIntervalActive
	case elapsed < pollBackoffUntil:
		return PollIntervalSlowing
	}
	return PollIntervalPassive
}
