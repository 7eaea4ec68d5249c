package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
	"prequal/webhooks"
)

// hookRequest is one delivery a test receiver got.
type hookRequest struct {
	Header http.Header
	Body   []byte
}

// hookReceiver records deliveries and answers 204 after delay.
type hookReceiver struct {
	mu    sync.Mutex
	got   []hookRequest
	delay time.Duration
	srv   *httptest.Server
}

func newHookReceiver(t *testing.T, delay time.Duration) *hookReceiver {
	r := &hookReceiver{delay: delay}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		time.Sleep(r.delay)
		r.mu.Lock()
		r.got = append(r.got, hookRequest{Header: req.Header.Clone(), Body: body})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) requests() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.got...)
}

// distinct counts the distinct webhook-ids received.
func (r *hookReceiver) distinct() int {
	seen := map[string]bool{}
	for _, q := range r.requests() {
		seen[q.Header.Get("webhook-id")] = true
	}
	return len(seen)
}

// webhookPartner makes a partner with endpoints at urls (journey.snapshot and
// creditApplication.*) in the database of a portal on dataDir, and returns the
// store, the partner and the endpoints' secrets.
func webhookPartner(t *testing.T, dataDir string, urls ...string) (*store.Store, lending.Partner, []store.WebhookEndpoint, []string) {
	t.Helper()
	ctx := context.Background()
	st := openProcessStore(t, dataDir)
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := st.RegisterPartner(ctx, store.NewPartner{Name: "Hooked Lending", Email: "hooks@lending.example", Password: "a long developer passphrase", Active: true, IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	var eps []store.WebhookEndpoint
	var secrets []string
	for _, u := range urls {
		secret := webhooks.NewSecret()
		ep, err := st.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{PartnerID: p.ID, URL: u, Secret: secret,
			EventTypes: []string{lending.EventJourneySnapshot, "creditApplication.*"}})
		if err != nil {
			t.Fatal(err)
		}
		eps, secrets = append(eps, ep), append(secrets, secret)
	}
	return st, p, eps, secrets
}

func addEvent(t *testing.T, st *store.Store, partnerID, typ string, n int) store.PartnerEvent {
	t.Helper()
	e, err := st.AddPartnerEvent(context.Background(), store.NewPartnerEvent{PartnerID: partnerID, Type: typ, PayloadVersion: 1,
		Payload: map[string]any{"n": n, "status": typ}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifierCase is one delivery for the Standard Webhooks library to check.
type verifierCase struct {
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Expect  string            `json:"expect"` // accept | refuse
}

func caseOf(q hookRequest, secret, expect string) verifierCase {
	h := map[string]string{}
	for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		h[k] = q.Header.Get(k)
	}
	return verifierCase{Secret: secret, Headers: h, Body: string(q.Body), Expect: expect}
}

// runStandardWebhooks runs the official library (npm standardwebhooks, pinned
// in package.json) on cases with node, and fails the test on any case whose
// outcome is not the expected one.
func runStandardWebhooks(t *testing.T, cases []verifierCase) {
	t.Helper()
	if _, err := os.Stat("../../node_modules/standardwebhooks/package.json"); err != nil {
		t.Fatalf("the standardwebhooks npm package is not installed (make deps / npm ci): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run the Standard Webhooks verifier: %v", err)
	}
	in := filepath.Join(t.TempDir(), "deliveries.json")
	b, _ := json.Marshal(cases)
	if err := os.WriteFile(in, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "testdata/verify-standardwebhooks.cjs", in).CombinedOutput()
	if err != nil {
		t.Fatalf("the Standard Webhooks library disagrees: %v\n%s", err, out)
	}
	var res struct{ Accepted, Refused int }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("verifier output %q: %v", out, err)
	}
	want := 0
	for _, c := range cases {
		if c.Expect == "accept" {
			want++
		}
	}
	if res.Accepted != want || res.Refused != len(cases)-want {
		t.Fatalf("verifier accepted %d and refused %d, want %d and %d", res.Accepted, res.Refused, want, len(cases)-want)
	}
	t.Logf("standardwebhooks 1.1.1 accepted %d deliveries and refused %d forgeries", res.Accepted, res.Refused)
}

// startListen runs `portal webhook listen` and returns its address and output.
func startListen(t *testing.T, secret string) (string, *portalLogs) {
	t.Helper()
	addr := freeLoopbackAddr(t)
	cmd := exec.Command(portalBinary(t), "webhook", "listen", "--addr", addr, "--secret", secret)
	out := &portalLogs{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n"))
		}
		close(done)
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done; _ = cmd.Wait() })
	waitUntil(t, "the listener", 30*time.Second, func() bool { return strings.Contains(out.String(), "Listening for webhook deliveries") })
	return addr, out
}

