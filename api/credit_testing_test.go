package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// newPortalApplication stores a portal application owned by partner (as a
// partner's channel makes it), its lead not yet at the platform.
func (p *testAPI) newPortalApplication(partner, email string) lending.Application {
	p.t.Helper()
	app, _, err := p.store.CreateApplication(context.Background(), store.NewApplication{
		SessionID: "s-" + email, IdempotencyKey: "k-" + email, Channel: lending.ChannelCreditApplication, PartnerID: partner,
		IsTest: true, LeadTimeout: time.Minute,
		Applicant: lending.Applicant{
			RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation",
			FirstName: "Alex", LastName: "Rivera", Email: email, Phone: "2025550143",
			DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), SSN: "123-45-6789",
			Street: "1 Main St", City: "Springfield", State: "IL", Zipcode: "62701",
			EmploymentStatus: "employed", IncomeYearly: 85000_00, HousingType: "rent",
			HousingMonthly: 1400_00, CreditRating: "good",
		},
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return app
}

// newCustomer is an approved portal application of partner (an officer
// approved it) and its customer id.
func (p *testAPI) newCustomer(partner, email string) (lending.Application, string) {
	p.t.Helper()
	app := p.newPortalApplication(partner, email)
	if _, err := p.store.DecideReview(context.Background(), store.ReviewDecision{ApplicationID: app.ID,
		To: lending.ReviewApproved, Note: "verified", LeadTimeout: time.Minute}); err != nil {
		p.t.Fatal(err)
	}
	app, err := p.store.Application(context.Background(), app.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	return app, store.CustomerOf(app)
}

// eventTypes lists the partner events of an application, in order.
func (p *testAPI) eventTypes(appID string) []string {
	p.t.Helper()
	evs, err := p.store.PartnerEvents(context.Background(), appID)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// decodeJSON unmarshals an answer's body.
func decodeJSON(t *testing.T, r apiResponse, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, r.body)
	}
}

// sub substitutes the seed's placeholders.
func sub(s string, pairs ...string) string { return strings.NewReplacer(pairs...).Replace(s) }
