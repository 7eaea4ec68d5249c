package sandbox

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"time"

	"prequal/decision"
	"prequal/lending"
	"prequal/platform"
)

// Amount ranges are offered at these shares of the requested amount, rounded to
// $100 (seed 000 names the ranges; the shares are the stage platform's choice).
const (
	lowerSharePercent  = 75
	higherSharePercent = 125
	// affordableShareBP: a lender picks its shortest term whose payment is at most
	// 10 % of gross monthly income, else its longest term.
	affordableShareBP = 1000
)

// rangeOrder is the order products are listed in.
var rangeOrder = []string{platform.RangeRequested, platform.RangeHigher, platform.RangeLower}

// offer is a product with the lender that made it.
type offer struct {
	LenderSlug string
	Product    platform.Product
}

// roundToHundred rounds whole dollars to the nearest $100, half up.
func roundToHundred(dollars int64) int64 {
	return (dollars + 50) / 100 * 100
}

// rangeAmounts returns the loan amount of each range for a requested amount; a
// range is absent when it would not differ from the requested amount.
func rangeAmounts(requested int64) map[string]int64 {
	amounts := map[string]int64{platform.RangeRequested: requested}
	if lower := roundToHundred(requested * lowerSharePercent / 100); lower < requested && lower >= minLoanDollars {
		amounts[platform.RangeLower] = lower
	}
	if higher := roundToHundred(requested * higherSharePercent / 100); higher > requested {
		amounts[platform.RangeHigher] = higher
	}
	return amounts
}

// panelRun underwrites one lead with the lender panel.
type panelRun struct {
	LeadUUID  string
	Request   platform.LeadRequest
	On        time.Time
	PublicURL string
}

// natural asks every lender for every range, as real underwriting would. It also
// returns why lender boxes refused the requested amount when the engine approved
// it, for the notice.
func (p panelRun) natural() ([]offer, []string, error) {
	var (
		offers     []offer
		boxReasons []string
	)
	amounts := rangeAmounts(p.Request.RequestedLoanAmount)
	for _, rng := range rangeOrder {
		amount, ok := amounts[rng]
		if !ok {
			continue
		}
		d := decision.Evaluate(applicantFor(p.Request, amount, p.On))
		for _, l := range panel {
			fits, why := l.fits(d, amount)
			if !fits {
				if why != "" && rng == platform.RangeRequested && !slices.Contains(boxReasons, why) {
					boxReasons = append(boxReasons, why)
				}
				continue
			}
			o, err := p.quote(l, rng, amount, d.Score)
			if err != nil {
				return nil, nil, err
			}
			offers = append(offers, o)
		}
	}
	return sortOffers(offers), boxReasons, nil
}

// forced makes offers in one range whatever the engine and the boxes say, for QA
// scenarios: every lender whose amount limits fit quotes, priced as if the
// applicant had at least the lender's minimum score, so forced offers still look
// like ones that lender would make.
func (p panelRun) forced(rng string) ([]offer, error) {
	amount, ok := rangeAmounts(p.Request.RequestedLoanAmount)[rng]
	if !ok {
		return nil, nil
	}
	d := decision.Evaluate(applicantFor(p.Request, amount, p.On))
	var offers []offer
	for _, l := range panel {
		if !l.inAmountLimits(amount) {
			continue
		}
		o, err := p.quote(l, rng, amount, max(d.Score, l.MinScore))
		if err != nil {
			return nil, err
		}
		offers = append(offers, o)
	}
	return sortOffers(offers), nil
}

// quote prices one product: rate and fee from the score, term from affordability,
// payment and totals from lending.Amortize and the APR (fee included) from
// lending.APR, all to the cent.
func (p panelRun) quote(l lender, rng string, amountDollars int64, score int) (offer, error) {
	principal := lending.Cents(amountDollars * 100)
	rate := l.rateFor(score)
	feeRate := l.feeFor(score)
	fee := (principal*lending.Cents(feeRate) + 5_000) / 10_000 // half up to the cent

	affordable := lending.Cents(householdIncome(p.Request)*100/monthsPerYear) * affordableShareBP / 10_000
	var (
		term int
		am   lending.Amortization
	)
	for _, t := range l.Terms {
		a, err := lending.Amortize(principal, rate, t)
		if err != nil {
			return offer{}, fmt.Errorf("sandbox: quote %s %d months: %w", l.Slug, t, err)
		}
		term, am = t, a
		if a.MonthlyPayment <= affordable {
			break
		}
	}
	apr, err := lending.APR(principal, fee, am.MonthlyPayment, term)
	if err != nil {
		return offer{}, fmt.Errorf("sandbox: APR %s %d months: %w", l.Slug, term, err)
	}
	id := productID(p.LeadUUID, l.Slug, rng)
	return offer{LenderSlug: l.Slug, Product: platform.Product{
		ProductID:      id,
		LenderName:     l.Name,
		AmountRange:    rng,
		LoanAmount:     principal.Dollars(),
		TermMonths:     term,
		APR:            apr.Percent(),
		InterestRate:   rate.Percent(),
		MonthlyPayment: am.MonthlyPayment.Dollars(),
		TotalRepayment: am.TotalRepayment.Dollars(),
		TotalInterest:  am.TotalInterest.Dollars(),
		OriginationFee: fee.Dollars(),
		LenderOfferURL: p.PublicURL + "/lenders/" + url.PathEscape(l.Slug) + "/offers/" + url.PathEscape(id),
		Disclaimer: fmt.Sprintf("Prequalified estimate from %s (stage lender) based on a soft credit inquiry; "+
			"it is not a commitment to lend. APR %s includes a %s origination fee (%s), deducted from the loan "+
			"proceeds. Final terms depend on verification of your information.",
			l.Name, apr, fee, feeRate),
	}}, nil
}

// productID is stable (the same lead, lender and range give the same id) and
// unique within the sandbox, since every lender quotes once per range.
func productID(leadUUID, lenderSlug, rng string) string {
	h := sha256.Sum256([]byte(leadUUID + "/" + lenderSlug + "/" + rng))
	return "prd_" + hex.EncodeToString(h[:12])
}

// sortOffers lists by range (requested, higher, lower), then lowest APR first.
func sortOffers(offers []offer) []offer {
	slices.SortStableFunc(offers, func(a, b offer) int {
		return cmp.Or(
			cmp.Compare(slices.Index(rangeOrder, a.Product.AmountRange), slices.Index(rangeOrder, b.Product.AmountRange)),
			cmp.Compare(a.Product.APR, b.Product.APR),
			cmp.Compare(a.Product.LenderName, b.Product.LenderName),
		)
	})
	return offers
}

// onlyRange keeps the offers of one range.
func onlyRange(offers []offer, rng string) []offer {
	return slices.DeleteFunc(slices.Clone(offers), func(o offer) bool { return o.Product.AmountRange != rng })
}

// hasRange reports whether any offer is in the range.
func hasRange(offers []offer, rng string) bool {
	return slices.ContainsFunc(offers, func(o offer) bool { return o.Product.AmountRange == rng })
}
