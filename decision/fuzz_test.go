package decision

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
)

// FuzzEvaluate checks the engine's invariants on any input, valid or not. Its
// seed corpus runs with every plain `go test`.
func FuzzEvaluate(f *testing.F) {
	f.Add(30, 65000.0, 4500.0, 12000.0, 5, 1, true, true) // the seed example
	f.Add(18, 0.0, 0.0, 1.0, 0, 0, false, false)
	f.Add(38, 100000.0, 35000.0, 50000.0, 7, 3, true, true)
	f.Add(18, 20000.0, 8000.0, 12000.0, 1, 1, true, true)
	f.Add(99, 1e308, 1e308, 1e308, 1<<40, 1<<40, true, true)
	f.Add(-5, -1.0, -1.0, -1.0, -1, -1, true, true)
	f.Add(math.MinInt, math.NaN(), math.Inf(1), math.Inf(-1), math.MinInt, math.MaxInt, true, true)
	f.Add(math.MaxInt, 5e-324, 1e308, 1e308, math.MaxInt, math.MinInt, true, true)
	f.Add(40, 0.0, 5000.0, 0.0, 3, 3, false, true)

	f.Fuzz(func(t *testing.T, age int, income, debt, amount float64, years, lines int, hasYears, hasLines bool) {
		a := Applicant{Age: age, Income: income, ExistingDebt: debt, RequestedAmount: amount}
		if hasYears {
			a.YearsAtJob = &years
		}
		if hasLines {
			a.OpenCreditLines = &lines
		}
		d := Evaluate(a)

		if d.Score < 200 || d.Score > 850 {
			t.Errorf("score %d outside [200, 850]", d.Score)
		}
		fs := d.Factors
		for _, c := range []struct {
			name    string
			v, hi   float64
			tenthly bool
		}{
			{"incomeScore", fs.IncomeScore, 40, true},
			{"debtScore", fs.DebtScore, 30, true},
			{"amountPressure", fs.AmountPressure, 20, true},
			{"ageScore", fs.AgeScore, 10, true},
			{"tenureScore", fs.TenureScore, 10, true},
			{"openLineScore", fs.OpenLineScore, 10, true},
			{"debtRatio", fs.DebtRatio, 1, false},
		} {
			if math.IsNaN(c.v) || c.v < 0 || c.v > c.hi {
				t.Errorf("%s = %v outside [0, %v]", c.name, c.v, c.hi)
			}
			if c.tenthly && math.Abs(c.v*10-math.Round(c.v*10)) > 1e-9 {
				t.Errorf("%s = %v is not rounded to one decimal", c.name, c.v)
			}
		}
		// The score follows from the displayed factors alone.
		pts := math.Round((fs.IncomeScore + fs.DebtScore - fs.AmountPressure + fs.AgeScore + fs.TenureScore + fs.OpenLineScore) * 10)
		if want := scoreFromPoints(int(max(0, min(1000, pts)))); d.Score != want {
			t.Errorf("score %d does not follow from factors %+v (want %d)", d.Score, fs, want)
		}

		switch d.RiskLevel {
		case RiskLow, RiskMedium, RiskHigh:
		default:
			t.Errorf("riskLevel %q", d.RiskLevel)
		}
		if d.Approved != (d.RiskLevel != RiskHigh) {
			t.Errorf("approved=%v with riskLevel %s", d.Approved, d.RiskLevel)
		}
		if d.Approved {
			if d.ApprovalReason == nil || d.DeclineReason != nil || d.PrincipalReasons != nil {
				t.Errorf("approved with approvalReason=%v declineReason=%v principalReasons=%q", d.ApprovalReason, d.DeclineReason, d.PrincipalReasons)
			}
		} else {
			if d.ApprovalReason != nil || d.DeclineReason == nil {
				t.Errorf("declined with approvalReason=%v declineReason=%v", d.ApprovalReason, d.DeclineReason)
			}
			if n := len(d.PrincipalReasons); n < 1 || n > 4 {
				t.Errorf("declined with %d principal reasons %q, want 1–4", n, d.PrincipalReasons)
			}
			for i, r := range d.PrincipalReasons {
				if !slices.Contains(RegulationBReasons, r) || slices.Index(d.PrincipalReasons, r) != i {
					t.Errorf("principal reason %q is not a distinct form C-1 reason", r)
				}
			}
		}
		if len(d.NextSteps) == 0 {
			t.Error("no next steps")
		}
		if fs.EstimatedFields == nil || len(fs.EstimatedFields) != boolCount(!hasYears, !hasLines) {
			t.Errorf("estimatedFields %#v for hasYears=%v hasLines=%v", fs.EstimatedFields, hasYears, hasLines)
		}
		if _, err := json.Marshal(d); err != nil { // fails on NaN or ±Inf
			t.Errorf("marshal: %v", err)
		}
		if again := Evaluate(a); !reflect.DeepEqual(again, d) {
			t.Errorf("not deterministic: %+v then %+v", d, again)
		}
	})
}

// boolCount counts the true values.
func boolCount(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
