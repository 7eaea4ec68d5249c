package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"prequal/lending"
)

// withOffers puts an application in offers_found, found at foundAt.
func withOffers(t *testing.T, s *Store, foundAt time.Time) lending.Application {
	t.Helper()
	app := admCreate(t, s)
	admSet(t, s, app.ID, "lead_status = 'offers_found', lead_submitted_at_ms = ?, lead_terminal_at_ms = ?", ms(foundAt), ms(foundAt))
	return app
}

func partnerEventTypes(t *testing.T, s *Store, id string) []string {
	t.Helper()
	evs, err := s.PartnerEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestDeclineOffers(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app := withOffers(t, s, time.Now())

	if _, err := s.DeclineOffers(ctx, app.ID, "not_a_reason"); !errors.Is(err, ErrInvalidDecision) {
		t.Fatalf("unknown reason: %v", err)
	}
	got, err := s.DeclineOffers(ctx, app.ID, "rate_too_high")
	if err != nil {
		t.Fatal(err)
	}
	if got.Review.Answer != lending.AnswerDeclined || got.Review.AnswerReason != "rate_too_high" || got.Review.AnswerAt.IsZero() ||
		lending.LineOfCreditStatus(got.StatusFacts()) != lending.LoCNotAcceptedCustomer || lending.OffersOpen(got) {
		t.Errorf("after the decline: %+v", got.Review)
	}
	events, _ := s.Events(ctx, app.ID)
	if last := events[len(events)-1]; last.Kind != lending.EventOffersDeclined || last.Detail != "None of these work for me: The rates are too high." {
		t.Errorf("timeline %+v", last)
	}
	if types := partnerEventTypes(t, s, app.ID); !slices.Contains(types, "application.CREDIT_NOT_ACCEPTED_BY_CUSTOMER") {
		t.Errorf("partner events %v", types)
	}
	// Once declined: no second answer, no selection.
	if _, err := s.DeclineOffers(ctx, app.ID, ""); !errors.Is(err, ErrOffersClosed) {
		t.Errorf("second decline: %v", err)
	}
	if _, err := s.w.Exec(`INSERT INTO products (application_id, product_id, lender_name, amount_range, loan_amount_cents,
		term_months, apr_bps, interest_rate_bps, monthly_payment_cents, total_repayment_cents, total_interest_cents,
		origination_fee_cents, lender_offer_url, disclaimer) VALUES (?, 'p1', 'L', 'requested', 100, 12, 1, 1, 1, 1, 1, 0, 'https://l', '')`, app.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SelectOffer(ctx, app.ID, "p1"); !errors.Is(err, ErrOfferLocked) {
		t.Errorf("select after decline: %v", err)
	}
	// No offers, or closed: nothing to decline.
	pending := admCreate(t, s)
	if _, err := s.DeclineOffers(ctx, pending.ID, ""); !errors.Is(err, ErrOffersClosed) {
		t.Errorf("decline without offers: %v", err)
	}

	// Counted in the funnel.
	st, err := s.Dashboard(ctx, DashboardQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil || st.OffersDeclined != 1 || st.OffersExpired != 0 {
		t.Errorf("funnel declined %d expired %d (%v)", st.OffersDeclined, st.OffersExpired, err)
	}
}

func TestExpireOffers(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	ttl := 30 * 24 * time.Hour
	old := withOffers(t, s, time.Now().Add(-ttl-time.Minute))
	fresh := withOffers(t, s, time.Now().Add(-ttl+time.Hour))
	declined := withOffers(t, s, time.Now().Add(-ttl-time.Hour))
	if _, err := s.DeclineOffers(ctx, declined.ID, ""); err != nil {
		t.Fatal(err)
	}
	expired, err := s.ExpireOffers(ctx, ttl, 100)
	if err != nil || !slices.Equal(expired, []string{old.ID}) {
		t.Fatalf("expired %v (%v), want only %s", expired, err, old.ID)
	}
	got, _ := s.Application(ctx, old.ID)
	if got.Review.Answer != lending.AnswerExpired || lending.LineOfCreditStatus(got.StatusFacts()) != lending.LoCNotAcceptedCustomer {
		t.Errorf("expired application %+v", got.Review)
	}
	if f, _ := s.Application(ctx, fresh.ID); f.Review.Answer != "" {
		t.Error("fresh offers expired")
	}
	events, _ := s.Events(ctx, old.ID)
	if last := events[len(events)-1]; last.Kind != lending.EventOffersExpired {
		t.Errorf("timeline %+v", last)
	}
	if again, err := s.ExpireOffers(ctx, ttl, 100); err != nil || len(again) != 0 {
		t.Errorf("second sweep %v %v", again, err)
	}
	if _, err := s.DeclineOffers(ctx, old.ID, ""); !errors.Is(err, ErrOffersClosed) {
		t.Errorf("decline after expiry: %v", err)
	}
	st, _ := s.Dashboard(ctx, DashboardQuery{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if st.OffersExpired != 1 || st.OffersDeclined != 1 {
		t.Errorf("funnel %d expired %d declined", st.OffersExpired, st.OffersDeclined)
	}
}
