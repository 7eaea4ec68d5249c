package decision

import (
	"testing"
)

// ratiosFor returns the unrounded ratios Evaluate decides on, so that boundary
// tests can prove they really sit on the boundary.
func ratiosFor(a Applicant) ratios { return ratiosOf(normalize(a)) }

// findApplicant searches a grid of plausible applicants for the first one whose
// decision satisfies ok; the search is deterministic. Income moves in $150 steps,
// one tenth of an income point, so that every tenth of the points total (and
// hence every score) is reachable: the other factors only move in halves.
func findApplicant(t *testing.T, ok func(Applicant, Decision) bool) Applicant {
	t.Helper()
	for income := 20100.0; income <= 60000; income += 150 {
		for _, debtShare := range []float64{0, 0.2, 0.4} {
			for _, amountShare := range []float64{0.1, 0.5, 0.6} {
				for age := 18; age <= 38; age++ {
					for years := 0; years <= 7; years++ {
						for _, lines := range []int{0, 1, 3} {
							a := Applicant{Age: age, Income: income, ExistingDebt: income * debtShare,
								RequestedAmount: income * amountShare, YearsAtJob: intp(years), OpenCreditLines: intp(lines)}
							if ok(a, Evaluate(a)) {
								return a
							}
						}
					}
				}
			}
		}
	}
	t.Fatal("no applicant in the search grid satisfies the condition")
	return Applicant{}
}

func TestTierBoundaries(t *testing.T) {
	// strong is comfortably inside the low tier on every condition but the one a
	// case moves: age 38, 7 years at the job and 3 lines earn full marks.
	strong := func(income, debt, amount float64) Applicant {
		return Applicant{Age: 38, Income: income, ExistingDebt: debt, RequestedAmount: amount,
			YearsAtJob: intp(7), OpenCreditLines: intp(3)}
	}
	lowRatios := func(a Applicant, _ Decision) bool {
		r := ratiosFor(a)
		return r.debtToIncome < 0.35 && r.amountToIncome <= 0.50
	}
	mediumRatios := func(a Applicant, _ Decision) bool {
		r := ratiosFor(a)
		return r.debtToIncome < 0.45 && r.amountToIncome <= 0.65
	}
	withScore := func(score int, ratiosOK func(Applicant, Decision) bool) func(Applicant, Decision) bool {
		return func(a Applicant, d Decision) bool { return d.Score == score && ratiosOK(a, d) }
	}

	tests := []struct {
		name string
		a    Applicant
		// holds proves the case isolates its boundary: the other conditions pass.
		holds     func(Applicant, Decision) bool
		wantTier  string
		wantCause cause // only for RiskHigh
	}{
		{"score 700 is low", findApplicant(t, withScore(700, lowRatios)), lowRatios, RiskLow, 0},
		{"score 699 is medium", findApplicant(t, withScore(699, lowRatios)), lowRatios, RiskMedium, 0},
		{"score 620 is medium", findApplicant(t, withScore(620, mediumRatios)), mediumRatios, RiskMedium, 0},
		{"score 619 is high", findApplicant(t, withScore(619, mediumRatios)), mediumRatios, RiskHigh, causeScore},

		{"DTI just below 0.35 is low", strong(100000, 34999, 50000),
			func(a Applicant, d Decision) bool { return d.Score >= 700 && ratiosFor(a).debtToIncome < 0.35 }, RiskLow, 0},
		{"DTI at 0.35 is medium", strong(100000, 35000, 50000),
			func(a Applicant, d Decision) bool { return d.Score >= 700 && ratiosFor(a).debtToIncome == 0.35 }, RiskMedium, 0},
		{"DTI just below 0.45 is medium", strong(100000, 44999, 10000),
			func(a Applicant, d Decision) bool { return d.Score >= 620 && ratiosFor(a).debtToIncome < 0.45 }, RiskMedium, 0},
		{"DTI at 0.45 is high", strong(100000, 45000, 10000),
			func(a Applicant, d Decision) bool { return d.Score >= 620 && ratiosFor(a).debtToIncome == 0.45 }, RiskHigh, causeDebt},

		{"amount at 0.50 of income is low", strong(100000, 0, 50000),
			func(a Applicant, d Decision) bool { return d.Score >= 700 && ratiosFor(a).amountToIncome == 0.50 }, RiskLow, 0},
		{"amount just above 0.50 is medium", strong(100000, 0, 50001),
			func(a Applicant, d Decision) bool { return d.Score >= 700 && ratiosFor(a).amountToIncome > 0.50 }, RiskMedium, 0},
		{"amount at 0.65 of income is medium", strong(100000, 0, 65000),
			func(a Applicant, d Decision) bool { return d.Score >= 620 && ratiosFor(a).amountToIncome == 0.65 }, RiskMedium, 0},
		{"amount just above 0.65 is high", strong(100000, 0, 65001),
			func(a Applicant, d Decision) bool { return d.Score >= 620 && ratiosFor(a).amountToIncome > 0.65 }, RiskHigh, causeAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Evaluate(tt.a)
			if !tt.holds(tt.a, d) {
				t.Fatalf("case does not isolate its boundary: score %d, ratios %+v", d.Score, ratiosFor(tt.a))
			}
			if d.RiskLevel != tt.wantTier {
				t.Errorf("riskLevel = %s, want %s (score %d, ratios %+v)", d.RiskLevel, tt.wantTier, d.Score, ratiosFor(tt.a))
			}
			if d.Approved != (tt.wantTier != RiskHigh) {
				t.Errorf("approved = %v for tier %s", d.Approved, tt.wantTier)
			}
			if tt.wantTier == RiskHigh {
				if got := primaryCause(ratiosFor(tt.a)); got != tt.wantCause {
					t.Errorf("primary cause = %d, want %d (declineReason %q)", got, tt.wantCause, deref(d.DeclineReason))
				}
			}
		})
	}
}

func TestScoreFromPoints(t *testing.T) {
	tests := []struct {
		tenths, want int
	}{
		{0, 200},
		{1000, 850},
		{862, 760},  // the seed example: 200 + 6.5 × 86.2 = 760.3
		{10, 207},   // 206.5: ties round up
		{30, 220},   // 219.5
		{769, 700},  // 699.85
		{768, 699},  // 699.2
		{646, 620},  // 619.9
		{645, 619},  // 619.25
		{-50, 200},  // defensive: never below 200
		{2000, 850}, // defensive: never above 850
	}
	for _, tt := range tests {
		if got := scoreFromPoints(tt.tenths); got != tt.want {
			t.Errorf("scoreFromPoints(%d) = %d, want %d", tt.tenths, got, tt.want)
		}
	}
}

func TestScoreBand(t *testing.T) {
	tests := []struct {
		score int
		want  string
	}{
		{850, "Excellent"}, {750, "Excellent"},
		{749, "Good"}, {700, "Good"},
		{699, "Fair"}, {650, "Fair"},
		{649, "Below average"}, {620, "Below average"},
		{619, "Poor"}, {200, "Poor"},
		{900, "Excellent"}, {100, "Poor"},
	}
	for _, tt := range tests {
		if got := ScoreBand(tt.score); got != tt.want {
			t.Errorf("ScoreBand(%d) = %q, want %q", tt.score, got, tt.want)
		}
	}
}
