package sandbox

import (
	"math"
	"time"

	"prequal/decision"
	"prequal/platform"
)

// How a lead becomes a decision.Applicant. The lead carries no credit report, so
// the stage platform derives the engine's inputs from what the borrower told us:
//
//   - age: whole years from the date of birth on the day the lead is decided;
//   - income: employment.incomeYearly;
//   - existingDebt: for own_with_mortgage, the yearly mortgage payment (12 ×
//     housing.monthlyPayment), plus other debt that grows as the self-assessed
//     credit rating worsens: 2 % of income for excellent, 6 % good, 12 % fair,
//     22 % poor (people with weaker credit tend to carry more revolving debt).
//     Rent is a living cost, not a debt balance, so it does not count;
//   - openCreditLines: excellent 3, good 2, fair 1, poor 0;
//   - yearsAtJob: 3 when employed; omitted otherwise, so the engine estimates it
//     and says so in estimatedFields.
//
// A lead with a coApplicant (the portal's extension of seed 000) is weighed as a
// household: income is both incomes; other debt is the same credit-rating share
// of both incomes; a mortgage counts both payments (the borrower's and the
// co-applicant's share); yearsAtJob is 3 when either of them is employed. Age and
// open credit lines stay the borrower's.
var (
	otherDebtShare = map[string]float64{"excellent": 0.02, "good": 0.06, "fair": 0.12, "poor": 0.22}
	openLines      = map[string]int{"excellent": 3, "good": 2, "fair": 1, "poor": 0}
)

const (
	employedYearsAtJob = 3
	monthsPerYear      = 12
)

// applicantFor maps a lead to the engine's applicant for a requested amount.
func applicantFor(req platform.LeadRequest, amountDollars int64, on time.Time) decision.Applicant {
	income := float64(householdIncome(req))
	mortgage := req.Housing.MonthlyPayment
	employed := req.Employment.Status == "employed"
	if co := req.CoApplicant; co != nil {
		mortgage += co.HousingMonthlyPayment
		employed = employed || co.Employment.Status == "employed"
	}
	debt := math.Round(otherDebtShare[req.CreditRating] * income)
	if req.Housing.Type == "own_with_mortgage" {
		debt += float64(mortgage * monthsPerYear)
	}
	lines := openLines[req.CreditRating]
	a := decision.Applicant{
		Age:             ageFromDOB(req.Borrower.DOB, on),
		Income:          income,
		ExistingDebt:    debt,
		RequestedAmount: float64(amountDollars),
		OpenCreditLines: &lines,
	}
	if employed {
		years := employedYearsAtJob
		a.YearsAtJob = &years
	}
	return a
}

// ageFromDOB is 0 for an unreadable date (validation keeps those out).
func ageFromDOB(dob string, on time.Time) int {
	d, err := time.Parse(time.DateOnly, dob)
	if err != nil {
		return 0
	}
	return ageOn(d, on)
}

// householdIncome is the yearly income a lead stands on in dollars: the
// borrower's, plus the co-applicant's when there is one.
func householdIncome(req platform.LeadRequest) int64 {
	income := req.Employment.IncomeYearly
	if co := req.CoApplicant; co != nil {
		income += co.Employment.IncomeYearly
	}
	return income
}
