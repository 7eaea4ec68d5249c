package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"prequal/platform"
	"prequal/store"
)

// In production the stage platform is not mounted and the QA pages do not
// exist: every path of theirs is a plain 404, while stage serves them.
func TestProductionServesNoStagePlatform(t *testing.T) {
	env := map[string]string{
		"PORTAL_ENV": "production", "PORTAL_DATA_DIR": t.TempDir(), "PORTAL_BASE_URL": "https://rates.partner.example", "PLATFORM_BASE_URL": "https://platform.invalid/api",
		"PORTAL_SESSION_KEYS": randomB64(64), "PORTAL_DATA_KEY": randomB64(store.DataKeySize),
		"PLATFORM_CLIENT_ID": "portal-prod-client", "PLATFORM_CLIENT_SECRET": randomToken(24),
		"PLATFORM_WEBHOOK_SECRET": string(platform.NewWebhookSecret()), "PLATFORM_CALLBACK_TOKEN": store.NewID(),
	}
	cfg, err := parseConfig("serve", nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(context.Background(), cfg, newLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	if a.sandbox != nil {
		t.Fatal("production built the stage platform")
	}
	stage := startPortal(t)
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/sandbox/controls"}, {http.MethodPost, "/sandbox/oauth2/token"},
		{http.MethodGet, "/sandbox/personal/v1/leads/x"}, {http.MethodGet, "/sandbox/leads"},
		{http.MethodGet, "/qa"}, {http.MethodGet, "/qa/scenarios.json"}, {http.MethodPost, "/qa/controls"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tt.method, tt.path, nil)
		req.Host = "rates.partner.example"
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		a.handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("production %s %s: %d, want 404", tt.method, tt.path, rec.Code)
		}
	}
	for _, path := range []string{"/sandbox/controls", "/qa", "/qa/scenarios.json"} {
		resp, err := http.Get(stage.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("stage GET %s: %d, want 200", path, resp.StatusCode)
		}
	}
}
