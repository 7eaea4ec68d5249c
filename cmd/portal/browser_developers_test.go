package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// decisionBody is seed 002's example request.
const decisionBody = `{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000,"yearsAtJob":5,"openCreditLines":1}`

// TestBrowserDeveloperSelfService: a partner's developer registers at
// /developers, creates a key with the decision scope, calls the Credit
// Decision API with it as a bearer token and as x-api-key, and sees both calls
// on its dashboard's chart; axe finds nothing on any /developers page.
func TestBrowserDeveloperSelfService(t *testing.T) {
	p := startPortal(t)
	dev := newTab(t, p.URL, true)

	dev.open("/developers")
	dev.waitFor("sign-in page", `document.querySelector('[data-testid="developers-signin-form"]')`, 10*time.Second)
	dev.axe("developers sign-in")
	dev.do(chromedp.Click(chromedp.CSS(`main a[href="/developers/register"]`)))
	dev.waitFor("registration form", `document.querySelector('[data-testid="register-form"]')`, 10*time.Second)
	dev.axe("register")

	// A refused registration keeps what was typed and says what is wrong.
	dev.do(
		chromedp.SendKeys(chromedp.CSS(`#reg-name`), "Acme Lending"),
		chromedp.SendKeys(chromedp.CSS(`#reg-email`), "dev@acme.example"),
		chromedp.SendKeys(chromedp.CSS(`#reg-password`), "short"),
		chromedp.Click(chromedp.CSS(`[data-testid="register-form"] button[type="submit"]`)),
	)
	dev.waitFor("password error", `document.querySelector('[data-testid="field-error-password"]').textContent.trim() !== ""`, 10*time.Second)
	dev.axe("register with errors")
	dev.screenshot("register-errors")
	dev.do(
		chromedp.SetValue(chromedp.CSS(`#reg-password`), "a long developer passphrase"),
		chromedp.Click(chromedp.CSS(`[data-testid="register-form"] button[type="submit"]`)),
	)
	dev.waitFor("dashboard", `document.querySelector('[data-testid="partner-status"]')`, 10*time.Second)
	if s := evalJS[string](dev, `document.querySelector('[data-testid="partner-status"]').dataset.status`); s != "active" {
		t.Fatalf("partner status %q, want active in stage", s)
	}
	dev.axe("dashboard, new")

	dev.do(
		chromedp.SendKeys(chromedp.CSS(`#key-name`), "back office"),
		chromedp.Click(chromedp.CSS(`[data-testid="scope-decision"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="api-key-form"] button[type="submit"]`)),
	)
	dev.waitFor("the new key", `document.querySelector('[data-testid="api-key-secret"]')`, 10*time.Second)
	secret := dev.text(`[data-testid="api-key-secret"]`)
	if !strings.HasPrefix(secret, "sk_test_") {
		t.Fatalf("secret shown: %q", secret)
	}
	dev.axe("dashboard, key shown once")

	for _, header := range [][2]string{{"Authorization", "Bearer " + secret}, {"x-api-key", secret}} {
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/v1/decision", strings.NewReader(decisionBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(header[0], header[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"score":760`) {
			t.Fatalf("%s: %d %s", header[0], resp.StatusCode, body)
		}
	}

	dev.open("/developers")
	dev.waitFor("usage chart", `document.querySelector('[data-testid="usage-chart"]')`, 10*time.Second)
	if got := evalJS[string](dev, `[...document.querySelectorAll('[data-testid="usage-chart"] [data-testid="usage-bar"]')].pop().dataset.calls`); got != "2" {
		t.Errorf("this month's bar shows %q calls, want 2 (one per header)", got)
	}
	if h := evalJS[float64](dev, `[...document.querySelectorAll('[data-testid="usage-chart"] rect.bar')].pop().getBoundingClientRect().height`); h < 20 {
		t.Errorf("this month's bar is %.0f px tall: not drawn", h)
	}
	if strings.Contains(dev.text("main"), secret) {
		t.Error("the secret is shown again after a reload")
	}
	dev.axe("dashboard with usage")
	dev.screenshot("dashboard-usage")

	dev.do(chromedp.Click(chromedp.CSS(`[data-testid="docs-link"]`)))
	dev.waitFor("API reference", `document.querySelector('#postDecision')`, 10*time.Second)
	dev.axe("API reference")
	dev.screenshot("api-reference")

	dev.open("/developers")
	dev.do(chromedp.Click(chromedp.CSS(`[data-testid="developers-signout"]`)))
	dev.waitFor("signed out", `document.querySelector('[data-testid="signin-info"]')`, 10*time.Second)
	dev.axe("signed out")
	dev.assertNoScriptRan("developer self-service")
}
