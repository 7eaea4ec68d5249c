package webhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"prequal/lending"
	"prequal/store"
)

// Defaults of Config.
const (
	// DefaultConcurrency bounds the attempts in flight in one process.
	DefaultConcurrency = 32
	// DefaultPerEndpoint bounds the attempts in flight to one endpoint, so a
	// slow receiver holds only its own deliveries back.
	DefaultPerEndpoint = 4
	// DefaultBusyRate is how many attempts start per second while the portal
	// is busy (Config.Busy): enough for steady partners (90,000 an hour),
	// little enough that the borrower's path keeps its speed; the backlog
	// goes at full speed once the rush is over.
	DefaultBusyRate = 25
	// DefaultTick is how often an idle worker looks for new events.
	DefaultTick = 250 * time.Millisecond
	// maxResponseRead is how much of a receiver's answer is read: enough to
	// keep the connection reusable, never an unbounded body.
	maxResponseRead = 4 << 10
	// fanOutBatch bounds the events fanned out in one transaction, so the
	// store's one writer is never held long from the borrower's writes.
	fanOutBatch = 50
	// pruneEvery is how often finished deliveries past
	// lending.WebhookDeliveryRetention are deleted, pruneBatch at a time.
	pruneEvery = time.Hour
	pruneBatch = 1000
	// maxErrorText bounds the answer excerpt kept with a failed attempt.
	maxErrorText = 200
)

// Store is what the worker needs of the store.
type Store interface {
	FanOutPartnerEvents(ctx context.Context, limit int) (int, error)
	ClaimWebhookDeliveries(ctx context.Context, owner string, lease time.Duration, limit, perEndpoint int) ([]store.WebhookSend, error)
	RecordWebhookAttempt(ctx context.Context, a store.WebhookAttempt) error
	PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int64, error)
}

// Config wires a Worker.
type Config struct {
	Store  Store
	Logger *slog.Logger
	Guard  Guard
	// Timeout bounds one attempt (lending.WebhookAttemptTimeout by default).
	Timeout time.Duration
	// Lease is how long a claimed delivery is the worker's; a dead process's
	// deliveries are sent again after it. At least Timeout + 5 s.
	Lease       time.Duration
	Concurrency int
	PerEndpoint int
	Tick        time.Duration
	// Busy reports whether the portal's server is saturated (people's and
	// partners' requests queueing for its cores). Deliveries are background
	// work: while Busy, at most BusyRate attempts start per second; otherwise
	// they go as fast as the endpoints answer. Nil: never busy.
	Busy     func() bool
	BusyRate float64
	// Now and Jitter (in [0,1)) are the clock and randomness of the retry
	// schedule; tests inject their own.
	Now    func() time.Time
	Jitter func() float64
	// Transport replaces the guarded HTTP transport (tests only).
	Transport http.RoundTripper
}

// Worker delivers partner events to webhook endpoints, on its own loop: the
// borrower's path only writes events, never waits for a delivery.
type Worker struct {
	cfg    Config
	owner  string
	client *http.Client
	wake   chan struct{}
	pace   *rate.Limiter // starts of attempts; unlimited unless Busy
}

// New builds a Worker.
func New(cfg Config) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = lending.WebhookAttemptTimeout
	}
	cfg.Lease = max(cfg.Lease, cfg.Timeout+5*time.Second)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.PerEndpoint <= 0 {
		cfg.PerEndpoint = DefaultPerEndpoint
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	if cfg.BusyRate <= 0 {
		cfg.BusyRate = DefaultBusyRate
	}
	if cfg.Busy == nil {
		cfg.Busy = func() bool { return false }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = randomJitter
	}
	transport := cfg.Transport
	if transport == nil {
		transport = NewTransport(cfg.Guard, cfg.Concurrency)
	}
	host, _ := os.Hostname()
	return &Worker{
		cfg:   cfg,
		owner: fmt.Sprintf("webhooks-%s-%d-%s", host, os.Getpid(), store.NewID()[:6]),
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		wake: make(chan struct{}, 1),
		pace: rate.NewLimiter(rate.Inf, 1),
	}
}

// NewTransport is the HTTP transport of deliveries: its dialer refuses
// forbidden addresses in production (Guard.Control), and no proxy is used
// (a proxy would connect where the guard cannot see).
func NewTransport(g Guard, conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: g.Control}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = d.DialContext
	t.MaxIdleConnsPerHost = conns
	return t
}

func randomJitter() float64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return float64(binary.LittleEndian.Uint64(b[:])>>11) / (1 << 53)
}

// Wake makes an idle worker look for events now.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight.
func (w *Worker) Run(ctx context.Context) error {
	slots := make(chan struct{}, w.cfg.Concurrency)
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	var lastErr string
	var pruned time.Time
	for {
		if now := w.cfg.Now(); now.Sub(pruned) >= pruneEvery {
			pruned = now
			w.prune(ctx, now.Add(-lending.WebhookDeliveryRetention))
		}
		busy, err := w.round(ctx, slots, &inFlight)
		if err != nil && ctx.Err() == nil && err.Error() != lastErr {
			w.cfg.Logger.Error("webhook round failed", "error", err)
		}
		if err != nil {
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
		if busy && err == nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			default:
				continue
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.wake:
		case <-time.After(w.cfg.Tick):
		}
	}
}

