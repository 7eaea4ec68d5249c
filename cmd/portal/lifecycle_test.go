package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/stage"
)

// The lead lifecycle end to end: the portal submits through its worker to the
// embedded stage platform over real HTTP, and results come back as signed
// callbacks (or through polling) on the portal's own HTTP server.

func TestLifecycleHappyPath(t *testing.T) {
	p := startPortal(t)
	sc := scenario(t, stage.ScenarioOffersAllRanges)
	start := time.Now()
	id := p.SubmitScenario(sc)
	app := p.WaitStatus(id, 5*time.Second, lending.LeadOffersFound, lending.LeadNoOffers, lending.LeadTimedOut)
	took := time.Since(start)
	t.Logf("submit → offers_found in %s", took)
	if app.Lead.Status != lending.LeadOffersFound {
		t.Fatalf("status = %s", app.Lead.Status)
	}
	offers, err := p.App.store.LeadOffers(context.Background(), id)
	if err != nil || len(offers) == 0 {
		t.Fatalf("offers = %v, %v", offers, err)
	}
	ranges := map[lending.AmountRange]bool{}
	for _, o := range offers {
		ranges[o.AmountRange] = true
		if !strings.HasPrefix(o.LenderOfferURL, p.Cfg.PlatformBaseURL+"/") {
			t.Errorf("offer %s links to %q", o.ProductID, o.LenderOfferURL)
		}
	}
	if len(ranges) != 3 {
		t.Errorf("offers cover ranges %v, want all three", ranges)
	}
	if app.Lead.UUID == "" || app.Lead.LastCallbackAt.IsZero() {
		t.Errorf("lead = %+v", app.Lead)
	}
	changes := p.Events(id, lending.EventStatusChanged)
	if n := len(changes); n == 0 || changes[n-1].StatusTo != string(lending.LeadOffersFound) || changes[n-1].Source != lending.SourceCallback {
		t.Errorf("status changes = %+v; want the last one, to offers_found, from a callback", changes)
	}
	if len(p.Events(id, lending.EventLeadCreated)) != 1 || len(p.Events(id, lending.EventCallbackAccepted)) == 0 {
		t.Errorf("timeline = %+v", p.Events(id))
	}
	if leads := p.StageLeads(app.PartnerLeadID); len(leads) != 1 || leads[0].UUID != app.Lead.UUID {
		t.Errorf("stage platform leads = %+v", leads)
	}

	// Nothing secret in the logs: not the borrower's SSN or birth date, not the
	// callback token, the client secret or the webhook secret.
	logs := p.Logs.String()
	secrets := []string{sc.Form["ssn"], strings.ReplaceAll(sc.Form["ssn"], "-", ""), sc.Form["dob"],
		p.Cfg.CallbackToken, p.Cfg.ClientSecret, string(p.Cfg.webhookSecrets[0])}
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the logs contain %q", s)
		}
	}
	if !strings.Contains(logs, app.CorrelationID) {
		t.Error("the logs never mention the application's correlation id")
	}
}

func TestLifecycleEveryScenarioReachesItsExpectedStatus(t *testing.T) {
	// Polling starts late enough that callbacks, not polls, bring the results of
	// the callback scenarios even on a loaded machine.
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "5s", "PORTAL_POLL_AFTER", "2s", "PORTAL_POLL_EVERY", "500ms"))
	scenarios := stage.Scenarios()
	ids := make([]string, len(scenarios))
	for i, sc := range scenarios {
		ids[i] = p.SubmitScenario(sc)
	}
	for i, sc := range scenarios {
		t.Run(sc.ID, func(t *testing.T) {
			want := lending.LeadStatus(sc.ExpectedStatus)
			app := p.WaitStatus(ids[i], 15*time.Second, want)
			changes := p.Events(ids[i], lending.EventStatusChanged, lending.EventTimedOut)
			last := changes[len(changes)-1]
			switch sc.ID {
			case stage.ScenarioTimeout:
				if last.Kind != lending.EventTimedOut || last.Source != lending.SourceWorker {
					t.Errorf("last change = %+v, want our own timeout", last)
				}
			case stage.ScenarioPollingFallback:
				if last.Source != lending.SourcePoller {
					t.Errorf("last change = %+v, want it found by polling", last)
				}
				if len(p.Events(ids[i], lending.EventCallbackAccepted)) != 0 {
					t.Error("a callback arrived in the no-callback scenario")
				}
			case stage.ScenarioCallbackRetry:
				// Three deliveries are refused (bad signature); the fourth lands,
				// unless the poller got there first. Either way the callback is applied.
				p.WaitFor("the fourth delivery", 10*time.Second, func() bool {
					return len(p.Events(ids[i], lending.EventCallbackAccepted)) > 0
				})
			default:
				if last.Source != lending.SourceCallback || last.StatusTo != string(want) {
					t.Errorf("last change = %+v, want a callback to %s", last, want)
				}
			}
			offers, _ := p.App.store.LeadOffers(context.Background(), ids[i])
			if (want == lending.LeadOffersFound) != (len(offers) > 0) {
				t.Errorf("%s with %d offers", want, len(offers))
			}
			switch sc.ID {
			case stage.ScenarioNoOffersWithNotice, stage.ScenarioUnderwritingDecline:
				if app.Lead.AdverseActionNotice == "" {
					t.Error("no adverse action notice stored")
				}
			case stage.ScenarioHostileNotice:
				if !strings.Contains(app.Lead.AdverseActionNotice, "<script") {
					t.Error("the notice is not stored raw (it is sanitized when rendered)")
				}
			case stage.ScenarioNoOffersWithoutNotice:
				if app.Lead.AdverseActionNotice != "" {
					t.Errorf("notice %q where the platform sent none", app.Lead.AdverseActionNotice)
				}
			case stage.ScenarioDuplicateOutOfOrder:
				p.WaitFor("the repeated webhook-id", 10*time.Second, func() bool {
					return len(p.Events(ids[i], lending.EventCallbackDuplicate)) > 0
				})
				// The stale in_progress and finding_products callbacks come last.
				p.WaitFor("the stale callbacks", 10*time.Second, func() bool {
					n := 0
					for _, e := range p.Events(ids[i], lending.EventCallbackAccepted) {
						if strings.Contains(e.Detail, "no change") {
							n++
						}
					}
					return n >= 5
				})
				toOffers := 0
				for _, e := range p.Events(ids[i], lending.EventStatusChanged) {
					if e.StatusTo == string(lending.LeadOffersFound) {
						toOffers++
					}
				}
				if got := p.Application(ids[i]).Lead.Status; got != lending.LeadOffersFound || toOffers != 1 {
					t.Errorf("after duplicates and stale callbacks: %s, %d changes to offers_found", got, toOffers)
				}
			}
			if leads := p.StageLeads(app.PartnerLeadID); len(leads) != 1 {
				t.Errorf("the platform holds %d leads for this application", len(leads))
			}
		})
	}
}

