package worker

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// The lead carries the co-applicant as seed 000's extension, and nothing about
// one when there is none.
func TestLeadRequestCarriesTheCoApplicant(t *testing.T) {
	r := store.LeadRequest{PartnerLeadID: "pl_1", Applicant: lending.Applicant{
		RequestedAmount: 15000_00, FirstName: "Rowan", IncomeYearly: 18000_00, HousingType: "rent", HousingMonthly: 1000_00,
		DOB: time.Date(1994, 5, 6, 0, 0, 0, 0, time.UTC), SSN: "512441013",
	}}
	b, _ := json.Marshal(leadRequest(r))
	if strings.Contains(string(b), "coApplicant") {
		t.Fatalf("a lead without a co-applicant mentions one: %s", b)
	}
	r.Applicant.CoApplicant = &lending.CoApplicant{FirstName: "Morgan", LastName: "Ellis", Email: "morgan@example.com",
		DOB: time.Date(1992, 9, 18, 0, 0, 0, 0, time.UTC), SSN: "512441014", EmploymentStatus: "employed",
		IncomeYearly: 80000_00, HousingMonthly: 500_00, Relationship: "spouse"}
	b, _ = json.Marshal(leadRequest(r))
	want := `"coApplicant":{"firstName":"Morgan","lastName":"Ellis","email":"morgan@example.com","dob":"1992-09-18","ssn":"512441014","relationship":"spouse","employment":{"status":"employed","incomeYearly":80000},"housingMonthlyPayment":500}`
	if !strings.Contains(string(b), want) {
		t.Fatalf("lead %s\nlacks %s", b, want)
	}
}
