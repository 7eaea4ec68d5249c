package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"prequal/lending"
	"prequal/stage"
)

var terminalStatuses = []string{"offers_found", "no_offers", "timed_out", "product_selected"}

// scenariosFrom reads the catalogue the way QA tooling does: GET /qa/scenarios.json.
func scenariosFrom(t *testing.T, base string) []stage.Scenario {
	t.Helper()
	resp, err := http.Get(base + "/qa/scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []stage.Scenario
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out) == 0 {
		t.Fatalf("scenarios.json: %v (%d scenarios)", err, len(out))
	}
	return out
}

// setStageControls steers the stage platform through its own HTTP API.
func setStageControls(t *testing.T, base string, c stage.Controls) {
	t.Helper()
	b, _ := json.Marshal(c)
	resp, err := http.Post(base+"/sandbox/controls", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("set stage controls: %d", resp.StatusCode)
	}
}

// startScenario opens /qa, presses the scenario's Start button, checks the form
// came prefilled, and submits it as the borrower would.
func (tb *tab) startScenario(sc stage.Scenario) {
	tb.t.Helper()
	tb.open("/qa")
	tb.do(chromedp.Click(chromedp.CSS(`[data-testid="start-`+sc.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="apply-form"]`)))
	if got := evalJS[string](tb, `document.querySelector('#email').value`); got != sc.Form["email"] {
		tb.t.Fatalf("form not prefilled: email %q, want %q", got, sc.Form["email"])
	}
	tb.screenshot("form-" + sc.ID)
	tb.submitForm()
}

// submitForm presses "Check my rate" and waits for the application page.
func (tb *tab) submitForm() {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(`form[data-testid="apply-form"] button[type="submit"]`)))
	tb.waitFor("application page", `location.pathname.startsWith("/applications/") && document.querySelector('[data-testid="application-status"]')`, 10*time.Second)
}

// checkOutcome asserts the key elements of the screen for a final status.
func (tb *tab) checkOutcome(status string) {
	tb.t.Helper()
	switch status {
	case "offers_found":
		if tb.count(`[data-testid="offer-card"]`) == 0 || tb.count(`section[data-testid^="offer-range-"]`) == 0 {
			tb.t.Error("offers_found without offer cards grouped by range")
		}
		for _, tid := range []string{"offer-lender", "offer-apr", "offer-monthly-payment", "offer-term", "offer-select"} {
			if tb.count(`[data-testid="`+tid+`"]`) != tb.count(`[data-testid="offer-card"]`) {
				tb.t.Errorf("not every offer card has %s", tid)
			}
		}
	case "no_offers":
		if tb.count(`[data-testid="no-offers"]`) != 1 {
			tb.t.Error("no_offers without the no-offers screen")
		}
	case "timed_out":
		if tb.count(`[data-testid="timed-out"]`) != 1 || tb.count(`[data-testid="retry"]`) != 1 {
			tb.t.Error("timed_out without the timed-out screen and its retry button")
		}
	}
}

// checkNotice opens the notice and asserts nothing executable survived in it.
func (tb *tab) checkNotice() {
	tb.t.Helper()
	if tb.count(`[data-testid="adverse-action-notice"]`) != 1 {
		tb.t.Fatal("no adverse-action-notice")
	}
	if tb.js {
		tb.do(chromedp.Click(chromedp.CSS(`[data-testid="adverse-action-notice"] summary`)))
	}
	bad := evalJS[[]string](tb, `(() => {
		const out = [];
		for (const el of document.querySelectorAll('[data-testid="adverse-action-notice"] *')) {
			if (["SCRIPT","STYLE","IFRAME","FORM","SVG","MATH","IMG","OBJECT","EMBED"].includes(el.tagName.toUpperCase())) out.push("<" + el.tagName + ">");
			for (const a of el.attributes) {
				const n = a.name.toLowerCase(), v = a.value.toLowerCase().replace(/\s/g, "");
				if (n.startsWith("on") || n.startsWith("hx-") || n.startsWith("data-hx-") || v.startsWith("javascript:") || v.startsWith("data:")) out.push(n + "=" + a.value);
			}
		}
		return out;
	})()`)
	if len(bad) > 0 {
		tb.t.Errorf("the rendered notice keeps executable markup: %v", bad)
	}
	html := evalJS[string](tb, `document.querySelector('[data-testid="adverse-action-notice"]').innerHTML`)
	for _, s := range []string{"<script", "javascript:", "hx-"} {
		if strings.Contains(strings.ToLower(html), s) {
			tb.t.Errorf("rendered notice contains %q", s)
		}
	}
}

// TestBrowserScenarioCatalogue walks every scenario of /qa/scenarios.json from
// the /qa page, as QA clicks through them: a scenario added to the table is
// walked automatically.
func TestBrowserScenarioCatalogue(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "1s"))
	tb := newTab(t, p.URL, true)
	tb.open("/qa")
	tb.axe("qa")
	tb.screenshot("qa")
	for _, sc := range scenariosFrom(t, p.URL) {
		t.Run(sc.ID, func(t *testing.T) {
			tb.t = t
			defer func() { tb.t = nil }()
			tb.startScenario(sc)
			tb.axe("checking rates")
			got := tb.waitStatus(p.Cfg.LeadTimeout+10*time.Second, terminalStatuses...)
			if got != sc.ExpectedStatus {
				t.Fatalf("final status %q, want %q", got, sc.ExpectedStatus)
			}
			tb.checkOutcome(got)
			switch sc.ID {
			case stage.ScenarioOffersAllRanges:
				for _, r := range []string{"requested", "higher", "lower"} {
					if tb.count(`[data-testid="offer-range-`+r+`"]`) != 1 {
						t.Errorf("no %s range", r)
					}
				}
			case stage.ScenarioOffersLowerOnly:
				if tb.count(`[data-testid="range-fallback-note"]`) != 1 || tb.count(`[data-testid="offer-range-lower"]`) != 1 ||
					tb.count(`[data-testid="offer-range-requested"]`) != 0 {
					t.Error("lower-only: want the fallback note and only the lower range")
				}
			case stage.ScenarioNoOffersWithNotice, stage.ScenarioUnderwritingDecline, stage.ScenarioHostileNotice:
				tb.checkNotice()
			case stage.ScenarioNoOffersWithoutNotice:
				if tb.count(`[data-testid="adverse-action-notice"]`) != 0 || tb.count(`[data-testid="no-notice"]`) != 1 {
					t.Error("without notice: want the plain 'no notice' sentence")
				}
			}
			tb.assertNoScriptRan(sc.ID)
			tb.axe("outcome " + sc.ID)
			tb.screenshot("outcome-" + sc.ID)
		})
	}
}

// TestBrowserBorrowerJourney is the happy path end to end with JavaScript: the
// form, the checking-rates screen advancing by polling without a reload, offers
// in every range, the choice of an offer, the stage lender's page, and the
// application then showing product_selected with the other offers locked.
func TestBrowserBorrowerJourney(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "20s", "PORTAL_POLL_AFTER", "1s"))
	// Slow steps, and the platform's intermediate statuses sent as callbacks, so the
	// checking-rates screen has something to show as it advances: 3 s a step, since
	// the page polls every 2 s and a loaded machine answers slowly.
	setStageControls(t, p.URL, stage.Controls{StepDelayMs: 3000, CallbacksEnabled: true, IntermediateCallbacks: true})
	tb := newTab(t, p.URL, true)
	sc, _ := stage.ScenarioByID(stage.ScenarioOffersAllRanges)
	tb.open("/")
	tb.axe("home")
	tb.startScenario(sc)
	tb.axe("checking rates")
	tb.screenshot("checking-rates")

	// Mark the document: a reload would lose the mark. Watch the status advance.
	evalJS[chromedp.Void](tb, `window.__sameDocument = true`)
	seen := map[string]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		same := evalJS[bool](tb, `window.__sameDocument === true`)
		st := tb.status()
		if !same {
			break // htmx sent us to the result page (HX-Redirect)
		}
		seen[st] = true
		time.Sleep(100 * time.Millisecond)
	}
	pendingSeen := 0
	for _, s := range []string{"created", "in_progress", "finding_products"} {
		if seen[s] {
			pendingSeen++
		}
	}
	if pendingSeen < 2 {
		t.Errorf("polling did not advance the status in place: saw %v", seen)
	}
	tb.waitStatus(30*time.Second, "offers_found")
	tb.checkOutcome("offers_found")
	tb.axe("offers")
	tb.screenshot("offers")

	// Phone width: readable at 320 px without sideways scrolling.
	tb.do(chromedp.EmulateViewport(320, 800))
	tb.open(strings.TrimPrefix(tb.location(), p.URL))
	if w := evalJS[int](tb, `document.documentElement.scrollWidth`); w > 320 {
		t.Errorf("offers page is %d px wide at a 320 px viewport", w)
	}
	tb.screenshot("offers-320px")
	tb.do(chromedp.EmulateViewport(1280, 900))

	appURL := tb.location()
	lender := tb.text(`[data-testid="offer-range-requested"] [data-testid="offer-lender"]`)
	tb.do(chromedp.Click(chromedp.CSS(`[data-testid="offer-range-requested"] button[data-testid="offer-select"]`)))
	tb.waitFor("stage lender page", `location.pathname.includes("/sandbox/lenders/")`, 10*time.Second)
	if body := tb.text("body"); !strings.Contains(body, lender) {
		t.Errorf("lender page does not name %q", lender)
	}
	tb.axe("stage lender page")
	tb.screenshot("lender-page")

	tb.open(strings.TrimPrefix(appURL, p.URL))
	if got := tb.status(); got != "product_selected" {
		t.Errorf("after choosing: status %q, want product_selected", got)
	}
	if tb.count(`[data-testid="selected-offer"]`) != 1 {
		t.Error("no selected-offer")
	}
	if locked := tb.count(`button[data-testid="offer-select"][disabled]`); locked != tb.count(`[data-testid="offer-card"]`)-1 {
		t.Errorf("%d locked offers, want all but the chosen one", locked)
	}
	tb.axe("offer selected")
	tb.screenshot("selected")

	// QA plays the lender: approved, then funded. Each decision reaches the
	// portal by signed callback; the borrower reads it beside the chosen offer,
	// officers on the timeline.
	lenderURL := ""
	for _, outcome := range []string{"approved", "funded"} {
		if lenderURL == "" {
			tb.do(chromedp.Click(chromedp.CSS(`[data-testid="selected-offer"] button[type="submit"]`)))
			tb.waitFor("stage lender page", `location.pathname.includes("/sandbox/lenders/")`, 10*time.Second)
			lenderURL = strings.TrimPrefix(tb.location(), p.URL)
		} else {
			tb.open(lenderURL)
		}
		tb.do(chromedp.Click(chromedp.CSS(`#outcome-`+outcome)),
			chromedp.Click(chromedp.CSS(`[data-testid="lender-outcome-form"] button[type="submit"]`)))
		tb.waitFor("the lender page shows the decision", `document.querySelector('[data-outcome="`+outcome+`"]')`, 10*time.Second)
		tb.axe("stage lender decision " + outcome)
		tb.screenshot("lender-" + outcome)
		deadline := time.Now().Add(30 * time.Second)
		for {
			tb.open(strings.TrimPrefix(appURL, p.URL))
			if evalJS[string](tb, `(document.querySelector('[data-testid="lender-outcome"]')||{dataset:{}}).dataset.outcome||""`) == outcome {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the borrower never saw the lender's %s decision", outcome)
			}
			time.Sleep(500 * time.Millisecond)
		}
		tb.axe("borrower sees lender " + outcome)
		tb.screenshot("borrower-lender-" + outcome)
	}
	if words := tb.text(`[data-testid="application-status"]`); words != "Your loan has been funded" {
		t.Errorf("status words %q", words)
	}
	id := strings.TrimPrefix(strings.TrimPrefix(appURL, p.URL), "/applications/")
	if events := p.Events(id, lending.EventLenderOutcome); len(events) != 2 || events[1].StatusTo != "funded" {
		t.Errorf("timeline lender outcomes: %+v", events)
	}
	tb.assertNoScriptRan("journey")
}

