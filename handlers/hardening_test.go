package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// production is the option of newTestPortal for a production portal.
func production(cfg *Config) { cfg.Production, cfg.Site.Stage = true, false }

// Production tells browsers to use https only (HSTS); stage, served over plain
// http on a developer's machine, does not.
func TestHSTSInProductionOnly(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []func(*Config)
		want bool
	}{{"stage", nil, false}, {"production", []func(*Config){production}, true}} {
		p := newTestPortal(t, tt.opts...)
		for _, path := range []string{"/", "/apply", "/healthz", "/no-such-page", "/api/openapi.json"} {
			resp, _ := p.get(p.client, path)
			hsts := resp.Header.Get("Strict-Transport-Security")
			if !tt.want {
				if hsts != "" {
					t.Errorf("%s %s: Strict-Transport-Security %q", tt.name, path, hsts)
				}
				continue
			}
			age, ok := strings.CutPrefix(hsts, "max-age=")
			n, err := strconv.Atoi(strings.SplitN(age, ";", 2)[0])
			if !ok || err != nil || n < 365*24*3600 {
				t.Errorf("%s %s: Strict-Transport-Security %q, want max-age of a year or more", tt.name, path, hsts)
			}
		}
	}
}

// behindProxy trusts the test client's loopback address as a reverse proxy.
func behindProxy(cfg *Config) {
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}
}

// Behind a trusted reverse proxy the client is the address the proxy saw —
// the rightmost X-Forwarded-For entry that is not itself a trusted proxy — for
// the consent evidence and the IP velocity rule; without one the header is
// nobody's word and the connection's address counts.
func TestClientIPBehindTrustedProxy(t *testing.T) {
	ctx := context.Background()
	submitFrom := func(p *testPortal, n int, xff string) lending.Application {
		client := newBrowserClient()
		form := validFormValues(fmt.Sprintf("person%d@example.com", n))
		form.Set("ssn", fmt.Sprintf("123-45-%04d", 1000+n))
		form.Set(lending.FieldIdempotencyKey, p.startForm(client))
		resp, body := p.postForm(client, "/apply", form, "X-Forwarded-For", xff, "X-Forwarded-Proto", "https")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST /apply: %d %s", resp.StatusCode, body)
		}
		app, err := p.store.Application(ctx, strings.TrimPrefix(resp.Header.Get("Location"), "/applications/"))
		if err != nil {
			t.Fatal(err)
		}
		return app
	}

	t.Run("trusted proxy", func(t *testing.T) {
		p := newTestPortal(t, behindProxy)
		// Twelve people behind one load balancer: none is held for the IP rule.
		for i := range 12 {
			client := fmt.Sprintf("203.0.113.%d", i+1)
			app := submitFrom(p, i, "198.51.100.77, "+client+", 10.1.2.3")
			if app.ClientIP != client {
				t.Errorf("application %d: client IP %q, want %q", i, app.ClientIP, client)
			}
			if app.Review.Status != lending.ReviewPending {
				t.Errorf("application %d from %s held: %s", i, client, app.Review.Status)
			}
			consents, err := p.store.Consents(ctx, app.ID)
			if err != nil || len(consents) == 0 || consents[0].IP != client {
				t.Errorf("application %d: consent evidence from %v (%v), want IP %s", i, consentIPs(consents), err, client)
			}
		}
	})

	t.Run("no trusted proxy", func(t *testing.T) {
		p := newTestPortal(t)
		app := submitFrom(p, 0, "203.0.113.50")
		if app.ClientIP != "127.0.0.1" {
			t.Errorf("client IP %q: a forwarding header was believed from a client that is not a trusted proxy", app.ClientIP)
		}
	})

	// X-Forwarded-Proto too, as Echo reports it to any handler.
	for _, tt := range []struct {
		name       string
		opts       []func(*Config)
		wantScheme string
		wantIP     string
	}{
		{"trusted", []func(*Config){behindProxy}, "https", "203.0.113.9"},
		{"untrusted", nil, "http", "127.0.0.1"},
	} {
		p := newTestPortal(t, tt.opts...)
		e, err := New(p.cfg, p.store)
		if err != nil {
			t.Fatal(err)
		}
		e.GET("/probe", func(c echo.Context) error { return c.String(http.StatusOK, c.Scheme()+" "+c.RealIP()) })
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/probe", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		req.Header.Set("X-Forwarded-Proto", "https")
		req.Header.Set("X-Real-IP", "192.0.2.1")
		e.ServeHTTP(rec, req)
		if got, want := rec.Body.String(), tt.wantScheme+" "+tt.wantIP; got != want {
			t.Errorf("%s proxy: scheme and client %q, want %q", tt.name, got, want)
		}
	}
}

