package store

import (
	"context"
	"testing"
	"time"

	"prequal/lending"
)

func TestLenderOutcomeMovesForwardOnly(t *testing.T) {
	ctx := context.Background()
	s, clock := lcStore(t)
	app := lcSubmitted(t, s, clock, "lead-lo")
	offers := []lending.Offer{lcOffer("p1", lending.RangeRequested), lcOffer("p2", lending.RangeLower)}
	update := func(id string, status lending.LeadStatus, o *lending.LenderOutcome) {
		t.Helper()
		if _, err := s.ApplyLeadUpdate(ctx, LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-lo", Status: status,
			Offers: offers, SelectedProductID: "p1", LenderOutcome: o}, Source: lending.SourceCallback, WebhookID: id}); err != nil {
			t.Fatal(err)
		}
	}
	update("m1", lending.LeadOffersFound, nil)
	if got := lcApp(t, s, app.ID).LenderOutcome; got.Known() {
		t.Fatalf("outcome before any: %+v", got)
	}
	update("m2", lending.LeadProductSelected, nil)
	// An outcome about an offer that was not chosen is noted and ignored.
	update("m3", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p2"})
	if got := lcApp(t, s, app.ID).LenderOutcome; got.Known() {
		t.Fatalf("an outcome for another product was applied: %+v", got)
	}
	update("m4", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p1"})
	got := lcApp(t, s, app.ID)
	if got.LenderOutcome.Status != lending.LenderApproved || got.LenderOutcome.ProductID != "p1" || got.LenderOutcome.At.IsZero() || len(got.LenderOutcome.Reasons) != 0 {
		t.Fatalf("after approval: %+v", got.LenderOutcome)
	}
	clock.advance(time.Minute)
	update("m5", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p1"}) // repeated: nothing
	update("m6", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderDeclined, ProductID: "p1",
		Reasons: []string{"Unable to verify income", "  ", "Unable\tto verify identity"}})
	got = lcApp(t, s, app.ID)
	if got.LenderOutcome.Status != lending.LenderDeclined || len(got.LenderOutcome.Reasons) != 2 || got.LenderOutcome.Reasons[1] != "Unable to verify identity" {
		t.Fatalf("after decline: %+v", got.LenderOutcome)
	}
	update("m7", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderFunded, ProductID: "p1"}) // after a final one: nothing
	if got = lcApp(t, s, app.ID); got.LenderOutcome.Status != lending.LenderDeclined {
		t.Fatalf("a final outcome changed: %+v", got.LenderOutcome)
	}
	events := lcEvents(t, s, app.ID, lending.EventLenderOutcome)
	if len(events) != 3 || events[1].StatusTo != "approved" || events[2].StatusFrom != "approved" || events[2].StatusTo != "declined" ||
		events[2].Detail != "the lender declined the loan: Unable to verify income; Unable to verify identity" {
		t.Fatalf("timeline: %+v", events)
	}
}
