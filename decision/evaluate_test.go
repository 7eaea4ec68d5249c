package decision

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// intp returns a pointer to n, for the optional fields.
func intp(n int) *int { return &n }

// The seed's request body and the "decision" object of its 200 response, verbatim.
const (
	seedRequest = `{
"age": 30,
"income": 65000,
"existingDebt": 4500,
"requestedAmount": 12000,
"yearsAtJob": 5,
"openCreditLines": 1
}`
	seedDecision = `{
"score": 760,
"riskLevel": "low",
"approved": true,
"approvalReason": "Low debt-to-income ratio (6.9%) with income that comfortably supports the requested amount.",
"declineReason": null,
"nextSteps": ["Offer competitive APR", "Enable instant funding"],
"factors": {
"incomeScore": 40, "debtScore": 27.9, "amountPressure": 3.7,
"ageScore": 6, "tenureScore": 7.5, "openLineScore": 8.5,
"debtRatio": 0.069,
"estimatedFields": []
}
}`
)

// seedApplicant is the seed's worked-example applicant.
func seedApplicant() Applicant {
	return Applicant{Age: 30, Income: 65000, ExistingDebt: 4500, RequestedAmount: 12000,
		YearsAtJob: intp(5), OpenCreditLines: intp(1)}
}

func TestEvaluateSeedExampleJSON(t *testing.T) {
	var a Applicant
	if err := json.Unmarshal([]byte(seedRequest), &a); err != nil {
		t.Fatalf("unmarshal seed request: %v", err)
	}
	if !reflect.DeepEqual(a, seedApplicant()) {
		t.Fatalf("seed request decoded as %+v", a)
	}

	got, err := json.Marshal(Evaluate(a))
	if err != nil {
		t.Fatalf("marshal decision: %v", err)
	}
	var gotMap, wantMap map[string]any
	if err := json.Unmarshal(got, &gotMap); err != nil {
		t.Fatalf("unmarshal our decision: %v", err)
	}
	if err := json.Unmarshal([]byte(seedDecision), &wantMap); err != nil {
		t.Fatalf("unmarshal seed decision: %v", err)
	}

	// Field by field first, so a failure names the field.
	for _, key := range []string{"score", "riskLevel", "approved", "approvalReason", "declineReason", "nextSteps"} {
		if _, ok := gotMap[key]; !ok {
			t.Errorf("our JSON has no %q field", key)
		}
		if !reflect.DeepEqual(gotMap[key], wantMap[key]) {
			t.Errorf("%s = %#v, seed says %#v", key, gotMap[key], wantMap[key])
		}
	}
	gotFactors, _ := gotMap["factors"].(map[string]any)
	wantFactors := wantMap["factors"].(map[string]any)
	for key, want := range wantFactors {
		if !reflect.DeepEqual(gotFactors[key], want) {
			t.Errorf("factors.%s = %#v, seed says %#v", key, gotFactors[key], want)
		}
	}
	// Then the whole object, which also catches extra fields (PrincipalReasons must
	// stay out of the seed's JSON).
	if !reflect.DeepEqual(gotMap, wantMap) {
		t.Errorf("decision JSON differs from the seed:\n got %s\nwant %s", got, seedDecision)
	}
	if strings.Contains(string(got), `"estimatedFields":null`) {
		t.Errorf("estimatedFields must be [] not null: %s", got)
	}
}

