package sandbox

import (
	"strings"
	"testing"
	"time"

	"prequal/decision"
	"prequal/lending"
	"prequal/platform"
)

func TestRangeAmounts(t *testing.T) {
	tests := []struct {
		requested           int64
		lower, higher       int64 // 0: no such range
		wantLower, wantHigh bool
	}{
		{15000, 11300, 18800, true, true}, // 11,250 and 18,750 round half up
		{20000, 15000, 25000, true, true},
		{1000, 0, 1300, false, true}, // 750 is below the platform minimum
		{1300, 1000, 1600, true, true},
		{100000, 75000, 125000, true, true},
	}
	for _, tc := range tests {
		got := rangeAmounts(tc.requested)
		if got[platform.RangeRequested] != tc.requested {
			t.Errorf("%d: requested = %d", tc.requested, got[platform.RangeRequested])
		}
		if l, ok := got[platform.RangeLower]; ok != tc.wantLower || l != tc.lower {
			t.Errorf("%d: lower = %d (%t), want %d", tc.requested, l, ok, tc.lower)
		}
		if h, ok := got[platform.RangeHigher]; ok != tc.wantHigh || h != tc.higher {
			t.Errorf("%d: higher = %d (%t), want %d", tc.requested, h, ok, tc.higher)
		}
	}
}

