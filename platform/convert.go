package platform

import (
	"errors"
	"fmt"
	"math"
	"net/url"

	"prequal/lending"
)

// Limits on what a product may say. They keep conversions far from integer
// overflow and refuse values no real personal loan has, so the portal never shows
// nonsense that came off the wire.
const (
	maxDollars     = 10_000_000 // any money field of one product
	maxPercent     = 100        // APR and interest rate
	maxTermMonths  = 600
	maxProductText = 20_000 // disclaimer and other text fields, in bytes
	maxIDLength    = 100
)

// ErrInvalidProduct is wrapped by Product.Offer when a product cannot be shown.
var ErrInvalidProduct = errors.New("platform: invalid product")

// Offer converts the wire product (dollars, percentages) to the domain offer
// (cents, basis points), refusing products the portal could not show or link to.
func (p Product) Offer() (lending.Offer, error) {
	bad := func(format string, args ...any) (lending.Offer, error) {
		return lending.Offer{}, fmt.Errorf("%w %q: %s", ErrInvalidProduct, p.ProductID, fmt.Sprintf(format, args...))
	}
	switch {
	case !lending.ValidProductID(p.ProductID):
		return bad("productId must be 1 to %d letters, digits or . _ : - (and not only dots)", lending.MaxProductIDLength)
	case p.LenderName == "" || len(p.LenderName) > maxIDLength:
		return bad("lenderName must have 1 to %d characters", maxIDLength)
	case p.TermMonths <= 0 || p.TermMonths > maxTermMonths:
		return bad("termMonths %d is outside 1..%d", p.TermMonths, maxTermMonths)
	case len(p.Disclaimer) > maxProductText:
		return bad("disclaimer longer than %d bytes", maxProductText)
	}
	amountRange, err := lending.ParseAmountRange(p.AmountRange)
	if err != nil {
		return lending.Offer{}, fmt.Errorf("%w %q: amountRange: %w", ErrInvalidProduct, p.ProductID, err)
	}
	if err := checkOfferURL(p.LenderOfferURL); err != nil {
		return bad("lenderOfferUrl: %v", err)
	}
	money := []struct {
		name     string
		v        float64
		positive bool
	}{
		{"loanAmount", p.LoanAmount, true},
		{"monthlyPayment", p.MonthlyPayment, true},
		{"totalRepayment", p.TotalRepayment, true},
		{"totalInterest", p.TotalInterest, false},
		{"originationFee", p.OriginationFee, false},
	}
	for _, m := range money {
		if !inRange(m.v, maxDollars) || (m.positive && m.v == 0) {
			return bad("%s %v is outside the accepted range", m.name, m.v)
		}
	}
	for _, rate := range []struct {
		name string
		v    float64
	}{{"apr", p.APR}, {"interestRate", p.InterestRate}} {
		if !inRange(rate.v, maxPercent) {
			return bad("%s %v is outside 0..%d", rate.name, rate.v, maxPercent)
		}
	}
	return lending.Offer{
		ProductID:      p.ProductID,
		LenderName:     p.LenderName,
		AmountRange:    amountRange,
		LoanAmount:     lending.DollarsToCents(p.LoanAmount),
		TermMonths:     p.TermMonths,
		APR:            lending.PercentToBasisPoints(p.APR),
		InterestRate:   lending.PercentToBasisPoints(p.InterestRate),
		MonthlyPayment: lending.DollarsToCents(p.MonthlyPayment),
		TotalRepayment: lending.DollarsToCents(p.TotalRepayment),
		TotalInterest:  lending.DollarsToCents(p.TotalInterest),
		OriginationFee: lending.DollarsToCents(p.OriginationFee),
		LenderOfferURL: p.LenderOfferURL,
		Disclaimer:     p.Disclaimer,
	}, nil
}

// inRange reports whether v is a finite number in [0, limit].
func inRange(v, limit float64) bool {
	return !math.IsNaN(v) && v >= 0 && v <= limit
}

// checkOfferURL accepts only absolute http(s) URLs with a host: the portal
// redirects borrowers to this URL, so a javascript: or relative URL must never get
// through. (Stage lenders live on plain http over loopback, hence http.)
func checkOfferURL(raw string) error {
	if raw == "" || len(raw) > 2048 {
		return errors.New("must have 1 to 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return errors.New("must be an absolute http(s) URL without credentials")
	}
	return nil
}

// Report converts the lead to the domain's report of it, refusing a lead whose
// status or products the portal could not show. Callbacks and polls both go
// through it.
func (l Lead) Report() (lending.LeadReport, error) {
	status, err := l.LeadStatus()
	if err != nil {
		return lending.LeadReport{}, err
	}
	offers, err := l.Offers()
	if err != nil {
		return lending.LeadReport{}, err
	}
	r := lending.LeadReport{UUID: l.UUID, PartnerLeadID: l.PartnerLeadID, Status: status, Offers: offers,
		AdverseActionNotice: l.AdverseActionNotice}
	if l.SelectedProductID != nil {
		r.SelectedProductID = *l.SelectedProductID
	}
	if o := l.LenderOutcome; o != nil {
		st, err := lending.ParseLenderOutcomeStatus(o.Status)
		if err != nil {
			return lending.LeadReport{}, fmt.Errorf("platform: lead %q: lenderOutcome: %w", l.UUID, err)
		}
		if o.ProductID == "" {
			return lending.LeadReport{}, fmt.Errorf("platform: lead %q: lenderOutcome: productId is required", l.UUID)
		}
		r.LenderOutcome = &lending.LenderOutcome{Status: st, ProductID: o.ProductID, Reasons: o.Reasons, At: o.DecidedAt}
	}
	return r, nil
}

// LeadStatus parses the lead's wire status into the domain status.
func (l Lead) LeadStatus() (lending.LeadStatus, error) {
	s, err := lending.ParseLeadStatus(l.Status)
	if err != nil {
		return "", fmt.Errorf("platform: lead %q: status: %w", l.UUID, err)
	}
	return s, nil
}

// Offers converts every product of the lead. One bad product fails the whole
// conversion rather than silently hiding an offer, and product ids must be unique
// because the borrower selects an offer by its id.
func (l Lead) Offers() ([]lending.Offer, error) {
	offers := make([]lending.Offer, 0, len(l.Products))
	seen := make(map[string]bool, len(l.Products))
	for i, p := range l.Products {
		o, err := p.Offer()
		if err != nil {
			return nil, fmt.Errorf("platform: lead %q: product %d: %w", l.UUID, i, err)
		}
		if seen[o.ProductID] {
			return nil, fmt.Errorf("platform: lead %q: product %d: %w %q: duplicate productId", l.UUID, i, ErrInvalidProduct, o.ProductID)
		}
		seen[o.ProductID] = true
		offers = append(offers, o)
	}
	return offers, nil
}
