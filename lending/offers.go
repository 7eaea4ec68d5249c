package lending

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MaxProductIDLength is the longest product id the portal keeps.
const MaxProductIDLength = 100

// productIDPattern is what a product id may hold.
var productIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

// ValidProductID reports whether id is a product id the portal can put in a
// URL: the borrower selects an offer by its id as one path segment, so it is
// kept to letters, digits and . _ : - (characters that mean nothing in a path),
// and is never only dots (a "." or ".." segment would move the URL elsewhere,
// escaped or not: browsers read %2e as a dot).
func ValidProductID(id string) bool {
	return productIDPattern.MatchString(id) && strings.Trim(id, ".") != ""
}

// AmountRange is the platform's grouping of a product relative to the amount the
// borrower asked for (seed 000).
type AmountRange string

// Amount ranges, spelled as the platform sends them.
const (
	RangeHigher    AmountRange = "higher-than-requested-amount"
	RangeRequested AmountRange = "requested-amount"
	RangeLower     AmountRange = "lower-than-requested-amount"
)

// ErrUnknownAmountRange is wrapped by ParseAmountRange for a value that is not a range.
var ErrUnknownAmountRange = errors.New("unknown amount range")

// ParseAmountRange accepts exactly the platform's spelling of an amount range.
func ParseAmountRange(s string) (AmountRange, error) {
	switch r := AmountRange(s); r {
	case RangeHigher, RangeRequested, RangeLower:
		return r, nil
	}
	return "", fmt.Errorf("parse amount range %q: %w", s, ErrUnknownAmountRange)
}

// Offer is one prequalified product as the portal shows it: money in cents, rates
// in basis points.
type Offer struct {
	ProductID      string
	LenderName     string
	AmountRange    AmountRange
	LoanAmount     Cents
	TermMonths     int
	APR            BasisPoints
	InterestRate   BasisPoints
	MonthlyPayment Cents
	TotalRepayment Cents
	TotalInterest  Cents
	OriginationFee Cents
	LenderOfferURL string // the canonical outbound destination; never rewritten
	Disclaimer     string
}

// OfferSort is the borrower's choice of offer order.
type OfferSort string

// Offer orders. Each is ascending: cheapest, smallest payment, shortest term first.
const (
	SortByAPR     OfferSort = "apr"
	SortByPayment OfferSort = "payment"
	SortByTerm    OfferSort = "term"
)

// ParseOfferSort reads a sort choice from a query string; anything unknown, including
// empty, sorts by APR, the figure that compares loans best.
func ParseOfferSort(s string) OfferSort {
	switch o := OfferSort(s); o {
	case SortByPayment, SortByTerm:
		return o
	}
	return SortByAPR
}

// SortOffers orders offers in place, stably, by the chosen key; ties are broken by
// APR and then ProductID so the page never reshuffles between polls.
func SortOffers(offers []Offer, by OfferSort) {
	slices.SortStableFunc(offers, func(a, b Offer) int {
		var c int
		switch ParseOfferSort(string(by)) {
		case SortByPayment:
			c = cmp.Compare(a.MonthlyPayment, b.MonthlyPayment)
		case SortByTerm:
			c = cmp.Compare(a.TermMonths, b.TermMonths)
		}
		if c != 0 {
			return c
		}
		if c = cmp.Compare(a.APR, b.APR); c != 0 {
			return c
		}
		return cmp.Compare(a.ProductID, b.ProductID)
	})
}

// RangeGroup is one amount range with its offers, already sorted.
type RangeGroup struct {
	Range  AmountRange
	Offers []Offer
}

// rangeDisplayOrder is the order of the ranges after the first one.
var rangeDisplayOrder = []AmountRange{RangeRequested, RangeLower, RangeHigher}

// GroupOffers returns the non-empty ranges in display order, each sorted by `by`.
// Seed 000 asks for the requested amount first and, when there is none, the closest
// range first with an explanation: then fallback is true. "Closest" is the range
// holding the offer whose LoanAmount is nearest the requested amount; on a tie the
// lower range wins, since borrowing less is the safer suggestion. The remaining
// ranges follow in the order requested, lower, higher. An offer whose range is
// missing or unknown is placed by comparing its amount with the request rather than
// dropped. The input slice is not modified.
func GroupOffers(offers []Offer, requested Cents, by OfferSort) (groups []RangeGroup, fallback bool) {
	byRange := map[AmountRange][]Offer{}
	for _, o := range offers {
		r := o.AmountRange
		if _, err := ParseAmountRange(string(r)); err != nil {
			r = rangeOfAmount(o.LoanAmount, requested)
		}
		byRange[r] = append(byRange[r], o)
	}
	if len(byRange) == 0 {
		return nil, false
	}

	first := RangeRequested
	if len(byRange[RangeRequested]) == 0 {
		fallback = true
		lowerGap, lowerOK := closestGap(byRange[RangeLower], requested)
		higherGap, higherOK := closestGap(byRange[RangeHigher], requested)
		if lowerOK && (!higherOK || lowerGap <= higherGap) {
			first = RangeLower
		} else {
			first = RangeHigher
		}
	}

	order := append([]AmountRange{first}, rangeDisplayOrder...)
	for _, r := range order {
		list, ok := byRange[r]
		if !ok {
			continue
		}
		delete(byRange, r) // so the first range is not listed twice
		SortOffers(list, by)
		groups = append(groups, RangeGroup{Range: r, Offers: list})
	}
	return groups, fallback
}

// rangeOfAmount classifies an amount against the request.
func rangeOfAmount(amount, requested Cents) AmountRange {
	switch {
	case amount < requested:
		return RangeLower
	case amount > requested:
		return RangeHigher
	}
	return RangeRequested
}

// closestGap returns the smallest |LoanAmount − requested| among offers, and false
// when there are none.
func closestGap(offers []Offer, requested Cents) (Cents, bool) {
	if len(offers) == 0 {
		return 0, false
	}
	best := Cents(-1)
	for _, o := range offers {
		gap := o.LoanAmount - requested
		if gap < 0 {
			gap = -gap
		}
		if best < 0 || gap < best {
			best = gap
		}
	}
	return best, true
}
