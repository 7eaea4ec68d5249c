package views

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"prequal/lending"
)

// HomeView is the landing page: what the portal does, and this browser session's
// applications so a borrower can resume.
type HomeView struct {
	Page
	Applications []lending.Application
}

// ApplicationView is the borrower's page for one application; the screen shown
// is chosen from Next alone.
type ApplicationView struct {
	Page
	App      lending.Application
	Journey  lending.Journey
	Next     lending.NextAction
	Poll     time.Duration        // next poll interval while waiting
	Groups   []lending.RangeGroup // offers by range, display order
	Fallback bool                 // the requested range was empty
	Sort     lending.OfferSort
	Selected *lending.Offer // the chosen offer, once there is one
	Notice   string         // sanitized notice of action taken ("" when none)
	Denial   []string       // reasons of an officer's denial, Regulation B wording
	Flash    string         // a one-line message above the page (e.g. a locked offer)
	QALink   bool           // stage: link to the QA view of this application
}

// page is v's frame: with htmx while the screen polls for news (checking
// rates, in review, timed out), without it once the outcome is shown.
func (v ApplicationView) page() Page {
	switch v.Next {
	case lending.ActionWaitForOffers, lending.ActionWaitForReview, lending.ActionRetry:
		return v.Page.withHTMX()
	}
	return v.Page
}

// PollView is the "checking rates" fragment's model: only what it shows, and
// no borrower data. htmx fetches the fragment every few seconds from every
// waiting borrower's page, so it is kept small and cheap to render.
type PollView struct {
	ID     string // the application
	Status lending.LeadStatus
	Review bool          // waiting for an officer's review rather than for lenders
	Step   int           // the current one of progressLabels
	Poll   time.Duration // when htmx asks again
}

// NewPollView is the fragment of app, whose next action is next, polled again after poll.
func NewPollView(app lending.Application, next lending.NextAction, poll time.Duration) PollView {
	return PollView{ID: app.ID, Status: app.Lead.Status, Review: next == lending.ActionWaitForReview,
		Step: progressStep(app.Lead), Poll: poll}
}

// PollView is the page's checking-rates fragment.
func (v ApplicationView) PollView() PollView { return NewPollView(v.App, v.Next, v.Poll) }

// progressLabels name the steps of checking rates.
var progressLabels = [...]string{"Application received", "Contacting lenders", "Finding your offers"}

// progressStep is the index of the current step. Once the platform has the
// lead, lenders are being contacted, whether or not the platform reports its
// in_progress step.
func progressStep(lead lending.Lead) int {
	switch {
	case lead.Status == lending.LeadFindingProducts:
		return 2
	case lead.Status == lending.LeadInProgress || lead.UUID != "":
		return 1
	}
	return 0
}

func (p PollView) trigger() string {
	return "load delay:" + strconv.FormatInt(p.Poll.Milliseconds(), 10) + "ms"
}

func (p PollView) statusURL() string { return statusURL(p.ID) }

// statusLabel is the borrower-facing wording of where an application stands.
func statusLabel(a lending.Application) string {
	_, next := a.Journey()
	switch next {
	case lending.ActionWaitForOffers:
		return "Checking rates"
	case lending.ActionWaitForReview:
		return "Being reviewed"
	case lending.ActionChooseOffer:
		return "Offers ready"
	case lending.ActionContinueToLender:
		return "Offer chosen"
	case lending.ActionReviewNotice:
		return "No offers"
	case lending.ActionRetry:
		return "Timed out"
	case lending.ActionContactSupport:
		return "Needs attention"
	case lending.ActionNone:
		return "Closed"
	}
	return string(a.Lead.Status)
}

func statusURL(id string) string { return "/applications/" + id + "/status" }

// coApplicantURL is a new application with the co-applicant section open and
// this application's details prefilled (never the SSN).
func (v ApplicationView) coApplicantURL() string {
	return "/apply?coApplicant=yes&from=" + url.QueryEscape(v.App.ID)
}

