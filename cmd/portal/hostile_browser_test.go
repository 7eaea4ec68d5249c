package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"prequal/lending"
	"prequal/stage"
	"prequal/store"
)

// Hostile input rendered in headless Chromium: every payload of testdata/xss.txt
// through every field of the form (the re-rendered 422 page and the htmx
// on-blur fragment), through the notice of action taken, and through the admin
// pages that show borrower data. The test fails on any script execution
// (alert/confirm/prompt hooked before page scripts, dialogs), any request to
// another host or to a path a payload names ("xss"), and any markup a payload
// would have added: event-handler attributes, htmx attributes of its own,
// script, frames, javascript:/data: URLs. CSP (script-src 'self') would stop
// much of it from running anyway; these checks look at the markup itself, so
// escaping has to hold on its own.

// tagWithHandler matches a tag, as sent, with an event-handler or htmx-on attribute.
var tagWithHandler = regexp.MustCompile(`(?i)<[a-z][^>]*\s(on[a-z]+|hx-on[^=\s]*)\s*=`)

// xssPayloads reads testdata/xss.txt.
func xssPayloads(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		out = append(out, line)
	}
	if len(out) < 50 {
		t.Fatalf("only %d payloads in testdata/xss.txt", len(out))
	}
	return out
}

// payloadRequests records every request whose URL names a payload ("xss"),
// except the pages the test itself opens with a payload in the query.
type payloadRequests struct {
	mu      sync.Mutex
	seen    []string
	allowed map[string]bool
}

func (tb *tab) watchPayloadRequests() *payloadRequests {
	w := &payloadRequests{allowed: map[string]bool{}}
	note := func(raw string) {
		if strings.Contains(strings.ToLower(raw), "xss") {
			w.mu.Lock()
			w.seen = append(w.seen, raw)
			w.mu.Unlock()
		}
	}
	if err := chromedp.Listen(tb.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			note(e.Request.URL)
		case network.EventRequestWillBeSent:
			note(e.Request.URL)
		}
	}); err != nil {
		tb.t.Fatal(err)
	}
	return w
}

// allow marks a URL the test opens itself.
func (w *payloadRequests) allow(u string) {
	w.mu.Lock()
	w.allowed[u] = true
	w.mu.Unlock()
}

// made returns the payload requests the pages made.
func (w *payloadRequests) made() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, u := range w.seen {
		if !w.allowed[u] {
			out = append(out, u)
		}
	}
	return out
}

