package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/stage"
)

// The X-Correlation-ID a borrower's request carries becomes the application's,
// and every Platform API call made for it (the submit, the polls) carries the
// same id: one id ties the request's log lines to the platform's call log.
func TestCorrelationIDTravelsToThePlatform(t *testing.T) {
	p := startPortal(t)
	const id = "partner-corr-2026-0001"
	appID := p.Submit(scenario(t, stage.ScenarioOffersAllRanges).Form, "X-Correlation-ID", id)
	app := p.WaitStatus(appID, 30*time.Second, lending.LeadOffersFound)
	if app.CorrelationID != id {
		t.Fatalf("application correlation id %q, want the request's %q", app.CorrelationID, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log, err := p.Platform.StageLog(ctx, app.PartnerLeadID)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, e := range log {
		if e.Kind == "lead_submit" || e.Kind == "lead_poll" {
			calls++
			if e.CorrelationID != id {
				t.Errorf("platform call %s carried %q, want %q", e.Kind, e.CorrelationID, id)
			}
		}
	}
	if calls == 0 {
		t.Fatalf("no platform calls in the stage log: %+v", log)
	}
	if logs := p.Logs.String(); !strings.Contains(logs, "request_id="+id) {
		t.Error("the request's log lines do not carry its correlation id")
	}
}