// TestBrowserTimedOutRetry: a lead that never finishes times out, the borrower
// presses "Try again" and is back on the checking-rates screen.
func TestBrowserTimedOutRetry(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "3s"))
	for _, js := range []bool{true, false} {
		t.Run(fmt.Sprintf("js=%v", js), func(t *testing.T) {
			tb := newTab(t, p.URL, js)
			sc, _ := stage.ScenarioByID(stage.ScenarioTimeout)
			tb.startScenario(sc)
			if got := tb.waitStatus(15*time.Second, terminalStatuses...); got != "timed_out" {
				t.Fatalf("status %q, want timed_out", got)
			}
			tb.checkOutcome("timed_out")
			tb.axe("timed out")
			tb.screenshot("timed-out")
			tb.do(chromedp.Click(chromedp.CSS(`[data-testid="retry"]`)))
			tb.waitFor("checking rates again", `document.querySelector('[data-testid="checking-rates"]')`, 10*time.Second)
			tb.screenshot("after-retry")
			if got := tb.waitStatus(15*time.Second, "timed_out"); got != "timed_out" {
				t.Fatalf("retried lead: %q", got)
			}
		})
	}
}

// TestBrowserWithoutJavaScript walks the borrower paths with scripting off: the
// <meta refresh> does the polling, plain forms choose offers and retry.
func TestBrowserWithoutJavaScript(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "1s"))
	tb := newTab(t, p.URL, false)
	for _, id := range []string{stage.ScenarioOffersAllRanges, stage.ScenarioOffersLowerOnly,
		stage.ScenarioNoOffersWithNotice, stage.ScenarioNoOffersWithoutNotice, stage.ScenarioHostileNotice} {
		t.Run(id, func(t *testing.T) {
			tb.t = t
			sc, _ := stage.ScenarioByID(id)
			tb.startScenario(sc)
			got := tb.waitStatus(20*time.Second, terminalStatuses...)
			if got != sc.ExpectedStatus {
				t.Fatalf("status %q, want %q", got, sc.ExpectedStatus)
			}
			tb.checkOutcome(got)
			switch id {
			case stage.ScenarioOffersAllRanges:
				tb.do(chromedp.Click(chromedp.CSS(`button[data-testid="offer-select"]`)))
				tb.waitFor("stage lender page", `location.pathname.includes("/sandbox/lenders/")`, 10*time.Second)
			case stage.ScenarioOffersLowerOnly:
				if tb.count(`[data-testid="range-fallback-note"]`) != 1 {
					t.Error("no fallback note")
				}
			case stage.ScenarioNoOffersWithNotice, stage.ScenarioHostileNotice:
				tb.checkNotice()
			case stage.ScenarioNoOffersWithoutNotice:
				if tb.count(`[data-testid="no-notice"]`) != 1 {
					t.Error("no plain no-notice sentence")
				}
			}
			tb.assertNoScriptRan(id)
			tb.screenshot("outcome-" + id)
		})
	}
}

