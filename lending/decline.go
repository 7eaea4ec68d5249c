package lending

// DeclineReason is why a borrower says "None of these work for me": optional,
// from a short list.
type DeclineReason struct {
	Code string
	Text string
}

// DeclineReasons is the list the borrower chooses from, in the form's order.
var DeclineReasons = []DeclineReason{
	{"rate_too_high", "The rates are too high"},
	{"payment_too_high", "The monthly payments are too high"},
	{"amount_too_low", "The amounts are too small"},
	{"term_unsuitable", "The terms don't suit me"},
	{"no_longer_needed", "I no longer need a loan"},
	{"other", "Something else"},
}

// DeclineFieldReason is the decline form's field name.
const DeclineFieldReason = "declineReason"

// DeclineReasonByCode finds a decline reason; "" (none given) is valid and
// found as the zero reason.
func DeclineReasonByCode(code string) (DeclineReason, bool) {
	if code == "" {
		return DeclineReason{}, true
	}
	for _, r := range DeclineReasons {
		if r.Code == code {
			return r, true
		}
	}
	return DeclineReason{}, false
}

// OffersOpen reports whether the borrower may still choose among the offers
// or decline them: offers found, none chosen, not declined, not expired, and
// the application not closed by an officer.
func OffersOpen(a Application) bool {
	return a.Lead.Status == LeadOffersFound && a.Review.Answer == "" && !closedByOfficer(a.Review.Status)
}
