package lending

import "time"

// The state answer (seed 001): what a borrower's screen shows and when to ask
// again, decided once here for the portal's own pages and for the headless
// journeys API alike. The web page picks its screen from NextAction and polls
// on Diagnostics.PollAfter; the API answers the same fields as JSON.

// ProfileStage is how far a headless journey's profile has come before submission.
type ProfileStage int

// Profile stages.
const (
	ProfileNone       ProfileStage = iota // nothing sent yet
	ProfileIncomplete                     // sent, with fields missing or invalid
	ProfileComplete                       // sent and valid: ready to submit
)

// JourneyFacts is everything the state answer depends on. A journey is either a
// draft (Application nil: a headless journey before submission) or an
// application; the web form only makes applications.
type JourneyFacts struct {
	StartedAt   time.Time
	Profile     ProfileStage
	ProfileAt   time.Time
	Canceled    bool // a draft the borrower canceled before submitting
	CanceledAt  time.Time
	Application *Application
}

// ResourceKind says what the borrower's app should render, or where to send the
// borrower (seed 001's step resources: never embedded UI).
type ResourceKind string

// Resource kinds.
const (
	ResourceProfileForm    ResourceKind = "PROFILE_FORM"    // collect (or correct) the profile
	ResourceSubmit         ResourceKind = "SUBMIT"          // show the profile back with a submit button
	ResourceProgress       ResourceKind = "PROGRESS"        // "checking your rates"
	ResourceOffers         ResourceKind = "OFFERS"          // the offers, grouped by amount range
	ResourceLenderRedirect ResourceKind = "LENDER_REDIRECT" // send the borrower to the chosen lender
	ResourceNotice         ResourceKind = "NOTICE"          // the notice of action taken
	ResourceRetry          ResourceKind = "RETRY"           // the search timed out: offer to try again
	ResourceSupport        ResourceKind = "SUPPORT"         // something went wrong: contact support
	ResourceNone           ResourceKind = "NONE"            // nothing left to do
)

// WaitingFor names who the journey is waiting for.
type WaitingFor string

// What a journey waits for.
const (
	WaitingForBorrower   WaitingFor = "BORROWER"   // the borrower must act
	WaitingForSubmission WaitingFor = "SUBMISSION" // queued to go to the platform
	WaitingForLenders    WaitingFor = "LENDERS"    // the platform is finding offers
	WaitingForReview     WaitingFor = "REVIEW"     // an officer reviews the application
	WaitingForLender     WaitingFor = "LENDER"     // the chosen lender completes an approved loan
	WaitingForNothing    WaitingFor = "NOTHING"    // the journey is over
)

// JourneyDiagnostics says what the journey waits for, since when, and when
// to ask again (PollAfter 0: no need to poll, nothing will change by itself).
type JourneyDiagnostics struct {
	WaitingFor WaitingFor
	Since      time.Time
	PollAfter  time.Duration
}

// JourneyState is the state answer.
type JourneyState struct {
	Status         Journey
	NextAction     NextAction
	ActionRequired bool // the borrower must act for the journey to move on
	Resource       ResourceKind
	Diagnostics    JourneyDiagnostics
}

// Terminal reports whether nothing will change the journey any more by
// itself or by the borrower (a timed-out search may still be retried). An
// OFFER_SELECTED journey waits for nothing either, though the chosen lender's
// reported outcome may still move it on (its journey.snapshot says so).
func (s JourneyState) Terminal() bool {
	return s.Diagnostics.WaitingFor == WaitingForNothing
}

