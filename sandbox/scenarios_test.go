package sandbox

import (
	"slices"
	"strings"
	"testing"
	"time"

	"prequal/decision"
	"prequal/platform"
	"prequal/stage"
)

// TestEveryScenarioReachesItsStatus submits each QA scenario's form and drives
// GET /leads/{uuid} until the expected final status (for timeout: that it stays
// in finding_products), then checks what makes each scenario what it is.
func TestEveryScenarioReachesItsStatus(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	for _, sc := range stage.Scenarios() {
		t.Run(sc.ID, func(t *testing.T) {
			t.Parallel()
			uuid := h.create(tok, leadFromForm(t, sc.Form, "sc-"+sc.ID))

			if sc.ExpectedStatus == platform.StatusTimedOut {
				h.waitStatus(tok, uuid, platform.StatusFindingProducts)
				deadline := time.Now().Add(300 * time.Millisecond)
				for time.Now().Before(deadline) {
					if l := h.lead(tok, uuid); l.Status != platform.StatusFindingProducts {
						t.Fatalf("timeout scenario moved to %s", l.Status)
					}
					time.Sleep(20 * time.Millisecond)
				}
				if calls := h.recv.callsFor(uuid); len(calls) != 0 {
					t.Fatalf("timeout scenario sent %d callbacks", len(calls))
				}
				return
			}

			start := time.Now()
			l := h.waitStatus(tok, uuid, sc.ExpectedStatus)
			checkScenario(t, sc.ID, l)
			if sc.ID == stage.ScenarioSlowCallback && time.Since(start) < h.cfg.SlowCallbackDelay {
				t.Errorf("slow-callback finished after %s, before SlowCallbackDelay", time.Since(start))
			}

			if sc.ID == stage.ScenarioPollingFallback {
				skipped := false
				for _, e := range h.callLog(tok, "lead="+uuid) {
					skipped = skipped || (e.Kind == LogCallbackSkipped && e.LeadStatus == platform.StatusOffersFound)
				}
				if !skipped {
					t.Error("no callback_skipped entry for polling-fallback")
				}
				if calls := h.recv.callsFor(uuid); len(calls) != 0 {
					t.Fatalf("polling-fallback sent %d callbacks", len(calls))
				}
				return
			}
			// Every other scenario delivers its terminal result as a verified callback.
			waitFor(t, "the terminal callback", func() bool {
				return slices.ContainsFunc(h.recv.accepted(uuid), func(c receivedCall) bool {
					return c.Callback.Data.Status == sc.ExpectedStatus
				})
			})
		})
	}
}

// checkScenario asserts the result that makes a scenario what it is.
func checkScenario(t *testing.T, id string, l platform.Lead) {
	t.Helper()
	ranges := map[string]int{}
	for _, p := range l.Products {
		ranges[p.AmountRange]++
	}
	notice := ""
	if l.AdverseActionNotice != nil {
		notice = *l.AdverseActionNotice
	}
	switch id {
	case stage.ScenarioOffersAllRanges:
		if ranges[platform.RangeHigher] == 0 || ranges[platform.RangeRequested] == 0 || ranges[platform.RangeLower] == 0 {
			t.Errorf("ranges = %v, want all three", ranges)
		}
	case stage.ScenarioOffersLowerOnly:
		if len(ranges) != 1 || ranges[platform.RangeLower] == 0 {
			t.Errorf("ranges = %v, want only %s", ranges, platform.RangeLower)
		}
	case stage.ScenarioNoOffersWithNotice, stage.ScenarioUnderwritingDecline:
		if len(l.Products) != 0 || !strings.Contains(notice, ActionTaken) || !strings.Contains(notice, "Equal Credit Opportunity Act") {
			t.Errorf("products %d, notice %q", len(l.Products), notice)
		}
	case stage.ScenarioNoOffersWithoutNotice:
		if len(l.Products) != 0 || l.AdverseActionNotice != nil {
			t.Errorf("products %d, notice present %t", len(l.Products), l.AdverseActionNotice != nil)
		}
	case stage.ScenarioHostileNotice:
		for _, attack := range []string{"<script>alert(1)</script>", "onerror=alert(1)", `href="javascript:alert(1)"`,
			`hx-get="/x"`, `hx-trigger="load"`, "<svg onload=alert(1)>", "<iframe", "<form", "data:text/html", "<style>"} {
			if !strings.Contains(notice, attack) {
				t.Errorf("hostile notice lacks %q", attack)
			}
		}
		if !strings.Contains(notice, ActionTaken) {
			t.Error("hostile notice lacks its ordinary text")
		}
	default:
		if l.Status == platform.StatusOffersFound && len(l.Products) == 0 {
			t.Error("offers_found without products")
		}
	}
}

// TestScenarioPersonasMatchTheEngine proves each persona produces its outcome on
// its own: forced outcomes then only make sure of it.
func TestScenarioPersonasMatchTheEngine(t *testing.T) {
	now := time.Now()
	for _, sc := range stage.Scenarios() {
		t.Run(sc.ID, func(t *testing.T) {
			req := leadFromForm(t, sc.Form, "p-"+sc.ID)
			offers, _, err := panelRun{LeadUUID: "u-" + sc.ID, Request: req, On: now, PublicURL: "http://sb"}.natural()
			if err != nil {
				t.Fatal(err)
			}
			d := decision.Evaluate(applicantFor(req, req.RequestedLoanAmount, now))
			switch sc.ExpectedStatus {
			case platform.StatusNoOffers:
				if d.Approved || len(offers) != 0 || len(d.PrincipalReasons) == 0 {
					t.Errorf("want a decline with reasons: decision %+v, %d offers", d, len(offers))
				}
			default:
				if len(offers) == 0 {
					t.Errorf("want offers: decision %+v", d)
				}
			}
			switch sc.ID {
			case stage.ScenarioOffersAllRanges:
				for _, rng := range rangeOrder {
					if !hasRange(offers, rng) {
						t.Errorf("no natural offer in %s", rng)
					}
				}
			case stage.ScenarioOffersLowerOnly:
				if len(onlyRange(offers, platform.RangeLower)) != len(offers) {
					t.Errorf("natural offers outside the lower range")
				}
			}
		})
	}
}
