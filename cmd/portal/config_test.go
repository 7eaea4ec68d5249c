package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"prequal/platform"
	"prequal/store"
)

// strongProduction is a production configuration that should start.
func strongProduction(t *testing.T) map[string]string {
	return map[string]string{
		"PORTAL_ENV": "production", "PORTAL_DATA_DIR": t.TempDir(),
		"PORTAL_BASE_URL": "https://rates.partner.example", "PLATFORM_BASE_URL": "https://platform.partner.example/api",
		"PORTAL_SESSION_KEYS": randomB64(64), "PORTAL_DATA_KEY": randomB64(store.DataKeySize),
		"PLATFORM_CLIENT_ID": "portal-prod-client", "PLATFORM_CLIENT_SECRET": randomToken(24),
		"PLATFORM_WEBHOOK_SECRET": string(platform.NewWebhookSecret()), "PLATFORM_CALLBACK_TOKEN": store.NewID(),
	}
}

// A production start with every weak setting the outside test found fails once,
// with one message that names each offending setting.
func TestProductionRefusesWeakSettingsInOneMessage(t *testing.T) {
	env := strongProduction(t)
	weak := map[string]string{
		"PORTAL_BASE_URL":         "http://rates.partner.example",
		"PLATFORM_BASE_URL":       "http://platform.partner.example/api",
		"PORTAL_SESSION_KEYS":     base64.StdEncoding.EncodeToString(make([]byte, 64)),
		"PORTAL_DATA_KEY":         base64.StdEncoding.EncodeToString(make([]byte, store.DataKeySize)),
		"PLATFORM_WEBHOOK_SECRET": "whsec_" + base64.StdEncoding.EncodeToString([]byte{7}),
		"PLATFORM_CLIENT_SECRET":  "x",
		"PLATFORM_CALLBACK_TOKEN": strings.Repeat("a", 26),
	}
	for k, v := range weak {
		env[k] = v
	}
	_, err := parseConfig("serve", nil, func(k string) string { return env[k] })
	if err == nil {
		t.Fatal("production started with weak settings")
	}
	msg := err.Error()
	for name := range weak {
		if !strings.Contains(msg, name) {
			t.Errorf("the message does not name %s:\n%s", name, msg)
		}
	}
	for _, secret := range []string{weak["PLATFORM_CLIENT_SECRET"] + "\n", weak["PLATFORM_CALLBACK_TOKEN"], weak["PORTAL_DATA_KEY"]} {
		if strings.Contains(msg+"\n", secret) {
			t.Errorf("the message repeats a secret's value %q:\n%s", secret, msg)
		}
	}

	// Each weakness alone is refused too, naming only that setting.
	for name, v := range weak {
		env := strongProduction(t)
		env[name] = v
		_, err := parseConfig("serve", nil, func(k string) string { return env[k] })
		if err == nil {
			t.Errorf("production started with a weak %s=%q", name, v)
			continue
		}
		for other := range weak {
			if other != name && strings.Contains(err.Error(), other+":") {
				t.Errorf("weak %s alone: the message also blames %s:\n%s", name, other, err)
			}
		}
	}

	if _, err := parseConfig("serve", nil, func(k string) string { return strongProduction(t)[k] }); err != nil {
		t.Errorf("a strong production configuration is refused: %v", err)
	}
}

// Stage keeps its loopback http URLs; production accepts no loopback exception.
func TestHTTPSRequiredOutsideStageLoopback(t *testing.T) {
	stage := map[string]string{"PORTAL_DATA_DIR": t.TempDir(), "PORTAL_BASE_URL": "http://127.0.0.1:18082"}
	if _, err := parseConfig("serve", nil, func(k string) string { return stage[k] }); err != nil {
		t.Errorf("stage on loopback http: %v", err)
	}
	env := strongProduction(t)
	env["PORTAL_BASE_URL"] = "http://127.0.0.1:8080"
	env["PLATFORM_BASE_URL"] = "http://localhost:9090/sandbox"
	_, err := parseConfig("serve", nil, func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "PORTAL_BASE_URL") || !strings.Contains(err.Error(), "PLATFORM_BASE_URL") {
		t.Errorf("production on loopback http: %v", err)
	}
}
