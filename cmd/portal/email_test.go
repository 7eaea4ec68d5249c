package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"prequal/lending"
	"prequal/stage"
)

// caughtMail is one email as /qa/mail.json serves it.
type caughtMail struct {
	ID        string   `json:"id"`
	CaughtAt  string   `json:"caughtAt"`
	From      string   `json:"from"`
	To        string   `json:"to"`
	Subject   string   `json:"subject"`
	MessageID string   `json:"messageId"`
	Links     []string `json:"links"`
	Text      string   `json:"text"`
	HTML      string   `json:"html"`
}

// caught returns every email the stage mail catcher of the portal at base holds.
func caught(t *testing.T, base string) []caughtMail {
	t.Helper()
	resp, err := http.Get(base + "/qa/mail.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []caughtMail
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("/qa/mail.json: %v", err)
	}
	return out
}

// waitForMail waits for an email to addr whose subject contains subject.
func waitForMail(t *testing.T, base, addr, subject string, within time.Duration) caughtMail {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, m := range caught(t, base) {
			if strings.Contains(m.To, addr) && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email to %s with %q within %v", addr, subject, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// personaForm is a scenario's form with its own address (the plus-tag keeps the
// scenario) and any other changes.
func personaForm(t *testing.T, id, local string, changes ...string) (url.Values, string) {
	t.Helper()
	sc := scenario(t, id)
	form := url.Values{"scenario": {sc.ID}}
	for k, v := range sc.Form {
		form.Set(k, v)
	}
	addr := local + "+" + sc.ID + "@example.com"
	form.Set("email", addr)
	for i := 0; i+1 < len(changes); i += 2 {
		form.Set(changes[i], changes[i+1])
	}
	return form, addr
}

// apply submits form as a new borrower and returns the application id.
func apply(t *testing.T, base string, form url.Values) string {
	t.Helper()
	b := newProcessBorrower(base)
	key, err := b.formKey()
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := b.post(form, key)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

var resumeLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+/resume/[A-Za-z0-9._-]+`)

// resumeLink is the email's resume link, the same in both parts.
func resumeLink(t *testing.T, m caughtMail) string {
	t.Helper()
	text := resumeLinkPattern.FindString(m.Text)
	if text == "" || !strings.Contains(m.HTML, `href="`+text+`"`) {
		t.Fatalf("%q: the text part's resume link %q is not the HTML part's", m.Subject, text)
	}
	return text
}

// inertHTML fails when an email's HTML part carries anything that could run,
// load or submit something.
func inertHTML(t *testing.T, m caughtMail) {
	t.Helper()
	lower := strings.ToLower(m.HTML)
	for _, bad := range []string{"<script", "<iframe", "<object", "<embed", "<form", "<img", "<svg", "<style", "<meta http-equiv",
		"javascript:", "data:text", "hx-", "onerror", "onload", "onclick", "src=", "url("} {
		if strings.Contains(lower, bad) {
			t.Errorf("%q: the HTML part contains %q", m.Subject, bad)
		}
	}
}

// TestBrowserEmailEndToEnd is issue 20's end-to-end check, with the real binary
// in stage and its own SMTP catcher: the "received" email arrives over SMTP
// with a resume link that, opened in a fresh Chromium, shows the application
// and then its offers; the "offers ready" email follows; the link is single
// use; no-offers, hostile-notice and an officer's denial deliver the notice of
// action taken by email, inert, and stamp adverse_action_notice_time.
func TestBrowserEmailEndToEnd(t *testing.T) {
	chromiumPath(t)
	dataDir, addr := t.TempDir(), freeLoopbackAddr(t)
	p := startPortalProcess(t, dataDir, addr)
	base := p.URL
	st := openProcessStore(t, dataDir)
	ctx := context.Background()

	// 1. Received, with a working resume link, opened on "another device".
	form, borrower := personaForm(t, stage.ScenarioSlowCallback, "e2e.avery")
	id := apply(t, base, form)
	received := waitForMail(t, base, borrower, "received", 15*time.Second)
	if !strings.Contains(received.Subject, "$") || !strings.Contains(received.From, "Prequal Portal") || received.MessageID == "" {
		t.Errorf("received email: subject %q from %q id %q", received.Subject, received.From, received.MessageID)
	}
	link := resumeLink(t, received)
	if !strings.HasPrefix(link, base+"/resume/") {
		t.Fatalf("resume link %q is not the portal's", link)
	}
	phone := newTab(t, base, true)
	phone.open(strings.TrimPrefix(link, base))
	phone.waitFor("the resume page", `document.querySelector('[data-testid="resume-continue"]')`, 10*time.Second)
	phone.axe("resume link")
	phone.screenshot("resume-link")
	phone.do(chromedp.Click(chromedp.CSS(`[data-testid="resume-continue"]`)))
	phone.waitFor("the application", `document.querySelector('[data-testid="application-status"]')`, 10*time.Second)
	if loc := phone.location(); !strings.HasSuffix(loc, "/applications/"+id) {
		t.Fatalf("the resume link led to %s, want the application %s", loc, id)
	}
	phone.waitStatus(30*time.Second, string(lending.LeadOffersFound))
	if n := phone.count(`[data-testid="offer-card"]`); n == 0 {
		t.Error("the resumed browser shows no offers")
	}
	phone.screenshot("resumed-offers")
	ready := waitForMail(t, base, borrower, "offers ready", 15*time.Second)
	if resumeLink(t, ready) == link {
		t.Error("the offers email reuses the spent link")
	}
	if app, err := st.Application(ctx, id); err != nil || app.EmailConfirmedAt.IsZero() {
		t.Errorf("the email address is not confirmed after the link was used (%v)", err)
	}

	// 2. The same link again: spent, refused with a page that offers a new one.
	laptop := newTab(t, base, true)
	laptop.open(strings.TrimPrefix(link, base))
	laptop.waitFor("the refusal", `document.querySelector('[data-testid="resume-refused"]')`, 10*time.Second)
	if reason := evalJS[string](laptop, `document.querySelector('[data-testid="resume-refused"]').dataset.reason`); reason != "spent" ||
		laptop.count(`[data-testid="resume-request-form"]`) != 1 {
		t.Errorf("a spent link: reason %q, new-link forms %d", reason, laptop.count(`[data-testid="resume-request-form"]`))
	}
	laptop.axe("spent link")
	laptop.screenshot("spent-link")
	laptop.open("/qa/mail")
	if n := laptop.count(`[data-testid="qa-mail-row"]`); n < 2 {
		t.Errorf("/qa/mail lists %d emails", n)
	}
	laptop.axe("caught email list")

	// 3. No offers, plain and hostile: the notice by email, inert, and its time.
	noticeApps := map[string]string{}
	for _, sc := range []string{stage.ScenarioNoOffersWithNotice, stage.ScenarioHostileNotice} {
		f, to := personaForm(t, sc, "e2e.notice")
		noticeApps[to] = apply(t, base, f)
	}
	for to, appID := range noticeApps {
		m := waitForMail(t, base, to, "no offers", 30*time.Second)
		inertHTML(t, m)
		for _, want := range []string{"Equal Credit Opportunity Act", "Fair Credit Reporting Act", "Principal reasons"} {
			if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
				t.Errorf("%s: the notice email lacks %q", to, want)
			}
		}
		waitNoticeTime(t, st, appID, m)
		if strings.Contains(to, stage.ScenarioHostileNotice) {
			// The HTML part as QA sees it, opened in Chromium: nothing runs.
			laptop.open("/qa/mail/" + m.ID)
			laptop.waitFor("the caught email", `document.querySelector('[data-testid="qa-mail-html"]')`, 10*time.Second)
			laptop.axe("caught email")
			laptop.screenshot("caught-hostile-email")
			laptop.open("/qa/mail/" + m.ID + "/html")
			time.Sleep(500 * time.Millisecond)
			laptop.assertNoScriptRan("the hostile notice email")
		}
	}

	// 4. An officer's denial: the notice by email with the officer's reasons.
	persona, _ := stage.ScenarioByID(stage.ScenarioUnderwritingApprove)
	// The same mailbox sent this SSN before under another name: held.
	earlier, _ := personaForm(t, persona.ID, "e2e.earlier", "firstName", "Jordan", "email", "e2e.held+earlier@example.com")
	apply(t, base, earlier)
	heldForm, heldAddr := personaForm(t, persona.ID, "e2e.held")
	held := apply(t, base, heldForm)
	officer := signInOfficer(t, base, processConfig(t, dataDir).demoOfficerPassword)
	resp := officer.postForm("/admin/applications/"+held+"/deny", url.Values{
		"reasons": {"income_insufficient", "excessive_obligations"}, "note": {"Second identity on this SSN."}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deny: %d", resp.StatusCode)
	}
	if m := waitForMail(t, base, heldAddr, "received", 15*time.Second); !strings.Contains(m.Text, "closer look") {
		t.Errorf("the held application's received email does not say it is being looked at:\n%s", m.Text)
	}
	denial := waitForMail(t, base, heldAddr, "not approved", 15*time.Second)
	inertHTML(t, denial)
	for _, want := range []string{"Income insufficient for amount of credit requested", "Excessive obligations in relation to income",
		"Equal Credit Opportunity Act", "Fair Credit Reporting Act"} {
		if !strings.Contains(denial.Text, want) || !strings.Contains(denial.HTML, want) {
			t.Errorf("the denial email lacks %q", want)
		}
	}
	waitNoticeTime(t, st, held, denial)
	page := officer.get("/admin/applications/" + held)
	if !regexp.MustCompile(`data-testid="admin-email-row" data-kind="denied" data-status="sent"`).MatchString(page) {
		t.Error("the officer's page does not show the denial email as sent")
	}

	// Nothing personal beyond the first name, in any email.
	for _, m := range caught(t, base) {
		for _, sc := range stage.Scenarios() {
			for _, field := range []string{"ssn", "dob", "incomeYearly"} {
				v := sc.Form[field]
				if len(v) >= 4 && (strings.Contains(m.Text, v) || strings.Contains(m.HTML, v)) {
					t.Errorf("%q contains the %s of %s", m.Subject, field, sc.ID)
				}
			}
		}
	}
}

// waitNoticeTime waits for the application's adverse_action_notice_time and
// checks it is when the notice email was sent (it is stamped as the relay
// accepts the email, just after the catcher kept it).
func waitNoticeTime(t *testing.T, st interface {
	Application(context.Context, string) (lending.Application, error)
}, id string, m caughtMail) {
	t.Helper()
	caughtAt, err := time.Parse("2006-01-02T15:04:05.000Z07:00", m.CaughtAt)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		app, err := st.Application(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sent := app.Review.NoticeSentAt; !sent.IsZero() {
			if d := sent.Sub(caughtAt); d < -time.Second || d > 5*time.Second {
				t.Errorf("adverse_action_notice_time %v, but the email was caught at %v", sent, caughtAt)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("application %s: no adverse_action_notice_time after its notice email", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// officerClient is a signed-in officer's browser over plain HTTP.
type officerClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func signInOfficer(t *testing.T, base, password string) *officerClient {
	t.Helper()
	b := newProcessBorrower(base) // a cookie jar that does not follow redirects
	o := &officerClient{t: t, base: base, c: b.client}
	resp := o.postForm("/admin/signin", url.Values{"email": {"officer@stage.test"}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("officer sign-in: %d", resp.StatusCode)
	}
	return o
}

func (o *officerClient) postForm(path string, form url.Values) *http.Response {
	o.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, o.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", o.base)
	resp, err := o.c.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func (o *officerClient) get(path string) string {
	o.t.Helper()
	resp, err := o.c.Get(o.base + path)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		o.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return string(b)
}
