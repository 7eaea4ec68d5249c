package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"prequal/platform"
)

// Delivery transport limits.
const (
	deliveryTimeout     = 10 * time.Second
	deliveryLease       = deliveryTimeout + 5*time.Second
	maxParallelDelivery = 8
	maxReceiverBody     = 4 << 10
	releaseTimeout      = 2 * time.Second
)

// newDeliveryClient never follows redirects: a 3xx is not a 2xx, so it is retried.
func newDeliveryClient() *http.Client {
	// As many idle connections as deliveries in flight (Go's default keeps two).
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxParallelDelivery
	return &http.Client{
		Transport: t,
		Timeout:   deliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// runDeliveries sends pending callbacks, at most maxParallelDelivery at a time,
// each lead's in order. Pending deliveries are rows, so they survive a restart.
func (s *Sandbox) runDeliveries(ctx context.Context) {
	slots := make(chan struct{}, maxParallelDelivery)
	for {
		wait := s.dispatchDue(ctx, slots)
		if !sleepOrWake(ctx, wait, s.deliveryWake) {
			return
		}
	}
}

// dispatchDue starts the due deliveries there are free slots for and returns how
// long to sleep before looking again. A finishing delivery frees its slot and
// pokes the loop.
func (s *Sandbox) dispatchDue(ctx context.Context, slots chan struct{}) time.Duration {
	free := cap(slots) - len(slots)
	if free == 0 {
		return maxIdleWait
	}
	now := time.Now()
	claimed, err := s.st.claimDueDeliveries(ctx, now, now.Add(deliveryLease), free)
	if err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "sandbox: claiming callbacks failed", "err", err)
		}
		return loopErrorWait
	}
	for _, d := range claimed {
		slots <- struct{}{}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-slots; poke(s.deliveryWake) }()
			s.deliver(ctx, d)
		}()
	}
	if len(claimed) == free {
		return maxIdleWait
	}
	next, err := s.st.nextDeliveryAt(ctx)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "sandbox: scheduling callbacks failed", "err", err)
		}
		return loopErrorWait
	case next.IsZero():
		return maxIdleWait
	}
	return min(maxIdleWait, max(0, time.Until(next)))
}

// deliver makes one attempt at a callback and records it. The first
// BadSignatures attempts are signed with a throwaway secret on purpose.
func (s *Sandbox) deliver(ctx context.Context, d deliveryRow) {
	attempt := d.Attempts + 1
	bad := attempt <= d.BadSignatures
	status, sendErr := s.send(ctx, d, bad)
	if ctx.Err() != nil {
		// Shutting down mid-send: give the delivery back so a restart retries it
		// at once instead of after the lease.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if err := s.st.releaseDelivery(rctx, d.ID, time.Now()); err != nil {
			s.log.WarnContext(rctx, "sandbox: releasing callback failed", "err", err, "webhook_id", d.WebhookID)
		}
		return
	}

	now := time.Now()
	res := deliveryResult{Attempts: attempt, Status: status, Finished: now}
	entry := LogEntry{Time: now, Kind: LogCallbackAttempt, LeadUUID: d.LeadUUID, PartnerLeadID: d.PartnerLeadID,
		CorrelationID: d.CorrelationID, WebhookID: d.WebhookID, Attempt: attempt, BadSignature: bad, ResponseStatus: status, LeadStatus: d.LeadStatus}
	switch {
	case sendErr == nil && status >= 200 && status < 300:
		res.State, entry.Outcome = deliveryDelivered, "delivered"
	case attempt >= maxDeliveryAttempts:
		res.State, entry.Outcome = deliveryFailed, "gave_up"
	default:
		res.State, entry.Outcome = deliveryPending, "retry_scheduled"
		res.NextAttempt = now.Add(s.backoff(attempt))
		entry.NextAttemptAt = &res.NextAttempt
	}
	if sendErr != nil {
		res.Err = truncate(sendErr.Error())
		entry.Error = res.Err
	}
	if err := s.st.recordAttempt(context.WithoutCancel(ctx), d.ID, res, entry); err != nil {
		s.log.ErrorContext(ctx, "sandbox: recording callback attempt failed", "err", err, "webhook_id", d.WebhookID)
		return
	}
	s.log.InfoContext(ctx, "sandbox: callback attempt", "webhook_id", d.WebhookID, "lead", d.LeadUUID,
		"lead_status", d.LeadStatus, "attempt", attempt, "status", status, "bad_signature", bad,
		"outcome", entry.Outcome, "err", res.Err, "correlation_id", d.CorrelationID)
}

// send POSTs the callback once; it returns the receiver's status (0 when none).
func (s *Sandbox) send(ctx context.Context, d deliveryRow, badSignature bool) (int, error) {
	secret := s.cfg.WebhookSecret
	if badSignature {
		secret = platform.NewWebhookSecret() // a well-formed signature no receiver can verify
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.CallbackURL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "prequal-sandbox/1")
	if d.CorrelationID != "" {
		req.Header.Set(platform.HeaderCorrelationID, d.CorrelationID)
	}
	if err := platform.SetSignedHeaders(req.Header, secret, d.WebhookID, time.Now(), d.Body); err != nil {
		return 0, fmt.Errorf("sign: %w", err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReceiverBody)) // lets the connection be reused
	return resp.StatusCode, nil
}

// backoff is the wait after a failed attempt: DeliveryBackoff doubling per
// attempt, capped at 30s, with "equal jitter" (half fixed, half random) so that
// many failed callbacks do not retry in lockstep.
func (s *Sandbox) backoff(attempt int) time.Duration {
	d := s.cfg.DeliveryBackoff
	for i := 1; i < attempt && d < maxDeliveryBackoff; i++ {
		d *= 2
	}
	d = min(d, maxDeliveryBackoff)
	half := d / 2
	return half + rand.N(half+1)
}
