package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// request sends one request to the portal at p.URL with the given Host and
// headers, in name/value pairs, and returns the response (body read).
func rawRequest(t *testing.T, method, url, host string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if method == http.MethodPost {
		req.Body = io.NopCloser(bytes.NewReader(nil))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// The embedded stage platform is served behind the portal's own middleware:
// the same security headers, and no cross-site state changes.
func TestSandboxBehindThePortalsMiddleware(t *testing.T) {
	p := startPortal(t)
	for _, path := range []string{"/sandbox/controls", "/sandbox/lenders/x/offers/y"} {
		resp, _ := rawRequest(t, http.MethodGet, p.URL+path, "")
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("GET %s: no %s", path, h)
			}
		}
	}
	for _, path := range []string{"/sandbox/controls/reset", "/qa/controls/reset"} {
		resp, _ := rawRequest(t, http.MethodPost, p.URL+path, "", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	// The portal's own server-to-server calls still work (the worker talks to it).
	id := p.SubmitScenario(scenario(t, "offers-all-ranges"))
	p.WaitStatus(id, 20*time.Second, "offers_found")
}

// Requests whose Host is not the portal's are refused (DNS rebinding: a page
// on attacker.example that resolves to 127.0.0.1 must not drive a developer's
// stage portal). Stage also answers its loopback names; probes are exempt.
func TestHostAllowList(t *testing.T) {
	p := startPortal(t)
	port := p.URL[strings.LastIndex(p.URL, ":"):]
	for _, tt := range []struct {
		method, path, host string
		want               int
	}{
		{http.MethodGet, "/qa", "attacker.example" + port, http.StatusMisdirectedRequest},
		{http.MethodPost, "/qa/controls/reset", "attacker.example" + port, http.StatusMisdirectedRequest},
		{http.MethodGet, "/sandbox/controls", "rebind.attacker.example", http.StatusMisdirectedRequest},
		{http.MethodGet, "/qa", "localhost" + port, http.StatusOK},
		{http.MethodGet, "/qa", "127.0.0.1" + port, http.StatusOK},
		{http.MethodGet, "/qa", "[::1]" + port, http.StatusOK},
		{http.MethodGet, "/healthz", "10.1.2.3" + port, http.StatusOK},
	} {
		resp, _ := rawRequest(t, tt.method, p.URL+tt.path, tt.host, "Sec-Fetch-Site", "same-origin")
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s with Host %s: %d, want %d", tt.method, tt.path, tt.host, resp.StatusCode, tt.want)
		}
	}

	prod := startPortal(t, withEnv(
		"PORTAL_ENV", "production", "PORTAL_BASE_URL", "https://rates.partner.example",
		"PLATFORM_BASE_URL", "https://platform.invalid", "PORTAL_SESSION_KEYS", randomB64(64), "PORTAL_DATA_KEY", randomB64(32),
		"PLATFORM_CLIENT_ID", "partner-7f3a9c", "PLATFORM_CLIENT_SECRET", randomToken(24),
		"PLATFORM_WEBHOOK_SECRET", "whsec_"+randomB64(32), "PLATFORM_CALLBACK_TOKEN", randomToken(24),
		"PORTAL_SMTP_URL", "smtp://portal:relay-pw-7f3a9c@mail.partner-bank.net:587",
		"PORTAL_MAIL_FROM", "Partner Bank Loans <loans@partner-bank.net>",
		"PORTAL_POSTAL_ADDRESS", "1 Partner Plaza, Suite 100, Springfield, IL 62701",
	))
	for _, tt := range []struct {
		path, host string
		want       int
	}{
		{"/apply", "rates.partner.example", http.StatusOK},
		{"/apply", "RATES.partner.example.", http.StatusOK},
		{"/apply", "127.0.0.1", http.StatusMisdirectedRequest},
		{"/apply", "localhost", http.StatusMisdirectedRequest},
		{"/apply", "attacker.example", http.StatusMisdirectedRequest},
		{"/healthz", "10.1.2.3:8080", http.StatusOK},
	} {
		resp, _ := rawRequest(t, http.MethodGet, prod.URL+tt.path, tt.host)
		if resp.StatusCode != tt.want {
			t.Errorf("production GET %s with Host %s: %d, want %d", tt.path, tt.host, resp.StatusCode, tt.want)
		}
	}
}

// The standalone stage platform: the same middleware, and timeouts on reading
// a request, so a slow client cannot hold a connection open for ever.
func TestStandaloneSandboxIsGuardedToo(t *testing.T) {
	dir := t.TempDir()
	addr := freeLoopbackAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		env := map[string]string{"PORTAL_DATA_DIR": dir}
		done <- run(ctx, []string{"portal", "sandbox", "--addr", addr}, func(k string) string { return env[k] }, nil, io.Discard)
	}()
	defer func() {
		cancel()
		<-done
	}()
	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get(base + "/sandbox/controls"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the standalone stage platform did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, _ := rawRequest(t, http.MethodGet, base+"/sandbox/controls", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") == "" {
		t.Errorf("GET /sandbox/controls: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	if resp, _ := rawRequest(t, http.MethodPost, base+"/sandbox/controls/reset", "", "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site reset: %d, want 403", resp.StatusCode)
	}
	if resp, _ := rawRequest(t, http.MethodGet, base+"/sandbox/controls", "attacker.example"); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d, want 421", resp.StatusCode)
	}
	srv := sandboxServer(http.NotFoundHandler(), newLogger(io.Discard))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("standalone server timeouts: header %v read %v write %v idle %v",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}