func consentIPs(cs []store.Consent) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.IP)
	}
	return out
}

// A product id comes from the platform; in the select form's action it is one
// path segment, whatever it holds, so it can never point the form at another
// route (a same-origin post to /admin/officers, say).
func TestOfferSelectActionKeepsProductIDInItsSegment(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	offers := testOffers("https://lender.example/")
	hostileIDs := []string{"../../../admin/officers?", "..", "a/b#frag", "x?y=1", "%2e%2e"}
	for i, hid := range hostileIDs {
		o := offers[0]
		o.ProductID, o.LenderOfferURL = hid, "https://lender.example/"+strconv.Itoa(i)
		offers = append(offers, o)
	}
	p.update(uuid, lending.LeadOffersFound, offers, nil)
	_, body := p.get(p.client, "/applications/"+id)
	base, _ := url.Parse(p.srv.URL + "/applications/" + id)
	d := doc(t, body)
	if n := d.Find(`[data-testid="offer-select"]`).Length(); n != len(offers) {
		t.Errorf("%d offers shown, want %d", n, len(offers))
	}
	seen := 0
	d.Find(`form:has([data-testid="offer-select"])`).Each(func(_ int, f *goquery.Selection) {
		action, _ := f.Attr("action")
		u, err := base.Parse(action)
		if err != nil {
			t.Errorf("action %q does not parse: %v", action, err)
			return
		}
		rest, ok := strings.CutPrefix(u.EscapedPath(), "/applications/"+id+"/offers/")
		segment, ok2 := strings.CutSuffix(rest, "/select")
		// (Browsers also read %2e%2e as "..".)
		plain, _ := url.PathUnescape(segment)
		if !ok || !ok2 || strings.Contains(segment, "/") || u.RawQuery != "" || u.Fragment != "" || strings.Trim(plain, ".") == "" {
			t.Errorf("action %q resolves to %q: outside the offer's own select route", action, u.String())
		}
		seen++
	})
	if seen < 3 {
		t.Errorf("%d select forms: the ordinary offers cannot be chosen", seen)
	}
}

