package stage

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

// requiredScenarioIDs are the ids the QA contract promises (README, "QA scenarios").
var requiredScenarioIDs = []string{
	"offers-all-ranges", "offers-lower-only", "no-offers-with-notice", "no-offers-without-notice", "timeout",
	"slow-callback", "callback-retry", "polling-fallback", "duplicate-out-of-order-callbacks", "hostile-notice",
	"underwriting-approve", "underwriting-decline",
}

func TestScenarioCatalogue(t *testing.T) {
	all := Scenarios()
	seen := map[string]bool{}
	for _, sc := range all {
		if seen[sc.ID] {
			t.Errorf("duplicate scenario id %q", sc.ID)
		}
		seen[sc.ID] = true
	}
	for _, id := range requiredScenarioIDs {
		if !seen[id] {
			t.Errorf("scenario %q is missing", id)
		}
	}
	for _, sc := range all {
		t.Run(sc.ID, func(t *testing.T) {
			if sc.Title == "" || sc.Description == "" {
				t.Error("title and description are required")
			}
			switch sc.ExpectedStatus {
			case string(lending.LeadOffersFound), string(lending.LeadNoOffers), string(lending.LeadTimedOut):
			default:
				t.Errorf("expectedStatus %q is not a final status", sc.ExpectedStatus)
			}
			for _, field := range lending.FormFields {
				if _, ok := sc.Form[field]; !ok && field != lending.FieldConsentTcpa {
					t.Errorf("form lacks %s", field)
				}
			}
			if _, ok := sc.Form[lending.FieldConsentTcpa]; ok {
				t.Error("consentTcpa must be left out (the optional box starts unticked)")
			}
			for _, c := range []string{lending.FieldConsentSoftPull, lending.FieldConsentTerms, lending.FieldConsentEsign} {
				if sc.Form[c] != "yes" {
					t.Errorf("%s = %q, want yes", c, sc.Form[c])
				}
			}
			// The portal's own validation accepts the form as it stands.
			if _, errs := lending.ApplicationForm(sc.Form).Validate(time.Now()); len(errs) > 0 {
				t.Errorf("the portal refuses the form: %v", errs)
			}
			got, ok := ScenarioFromEmail(sc.Form["email"])
			if !ok || got.ID != sc.ID {
				t.Errorf("ScenarioFromEmail(%q) = %q, %t", sc.Form["email"], got.ID, ok)
			}
		})
	}
}

func TestScenarioFromEmail(t *testing.T) {
	tests := []struct {
		email, want string
	}{
		{"alex+timeout@example.com", ScenarioTimeout},
		{"ALEX+Offers-All-Ranges@Example.COM", ScenarioOffersAllRanges},
		{"qa.team+hostile-notice@corp.example.org", ScenarioHostileNotice},
		{"alex@example.com", ""},
		{"alex+@example.com", ""},
		{"alex+unknown-scenario@example.com", ""},
		{"alex+timeout+extra@example.com", ""},
		{"timeout@example.com", ""},
		{"alex+timeout", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, ok := ScenarioFromEmail(tc.email)
		if ok != (tc.want != "") || got.ID != tc.want {
			t.Errorf("ScenarioFromEmail(%q) = %q, %t; want %q", tc.email, got.ID, ok, tc.want)
		}
	}
}

func TestScenariosAreCopies(t *testing.T) {
	first := Scenarios()
	first[0].Form["email"] = "changed@example.com"
	first[0].Title = "changed"
	again := Scenarios()
	if again[0].Form["email"] == "changed@example.com" || again[0].Title == "changed" {
		t.Fatal("changing a returned scenario changed the catalogue")
	}
}

func TestScenarioJSON(t *testing.T) {
	sc, ok := ScenarioByID(ScenarioTimeout)
	if !ok {
		t.Fatal("no timeout scenario")
	}
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"id", "title", "description", "expectedStatus", "form"} {
		if _, ok := m[key]; !ok {
			t.Errorf("JSON lacks %q: %s", key, b)
		}
	}
	if !strings.Contains(string(m["expectedStatus"]), string(lending.LeadTimedOut)) {
		t.Errorf("expectedStatus = %s", m["expectedStatus"])
	}
}
