package decision

import "math"

// Factor formulas. The seed gives each factor's range but not its formula; these
// reproduce the seed's worked example exactly (40 / 27.9 / 3.7 / 6 / 7.5 / 8.5).
const (
	// incomeFullMarks is the income (dollars a year) that earns all 40 income points.
	incomeFullMarks = 60000.0
	// maxIncome … maxOpenLine are the seed's factor ranges, in points.
	maxIncome   = 40.0
	maxDebt     = 30.0
	maxPressure = 20.0
	maxAge      = 10.0
	maxTenure   = 10.0
	maxOpenLine = 10.0
	// minAge is the youngest valid applicant; each further two years earn a point.
	minAge = 18
	// tenurePointsPerYear: full tenure marks after 6⅔ years at the current job.
	tenurePointsPerYear = 1.5
	// openLinesBandLow/High bound the number of open credit lines that earns full
	// marks; each line outside the band costs openLinePenaltyPerLine points.
	openLinesBandLow       = 2
	openLinesBandHigh      = 4
	openLinePenaltyPerLine = 1.5
)

// incomeScore = 40 × min(1, income / 60000), 0–40.
func incomeScore(income float64) float64 {
	return maxIncome * min(1, income/incomeFullMarks)
}

// debtScore = 30 × (1 − debtToIncome), 0–30, on the unrounded ratio.
func debtScore(r ratios) float64 {
	return maxDebt * (1 - r.debtToIncome)
}

// amountPressure = min(20, 20 × requestedAmount / income), 0–20, deducted from the
// points; with no income a positive request takes the full 20.
func amountPressure(r ratios) float64 {
	return min(maxPressure, maxPressure*r.amountToIncome)
}

// ageScore = clamp((age − 18) / 2, 0, 10): full marks from age 38.
func ageScore(age int) float64 {
	return clamp((float64(age)-minAge)/2, 0, maxAge)
}

// tenureScore = min(10, 1.5 × yearsAtJob), floored at 0.
func tenureScore(yearsAtJob int) float64 {
	return clamp(tenurePointsPerYear*float64(yearsAtJob), 0, maxTenure)
}

// openLineScore is 10 for 2–4 open credit lines and 1.5 less for each line of
// distance from that band (1 → 8.5, 0 → 7, 5 → 8.5, 6 → 7, …), floored at 0.
func openLineScore(lines int) float64 {
	n := float64(lines) // float so that extreme ints cannot overflow below
	distance := 0.0
	switch {
	case n < openLinesBandLow:
		distance = openLinesBandLow - n
	case n > openLinesBandHigh:
		distance = n - openLinesBandHigh
	}
	return clamp(maxOpenLine-openLinePenaltyPerLine*distance, 0, maxOpenLine)
}

// clamp limits v to [lo, hi].
func clamp(v, lo, hi float64) float64 {
	return max(lo, min(hi, v))
}

// tenths rounds a factor to one decimal, half away from zero, and keeps it as an
// integer number of tenths so that summing and scoring are exact: float sums of
// one-decimal values could otherwise land either side of a rounding tie.
func tenths(v float64) int {
	return int(math.Round(v * 10))
}

// points are the six factors in tenths of a point, as rounded for display.
type points struct {
	income, debt, pressure, age, tenure, openLine int
}

// pointsOf computes and rounds every factor.
func pointsOf(in inputs, r ratios) points {
	return points{
		income:   tenths(incomeScore(in.income)),
		debt:     tenths(debtScore(r)),
		pressure: tenths(amountPressure(r)),
		age:      tenths(ageScore(in.age)),
		tenure:   tenths(tenureScore(in.yearsAtJob)),
		openLine: tenths(openLineScore(in.openCreditLines)),
	}
}

// total is income + debt − amountPressure + age + tenure + openLine, clamped to
// [0, 100] points (in tenths: [0, 1000]).
func (p points) total() int {
	sum := p.income + p.debt - p.pressure + p.age + p.tenure + p.openLine
	return max(0, min(1000, sum))
}

// factors is the seed's "factors" object: each factor to one decimal and the
// debt-to-income ratio to three decimals.
func (p points) factors(r ratios, estimated []string) Factors {
	return Factors{
		IncomeScore:     float64(p.income) / 10,
		DebtScore:       float64(p.debt) / 10,
		AmountPressure:  float64(p.pressure) / 10,
		AgeScore:        float64(p.age) / 10,
		TenureScore:     float64(p.tenure) / 10,
		OpenLineScore:   float64(p.openLine) / 10,
		DebtRatio:       math.Round(r.debtToIncome*1000) / 1000,
		EstimatedFields: estimated,
	}
}
