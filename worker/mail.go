package worker

import (
	"context"
	"sync"
	"time"

	"prequal/email"
	"prequal/lending"
	"prequal/store"
)

// Mailer delivers a composed email (email.Sender); an error that
// email.IsPermanent calls permanent is not retried.
type Mailer interface {
	Send(ctx context.Context, m email.Message) error
}

// mailYield is the longest mail waits for the lead work in flight (submissions,
// polls) to finish before it is sent alongside.
const mailYield = 2 * time.Second

// mailRound claims as many due emails as there are free mail slots and sends
// each in its own goroutine. Mail has slots of its own, so a slow relay never
// holds up lead submissions; and lead work goes first: while any is in flight
// (leadSlots), mail waits, up to mailYield, so the borrower's offers never
// queue behind an email.
func (w *Worker) mailRound(ctx, jobCtx context.Context, slots, leadSlots chan struct{}, inFlight *sync.WaitGroup) {
	if w.cfg.Mailer == nil || ctx.Err() != nil {
		return
	}
	w.expirySweep(ctx)
	if len(leadSlots) > 0 {
		now := time.Now()
		if w.mailYieldSince.IsZero() {
			w.mailYieldSince = now
		}
		if now.Sub(w.mailYieldSince) < mailYield {
			return
		}
	}
	w.mailYieldSince = time.Time{}
	free := cap(slots) - len(slots)
	if free == 0 {
		return
	}
	jobs, err := w.cfg.Store.ClaimMailJobs(ctx, w.cfg.Owner, w.cfg.Lease, free)
	if err != nil {
		w.roundError(ctx, "claim mail", err)
		return
	}
	for _, job := range jobs {
		slots <- struct{}{}
		inFlight.Add(1)
		go func() {
			defer inFlight.Done()
			defer func() { <-slots }()
			w.sendMail(jobCtx, job)
			w.Wake()
		}()
	}
}

// expirySweep queues the "offers about to expire" emails that are due and
// expires the offers not chosen within OfferTTL, at most every expirySweepEvery.
func (w *Worker) expirySweep(ctx context.Context) {
	now := time.Now()
	if now.Before(w.nextExpirySweep) {
		return
	}
	w.nextExpirySweep = now.Add(w.expirySweepEvery())
	ids, err := w.cfg.Store.EnqueueOfferExpiryReminders(ctx, w.cfg.OfferTTL, 100)
	if err != nil {
		w.roundError(ctx, "offer expiry sweep", err)
		return
	}
	if len(ids) > 0 {
		w.log.InfoContext(ctx, "offer expiry reminders queued", "count", len(ids))
	}
	expired, err := w.cfg.Store.ExpireOffers(ctx, w.cfg.OfferTTL, 100)
	if err != nil {
		w.roundError(ctx, "offer expiry", err)
		return
	}
	if len(expired) > 0 {
		w.log.InfoContext(ctx, "offers expired", "count", len(expired))
	}
}

// expirySweepEvery is a tenth of the offers' life, between a tick and a minute.
func (w *Worker) expirySweepEvery() time.Duration {
	return min(time.Minute, max(w.cfg.OfferTTL/10, w.cfg.Tick))
}

// sendMail composes and sends one claimed email and records the outcome: sent;
// retried with backoff after a temporary failure (until lending.MailGiveUpAfter);
// failed for good after a permanent refusal. Its lease is kept alive meanwhile.
func (w *Worker) sendMail(ctx context.Context, job store.MailJob) {
	hbCtx, stopHeartbeat := context.WithCancel(ctx)
	defer stopHeartbeat()
	go w.keepMailLease(hbCtx, job)

	log := w.log.With("application_id", job.ApplicationID, "mail_id", job.ID, "kind", string(job.Kind), "try", job.Tries)
	content, err := w.cfg.Store.MailContentFor(ctx, job)
	if err != nil {
		log.ErrorContext(ctx, "load mail content", "error", err) // the lease runs out and it is tried again
		return
	}
	rctx, cancel := recordContext(ctx)
	defer cancel()
	if job.Kind == lending.MailOffersExpiring && content.App.Lead.Status != lending.LeadOffersFound {
		if err := w.cfg.Store.SkipMail(rctx, job, "the offers were chosen or closed meanwhile"); err != nil {
			log.ErrorContext(ctx, "skip mail", "error", err)
		}
		return
	}
	msg, err := email.Compose(ctx, w.cfg.Mail, email.Content{Kind: job.Kind, Cause: job.Cause, App: content.App,
		Offers: content.Offers, ResumeToken: content.ResumeToken, ResumeExpiresAt: content.ResumeExpiresAt}, w.cfg.Now())
	if err != nil {
		log.ErrorContext(ctx, "compose mail", "error", err)
		if err := w.cfg.Store.RecordMailFailure(rctx, store.MailFailure{Job: job, Reason: "could not compose: " + err.Error()}); err != nil {
			log.ErrorContext(ctx, "record mail failure", "error", err)
		}
		return
	}

	err = w.cfg.Mailer.Send(ctx, msg)
	now := w.cfg.Now()
	var f store.MailFailure
	switch {
	case err == nil:
		if err := w.cfg.Store.RecordMailSent(rctx, store.MailSent{Job: job, To: msg.To, Subject: msg.Subject, MessageID: msg.MessageID}); err != nil {
			// Sent but not recorded: a crash here is the one way an email goes
			// twice; its Message-ID is the same, so mailboxes can tell.
			log.ErrorContext(rctx, "record mail sent", "error", err)
			return
		}
		log.InfoContext(ctx, "mail sent", "message_id", msg.MessageID)
		return
	case ctx.Err() != nil:
		f = store.MailFailure{Job: job, Reason: "interrupted by shutdown", Retry: true, RetryAt: now}
		log.InfoContext(rctx, "mail interrupted by shutdown; rescheduled")
	case email.IsPermanent(err):
		f = store.MailFailure{Job: job, Reason: err.Error()}
		log.WarnContext(ctx, "mail refused for good", "error", err)
	case now.Sub(job.CreatedAt) >= lending.MailGiveUpAfter:
		f = store.MailFailure{Job: job, Reason: "gave up after " + lending.MailGiveUpAfter.String() + ": " + err.Error()}
		log.ErrorContext(ctx, "mail not delivered in time; given up", "error", err)
	default:
		f = store.MailFailure{Job: job, Reason: err.Error(), Retry: true, RetryAt: now.Add(w.backoff(job.Tries))}
		log.WarnContext(ctx, "mail not sent; will retry", "error", err, "retry_at", f.RetryAt)
	}
	if err := w.cfg.Store.RecordMailFailure(rctx, f); err != nil {
		log.ErrorContext(rctx, "record mail failure", "error", err)
	}
}

// keepMailLease extends the email's lease every third of it until ctx ends.
func (w *Worker) keepMailLease(ctx context.Context, job store.MailJob) {
	t := time.NewTicker(w.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := w.cfg.Store.ExtendMailLease(ctx, job, w.cfg.Lease); err != nil && ctx.Err() == nil {
				w.log.WarnContext(ctx, "extend mail lease", "mail_id", job.ID, "error", err)
			}
		}
	}
}
