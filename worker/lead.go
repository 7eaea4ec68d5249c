package worker

import (
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// leadRequest converts a stored application to the platform's lead payload:
// money leaves the program in whole dollars here, at the API edge.
func leadRequest(r store.LeadRequest) platform.LeadRequest {
	a := r.Applicant
	lead := platform.LeadRequest{
		PartnerLeadID:       r.PartnerLeadID,
		RequestedLoanAmount: wholeDollars(a.RequestedAmount),
		LoanPurpose:         a.LoanPurpose,
		CreditRating:        a.CreditRating,
		Borrower: platform.Borrower{
			FirstName: a.FirstName,
			LastName:  a.LastName,
			Email:     a.Email,
			Phone:     a.Phone,
			DOB:       a.DOB.Format(time.DateOnly),
			SSN:       a.SSN,
		},
		Address: platform.Address{
			Street:  a.Street,
			Unit:    a.Unit,
			City:    a.City,
			State:   a.State,
			Zipcode: a.Zipcode,
		},
		Employment: platform.Employment{Status: a.EmploymentStatus, IncomeYearly: wholeDollars(a.IncomeYearly)},
		Housing:    platform.Housing{Type: a.HousingType, MonthlyPayment: wholeDollars(a.HousingMonthly)},
	}
	if co := a.CoApplicant; co != nil {
		lead.CoApplicant = &platform.CoApplicant{
			FirstName:             co.FirstName,
			LastName:              co.LastName,
			Email:                 co.Email,
			DOB:                   co.DOB.Format(time.DateOnly),
			SSN:                   co.SSN,
			Relationship:          co.Relationship,
			Employment:            platform.Employment{Status: co.EmploymentStatus, IncomeYearly: wholeDollars(co.IncomeYearly)},
			HousingMonthlyPayment: wholeDollars(co.HousingMonthly),
		}
	}
	return lead
}

// wholeDollars rounds cents half away from zero to whole dollars; the form only
// takes whole dollars, so nothing is lost in practice.
func wholeDollars(c lending.Cents) int64 {
	if c < 0 {
		return -int64((-c + 50) / 100)
	}
	return int64((c + 50) / 100)
}
