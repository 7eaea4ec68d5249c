package platform

import (
	"errors"
	"math"
	"strings"
	"testing"

	"prequal/lending"
)

func testProduct() Product {
	return Product{
		ProductID:      "prod-1",
		LenderName:     "Acme Lending",
		AmountRange:    RangeRequested,
		LoanAmount:     12000,
		TermMonths:     36,
		APR:            12.99,
		InterestRate:   11.49,
		MonthlyPayment: 395.65,
		TotalRepayment: 14243.4,
		TotalInterest:  2243.4,
		OriginationFee: 240.005,
		LenderOfferURL: "https://lender.example/offers/prod-1?ref=abc",
		Disclaimer:     "Rates subject to verification.",
	}
}

func TestProductOfferConverts(t *testing.T) {
	got, err := testProduct().Offer()
	if err != nil {
		t.Fatalf("Offer: %v", err)
	}
	want := lending.Offer{
		ProductID:      "prod-1",
		LenderName:     "Acme Lending",
		AmountRange:    lending.RangeRequested,
		LoanAmount:     1_200_000,
		TermMonths:     36,
		APR:            1299,
		InterestRate:   1149,
		MonthlyPayment: 39_565,
		TotalRepayment: 1_424_340,
		TotalInterest:  224_340,
		OriginationFee: 24_001, // 240.005 rounds half away from zero
		LenderOfferURL: "https://lender.example/offers/prod-1?ref=abc",
		Disclaimer:     "Rates subject to verification.",
	}
	if got != want {
		t.Errorf("Offer() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestProductOfferRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Product)
	}{
		{"empty productId", func(p *Product) { p.ProductID = "" }},
		{"long productId", func(p *Product) { p.ProductID = strings.Repeat("x", 101) }},
		{"empty lender", func(p *Product) { p.LenderName = "" }},
		{"unknown range", func(p *Product) { p.AmountRange = "sideways" }},
		{"empty range", func(p *Product) { p.AmountRange = "" }},
		{"zero term", func(p *Product) { p.TermMonths = 0 }},
		{"negative term", func(p *Product) { p.TermMonths = -12 }},
		{"absurd term", func(p *Product) { p.TermMonths = 6001 }},
		{"zero loan amount", func(p *Product) { p.LoanAmount = 0 }},
		{"negative loan amount", func(p *Product) { p.LoanAmount = -1 }},
		{"huge loan amount", func(p *Product) { p.LoanAmount = 1e300 }},
		{"NaN payment", func(p *Product) { p.MonthlyPayment = math.NaN() }},
		{"infinite repayment", func(p *Product) { p.TotalRepayment = math.Inf(1) }},
		{"negative interest", func(p *Product) { p.TotalInterest = -5 }},
		{"negative fee", func(p *Product) { p.OriginationFee = -0.01 }},
		{"negative APR", func(p *Product) { p.APR = -1 }},
		{"APR over 100%", func(p *Product) { p.APR = 100.01 }},
		{"NaN rate", func(p *Product) { p.InterestRate = math.NaN() }},
		{"javascript URL", func(p *Product) { p.LenderOfferURL = "javascript:alert(1)" }},
		{"relative URL", func(p *Product) { p.LenderOfferURL = "/offers/1" }},
		{"scheme-relative URL", func(p *Product) { p.LenderOfferURL = "//evil.example/x" }},
		{"data URL", func(p *Product) { p.LenderOfferURL = "data:text/html,<script>alert(1)</script>" }},
		{"URL with credentials", func(p *Product) { p.LenderOfferURL = "https://user:pw@lender.example/" }},
		{"empty URL", func(p *Product) { p.LenderOfferURL = "" }},
		{"unparsable URL", func(p *Product) { p.LenderOfferURL = "https://lender.example/%zz" }},
		{"huge disclaimer", func(p *Product) { p.Disclaimer = strings.Repeat("a", 20_001) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProduct()
			tt.mutate(&p)
			if _, err := p.Offer(); !errors.Is(err, ErrInvalidProduct) {
				t.Errorf("Offer() error = %v, want ErrInvalidProduct", err)
			}
		})
	}
}

func TestProductOfferAcceptsEdges(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Product)
	}{
		{"zero APR and fee", func(p *Product) { p.APR, p.InterestRate, p.OriginationFee, p.TotalInterest = 0, 0, 0, 0 }},
		{"plain http (stage lender on loopback)", func(p *Product) { p.LenderOfferURL = "http://127.0.0.1:8080/sandbox/lender/1" }},
		{"higher range", func(p *Product) { p.AmountRange = RangeHigher }},
		{"lower range", func(p *Product) { p.AmountRange = RangeLower }},
		{"empty disclaimer", func(p *Product) { p.Disclaimer = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProduct()
			tt.mutate(&p)
			if _, err := p.Offer(); err != nil {
				t.Errorf("Offer() error = %v, want nil", err)
			}
		})
	}
}

