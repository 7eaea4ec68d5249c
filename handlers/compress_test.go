package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"prequal/compression"
	"prequal/lending"
	"prequal/mailcatcher"
)

// fetch sends method path with acceptEncoding through client and returns the
// response and its raw (undecoded) body.
func (p *testPortal) fetch(client *http.Client, method, path, acceptEncoding string, form url.Values) (*http.Response, []byte) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, p.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding) // set by hand: the client then leaves the body as sent
	}
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp, b
}

const browserAcceptEncoding = "gzip, deflate, br, zstd"

// Borrower pages above the threshold are gzipped for browsers that accept it,
// say they vary by Accept-Encoding, and decode to the page.
func TestPagesAreCompressedForBrowsersThatAcceptIt(t *testing.T) {
	p := newTestPortal(t)
	resp, body := p.fetch(p.client, http.MethodGet, "/apply", browserAcceptEncoding, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("GET /apply: %d %v", resp.StatusCode, resp.Header)
	}
	page, err := compression.Decode(compression.Gzip, body)
	if err != nil || !strings.Contains(string(page), `data-testid="apply-form"`) || len(body) >= len(page)/2 {
		t.Fatalf("decoded %d → %d bytes, %v", len(body), len(page), err)
	}

	// Without Accept-Encoding: the page as it is, still marked as varying.
	resp, body = p.fetch(p.client, http.MethodGet, "/apply", "identity", nil)
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "Accept-Encoding" || !strings.Contains(string(body), `data-testid="apply-form"`) {
		t.Errorf("identity: %v", resp.Header)
	}
	// gzip refused explicitly.
	if resp, _ := p.fetch(p.client, http.MethodGet, "/apply", "gzip;q=0, br", nil); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: %v", resp.Header)
	}
}

// The checking-rates fragment is below the threshold: sent as it is.
func TestSmallResponsesAreSentAsTheyAre(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("small@example.com"))
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/applications/"+id+"/status", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("Accept-Encoding", browserAcceptEncoding)
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" ||
		len(body) >= compressMinBytes || !strings.Contains(string(body), `id="status-poll"`) {
		t.Errorf("poll: %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
	}
}

// BREACH: a form re-rendered with the borrower's input next to its
// idempotency key (a POST) is never compressed, nor is any officer page.
func TestResponsesThatMustNotBeCompressed(t *testing.T) {
	p := newTestPortal(t)
	form := validFormValues("breach@example.com")
	form.Set(lending.FieldIdempotencyKey, p.startForm(p.client))
	form.Set("firstName", strings.Repeat("<guess>", 50)) // attacker-style reflected text, and an error
	form.Set("dob", "not a date")
	resp, body := p.fetch(p.client, http.MethodPost, "/apply", browserAcceptEncoding, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || resp.Header.Get("Content-Encoding") != "" || len(body) < compressMinBytes {
		t.Errorf("POST /apply with errors: %d, %d bytes, %v", resp.StatusCode, len(body), resp.Header)
	}

	a := newAdminPortal(t)
	admin := a.officer("admin@bank.example", lending.RoleAdmin)
	for path, client := range map[string]*http.Client{"/admin": admin, "/admin/applications?q=guess": admin, "/admin/api-keys": admin, "/admin/signin": newBrowserClient()} {
		resp, body := a.fetch(client, http.MethodGet, path, browserAcceptEncoding, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || len(body) < compressMinBytes {
			t.Errorf("GET %s: %d, %d bytes, %v", path, resp.StatusCode, len(body), resp.Header)
		}
	}
}

func TestMayCompress(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/", true},
		{"HEAD", "/apply", true},
		{"GET", "/applications/x", true},
		{"POST", "/apply", false},
		{"POST", "/apply/validate", false},
		{"POST", "/applications/x/offers/p/select", false},
		{"GET", "/admin", false},
		{"GET", "/admin/applications", false},
		{"POST", "/admin/api-keys", false},
		{"GET", "/static/app.css", false},
		{"GET", "/resume", true},
		{"GET", "/resume/some-token", false},
		{"POST", "/resume/some-token", false},
		{"GET", "/qa/mail", false},
		{"GET", "/qa/mail.json", false},
		{"GET", "/qa/mail/1/html", false},
		{"GET", "/qa", true},
		{"POST", "/api/v1/decision", true},
		{"GET", "/api/v1/usage", true},
		{"GET", "/api/openapi.json", true},
		{"HEAD", "/api/openapi.json", true},
		{"GET", "/developers", true},
		{"GET", "/developers/docs", true},
		{"POST", "/developers/keys", false},
		{"POST", "/developers/keys/k/rotate", false},
		{"GET", "/admin/partners", false},
		{"GET", "/sandbox/leads", false},
		{"POST", "/sandbox/oauth2/token", false},
	} {
		req, _ := http.NewRequest(tc.method, "http://portal.test"+tc.path, nil)
		if got := mayCompress(req); got != tc.want {
			t.Errorf("mayCompress(%s %s) = %v", tc.method, tc.path, got)
		}
	}
	for ct, want := range map[string]bool{"text/html; charset=UTF-8": true, "application/json": true, "application/json; charset=UTF-8": true,
		"text/csv": false, "text/plain; version=0.0.4": false, "": false} {
		if compressedType(ct) != want {
			t.Errorf("compressedType(%q) = %v", ct, !want)
		}
	}
}

// HEAD is answered wherever GET is, with GET's status and headers and no body.
func TestHEADAnswersLikeGET(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("head@example.com"))
	for _, path := range []string{"/", "/apply", "/applications/" + id, "/healthz", "/readyz", "/metrics", "/qa", "/qa/scenarios.json", "/admin/signin", "/nope"} {
		for _, enc := range []string{browserAcceptEncoding, "identity"} {
			get, getBody := p.fetch(p.client, http.MethodGet, path, enc, nil)
			head, headBody := p.fetch(p.client, http.MethodHead, path, enc, nil)
			if head.StatusCode != get.StatusCode || len(headBody) != 0 {
				t.Errorf("HEAD %s (%s): %d with %d bytes; GET %d", path, enc, head.StatusCode, len(headBody), get.StatusCode)
				continue
			}
			for _, h := range []string{"Content-Type", "Content-Encoding", "Vary", "Cache-Control", "Content-Security-Policy"} {
				if head.Header.Get(h) != get.Header.Get(h) {
					t.Errorf("HEAD %s (%s): %s %q, GET %q", path, enc, h, head.Header.Get(h), get.Header.Get(h))
				}
			}
			if get.StatusCode == http.StatusOK && len(getBody) == 0 {
				t.Errorf("GET %s: empty", path)
			}
		}
	}
}

