package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserDeveloperWebhooks: a developer adds a webhook endpoint (its
// secret shown once), sends a test event from the endpoint's page and sees
// it delivered there, then rotates the secret; axe finds nothing on the way.
func TestBrowserDeveloperWebhooks(t *testing.T) {
	var got atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("webhook-signature") != "" {
			got.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rcv.Close)
	p := startPortal(t)
	dev := newTab(t, p.URL, true)

	dev.open("/developers/register")
	dev.waitFor("registration form", `document.querySelector('[data-testid="register-form"]')`, 10*time.Second)
	dev.do(
		chromedp.SendKeys(chromedp.CSS(`#reg-name`), "Hooked Lending"),
		chromedp.SendKeys(chromedp.CSS(`#reg-email`), "hooks@lending.example"),
		chromedp.SendKeys(chromedp.CSS(`#reg-password`), "a long developer passphrase"),
		chromedp.Click(chromedp.CSS(`[data-testid="register-form"] button[type="submit"]`)),
	)
	dev.waitFor("the webhook form", `document.querySelector('[data-testid="webhook-endpoint-form"]')`, 10*time.Second)

	// Refused: http on a host that is not loopback.
	dev.do(
		chromedp.SendKeys(chromedp.CSS(`#webhook-url`), "http://hooks.lending.example/in"),
		chromedp.Click(chromedp.CSS(`#webhook-type-journey-snapshot`)),
		chromedp.Click(chromedp.CSS(`[data-testid="webhook-endpoint-form"] button[type="submit"]`)),
	)
	dev.waitFor("the URL error", `document.querySelector('[data-testid="webhook-endpoint-error"]')`, 10*time.Second)
	dev.axe("dashboard, webhook endpoint refused")

	dev.do(chromedp.SetValue(chromedp.CSS(`#webhook-url`), rcv.URL+"/hooks"))
	if !evalJS[bool](dev, `document.querySelector('#webhook-type-journey-snapshot').checked`) {
		dev.do(chromedp.Click(chromedp.CSS(`#webhook-type-journey-snapshot`)))
	}
	dev.do(chromedp.Click(chromedp.CSS(`[data-testid="webhook-endpoint-form"] button[type="submit"]`)))
	dev.waitFor("the secret", `document.querySelector('[data-testid="webhook-secret"]')`, 10*time.Second)
	if s := dev.text(`[data-testid="webhook-secret"]`); !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("secret shown: %q", s)
	}
	dev.axe("dashboard, webhook secret shown once")

	dev.do(chromedp.Click(chromedp.CSS(`[data-testid="webhook-endpoint-link"]`)))
	dev.waitFor("the endpoint's page", `document.querySelector('[data-testid="webhook-send-test"]')`, 10*time.Second)
	dev.axe("webhook endpoint, no deliveries")
	dev.do(chromedp.Click(chromedp.CSS(`[data-testid="webhook-send-test"]`)))
	dev.waitFor("the test event's delivery", `document.querySelector('[data-testid="webhook-delivery"]')`, 10*time.Second)
	for deadline := time.Now().Add(30 * time.Second); got.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the test event was not delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	dev.open(strings.TrimSuffix(evalJS[string](dev, `location.pathname`), "/test")) // the endpoint's page again
	dev.waitFor("the delivery's answer", `document.querySelector('[data-testid="webhook-delivery-code"]').textContent.trim() === "204"`, 30*time.Second)
	dev.axe("webhook endpoint with a delivery")
	dev.screenshot("webhook-endpoint")

	dev.do(chromedp.Click(chromedp.CSS(`[data-testid="webhook-rotate"]`)))
	dev.waitFor("the new secret", `document.querySelector('[data-testid="webhook-secret"]') && document.querySelector('[data-testid="webhook-previous-secret"]')`, 10*time.Second)
	dev.axe("webhook endpoint, secret rotated")
	dev.assertNoScriptRan("developer webhooks")
}
