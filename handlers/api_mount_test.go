package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"prequal/correlation"
	"prequal/store"
)

// seedRequest is seed 002's example request to POST /api/v1/decision.
const seedRequest = `{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000,"yearsAtJob":5,"openCreditLines":1}`

// apiResponse is one API call's outcome.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// newAPIKey creates a real key for tenant and returns its secret.
func (p *testPortal) newAPIKey(tenant string) (store.APIKey, string) {
	p.t.Helper()
	k, secret, err := p.store.CreateAPIKey(context.Background(), store.NewAPIKey{PartnerID: tenant}, store.AuditEntry{})
	if err != nil {
		p.t.Fatal(err)
	}
	return k, secret
}

// api calls the JSON API with client (nil: a partner's server, no cookies),
// key in x-api-key when it is not empty, and header's name/value pairs.
func (p *testPortal) api(client *http.Client, method, path, key, body string, header ...string) apiResponse {
	p.t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	req, _ := http.NewRequest(method, p.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, b := p.send(client, req, header...)
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: []byte(b)}
}

// assertSameJSON compares JSON trees (field order aside).
func assertSameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad JSON in test: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		var buf bytes.Buffer
		_ = json.Compact(&buf, got)
		t.Errorf("body:\n got %s\nwant %s", buf.Bytes(), want)
	}
}

// The portal mounts package api under /api behind the middleware people's
// pages share: its answers carry the shared headers, every failure is the
// API's JSON (never the HTML error page), a browser session never stands in for
// a key, and partners' servers get through the cross-origin check. (The API's
// own behaviour is tested in package api.)
func TestAPIIsMountedBehindTheSharedMiddleware(t *testing.T) {
	p := newTestPortal(t)
	_, key := p.newAPIKey("acme")

	t.Run("answers carry the shared headers", func(t *testing.T) {
		r := p.api(nil, http.MethodPost, "/api/v1/decision", key, seedRequest)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, Content-Type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get(correlation.Header) == "" {
			t.Errorf("security headers or correlation id missing: %v", r.header)
		}
		// OWASP's REST Security Cheat Sheet's headers (framing refused by CSP
		// frame-ancestors), and none of the page-only policies a JSON answer
		// has no use for.
		if csp := r.header.Get("Content-Security-Policy"); csp != "frame-ancestors 'none'" {
			t.Errorf("Content-Security-Policy %q, want frame-ancestors 'none'", csp)
		}
		for _, h := range []string{"Referrer-Policy", "Permissions-Policy", "Cross-Origin-Opener-Policy"} {
			if v := r.header.Get(h); v != "" {
				t.Errorf("%s %q on a JSON answer", h, v)
			}
		}
	})
	t.Run("a browser session's cookies are no key", func(t *testing.T) {
		browser := newBrowserClient()
		p.get(browser, "/apply") // starts a borrower session
		srvURL, _ := url.Parse(p.srv.URL)
		if len(browser.Jar.Cookies(srvURL)) == 0 {
			t.Fatal("the browser got no session cookie; this case would prove nothing")
		}
		for _, path := range []string{"/api/v1/decision", "/api/v1/score", "/api/v1/usage"} {
			method := http.MethodPost
			if strings.HasSuffix(path, "usage") {
				method = http.MethodGet
			}
			r := p.api(browser, method, path, "", seedRequest, "Sec-Fetch-Site", "same-origin")
			if r.status != http.StatusUnauthorized {
				t.Fatalf("%s: status %d, want 401: %s", path, r.status, r.body)
			}
			assertSameJSON(t, r.body, `{"error": "Invalid or missing API key."}`)
		}
	})
	t.Run("a partner's server gets through the cross-origin check", func(t *testing.T) {
		r := p.api(nil, http.MethodPost, "/api/v1/decision", key, seedRequest, "Sec-Fetch-Site", "cross-site", "Origin", "https://partner.example")
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	t.Run("an unknown route is a problem+json 404", func(t *testing.T) {
		r := p.api(nil, http.MethodPost, "/api/v1/nope", key, seedRequest, "X-Correlation-ID", "partner-corr-42")
		if r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("status %d, Content-Type %q; want a problem+json 404", r.status, r.header.Get("Content-Type"))
		}
		assertSameJSON(t, r.body, `{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Not found.", "correlationId": "partner-corr-42"}`)
	})
	t.Run("a failure is the API's JSON 500, without details", func(t *testing.T) {
		if err := p.store.Close(); err != nil {
			t.Fatal(err)
		}
		r := p.api(nil, http.MethodPost, "/api/v1/decision", key, seedRequest)
		if r.status != http.StatusInternalServerError || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, Content-Type %q; want a JSON 500", r.status, r.header.Get("Content-Type"))
		}
		assertSameJSON(t, r.body, `{"error": "Internal server error."}`)
	})
}
