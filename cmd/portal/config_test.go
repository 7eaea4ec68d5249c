package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"prequal/handlers"
	"prequal/platform"
	"prequal/stage"
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
		"PORTAL_SMTP_URL": "smtp://portal:relay-pw-7f3a9c@mail.partner-bank.net:587", "PORTAL_MAIL_FROM": "Partner Bank Loans <loans@partner-bank.net>",
		"PORTAL_POSTAL_ADDRESS": "1 Partner Plaza, Suite 100, Springfield, IL 62701",
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

func TestTrustedProxiesSetting(t *testing.T) {
	for _, tt := range []struct {
		text string
		want []string // "" entries: an error
	}{
		{"", nil},
		{"10.0.0.0/8, 192.168.1.5", []string{"10.0.0.0/8", "192.168.1.5/32"}},
		{"2001:db8::/32 172.16.0.0/12", []string{"2001:db8::/32", "172.16.0.0/12"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"0.0.0.0/0", []string{""}},
		{"::/0", []string{""}},
		{"load-balancer", []string{""}},
	} {
		got, err := parseTrustedProxies(tt.text)
		if len(tt.want) == 1 && tt.want[0] == "" {
			if err == nil {
				t.Errorf("%q: accepted as %v", tt.text, got)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q: %v %v, want %v", tt.text, got, err, tt.want)
		}
	}
	env := strongProduction(t)
	env["PORTAL_TRUSTED_PROXIES"] = "0.0.0.0/0"
	if _, err := parseConfig("serve", nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "PORTAL_TRUSTED_PROXIES") {
		t.Errorf("production trusting every address: %v", err)
	}

	// Wired through: a portal told its proxy is on loopback records the address
	// the proxy forwarded.
	p := startPortal(t, withEnv("PORTAL_TRUSTED_PROXIES", "127.0.0.1"))
	p.Client.Transport = forwardedFor{"203.0.113.77"}
	id := p.SubmitScenario(scenario(t, stage.ScenarioOffersAllRanges))
	if ip := p.Application(id).ClientIP; ip != "203.0.113.77" {
		t.Errorf("client IP %q behind the configured proxy", ip)
	}
}

// forwardedFor is a transport that adds X-Forwarded-For as a proxy would.
type forwardedFor struct{ client string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.client)
	return http.DefaultTransport.RoundTrip(r)
}

// /metrics on its own listener: only a loopback or private address; and a weak
// metrics token stops production like any other weak secret.
func TestMetricsListenerAndToken(t *testing.T) {
	for _, addr := range []string{":9100", "0.0.0.0:9100", "[::]:9100", "203.0.113.5:9100", "metrics.example:9100", "nonsense"} {
		if err := checkMetricsAddr(addr); err == nil {
			t.Errorf("metrics on %q accepted", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:9100", "localhost:9100", "[::1]:9100", "10.0.0.5:9100", "192.168.1.2:9100", "[fd00::5]:9100"} {
		if err := checkMetricsAddr(addr); err != nil {
			t.Errorf("metrics on %q refused: %v", addr, err)
		}
	}
	env := strongProduction(t)
	env["PORTAL_METRICS_TOKEN"] = "metrics"
	if _, err := parseConfig("serve", nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "PORTAL_METRICS_TOKEN") {
		t.Errorf("a weak metrics token: %v", err)
	}
	env["PORTAL_METRICS_TOKEN"], env["PORTAL_METRICS_ADDR"] = randomToken(24), "0.0.0.0:9100"
	if _, err := parseConfig("serve", nil, func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "PORTAL_METRICS_ADDR") {
		t.Errorf("metrics on every interface: %v", err)
	}

	// Served on the private listener, anonymous there.
	p := startPortal(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := startMetrics(ctx, "127.0.0.1:0", handlers.MetricsHandler(p.App.store), newLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "portal_applications") {
		t.Errorf("metrics listener: %d %.200s", resp.StatusCode, body)
	}
}
