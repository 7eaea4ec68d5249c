package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// A lender outcome arrives by signed callback (the lead's lenderOutcome, an
// extension of seed 000) and the borrower reads it in words beside the chosen
// offer; an unknown outcome is refused like an unknown status.
func TestLenderOutcomeReachesTheBorrower(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, []lending.Offer{
		{ProductID: "p1", LenderName: "Acme Lending", AmountRange: lending.RangeRequested, LoanAmount: 15000_00, TermMonths: 36,
			APR: 1299, InterestRate: 1149, MonthlyPayment: 505_40, TotalRepayment: 18194_40, TotalInterest: 3194_40,
			OriginationFee: 300_00, LenderOfferURL: "https://lender.example/o/p1", Disclaimer: "Subject to verification."},
	}, nil)
	p.updateSelected(uuid, "p1")
	secret := p.cfg.WebhookSecrets[0]
	status := p.signedCallback(secret, "wh_1", uuid, &platform.LenderOutcome{Status: "declined", ProductID: "p1",
		Reasons: []string{"Unable to verify income"}, DecidedAt: time.Now().UTC()})
	if status != http.StatusNoContent {
		t.Fatalf("callback: %d", status)
	}
	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	section := d.Find(`[data-testid="lender-outcome"]`)
	if section.AttrOr("data-outcome", "") != "declined" || !strings.Contains(section.Text(), "Acme Lending declined your loan application") ||
		strings.TrimSpace(section.Find(`[data-testid="lender-outcome-reasons"] li`).Text()) != "Unable to verify income" {
		t.Fatalf("lender outcome section: %q", section.Text())
	}
	st := d.Find(`[data-testid="application-status"]`)
	if st.AttrOr("data-status", "") != "product_selected" || st.Text() != "The lender declined your loan application" {
		t.Errorf("status %q / %q", st.AttrOr("data-status", ""), st.Text())
	}
	if status := p.signedCallback(secret, "wh_2", uuid, &platform.LenderOutcome{Status: "repossessed", ProductID: "p1"}); status < 400 || status >= 500 {
		t.Errorf("unknown outcome answered %d", status)
	}
}

// updateSelected records the platform's report that the borrower chose productID.
func (p *testPortal) updateSelected(uuid, productID string) {
	p.t.Helper()
	if _, err := p.store.ApplyLeadUpdate(context.Background(), store.LeadUpdate{LeadReport: lending.LeadReport{UUID: uuid,
		Status: lending.LeadProductSelected, SelectedProductID: productID}, Source: lending.SourcePoller}); err != nil {
		p.t.Fatal(err)
	}
}

// signedCallback sends the platform's signed callback of a product_selected lead
// carrying a lender outcome and returns the portal's answer.
func (p *testPortal) signedCallback(secret platform.WebhookSecret, webhookID, uuid string, o *platform.LenderOutcome) int {
	p.t.Helper()
	selected := "p1"
	body, err := json.Marshal(platform.Callback{Type: platform.CallbackEventType, Timestamp: time.Now().UTC(),
		Data: platform.Lead{UUID: uuid, Status: platform.StatusProductSelected, Products: []platform.Product{},
			SelectedProductID: &selected, LenderOutcome: o, UpdatedAt: time.Now().UTC()}})
	if err != nil {
		p.t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.srv.Config.Handler.ServeHTTP(rec, signedRequest(p.t, "/callbacks/platform/"+p.cfg.CallbackToken, secret, webhookID, time.Now(), body))
	return rec.Code
}
