package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// The borrower mail outbox: an email is a row written in the same transaction
// as the change that causes it, unique by cause, sent by the worker.

// enqueueMail adds the email of a cause to the outbox within tx, with a fresh
// resume token for the application's address (to, normalized) that the email
// will carry. A cause already in the outbox changes nothing: each email
// happens at most once per cause, however often its cause is applied.
func (s *Store) enqueueMail(ctx context.Context, tx *sql.Tx, applicationID, to string, kind lending.MailKind, discriminator string, now time.Time) error {
	cause := lending.MailCause(kind, applicationID, discriminator)
	var exists bool
	if err := s.txQueryRow(ctx, tx, `SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE cause = ?)`, cause).Scan(&exists); err != nil {
		return fmt.Errorf("enqueue mail %s: %w", kind, err)
	}
	if exists {
		return nil
	}
	tokenID, err := s.issueResumeToken(ctx, tx, applicationID, to, now)
	if err != nil {
		return fmt.Errorf("enqueue mail %s: %w", kind, err)
	}
	if _, err := s.txExec(ctx, tx, `INSERT INTO mail_outbox (cause, kind, application_id, token_id, status, created_at_ms, run_after_ms)
		VALUES (?,?,?,?,?,?,?) ON CONFLICT (cause) DO NOTHING`,
		cause, string(kind), applicationID, tokenID, string(lending.MailQueued), ms(now), ms(now)); err != nil {
		return fmt.Errorf("enqueue mail %s: %w", kind, err)
	}
	return nil
}

// enqueueLeadOutcomeMail queues the email a lead's new status calls for
// (offers ready, or no offers with the notice of action taken), once per lead
// attempt. Other statuses send nothing.
func (s *Store) enqueueLeadOutcomeMail(ctx context.Context, tx *sql.Tx, applicationID string, status lending.LeadStatus, now time.Time) error {
	var kind lending.MailKind
	switch status {
	case lending.LeadOffersFound:
		kind = lending.MailOffersReady
	case lending.LeadNoOffers:
		kind = lending.MailNoOffers
	default:
		return nil
	}
	var email string
	var attempt int
	if err := s.txQueryRow(ctx, tx, `SELECT email, lead_attempt FROM applications WHERE id = ?`, applicationID).
		Scan(&email, &attempt); err != nil {
		return fmt.Errorf("enqueue mail %s: %w", kind, err)
	}
	return s.enqueueMail(ctx, tx, applicationID, lending.NormalizeEmail(email), kind, fmt.Sprint(attempt), now)
}

// enqueueDenialNotice queues the notice of action taken of a denial. Every
// denial path calls it inside the denial's own transaction: the officer's
// (DecideReview) and a sponsor bank's through the partner API. An application
// gets one denial notice, whoever denies it; its adverse_action_notice_time
// (notice_sent_at) is set when the email is sent.
func (s *Store) enqueueDenialNotice(ctx context.Context, tx *sql.Tx, applicationID string, now time.Time) error {
	var email string
	if err := s.txQueryRow(ctx, tx, `SELECT email FROM applications WHERE id = ?`, applicationID).Scan(&email); err != nil {
		return fmt.Errorf("enqueue denial notice: %w", err)
	}
	return s.enqueueMail(ctx, tx, applicationID, lending.NormalizeEmail(email), lending.MailDenied, "", now)
}

// MailJob is an outbox email a worker holds under a lease.
type MailJob struct {
	ID            int64
	Cause         string
	Kind          lending.MailKind
	ApplicationID string
	TokenID       string
	CreatedAt     time.Time
	Tries         int // how many times it has been claimed, this time included
	Owner         string
	LeaseUntil    time.Time
}