// Checking the lender URL comes before recording the choice: a refused link
// leaves the application's offers open, and another offer can be chosen.
func TestRefusedLenderURLDoesNotLockTheOtherOffers(t *testing.T) {
	p := newTestPortal(t, production)
	p.client = newBrowserClient() // production cookies are Secure; keep them over the test's http
	p.client.Jar = insecureJar{p.client.Jar}
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	offers := testOffers("https://lender.example/")
	offers[0].LenderOfferURL = "http://plain.example/p-req-1" // production sends no borrower to plain http
	p.update(uuid, lending.LeadOffersFound, offers, nil)

	resp, _ := p.postForm(p.client, "/applications/"+id+"/offers/p-req-1/select", nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("plain-http lender URL: %d, want 502", resp.StatusCode)
	}
	app, _ := p.store.Application(context.Background(), id)
	if app.Lead.Status != lending.LeadOffersFound || app.Lead.SelectedProductID != "" {
		t.Errorf("after a refused selection: %s, selected %q", app.Lead.Status, app.Lead.SelectedProductID)
	}
	events, _ := p.store.Events(context.Background(), id)
	for _, e := range events {
		if e.Kind == lending.EventOfferSelected {
			t.Errorf("a refused selection was recorded: %+v", e)
		}
	}
	resp, _ = p.postForm(p.client, "/applications/"+id+"/offers/p-req-2/select", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://lender.example/p-req-2" {
		t.Errorf("another offer after a refused one: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// insecureJar lets a test keep a production portal's Secure cookies over http.
type insecureJar struct{ http.CookieJar }

func (j insecureJar) SetCookies(u *url.URL, cs []*http.Cookie) {
	for _, c := range cs {
		c.Secure = false
	}
	j.CookieJar.SetCookies(u, cs)
}

// A callback with the right path token but no valid signature is noted on the
// lead's timeline (officers and QA see rejected deliveries), but what it says
// is kept short, and a flood of them does not fill the timeline.
func TestRejectedCallbacksAreTruncatedAndRateLimited(t *testing.T) {
	p := newCallbackPortal(t)
	bigID := strings.Repeat("w", 500<<10)
	body := p.callbackBody("lead-1", platform.StatusOffersFound)
	req := signedRequest(t, p.path(), platform.NewWebhookSecret(), "m1", time.Now(), body)
	req.Header.Set(platform.HeaderWebhookID, bigID)
	if code, _ := p.serve(req); code != http.StatusUnauthorized {
		t.Fatalf("unsigned callback: %d", code)
	}
	events := p.events(lending.EventCallbackRejected)
	if len(events) != 1 {
		t.Fatalf("%d callback_rejected events, want 1", len(events))
	}
	if n := len(events[0].Detail); n > 500 {
		t.Errorf("the rejected callback's note keeps %d bytes of what the sender said", n)
	}

	for i := range 200 {
		req := signedRequest(t, p.path(), platform.NewWebhookSecret(), fmt.Sprintf("flood-%d", i), time.Now(),
			p.callbackBody("lead-1", platform.StatusOffersFound))
		if code, _ := p.serve(req); code != http.StatusUnauthorized {
			t.Fatalf("unsigned callback %d: %d", i, code)
		}
	}
	if n := len(p.events(lending.EventCallbackRejected)); n > lending.MaxRejectedCallbackEventsPerHour {
		t.Errorf("%d callback_rejected events after a flood, want at most %d", n, lending.MaxRejectedCallbackEventsPerHour)
	}
	// The genuine delivery still applies.
	if code, _ := p.send("m1", p.callbackBody("lead-1", platform.StatusOffersFound, cbProduct("p1"))); code != http.StatusNoContent {
		t.Errorf("genuine delivery after the flood: %d", code)
	}
}

// From a fresh browser, someone else's SSN under any name shows exactly what a
// never-seen SSN shows: the page is no oracle for whether a person applied here.
func TestBorrowerCannotTellTheSSNWasSeen(t *testing.T) {
	p := newTestPortal(t)
	owner := validFormValues("owner@example.com")
	owner.Set("ssn", "521-45-1234")
	p.submit(newBrowserClient(), owner)

	screen := func(email, ssn string) string {
		client := newBrowserClient()
		form := validFormValues(email)
		form.Set("ssn", ssn)
		form.Set("firstName", "Mallory")
		form.Set("lastName", "Probe")
		id := p.submit(client, form)
		_, body := p.get(client, "/applications/"+id)
		s := doc(t, body).Find(`main`)
		s.Find(`[data-testid="application-status"]`).Remove()
		return strings.Join(strings.Fields(s.Text()), " ")
	}
	probe, control := screen("probe@example.net", "521-45-1234"), screen("probe2@example.net", "521-45-9999")
	if probe != control {
		t.Errorf("the page tells a seen SSN from a never-seen one:\nseen:  %s\nnever: %s", probe, control)
	}
}

// /metrics is anonymous only in stage. In production the main listener serves
// it only with the configured bearer token (PORTAL_METRICS_TOKEN), and not at
// all without one (PORTAL_METRICS_ADDR serves it on a private listener).
func TestMetricsNeedATokenInProduction(t *testing.T) {
	const token = "m3tr1cs-t0ken-5f8a2c9d7e1b"
	get := func(p *testPortal, auth string) int {
		req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(newTestPortal(t), ""); code != http.StatusOK {
		t.Errorf("stage, anonymous: %d, want 200", code)
	}
	if code := get(newTestPortal(t, production), ""); code != http.StatusNotFound {
		t.Errorf("production without a metrics token, anonymous: %d, want 404", code)
	}
	withToken := newTestPortal(t, production, func(c *Config) { c.MetricsToken = token })
	for auth, want := range map[string]int{
		"": http.StatusUnauthorized, "Bearer wrong": http.StatusUnauthorized, "Bearer " + token + "x": http.StatusUnauthorized,
		"Basic " + token: http.StatusUnauthorized, "Bearer " + token: http.StatusOK,
	} {
		if code := get(withToken, auth); code != want {
			t.Errorf("production with a metrics token, Authorization %q: %d, want %d", auth, code, want)
		}
	}
	// The same figures through the handler a private listener serves.
	rec := httptest.NewRecorder()
	MetricsHandler(withToken.store).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "portal_applications") {
		t.Errorf("MetricsHandler: %d %.200s", rec.Code, rec.Body.String())
	}
}

// Request bodies are capped per route, small by default; the answer is a 413
// in the route's own shape (a page for people, status only for the platform's
// callbacks), and multipart is refused where no route takes it, before
// anything is read or spooled to disk.
func TestBodyLimits(t *testing.T) {
	p := newCallbackPortal(t)
	big := strings.Repeat("a", 1<<20)
	post := func(path, contentType string, body io.Reader, size int64, header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, p.srv.URL+path, body)
		req.ContentLength = size // -1: chunked, no Content-Length
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := p.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	form := validFormValues("big@example.com")
	form.Set(lending.FieldIdempotencyKey, p.startForm(p.client))
	form.Set("street", big)
	encoded := form.Encode()

	for _, chunked := range []bool{false, true} {
		size := int64(len(encoded))
		if chunked {
			size = -1
		}
		resp, body := post("/apply", "application/x-www-form-urlencoded", strings.NewReader(encoded), size)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "<main") {
			t.Errorf("a 1 MB form (chunked %v): %d %s, want 413 as a page", chunked, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k, v := range form {
		_ = w.WriteField(k, v[0])
	}
	fw, _ := w.CreateFormFile("upload", "big.bin")
	_, _ = fw.Write([]byte(big))
	w.Close()
	if resp, _ := post("/apply", w.FormDataContentType(), bytes.NewReader(mp.Bytes()), int64(mp.Len())); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("multipart to /apply: %d, want 415", resp.StatusCode)
	}
	var small bytes.Buffer
	w = multipart.NewWriter(&small)
	_ = w.WriteField("email", "x@example.com")
	w.Close()
	if resp, _ := post("/admin/signin", w.FormDataContentType(), bytes.NewReader(small.Bytes()), int64(small.Len())); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a small multipart form to /admin/signin: %d, want 415", resp.StatusCode)
	}

	// The callback keeps its own 1 MB: a body just under passes the cap (and
	// fails its signature), one over is 413 with no body.
	under := p.callbackBody("lead-1", platform.StatusOffersFound)
	under = append(under[:len(under)-1], []byte(`,"pad":"`+strings.Repeat("x", platform.MaxCallbackBytes-len(under)-20)+`"}`)...)
	if resp, body := post(p.path(), "application/json", bytes.NewReader(under), int64(len(under))); resp.StatusCode != http.StatusUnauthorized || body != "" {
		t.Errorf("a callback under 1 MB: %d %q, want 401 (read, signature checked)", resp.StatusCode, body)
	}
	over := []byte(big + big)
	if resp, body := post(p.path(), "application/json", bytes.NewReader(over), -1); resp.StatusCode != http.StatusRequestEntityTooLarge || body != "" {
		t.Errorf("a 2 MB callback: %d %q, want 413 with no body", resp.StatusCode, body)
	}

}

// The JSON API caps bodies in the route table too, and answers 413 in each
// route's error shape: seed 002's routes their seed's {"error": "…"}, any other
// /api route RFC 9457 problem details.
func TestAPIBodyLimit(t *testing.T) {
	p := newTestPortal(t)
	_, key, err := p.store.CreateAPIKey(context.Background(), store.NewAPIKey{PartnerID: "acme-bank"}, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
	for _, chunked := range []bool{false, true} {
		req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/api/v1/decision", strings.NewReader(big))
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var shape map[string]any
		if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(b, &shape) != nil || len(shape) != 1 || shape["error"] == nil {
			t.Errorf("a 1 MB decision request (chunked %v): %d %s %.200s, want 413 {\"error\": …}", chunked, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}

	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/api/partners/v1/things", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var problem struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(b, &problem) != nil || problem.Status != http.StatusRequestEntityTooLarge || problem.Title == "" || problem.Type == "" {
		t.Errorf("a 1 MB body to another /api route: %d %s %.200s, want 413 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
}
