package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"prequal/stage"
)

// fillForm sets every field of the apply form from a field → value map, as a
// borrower's typing would, and leaves consentTcpa unticked.
func (tb *tab) fillForm(form map[string]string) {
	tb.t.Helper()
	b, _ := json.Marshal(form)
	evalJS[chromedp.Void](tb, fmt.Sprintf(`(() => {
		const form = %s;
		for (const [name, value] of Object.entries(form)) {
			for (const el of document.querySelectorAll('[data-testid="apply-form"] [name="' + name + '"]')) {
				if (el.type === "checkbox") el.checked = value === "yes";
				else if (el.type === "radio") el.checked = el.value === value;
				else el.value = value;
			}
		}
	})()`, b))
}

// fitsPhone opens a page at a 320 px viewport and fails when the page is wider
// than the screen (naming what sticks out): wide tables must scroll inside their
// own container.
func (tb *tab) fitsPhone(path string) {
	tb.t.Helper()
	tb.do(chromedp.EmulateViewport(320, 800))
	defer tb.do(chromedp.EmulateViewport(1280, 900))
	tb.open(path)
	if w := evalJS[int](tb, `document.documentElement.scrollWidth`); w > 320 {
		wide := evalJS[[]string](tb, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 321 && !e.closest(".table-wrap")).slice(0, 6).map(e => e.tagName + "." + e.className + "#" + e.id)`)
		tb.screenshot("too-wide")
		tb.t.Errorf("%s is %d px wide at a 320 px viewport; sticking out: %v", path, w, wide)
	}
}

// TestBrowserOfficerDeniesHeldApplication: a real borrower's application is held
// by screening (the same applicant's mailbox sent this SSN before under another
// name); an officer signs in, finds it by
// email, reads its timeline, denies it with two Regulation B reasons, and the
// borrower's page — still open and polling — shows the notice with those reasons.
func TestBrowserOfficerDeniesHeldApplication(t *testing.T) {
	p := startPortal(t)
	if err := ensureDemoOfficer(context.Background(), p.App.store, p.Cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	persona, _ := stage.ScenarioByID(stage.ScenarioUnderwritingApprove)

	// The same mailbox applied earlier with this SSN under another name.
	earlier := map[string]string{}
	for k, v := range persona.Form {
		earlier[k] = v
	}
	earlier["firstName"], earlier["email"] = "Jordan", "casey.held+earlier@example.com"
	p.Submit(earlier)

	borrower := newTab(t, p.URL, true)
	borrower.open("/apply")
	held := map[string]string{}
	for k, v := range persona.Form {
		held[k] = v
	}
	held["email"] = "casey.held@example.com"
	borrower.fillForm(held)
	borrower.submitForm()
	borrower.waitFor("held for review", `document.querySelector('#checking-heading') && document.querySelector('#checking-heading').textContent.includes("closer look")`, 10*time.Second)
	borrower.axe("held for review")
	borrower.screenshot("held-for-review")

	officer := newTab(t, p.URL, true)
	officer.open("/admin")
	officer.waitFor("sign-in form", `document.querySelector('[data-testid="admin-signin-form"]')`, 5*time.Second)
	officer.axe("sign-in")
	officer.do(
		chromedp.SendKeys(chromedp.CSS(`#signin-email`), "officer@stage.test"),
		chromedp.SendKeys(chromedp.CSS(`#signin-password`), p.Cfg.demoOfficerPassword),
		chromedp.Click(chromedp.CSS(`[data-testid="admin-signin-form"] button[type="submit"]`)),
	)
	officer.waitFor("dashboard", `document.querySelector('[data-testid="dashboard-funnel"]')`, 10*time.Second)
	officer.axe("dashboard")
	officer.screenshot("dashboard")

	officer.open("/admin/applications")
	officer.axe("pipeline")
	officer.do(chromedp.SendKeys(chromedp.CSS(`#f-q`), "casey.held@example.com\n"))
	officer.waitFor("search narrows the table", `document.querySelectorAll('[data-testid="pipeline-row"]').length === 1`, 10*time.Second)
	officer.screenshot("pipeline-search")
	officer.do(chromedp.Click(chromedp.CSS(`[data-testid="pipeline-row"] a`)))
	officer.waitFor("application detail", `document.querySelector('[data-testid="timeline"]')`, 10*time.Second)
	if officer.count(`[data-testid="timeline-event"]`) < 2 {
		t.Errorf("timeline has %d events", officer.count(`[data-testid="timeline-event"]`))
	}
	if body := officer.text("main"); !strings.Contains(body, "***-**-") || strings.Contains(body, persona.Form["ssn"]) {
		t.Error("the detail page does not mask the SSN")
	}
	officer.axe("application detail")
	officer.screenshot("application-detail")

	officer.open("/admin/review")
	officer.axe("review queue")
	officer.do(chromedp.Click(chromedp.CSS(`[data-testid="review-queue-row"] a`)))
	officer.waitFor("deny form", `document.querySelector('[data-testid="deny-form"]')`, 10*time.Second)
	officer.do(
		chromedp.Click(chromedp.CSS(`#reason-income_insufficient`)),
		chromedp.Click(chromedp.CSS(`#reason-excessive_obligations`)),
		chromedp.SendKeys(chromedp.CSS(`#deny-note`), "Identity mismatch on SSN; income does not support the amount."),
		chromedp.Click(chromedp.CSS(`[data-testid="deny-form"] button[type="submit"]`)),
	)
	officer.waitFor("decision recorded", `document.querySelector('[data-testid="denial-reasons"]')`, 10*time.Second)
	officer.axe("denied")
	officer.screenshot("denied")

	// At 320 px the officer pages fit the screen; their tables scroll inside.
	detail := strings.TrimPrefix(officer.location(), p.URL)
	for _, path := range []string{"/admin", "/admin/applications", detail, "/admin/review"} {
		officer.fitsPhone(path)
	}

	borrower.waitFor("borrower sees the notice", `document.querySelector('[data-testid="adverse-action-notice"]')`, 30*time.Second)
	notice := borrower.text(`[data-testid="adverse-action-notice"]`)
	for _, want := range []string{"Income insufficient for amount of credit requested", "Excessive obligations in relation to income", "Equal Credit Opportunity Act"} {
		if !strings.Contains(notice, want) {
			t.Errorf("borrower's notice lacks %q", want)
		}
	}
	borrower.axe("denied notice")
	borrower.screenshot("denied-notice")
	borrower.assertNoScriptRan("officer journey")
}