func TestLifecycleRestartResumesWithoutDuplicates(t *testing.T) {
	env := withEnv("PORTAL_LEAD_TIMEOUT", "30s", "PORTAL_POLL_AFTER", "500ms", "PORTAL_POLL_EVERY", "1s",
		"PORTAL_JOB_LEASE", "1s")
	first := startPortal(t, env)
	first.SetStepDelay(150 * time.Millisecond) // kept by the stage platform across the restart
	picks := []string{stage.ScenarioOffersAllRanges, stage.ScenarioOffersLowerOnly, stage.ScenarioNoOffersWithNotice,
		stage.ScenarioCallbackRetry, stage.ScenarioPollingFallback, stage.ScenarioUnderwritingDecline,
		stage.ScenarioUnderwritingApprove, stage.ScenarioHostileNotice}
	ids := make([]string, len(picks))
	for i, id := range picks {
		ids[i] = first.SubmitScenario(scenario(t, id))
	}
	// Crash while submissions, steps and callbacks are in flight.
	first.WaitFor("the first lead", 5*time.Second, func() bool {
		return first.Application(ids[0]).Lead.UUID != ""
	})
	var at []string
	for _, id := range ids {
		a := first.Application(id)
		at = append(at, string(a.Lead.Status)+map[bool]string{true: "+uuid", false: ""}[a.Lead.UUID != ""])
	}
	killedAt := time.Now()
	first.Kill()
	t.Logf("killed with leads at %v", at)

	second := startPortal(t, env, withDataDir(first.Cfg.DataDir), withAddr(first.Cfg.Addr))
	for i, id := range picks {
		want := lending.LeadStatus(scenario(t, id).ExpectedStatus)
		app := second.WaitStatus(ids[i], 20*time.Second, want)
		leads := second.StageLeads(app.PartnerLeadID)
		if len(leads) != 1 || leads[0].UUID != app.Lead.UUID {
			t.Errorf("%s: the platform holds %+v, want exactly the one lead %s", id, leads, app.Lead.UUID)
		} else if leads[0].CreatedAt.Before(killedAt) && !strings.HasSuffix(at[i], "+uuid") {
			t.Logf("%s: created at the platform before the crash but not recorded; the resubmission found it", id)
		}
		if n := len(second.Events(ids[i], lending.EventLeadCreated)); n != 1 {
			t.Errorf("%s: %d lead_created events", id, n)
		}
		if open, _ := second.App.store.OpenSubmitJobs(context.Background(), ids[i]); open != 0 {
			t.Errorf("%s: %d submit jobs still open", id, open)
		}
	}
}

func TestLifecycleTimeoutThenLateResultUpgrades(t *testing.T) {
	// The slow-callback scenario answers after about 3 s, later than this timeout.
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "1s"))
	id := p.SubmitScenario(scenario(t, stage.ScenarioSlowCallback))
	p.WaitStatus(id, 5*time.Second, lending.LeadTimedOut)
	if ev := p.Events(id, lending.EventTimedOut); len(ev) != 1 {
		t.Fatalf("timed_out events = %+v", ev)
	}
	app := p.WaitStatus(id, 10*time.Second, lending.LeadOffersFound)
	changes := p.Events(id, lending.EventStatusChanged)
	last := changes[len(changes)-1]
	if last.StatusFrom != string(lending.LeadTimedOut) || last.StatusTo != string(lending.LeadOffersFound) || last.Source != lending.SourceCallback {
		t.Errorf("last change = %+v, want timed_out → offers_found by callback", last)
	}
	if offers, _ := p.App.store.LeadOffers(context.Background(), id); len(offers) == 0 {
		t.Error("the upgraded lead has no offers")
	}
	if _, next := app.Journey(); next != lending.ActionChooseOffer {
		t.Errorf("next action = %s, want the borrower to choose an offer", next)
	}
}
