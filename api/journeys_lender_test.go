package api

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// TestHeadlessLenderOutcomes: after OFFER_SELECTED the chosen lender's
// reported outcome moves the state answer — approved is LENDER_PROCESSING
// (still CONTINUE_TO_LENDER, the lender's URL, a passive 20 s poll), declined
// is REJECTED with the lender's reasons as the offers answer's notice, and the
// chosen offer stays on show.
func TestHeadlessLenderOutcomes(t *testing.T) {
	p := newTestAPI(t)
	ctx := t.Context()
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)
	tok := openSession(t, p, key, "user-lo").SessionToken
	j := decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(tok, idem()...)...))
	path := "/api/v1/headless/journeys/" + j.ID
	good := `{"requestedLoanAmount":"15000","loanPurpose":"debt_consolidation","firstName":"Alex","lastName":"Rivera",
		"email":"alex@example.com","phone":"202-555-0143","dob":"1990-04-12","ssn":"123-45-6789","street":"1 Main St",
		"city":"Springfield","state":"IL","zipcode":"62701","employmentStatus":"employed","incomeYearly":"85000",
		"housingType":"rent","housingMonthlyPayment":"1400","creditRating":"good",
		"consentSoftPull":"yes","consentTerms":true,"consentEsign":"yes"}`
	if r := p.call(http.MethodPut, path+"/profile", "", good, bearer(tok, idem()...)...); r.status != http.StatusOK {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	sub := decode[journeyResponse](t, p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, idem()...)...))
	job, err := p.store.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != sub.ApplicationID {
		t.Fatalf("claim %+v %v", job, err)
	}
	if err := p.store.RecordLeadCreated(ctx, store.LeadCreated{Job: job, Attempt: 1, UUID: "lead-lo", Status: lending.LeadCreated,
		Deadline: time.Now().Add(time.Minute), FirstPoll: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	offers := []lending.Offer{{ProductID: "p1", LenderName: "Acme Lending", AmountRange: lending.RangeRequested, LoanAmount: 15000_00,
		TermMonths: 36, APR: 1299, InterestRate: 1149, MonthlyPayment: 505_40, TotalRepayment: 18194_40, TotalInterest: 3194_40,
		LenderOfferURL: "https://lender.example/o/p1", Disclaimer: "Subject to verification."}}
	update := func(webhookID string, status lending.LeadStatus, o *lending.LenderOutcome) {
		t.Helper()
		if _, err := p.store.ApplyLeadUpdate(ctx, store.LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-lo", Status: status,
			Offers: offers, SelectedProductID: "p1", LenderOutcome: o}, Source: lending.SourceCallback, WebhookID: webhookID}); err != nil {
			t.Fatal(err)
		}
	}
	update("wh-1", lending.LeadOffersFound, nil)
	if _, err := p.store.SelectOffer(ctx, sub.ApplicationID, "p1"); err != nil {
		t.Fatal(err)
	}
	state := func() stateResponse {
		t.Helper()
		return decode[stateResponse](t, p.call(http.MethodGet, path+"/state", "", "", bearer(tok)...))
	}
	if st := state(); st.Status != lending.JourneyOfferSelected || st.Diagnostics.PollAfterSeconds != 0 {
		t.Fatalf("selected: %+v", st)
	}

	update("wh-2", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderApproved, ProductID: "p1"})
	st := state()
	if st.Status != lending.JourneyLenderProcessing || st.NextAction != lending.ActionContinueToLender || st.ActionRequired ||
		st.Resource.Kind != lending.ResourceLenderRedirect || st.Resource.URL != "https://lender.example/o/p1" ||
		st.Diagnostics.WaitingFor != lending.WaitingForLender || st.Diagnostics.PollAfterSeconds != 20 {
		t.Fatalf("approved: %+v", st)
	}

	update("wh-3", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderDeclined, ProductID: "p1",
		Reasons: []string{"Unable to verify income"}})
	if st := state(); st.Status != lending.JourneyRejected || st.NextAction != lending.ActionReviewNotice ||
		st.Resource.Kind != lending.ResourceNotice || st.Diagnostics.WaitingFor != lending.WaitingForNothing || st.Diagnostics.PollAfterSeconds != 0 {
		t.Fatalf("declined: %+v", st)
	}
	o := decode[offersResponse](t, p.call(http.MethodGet, path+"/offers", "", "", bearer(tok)...))
	if o.SelectedOfferID != "p1" || !o.Locked || len(o.Groups) != 1 || o.Notice == nil ||
		!slices.Equal(o.Notice.DenialReasons, []string{"Unable to verify income"}) {
		t.Fatalf("offers after the lender's decline: %+v", o)
	}
	// A final outcome cannot be replaced, and the journey cannot be canceled.
	update("wh-4", lending.LeadProductSelected, &lending.LenderOutcome{Status: lending.LenderFunded, ProductID: "p1"})
	if st := state(); st.Status != lending.JourneyRejected {
		t.Errorf("funded after declined: %+v", st)
	}
	if r := p.call(http.MethodPost, path+"/cancel", "", "", bearer(tok, idem()...)...); r.status != http.StatusConflict {
		t.Errorf("cancel after the lender's decision: %d", r.status)
	}
}
