package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/stage"
)

// testPortal is the whole portal (store, embedded stage platform, worker,
// handlers) serving on a loopback port exactly as `portal serve` runs it, for
// end-to-end tests over real HTTP. Start one with startPortal.
type testPortal struct {
	t testing.TB
	// URL is the portal's base URL, e.g. http://127.0.0.1:41234.
	URL string
	// App is the wired portal; App.store reads what the portal stored.
	App *app
	// Cfg is the loaded configuration (secrets included).
	Cfg *config
	// Client is a borrower's browser: a cookie jar, redirects not followed.
	Client *http.Client
	// Platform calls the portal's platform (the embedded stage one) with the
	// portal's own credentials: stage controls, call log, leads.
	Platform *platform.Client
	// Logs holds every log line the portal wrote.
	Logs *portalLogs

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// portalLogs is a goroutine-safe log sink.
type portalLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *portalLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *portalLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// portalSetup is what startPortal's options adjust.
type portalSetup struct {
	env     map[string]string
	dataDir string
	addr    string
	mutate  []func(*config)
}

// portalOption adjusts a portal before it starts.
type portalOption func(*portalSetup)

// withEnv sets environment variables as `portal serve` reads them, in name/value
// pairs: withEnv("PORTAL_LEAD_TIMEOUT", "3s", "PORTAL_POLL_AFTER", "300ms").
func withEnv(kv ...string) portalOption {
	return func(s *portalSetup) {
		for i := 0; i+1 < len(kv); i += 2 {
			s.env[kv[i]] = kv[i+1]
		}
	}
}

// withDataDir reuses a data dir (a restart); the default is a fresh t.TempDir().
func withDataDir(dir string) portalOption { return func(s *portalSetup) { s.dataDir = dir } }

// withAddr listens on addr (a restart on the same address) instead of a free port.
func withAddr(addr string) portalOption { return func(s *portalSetup) { s.addr = addr } }

// withConfig changes the parsed configuration before it is loaded.
func withConfig(f func(*config)) portalOption {
	return func(s *portalSetup) { s.mutate = append(s.mutate, f) }
}

// startPortal starts a stage portal and stops it when the test ends.
func startPortal(t testing.TB, opts ...portalOption) *testPortal {
	t.Helper()
	setup := &portalSetup{env: map[string]string{}, addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(setup)
	}
	if setup.dataDir == "" {
		setup.dataDir = t.TempDir()
	}
	ln := listen(t, setup.addr)

	// The same flags and defaults `portal serve` has, fed from setup.env.
	cfg := &config{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.flags(fs, func(name string) string { return setup.env[name] })
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	cfg.Addr, cfg.DataDir = ln.Addr().String(), setup.dataDir
	local := "http://" + ln.Addr().String()
	if setup.env["PORTAL_BASE_URL"] == "" {
		cfg.BaseURL = local
	}
	for _, m := range setup.mutate {
		m(cfg)
	}
	if err := cfg.load(); err != nil {
		ln.Close()
		t.Fatal(err)
	}

	logs := &portalLogs{}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, newLogger(logs))
	if err != nil {
		cancel()
		ln.Close()
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	p := &testPortal{
		t: t, URL: local, App: a, Cfg: cfg, Logs: logs, cancel: cancel, done: make(chan error, 1),
		Client: &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: publicHost(cfg.BaseURL),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		Platform: platform.NewClient(platform.Config{BaseURL: cfg.PlatformBaseURL, ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, Logger: newLogger(io.Discard)}),
	}
	go func() { p.done <- a.serve(ctx, ln) }()
	t.Cleanup(func() {
		p.Stop()
		assertLogsClean(t, cfg, logs.String())
	})
	return p
}

// publicHostTransport sends each request to the loopback listener it is
// addressed to, but with the Host of the portal's public base URL, as a
// reverse proxy in front of a production portal does.
type publicHostTransport struct{ host string }

func (h publicHostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = h.host
	return http.DefaultTransport.RoundTrip(r)
}

// publicHost is the test client's transport for a portal whose public URL is baseURL.
func publicHost(baseURL string) http.RoundTripper {
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme == "http" {
		return http.DefaultTransport
	}
	return publicHostTransport{host: u.Host}
}

// listen listens on addr, retrying briefly: a restart's address may still be
// held by the portal that just stopped.
func listen(t testing.TB, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("listen %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the portal down gracefully, as SIGTERM does. It is safe to call
// more than once.
func (p *testPortal) Stop() {
	p.once.Do(func() {
		p.cancel()
		select {
		case err := <-p.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				p.t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			p.t.Errorf("the portal did not stop within 20s")
		}
		p.App.close()
	})
}

// Kill stops the portal the way a crash does, as near as one process can: its
// database goes away first, so nothing it is doing gets recorded, then the stage
// platform and the server stop. Whatever was in flight is left as it was.
func (p *testPortal) Kill() {
	p.once.Do(func() {
		_ = p.App.store.Close()
		if p.App.sandbox != nil {
			_ = p.App.sandbox.Close()
		}
		if p.App.mailCatcher != nil {
			_ = p.App.mailCatcher.Close()
		}
		p.cancel()
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			p.t.Errorf("the killed portal's goroutines did not stop within 20s")
		}
	})
}

var idempotencyKeyInput = regexp.MustCompile(`name="idempotencyKey"[^>]*value="([a-z2-7]{26})"|value="([a-z2-7]{26})"[^>]*name="idempotencyKey"`)

// Submit fills in the borrower form as a browser does (GET /apply for the
// session cookie and the form's idempotency key, then POST /apply, with
// header's name/value pairs) and returns the new application's id from the 303
// Location.
func (p *testPortal) Submit(form map[string]string, header ...string) string {
	p.t.Helper()
	resp, err := p.Client.Get(p.URL + "/apply")
	if err != nil {
		p.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := idempotencyKeyInput.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		p.t.Fatalf("GET /apply: %d, idempotency key found: %v", resp.StatusCode, m != nil)
	}
	values := url.Values{}
	for k, v := range form {
		values.Set(k, v)
	}
	values.Set(lending.FieldIdempotencyKey, string(m[1])+string(m[2]))
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/apply", strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.Cfg.BaseURL)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err = p.Client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id, ok := strings.CutPrefix(resp.Header.Get("Location"), "/applications/")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		p.t.Fatalf("POST /apply: %d, Location %q\n%.2000s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	return id
}

// SubmitScenario submits a QA scenario's form, marked as started from the QA
// catalogue (test data: exempt from velocity screening) as the QA page does.
func (p *testPortal) SubmitScenario(sc stage.Scenario) string {
	p.t.Helper()
	form := map[string]string{"scenario": sc.ID}
	for k, v := range sc.Form {
		form[k] = v
	}
	return p.Submit(form)
}

// Application reads an application as stored.
func (p *testPortal) Application(id string) lending.Application {
	p.t.Helper()
	app, err := p.App.store.Application(context.Background(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	return app
}

// Events returns an application's timeline, optionally only the given kinds.
func (p *testPortal) Events(id string, kinds ...string) []lending.Event {
	p.t.Helper()
	all, err := p.App.store.Events(context.Background(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(kinds) == 0 {
		return all
	}
	var out []lending.Event
	for _, e := range all {
		for _, k := range kinds {
			if e.Kind == k {
				out = append(out, e)
			}
		}
	}
	return out
}

// WaitFor polls cond until it holds, failing the test after timeout.
func (p *testPortal) WaitFor(what string, timeout time.Duration, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitStatus waits until the application's lead status is one of statuses and
// returns the application.
func (p *testPortal) WaitStatus(id string, timeout time.Duration, statuses ...lending.LeadStatus) lending.Application {
	p.t.Helper()
	var app lending.Application
	p.WaitFor(fmt.Sprintf("application %s to reach %v", id, statuses), timeout, func() bool {
		app = p.Application(id)
		for _, s := range statuses {
			if app.Lead.Status == s {
				return true
			}
		}
		return false
	})
	return app
}

// StageLeads lists the leads the stage platform holds for a partnerLeadId.
func (p *testPortal) StageLeads(partnerLeadID string) []stage.LeadSummary {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leads, err := p.Platform.StageLeads(ctx, partnerLeadID)
	if err != nil {
		p.t.Fatal(err)
	}
	return leads
}

// SetStepDelay slows (or speeds) the stage platform's status steps.
func (p *testPortal) SetStepDelay(d time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := p.Platform.StageControls(ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	c.StepDelayMs = d.Milliseconds()
	if _, err := p.Platform.SetStageControls(ctx, c); err != nil {
		p.t.Fatal(err)
	}
}

// scenario returns the QA scenario with that id.
func scenario(t testing.TB, id string) stage.Scenario {
	t.Helper()
	sc, ok := stage.ScenarioByID(id)
	if !ok {
		t.Fatalf("no scenario %q", id)
	}
	return sc
}

// assertLogsClean fails when the portal's logs carry anything they must never
// carry: a scenario persona's SSN or date of birth, a session cookie, a bearer
// token, a client or webhook secret, or the callback path token.
func assertLogsClean(t testing.TB, cfg *config, logs string) {
	t.Helper()
	forbidden := map[string]string{
		"client secret":  cfg.ClientSecret,
		"callback token": cfg.CallbackToken,
		"session cookie": "prequal_borrower=",
		"officer cookie": "prequal_officer=",
		"bearer token":   "Bearer ",
		"token value":    "sbx_",
	}
	for _, ws := range cfg.webhookSecrets {
		forbidden["webhook secret"] = string(ws)
	}
	forbidden["webhook secret prefix"] = "whsec_"
	for _, sc := range stage.Scenarios() {
		ssn := sc.Form["ssn"]
		digits := strings.ReplaceAll(ssn, "-", "")
		forbidden["SSN of "+sc.ID] = digits
		if len(digits) == 9 {
			forbidden["dashed SSN of "+sc.ID] = digits[:3] + "-" + digits[3:5] + "-" + digits[5:]
		}
		forbidden["date of birth of "+sc.ID] = sc.Form["dob"]
	}
	forbidden["SMTP relay password"] = cfg.SMTPPassword
	for what, needle := range forbidden {
		if needle != "" && strings.Contains(logs, needle) {
			t.Errorf("the portal's logs contain a %s (%q)", what, needle)
		}
	}
	if m := resumeTokenInText.FindString(logs); m != "" {
		t.Errorf("the portal's logs contain a resume token (%.30s…)", m)
	}
}

// resumeTokenInText finds a resume token (lending.ResumeToken's text form).
var resumeTokenInText = regexp.MustCompile(`[a-z2-7]{26}\.[a-z2-7]{26}\.[0-9]{6,12}\.[A-Za-z0-9_-]{22}`)