// DecideJourneyState is the one function that decides the state answer. A
// draft's stage comes from its profile; an application's status and next
// action from DeriveJourney, with OFFERS_PENDING split out as
// PROFILE_SUBMITTED while the application waits in the submit outbox (the
// platform has not taken it yet). Polling follows seed 001's bands: the
// active band right after an action (PollInterval, counted from when the
// wait began), the passive band for an officer's review and for a lender
// completing an approved loan.
//
// Once an offer is chosen (OFFER_SELECTED), the chosen lender's outcome, when
// the platform reports one (issue 15), moves the journey on: approved is
// LENDER_PROCESSING (the next step is still at the lender — verification,
// the loan agreement and mandates happen there — so CONTINUE_TO_LENDER, with
// no action required and a passive poll until the lender funds or declines);
// funded is DISBURSED and declined is REJECTED with the lender's reasons as
// the notice (REVIEW_NOTICE), both final. Seed 001 ends the lifecycle with
// DISBURSED, or REJECTED, EXPIRED or CLOSED. OFFER_SELECTED itself does not
// poll: a lender need not report back, and the journey.snapshot event tells
// the partner when one does.
func DecideJourneyState(f JourneyFacts, now time.Time) JourneyState {
	borrower := func(status Journey, next NextAction, r ResourceKind, since time.Time) JourneyState {
		return JourneyState{Status: status, NextAction: next, ActionRequired: true, Resource: r,
			Diagnostics: JourneyDiagnostics{WaitingFor: WaitingForBorrower, Since: since}}
	}
	over := func(status Journey, next NextAction, r ResourceKind, since time.Time) JourneyState {
		return JourneyState{Status: status, NextAction: next, Resource: r,
			Diagnostics: JourneyDiagnostics{WaitingFor: WaitingForNothing, Since: since}}
	}
	app := f.Application
	if app == nil {
		switch {
		case f.Canceled:
			return over(JourneyClosed, ActionNone, ResourceNone, f.CanceledAt)
		case f.Profile == ProfileComplete:
			return borrower(JourneyProfileSubmitted, ActionSubmitProfile, ResourceSubmit, f.ProfileAt)
		case f.Profile == ProfileIncomplete:
			return borrower(JourneyProfileRequired, ActionCompleteProfile, ResourceProfileForm, f.ProfileAt)
		}
		return borrower(JourneyStarted, ActionCompleteProfile, ResourceProfileForm, f.StartedAt)
	}

	journey, next := app.Journey()
	since := app.Lead.StatusAt
	if app.Review.DecidedAt.After(since) {
		since = app.Review.DecidedAt
	}
	switch next {
	case ActionWaitForReview:
		return JourneyState{Status: journey, NextAction: next, Resource: ResourceProgress,
			Diagnostics: JourneyDiagnostics{WaitingFor: WaitingForReview, Since: app.Review.SubmittedAt, PollAfter: PollIntervalReview}}
	case ActionWaitForOffers:
		waiting := WaitingForLenders
		if app.Lead.UUID == "" {
			journey, waiting = JourneyProfileSubmitted, WaitingForSubmission
		}
		began := app.WaitingSince()
		return JourneyState{Status: journey, NextAction: next, Resource: ResourceProgress,
			Diagnostics: JourneyDiagnostics{WaitingFor: waiting, Since: began, PollAfter: PollInterval(now.Sub(began))}}
	case ActionChooseOffer:
		return borrower(journey, next, ResourceOffers, since)
	case ActionContinueToLender:
		switch o := app.LenderOutcome; o.Status {
		case LenderApproved:
			return JourneyState{Status: JourneyLenderProcessing, NextAction: next, Resource: ResourceLenderRedirect,
				Diagnostics: JourneyDiagnostics{WaitingFor: WaitingForLender, Since: o.At, PollAfter: PollIntervalLender}}
		case LenderFunded:
			return over(JourneyDisbursed, ActionNone, ResourceNone, o.At)
		case LenderDeclined:
			return over(JourneyRejected, ActionReviewNotice, ResourceNotice, o.At)
		}
		return over(journey, next, ResourceLenderRedirect, app.Lead.SelectedAt)
	case ActionReviewNotice:
		return over(journey, next, ResourceNotice, since)
	case ActionRetry:
		return borrower(journey, next, ResourceRetry, since)
	case ActionContactSupport:
		return over(journey, next, ResourceSupport, since)
	}
	return over(journey, next, ResourceNone, since)
}

// CanCancelJourney reports whether the borrower may still cancel: before an
// offer is chosen and while the journey is not over. Canceling a submitted
// journey is the review's Canceled (CanTransitionReview).
func CanCancelJourney(s JourneyState) bool {
	switch s.Status {
	case JourneyStarted, JourneyProfileRequired, JourneyProfileSubmitted, JourneyOffersPending, JourneyOffersAvailable, JourneyExpired:
		return true
	}
	return false
}
