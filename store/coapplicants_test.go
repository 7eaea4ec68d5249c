package store

import (
	"bytes"
	"context"
	"testing"
	"time"

	"prequal/lending"
)

func testCoApplicant(ssn string) *lending.CoApplicant {
	return &lending.CoApplicant{FirstName: "Sam", LastName: "Rivera", Email: "sam@example.com",
		DOB: time.Date(1988, 7, 3, 0, 0, 0, 0, time.UTC), SSN: ssn, EmploymentStatus: "self_employed",
		IncomeYearly: 62000_00, HousingMonthly: 700_00, Relationship: "spouse"}
}

func TestCoApplicantIsStoredWithTheApplicationAndSealed(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	const coSSN = "534567892"
	a := testApplicant("a@example.com", "123456789")
	a.CoApplicant = testCoApplicant(coSSN)
	app, _, err := s.CreateApplication(ctx, newApp("sess-1", NewID(), a))
	if err != nil {
		t.Fatal(err)
	}
	co := app.CoApplicant
	if co == nil {
		t.Fatal("the application read back has no co-applicant")
	}
	if co.FullName() != "Sam Rivera" || co.Email != "sam@example.com" || co.DOB.Format(time.DateOnly) != "1988-07-03" ||
		co.EmploymentStatus != "self_employed" || co.IncomeYearly != 62000_00 || co.HousingMonthly != 700_00 ||
		co.Relationship != "spouse" || co.MaskedSSN() != "***-**-7892" || co.SSN != "" {
		t.Errorf("co-applicant read back: %+v", co)
	}
	if app.HouseholdIncomeYearly() != 147000_00 || app.HouseholdHousingMonthly() != 2100_00 {
		t.Errorf("household: income %d housing %d", app.HouseholdIncomeYearly(), app.HouseholdHousingMonthly())
	}
	bound, err := s.ApplicationForSession(ctx, app.ID, "sess-1")
	if err != nil || bound.CoApplicant == nil || bound.CoApplicant.SSNLast4 != "7892" {
		t.Fatalf("borrower's read: %v %+v", err, bound.CoApplicant)
	}
	consents, err := s.Consents(ctx, app.ID)
	if err != nil || len(consents) != 7 {
		t.Fatalf("consents: %v %d, want the primary's 4 and the co-applicant's 3", err, len(consents))
	}
	for _, c := range consents[4:] {
		if !c.Granted || c.TextVersion != lending.ConsentTextVersion {
			t.Errorf("co-applicant consent %+v", c)
		}
	}
	// The lead request carries the SSN in clear (for the platform); the files never do.
	req, err := s.LeadRequestFor(ctx, app.ID)
	if err != nil || req.Applicant.CoApplicant == nil || req.Applicant.CoApplicant.SSN != coSSN {
		t.Fatalf("lead request: %v %+v", err, req.Applicant.CoApplicant)
	}
	b := storedBytes(t, s, path) // the SQLite file and its WAL, or every PostgreSQL row as text
	if bytes.Contains(b, []byte(coSSN)) {
		t.Fatal("the database file contains the co-applicant's SSN in clear")
	}
	var sealed []byte
	if err := s.r.QueryRow(`SELECT ssn_sealed FROM co_applicants WHERE application_id = ?`, app.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if _, err := s.sealer.Open(sealed, []byte(app.ID)); err == nil {
		t.Fatal("the co-applicant's sealed SSN opened as the primary's")
	}
}

func TestApplicationWithoutCoApplicantHasNone(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app, _, err := s.CreateApplication(ctx, newApp("sess-1", NewID(), testApplicant("a@example.com", "123456789")))
	if err != nil {
		t.Fatal(err)
	}
	req, err := s.LeadRequestFor(ctx, app.ID)
	if err != nil || app.CoApplicant != nil || req.Applicant.CoApplicant != nil {
		t.Fatalf("co-applicant on a single application: %v %+v %+v", err, app.CoApplicant, req.Applicant.CoApplicant)
	}
	if app.HouseholdIncomeYearly() != app.IncomeYearly {
		t.Errorf("household income %d", app.HouseholdIncomeYearly())
	}
}
