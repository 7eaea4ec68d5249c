package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"prequal/lending"
	"prequal/platform"
	"prequal/stage"
)

// TestBrowserStageControlsShowInQAView: QA sets 3 failed deliveries on /qa; the
// next application's QA view shows three rejected callback attempts, then the
// one that landed; "Reset all controls" puts the defaults back.
func TestBrowserStageControlsShowInQAView(t *testing.T) {
	p := startPortal(t)
	tb := newTab(t, p.URL, true)
	tb.open("/qa")
	tb.do(
		chromedp.SetValue(chromedp.CSS(`#failDeliveries`), "3"),
		chromedp.SetValue(chromedp.CSS(`#leadTimeoutSeconds`), "60"),
		chromedp.Click(chromedp.CSS(`[data-testid="stage-controls"] button[type="submit"]`)),
	)
	tb.waitFor("controls saved", `document.querySelector('[data-testid="controls-saved"]')`, 5*time.Second)
	if v := evalJS[string](tb, `document.querySelector('#failDeliveries').value`); v != "3" {
		t.Fatalf("failDeliveries shows %q after saving", v)
	}
	tb.screenshot("qa-controls")

	sc, _ := stage.ScenarioByID(stage.ScenarioUnderwritingApprove)
	tb.startScenario(sc)
	if got := tb.waitStatus(30*time.Second, terminalStatuses...); got != "offers_found" {
		t.Fatalf("status %q", got)
	}
	tb.do(chromedp.Click(chromedp.CSS(`a[href^="/qa/applications/"]`)))
	tb.waitFor("QA view", `document.querySelector('[data-testid="qa-calls"]')`, 5*time.Second)
	attempts := evalJS[[]bool](tb, `[...document.querySelectorAll('[data-testid="qa-call"][data-kind="callback_attempt"]')].map(r => r.dataset.failed === "true")`)
	if got := fmtBools(attempts); !strings.HasPrefix(got, "failed failed failed ok") {
		t.Errorf("callback attempts: %s, want three failed then one ok", got)
	}
	if n := tb.count(`[data-testid="qa-call"][data-side="portal"][data-kind="callback_rejected"]`); n != 3 {
		t.Errorf("%d callback_rejected events on the portal side, want 3", n)
	}
	tb.axe("qa view")
	tb.screenshot("qa-view")

	tb.open("/qa")
	tb.do(chromedp.Click(chromedp.CSS(`[data-testid="reset-controls"]`)))
	tb.waitFor("controls reset", `document.querySelector('#failDeliveries') && document.querySelector('#failDeliveries').value === "0"`, 5*time.Second)
	if v := evalJS[string](tb, `document.querySelector('#leadTimeoutSeconds').value`); v != "120" {
		t.Errorf("lead timeout after reset: %q, want the configured 120", v)
	}
}

func fmtBools(b []bool) string {
	var out []string
	for _, v := range b {
		if v {
			out = append(out, "failed")
		} else {
			out = append(out, "ok")
		}
	}
	return strings.Join(out, " ")
}

// TestProductionHidesStageSurfaces: with PORTAL_ENV=production (and a real
// platform configured) there is no /qa, no scenario table, no /sandbox, and no
// stage banner.
func TestProductionHidesStageSurfaces(t *testing.T) {
	p := startPortal(t, withEnv(
		"PORTAL_ENV", "production",
		"PORTAL_BASE_URL", "https://rates.partner.example",
		"PLATFORM_BASE_URL", "https://platform.invalid",
		"PORTAL_SESSION_KEYS", randomB64(64),
		"PORTAL_DATA_KEY", randomB64(32),
		"PLATFORM_CLIENT_ID", "partner-7f3a9c",
		"PLATFORM_CLIENT_SECRET", "s3cr3t-9a8b7c6d5e4f3a2b1c0d",
		"PLATFORM_WEBHOOK_SECRET", string(platform.NewWebhookSecret()),
		"PLATFORM_CALLBACK_TOKEN", "k2v7m4q9x3c8w1z6r5t0y2u4",
		"PORTAL_SMTP_URL", "smtp://portal:relay-pw-7f3a9c@mail.partner-bank.net:587",
		"PORTAL_MAIL_FROM", "Partner Bank Loans <loans@partner-bank.net>",
		"PORTAL_POSTAL_ADDRESS", "1 Partner Plaza, Suite 100, Springfield, IL 62701",
	))
	for _, path := range []string{"/qa", "/qa/scenarios.json", "/qa/applications/aaaaaaaaaaaaaaaaaaaaaaaaaa", "/qa/mail", "/qa/mail.json", "/sandbox/controls", "/sandbox/oauth2/token"} {
		resp, err := p.Client.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("production %s: %d, want 404", path, resp.StatusCode)
		}
	}
	resp, err := p.Client.Get(p.URL + "/apply?scenario=offers-all-ranges")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, stageOnly := range []string{"stage-banner", "Stage — test data only", `name="scenario"`, "avery", "/qa"} {
		if strings.Contains(string(body), stageOnly) {
			t.Errorf("production page contains %q", stageOnly)
		}
	}
}

// TestQAFormsPostedAsIsReachTheirStatus holds /qa/scenarios.json to its word:
// each form, posted as is to /apply (with the page's hidden fields), reaches its
// expectedStatus however often one QA workstation posts it — here every form
// twice from one client, past the IP and mailbox velocity limits, which QA test
// data is exempt from.
func TestQAFormsPostedAsIsReachTheirStatus(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "5s", "PORTAL_POLL_AFTER", "2s", "PORTAL_POLL_EVERY", "500ms"))
	resp, err := p.Client.Get(p.URL + "/qa/scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	var table []struct {
		ID             string            `json:"id"`
		ExpectedStatus string            `json:"expectedStatus"`
		Form           map[string]string `json:"form"`
	}
	err = json.NewDecoder(resp.Body).Decode(&table)
	resp.Body.Close()
	if err != nil || len(table) < 12 {
		t.Fatalf("scenarios.json: %d scenarios, %v", len(table), err)
	}
	type posted struct{ id, scenario, want string }
	var apps []posted
	for round := range 2 {
		for _, sc := range table {
			apps = append(apps, posted{p.Submit(sc.Form), sc.ID, sc.ExpectedStatus})
		}
		if round == 0 && len(apps) <= lending.MaxApplicationsPerIPPerHour {
			t.Fatalf("only %d posts: not past the IP velocity limit", len(apps))
		}
	}
	for i, a := range apps {
		app := p.Application(a.id)
		if app.Review.Status != lending.ReviewPending || !app.IsTest {
			t.Errorf("post %d (%s): review %s, test data %v — QA's form was not taken as QA test data", i+1, a.scenario, app.Review.Status, app.IsTest)
			continue
		}
		p.WaitStatus(a.id, 20*time.Second, lending.LeadStatus(a.want))
	}
}
