package lending

import (
	"fmt"
	"strings"
	"time"
)

// LenderOutcomeStatus is what the lender did with the offer the borrower chose
// (issue 15 item 6): after "Continue to lender" the lender takes the full
// application and approves, declines or funds it. The platform reports it back
// over its signed callbacks (an extension of seed 000's lead, lenderOutcome).
type LenderOutcomeStatus string

// Lender outcomes. Approved may become funded or declined (a lender may still
// decline at verification); declined and funded are final.
const (
	LenderApproved LenderOutcomeStatus = "approved"
	LenderDeclined LenderOutcomeStatus = "declined"
	LenderFunded   LenderOutcomeStatus = "funded"
)

// MaxLenderOutcomeReasons is how many decline reasons are kept (Regulation B's
// notice names up to four principal reasons).
const MaxLenderOutcomeReasons = 4

// MaxLenderOutcomeReasonLength bounds one reason's text.
const MaxLenderOutcomeReasonLength = 200

// ParseLenderOutcomeStatus reads a wire value.
func ParseLenderOutcomeStatus(s string) (LenderOutcomeStatus, error) {
	switch st := LenderOutcomeStatus(s); st {
	case LenderApproved, LenderDeclined, LenderFunded:
		return st, nil
	}
	return "", fmt.Errorf("unknown lender outcome %q", s)
}

// Final reports whether nothing can follow the outcome.
func (s LenderOutcomeStatus) Final() bool { return s == LenderDeclined || s == LenderFunded }

// LenderOutcome is the lender's decision on the chosen offer, as the portal
// keeps it. The zero value (Status "") means the lender has not reported one.
type LenderOutcome struct {
	Status    LenderOutcomeStatus
	ProductID string   // the offer it is about
	Reasons   []string // a decline's reasons, in the lender's words (at most MaxLenderOutcomeReasons)
	At        time.Time
}

// Known reports whether the lender has reported an outcome.
func (o LenderOutcome) Known() bool { return o.Status != "" }

// NextLenderOutcome decides whether a reported outcome replaces the current one:
// outcomes move forward only (none → any; approved → declined | funded), so a
// repeated or stale report changes nothing.
func NextLenderOutcome(current, reported LenderOutcomeStatus) bool {
	switch current {
	case "":
		return reported != ""
	case LenderApproved:
		return reported == LenderDeclined || reported == LenderFunded
	}
	return false
}

// CleanLenderOutcomeReasons keeps at most MaxLenderOutcomeReasons non-empty,
// printable reasons of bounded length, for storing and showing.
func CleanLenderOutcomeReasons(in []string) []string {
	var out []string
	for _, r := range in {
		r = strings.Join(strings.Fields(r), " ")
		if r == "" || !printableText(r) {
			continue
		}
		if len([]rune(r)) > MaxLenderOutcomeReasonLength {
			r = string([]rune(r)[:MaxLenderOutcomeReasonLength])
		}
		out = append(out, r)
		if len(out) == MaxLenderOutcomeReasons {
			break
		}
	}
	return out
}
