package decision

import "math"

// Names of the optional fields, as they appear in Factors.EstimatedFields.
const (
	fieldYearsAtJob      = "yearsAtJob"
	fieldOpenCreditLines = "openCreditLines"
)

// inputs is an Applicant with defaults applied and invalid values neutralised, so
// the scoring code below never has to think about nil pointers, NaN or infinity.
type inputs struct {
	age                  int
	income, debt, amount float64 // dollars, finite and ≥ 0
	yearsAtJob           int
	openCreditLines      int
	yearsEstimated       bool
	linesEstimated       bool
}

// normalize applies the seed's defaults: an omitted yearsAtJob or openCreditLines
// counts as 0 and is remembered as estimated. Money that Validate would reject
// (negative, NaN, ±Inf) counts as 0, so that Evaluate stays total and in range
// even when called without validating first.
func normalize(a Applicant) inputs {
	in := inputs{
		age:    a.Age,
		income: dollars(a.Income),
		debt:   dollars(a.ExistingDebt),
		amount: dollars(a.RequestedAmount),
	}
	if a.YearsAtJob != nil {
		in.yearsAtJob = *a.YearsAtJob
	} else {
		in.yearsEstimated = true
	}
	if a.OpenCreditLines != nil {
		in.openCreditLines = *a.OpenCreditLines
	} else {
		in.linesEstimated = true
	}
	return in
}

// dollars keeps a finite, non-negative amount and turns anything else into 0.
func dollars(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// estimatedFields lists the defaulted optional fields in the seed's field order.
// It is never nil, so the JSON shows [] rather than null when nothing was estimated.
func (in inputs) estimatedFields() []string {
	fields := []string{}
	if in.yearsEstimated {
		fields = append(fields, fieldYearsAtJob)
	}
	if in.linesEstimated {
		fields = append(fields, fieldOpenCreditLines)
	}
	return fields
}

// ratios are the two unrounded ratios the tiers are decided on.
type ratios struct {
	// debtToIncome is existingDebt / income clamped to [0, 1]; with no income it is
	// 1 when there is any debt (the debt cannot be carried) and 0 otherwise.
	debtToIncome float64
	// amountToIncome is requestedAmount / income, unclamped; +Inf when a positive
	// amount is requested with no income, 0 when nothing is requested.
	amountToIncome float64
}

// ratiosOf computes the ratios of normalised inputs; none of them is ever NaN.
func ratiosOf(in inputs) ratios {
	var r ratios
	switch {
	case in.income > 0:
		r.debtToIncome = min(1, in.debt/in.income)
	case in.debt > 0:
		r.debtToIncome = 1
	}
	switch {
	case in.amount <= 0:
		r.amountToIncome = 0
	case in.income > 0:
		r.amountToIncome = in.amount / in.income
	default:
		r.amountToIncome = math.Inf(1)
	}
	return r
}