// ClaimMailJobs leases up to limit queued emails whose time has come and whose
// lease is free or ran out (a dead process's claim), oldest first, to owner
// until now+lease. No email due is an empty result, not an error.
func (s *Store) ClaimMailJobs(ctx context.Context, owner string, lease time.Duration, limit int) ([]MailJob, error) {
	now := s.now().UTC()
	const due = `status = 'queued' AND run_after_ms <= ? AND (lease_until_ms IS NULL OR lease_until_ms <= ?)`
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE `+due+`)`, ms(now), ms(now)).
		Scan(&found); err != nil {
		return nil, fmt.Errorf("store.ClaimMailJobs: %w", err)
	}
	if !found || limit <= 0 {
		return nil, nil
	}
	until := fromMS(ms(now.Add(lease)))
	var jobs []MailJob
	// Instances claiming at once never take the same email (skipLocked).
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		jobs = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, cause, kind, application_id, coalesce(token_id, ''), created_at_ms, attempts
			FROM mail_outbox WHERE `+due+` ORDER BY run_after_ms, id LIMIT ?`+s.d.skipLocked, ms(now), ms(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			j := MailJob{Owner: owner, LeaseUntil: until}
			var kind string
			var created int64
			if err := rows.Scan(&j.ID, &j.Cause, &kind, &j.ApplicationID, &j.TokenID, &created, &j.Tries); err != nil {
				rows.Close()
				return err
			}
			j.Kind, j.CreatedAt = lending.MailKind(kind), fromMS(created)
			j.Tries++
			jobs = append(jobs, j)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, j := range jobs {
			if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET lease_owner = ?, lease_until_ms = ?, attempts = ? WHERE id = ?`,
				owner, ms(j.LeaseUntil), j.Tries, j.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClaimMailJobs: %w", err)
	}
	return jobs, nil
}

// ExtendMailLease keeps an email in owner's hands until now+lease while it is
// being sent; ErrLeaseLost when it is no longer queued or someone else holds it.
func (s *Store) ExtendMailLease(ctx context.Context, job MailJob, lease time.Duration) error {
	now := s.now().UTC()
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET lease_until_ms = ?
			WHERE id = ? AND lease_owner = ? AND status = 'queued'`, ms(now.Add(lease)), job.ID, job.Owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store.ExtendMailLease: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store.ExtendMailLease: mail %d: %w", job.ID, ErrLeaseLost)
	}
	return nil
}

// MailContent is everything an email of a job is composed from.
type MailContent struct {
	Job    MailJob
	App    lending.Application
	Offers []lending.Offer // the lead's current offers (offers ready, offers expiring)
	// ResumeToken is the signed resume token the email carries ("" when none),
	// valid until ResumeExpiresAt.
	ResumeToken     string
	ResumeExpiresAt time.Time
}

// MailContentFor loads what the job's email says.
func (s *Store) MailContentFor(ctx context.Context, job MailJob) (MailContent, error) {
	c := MailContent{Job: job}
	var err error
	if c.App, err = s.Application(ctx, job.ApplicationID); err != nil {
		return c, fmt.Errorf("store.MailContentFor: %w", err)
	}
	switch job.Kind {
	case lending.MailOffersReady, lending.MailOffersExpiring:
		if c.Offers, err = s.LeadOffers(ctx, job.ApplicationID); err != nil {
			return c, fmt.Errorf("store.MailContentFor: %w", err)
		}
	case lending.MailDenied:
		// Not the officer's denial: a sponsor bank's, of a credit application
		// for this borrower (seed 004). The notice states its reasons.
		if c.App.Review.Status != lending.ReviewDenied {
			var reasons string
			err := s.r.QueryRowContext(ctx, `SELECT review_reasons FROM credit_applications
				WHERE application_id = ? AND review_status = ? AND review_reasons <> ''
				ORDER BY updated_at_ms DESC, id LIMIT 1`, job.ApplicationID, string(lending.ReviewDenied)).Scan(&reasons)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return c, fmt.Errorf("store.MailContentFor: %w", err)
			}
			c.App.Review.Reasons, c.App.Review.OtherText = splitReasons(reasons), ""
		}
	}
	if job.TokenID != "" {
		var t lending.ResumeToken
		var email string
		var expires int64
		err := s.r.QueryRowContext(ctx, `SELECT application_id, email, expires_at_ms FROM resume_tokens WHERE id = ?`, job.TokenID).
			Scan(&t.ApplicationID, &email, &expires)
		if err != nil {
			return c, fmt.Errorf("store.MailContentFor: resume token: %w", err)
		}
		t.ID, t.ExpiresAt = job.TokenID, fromMS(expires)
		c.ResumeToken, c.ResumeExpiresAt = t.Sign(s.sealer.resumeKey, email), t.ExpiresAt
	}
	return c, nil
}