// TestBrowserFormByKeyboard: the form is walked with Tab in order, errors are
// tied to their inputs, and a blurred invalid field shows its message (htmx).
func TestBrowserFormByKeyboard(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "1s"))
	tb := newTab(t, p.URL, true)
	tb.open("/apply")
	tb.axe("form")
	tb.do(chromedp.Focus(chromedp.CSS(`#requestedLoanAmount`)))
	var order []string
	for range 30 {
		name := evalJS[string](tb, `document.activeElement.name || document.activeElement.textContent.trim()`)
		if len(order) == 0 || order[len(order)-1] != name { // a date input has a tab stop per part
			order = append(order, name)
		}
		tb.do(chromedp.KeyEvent("\t"))
	}
	want := []string{"requestedLoanAmount", "loanPurpose", "firstName", "lastName", "email", "phone", "dob", "ssn",
		"street", "unit", "city", "state", "zipcode", "employmentStatus", "incomeYearly", "housingType",
		"housingMonthlyPayment", "creditRating", "Apply with a co-applicant (optional)", "consentSoftPull", "consentTerms", "consentEsign", "consentTcpa", "Check my rate"}
	got := strings.Join(order, ",")
	if !strings.Contains(got, strings.Join(want, ",")) {
		t.Errorf("tab order:\n got %s\nwant %s", got, strings.Join(want, ","))
	}

	tb.do(chromedp.SendKeys(chromedp.CSS(`#email`), "not-an-email"), chromedp.Focus(chromedp.CSS(`#phone`)))
	tb.waitFor("email error after blur", `document.querySelector('[data-testid="field-error-email"]')`, 5*time.Second)
	if db := evalJS[string](tb, `document.querySelector('#email').getAttribute('aria-describedby')`); !strings.Contains(db, "email-error") {
		t.Errorf("email aria-describedby %q", db)
	}
	tb.do(chromedp.Click(chromedp.CSS(`form[data-testid="apply-form"] button[type="submit"]`)))
	tb.waitFor("422 with errors", `document.querySelector('#error-summary')`, 5*time.Second)
	tb.axe("form with errors")
	tb.screenshot("form-errors")
	if tb.count(`[data-testid^="field-error-"] `) < 5 {
		t.Errorf("only %d field errors on an empty submit", tb.count(`[data-testid^="field-error-"]`))
	}
}
