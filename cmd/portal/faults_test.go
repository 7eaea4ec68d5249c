package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/sandbox"
	"prequal/stage"
)

// TestFaultPlatformOutage: the platform is down (nothing listens at
// PLATFORM_BASE_URL). Borrowers' applications are still accepted and shown as
// checking rates; the worker keeps retrying; when the platform comes back every
// one completes, each submitted exactly once.
func TestFaultPlatformOutage(t *testing.T) {
	platformAddr := freeLoopbackAddr(t) // closed: the outage
	p := startPortal(t, withEnv("PLATFORM_BASE_URL", "http://"+platformAddr+"/sandbox",
		"PORTAL_LEAD_TIMEOUT", "60s", "PORTAL_POLL_AFTER", "500ms"))
	picks := []string{stage.ScenarioOffersAllRanges, stage.ScenarioNoOffersWithNotice, stage.ScenarioUnderwritingApprove}
	ids := make([]string, len(picks))
	for i, id := range picks {
		ids[i] = p.SubmitScenario(scenario(t, id))
	}
	// Each has been tried and is waiting for its next try; the borrower sees the
	// checking-rates screen, not an error.
	for _, id := range ids {
		p.WaitFor("a failed try of "+id, 15*time.Second, func() bool {
			for _, e := range p.Events(id, lending.EventSubmitAttempt) {
				if strings.Contains(e.Detail, "failed") && strings.Contains(e.Detail, "next try") {
					return true
				}
			}
			return false
		})
		resp, err := p.Client.Get(p.URL + "/applications/" + id)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `data-testid="checking-rates"`) {
			t.Errorf("application %s during the outage: %d, checking-rates shown: %v", id, resp.StatusCode,
				strings.Contains(string(body), `data-testid="checking-rates"`))
		}
		if open, _ := p.App.store.OpenSubmitJobs(context.Background(), id); open != 1 {
			t.Errorf("application %s: %d open submit jobs during the outage, want 1", id, open)
		}
	}

	// The platform comes back, with the portal's credentials and callback URL.
	sb, err := sandbox.New(context.Background(), sandbox.Config{
		ClientID: p.Cfg.ClientID, ClientSecret: p.Cfg.ClientSecret, WebhookSecret: p.Cfg.webhookSecrets[0],
		CallbackURL: p.Cfg.callbackURL(), PublicURL: "http://" + platformAddr + "/sandbox",
		DBPath: filepath.Join(t.TempDir(), "sandbox.db"), Logger: newLogger(p.Logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb.Handler()))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln := listen(t, platformAddr)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = sb.Close() })

	for i, id := range picks {
		app := p.WaitStatus(ids[i], 30*time.Second, lending.LeadStatus(scenario(t, id).ExpectedStatus))
		if leads := p.StageLeads(app.PartnerLeadID); len(leads) != 1 || leads[0].UUID != app.Lead.UUID {
			t.Errorf("%s: the platform holds %+v, want the one lead %s", id, leads, app.Lead.UUID)
		}
		if open, _ := p.App.store.OpenSubmitJobs(context.Background(), ids[i]); open != 0 {
			t.Errorf("%s: %d submit jobs still open", id, open)
		}
	}
}

// TestFaultDatabaseGoesAway: the database fails under a running portal. The
// borrower gets the friendly error page, health says alive but not ready, the
// worker reports the failure without flooding the log, and the process keeps
// serving (no exit, so no crash loop) until it is stopped.
func TestFaultDatabaseGoesAway(t *testing.T) {
	p := startPortal(t)
	id := p.SubmitScenario(scenario(t, stage.ScenarioOffersAllRanges))
	p.WaitStatus(id, 10*time.Second, lending.LeadOffersFound)
	if err := p.App.store.Close(); err != nil {
		t.Fatal(err)
	}

	resp, err := p.Client.Get(p.URL + "/applications/" + id)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "Something went wrong on our side") {
		t.Errorf("application page: %d\n%.400s", resp.StatusCode, body)
	}
	for _, w := range []string{"sql", "store.", "closed"} {
		if strings.Contains(string(body), w) {
			t.Errorf("the error page shows %q", w)
		}
	}
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable} {
		resp, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}

	// A second of the worker's rounds against the dead database: still serving.
	time.Sleep(time.Second)
	select {
	case err := <-p.done:
		t.Fatalf("the portal stopped on its own: %v", err)
	default:
	}
	if resp, err := http.Get(p.URL + "/healthz"); err != nil {
		t.Fatalf("not serving any more: %v", err)
	} else {
		resp.Body.Close()
	}
	if n := strings.Count(p.Logs.String(), "worker round failed"); n > 3 {
		t.Errorf("the worker logged its failure %d times in a second\n%s", n, p.Logs.String())
	}
}
