package main

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"prequal/lending"
	"prequal/stage"
)

// coApplicantPart is the co-applicant half of a scenario form (the box, their
// fields and consents).
func coApplicantPart(form map[string]string) map[string]string {
	out := map[string]string{lending.FieldCoApplicant: form[lending.FieldCoApplicant]}
	for _, name := range lending.CoApplicantFields {
		out[name] = form[name]
	}
	return out
}

// appID is the application id of the page the tab shows.
func (tb *tab) appID() string {
	return strings.TrimPrefix(evalJS[string](tb, `location.pathname`), "/applications/")
}

// TestBrowserCoApplicantDeclineThenOffers: the co-applicant-offers persona
// applies alone and is declined; the no-offers advice opens a new application
// with the co-applicant section open and the borrower's details prefilled
// (never the SSN); with the co-applicant added, lenders make offers. JavaScript on.
func TestBrowserCoApplicantDeclineThenOffers(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "1s"))
	sc, _ := stage.ScenarioByID(stage.ScenarioCoApplicantOffers)
	co := coApplicantPart(sc.Form)
	tb := newTab(t, p.URL, true)

	tb.open("/qa")
	tb.do(chromedp.Click(chromedp.CSS(`[data-testid="start-`+sc.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="apply-form"]`)))
	if !evalJS[bool](tb, `document.querySelector('#co-applicant').open && document.querySelector('#coApplicant').checked`) {
		t.Fatal("the scenario's form does not open the co-applicant section")
	}
	tb.axe("form with the co-applicant section open")
	tb.screenshot("co-applicant-form")
	alone := map[string]string{}
	for name := range co {
		alone[name] = ""
	}
	tb.fillForm(alone)
	tb.submitForm()
	tb.waitStatus(30*time.Second, "no_offers")
	tb.checkOutcome("no_offers")
	first := tb.appID()
	if p.Application(first).CoApplicant != nil {
		t.Fatal("the application alone has a co-applicant")
	}
	if words := tb.text(`[data-testid="application-status"]`); strings.Contains(words, "_") {
		t.Errorf("the borrower reads a status code: %q", words)
	}
	tb.axe("declined alone")
	tb.screenshot("declined-alone")

	tb.do(chromedp.Click(chromedp.CSS(`a[data-testid="apply-with-co-applicant"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid="apply-form"]`)))
	if !evalJS[bool](tb, `document.querySelector('#co-applicant').open && document.querySelector('#coApplicant').checked`) {
		t.Fatal("the advice link does not open the co-applicant section")
	}
	for _, f := range []string{"firstName", "lastName", "email", "street", "incomeYearly"} {
		if got := evalJS[string](tb, `document.querySelector('#`+f+`').value`); got != sc.Form[f] {
			t.Errorf("prefilled %s = %q, want %q", f, got, sc.Form[f])
		}
	}
	if got := evalJS[string](tb, `document.querySelector('#ssn').value + document.querySelector('#coSsn').value`); got != "" {
		t.Errorf("an SSN came prefilled: %q", got)
	}
	tb.axe("prefilled co-application")
	withCo := maps.Clone(co)
	for _, f := range []string{"ssn", "consentSoftPull", "consentTerms", "consentEsign"} {
		withCo[f] = sc.Form[f]
	}
	tb.fillForm(withCo)
	tb.submitForm()
	tb.waitStatus(30*time.Second, "offers_found")
	tb.checkOutcome("offers_found")
	second := tb.appID()
	app := p.Application(second)
	if second == first || app.CoApplicant == nil || app.CoApplicant.FirstName != co[lending.FieldCoFirstName] || !app.IsTest {
		t.Fatalf("the second application: id %s (first %s), co-applicant %+v, test data %v", second, first, app.CoApplicant, app.IsTest)
	}
	if got := tb.text(`[data-testid="application-status"]`); got != "Your offers are ready" {
		t.Errorf("status words %q", got)
	}
	tb.axe("offers with a co-applicant")
	tb.screenshot("offers-with-co-applicant")
	tb.assertNoScriptRan("co-applicant")
}

// TestBrowserCoApplicantWithoutJavaScript: with scripting off the borrower opens
// the co-applicant section (a native details element), fills it in and the
// application is stored and sent with the co-applicant.
func TestBrowserCoApplicantWithoutJavaScript(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "1s"))
	sc, _ := stage.ScenarioByID(stage.ScenarioUnderwritingApprove)
	co := coApplicantPart(func() map[string]string { s, _ := stage.ScenarioByID(stage.ScenarioCoApplicantOffers); return s.Form }())
	tb := newTab(t, p.URL, false)
	tb.open("/apply?scenario=" + sc.ID)
	if evalJS[bool](tb, `document.querySelector('#co-applicant').open`) {
		t.Fatal("the co-applicant section starts open on a form without one")
	}
	tb.do(chromedp.Click(chromedp.CSS(`#co-applicant summary`)))
	if !evalJS[bool](tb, `document.querySelector('#co-applicant').open && document.querySelector('#coFirstName').offsetParent !== null`) {
		t.Fatal("the co-applicant section does not open without JavaScript")
	}
	// A mistake first: the co-applicant's SSN is the borrower's.
	bad := maps.Clone(co)
	bad[lending.FieldCoSSN] = sc.Form["ssn"]
	tb.fillForm(bad)
	tb.do(chromedp.Click(chromedp.CSS(`form[data-testid="apply-form"] button[type="submit"]`)))
	tb.waitFor("the form with errors", `document.querySelector('#error-summary')`, 10*time.Second)
	if tb.count(`[data-testid="field-error-coSsn"]`) != 1 || !evalJS[bool](tb, `document.querySelector('#co-applicant').open`) {
		t.Fatal("the co-applicant's SSN error is not shown in an open section")
	}
	if got := evalJS[string](tb, `document.querySelector('#coFirstName').value`); got != co[lending.FieldCoFirstName] {
		t.Errorf("co-applicant input lost on the error page: %q", got)
	}
	tb.fillForm(map[string]string{"ssn": sc.Form["ssn"], lending.FieldCoSSN: co[lending.FieldCoSSN]})
	tb.submitForm()
	got := tb.waitStatus(30*time.Second, terminalStatuses...)
	if got != "offers_found" {
		t.Fatalf("status %q, want offers_found", got)
	}
	app := p.Application(tb.appID())
	if app.CoApplicant == nil || app.CoApplicant.MaskedSSN() != "***-**-"+co[lending.FieldCoSSN][len(co[lending.FieldCoSSN])-4:] {
		t.Fatalf("stored co-applicant %+v", app.CoApplicant)
	}
	leads := p.StageLeads(app.PartnerLeadID)
	if len(leads) != 1 {
		t.Fatalf("%d stage leads", len(leads))
	}
	tb.assertNoScriptRan("co-applicant without JavaScript")
}