// MailSent is an email the relay accepted.
type MailSent struct {
	Job       MailJob
	To        string
	Subject   string
	MessageID string
}

// RecordMailSent marks the email sent with what was sent, and puts it on the
// application's timeline; a notice of action taken also stamps the
// application's notice_sent_at (seed 004's adverse_action_notice_time).
func (s *Store) RecordMailSent(ctx context.Context, in MailSent) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = ?, sent_at_ms = ?, subject = ?, message_id = ?,
			lease_owner = NULL, lease_until_ms = NULL, last_error = '' WHERE id = ? AND status = ?`,
			string(lending.MailSent), ms(now), in.Subject, in.MessageID, in.Job.ID, string(lending.MailQueued))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // recorded already (a lease that ran out and another sender)
		}
		if in.Job.Kind.CarriesNotice() {
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET notice_sent_at_ms = ?, updated_at_ms = ? WHERE id = ?`,
				ms(now), ms(now), in.Job.ApplicationID); err != nil {
				return err
			}
		}
		return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventEmailSent,
			Source: lending.SourceWorker, StatusTo: string(lending.MailSent),
			Detail: fmt.Sprintf("%s: “%s” to %s (try %d, Message-ID %s)", in.Job.Kind.Label(), in.Subject,
				lending.MaskEmail(in.To), in.Job.Tries, in.MessageID)})
	})
	if err != nil {
		return fmt.Errorf("store.RecordMailSent: %w", err)
	}
	return nil
}

// MailFailure is a try that did not deliver the email.
type MailFailure struct {
	Job    MailJob
	Reason string // the relay's answer or the connection's error; no message content
	// Retry puts the email back for RetryAt; otherwise it failed for good.
	Retry   bool
	RetryAt time.Time
}

// RecordMailFailure records a failed try: a retryable one is rescheduled
// (the first failure is noted on the timeline, later ones only on the email's
// row, which the officer's page shows: a relay down for a day must not bury the
// timeline); a final one marks the email failed, on the timeline too.
func (s *Store) RecordMailFailure(ctx context.Context, in MailFailure) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if in.Retry {
			var failedBefore bool
			if err := tx.QueryRowContext(ctx, `SELECT last_error <> '' FROM mail_outbox WHERE id = ?`, in.Job.ID).
				Scan(&failedBefore); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET run_after_ms = ?, last_error = ?, lease_owner = NULL,
				lease_until_ms = NULL WHERE id = ? AND status = ?`, ms(in.RetryAt), in.Reason, in.Job.ID, string(lending.MailQueued))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || failedBefore {
				return nil
			}
			return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventEmailFailed,
				Source: lending.SourceWorker, StatusTo: string(lending.MailQueued),
				Detail: fmt.Sprintf("%s: try %d failed: %s; retrying (next try in %s)", in.Job.Kind.Label(), in.Job.Tries,
					in.Reason, in.RetryAt.Sub(now).Round(time.Second))})
		}
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = ?, last_error = ?, lease_owner = NULL, lease_until_ms = NULL
			WHERE id = ? AND status = ?`, string(lending.MailFailed), in.Reason, in.Job.ID, string(lending.MailQueued))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventEmailFailed,
			Source: lending.SourceWorker, StatusTo: string(lending.MailFailed),
			Detail: fmt.Sprintf("%s: not delivered after %d tries: %s", in.Job.Kind.Label(), in.Job.Tries, in.Reason)})
	})
	if err != nil {
		return fmt.Errorf("store.RecordMailFailure: %w", err)
	}
	return nil
}

