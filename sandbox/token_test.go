package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"prequal/platform"
)

func TestTokenEndpoint(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		basic      []string // id, secret
		form       url.Values
		wantStatus int
		wantError  string
	}{
		{"basic auth", []string{testClientID, testClientSecret}, url.Values{"grant_type": {"client_credentials"}}, 200, ""},
		{"form credentials", nil, url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID},
			"client_secret": {testClientSecret}}, 200, ""},
		{"wrong secret", []string{testClientID, "nope"}, url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"unknown client", []string{"someone", testClientSecret}, url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"no credentials", nil, url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"wrong grant", []string{testClientID, testClientSecret}, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type"},
		{"missing grant", []string{testClientID, testClientSecret}, url.Values{}, 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/oauth2/token", strings.NewReader(tc.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tc.basic != nil {
				req.SetBasicAuth(tc.basic[0], tc.basic[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.wantError != "" {
				var e platform.ErrorBody
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error != tc.wantError {
					t.Fatalf("error = %+v (%v), want %q", e, err, tc.wantError)
				}
				return
			}
			var tr platform.TokenResponse
			if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
				t.Fatal(err)
			}
			if tr.AccessToken == "" || tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 {
				t.Fatalf("token response = %+v", tr)
			}
			// The token works on the leads API.
			if status, _, body := h.do(http.MethodGet, "/leads", tr.AccessToken, nil, nil); status != 200 {
				t.Fatalf("GET /leads with the new token: %d %s", status, body)
			}
		})
	}

	// Every token request is in the call log, refused ones included.
	entries := h.callLog(h.token(), "")
	outcomes := map[string]int{}
	for _, e := range entries {
		if e.Kind == LogToken {
			outcomes[e.Outcome]++
		}
	}
	if outcomes["issued"] < 3 || outcomes["invalid_client"] != 3 || outcomes["unsupported_grant_type"] != 1 {
		t.Errorf("token outcomes in the log = %v", outcomes)
	}
}

func TestProtectedEndpointsRejectBadTokens(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.TokenTTL = 300 * time.Millisecond })
	expired := h.token()
	if status, _, _ := h.do(http.MethodGet, "/leads", expired, nil, nil); status != http.StatusOK {
		t.Fatalf("a fresh token is refused: %d", status)
	}
	waitFor(t, "the token to expire", func() bool {
		status, _, _ := h.do(http.MethodGet, "/leads", expired, nil, nil)
		return status == http.StatusUnauthorized
	})
	valid := h.token()
	uuid := h.create(valid, plainLead(t, "auth-1"))

	endpoints := []struct{ method, path string }{
		{http.MethodPost, "/personal/v1/leads"},
		{http.MethodGet, "/personal/v1/leads/" + uuid},
		{http.MethodGet, "/log?lead=" + uuid},
		{http.MethodGet, "/leads"},
	}
	tokens := []struct{ name, header string }{
		{"no token", ""},
		{"not bearer", "Basic " + testClientSecret},
		{"unknown token", "Bearer sbx_made-up"},
		{"expired token", "Bearer " + expired},
	}
	for _, ep := range endpoints {
		for _, tk := range tokens {
			t.Run(ep.method+" "+ep.path+" "+tk.name, func(t *testing.T) {
				hdr := map[string]string{"Idempotency-Key": "k-" + tk.name}
				if tk.header != "" {
					hdr["Authorization"] = tk.header
				}
				status, header, body := h.do(ep.method, ep.path, "", hdr, []byte(`{}`))
				if status != http.StatusUnauthorized {
					t.Fatalf("status = %d, want 401", status)
				}
				var e platform.ErrorBody
				if err := json.Unmarshal(body, &e); err != nil || !strings.HasPrefix(e.Error, "invalid_token") {
					t.Errorf("body = %s", body)
				}
				if !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", header.Get("WWW-Authenticate"))
				}
			})
		}
	}
	if n := len(leadsOf(t, h, valid, "")); n != 1 {
		t.Errorf("leads = %d, want 1: refused submits must not create leads", n)
	}
}

// leadsOf reads GET /leads?partnerLeadId=….
func leadsOf(t *testing.T, h *harness, tok, partnerLeadID string) []LeadSummary {
	t.Helper()
	status, _, body := h.do(http.MethodGet, "/leads?partnerLeadId="+url.QueryEscape(partnerLeadID), tok, nil, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /leads: %d %s", status, body)
	}
	var out []LeadSummary
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
