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

// The identity rule neither leaks nor poisons. A stranger who types someone
// else's SSN with any name cannot tell from the outcome whether that SSN ever
// applied here (their application goes on exactly as with a never-seen SSN;
// officers are told), and the stranger's application does not hold the real
// owner's later ones. Someone who cycles names on one SSN from one session or
// mailbox is still held: that reveals only what they did themselves.
func TestIdentityRuleIsNoOracleAndNoPoison(t *testing.T) {
	s, _ := openTestStore(t)
	newFakeClock(s)
	ctx := context.Background()
	apply := func(session, email, ssn, first, last string) lending.Application {
		t.Helper()
		a := testApplicant(email, ssn)
		a.FirstName, a.LastName = first, last
		app, _, err := s.CreateApplication(ctx, NewApplication{SessionID: session, IdempotencyKey: NewID(),
			Applicant: a, ClientIP: "198.51.100." + fmt.Sprint(len(session)), LeadTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	events := func(id, kind string) []lending.Event {
		t.Helper()
		all, err := s.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var out []lending.Event
		for _, e := range all {
			if e.Kind == kind {
				out = append(out, e)
			}
		}
		return out
	}
	owner := apply("owner-1", "owner@example.com", "521451234", "Avery", "Stone")
	if owner.Review.Status != lending.ReviewPending {
		t.Fatalf("the owner's first application: %s", owner.Review.Status)
	}

	probe := apply("stranger", "probe@example.net", "521451234", "Mallory", "Probe")
	control := apply("stranger-2", "probe2@example.net", "521459999", "Mallory", "Probe")
	pj, pn := probe.Journey()
	cj, cn := control.Journey()
	if probe.Review.Status != control.Review.Status || pj != cj || pn != cn {
		t.Errorf("a probe with a seen SSN: %s %s %s; with a never-seen SSN: %s %s %s — the outcome tells them apart",
			probe.Review.Status, pj, pn, control.Review.Status, cj, cn)
	}
	if len(events(probe.ID, lending.EventFlaggedForReview)) != 1 {
		t.Errorf("officers are not told the probe's SSN was seen with another identity: %+v", events(probe.ID, lending.EventFlaggedForReview))
	}
	if len(events(control.ID, lending.EventFlaggedForReview)) != 0 {
		t.Error("the never-seen SSN was flagged")
	}

	// The owner applies again, from a new browser: the stranger's application
	// does not count against them.
	again := apply("owner-2", "owner+again@example.com", "521451234", "Avery", "Stone")
	if again.Review.Status != lending.ReviewPending || len(events(again.ID, lending.EventFlaggedForReview)) != 0 {
		t.Errorf("the owner's later application: %s, flags %+v", again.Review.Status, events(again.ID, lending.EventFlaggedForReview))
	}

	// The stranger tries another name on the same SSN from the same session: held.
	cycle := apply("stranger", "other@example.org", "521451234", "Mallory", "Other")
	if cycle.Review.Status != lending.ReviewManualReview {
		t.Errorf("one session cycling names on one SSN: %s, want held", cycle.Review.Status)
	}
}