// SkipMail closes an email that is no longer worth sending, saying why.
func (s *Store) SkipMail(ctx context.Context, job MailJob, why string) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = ?, last_error = ?, lease_owner = NULL, lease_until_ms = NULL
			WHERE id = ? AND status = ?`, string(lending.MailSkipped), why, job.ID, string(lending.MailQueued))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.addEvent(ctx, tx, job.ApplicationID, now, lending.Event{Kind: lending.EventEmailSkipped,
			Source: lending.SourceWorker, StatusTo: string(lending.MailSkipped),
			Detail: fmt.Sprintf("%s: not sent: %s", job.Kind.Label(), why)})
	})
	if err != nil {
		return fmt.Errorf("store.SkipMail: %w", err)
	}
	return nil
}

// Mail is one outbox email as officers see it.
type Mail struct {
	ID        int64
	Kind      lending.MailKind
	Status    lending.MailStatus
	Subject   string
	MessageID string
	Attempts  int
	CreatedAt time.Time
	SentAt    time.Time // zero until sent
	NextTryAt time.Time // queued: when the next try is due
	LastError string
}

// Mails lists an application's emails, oldest first.
func (s *Store) Mails(ctx context.Context, applicationID string) ([]Mail, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, status, subject, message_id, attempts, created_at_ms,
		sent_at_ms, run_after_ms, last_error FROM mail_outbox WHERE application_id = ? ORDER BY id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("store.Mails: %w", err)
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		var m Mail
		var kind, status string
		var created, runAfter int64
		var sent sql.NullInt64
		if err := rows.Scan(&m.ID, &kind, &status, &m.Subject, &m.MessageID, &m.Attempts, &created, &sent, &runAfter, &m.LastError); err != nil {
			return nil, fmt.Errorf("store.Mails: %w", err)
		}
		m.Kind, m.Status, m.CreatedAt, m.SentAt = lending.MailKind(kind), lending.MailStatus(status), fromMS(created), fromNullMS(sent)
		if m.Status == lending.MailQueued {
			m.NextTryAt = fromMS(runAfter)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Mails: %w", err)
	}
	return out, nil
}

// MailCounts counts the outbox by status (tests, metrics).
func (s *Store) MailCounts(ctx context.Context) (map[lending.MailStatus]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, count(*) FROM mail_outbox GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store.MailCounts: %w", err)
	}
	defer rows.Close()
	out := map[lending.MailStatus]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("store.MailCounts: %w", err)
		}
		out[lending.MailStatus(status)] = n
	}
	return out, rows.Err()
}

// EnqueueOfferExpiryReminders queues the "offers about to expire" email for
// every application whose offers (found, none chosen) reach their reminder
// time under ttl (lending.OffersDueForReminder) and have not expired yet, at
// most limit per call, once per lead attempt. It returns the application ids.
// Applications an officer denied or canceled get none.
func (s *Store) EnqueueOfferExpiryReminders(ctx context.Context, ttl time.Duration, limit int) ([]string, error) {
	now := s.now().UTC()
	after, upTo := lending.OffersDueForReminder(now, ttl)
	// The cause as lending.MailCause spells it, built in SQL to find the rows without one.
	const due = `a.lead_status = 'offers_found' AND a.lead_terminal_at_ms > ? AND a.lead_terminal_at_ms <= ?
		AND a.review_status NOT IN ('Denied', 'Canceled') AND a.customer_answer = ''
		AND NOT EXISTS (SELECT 1 FROM mail_outbox m
			WHERE m.cause = '` + string(lending.MailOffersExpiring) + `:' || a.id || ':' || a.lead_attempt)`
	args := []any{ms(after), ms(upTo)}
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM applications a WHERE `+due+`)`, args...).Scan(&found); err != nil {
		return nil, fmt.Errorf("store.EnqueueOfferExpiryReminders: %w", err)
	}
	if !found {
		return nil, nil
	}
	var ids []string
	// Instances sweeping at once take different applications (skipLocked); the
	// cause's unique index settles the rest.
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		ids = nil
		type reminder struct {
			id, email string
			attempt   int
		}
		var list []reminder
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.email, a.lead_attempt FROM applications a WHERE `+due+`
			ORDER BY a.lead_terminal_at_ms LIMIT ?`+s.d.skipLocked, append(args, limit)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d reminder
			if err := rows.Scan(&d.id, &d.email, &d.attempt); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range list {
			if err := s.enqueueMail(ctx, tx, d.id, lending.NormalizeEmail(d.email), lending.MailOffersExpiring,
				fmt.Sprint(d.attempt), now); err != nil {
				return err
			}
			ids = append(ids, d.id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.EnqueueOfferExpiryReminders: %w", err)
	}
	return ids, nil
}