// inertDOM lists markup on the page that only an injection could have put there.
const inertDOM = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (["iframe", "frame", "frameset", "object", "embed", "applet", "base", "math", "template", "isindex", "portal"].includes(tag)) bad.push("<" + tag + ">");
    // The site's stylesheet is the one <style>, in the head (markup in the body cannot put one there).
    if (tag === "style" && (el.parentElement !== document.head || document.querySelectorAll("style").length !== 1)) bad.push("<style>");
    if (tag === "svg" && el.getAttribute("data-testid") !== "daily-chart") bad.push("<svg>");
    if (tag === "script" && !(el.getAttribute("src") || "").startsWith("/static/")) bad.push("<script src=" + el.getAttribute("src") + ">");
    const linkOK = (el.getAttribute("href") || "").startsWith("/static/") || (el.getAttribute("rel") === "icon" && el.getAttribute("href") === "data:,");
    if (tag === "link" && !linkOK) bad.push("<link href=" + el.getAttribute("href") + ">");
    if (tag === "meta" && el.hasAttribute("http-equiv") && !/^\d+;\s*url=\/applications\//i.test(el.getAttribute("content") || "")) bad.push("<meta http-equiv " + el.getAttribute("content") + ">");
    if (tag === "form" && !(el.getAttribute("action") || "/").startsWith("/")) bad.push("<form action=" + el.getAttribute("action") + ">");
    for (const a of el.attributes) {
      const n = a.name.toLowerCase(), v = a.value.replace(/[\s\x00-\x1f]/g, "").toLowerCase();
      if (n.startsWith("on") || n.startsWith("hx-on") || n.startsWith("data-hx") || n === "srcdoc" || n === "formaction" || n === "ping" || n === "xlink:href") bad.push(tag + "[" + n + "]");
      if ((n.startsWith("hx-get") || n.startsWith("hx-post")) && !/^\/(applications|apply|admin)\//.test(a.value)) bad.push(tag + "[" + n + "=" + a.value + "]");
      if (["href", "src", "action", "data"].includes(n) && /^(javascript|vbscript|data):/.test(v) && !(tag === "link" && linkOK)) bad.push(tag + "[" + n + "=" + a.value + "]");
    }
  }
  return bad;
})()`

// noticeContained lists what a notice put outside its container: the notice's
// disclosure (data-testid %s) must still hold its .aan-body, both inside the
// page's main; every element a payload built (its "Congratulations" headings,
// its links to evil.example) must be inside that body; and the page's footer
// must be where the layout put it, in no table.
const noticeContained = `((testid) => {
  const bad = [];
  const d = document.querySelector('[data-testid="' + testid + '"]');
  const body = d && d.querySelector(':scope > .aan-body');
  if (!d || !body) return ["the notice's container is gone from its disclosure"];
  if (!d.closest("main")) bad.push("the disclosure left main");
  for (const el of document.querySelectorAll("h1, h2, h3, p, a, td, footer, section, table")) {
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3).map(n => n.textContent).join("");
    const payload = own.includes("Congratulations") || (el.getAttribute("href") || "").includes("evil.example");
    if (payload && !body.contains(el)) bad.push("<" + el.tagName.toLowerCase() + "> " + own.trim() + " is outside the notice");
  }
  for (const f of document.querySelectorAll("footer.site-footer")) {
    if (body.contains(f)) continue;
    if (f.closest("table") || f.parentElement !== document.body) bad.push("the page's footer moved into " + (f.parentElement && f.parentElement.tagName));
  }
  return bad;
})`

// assertNoticeContained fails the test when a notice's markup left its container.
func (tb *tab) assertNoticeContained(screen, testid string) {
	tb.t.Helper()
	if bad := evalJS[[]string](tb, noticeContained+"("+strconv.Quote(testid)+")"); len(bad) > 0 {
		tb.t.Errorf("%s: %v", screen, bad)
	}
}

// assertInert fails the test on anything hostile that ran, loaded or was built.
func (tb *tab) assertInert(screen string, requests *payloadRequests) {
	tb.t.Helper()
	tb.assertNoScriptRan(screen)
	if bad := evalJS[[]string](tb, inertDOM); len(bad) > 0 {
		tb.t.Errorf("%s: markup a payload added: %v", screen, bad)
	}
	if reqs := requests.made(); len(reqs) > 0 {
		tb.t.Errorf("%s: requests a payload made: %v", screen, reqs)
	}
}

// postFormInPage submits fields to /apply from the page, as a hostile (or just
// unusual) browser could, and waits for the answer page.
func (tb *tab) postFormInPage(fields map[string]string) {
	tb.t.Helper()
	b, _ := json.Marshal(fields)
	evalJS[chromedp.Void](tb, fmt.Sprintf(`(() => {
		window.__stale = true;
		const f = document.createElement("form");
		f.method = "post"; f.action = "/apply";
		for (const [name, value] of Object.entries(%s)) {
			const i = document.createElement("input");
			i.type = "hidden"; i.name = name; i.value = value;
			f.appendChild(i);
		}
		document.body.appendChild(f);
		f.submit();
	})()`, b))
	tb.waitFor("the answer page", `!window.__stale && document.readyState === "complete"`, 10*time.Second)
}

func TestBrowserHostileInput(t *testing.T) {
	payloads := xssPayloads(t)
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "10m"))
	tb := newTab(t, p.URL, true)
	requests := tb.watchPayloadRequests()
	fields := append([]string{"scenario", lending.FieldIdempotencyKey}, lending.FormFields...)

	// The checks themselves: markup injected into a page is seen, and so are the
	// requests it makes (else the passes below would prove nothing).
	t.Run("checks see an injection", func(t *testing.T) {
		control := newTab(t, p.URL, true)
		seen := control.watchPayloadRequests()
		control.open("/apply")
		evalJS[chromedp.Void](control, `(() => {
			document.body.insertAdjacentHTML("beforeend",
				'<img src=x onerror="alert(\'control\')"><div hx-get="/xss-control" hx-trigger="load"></div>');
			htmx.process(document.body);
		})()`)
		// (The onerror does not run: the CSP forbids inline handlers. The DOM
		// check does not rely on that.)
		deadline := time.Now().Add(5 * time.Second)
		for len(seen.made()) == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if bad := evalJS[[]string](control, inertDOM); len(bad) < 2 {
			t.Errorf("inertDOM saw %v in a page with an onerror and an hx-get injected", bad)
		}
		if len(seen.made()) == 0 {
			t.Error("the injected hx-get's request was not seen")
		}
	})

	t.Run("form", func(t *testing.T) {
		tb.t = t
		tb.open("/apply")
		for k := range payloads {
			posted := map[string]string{}
			for i, f := range fields {
				posted[f] = payloads[(k+i)%len(payloads)]
			}
			tb.postFormInPage(posted)
			tb.assertInert(fmt.Sprintf("422 page, round %d", k), requests)
			// Every value the page shows back is exactly what was posted: the
			// markup around it did not break.
			echoed := evalJS[map[string]string](tb, `(() => {
				const out = {};
				for (const el of document.querySelectorAll('[data-testid="apply-form"] input[name]')) {
					if (el.hasAttribute("value") && el.type !== "checkbox" && el.type !== "radio") out[el.name] = el.getAttribute("value");
				}
				return out;
			})()`)
			for name, v := range echoed {
				if want, ok := posted[name]; ok && name != lending.FieldIdempotencyKey && name != "scenario" && v != "" && v != want && v != strings.TrimSpace(want) {
					t.Errorf("round %d: %s shows %q, posted %q", k, name, v, want)
				}
			}
		}
	})

	// The on-blur check as the browser runs it: each payload typed into one of
	// the text fields and left, so htmx posts it to /apply/validate and swaps in
	// the message; every pairing of payload and field is covered below through
	// the endpoint itself.
	t.Run("on-blur fragment", func(t *testing.T) {
		tb.t = t
		tb.open("/apply")
		inputs := evalJS[int](tb, `document.querySelectorAll('[data-testid="apply-form"] input[hx-post]:not([type=checkbox]):not([type=radio])').length`)
		if inputs < 8 {
			t.Fatalf("only %d text fields validate on blur", inputs)
		}
		for round := 0; round*inputs < len(payloads); round++ {
			batch := make([]string, inputs)
			for i := range batch {
				batch[i] = payloads[(round*inputs+i)%len(payloads)]
			}
			b, _ := json.Marshal(batch)
			evalJS[chromedp.Void](tb, fmt.Sprintf(`(() => {
				const values = %s;
				const els = document.querySelectorAll('[data-testid="apply-form"] input[hx-post]:not([type=checkbox]):not([type=radio])');
				els.forEach((el, i) => {
					el.value = values[i];
					el.dispatchEvent(new Event("change", {bubbles: true}));
					el.dispatchEvent(new Event("blur"));
				});
			})()`, b))
			tb.waitFor("htmx to settle", `document.querySelectorAll('.htmx-request').length === 0`, 5*time.Second)
			tb.assertInert(fmt.Sprintf("validated fields, round %d", round), requests)
		}
		if tb.count(`[data-testid^="field-error-"]`) == 0 {
			t.Error("no field message was ever swapped in: the on-blur checks did not run")
		}
	})

	// The same, through the fragment's endpoint directly, for every field the
	// form has (selects and consents included): the message never repeats markup.
	t.Run("fragment endpoint", func(t *testing.T) {
		client := &http.Client{}
		for _, f := range lending.FormFields {
			for _, payload := range payloads {
				form := url.Values{"field": {f}, f: {payload}}
				req, _ := http.NewRequest(http.MethodPost, p.URL+"/apply/validate", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("HX-Request", "true")
				req.Header.Set("Sec-Fetch-Site", "same-origin")
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || (strings.ContainsAny(payload, "<>\"") && strings.Contains(string(body), payload)) {
					t.Errorf("%s with %q: %d %s", f, payload, resp.StatusCode, body)
				}
			}
		}
	})

	var noticeIDs []string
	t.Run("notice of action taken", func(t *testing.T) {
		tb.t = t
		ctx := context.Background()
		const chunk = 8
		for start := 0; start < len(payloads); start += chunk {
			notice := "<p>We could not offer credit.</p>\n" + strings.Join(payloads[start:min(start+chunk, len(payloads))], "\n")
			id := p.SubmitScenario(scenario(t, stage.ScenarioTimeout))
			p.WaitFor("the lead of "+id, 10*time.Second, func() bool { return p.Application(id).Lead.UUID != "" })
			if _, err := p.App.store.ApplyLeadUpdate(ctx, store.LeadUpdate{LeadReport: lending.LeadReport{UUID: p.Application(id).Lead.UUID, Status: lending.LeadNoOffers, AdverseActionNotice: &notice},
				Source: lending.SourcePoller}); err != nil {
				t.Fatal(err)
			}
			noticeIDs = append(noticeIDs, id)
		}
		tb.shareCookies(p)
		for i, id := range noticeIDs {
			tb.open("/applications/" + id)
			if got := tb.status(); got != string(lending.LeadNoOffers) {
				t.Fatalf("application %s shows %q", id, got)
			}
			if tb.count(`[data-testid="adverse-action-notice"]`) != 1 {
				t.Fatalf("application %s: no notice shown", id)
			}
			tb.do(chromedp.Click(chromedp.CSS(`[data-testid="adverse-action-notice"] summary`)))
			tb.assertInert(fmt.Sprintf("notice %d", i), requests)
			tb.assertNoticeContained(fmt.Sprintf("notice %d", i), "adverse-action-notice")
			// The HTML as sent, too: no tag carries a handler or a script URL.
			resp, err := p.Client.Get(p.URL + "/applications/" + id)
			if err != nil {
				t.Fatal(err)
			}
			html, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if m := tagWithHandler.FindString(string(html)); m != "" {
				t.Errorf("notice %d: the page carries %q", i, m)
			}
			if strings.Contains(strings.ToLower(string(html)), "javascript:") {
				t.Errorf("notice %d: the page carries javascript:", i)
			}
		}
	})

	t.Run("admin pages", func(t *testing.T) {
		tb.t = t
		ctx := context.Background()
		password := "correct horse battery staple"
		if _, err := p.App.store.CreateOfficer(ctx, store.NewOfficer{Email: "xss.admin@bank.example", Role: lending.RoleAdmin, Password: password}); err != nil {
			t.Fatal(err)
		}
		// Borrower data stored as hostile as it comes (the store takes what the
		// form let through; these go around the form to be sure the pages escape).
		var ids []string
		for i, payload := range payloads {
			a := lending.Applicant{
				RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation",
				FirstName: payload, LastName: payloads[(i+1)%len(payloads)], Email: payloads[(i+2)%len(payloads)],
				Phone: "2025550143", DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), SSN: fmt.Sprintf("%09d", 610000000+i%3),
				Street: payloads[(i+3)%len(payloads)], Unit: payloads[(i+4)%len(payloads)], City: payloads[(i+5)%len(payloads)],
				State: "IL", Zipcode: "62701", EmploymentStatus: "employed", IncomeYearly: 85000_00, HousingType: "rent",
				HousingMonthly: 1400_00, CreditRating: "good",
			}
			app, _, err := p.App.store.CreateApplication(ctx, store.NewApplication{SessionID: "hostile", IdempotencyKey: store.NewID(),
				Applicant: a, ClientIP: "198.51.100.7", UserAgent: payloads[(i+6)%len(payloads)], LeadTimeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, app.ID)
		}
		tb.open("/admin/signin")
		tb.do(
			chromedp.SendKeys(chromedp.CSS(`#signin-email`), "xss.admin@bank.example"),
			chromedp.SendKeys(chromedp.CSS(`#signin-password`), password),
			chromedp.Click(chromedp.CSS(`[data-testid="admin-signin-form"] button[type="submit"]`)),
		)
		tb.waitFor("signed in", `location.pathname.startsWith("/admin") && !location.pathname.startsWith("/admin/signin")`, 10*time.Second)
		pages := []string{"/admin", "/admin/applications", "/admin/applications?page=2", "/admin/review", "/admin/officers", "/admin/api-keys",
			"/admin/applications?q=" + url.QueryEscape(payloads[0]), "/admin/applications?q=" + url.QueryEscape(payloads[25])}
		for i := 0; i < len(ids); i += 6 { // a sample of detail pages, each with a different set of payloads
			pages = append(pages, "/admin/applications/"+ids[i])
		}
		for _, path := range pages {
			requests.allow(p.URL + path)
			tb.open(path)
			if strings.HasPrefix(strings.TrimPrefix(tb.location(), p.URL), "/admin/signin") {
				t.Fatalf("%s: sent to sign in", path)
			}
			tb.assertInert(path, requests)
		}
		// The officer sees the same notices, in the same kind of container.
		for i, id := range noticeIDs {
			tb.open("/admin/applications/" + id)
			tb.do(chromedp.Click(chromedp.CSS(`[data-testid="admin-notice"] summary`)))
			tb.assertInert(fmt.Sprintf("officer's notice %d", i), requests)
			tb.assertNoticeContained(fmt.Sprintf("officer's notice %d", i), "admin-notice")
		}
	})
}

// shareCookies gives the browser the test client's borrower session, so the
// tab opens the applications the client submitted.
func (tb *tab) shareCookies(p *testPortal) {
	tb.t.Helper()
	u, _ := url.Parse(p.URL)
	for _, c := range p.Client.Jar.Cookies(u) {
		if _, err := chromedp.Call(tb.ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: p.URL + "/"}); err != nil {
			tb.t.Fatal(err)
		}
	}
}
