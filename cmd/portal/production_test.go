package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"prequal/email"
	"prequal/platform"
	"prequal/store"
)

// productionMail is a production portal's mail settings: a relay over
// implicit TLS with credentials, a sender and a postal address.
func productionMail() map[string]string {
	return map[string]string{
		"PORTAL_SMTP_URL":       "smtps://portal@mail.partner-bank.net:465",
		"PORTAL_SMTP_PASSWORD":  "relay-pw-7f3a9c1e5b",
		"PORTAL_MAIL_FROM":      "Partner Bank Loans <loans@partner-bank.net>",
		"PORTAL_POSTAL_ADDRESS": "1 Partner Plaza, Suite 100, Springfield, IL 62701",
	}
}

// Production's start-up checks include mail: a relay, reached over STARTTLS or
// implicit TLS, a real sender and a postal address; each missing one is named.
// Stage needs none of it: with no relay it catches its own mail.
func TestProductionMailSettings(t *testing.T) {
	base := map[string]string{
		"PORTAL_ENV": "production", "PORTAL_DATA_DIR": t.TempDir(), "PORTAL_BASE_URL": "https://rates.partner.example",
		"PLATFORM_BASE_URL":   "https://platform.invalid/api",
		"PORTAL_SESSION_KEYS": randomB64(64), "PORTAL_DATA_KEY": randomB64(store.DataKeySize),
		"PLATFORM_CLIENT_ID": "portal-prod-client", "PLATFORM_CLIENT_SECRET": randomToken(24),
		"PLATFORM_WEBHOOK_SECRET": string(platform.NewWebhookSecret()), "PLATFORM_CALLBACK_TOKEN": store.NewID(),
	}
	load := func(changes map[string]string) (*config, error) {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for k, v := range productionMail() {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return parseConfig("serve", nil, func(k string) string { return env[k] })
	}
	if _, err := load(nil); err != nil {
		t.Fatalf("the full production settings: %v", err)
	}
	for name, tc := range map[string]struct {
		changes map[string]string
		want    string
	}{
		"no relay":                        {map[string]string{"PORTAL_SMTP_URL": ""}, "PORTAL_SMTP_URL"},
		"no sender":                       {map[string]string{"PORTAL_MAIL_FROM": ""}, "PORTAL_MAIL_FROM"},
		"a placeholder sender":            {map[string]string{"PORTAL_MAIL_FROM": "no-reply@example.com"}, "PORTAL_MAIL_FROM"},
		"no postal address":               {map[string]string{"PORTAL_POSTAL_ADDRESS": ""}, "PORTAL_POSTAL_ADDRESS"},
		"a relay in clear text":           {map[string]string{"PORTAL_SMTP_URL": "smtp://portal@mail.partner-bank.net:25?tls=none"}, "STARTTLS"},
		"not a relay URL":                 {map[string]string{"PORTAL_SMTP_URL": "mail.partner-bank.net"}, "PORTAL_SMTP_URL"},
		"a sender that is not an address": {map[string]string{"PORTAL_MAIL_FROM": "Partner Bank"}, "PORTAL_MAIL_FROM"},
		"no offer TTL":                    {map[string]string{"PORTAL_OFFER_TTL": "0s"}, "PORTAL_OFFER_TTL"},
	} {
		_, err := load(tc.changes)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, tc.want)
		}
	}
	starttls, err := load(map[string]string{"PORTAL_SMTP_URL": "smtp://portal:pw@mail.partner-bank.net"})
	if err != nil || starttls.relay.TLS != email.TLSStartTLS || starttls.relay.Port != 587 {
		t.Errorf("STARTTLS relay: %+v %v", starttls.relay, err)
	}

	stage, err := parseConfig("serve", nil, func(k string) string {
		if k == "PORTAL_DATA_DIR" {
			return base[k]
		}
		return ""
	})
	if err != nil || !stage.catchMail || stage.MailFrom == "" || stage.PostalAddress == "" {
		t.Errorf("stage with no mail settings: catch=%v from=%q address=%q err=%v", stage.catchMail, stage.MailFrom, stage.PostalAddress, err)
	}
}

// In production the stage platform is not mounted and the QA pages do not
// exist: every path of theirs is a plain 404, while stage serves them.
func TestProductionServesNoStagePlatform(t *testing.T) {
	env := map[string]string{
		"PORTAL_ENV": "production", "PORTAL_DATA_DIR": t.TempDir(), "PORTAL_BASE_URL": "https://rates.partner.example", "PLATFORM_BASE_URL": "https://platform.invalid/api",
		"PORTAL_SESSION_KEYS": randomB64(64), "PORTAL_DATA_KEY": randomB64(store.DataKeySize),
		"PLATFORM_CLIENT_ID": "portal-prod-client", "PLATFORM_CLIENT_SECRET": randomToken(24),
		"PLATFORM_WEBHOOK_SECRET": string(platform.NewWebhookSecret()), "PLATFORM_CALLBACK_TOKEN": store.NewID(),
	}
	for k, v := range productionMail() {
		env[k] = v
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
	if a.mailCatcher != nil {
		t.Fatal("production started the stage mail catcher")
	}
	if r := a.mailer.Relay(); r.Host != "mail.partner-bank.net" || r.TLS != email.TLSImplicit {
		t.Errorf("production mails through %s", r)
	}
	stage := startPortal(t)
	for _, tt := range []struct{ method, path string }{
		{http.MethodGet, "/sandbox/controls"}, {http.MethodPost, "/sandbox/oauth2/token"},
		{http.MethodGet, "/sandbox/personal/v1/leads/x"}, {http.MethodGet, "/sandbox/leads"},
		{http.MethodGet, "/qa"}, {http.MethodGet, "/qa/scenarios.json"}, {http.MethodPost, "/qa/controls"},
		{http.MethodGet, "/qa/mail"}, {http.MethodGet, "/qa/mail.json"}, {http.MethodPost, "/qa/mail/controls"},
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
	for _, path := range []string{"/sandbox/controls", "/qa", "/qa/scenarios.json", "/qa/mail", "/qa/mail.json"} {
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
