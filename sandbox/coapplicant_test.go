package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"prequal/stage"
)

// The co-applicant scenario's borrower alone is declined; with the co-applicant
// the engine weighs both incomes (and both housing payments) and lenders offer.
func TestCoApplicantTurnsADeclineIntoOffers(t *testing.T) {
	lead := scenarioLead(t, stage.ScenarioCoApplicantOffers, "pl-co")
	if lead.CoApplicant == nil {
		t.Fatal("the scenario has no co-applicant")
	}
	if fe := validateLead(lead, time.Now()); len(fe) != 0 {
		t.Fatalf("the scenario's lead is refused: %v", fe)
	}
	run := panelRun{LeadUUID: "u", PublicURL: "http://sb", Request: lead, On: time.Now()}
	with, _, err := run.natural()
	if err != nil || len(with) == 0 {
		t.Fatalf("with the co-applicant: %d offers (%v)", len(with), err)
	}
	run.Request.CoApplicant = nil
	alone, _, err := run.natural()
	if err != nil || len(alone) != 0 {
		t.Fatalf("alone: %d offers (%v), want a decline", len(alone), err)
	}

	a := applicantFor(lead, 15000, time.Now())
	if a.Income != 98000 {
		t.Errorf("household income %v, want 98000", a.Income)
	}
	lead.Housing.Type = "own_with_mortgage"
	if a := applicantFor(lead, 15000, time.Now()); a.ExistingDebt != 0.12*98000+12*(1000+500) {
		t.Errorf("household debt %v: other debt on both incomes plus both mortgage payments", a.ExistingDebt)
	}
}

func TestCoApplicantIsValidatedAndMasked(t *testing.T) {
	lead := scenarioLead(t, stage.ScenarioCoApplicantOffers, "pl-co")
	bad := lead
	co := *lead.CoApplicant
	co.SSN, co.Relationship, co.Employment.IncomeYearly = lead.Borrower.SSN, "landlord", -1
	bad.CoApplicant = &co
	fe := validateLead(bad, time.Now())
	for _, f := range []string{"coApplicant.ssn", "coApplicant.relationship", "coApplicant.employment.incomeYearly"} {
		if len(fe[f]) == 0 {
			t.Errorf("no error for %s: %v", f, fe)
		}
	}
	m := maskLead(lead)
	if m.CoApplicant.SSN != "*****1014" || m.CoApplicant.FirstName != "M." || strings.Contains(m.CoApplicant.DOB, "-") {
		t.Errorf("masked co-applicant %+v", m.CoApplicant)
	}
	if lead.CoApplicant.SSN != "512441014" {
		t.Error("masking changed the lead itself")
	}
	// A lead without a co-applicant says nothing about one on the wire.
	plain := plainLead(t, "pl-plain")
	if b, _ := jsonOf(plain); strings.Contains(b, "coApplicant") {
		t.Errorf("lead without a co-applicant: %s", b)
	}
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
