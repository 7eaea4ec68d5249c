package lending

import "time"

// Application is one borrower's prequalification request as the portal keeps it.
// The SSN is not here: only its last four digits ever leave the store.
type Application struct {
	ID            string
	CorrelationID string
	PartnerLeadID string
	IsTest        bool
	// Channel is how the application came; PartnerID the partner whose API
	// key made it ("" for the web form: no partner owns it).
	Channel   Channel
	PartnerID string
	CreatedAt time.Time
	UpdatedAt time.Time

	RequestedAmount  Cents
	LoanPurpose      string
	FirstName        string
	LastName         string
	Email            string
	Phone            string
	DOB              time.Time
	SSNLast4         string
	Street           string
	Unit             string
	City             string
	State            string
	Zipcode          string
	EmploymentStatus string
	IncomeYearly     Cents
	HousingType      string
	HousingMonthly   Cents
	CreditRating     string
	ClientIP         string
	// EmailConfirmedAt is when the borrower first opened a resume link sent to
	// Email (zero: not confirmed).
	EmailConfirmedAt time.Time
	// CoApplicant is the person who applied with the borrower (SSN empty,
	// SSNLast4 set); nil when none. store.Application and
	// store.ApplicationForSession fill it; the list queries leave it nil.
	CoApplicant *CoApplicant

	Lead   Lead
	Review Review
	// LenderOutcome is what the lender of the chosen offer decided (zero: not
	// reported yet).
	LenderOutcome LenderOutcome
}

// Lead is the application's lead at the platform. Zero times mean "not yet".
type Lead struct {
	UUID                string
	Status              LeadStatus
	Attempt             int
	SubmittedAt         time.Time
	StatusAt            time.Time
	TerminalAt          time.Time
	Deadline            time.Time
	LastCallbackAt      time.Time
	SubmitError         string
	AdverseActionNotice string
	SelectedProductID   string
	SelectedAt          time.Time
}

// LeadReport is a lead's state as the platform reports it, by callback or by
// poll, in the portal's terms: a known status, offers in cents and basis points.
type LeadReport struct {
	UUID          string
	PartnerLeadID string
	Status        LeadStatus
	Offers        []Offer
	// AdverseActionNotice is the raw HTML notice; nil when the platform sent none.
	AdverseActionNotice *string
	SelectedProductID   string // "" when none
	// LenderOutcome is the lender's decision on the selected product; nil when
	// the platform reported none.
	LenderOutcome *LenderOutcome
}

// Review is the officer-side status of the application (seeds 003/004) with the
// review timestamps seed 004 keeps as review_details.
type Review struct {
	Status       ReviewStatus
	SubmittedAt  time.Time
	DecidedAt    time.Time
	NoticeSentAt time.Time // when the notice of action taken was emailed (seed 004's adverse_action_notice_time)

	Reasons   []string // adverse action reason codes of a denial (AdverseReasons), in the officer's order
	OtherText string   // the officer's words for AdverseReasonOther
	DecidedBy string   // email of the officer who decided
	Note      string   // the officer's internal note on the decision (never shown to the borrower)

	// Answer is the borrower's answer to the offers (accepted, declined,
	// expired; "" none yet), AnswerReason a declining borrower's reason
	// (DeclineReasons, "" none given), AnswerAt when.
	Answer       CustomerAnswer
	AnswerReason string
	AnswerAt     time.Time
}

// StatusFacts are the application's facts for CreditStatus and LineOfCreditStatus.
func (a Application) StatusFacts() StatusFacts {
	return StatusFacts{Review: a.Review.Status, Lead: a.Lead.Status, LeadSubmitted: !a.Lead.SubmittedAt.IsZero(),
		Answer: a.Review.Answer}
}

// Journey derives what the borrower sees next from the application (seed 001).
func (a Application) Journey() (Journey, NextAction) {
	return DeriveJourney(JourneyInput{
		Submitted:    true,
		LeadStatus:   a.Lead.Status,
		Review:       a.Review.Status,
		SubmitFailed: a.Lead.SubmitError != "",
	})
}

// FullName is the borrower's name as shown to officers.
func (a Application) FullName() string { return a.FirstName + " " + a.LastName }

// MaskedSSN is the SSN as any screen may show it.
func (a Application) MaskedSSN() string { return "***-**-" + a.SSNLast4 }

// Event is one entry of an application's timeline.
type Event struct {
	ID         int64
	At         time.Time
	Kind       string
	Source     string
	Actor      string
	StatusFrom string
	StatusTo   string
	Detail     string
}

// Event kinds written to the timeline.
const (
	EventApplicationReceived = "application_received"
	EventSubmitAttempt       = "submit_attempt"
	EventSubmitFailed        = "submit_failed"
	EventLeadCreated         = "lead_created"
	EventStatusChanged       = "status_changed"
	EventCallbackAccepted    = "callback_accepted"
	EventCallbackDuplicate   = "callback_duplicate"
	EventCallbackRejected    = "callback_rejected"
	EventPolled              = "polled"
	EventTimedOut            = "timed_out"
	EventOfferSelected       = "offer_selected"
	EventRetryRequested      = "retry_requested"
	EventHeldForReview       = "held_for_review"
	EventFlaggedForReview    = "flagged_for_review"
	EventReviewDecided       = "review_decided"
	EventOfficerAction       = "officer_action"
	EventPIIRevealed         = "pii_revealed"
	EventEmailSent           = "email_sent"
	EventEmailFailed         = "email_failed"
	EventEmailSkipped        = "email_skipped"
	EventResumeLinkUsed      = "resume_link_used"
	// EventCreditApplicationChanged: a partner's credit application about
	// this application changed status (seed 003 cancel, seed 004 PATCH).
	EventCreditApplicationChanged = "credit_application_changed"
	// EventOffersDeclined: the borrower chose "None of these work for me".
	EventOffersDeclined = "offers_declined"
	// EventOffersExpired: no offer was chosen within PORTAL_OFFER_TTL.
	EventOffersExpired = "offers_expired"
	// EventLenderOutcome: the lender reported its decision on the chosen offer.
	EventLenderOutcome = "lender_outcome"
)

// MaxRejectedCallbackEventsPerHour is how many callback_rejected events one
// application's timeline takes in an hour. A rejected callback is unverified
// (only the path token vouched for it), so whoever holds the token must not be
// able to fill an officer's timeline; the stage platform's callback-retry
// scenario sends three per delivery, well inside the limit.
const MaxRejectedCallbackEventsPerHour = 10

// Event sources: who or what caused an event.
const (
	SourceBorrower = "borrower"
	SourceWorker   = "worker"
	SourceCallback = "callback"
	SourcePoller   = "poller"
	SourceOfficer  = "officer"
	SourceSystem   = "system"
	SourcePartner  = "partner" // a partner's API key (credit applications)
)

// WaitingSince is when the borrower's current wait began: the application's
// creation for the first lead, the latest status change for a retried one. The
// polling schedule (PollInterval) counts from it.
func (a Application) WaitingSince() time.Time {
	if a.Lead.Attempt > 1 {
		return a.Lead.StatusAt
	}
	return a.CreatedAt
}