// Real deliveries from a running portal: every one is accepted by the official
// Standard Webhooks library — before a secret rotation with the old secret,
// after it with either — and forgeries are refused; `portal webhook listen`
// prints each verified delivery and refuses a forged one.
func TestWebhookDeliveriesVerifyWithStandardWebhooksLibrary(t *testing.T) {
	dataDir := t.TempDir()
	rcv := newHookReceiver(t, 0)
	st, p, eps, secrets := webhookPartner(t, dataDir, rcv.srv.URL+"/hooks")
	listenAddr, listenOut := startListen(t, secrets[0])
	ctx := context.Background()
	listenEP, err := st.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{PartnerID: p.ID, URL: "http://" + listenAddr + "/hooks",
		Secret: secrets[0], EventTypes: []string{lending.EventJourneySnapshot}})
	if err != nil {
		t.Fatal(err)
	}
	var before []store.PartnerEvent
	for i, typ := range []string{lending.EventJourneySnapshot, lending.EventCreditApplicationCreated, lending.EventCreditApplicationApproved} {
		before = append(before, addEvent(t, st, p.ID, typ, i))
	}
	portal := startPortalProcess(t, dataDir, freeLoopbackAddr(t))
	waitUntil(t, "the first deliveries", 60*time.Second, func() bool { return len(rcv.requests()) == len(before) })

	newSecret := webhooks.NewSecret()
	if err := st.RotateWebhookSecret(ctx, p.ID, eps[0].ID, newSecret, time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	addEvent(t, st, p.ID, lending.EventJourneySnapshot, 10)
	addEvent(t, st, p.ID, lending.EventCreditApplicationDenied, 11)
	if _, err := st.SendWebhookTestEvent(ctx, p.ID, eps[0].ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the deliveries after the rotation", 60*time.Second, func() bool { return len(rcv.requests()) == len(before)+3 })

	var cases []verifierCase
	for i, q := range rcv.requests() {
		if i < len(before) {
			cases = append(cases, caseOf(q, secrets[0], "accept"))
			continue
		}
		if n := len(strings.Fields(q.Header.Get("webhook-signature"))); n != 2 {
			t.Errorf("delivery %d after the rotation has %d signatures, want 2", i, n)
		}
		cases = append(cases, caseOf(q, secrets[0], "accept"), caseOf(q, newSecret, "accept"))
	}
	first := rcv.requests()[0]
	tampered := caseOf(first, secrets[0], "refuse")
	tampered.Body = strings.Replace(tampered.Body, `"type":"`, `"type":"x`, 1)
	cases = append(cases, tampered, caseOf(first, webhooks.NewSecret(), "refuse"))
	runStandardWebhooks(t, cases)

	// The listener printed the journey.snapshot deliveries it verified...
	waitUntil(t, "the listener's verified deliveries", 60*time.Second, func() bool {
		return strings.Count(listenOut.String(), "VERIFIED ") == 2
	})
	if !strings.Contains(listenOut.String(), "VERIFIED "+before[0].ID+" journey.snapshot") {
		t.Errorf("listen output lacks %s:\n%s", before[0].ID, listenOut.String())
	}
	if ds, _ := st.WebhookDeliveries(ctx, p.ID, listenEP.ID, 10); len(ds) != 2 || ds[0].Status != store.DeliveryDelivered {
		t.Errorf("deliveries to the listener: %+v", ds)
	}
	// ...and refuses a forged one.
	req, _ := http.NewRequest(http.MethodPost, "http://"+listenAddr+"/hooks", strings.NewReader(`{"type":"journey.snapshot"}`))
	if err := webhooks.SetHeaders(req.Header, []string{webhooks.NewSecret()}, "evt_forged", time.Now(), []byte(`{"type":"journey.snapshot"}`)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged delivery: %d, want 401", resp.StatusCode)
	}
	waitUntil(t, "the refusal", 10*time.Second, func() bool { return strings.Contains(listenOut.String(), "REFUSED evt_forged") })
	_ = portal
}

// Crash safety: 1,000 events pending, the portal SIGKILLed mid-stream and
// restarted: every event is delivered at least once, and a duplicate carries
// the same webhook-id and body.
func TestWebhookDeliveriesSurviveSIGKILL(t *testing.T) {
	const events = 1000
	dataDir := t.TempDir()
	rcv := newHookReceiver(t, 5*time.Millisecond)
	st, p, _, secrets := webhookPartner(t, dataDir, rcv.srv.URL+"/hooks")
	ids := make(map[string]bool, events)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < events; i += 8 {
				e := addEvent(t, st, p.ID, lending.EventCreditApplicationPending, i)
				mu.Lock()
				ids[e.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	env := []string{"PORTAL_JOB_LEASE=1s"}
	first := startPortalProcess(t, dataDir, freeLoopbackAddr(t), env...)
	waitUntil(t, "deliveries to start", 60*time.Second, func() bool { return rcv.distinct() >= 100 })
	first.Kill()
	atKill := rcv.distinct()
	if atKill >= events {
		t.Fatalf("all %d events were delivered before the kill: the test did not kill mid-stream", events)
	}
	startPortalProcess(t, dataDir, freeLoopbackAddr(t), env...)
	waitUntil(t, "every event after the restart", 180*time.Second, func() bool { return rcv.distinct() == events })

	waitUntil(t, "every delivery recorded", 60*time.Second, func() bool {
		c, err := st.WebhookDeliveryCounts(context.Background())
		return err == nil && c[store.DeliveryDelivered] == events
	})
	time.Sleep(500 * time.Millisecond) // let any last duplicate in flight arrive
	bodies := map[string]string{}
	dups := 0
	for _, q := range rcv.requests() {
		id, err := platform.Verify([]platform.WebhookSecret{platform.WebhookSecret(secrets[0])}, q.Header, q.Body, time.Now())
		if err != nil {
			t.Fatalf("a delivery does not verify: %v", err)
		}
		if !ids[id] {
			t.Fatalf("webhook-id %s is no event's id", id)
		}
		var b webhooks.Body
		if err := json.Unmarshal(q.Body, &b); err != nil || b.ID != id {
			t.Fatalf("body id %q, webhook-id %q (%v)", b.ID, id, err)
		}
		if prev, ok := bodies[id]; ok {
			dups++
			if prev != string(q.Body) {
				t.Errorf("a duplicate of %s has another body", id)
			}
		}
		bodies[id] = string(q.Body)
	}
	t.Logf("%d events: %d delivered before SIGKILL, %d requests in all, %d duplicates (same webhook-id and body)",
		events, atKill, len(bodies)+dups, dups)
}
