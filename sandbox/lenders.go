package sandbox

import (
	"prequal/decision"
	"prequal/lending"
)

// lender is one simulated lender of the stage panel with its own credit box: the
// engine must approve the amount, and the lender also wants a minimum score, a
// maximum debt-to-income ratio and an amount within its limits. Pricing: the
// interest rate is BaseRate for a perfect 850 plus RatePerPoint for every point
// below, capped at MaxRate; the origination fee (deducted from the proceeds)
// slides from MinFee at 850 to MaxFee at the lender's minimum score.
type lender struct {
	Name, Slug             string
	MinScore               int
	MaxDTI                 float64
	MinAmount, MaxAmount   int64 // whole dollars
	Terms                  []int // months, shortest first
	BaseRate, RatePerPoint lending.BasisPoints
	MaxRate                lending.BasisPoints
	MinFee, MaxFee         lending.BasisPoints // of the loan amount
}

// panel is the stage lender panel: six lenders from prime to near-prime, so that
// strong applicants get many offers and middling ones a few.
var panel = []lender{
	{Name: "Summit Ridge Lending", Slug: "summit-ridge", MinScore: 720, MaxDTI: 0.35, MinAmount: 5_000, MaxAmount: 100_000,
		Terms: []int{36, 60}, BaseRate: 699, RatePerPoint: 4, MaxRate: 1799, MinFee: 0, MaxFee: 200},
	{Name: "Harbor Light Bank", Slug: "harbor-light", MinScore: 680, MaxDTI: 0.40, MinAmount: 2_000, MaxAmount: 50_000,
		Terms: []int{24, 36, 48}, BaseRate: 799, RatePerPoint: 5, MaxRate: 2299, MinFee: 100, MaxFee: 400},
	{Name: "Prairie Trust Credit Union", Slug: "prairie-trust", MinScore: 660, MaxDTI: 0.40, MinAmount: 1_000, MaxAmount: 40_000,
		Terms: []int{12, 24, 36, 60}, BaseRate: 849, RatePerPoint: 6, MaxRate: 1799, MinFee: 0, MaxFee: 0},
	{Name: "Keystone Direct", Slug: "keystone-direct", MinScore: 700, MaxDTI: 0.36, MinAmount: 10_000, MaxAmount: 100_000,
		Terms: []int{48, 60, 84}, BaseRate: 749, RatePerPoint: 4, MaxRate: 1999, MinFee: 0, MaxFee: 300},
	{Name: "Northwind Finance", Slug: "northwind-finance", MinScore: 640, MaxDTI: 0.43, MinAmount: 3_000, MaxAmount: 35_000,
		Terms: []int{36, 60}, BaseRate: 1099, RatePerPoint: 8, MaxRate: 2999, MinFee: 200, MaxFee: 600},
	{Name: "Bluebird Loans", Slug: "bluebird-loans", MinScore: 620, MaxDTI: 0.45, MinAmount: 1_000, MaxAmount: 25_000,
		Terms: []int{24, 36}, BaseRate: 1399, RatePerPoint: 9, MaxRate: 3599, MinFee: 300, MaxFee: 800},
}

// lenderBySlug finds a panel lender.
func lenderBySlug(slug string) (lender, bool) {
	for _, l := range panel {
		if l.Slug == slug {
			return l, true
		}
	}
	return lender{}, false
}

// Why a lender's box refused an applicant the engine approved, in words fit for
// an adverse action notice.
const (
	boxReasonScore  = "Credit score below the minimum our lenders require"
	boxReasonDTI    = "Excessive obligations in relation to income"
	boxReasonAmount = "Amount requested is outside the loan amounts our lenders offer"
)

// fits reports whether the lender would lend amount to an applicant with decision
// d; when not, it says why (engine declines give no box reason).
func (l lender) fits(d decision.Decision, amount int64) (bool, string) {
	switch {
	case !d.Approved:
		return false, ""
	case amount < l.MinAmount || amount > l.MaxAmount:
		return false, boxReasonAmount
	case d.Score < l.MinScore:
		return false, boxReasonScore
	case d.Factors.DebtRatio > l.MaxDTI:
		return false, boxReasonDTI
	}
	return true, ""
}

// inAmountLimits is the only part of the box a forced outcome keeps.
func (l lender) inAmountLimits(amount int64) bool {
	return amount >= l.MinAmount && amount <= l.MaxAmount
}

// rateFor is the interest rate for a score.
func (l lender) rateFor(score int) lending.BasisPoints {
	below := max(0, decision.MaxScore-score)
	return min(l.MaxRate, l.BaseRate+l.RatePerPoint*lending.BasisPoints(below))
}

// feeFor is the origination fee rate for a score.
func (l lender) feeFor(score int) lending.BasisPoints {
	span := decision.MaxScore - l.MinScore
	below := min(span, max(0, decision.MaxScore-score))
	if span <= 0 {
		return l.MaxFee
	}
	return l.MinFee + (l.MaxFee-l.MinFee)*lending.BasisPoints(below)/lending.BasisPoints(span)
}