func TestApplicantFor(t *testing.T) {
	on := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	base := platform.LeadRequest{
		CreditRating: "fair",
		Borrower:     platform.Borrower{DOB: "1990-06-02"},
		Employment:   platform.Employment{Status: "employed", IncomeYearly: 80000},
		Housing:      platform.Housing{Type: "own_with_mortgage", MonthlyPayment: 1500},
	}
	a := applicantFor(base, 12000, on)
	if a.Age != 35 || a.Income != 80000 || a.RequestedAmount != 12000 {
		t.Errorf("applicant = %+v", a)
	}
	if want := 12.0*1500 + 0.12*80000; a.ExistingDebt != want {
		t.Errorf("existingDebt = %v, want %v", a.ExistingDebt, want)
	}
	if a.OpenCreditLines == nil || *a.OpenCreditLines != 1 || a.YearsAtJob == nil || *a.YearsAtJob != 3 {
		t.Errorf("lines %v years %v", a.OpenCreditLines, a.YearsAtJob)
	}

	renter := base
	renter.Housing = platform.Housing{Type: "rent", MonthlyPayment: 1500}
	renter.Employment.Status = "self_employed"
	renter.CreditRating = "excellent"
	r := applicantFor(renter, 12000, on)
	if r.ExistingDebt != 0.02*80000 || r.YearsAtJob != nil || *r.OpenCreditLines != 3 {
		t.Errorf("renter = %+v", r)
	}
	if d := decision.Evaluate(r); !contains(d.Factors.EstimatedFields, "yearsAtJob") {
		t.Errorf("estimated fields = %v", d.Factors.EstimatedFields)
	}
	// Worse credit never lowers the debt.
	prev := -1.0
	for _, rating := range []string{"excellent", "good", "fair", "poor"} {
		l := base
		l.CreditRating = rating
		if d := applicantFor(l, 12000, on).ExistingDebt; d <= prev {
			t.Errorf("%s debt %v not above %v", rating, d, prev)
		} else {
			prev = d
		}
	}
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func TestLenderPricing(t *testing.T) {
	if len(panel) < 6 {
		t.Fatalf("%d lenders, want at least 6", len(panel))
	}
	slugs := map[string]bool{}
	for _, l := range panel {
		if slugs[l.Slug] {
			t.Errorf("duplicate slug %s", l.Slug)
		}
		slugs[l.Slug] = true
		if l.rateFor(850) != l.BaseRate || l.rateFor(200) != l.MaxRate || l.rateFor(700) < l.rateFor(800) {
			t.Errorf("%s: rates %s %s %s", l.Slug, l.rateFor(850), l.rateFor(700), l.rateFor(200))
		}
		if l.feeFor(850) != l.MinFee || l.feeFor(l.MinScore) != l.MaxFee || l.feeFor(300) != l.MaxFee {
			t.Errorf("%s: fees %s %s", l.Slug, l.feeFor(850), l.feeFor(l.MinScore))
		}
		if l.MaxRate > 3600 || l.MaxFee > 1000 {
			t.Errorf("%s: pricing above what a real personal loan charges", l.Slug)
		}
	}
	// Approval needs the engine's approval and the box.
	l := panel[0]
	approved := decision.Decision{Approved: true, Score: l.MinScore, Factors: decision.Factors{DebtRatio: l.MaxDTI}}
	if ok, _ := l.fits(approved, l.MinAmount); !ok {
		t.Error("the edge of the box does not fit")
	}
	for name, tc := range map[string]struct {
		d      decision.Decision
		amount int64
		reason string
	}{
		"declined":  {decision.Decision{Approved: false, Score: 800}, l.MinAmount, ""},
		"low score": {decision.Decision{Approved: true, Score: l.MinScore - 1}, l.MinAmount, boxReasonScore},
		"high DTI":  {decision.Decision{Approved: true, Score: 800, Factors: decision.Factors{DebtRatio: l.MaxDTI + 0.001}}, l.MinAmount, boxReasonDTI},
		"too small": {approved, l.MinAmount - 1, boxReasonAmount},
		"too large": {approved, l.MaxAmount + 1, boxReasonAmount},
	} {
		if ok, why := l.fits(tc.d, tc.amount); ok || why != tc.reason {
			t.Errorf("%s: fits %t, reason %q, want %q", name, ok, why, tc.reason)
		}
	}
}

func TestQuotePicksAnAffordableTerm(t *testing.T) {
	run := panelRun{LeadUUID: "u", PublicURL: "http://sb", Request: platform.LeadRequest{
		Employment: platform.Employment{IncomeYearly: 60000}}}
	l := lender{Name: "T", Slug: "t", MinScore: 600, Terms: []int{12, 36, 60}, BaseRate: 1000, MaxRate: 1000}
	// $5,000 over 12 months is about $440, under 10 % of $5,000 a month.
	o, err := run.quote(l, platform.RangeRequested, 5000, 800)
	if err != nil || o.Product.TermMonths != 12 {
		t.Fatalf("term %d, err %v", o.Product.TermMonths, err)
	}
	// $30,000 over 12 or 36 months is more than $500 a month: 60 months.
	if o, _ = run.quote(l, platform.RangeRequested, 30000, 800); o.Product.TermMonths != 60 {
		t.Fatalf("term %d, want 60", o.Product.TermMonths)
	}
	// No income: the longest term.
	run.Request.Employment.IncomeYearly = 0
	if o, _ = run.quote(l, platform.RangeRequested, 5000, 800); o.Product.TermMonths != 60 {
		t.Fatalf("term %d, want 60", o.Product.TermMonths)
	}
	if o.Product.OriginationFee != 0 || o.Product.APR != o.Product.InterestRate {
		t.Errorf("without a fee the APR is the rate: %+v", o.Product)
	}
	am, _ := lending.Amortize(500000, 1000, 60)
	if o.Product.MonthlyPayment != am.MonthlyPayment.Dollars() {
		t.Errorf("payment %v, want %v", o.Product.MonthlyPayment, am.MonthlyPayment.Dollars())
	}
}

func TestMasking(t *testing.T) {
	m := maskLead(platform.LeadRequest{
		Borrower: platform.Borrower{FirstName: "Émile", LastName: "Zola", Email: "emile+tag@example.com",
			Phone: "2025550143", DOB: "1984-03-14", SSN: "123456789"},
		Address: platform.Address{Street: "1 Main St", City: "Paris", State: "TX"},
	})
	b := m.Borrower
	want := platform.Borrower{FirstName: "É.", LastName: "Z.", Email: "e***@example.com", Phone: "******0143",
		DOB: "1984", SSN: "*****6789"}
	if b != want {
		t.Errorf("masked = %+v, want %+v", b, want)
	}
	if m.Address.Street != "***" || m.Address.City != "Paris" {
		t.Errorf("address = %+v", m.Address)
	}
	for in, want := range map[string]string{"": "", "@example.com": "***@example.com", "nobody": "***", "a@b.co": "a***@b.co"} {
		if got := maskEmail(in); got != want {
			t.Errorf("maskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	if lastFour("123") != "***" || lastFour("") != "" {
		t.Error("short values are not fully masked")
	}
}

func TestKeyFactorsNeverCiteAge(t *testing.T) {
	f := decision.Factors{IncomeScore: 40, DebtScore: 30, AgeScore: 0, TenureScore: 10, OpenLineScore: 10}
	if got := keyFactors(f); len(got) != 0 {
		t.Errorf("key factors = %v: only age lost points", got)
	}
	f = decision.Factors{IncomeScore: 10, DebtScore: 12, AmountPressure: 20, TenureScore: 0, OpenLineScore: 7, DebtRatio: 0.6}
	got := keyFactors(f)
	if len(got) != 4 || !strings.HasPrefix(got[0], "Income") || !strings.HasPrefix(got[1], "Amount") || !strings.Contains(got[2], "60.0%") {
		t.Errorf("key factors = %v", got)
	}
}

func TestHostileNoticeKeepsTheOrdinaryNotice(t *testing.T) {
	ordinary, err := noticeHTML(noticeInput{Date: time.Now(), Amount: 5000,
		Decision: decision.Evaluate(decision.Applicant{Age: 30, Income: 10000, RequestedAmount: 5000})})
	if err != nil {
		t.Fatal(err)
	}
	h := hostileNotice(ordinary)
	if !strings.HasPrefix(h, `<section class="adverse-action-notice">`) || !strings.HasSuffix(strings.TrimSpace(h), "</section>") {
		t.Error("the hostile insert broke the notice's structure")
	}
	if !strings.Contains(h, ECOANotice[:60]) || !strings.Contains(h, "<script>alert(1)</script>") {
		t.Error("hostile notice lacks the ordinary or the hostile part")
	}
	if strings.Contains(ordinary, "<script") {
		t.Error("the ordinary notice has a script")
	}
}

// Whatever the portal's form accepts in a free-text field, the platform
// accepts too: a borrower the form let through is never left at "We couldn't
// send your request" because the platform refused their address.
func TestPortalTextRuleWithinPlatformRule(t *testing.T) {
	today := time.Now()
	values := []string{"Apt 4B", "<4B>", "4>B", "1 Main\x00St", "Main\u202eSt", "Main\nSt", "Rue de l'Église",
		strings.Repeat("9", lending.MaxUnitLength), strings.Repeat("é", lending.MaxCityLength), strings.Repeat("x", lending.MaxStreetLength),
		"  padded  ", "Main\xffSt", "&amp;", `"quoted"`}
	for _, field := range []string{lending.FieldStreet, lending.FieldUnit, lending.FieldCity} {
		for _, v := range values {
			form := lending.ApplicationForm{}
			for k, x := range validPortalForm() {
				form[k] = x
			}
			form[field] = v
			a, errs := form.Validate(today)
			if len(errs) > 0 {
				continue // the portal refuses it itself, with a message next to the field
			}
			lead := leadFromForm(t, validPortalForm(), "p-text")
			lead.Address.Street, lead.Address.Unit, lead.Address.City = a.Street, a.Unit, a.City
			if fe := validateLead(lead, today); len(fe) > 0 {
				t.Errorf("%s=%q: the portal accepts it, the platform refuses it: %v", field, v, fe)
			}
		}
	}
}

// validPortalForm is a valid borrower form as the portal's page posts it.
func validPortalForm() map[string]string {
	return map[string]string{
		"requestedLoanAmount": "15000", "loanPurpose": "debt_consolidation", "firstName": "Alex", "lastName": "Rivera",
		"email": "alex@example.com", "phone": "2025550143", "dob": "1990-04-12", "ssn": "123456789",
		"street": "1 Main St", "unit": "", "city": "Springfield", "state": "IL", "zipcode": "62701",
		"employmentStatus": "employed", "incomeYearly": "85000", "housingType": "rent", "housingMonthlyPayment": "1400",
		"creditRating": "good", "consentSoftPull": "yes", "consentTerms": "yes", "consentEsign": "yes",
	}
}
