package decision

import (
	"slices"
	"testing"
)

func TestRegulationBReasonsList(t *testing.T) {
	if len(RegulationBReasons) != 24 {
		t.Errorf("form C-1 lists 24 reasons, we have %d", len(RegulationBReasons))
	}
	if RegulationBReasons[0] != "Credit application incomplete" || RegulationBReasons[len(RegulationBReasons)-1] != "Other, specify" {
		t.Errorf("list is not in form order: first %q, last %q", RegulationBReasons[0], RegulationBReasons[len(RegulationBReasons)-1])
	}
	for _, r := range []string{reasonIncomplete, reasonEmploymentLength, reasonIncome, reasonObligations, reasonLimitedCredit} {
		if !slices.Contains(RegulationBReasons, r) {
			t.Errorf("reason %q used by the engine is not on form C-1", r)
		}
	}
}

func TestPrincipalReasons(t *testing.T) {
	const (
		income      = "Income insufficient for amount of credit requested"
		obligations = "Excessive obligations in relation to income"
		employment  = "Length of employment"
		limited     = "Limited credit experience"
		incomplete  = "Credit application incomplete"
	)
	tests := []struct {
		name string
		a    Applicant
		want []string
	}{
		{
			name: "approved has none",
			a:    seedApplicant(),
			want: nil,
		},
		{
			// Score 746 is fine: only the failed amount threshold is a reason.
			name: "amount threshold alone",
			a:    Applicant{Age: 38, Income: 100000, RequestedAmount: 80000, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			want: []string{income},
		},
		{
			name: "both thresholds, amount first",
			a:    Applicant{Age: 38, Income: 100000, ExistingDebt: 50000, RequestedAmount: 70000, YearsAtJob: intp(7), OpenCreditLines: intp(3)},
			want: []string{income, obligations},
		},
		{
			// Score 390. Points lost: income 26.7 + pressure 12 = 38.7, debt 12,
			// tenure 8.5, open lines 1.5 (age is never cited).
			name: "score below 620, by points lost",
			a:    Applicant{Age: 18, Income: 20000, ExistingDebt: 8000, RequestedAmount: 12000, YearsAtJob: intp(1), OpenCreditLines: intp(1)},
			want: []string{income, obligations, employment, limited},
		},
		{
			// Omitted tenure (10 lost) and lines (3 lost) merge into one 13-point reason.
			name: "omitted fields are an incomplete application",
			a:    Applicant{Age: 18, Income: 20000, ExistingDebt: 8000, RequestedAmount: 12000},
			want: []string{income, incomplete, obligations},
		},
		{
			// DTI 0.5 fails the threshold: first, though income lost more points.
			name: "failed threshold outranks points lost",
			a:    Applicant{Age: 18, Income: 20000, ExistingDebt: 10000, RequestedAmount: 10000, YearsAtJob: intp(0), OpenCreditLines: intp(0)},
			want: []string{obligations, income, employment, limited},
		},
		{
			// Too many lines costs points but has no C-1 reason; full tenure is no reason.
			name: "only reasons that lost points",
			a:    Applicant{Age: 18, Income: 15000, ExistingDebt: 6000, RequestedAmount: 9000, YearsAtJob: intp(7), OpenCreditLines: intp(8)},
			want: []string{income, obligations},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.a)
			if !slices.Equal(d.PrincipalReasons, tt.want) || (tt.want == nil) != (d.PrincipalReasons == nil) {
				t.Errorf("principal reasons = %q, want %q (score %d, tier %s)", d.PrincipalReasons, tt.want, d.Score, d.RiskLevel)
			}
			if len(d.PrincipalReasons) > 4 {
				t.Errorf("%d reasons, at most 4", len(d.PrincipalReasons))
			}
			for _, r := range d.PrincipalReasons {
				if !slices.Contains(RegulationBReasons, r) {
					t.Errorf("reason %q is not worded as on form C-1", r)
				}
			}
		})
	}
}

func TestCompareReasonsTieFollowsFormOrder(t *testing.T) {
	rs := []weightedReason{
		{reason: reasonLimitedCredit, lostTenths: 30},
		{reason: reasonEmploymentLength, lostTenths: 30},
		{reason: reasonObligations, decisive: true},
		{reason: reasonIncome, lostTenths: 31},
	}
	slices.SortStableFunc(rs, compareReasons)
	var got []string
	for _, r := range rs {
		got = append(got, r.reason)
	}
	want := []string{reasonObligations, reasonIncome, reasonEmploymentLength, reasonLimitedCredit}
	if !slices.Equal(got, want) {
		t.Errorf("order = %q, want %q", got, want)
	}
}
