package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"prequal/lending"
	"prequal/store"
)

const devPassword = "a long developer passphrase"

// partner registers a developer account through /developers/register and
// returns a browser signed in as it.
func (p *testPortal) partner(email string) *http.Client {
	p.t.Helper()
	client := newBrowserClient()
	if p.cfg.Production {
		client.Jar = plainHTTPJar{client.Jar} // the test server is plain HTTP
	}
	resp, body := p.postForm(client, "/developers/register", url.Values{"name": {"Acme Lending"}, "email": {email}, "password": {devPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/developers?registered=1" {
		p.t.Fatalf("register %s: %d → %q\n%s", email, resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return client
}

// page fetches a page as client and parses it.
func (p *testPortal) page(client *http.Client, path string) (*http.Response, *goquery.Document) {
	p.t.Helper()
	resp, body := p.get(client, path)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	return resp, doc
}

func parse(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testid(id string) string { return `[data-testid="` + id + `"]` }

var secretPattern = regexp.MustCompile(`sk_(test|live)_[A-Za-z0-9_-]{43}`)

// A developer registers in stage, is active at once, makes a key with the
// scopes it chose, sees its secret once, calls the API with it both ways,
// and finds the calls on its dashboard.
func TestDeveloperRegistersAndManagesKeys(t *testing.T) {
	p := newTestPortal(t)
	dev := p.partner("Dev@Acme.example")

	resp, doc := p.page(dev, "/developers?registered=1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", resp.StatusCode)
	}
	if s, _ := doc.Find(testid("partner-status")).Attr("data-status"); s != string(lending.PartnerActive) {
		t.Errorf("status %q, want active in stage", s)
	}
	if doc.Find(testid("partner-welcome")).Length() != 1 || doc.Find(testid("webhooks-section")).Length() != 1 {
		t.Error("the dashboard lacks the welcome or the webhook endpoints section")
	}
	if doc.Find(testid("scope-operator")).Length() != 0 {
		t.Error("a partner is offered the operator scope")
	}

	resp, body := p.postForm(dev, "/developers/keys", url.Values{"name": {"back office"}, "scope": {"decision", "journeys"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create key: %d\n%s", resp.StatusCode, body)
	}
	page := parse(t, body)
	secret := strings.TrimSpace(page.Find(testid("api-key-secret")).Text())
	if !strings.HasPrefix(secret, "sk_test_") || !secretPattern.MatchString(secret) {
		t.Fatalf("secret shown: %q", secret)
	}
	if got := strings.TrimSpace(page.Find(testid("api-key-scopes")).Text()); got != "decision, journeys" {
		t.Errorf("scopes %q", got)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("the page showing a secret may be cached")
	}
	if _, again := p.get(dev, "/developers"); strings.Contains(again, secret) || secretPattern.MatchString(again) {
		t.Error("the secret is shown a second time")
	}

	if r := p.api(nil, http.MethodPost, "/api/v1/decision", "", seedRequest, "Authorization", "Bearer "+secret); r.status != http.StatusOK {
		t.Fatalf("Bearer: %d %s", r.status, r.body)
	}
	if r := p.api(nil, http.MethodPost, "/api/v1/decision", secret, seedRequest); r.status != http.StatusOK {
		t.Fatalf("x-api-key: %d %s", r.status, r.body)
	}
	_, doc = p.page(dev, "/developers")
	keyID, _ := doc.Find(testid("api-key-row")).Attr("data-key-id")
	if calls, _ := doc.Find(testid("api-key-calls-month")).Attr("data-calls"); calls != "2" {
		t.Errorf("calls this month %q, want 2", calls)
	}
	chart := doc.Find(testid("usage-chart") + `[data-key-id="` + keyID + `"]`)
	if total, _ := chart.Attr("data-total"); total != "2" {
		t.Errorf("chart total %q, want 2", total)
	}
	if calls, _ := chart.Find(testid("usage-bar")).Last().Attr("data-calls"); calls != "2" {
		t.Errorf("this month's bar %q, want 2", calls)
	}
	if label, _ := chart.Find("svg").Attr("aria-label"); !strings.Contains(label, ": 2") {
		t.Errorf("the chart's text alternative %q does not say 2", label)
	}
	if got := doc.Find(testid("api-key-rate-limit")).Text(); !strings.Contains(got, "10,000/min") || !strings.Contains(got, "1,000/min") {
		t.Errorf("rate limit %q", got)
	}

	t.Run("rotate: a new secret once, the old one refused at once", func(t *testing.T) {
		resp, body := p.postForm(dev, "/developers/keys/"+keyID+"/rotate", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("rotate: %d", resp.StatusCode)
		}
		fresh := strings.TrimSpace(parse(t, body).Find(testid("api-key-secret")).Text())
		if fresh == secret || !strings.HasPrefix(fresh, "sk_test_") {
			t.Fatalf("rotated secret %q", fresh)
		}
		if r := p.api(nil, http.MethodPost, "/api/v1/score", secret, seedRequest); r.status != http.StatusUnauthorized {
			t.Errorf("old secret: %d, want 401", r.status)
		}
		if r := p.api(nil, http.MethodPost, "/api/v1/score", fresh, seedRequest); r.status != http.StatusOK {
			t.Errorf("new secret: %d", r.status)
		}
		secret = fresh
	})
	t.Run("refusals", func(t *testing.T) {
		resp, body := p.postForm(dev, "/developers/keys", url.Values{"name": {"nothing"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || parse(t, body).Find(testid("api-key-form-error")).Length() != 1 {
			t.Errorf("no scope: %d", resp.StatusCode)
		}
		if resp, _ := p.postForm(dev, "/developers/keys", url.Values{"scope": {"decision", "operator"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("operator scope: %d, want 403", resp.StatusCode)
		}
		if resp, _ := p.postForm(dev, "/developers/keys", url.Values{"scope": {"everything"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("unknown scope: %d, want 422", resp.StatusCode)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		if resp, _ := p.postForm(dev, "/developers/keys/"+keyID+"/revoke", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("revoke: %d", resp.StatusCode)
		}
		if r := p.api(nil, http.MethodPost, "/api/v1/score", secret, seedRequest); r.status != http.StatusUnauthorized {
			t.Errorf("revoked: %d, want 401", r.status)
		}
	})
	t.Run("the same email again", func(t *testing.T) {
		resp, body := p.postForm(newBrowserClient(), "/developers/register", url.Values{"name": {"Again"}, "email": {"dev@acme.example"}, "password": {devPassword}})
		if resp.StatusCode != http.StatusConflict || parse(t, body).Find(testid("field-error-email")).Text() == "" {
			t.Errorf("duplicate registration: %d", resp.StatusCode)
		}
	})
}

func TestDeveloperRegistrationValidation(t *testing.T) {
	p := newTestPortal(t)
	if resp, _ := p.get(newBrowserClient(), "/register"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/developers/register" {
		t.Errorf("seed 002's /register: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := p.postForm(newBrowserClient(), "/developers/register", url.Values{"name": {" "}, "email": {"not an email"}, "password": {"short"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	doc := parse(t, body)
	for _, f := range []string{"name", "email", "password"} {
		if strings.TrimSpace(doc.Find(testid("field-error-"+f)).Text()) == "" {
			t.Errorf("no error for %s", f)
		}
	}
	if v, _ := doc.Find("#reg-email").Attr("value"); v != "not an email" {
		t.Errorf("the email typed was lost: %q", v)
	}
	if ps, err := p.store.Partners(context.Background()); err != nil || len(ps) != 0 {
		t.Errorf("partners made: %v (%v)", ps, err)
	}
}

// Sign-in follows the officers' rules: a wrong password is refused without
// saying which part was wrong, repeated failures are throttled, sign-out ends
// the session on the server.
func TestDeveloperSignInAndOut(t *testing.T) {
	p := newTestPortal(t)
	dev := p.partner("dev@acme.example")
	cookie := dev.Jar.Cookies(mustURL(t, p.srv.URL+"/developers"))
	if len(cookie) != 1 || cookie[0].Name != partnerCookie {
		t.Fatalf("cookies %v", cookie)
	}

	resp, _ := p.postForm(dev, "/developers/signout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/developers/signin?signedout=1" {
		t.Fatalf("sign out: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	replay := newBrowserClient()
	replay.Jar.SetCookies(mustURL(t, p.srv.URL+"/developers"), cookie)
	if resp, _ := p.get(replay, "/developers"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the old cookie after sign-out: %d, want a redirect to sign in", resp.StatusCode)
	}

	signIn := func(pw string) *http.Response {
		resp, _ := p.postForm(newBrowserClient(), "/developers/signin", url.Values{"email": {"dev@acme.example"}, "password": {pw}, "next": {"/developers/docs"}})
		return resp
	}
	if resp := signIn(devPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/developers/docs" {
		t.Errorf("sign in: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var last *http.Response
	for range lending.SignInFreeFailures + 1 {
		last = signIn("wrong password!!")
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("after repeated failures: %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	if resp := signIn(devPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right password while throttled: %d, want 429", resp.StatusCode)
	}
}

// In production a new partner waits for an admin: no keys until approved,
// its dashboard says so, and says when it was approved; keys are then sk_live_.
// Suspension stops its keys at once.
func TestDeveloperApprovalInProduction(t *testing.T) {
	p := newTestPortal(t, func(c *Config) { c.Production, c.Stage = true, nil })
	dev := p.partner("dev@bank.example")
	_, doc := p.page(dev, "/developers")
	if doc.Find(testid("partner-pending")).Length() != 1 || doc.Find(testid("api-key-form")).Length() != 0 {
		t.Fatal("a pending partner sees no approval note, or the key form")
	}
	if resp, _ := p.postForm(dev, "/developers/keys", url.Values{"scope": {"decision"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a pending partner makes a key: %d", resp.StatusCode)
	}
	partners, err := p.store.Partners(context.Background())
	if err != nil || len(partners) != 1 || partners[0].Status != lending.PartnerPending {
		t.Fatalf("partners %+v (%v)", partners, err)
	}
	id := partners[0].ID

	if _, err := p.store.CreateOfficer(context.Background(), store.NewOfficer{Email: "admin@bank.example", Role: lending.RoleAdmin, Password: admPassword}); err != nil {
		t.Fatal(err)
	}
	admin := newBrowserClient()
	admin.Jar = plainHTTPJar{admin.Jar}
	if resp := (&adminPortal{testPortal: p}).signIn(admin, "admin@bank.example", admPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d", resp.StatusCode)
	}
	resp, body := p.get(admin, "/admin/partners")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "dev@bank.example") {
		t.Fatalf("admin list: %d", resp.StatusCode)
	}
	if resp, _ := p.postForm(admin, "/admin/partners/"+id+"/approve", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	_, doc = p.page(dev, "/developers")
	if doc.Find(testid("partner-approved")).Length() != 1 {
		t.Error("the dashboard does not say the account was approved")
	}
	resp, body = p.postForm(dev, "/developers/keys", url.Values{"scope": {"decision"}})
	secret := strings.TrimSpace(parse(t, body).Find(testid("api-key-secret")).Text())
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(secret, "sk_live_") {
		t.Fatalf("key after approval: %d %q", resp.StatusCode, secret)
	}
	if r := p.api(nil, http.MethodPost, "/api/v1/score", secret, seedRequest); r.status != http.StatusOK {
		t.Fatalf("live key: %d", r.status)
	}
	if resp, _ := p.postForm(admin, "/admin/partners/"+id+"/suspend", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("suspend: %d", resp.StatusCode)
	}
	if r := p.api(nil, http.MethodPost, "/api/v1/score", "", seedRequest, "Authorization", "Bearer "+secret); r.status != http.StatusUnauthorized {
		t.Errorf("suspended partner's key: %d, want 401", r.status)
	}
	if resp, _ := p.postForm(admin, "/admin/partners/"+id+"/approve", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("approving a suspended partner: %d, want 409", resp.StatusCode)
	}
	_, doc = p.page(dev, "/developers")
	if doc.Find(testid("partner-suspended")).Length() != 1 {
		t.Error("the dashboard does not say the account is suspended")
	}
}

// An admin grants the operator scope; a partner cannot.
func TestAdminGrantsOperatorScope(t *testing.T) {
	p := newAdminPortal(t)
	admin := p.officer("admin@bank.example", lending.RoleAdmin)
	resp, body := p.postForm(admin, "/admin/api-keys", url.Values{"tenant": {"sponsor-bank"}, "scope": {"operator", "applications:read"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	secret := revealedSecret(t, body)
	k, err := p.store.APIKeyBySecret(context.Background(), secret)
	if err != nil || !k.Scopes.Has(lending.ScopeOperator) || !k.Scopes.Has(lending.ScopeApplicationsRead) || k.Scopes.Has(lending.ScopeDecision) {
		t.Errorf("key %+v (%v)", k, err)
	}
	if r := p.api(nil, http.MethodPost, "/api/v1/score", secret, seedRequest); r.status != http.StatusForbidden {
		t.Errorf("an operator key without decision on the decision API: %d, want 403", r.status)
	}
}

// The API reference renders every documented operation, with its scope, and
// the problem types errors link to; nothing comes from another site.
func TestDeveloperDocs(t *testing.T) {
	p := newTestPortal(t)
	resp, doc := p.page(newBrowserClient(), "/developers/docs")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	ops := map[string]bool{}
	doc.Find(testid("docs-operation")).Each(func(_ int, s *goquery.Selection) {
		m, _ := s.Attr("data-method")
		path, _ := s.Attr("data-path")
		ops[m+" "+path] = true
	})
	for _, want := range []string{"POST /api/v1/decision", "POST /api/v1/score", "GET /api/v1/usage", "GET /api/openapi.json"} {
		if !ops[want] {
			t.Errorf("the reference lacks %s (has %v)", want, ops)
		}
	}
	decision := doc.Find(`#postDecision`)
	if decision.Find(testid("docs-scope")).Text() != "decision" || !strings.Contains(decision.Text(), "requestedAmount") ||
		decision.Find(testid("docs-response")+`[data-status="429"]`).Length() != 1 {
		t.Error("the decision operation lacks its scope, a request field or its 429")
	}
	for _, slug := range []string{"missing-scope", "unauthorized", "idempotency-key-reused", "idempotency-key-in-use"} {
		if doc.Find("#problem-"+slug).Length() != 1 {
			t.Errorf("no anchor for problem type %s", slug)
		}
	}
	doc.Find("script[src], link[href], img[src]").Each(func(_ int, s *goquery.Selection) {
		for _, attr := range []string{"src", "href"} {
			if v, ok := s.Attr(attr); ok && (strings.HasPrefix(v, "http") || strings.HasPrefix(v, "//")) {
				t.Errorf("loads %s from another site", v)
			}
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// plainHTTPJar keeps production's Secure cookies over the test server's plain
// HTTP, as a browser would over HTTPS.
type plainHTTPJar struct{ http.CookieJar }

func (j plainHTTPJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	for _, c := range cookies {
		c.Secure = false
	}
	j.CookieJar.SetCookies(u, cookies)
}

// Officers see how each application came: the web form, or a partner's API
// channel with the partner's name, in the pipeline and on its page.
func TestOfficersSeeTheChannelAndPartner(t *testing.T) {
	p := newAdminPortal(t)
	officer := p.officer("officer@bank.example", lending.RoleOfficer)
	p.newAPIKey("acme")
	web := p.create(admApplicant(), false)
	a := admApplicant()
	a.Email = "journey@example.com"
	viaAPI, _, err := p.store.CreateApplication(context.Background(), store.NewApplication{SessionID: "journey-session",
		IdempotencyKey: store.NewID(), Applicant: a, LeadTimeout: time.Minute,
		Channel: lending.ChannelHeadlessJourney, PartnerID: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	_, doc := p.page(officer, "/admin/applications")
	got := map[string]string{}
	doc.Find(testid("pipeline-row")).Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("data-application-id")
		got[id] = strings.TrimSpace(s.Find(testid("pipeline-channel")).Text())
	})
	if got[web.ID] != "Web" || got[viaAPI.ID] != "Headless journey · acme" {
		t.Errorf("channels %v", got)
	}
	_, doc = p.page(officer, "/admin/applications/"+viaAPI.ID)
	if ch := strings.TrimSpace(doc.Find(testid("application-channel")).Text()); ch != "Headless journey · acme" {
		t.Errorf("detail channel %q", ch)
	}
}
