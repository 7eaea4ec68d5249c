package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"prequal/lending"
)

// TestLeadLifecycleEmitsStatusEvents: every status change of the one status
// model is a partner event, written with the change: submitted (Pending),
// offers found (Approved, CREDIT_APPROVED), an offer chosen (accepted).
func TestLeadLifecycleEmitsStatusEvents(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app := admCreate(t, s)
	job, err := s.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != app.ID {
		t.Fatalf("claim %+v %v", job, err)
	}
	if err := s.RecordLeadCreated(ctx, LeadCreated{Job: job, Attempt: 1, UUID: "lead-1", Status: lending.LeadCreated,
		Deadline: time.Now().Add(time.Minute), FirstPoll: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	offer := lending.Offer{ProductID: "p1", LenderName: "L", AmountRange: lending.RangeRequested, LoanAmount: 12000_00,
		TermMonths: 36, APR: 999, InterestRate: 899, MonthlyPayment: 1, TotalRepayment: 1, TotalInterest: 1,
		LenderOfferURL: "https://l.example/p1", Disclaimer: "d"}
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-1", Status: lending.LeadOffersFound,
		Offers: []lending.Offer{offer}}, Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SelectOffer(ctx, app.ID, "p1"); err != nil {
		t.Fatal(err)
	}
	want := []string{"creditApplication.pending", "creditApplication.approved", "application.CREDIT_APPROVED",
		"application.CREDIT_ACCEPTED_BY_CUSTOMER"}
	if got := partnerEventTypes(t, s, app.ID); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	// An officer's unlock takes the acceptance back: CREDIT_APPROVED again.
	if _, err := s.ApplyOfficerAction(ctx, OfficerActionRequest{ApplicationID: app.ID, Action: lending.OfficerUnlockOffers,
		Note: "chose by mistake", By: admByOfficer(), LeadTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if got := partnerEventTypes(t, s, app.ID); got[len(got)-1] != "application.CREDIT_APPROVED" {
		t.Errorf("after the unlock: %v", got)
	}
	// A lead with no offers is Denied.
	other := admCreate(t, s)
	job, _ = s.ClaimSubmitJob(ctx, "test", time.Minute)
	if err := s.RecordLeadCreated(ctx, LeadCreated{Job: job, Attempt: 1, UUID: "lead-2", Status: lending.LeadCreated,
		Deadline: time.Now().Add(time.Minute), FirstPoll: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-2", Status: lending.LeadNoOffers},
		Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	if got := partnerEventTypes(t, s, other.ID); !slices.Equal(got, []string{"creditApplication.pending", "creditApplication.denied", "application.CREDIT_DENIED"}) {
		t.Errorf("no offers: events %v", got)
	}
}