func TestLeadStatus(t *testing.T) {
	for _, s := range []string{StatusCreated, StatusInProgress, StatusFindingProducts, StatusOffersFound, StatusNoOffers, StatusTimedOut, StatusProductSelected} {
		got, err := Lead{Status: s}.LeadStatus()
		if err != nil || string(got) != s {
			t.Errorf("LeadStatus(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "OFFERS_FOUND", "done", " created"} {
		if _, err := (Lead{Status: s}).LeadStatus(); !errors.Is(err, lending.ErrUnknownLeadStatus) {
			t.Errorf("LeadStatus(%q) error = %v, want ErrUnknownLeadStatus", s, err)
		}
	}
}

func TestLeadOffers(t *testing.T) {
	second := testProduct()
	second.ProductID, second.AmountRange, second.LoanAmount = "prod-2", RangeLower, 9000.5
	lead := Lead{UUID: "lead-1", Status: StatusOffersFound, Products: []Product{testProduct(), second}}
	offers, err := lead.Offers()
	if err != nil {
		t.Fatalf("Offers: %v", err)
	}
	if len(offers) != 2 || offers[0].ProductID != "prod-1" || offers[1].ProductID != "prod-2" ||
		offers[1].AmountRange != lending.RangeLower || offers[1].LoanAmount != 900_050 {
		t.Errorf("Offers() = %+v", offers)
	}

	if offers, err := (Lead{UUID: "lead-2", Status: StatusNoOffers}).Offers(); err != nil || len(offers) != 0 {
		t.Errorf("Offers() of a lead without products = %v, %v; want none", offers, err)
	}

	broken := second
	broken.LenderOfferURL = "javascript:void(0)"
	if _, err := (Lead{Products: []Product{testProduct(), broken}}).Offers(); !errors.Is(err, ErrInvalidProduct) {
		t.Errorf("Offers() with one bad product = %v, want ErrInvalidProduct", err)
	}
	if _, err := (Lead{Products: []Product{testProduct(), testProduct()}}).Offers(); !errors.Is(err, ErrInvalidProduct) ||
		!strings.Contains(err.Error(), "duplicate") {
		t.Errorf("Offers() with a duplicate productId = %v, want ErrInvalidProduct (duplicate)", err)
	}
}

// A productId ends up in a URL path (the borrower's select form): only a safe
// charset is accepted off the wire, and never a dot segment.
func TestProductIDCharset(t *testing.T) {
	for _, id := range []string{"../../../admin/officers?", "..", ".", "a/b", "a b", "x?y=1", "a#b", "%2e%2e", "a\\b",
		"prd\x00", "prd\u202e1", "ünï", "a;b", "a&b", "<b>"} {
		p := testProduct()
		p.ProductID = id
		if _, err := p.Offer(); !errors.Is(err, ErrInvalidProduct) {
			t.Errorf("productId %q accepted (%v)", id, err)
		}
	}
	for _, id := range []string{"prd_0a1b2c", "prod-1", "A.B:C-D_e", "12345", strings.Repeat("x", 100)} {
		p := testProduct()
		p.ProductID = id
		if _, err := p.Offer(); err != nil {
			t.Errorf("productId %q refused: %v", id, err)
		}
	}
}

// Report is the one conversion of a platform lead, for callbacks and polls alike.
func TestLeadReport(t *testing.T) {
	notice, selected := "<p>Declined</p>", "prod-1"
	lead := Lead{UUID: "lead-1", PartnerLeadID: "pl-1", Status: StatusProductSelected, Products: []Product{testProduct()},
		AdverseActionNotice: &notice, SelectedProductID: &selected}
	r, err := lead.Report()
	if err != nil {
		t.Fatalf("Report: %v", err)
	}
	if r.UUID != "lead-1" || r.PartnerLeadID != "pl-1" || r.Status != lending.LeadProductSelected ||
		len(r.Offers) != 1 || r.Offers[0].ProductID != "prod-1" || r.AdverseActionNotice != &notice || r.SelectedProductID != "prod-1" {
		t.Errorf("Report() = %+v", r)
	}
	if r, err := (Lead{UUID: "lead-2", Status: StatusInProgress}).Report(); err != nil || r.SelectedProductID != "" || r.AdverseActionNotice != nil {
		t.Errorf("Report() of a lead without results = %+v, %v", r, err)
	}
	if _, err := (Lead{UUID: "lead-3", Status: "finished"}).Report(); !errors.Is(err, lending.ErrUnknownLeadStatus) {
		t.Errorf("Report() with an unknown status = %v, want ErrUnknownLeadStatus", err)
	}
	broken := testProduct()
	broken.TermMonths = 0
	if _, err := (Lead{UUID: "lead-4", Status: StatusOffersFound, Products: []Product{broken}}).Report(); !errors.Is(err, ErrInvalidProduct) {
		t.Errorf("Report() with a bad product = %v, want ErrInvalidProduct", err)
	}
}
