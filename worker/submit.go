package worker

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// submit sends one claimed job's lead and records the outcome. Its lease is kept
// alive meanwhile; if this process dies, the lease runs out and another process
// sends the same attempt again with the same Idempotency-Key.
func (w *Worker) submit(ctx context.Context, job store.SubmitJob) {
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	defer stopHeartbeat()
	go w.keepLease(hbCtx, job)

	log := w.log.With("application_id", job.ApplicationID, "job_id", job.ID, "try", job.Tries)
	req, err := w.cfg.Store.LeadRequestFor(ctx, job.ApplicationID)
	if err != nil {
		// The lease runs out and the job is tried again.
		log.ErrorContext(ctx, "load lead request", "error", err)
		return
	}
	log = log.With("correlation_id", req.CorrelationID, "attempt", req.Attempt)
	rctx, cancel := recordContext(ctx)
	defer cancel()

	if why := req.Blocker(); why != "" {
		log.InfoContext(ctx, "submit job closed without submitting", "reason", why)
		if err := w.cfg.Store.CloseSubmitJob(rctx, job, why); err != nil {
			log.ErrorContext(ctx, "close submit job", "error", err)
		}
		return
	}

	created, err := w.cfg.Platform.SubmitLead(ctx, leadRequest(req), req.IdempotencyKey(), req.CorrelationID)
	if err == nil {
		w.recordCreated(rctx, log, job, req, created)
		return
	}
	if ctx.Err() != nil {
		// We are stopping and cut the call short: the next worker may go at once.
		f := store.SubmitFailure{Job: job, Attempt: req.Attempt, Reason: "interrupted by shutdown: " + err.Error(),
			Retry: true, RetryAt: w.cfg.Now()}
		log.InfoContext(rctx, "lead submission interrupted by shutdown; rescheduled")
		if err := w.cfg.Store.RecordSubmitFailure(rctx, f); err != nil {
			log.ErrorContext(rctx, "record interrupted submission", "error", err)
		}
		return
	}
	w.recordFailure(rctx, log, job, req, err)
}

// keepLease extends the job's lease every third of it until ctx ends.
func (w *Worker) keepLease(ctx context.Context, job store.SubmitJob) {
	t := time.NewTicker(w.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.cfg.Store.ExtendJobLease(ctx, job.ID, job.Owner, w.cfg.Lease); err != nil && ctx.Err() == nil {
				w.log.WarnContext(ctx, "extend job lease", "job_id", job.ID, "error", err)
			}
		}
	}
}

// recordContext outlives ctx's cancellation for a short while, so the outcome of
// a platform call is written even when the worker is stopping.
func recordContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

func (w *Worker) recordCreated(ctx context.Context, log *slog.Logger, job store.SubmitJob, req store.LeadRequest, created platform.LeadCreated) {
	status, err := lending.ParseLeadStatus(created.Status)
	if err != nil {
		status = lending.LeadCreated // the uuid is what matters; callbacks and polls bring the status
	}
	now := w.cfg.Now()
	err = w.cfg.Store.RecordLeadCreated(ctx, store.LeadCreated{
		Job: job, Attempt: req.Attempt, UUID: created.UUID, Status: status, FirstPoll: now.Add(w.cfg.PollAfter),
	})
	if err != nil {
		// Not recorded: the lease runs out and the same key fetches the same lead.
		log.ErrorContext(ctx, "record lead created", "lead_uuid", created.UUID, "error", err)
		return
	}
	log.InfoContext(ctx, "lead submitted", "lead_uuid", created.UUID, "status", string(status))
}

// recordFailure sorts a failed submission: transient trouble is retried with
// backoff, a validation refusal is kept with the platform's field errors and not
// retried, rejected credentials wait for an operator at the slowest pace, and any
// other final answer is recorded as a refusal.
func (w *Worker) recordFailure(ctx context.Context, log *slog.Logger, job store.SubmitJob, req store.LeadRequest, err error) {
	f := store.SubmitFailure{Job: job, Attempt: req.Attempt, Reason: err.Error()}
	var apiErr *platform.APIError
	switch {
	case platform.IsTransient(err):
		f.Retry, f.RetryAt = true, w.cfg.Now().Add(w.backoff(job.Tries))
		log.WarnContext(ctx, "lead submission failed; will retry", "error", err, "retry_at", f.RetryAt)
	case errors.Is(err, platform.ErrCredentialsRejected):
		f.Retry, f.RetryAt = true, w.cfg.Now().Add(w.cfg.RetryMax)
		log.ErrorContext(ctx, "the platform rejected our client credentials; check PLATFORM_CLIENT_ID/SECRET", "error", err)
	case errors.As(err, &apiErr):
		f.Reason, f.FieldErrors = apiErr.Error(), apiErr.Body.FieldErrors
		log.WarnContext(ctx, "the platform refused the lead", "status", apiErr.Status, "fields", fieldNames(apiErr.Body.FieldErrors))
	default:
		// An answer we could not read (no uuid, bad JSON): the platform may fix it.
		f.Retry, f.RetryAt = true, w.cfg.Now().Add(w.backoff(job.Tries))
		log.WarnContext(ctx, "lead submission answer unusable; will retry", "error", err)
	}
	if err := w.cfg.Store.RecordSubmitFailure(ctx, f); err != nil {
		log.ErrorContext(ctx, "record submit failure", "error", err)
	}
}

// fieldNames lists the refused fields without their messages, which may quote values.
func fieldNames(fe map[string][]string) []string {
	names := make([]string, 0, len(fe))
	for k := range fe {
		names = append(names, k)
	}
	return names
}

// backoff is the wait before try number tries+1: exponential from RetryBase up to
// RetryMax, with jitter over its upper half so stuck jobs do not move in lockstep.
func (w *Worker) backoff(tries int) time.Duration {
	d := w.cfg.RetryMax
	if shift := tries - 1; shift >= 0 && shift < 30 {
		if b := w.cfg.RetryBase << shift; b > 0 && b < d {
			d = b
		}
	}
	half := d / 2
	return half + rand.N(half+1)
}