func TestEvaluateSeedExampleFactors(t *testing.T) {
	d := Evaluate(seedApplicant())
	want := Factors{IncomeScore: 40, DebtScore: 27.9, AmountPressure: 3.7, AgeScore: 6,
		TenureScore: 7.5, OpenLineScore: 8.5, DebtRatio: 0.069, EstimatedFields: []string{}}
	if !reflect.DeepEqual(d.Factors, want) {
		t.Errorf("factors = %+v, want %+v", d.Factors, want)
	}
	if d.Score != 760 || d.RiskLevel != RiskLow || !d.Approved {
		t.Errorf("got score %d %s approved=%v, want 760 low true", d.Score, d.RiskLevel, d.Approved)
	}
	if d.DeclineReason != nil || d.PrincipalReasons != nil {
		t.Errorf("approved decision has decline reason %v / principal reasons %v", d.DeclineReason, d.PrincipalReasons)
	}
	if got := ScoreBand(d.Score); got != "Excellent" {
		t.Errorf("ScoreBand(760) = %q, want Excellent", got)
	}
}

func TestEvaluateFactorFormulas(t *testing.T) {
	base := Applicant{Age: 38, Income: 60000, ExistingDebt: 0, RequestedAmount: 6000, YearsAtJob: intp(7), OpenCreditLines: intp(3)}
	tests := []struct {
		name   string
		modify func(*Applicant)
		field  func(Factors) float64
		want   float64
	}{
		{"income below full marks", func(a *Applicant) { a.Income = 30000 }, func(f Factors) float64 { return f.IncomeScore }, 20},
		{"income above full marks", func(a *Applicant) { a.Income = 250000 }, func(f Factors) float64 { return f.IncomeScore }, 40},
		{"no income", func(a *Applicant) { a.Income = 0 }, func(f Factors) float64 { return f.IncomeScore }, 0},
		{"debt ratio quarter", func(a *Applicant) { a.ExistingDebt = 15000 }, func(f Factors) float64 { return f.DebtScore }, 22.5},
		{"debt above income clamps", func(a *Applicant) { a.ExistingDebt = 90000 }, func(f Factors) float64 { return f.DebtScore }, 0},
		{"debt ratio clamps to 1", func(a *Applicant) { a.ExistingDebt = 90000 }, func(f Factors) float64 { return f.DebtRatio }, 1},
		{"no income with debt", func(a *Applicant) { a.Income, a.ExistingDebt = 0, 10 }, func(f Factors) float64 { return f.DebtRatio }, 1},
		{"no income no debt", func(a *Applicant) { a.Income = 0 }, func(f Factors) float64 { return f.DebtRatio }, 0},
		{"pressure tenth of income", func(a *Applicant) {}, func(f Factors) float64 { return f.AmountPressure }, 2},
		{"pressure capped", func(a *Applicant) { a.RequestedAmount = 120000 }, func(f Factors) float64 { return f.AmountPressure }, 20},
		{"pressure with no income", func(a *Applicant) { a.Income = 0 }, func(f Factors) float64 { return f.AmountPressure }, 20},
		{"age 18", func(a *Applicant) { a.Age = 18 }, func(f Factors) float64 { return f.AgeScore }, 0},
		{"age 25", func(a *Applicant) { a.Age = 25 }, func(f Factors) float64 { return f.AgeScore }, 3.5},
		{"age 70 capped", func(a *Applicant) { a.Age = 70 }, func(f Factors) float64 { return f.AgeScore }, 10},
		{"tenure 0", func(a *Applicant) { a.YearsAtJob = intp(0) }, func(f Factors) float64 { return f.TenureScore }, 0},
		{"tenure 3", func(a *Applicant) { a.YearsAtJob = intp(3) }, func(f Factors) float64 { return f.TenureScore }, 4.5},
		{"tenure capped", func(a *Applicant) { a.YearsAtJob = intp(40) }, func(f Factors) float64 { return f.TenureScore }, 10},
		{"0 lines", func(a *Applicant) { a.OpenCreditLines = intp(0) }, func(f Factors) float64 { return f.OpenLineScore }, 7},
		{"1 line", func(a *Applicant) { a.OpenCreditLines = intp(1) }, func(f Factors) float64 { return f.OpenLineScore }, 8.5},
		{"2 lines", func(a *Applicant) { a.OpenCreditLines = intp(2) }, func(f Factors) float64 { return f.OpenLineScore }, 10},
		{"4 lines", func(a *Applicant) { a.OpenCreditLines = intp(4) }, func(f Factors) float64 { return f.OpenLineScore }, 10},
		{"5 lines", func(a *Applicant) { a.OpenCreditLines = intp(5) }, func(f Factors) float64 { return f.OpenLineScore }, 8.5},
		{"6 lines", func(a *Applicant) { a.OpenCreditLines = intp(6) }, func(f Factors) float64 { return f.OpenLineScore }, 7},
		{"20 lines floors at 0", func(a *Applicant) { a.OpenCreditLines = intp(20) }, func(f Factors) float64 { return f.OpenLineScore }, 0},
		{"debt ratio rounds to 3 decimals", func(a *Applicant) { a.ExistingDebt = 20000 }, func(f Factors) float64 { return f.DebtRatio }, 0.333},
		{"factor rounds half away from zero", func(a *Applicant) { a.Income = 60000; a.ExistingDebt = 150 }, func(f Factors) float64 { return f.DebtScore }, 29.9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			tt.modify(&a)
			if got := tt.field(Evaluate(a).Factors); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEvaluateEstimatedFields(t *testing.T) {
	tests := []struct {
		name                  string
		years, lines          *int
		want                  []string
		wantTenure, wantLines float64
	}{
		{"both given", intp(5), intp(1), []string{}, 7.5, 8.5},
		{"both omitted", nil, nil, []string{"yearsAtJob", "openCreditLines"}, 0, 7},
		{"years omitted", nil, intp(3), []string{"yearsAtJob"}, 0, 10},
		{"lines omitted", intp(4), nil, []string{"openCreditLines"}, 6, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := seedApplicant()
			a.YearsAtJob, a.OpenCreditLines = tt.years, tt.lines
			f := Evaluate(a).Factors
			if f.EstimatedFields == nil || !slices.Equal(f.EstimatedFields, tt.want) {
				t.Errorf("estimatedFields = %#v, want %#v", f.EstimatedFields, tt.want)
			}
			if f.TenureScore != tt.wantTenure || f.OpenLineScore != tt.wantLines {
				t.Errorf("tenure/openLine = %v/%v, want %v/%v (omitted fields count as 0)", f.TenureScore, f.OpenLineScore, tt.wantTenure, tt.wantLines)
			}
		})
	}
}

func TestEvaluateOmittedFieldsJSON(t *testing.T) {
	var a Applicant
	if err := json.Unmarshal([]byte(`{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000}`), &a); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Evaluate(a))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"estimatedFields":["yearsAtJob","openCreditLines"]`) {
		t.Errorf("estimatedFields missing from %s", b)
	}
}

func TestEvaluateIsDeterministic(t *testing.T) {
	applicants := []Applicant{
		seedApplicant(),
		{Age: 18, Income: 20000, ExistingDebt: 8000, RequestedAmount: 12000},
		{Age: 45, Income: 100000, ExistingDebt: 45000, RequestedAmount: 10000, YearsAtJob: intp(2), OpenCreditLines: intp(6)},
	}
	want := make([]Decision, len(applicants))
	for i, a := range applicants {
		want[i] = Evaluate(a)
	}
	// Many goroutines at once: also lets -race catch any shared mutable state.
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 16 {
		wg.Go(func() {
			for i, a := range applicants {
				for range 50 {
					if got := Evaluate(a); !reflect.DeepEqual(got, want[i]) {
						errs <- "applicant " + describe(a) + " gave a different decision"
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// describe identifies an applicant in test failures.
func describe(a Applicant) string {
	b, _ := json.Marshal(a)
	return string(b)
}

func TestEvaluateReasonsAndNextSteps(t *testing.T) {
	tests := []struct {
		name     string
		a        Applicant
		tier     string
		approval string
		decline  string
		steps    []string
	}{
		{
			name:     "low risk, seed sentence",
			a:        seedApplicant(),
			tier:     RiskLow,
			approval: "Low debt-to-income ratio (6.9%) with income that comfortably supports the requested amount.",
			steps:    []string{"Offer competitive APR", "Enable instant funding"},
		},
		{
			name:     "medium risk",
			a:        Applicant{Age: 38, Income: 100000, ExistingDebt: 38200, RequestedAmount: 20000, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			tier:     RiskMedium,
			approval: "Debt-to-income ratio (38.2%) and a requested amount of 20.0% of annual income are within acceptable limits.",
			steps:    []string{"Offer standard APR", "Verify income before funding"},
		},
		{
			name:    "declined on amount",
			a:       Applicant{Age: 38, Income: 100000, RequestedAmount: 80000, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			tier:    RiskHigh,
			decline: "Requested amount is 80.0% of annual income, above the 65% limit.",
			steps:   []string{"Suggest a lower requested amount", "Reapply with documentation of additional income"},
		},
		{
			name:    "declined on amount that displays as the limit",
			a:       Applicant{Age: 38, Income: 100000, RequestedAmount: 65001, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			tier:    RiskHigh,
			decline: "Requested amount is more than 65.0% of annual income, above the 65% limit.",
			steps:   []string{"Suggest a lower requested amount", "Reapply with documentation of additional income"},
		},
		{
			name:    "declined on amount many times income",
			a:       Applicant{Age: 38, Income: 1000, RequestedAmount: 50000, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			tier:    RiskHigh,
			decline: "Requested amount is more than 1000% of annual income, above the 65% limit.",
			steps:   []string{"Suggest a lower requested amount", "Reapply with documentation of additional income"},
		},
		{
			name:    "declined with no income",
			a:       Applicant{Age: 38, Income: 0, RequestedAmount: 500},
			tier:    RiskHigh,
			decline: "Requested amount cannot be supported because no annual income was reported; the limit is 65% of annual income.",
			steps: []string{"Suggest a lower requested amount", "Reapply with documentation of additional income",
				"Resubmit with yearsAtJob and openCreditLines provided"},
		},
		{
			name:    "declined on debt-to-income",
			a:       Applicant{Age: 38, Income: 100000, ExistingDebt: 52300, RequestedAmount: 10000, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			tier:    RiskHigh,
			decline: "Debt-to-income ratio is 52.3%, at or above the 45% limit.",
			steps:   []string{"Reapply after reducing existing debt", "Suggest a lower requested amount"},
		},
		{
			name:    "declined on score",
			a:       Applicant{Age: 18, Income: 20000, ExistingDebt: 8000, RequestedAmount: 12000, YearsAtJob: intp(1), OpenCreditLines: intp(1)},
			tier:    RiskHigh,
			decline: "Credit score of 390 is below the 620 minimum.",
			steps:   []string{"Suggest a lower requested amount", "Reapply after reducing existing debt"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.a)
			if d.RiskLevel != tt.tier || d.Approved != (tt.tier != RiskHigh) {
				t.Fatalf("tier %s approved=%v, want %s (score %d)", d.RiskLevel, d.Approved, tt.tier, d.Score)
			}
			if got := deref(d.ApprovalReason); got != tt.approval || (tt.approval == "") != (d.ApprovalReason == nil) {
				t.Errorf("approvalReason = %q (nil=%v), want %q", got, d.ApprovalReason == nil, tt.approval)
			}
			if got := deref(d.DeclineReason); got != tt.decline || (tt.decline == "") != (d.DeclineReason == nil) {
				t.Errorf("declineReason = %q (nil=%v), want %q", got, d.DeclineReason == nil, tt.decline)
			}
			if !slices.Equal(d.NextSteps, tt.steps) {
				t.Errorf("nextSteps = %q, want %q", d.NextSteps, tt.steps)
			}
		})
	}
}

// deref reads an optional reason, "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
