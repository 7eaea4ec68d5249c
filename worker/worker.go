// Package worker runs the lead lifecycle jobs: the submit outbox, the polling
// fallback and the timeout sweep; and the borrower mail outbox with its offer
// expiry sweep. Everything it needs is in the database, so a
// restart (or kill -9) resumes where it stopped: a job held by a dead process is
// claimable again once its lease runs out, and the Idempotency-Key of a lead
// attempt makes a second submission return the lead the first one created.
package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"prequal/email"
	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultLeadTimeout = 120 * time.Second
	DefaultPollAfter   = 5 * time.Second  // first poll of a lead no callback has told us about
	DefaultPollEvery   = 15 * time.Second // seed 001's passive interval (10–20 s)
	DefaultTick        = 100 * time.Millisecond
	DefaultLease       = 30 * time.Second
	DefaultStopGrace   = 5 * time.Second
	DefaultConcurrency = 16 // submissions and polls are network waits, not work
	DefaultRetryBase   = time.Second
	DefaultRetryMax    = time.Minute
	// DefaultMailConcurrency bounds the emails in flight: a relay is one host,
	// and mail is never urgent to the second.
	DefaultMailConcurrency = 4
)

// recordTimeout bounds the database write that records a job's outcome; it runs
// even while the worker stops, so the outcome of the job in hand is not lost.
const recordTimeout = 5 * time.Second

// Platform is what the worker needs of the Platform API (platform.Client).
type Platform interface {
	SubmitLead(ctx context.Context, lead platform.LeadRequest, idempotencyKey, correlationID string) (platform.LeadCreated, error)
	GetLead(ctx context.Context, uuid, correlationID string) (platform.Lead, error)
}