// fakeCatcher is a mail catcher holding the messages it is given.
type fakeCatcher struct{ msgs []mailcatcher.Message }

func (f *fakeCatcher) Messages(int) ([]mailcatcher.Message, error) { return f.msgs, nil }
func (f *fakeCatcher) Message(id string) (mailcatcher.Message, error) {
	for _, m := range f.msgs {
		if m.ID == id {
			return m, nil
		}
	}
	return mailcatcher.Message{}, mailcatcher.ErrNotFound
}
func (f *fakeCatcher) SetRefusing(bool) {}
func (f *fakeCatcher) Refusing() bool   { return false }

// BREACH: pages that carry a bearer secret — a resume link's page (its
// token) and the caught emails (resume links) — are never compressed, however
// large, while a page of the same portal above the threshold is.
func TestPagesCarryingSecretsAreNotCompressed(t *testing.T) {
	catcher := &fakeCatcher{}
	p := newTestPortal(t, func(c *Config) { c.MailCatcher = catcher })
	id := p.submit(p.client, validFormValues("secret@example.com"))
	token, err := p.store.IssueResumeToken(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	link := p.srv.URL + "/resume/" + token
	body := strings.Repeat("Continue your application: "+link+"\n", 40)
	catcher.msgs = []mailcatcher.Message{{ID: "m1", CaughtAt: time.Now(), From: "portal@bank.example", To: "secret@example.com",
		Subject: "Your link", Text: body, HTML: "<p>" + body + "</p>", Links: []string{link}}}

	if resp, _ := p.fetch(p.client, http.MethodGet, "/apply", browserAcceptEncoding, nil); resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET /apply is not compressed: the test no longer tells compressed from not: %v", resp.Header)
	}
	for _, path := range []string{"/resume/" + token, "/qa/mail", "/qa/mail.json", "/qa/mail/m1", "/qa/mail/m1/html"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			resp, raw := p.fetch(newBrowserClient(), method, path, browserAcceptEncoding, nil)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" {
				t.Errorf("%s %s: %d, %v", method, path, resp.StatusCode, resp.Header)
			}
			// The list shows subjects only; the other pages hold the link itself.
			if method == http.MethodGet && (len(raw) < compressMinBytes || path != "/qa/mail" && !strings.Contains(string(raw), token)) {
				t.Errorf("GET %s: %d bytes, the token in it: %v", path, len(raw), strings.Contains(string(raw), token))
			}
		}
	}
}

// The partner platform's pages and documents: public and partner GET pages
// and the OpenAPI document compressed and answered on HEAD like GET; the
// officers' partners page answered on HEAD but never compressed.
func TestDeveloperPagesAndAPIDocumentCompressAndAnswerHEAD(t *testing.T) {
	p := newAdminPortal(t)
	partner := p.partner("gzip@partner.example")
	admin := p.officer("admin@bank.example", lending.RoleAdmin)
	anon := newBrowserClient()
	for _, tc := range []struct {
		path       string
		client     *http.Client
		compressed bool
	}{
		{"/developers/docs", anon, true},
		{"/developers/register", anon, true},
		{"/developers/signin", anon, true},
		{"/developers", partner, true},
		{"/api/openapi.json", anon, true},
		{"/admin/partners", admin, false},
	} {
		get, body := p.fetch(tc.client, http.MethodGet, tc.path, browserAcceptEncoding, nil)
		head, headBody := p.fetch(tc.client, http.MethodHead, tc.path, browserAcceptEncoding, nil)
		if get.StatusCode != http.StatusOK || head.StatusCode != http.StatusOK || len(headBody) != 0 {
			t.Errorf("%s: GET %d, HEAD %d with %d bytes", tc.path, get.StatusCode, head.StatusCode, len(headBody))
			continue
		}
		if enc := get.Header.Get("Content-Encoding"); (enc == "gzip") != tc.compressed || head.Header.Get("Content-Encoding") != enc {
			t.Errorf("%s: GET Content-Encoding %q, HEAD %q", tc.path, enc, head.Header.Get("Content-Encoding"))
		}
		if tc.compressed {
			plain, err := compression.Decode(compression.Gzip, body)
			if err != nil || len(plain) < compressMinBytes || get.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s: %d → %d bytes, Vary %q, %v", tc.path, len(body), len(plain), get.Header.Get("Vary"), err)
			}
		}
	}
}