// prune deletes the finished deliveries whose last attempt was before before,
// a batch at a time so the store's writer is never held long.
func (w *Worker) prune(ctx context.Context, before time.Time) {
	var total int64
	for ctx.Err() == nil {
		n, err := w.cfg.Store.PruneWebhookDeliveries(ctx, before, pruneBatch)
		if err != nil {
			w.cfg.Logger.Error("pruning webhook deliveries", "error", err)
			return
		}
		total += n
		if n < pruneBatch {
			break
		}
	}
	if total > 0 {
		w.cfg.Logger.Info("pruned finished webhook deliveries", "deliveries", total, "last_attempt_before", before)
	}
}

// round fans new events out and starts the due deliveries that free slots
// allow; busy reports that there may be more to do at once.
func (w *Worker) round(ctx context.Context, slots chan struct{}, inFlight *sync.WaitGroup) (busy bool, err error) {
	n, err := w.cfg.Store.FanOutPartnerEvents(ctx, fanOutBatch)
	if err != nil {
		return false, err
	}
	free := cap(slots) - len(slots)
	if free == 0 {
		// Wait for a slot rather than spin.
		select {
		case slots <- struct{}{}:
			<-slots
		case <-ctx.Done():
		}
		return true, nil
	}
	want := free
	if w.cfg.Busy() {
		// A quarter of a second's worth: claimed deliveries wait for their
		// turn below, well inside their lease.
		want = min(free, max(1, int(w.cfg.BusyRate/4)))
	}
	sends, err := w.cfg.Store.ClaimWebhookDeliveries(ctx, w.owner, w.cfg.Lease, want, w.cfg.PerEndpoint)
	if err != nil {
		return false, err
	}
	for _, s := range sends {
		if err := w.waitTurn(ctx); err != nil {
			// Shutting down: the deliveries not started keep their lease and
			// are sent again after it, with the same webhook-id.
			return false, nil
		}
		slots <- struct{}{}
		inFlight.Add(1)
		go func() {
			defer func() { <-slots; inFlight.Done(); w.Wake() }() // a freed slot may take the next delivery
			w.deliver(ctx, s)
		}()
	}
	return n > 0 || len(sends) == want, nil
}

// waitTurn paces the start of attempts while the portal is busy and lets them
// go at once otherwise.
func (w *Worker) waitTurn(ctx context.Context) error {
	if !w.cfg.Busy() {
		w.pace.SetLimit(rate.Inf)
		return nil
	}
	w.pace.SetLimit(rate.Limit(w.cfg.BusyRate))
	return w.pace.Wait(ctx)
}

// Attempt sends one signed attempt of s and reports its outcome, with the
// retry time that the schedule gives a failure.
func (w *Worker) Attempt(ctx context.Context, s store.WebhookSend) store.WebhookAttempt {
	at, start := w.cfg.Now(), time.Now()
	a := store.WebhookAttempt{Send: s, At: at}
	code, err := w.post(ctx, s, at)
	a.StatusCode, a.Latency = code, time.Since(start)
	if err == nil {
		a.Delivered = true
		return a
	}
	a.Error = err.Error()
	if len(a.Error) > maxErrorText*2 {
		a.Error = a.Error[:maxErrorText*2]
	}
	if d, ok := lending.WebhookRetryAfter(s.Attempt, w.cfg.Jitter()); ok && s.Attempt < lending.WebhookMaxAttempts {
		a.RetryAt = at.Add(d)
	}
	return a
}

// deliver makes one attempt and records it. An attempt cut short by shutdown
// is not recorded: its lease runs out and the next process sends it again,
// with the same webhook-id.
func (w *Worker) deliver(ctx context.Context, s store.WebhookSend) {
	a := w.Attempt(ctx, s)
	if !a.Delivered && ctx.Err() != nil {
		return
	}
	if err := w.cfg.Store.RecordWebhookAttempt(context.WithoutCancel(ctx), a); err != nil {
		if errors.Is(err, store.ErrLeaseLost) {
			w.cfg.Logger.Warn("webhook delivery taken over by another worker", "delivery", s.DeliveryID)
			return
		}
		w.cfg.Logger.Error("recording a webhook attempt", "delivery", s.DeliveryID, "error", err)
		return
	}
	if !a.Delivered {
		w.cfg.Logger.Info("webhook attempt failed", "endpoint", s.Endpoint.ID, "event", s.Event.ID, "attempt", s.Attempt,
			"status", a.StatusCode, "error", a.Error, "retry_at", a.RetryAt)
	}
}

// post makes one attempt: 2xx is delivered; anything else, a redirect
// included (never followed), is a failure.
func (w *Worker) post(ctx context.Context, s store.WebhookSend, at time.Time) (int, error) {
	body, err := EncodeBody(s.Event)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "PrequalPortal-Webhooks/1")
	if err := SetHeaders(req.Header, s.Secrets, s.Event.ID, at, body); err != nil {
		return 0, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	text := strings.TrimSpace(string(excerpt))
	if len(text) > maxErrorText {
		text = text[:maxErrorText]
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return resp.StatusCode, fmt.Errorf("answered %d (redirects are not followed)", resp.StatusCode)
	}
	return resp.StatusCode, fmt.Errorf("answered %d: %s", resp.StatusCode, text)
}