// Config wires and tunes the worker. Only Store and Platform are required.
type Config struct {
	Store    *store.Store
	Platform Platform
	Logger   *slog.Logger
	// LeadTimeout is PORTAL_LEAD_TIMEOUT. Each lead's deadline is stored with it
	// when its attempt starts; the worker uses this only as the least time a submit
	// job that never reached the platform keeps trying before its lead times out.
	LeadTimeout time.Duration
	// PollAfter is how long after submission a lead is first polled, and PollEvery
	// the interval after that; a lead that had a callback within PollEvery is not
	// polled, because callbacks are flowing.
	PollAfter, PollEvery time.Duration
	// Tick is how often the worker looks for work when nothing wakes it.
	Tick time.Duration
	// Lease is how long a claimed job stays ours without a heartbeat; a job of a
	// process that died is claimable again after it.
	Lease time.Duration
	// StopGrace is how long the jobs in hand may run on after Run's ctx ends.
	StopGrace time.Duration
	// Concurrency bounds the submissions and polls in flight.
	Concurrency int
	// RetryBase and RetryMax shape the backoff between tries of a submit job that
	// failed transiently (the client already retried within each try).
	RetryBase, RetryMax time.Duration
	// Mailer sends the borrower emails of the mail outbox; nil sends none (they
	// wait in the outbox).
	Mailer Mailer
	// Mail is what every email takes from the portal (sender, postal address,
	// base URL, offer TTL).
	Mail email.Settings
	// MailConcurrency bounds the emails in flight.
	MailConcurrency int
	// OfferTTL is how long unchosen offers stay open (PORTAL_OFFER_TTL); the
	// expiry sweep reminds borrowers before it runs out.
	OfferTTL time.Duration
	// Owner names this worker in job leases; default host-pid-random.
	Owner string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Worker runs the lifecycle jobs. Create it with New and start it with Run.
type Worker struct {
	cfg  Config
	log  *slog.Logger
	wake chan struct{}

	errMu sync.Mutex
	// errLogged is when each distinct loop failure was last logged.
	errLogged map[string]time.Time
	// nextExpirySweep is when the offer expiry sweep runs next, and
	// mailYieldSince since when mail has waited for lead work (Run's goroutine only).
	nextExpirySweep time.Time
	mailYieldSince  time.Time
}

// New returns a worker with defaults filled in; Run starts it.
func New(cfg Config) *Worker {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.LeadTimeout, DefaultLeadTimeout)
	def(&cfg.PollAfter, DefaultPollAfter)
	def(&cfg.PollEvery, DefaultPollEvery)
	def(&cfg.Tick, DefaultTick)
	def(&cfg.Lease, DefaultLease)
	def(&cfg.StopGrace, DefaultStopGrace)
	def(&cfg.RetryBase, DefaultRetryBase)
	def(&cfg.RetryMax, DefaultRetryMax)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.MailConcurrency <= 0 {
		cfg.MailConcurrency = DefaultMailConcurrency
	}
	def(&cfg.OfferTTL, lending.DefaultOfferTTL)
	if cfg.Mail.OfferTTL <= 0 {
		cfg.Mail.OfferTTL = cfg.OfferTTL
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	return &Worker{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), errLogged: map[string]time.Time{}}
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Wake makes the worker look for work now instead of at its next tick (after an
// application is stored, for instance). It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends, then lets the jobs in hand finish (within StopGrace;
// after that they are cancelled and rescheduled) and returns nil.
func (w *Worker) Run(ctx context.Context) error {
	// Jobs in hand outlive ctx by StopGrace, so they get their own context.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	var inFlight sync.WaitGroup
	slots := make(chan struct{}, w.cfg.Concurrency)
	mailSlots := make(chan struct{}, w.cfg.MailConcurrency)
	w.log.Info("worker started", "owner", w.cfg.Owner, "poll_after", w.cfg.PollAfter, "poll_every", w.cfg.PollEvery)

	tick := time.NewTicker(w.cfg.Tick)
	defer tick.Stop()
	for {
		w.round(ctx, jobCtx, slots, &inFlight)
		w.mailRound(ctx, jobCtx, mailSlots, slots, &inFlight)
		select {
		case <-ctx.Done():
			w.stop(&inFlight, cancelJobs)
			return nil
		case <-tick.C:
		case <-w.wake:
		}
	}
}

// stop waits for the jobs in hand, cancelling them when StopGrace runs out; a
// cancelled submission is recorded as a transient failure and tried again by the
// next process.
func (w *Worker) stop(inFlight *sync.WaitGroup, cancelJobs context.CancelFunc) {
	done := make(chan struct{})
	go func() { inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(w.cfg.StopGrace):
		w.log.Warn("worker stop grace ran out; cancelling the jobs in hand")
		cancelJobs()
		<-done
	}
	w.log.Info("worker stopped")
}

// round does one pass: time out late leads, start submissions and polls while
// there are free slots.
func (w *Worker) round(ctx, jobCtx context.Context, slots chan struct{}, inFlight *sync.WaitGroup) {
	if ctx.Err() != nil {
		return
	}
	w.sweep(ctx)

	// Claim as many submit jobs as there are free slots, in one write; only this
	// goroutine fills slots, so the free ones stay free meanwhile.
	if free := cap(slots) - len(slots); free > 0 {
		jobs, err := w.cfg.Store.ClaimSubmitJobs(ctx, w.cfg.Owner, w.cfg.Lease, free)
		if err != nil {
			w.roundError(ctx, "claim submit jobs", err)
			return
		}
		for _, job := range jobs {
			slots <- struct{}{}
			inFlight.Add(1)
			go func() {
				defer inFlight.Done()
				defer func() { <-slots }()
				w.submit(jobCtx, job)
				w.Wake() // there may be more jobs waiting for this slot
			}()
		}
		if len(jobs) == free {
			return // every slot busy; polls wait for the next round
		}
	}

	free := cap(slots) - len(slots)
	if free == 0 || ctx.Err() != nil {
		return
	}
	targets, err := w.cfg.Store.ClaimDuePolls(ctx, w.cfg.PollEvery, w.cfg.PollEvery, free)
	if err != nil {
		w.roundError(ctx, "claim due polls", err)
		return
	}
	for _, t := range targets {
		slots <- struct{}{} // free was counted above and only this goroutine fills slots
		inFlight.Add(1)
		go func() {
			defer inFlight.Done()
			defer func() { <-slots }()
			w.poll(jobCtx, t)
			w.Wake() // mail may be waiting for the lead work to finish
		}()
	}
}

// sweep moves leads past their deadline (PORTAL_LEAD_TIMEOUT after the attempt
// started, as stored with the application) to timed_out.
func (w *Worker) sweep(ctx context.Context) {
	ids, err := w.cfg.Store.MarkTimedOut(ctx, w.cfg.LeadTimeout)
	if err != nil {
		w.roundError(ctx, "timeout sweep", err)
		return
	}
	for _, id := range ids {
		w.log.InfoContext(ctx, "lead timed out", "application_id", id)
	}
}

// roundError logs a failure of the loop once per cause every ten seconds. A
// database that is down fails every step of every round with the same cause;
// keyed by the step it would log one line per step ten times a second, so the
// key is the innermost error and the first step to meet it is the one named.
func (w *Worker) roundError(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		return
	}
	cause := err
	for next := errors.Unwrap(cause); next != nil; next = errors.Unwrap(cause) {
		cause = next
	}
	w.errMu.Lock()
	defer w.errMu.Unlock()
	msg := cause.Error()
	now := time.Now()
	if last, ok := w.errLogged[msg]; ok && now.Sub(last) < 10*time.Second {
		return
	}
	if len(w.errLogged) >= 64 { // errors that vary without end must not grow it
		clear(w.errLogged)
	}
	w.errLogged[msg] = now
	w.log.ErrorContext(ctx, "worker round failed", "step", what, "error", err)
}
