package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"prequal/lending"
)

// openTestStore opens a migrated store on a real SQLite file in a temp dir.
func openTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "portal.db")
	s, err := Open(context.Background(), path, testDataKey())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, path
}

// testDataKey is the data key of every test store.
func testDataKey() []byte {
	key := make([]byte, DataKeySize)
	for i := range key {
		key[i] = byte(i)
	}
	return key
}

// testApplicant is a valid applicant; vary email/SSN per test to avoid screening.
func testApplicant(email, ssn string) lending.Applicant {
	return lending.Applicant{
		RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation",
		FirstName: "Alex", LastName: "Rivera", Email: email, Phone: "2025550143",
		DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), SSN: ssn,
		Street: "1 Main St", City: "Springfield", State: "IL", Zipcode: "62701",
		EmploymentStatus: "employed", IncomeYearly: 85000_00, HousingType: "rent",
		HousingMonthly: 1400_00, CreditRating: "good",
	}
}
