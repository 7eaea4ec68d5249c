package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"prequal/lending"
)

// createScreened stores an application from its own session and address and
// returns it as screened.
func createScreened(t *testing.T, s *Store, a lending.Applicant, ip string) lending.Application {
	t.Helper()
	app, _, err := s.CreateApplication(context.Background(), NewApplication{SessionID: NewID(), IdempotencyKey: NewID(),
		Applicant: a, ClientIP: ip, LeadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// Plus tags (and case) do not make a new email address for the velocity rule:
// a+1@, a+2@, … are one mailbox.
func TestEmailVelocityIgnoresPlusTags(t *testing.T) {
	s, _ := openTestStore(t)
	newFakeClock(s)
	for i := range lending.MaxApplicationsPerEmailPerHour + 2 {
		email := fmt.Sprintf("Avery.Stone+%d@Example.com", i)
		if i == 0 {
			email = "avery.stone@example.com"
		}
		a := testApplicant(email, fmt.Sprintf("%09d", 510000000+i))
		a.Email = email
		app := createScreened(t, s, a, fmt.Sprintf("198.51.100.%d", i+1))
		held := app.Review.Status == lending.ReviewManualReview
		if want := i >= lending.MaxApplicationsPerEmailPerHour; held != want {
			t.Errorf("application %d (%s): held %v, want %v", i+1, email, held, want)
		}
	}
}
