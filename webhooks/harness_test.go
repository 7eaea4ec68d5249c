package webhooks

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// clock is a settable test clock shared by the store and the worker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// received is one request a test receiver got.
type received struct {
	Header http.Header
	Body   []byte
}

// receiver records every request and answers with answer(n) for the n-th (from 1).
type receiver struct {
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter)
	srv    *httptest.Server
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter)) *receiver {
	r := &receiver{answer: answer}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{Header: req.Header.Clone(), Body: body})
		n := len(r.got)
		r.mu.Unlock()
		if r.answer != nil {
			r.answer(n, w)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

type harness struct {
	t       *testing.T
	st      *store.Store
	clock   *clock
	partner lending.Partner
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "portal.db"), bytes.Repeat([]byte{9}, store.DataKeySize))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	st.SetClock(c.Now)
	p, err := st.RegisterPartner(ctx, store.NewPartner{Name: "Acme Lending", Email: "dev@acme.test", Password: "correct horse battery staple", Active: true, IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, st: st, clock: c, partner: p}
}

// endpoint registers an endpoint of the harness's partner and returns it with its secret.
func (h *harness) endpoint(url string, types ...string) (store.WebhookEndpoint, string) {
	h.t.Helper()
	if len(types) == 0 {
		types = []string{lending.EventJourneySnapshot}
	}
	secret := NewSecret()
	e, err := h.st.CreateWebhookEndpoint(context.Background(), store.NewWebhookEndpoint{PartnerID: h.partner.ID, URL: url, EventTypes: types, Secret: secret})
	if err != nil {
		h.t.Fatal(err)
	}
	return e, secret
}

func (h *harness) event(typ string, payload any) store.PartnerEvent {
	h.t.Helper()
	e, err := h.st.AddPartnerEvent(context.Background(), store.NewPartnerEvent{PartnerID: h.partner.ID, Type: typ, PayloadVersion: 1, Payload: payload})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// run starts a worker on the harness's store and clock, with jitter 0.
func (h *harness) run(cfg Config) *Worker {
	cfg.Store, cfg.Now, cfg.Tick = h.st, h.clock.Now, 20*time.Millisecond
	if cfg.Jitter == nil {
		cfg.Jitter = func() float64 { return 0 }
	}
	w := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	h.t.Cleanup(func() { cancel(); <-done })
	return w
}

func (h *harness) deliveries(endpointID string) []store.WebhookDelivery {
	h.t.Helper()
	ds, err := h.st.WebhookDeliveries(context.Background(), h.partner.ID, endpointID, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	return ds
}

// waitFor polls cond for up to a generous deadline (the machine is shared).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// one is the endpoint's newest delivery (zero while there is none).
func (h *harness) one(endpointID string) store.WebhookDelivery {
	h.t.Helper()
	ds := h.deliveries(endpointID)
	if len(ds) == 0 {
		return store.WebhookDelivery{}
	}
	return ds[0]
}

// waitRecorded waits until the endpoint's newest delivery has recorded its
// attempt number attempt, made at the clock's present time.
func (h *harness) waitRecorded(endpointID string, attempt int) {
	h.t.Helper()
	waitFor(h.t, "attempt to be recorded", func() bool {
		d := h.one(endpointID)
		return d.Attempts == attempt && d.LastAttemptAt.Equal(h.clock.Now())
	})
}