// statusWords is the page's status line in the borrower's words.
func (v ApplicationView) statusWords() string {
	return statusWords(v.App.Lead.Status, v.Next == lending.ActionWaitForReview, v.App.LenderOutcome.Status)
}

// statusWords is the fragment's status line in the borrower's words.
func (p PollView) statusWords() string { return statusWords(p.Status, p.Review, "") }

// statusWords is where the request stands, in the borrower's words: the lead
// status, whether officers hold it for review, and the lender's decision on the
// chosen offer.
func statusWords(status lending.LeadStatus, inReview bool, outcome lending.LenderOutcomeStatus) string {
	if inReview {
		return "Our team is reviewing your application"
	}
	switch status {
	case lending.LeadCreated:
		return "We've received your request"
	case lending.LeadInProgress:
		return "We're contacting lenders"
	case lending.LeadFindingProducts:
		return "We're finding your offers"
	case lending.LeadOffersFound:
		return "Your offers are ready"
	case lending.LeadNoOffers:
		return "No lender could make you an offer this time"
	case lending.LeadTimedOut:
		return "Lenders took too long to answer"
	case lending.LeadProductSelected:
		switch outcome {
		case lending.LenderApproved:
			return "The lender approved your loan"
		case lending.LenderDeclined:
			return "The lender declined your loan application"
		case lending.LenderFunded:
			return "Your loan has been funded"
		}
		return "You chose an offer"
	}
	return "We're working on your request"
}

func (v ApplicationView) selectURL(o lending.Offer) string {
	// The product id came from the platform: one escaped path segment, whatever it holds.
	return "/applications/" + v.App.ID + "/offers/" + url.PathEscape(o.ProductID) + "/select"
}

func (v ApplicationView) sortURL(by lending.OfferSort) string {
	return "/applications/" + v.App.ID + "?sort=" + string(by)
}

func (v ApplicationView) isSelected(o lending.Offer) bool {
	return v.Selected != nil && v.Selected.ProductID == o.ProductID
}

func (v ApplicationView) locked(o lending.Offer) bool {
	answered := v.App.Review.Answer == lending.AnswerDeclined || v.App.Review.Answer == lending.AnswerExpired
	return answered || v.Selected != nil && !v.isSelected(o)
}

// rangeTestID is the data-testid of a range's section.
func rangeTestID(r lending.AmountRange) string {
	switch r {
	case lending.RangeHigher:
		return "offer-range-higher"
	case lending.RangeLower:
		return "offer-range-lower"
	}
	return "offer-range-requested"
}

func rangeHeading(r lending.AmountRange, requested lending.Cents) string {
	switch r {
	case lending.RangeHigher:
		return "More than the " + requested.WholeDollars() + " you asked for"
	case lending.RangeLower:
		return "Less than the " + requested.WholeDollars() + " you asked for"
	}
	return "Offers for " + requested.WholeDollars()
}

func offerCountText(n int) string {
	if n == 1 {
		return "1 offer"
	}
	return fmt.Sprintf("%d offers", n)
}

var sortOptions = []struct {
	By    lending.OfferSort
	Label string
}{
	{lending.SortByAPR, "Lowest APR"},
	{lending.SortByPayment, "Lowest monthly payment"},
	{lending.SortByTerm, "Shortest term"},
}

func ariaCurrent(on bool) string {
	if on {
		return "true"
	}
	return "false"
}

func months(n int) string { return fmt.Sprintf("%d months", n) }

// ResumeRequestView is the "Send me a link" form and its answer.
type ResumeRequestView struct {
	Page
	Email   string // as typed (echoed in the answer)
	Error   string // the address is unusable
	Sent    bool   // the answer: the same for known and unknown addresses
	Limited bool   // too many requests from the client's network
}

// ResumeOpenView is the page a resume link opens.
type ResumeOpenView struct {
	Page
	Token string
	App   lending.Application
}

// ResumeRefusedView explains a refused resume link.
type ResumeRefusedView struct {
	Page
	Reason           string // spent, expired or invalid
	Heading, Message string
}
