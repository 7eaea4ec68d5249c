package views

import (
	"fmt"
	"net/url"
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

// progressStep is one line of the "checking rates" progress list.
type progressStep struct {
	Label string
	State string // done, current, todo
}

// progressSteps names the steps of checking rates with the current one marked.
// Once the platform has the lead, lenders are being contacted, whether or not the
// platform reports its in_progress step.
func progressSteps(lead lending.Lead) []progressStep {
	labels := []string{"Application received", "Contacting lenders", "Finding your offers"}
	current := 0
	switch {
	case lead.Status == lending.LeadFindingProducts:
		current = 2
	case lead.Status == lending.LeadInProgress || lead.UUID != "":
		current = 1
	}
	steps := make([]progressStep, len(labels))
	for i, l := range labels {
		state := "todo"
		switch {
		case i < current:
			state = "done"
		case i == current:
			state = "current"
		}
		steps[i] = progressStep{Label: l, State: state}
	}
	return steps
}

func stepAria(state string) string {
	if state == "current" {
		return "step"
	}
	return "false"
}

func stepSuffix(state string) string {
	switch state {
	case "done":
		return " (done)"
	case "current":
		return " (in progress)"
	}
	return ""
}

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

func (v ApplicationView) pollTrigger() string {
	return fmt.Sprintf("load delay:%dms", v.Poll.Milliseconds())
}

// coApplicantURL is a new application with the co-applicant section open and
// this application's details prefilled (never the SSN).
func (v ApplicationView) coApplicantURL() string {
	return "/apply?coApplicant=yes&from=" + url.QueryEscape(v.App.ID)
}

func (v ApplicationView) statusURL() string { return "/applications/" + v.App.ID + "/status" }

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
	return v.Selected != nil && !v.isSelected(o)
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

// statusWords is where the request stands, in the borrower's words.
func statusWords(a lending.Application) string {
	switch a.Lead.Status {
	case lending.LeadCreated:
		if a.Review.Status == lending.ReviewManualReview {
			return "Our team is reviewing your application"
		}
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
		switch a.LenderOutcome.Status {
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
