package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"prequal/lending"
)

// The lead lifecycle: what the worker submits, what the platform answered, and
// every update (callback or poll) applied through lending.NextLeadStatus.

var (
	// ErrLeadNotRecorded means an update names a lead whose submission is still in
	// flight: its application exists but the lead uuid is not stored yet. A retry
	// of the callback a moment later will find it.
	ErrLeadNotRecorded = errors.New("store: lead submission not recorded yet")
	// ErrCannotRetry means the application's lead is not in a state a retry may
	// start from (lending.CanRetry), or an officer's decision forbids it.
	ErrCannotRetry = errors.New("store: lead cannot be retried now")
)

// pendingStatuses is the SQL list of lending.LeadStatus.Pending values.
const pendingStatuses = `('created', 'in_progress', 'finding_products')`

// LeadRequest is everything the worker needs to send an application's lead. The
// applicant's SSN is in clear here: never log it.
type LeadRequest struct {
	ApplicationID string
	CorrelationID string
	PartnerLeadID string
	Attempt       int // the lead attempt; a retry after timed_out is attempt+1
	Status        lending.LeadStatus
	LeadUUID      string
	SubmitError   string
	Review        lending.ReviewStatus
	Applicant     lending.Applicant
}

// String names the request without the applicant, so that printing or logging
// one by mistake never writes an SSN or a date of birth.
func (r LeadRequest) String() string {
	return fmt.Sprintf("lead request for application %s (attempt %d, correlation %s)", r.ApplicationID, r.Attempt, r.CorrelationID)
}

// IdempotencyKey is the platform Idempotency-Key of this lead attempt: every try of
// one submission sends the same key (so at most one lead exists), while an explicit
// retry after timed_out, being a new attempt, creates a fresh lead.
func (r LeadRequest) IdempotencyKey() string {
	return r.ApplicationID + "-" + strconv.Itoa(r.Attempt)
}

// Blocker says why the lead must not be sent now, or "" when it may.
func (r LeadRequest) Blocker() string {
	switch {
	case r.Review.HoldsLead():
		return "review status is " + string(r.Review)
	case r.SubmitError != "":
		return "the platform already refused this application"
	case r.LeadUUID != "":
		return "the lead already exists"
	case !r.Status.Pending():
		return "the lead is already " + string(r.Status)
	}
	return ""
}

// LeadRequestFor loads an application for submission, with its SSN decrypted.
func (s *Store) LeadRequestFor(ctx context.Context, applicationID string) (LeadRequest, error) {
	var (
		r                       LeadRequest
		a                       lending.Applicant
		amount, income, housing int64
		dob, status, review     string
		sealed                  []byte
	)
	err := s.r.QueryRowContext(ctx, `SELECT id, correlation_id, partner_lead_id, lead_attempt, lead_status,
		coalesce(lead_uuid, ''), submit_error, review_status,
		requested_amount_cents, loan_purpose, first_name, last_name, email, phone, dob, ssn_sealed,
		street, unit, city, state, zipcode, employment_status, income_yearly_cents, housing_type,
		housing_monthly_cents, credit_rating
		FROM applications WHERE id = ?`, applicationID).Scan(
		&r.ApplicationID, &r.CorrelationID, &r.PartnerLeadID, &r.Attempt, &status,
		&r.LeadUUID, &r.SubmitError, &review,
		&amount, &a.LoanPurpose, &a.FirstName, &a.LastName, &a.Email, &a.Phone, &dob, &sealed,
		&a.Street, &a.Unit, &a.City, &a.State, &a.Zipcode, &a.EmploymentStatus, &income, &a.HousingType,
		&housing, &a.CreditRating)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("store.LeadRequestFor: %w", ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("store.LeadRequestFor: %w", err)
	}
	ssn, err := s.sealer.Open(sealed, []byte(r.ApplicationID))
	if err != nil {
		return LeadRequest{}, fmt.Errorf("store.LeadRequestFor: open sealed SSN: %w", err)
	}
	a.SSN = string(ssn)
	a.DOB, err = time.Parse(time.DateOnly, dob)
	if err != nil {
		return LeadRequest{}, fmt.Errorf("store.LeadRequestFor: stored date of birth: %w", err)
	}
	a.RequestedAmount, a.IncomeYearly, a.HousingMonthly = lending.Cents(amount), lending.Cents(income), lending.Cents(housing)
	if a.CoApplicant, err = s.coApplicantWithSSN(ctx, r.ApplicationID); err != nil {
		return LeadRequest{}, fmt.Errorf("store.LeadRequestFor: %w", err)
	}
	r.Status, r.Review, r.Applicant = lending.LeadStatus(status), lending.ReviewStatus(review), a
	return r, nil
}

// LeadCreated is the platform's acceptance of a submitted lead.
type LeadCreated struct {
	Job       SubmitJob
	Attempt   int // the lead attempt that was submitted
	UUID      string
	Status    lending.LeadStatus // what the platform answered, normally created
	FirstPoll time.Time          // when to poll if no callback has come
	// Deadline, when set, extends the lead's deadline (never shortens it). The
	// worker leaves it zero: the deadline was set when the attempt started.
	Deadline time.Time
}

// RecordLeadCreated stores the lead uuid and status, finishes the job and records
// the attempt, in one transaction. When the application moved on meanwhile (a
// retry started a new attempt) the answer is only noted on the timeline; the
// same lead recorded again (two claimants of one job) changes nothing.
func (s *Store) RecordLeadCreated(ctx context.Context, in LeadCreated) error {
	now := s.now().UTC()
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		var attempt int
		var status, recorded string
		if err := tx.QueryRowContext(ctx, `SELECT lead_attempt, lead_status, coalesce(lead_uuid, '') FROM applications WHERE id = ?`+s.d.forUpdate,
			in.Job.ApplicationID).Scan(&attempt, &status, &recorded); err != nil {
			return err
		}
		if err := finishJob(ctx, tx, in.Job.ID, now, ""); err != nil {
			return err
		}
		if attempt == in.Attempt && recorded == in.UUID {
			// Recorded already: this job's lease ran out while its worker waited,
			// and a second claimant got the same lead under the same key.
			return nil
		}
		if attempt != in.Attempt {
			return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitAttempt,
				Source: lending.SourceWorker, Detail: fmt.Sprintf("try %d: lead %s created for attempt %d, superseded by attempt %d",
					in.Job.Tries, in.UUID, in.Attempt, attempt)})
		}
		before, err := takeStatusSnapshot(ctx, tx, in.Job.ApplicationID)
		if err != nil {
			return err
		}
		current := lending.LeadStatus(status)
		next, changed := lending.NextLeadStatus(current, in.Status)
		var nextPoll sql.NullInt64
		if next.Pending() || next == lending.LeadTimedOut {
			nextPoll = nullMS(in.FirstPoll)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET lead_uuid = ?,
			lead_submitted_at_ms = coalesce(lead_submitted_at_ms, ?), next_poll_at_ms = ?,
			lead_deadline_ms = CASE WHEN lead_deadline_ms < ? THEN ? ELSE lead_deadline_ms END,
			updated_at_ms = ? WHERE id = ?`,
			in.UUID, ms(now), nextPoll, ms(in.Deadline), ms(in.Deadline), ms(now), in.Job.ApplicationID); err != nil {
			return err
		}
		if changed {
			if err := s.setLeadStatus(ctx, tx, in.Job.ApplicationID, next, now); err != nil {
				return err
			}
		}
		events := []lending.Event{
			{Kind: lending.EventSubmitAttempt, Source: lending.SourceWorker,
				Detail: fmt.Sprintf("try %d: accepted by the platform", in.Job.Tries)},
			{Kind: lending.EventLeadCreated, Source: lending.SourceWorker, StatusTo: string(in.Status),
				Detail: fmt.Sprintf("lead %s (attempt %d)", in.UUID, in.Attempt)},
		}
		if changed {
			events = append(events, lending.Event{Kind: lending.EventStatusChanged, Source: lending.SourceWorker,
				StatusFrom: string(current), StatusTo: string(next)})
		}
		for _, e := range events {
			if err := s.addEvent(ctx, tx, in.Job.ApplicationID, now, e); err != nil {
				return err
			}
		}
		return s.emitStatusEvents(ctx, tx, in.Job.ApplicationID, before)
	})
	if err != nil {
		return fmt.Errorf("store.RecordLeadCreated: %w", err)
	}
	return nil
}

// SubmitFailure is a submission that did not create a lead.
type SubmitFailure struct {
	Job     SubmitJob
	Attempt int
	// Reason is a short description for the timeline and the job (no PII).
	Reason string
	// Retry reschedules the job at RetryAt (network trouble, 5xx, 429); otherwise
	// the platform refused the lead for good and FieldErrors says why.
	Retry       bool
	RetryAt     time.Time
	FieldErrors map[string][]string
}

// submitError is the JSON kept in applications.submit_error: the platform's
// message and its problems per field.
type submitError struct {
	Error       string              `json:"error"`
	FieldErrors map[string][]string `json:"fieldErrors,omitempty"`
}

// RecordSubmitFailure records a failed try. A retryable failure puts the job back
// with its new run time (unless the application no longer wants this attempt
// submitted); a refusal finishes the job and stores the platform's field errors on
// the application as submit_error.
func (s *Store) RecordSubmitFailure(ctx context.Context, in SubmitFailure) error {
	now := s.now().UTC()
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		var attempt int
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT lead_attempt, lead_status FROM applications WHERE id = ?`+s.d.forUpdate,
			in.Job.ApplicationID).Scan(&attempt, &status); err != nil {
			return err
		}
		stillWanted := attempt == in.Attempt && lending.LeadStatus(status).Pending()
		switch {
		case in.Retry && stillWanted:
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET run_after_ms = ?, lease_owner = NULL, lease_until_ms = NULL,
				last_error = ? WHERE id = ? AND done_at_ms IS NULL`, ms(in.RetryAt), in.Reason, in.Job.ID); err != nil {
				return err
			}
			return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitAttempt,
				Source: lending.SourceWorker, Detail: fmt.Sprintf("try %d failed: %s; next try in %s",
					in.Job.Tries, in.Reason, in.RetryAt.Sub(now).Round(time.Millisecond))})
		case in.Retry:
			if err := finishJob(ctx, tx, in.Job.ID, now, "abandoned: "+in.Reason); err != nil {
				return err
			}
			return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitAttempt,
				Source: lending.SourceWorker, Detail: fmt.Sprintf("try %d failed: %s; not retried, the lead is %s (attempt %d)",
					in.Job.Tries, in.Reason, status, attempt)})
		}
		if err := finishJob(ctx, tx, in.Job.ID, now, in.Reason); err != nil {
			return err
		}
		if !stillWanted {
			return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitAttempt,
				Source: lending.SourceWorker, Detail: fmt.Sprintf("try %d refused: %s (attempt superseded)", in.Job.Tries, in.Reason)})
		}
		detail, err := json.Marshal(submitError{Error: in.Reason, FieldErrors: in.FieldErrors})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET submit_error = ?, next_poll_at_ms = NULL, updated_at_ms = ?
			WHERE id = ?`, string(detail), ms(now), in.Job.ApplicationID); err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitAttempt,
			Source: lending.SourceWorker, Detail: fmt.Sprintf("try %d refused: %s", in.Job.Tries, in.Reason)}); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, in.Job.ApplicationID, now, lending.Event{Kind: lending.EventSubmitFailed,
			Source: lending.SourceWorker, Detail: string(detail)})
	})
	if err != nil {
		return fmt.Errorf("store.RecordSubmitFailure: %w", err)
	}
	return nil
}

// setLeadStatus moves the stored status to next (already checked with
// lending.NextLeadStatus), stamping when it changed and when the search ended,
// and queues the email the outcome calls for in the same transaction (offers
// ready; no offers with the notice of action taken). Polling stops at a
// terminal status.
func (s *Store) setLeadStatus(ctx context.Context, tx *sql.Tx, applicationID string, next lending.LeadStatus, now time.Time) error {
	q := `UPDATE applications SET lead_status = ?, lead_status_at_ms = ?, updated_at_ms = ? WHERE id = ?`
	args := []any{string(next), ms(now), ms(now), applicationID}
	switch {
	case next == lending.LeadProductSelected:
		q = `UPDATE applications SET lead_status = ?, lead_status_at_ms = ?, updated_at_ms = ?,
			lead_terminal_at_ms = coalesce(lead_terminal_at_ms, ?), next_poll_at_ms = NULL WHERE id = ?`
		args = []any{string(next), ms(now), ms(now), ms(now), applicationID}
	case next.Terminal():
		q = `UPDATE applications SET lead_status = ?, lead_status_at_ms = ?, updated_at_ms = ?,
			lead_terminal_at_ms = ?, next_poll_at_ms = NULL WHERE id = ?`
		args = []any{string(next), ms(now), ms(now), ms(now), applicationID}
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	return s.enqueueLeadOutcomeMail(ctx, tx, applicationID, next, now)
}

// LeadUpdate is a lead's state as the platform reported it, and how it came.
type LeadUpdate struct {
	lending.LeadReport
	Source    string // lending.SourceCallback or lending.SourcePoller
	WebhookID string // callbacks: a repeated id changes nothing
}

// LeadUpdateResult says what an update did.
type LeadUpdateResult struct {
	ApplicationID string
	CorrelationID string
	From, To      lending.LeadStatus
	Changed       bool
	Duplicate     bool // the webhook id was seen before; nothing was applied
}

// ApplyLeadUpdate applies a platform update in one transaction: a repeated
// webhook id is recorded as a duplicate and changes nothing; otherwise the status
// moves only as lending.NextLeadStatus allows (never backwards), and with a
// change come the products (replaced), the notice and the selected product, and
// a status_changed event. Every callback and poll leaves an event too. An
// unknown lead uuid is ErrNotFound, unless the lead's submission is still being
// recorded (ErrLeadNotRecorded, worth retrying).
func (s *Store) ApplyLeadUpdate(ctx context.Context, u LeadUpdate) (LeadUpdateResult, error) {
	now := s.now().UTC()
	var res LeadUpdateResult
	// Callbacks and polls of different leads run side by side on PostgreSQL;
	// those of one lead take its row's lock in turn (READ COMMITTED, FOR UPDATE).
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		res = LeadUpdateResult{}
		var status string
		err := tx.QueryRowContext(ctx, `SELECT id, correlation_id, lead_status FROM applications WHERE lead_uuid = ?`+s.d.forUpdate, u.UUID).
			Scan(&res.ApplicationID, &res.CorrelationID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return unknownLead(ctx, tx, u.PartnerLeadID)
		}
		if err != nil {
			return err
		}
		res.From, res.To = lending.LeadStatus(status), lending.LeadStatus(status)

		if u.WebhookID != "" {
			r, err := tx.ExecContext(ctx, `INSERT INTO webhook_receipts (webhook_id, received_at_ms, application_id)
				VALUES (?, ?, ?) ON CONFLICT (webhook_id) DO NOTHING`, u.WebhookID, ms(now), res.ApplicationID)
			if err != nil {
				return err
			}
			if n, err := r.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				res.Duplicate = true
				return s.addEvent(ctx, tx, res.ApplicationID, now, lending.Event{Kind: lending.EventCallbackDuplicate,
					Source: u.Source, StatusTo: string(u.Status), Detail: "webhook-id " + u.WebhookID + " seen before; ignored"})
			}
		}

		res.To, res.Changed = lending.NextLeadStatus(res.From, u.Status)
		if res.Changed {
			before, err := takeStatusSnapshot(ctx, tx, res.ApplicationID)
			if err != nil {
				return err
			}
			if err := s.setLeadStatus(ctx, tx, res.ApplicationID, res.To, now); err != nil {
				return err
			}
			if err := storeLeadData(ctx, tx, res.ApplicationID, res.To, u, now); err != nil {
				return err
			}
			// The platform's answer moves seeds 003/004's statuses: Pending →
			// Approved (offers) or Denied (none), Approved → accepted (chosen).
			if err := s.emitStatusEvents(ctx, tx, res.ApplicationID, before); err != nil {
				return err
			}
		}
		if u.LenderOutcome != nil {
			if err := s.applyLenderOutcome(ctx, tx, res.ApplicationID, *u.LenderOutcome, u.Source, now); err != nil {
				return err
			}
		}
		if u.Source == lending.SourceCallback {
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET last_callback_at_ms = ? WHERE id = ?`,
				ms(now), res.ApplicationID); err != nil {
				return err
			}
		}

		heard := lending.Event{Kind: lending.EventPolled, Source: u.Source, StatusFrom: string(res.From),
			StatusTo: string(u.Status), Detail: "platform says " + string(u.Status)}
		if u.Source == lending.SourceCallback {
			heard.Kind, heard.Detail = lending.EventCallbackAccepted, "webhook-id "+u.WebhookID+": "+string(u.Status)
		}
		if !res.Changed {
			heard.Detail += "; no change"
		}
		if err := s.addEvent(ctx, tx, res.ApplicationID, now, heard); err != nil {
			return err
		}
		if !res.Changed {
			return nil
		}
		return s.addEvent(ctx, tx, res.ApplicationID, now, lending.Event{Kind: lending.EventStatusChanged,
			Source: u.Source, StatusFrom: string(res.From), StatusTo: string(res.To)})
	})
	if err != nil {
		return LeadUpdateResult{}, fmt.Errorf("store.ApplyLeadUpdate: lead %q: %w", u.UUID, err)
	}
	return res, nil
}

// unknownLead decides between "no such lead" and "its submission is still being
// recorded": a callback can beat the worker's write of the uuid it just got.
func unknownLead(ctx context.Context, tx *sql.Tx, partnerLeadID string) error {
	if partnerLeadID == "" {
		return ErrNotFound
	}
	var inFlight bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM applications a
		WHERE a.partner_lead_id = ? AND a.lead_uuid IS NULL AND a.submit_error = ''
		AND EXISTS (SELECT 1 FROM jobs j WHERE j.application_id = a.id AND j.kind = ? AND j.done_at_ms IS NULL))`,
		partnerLeadID, JobSubmit).Scan(&inFlight)
	if err != nil {
		return err
	}
	if inFlight {
		return ErrLeadNotRecorded
	}
	return ErrNotFound
}

// storeLeadData keeps what comes with a status change: the products for
// offers_found, the notice for no_offers, the selection for product_selected.
func storeLeadData(ctx context.Context, tx *sql.Tx, applicationID string, to lending.LeadStatus, u LeadUpdate, now time.Time) error {
	switch to {
	case lending.LeadOffersFound, lending.LeadNoOffers:
		if err := replaceOffers(ctx, tx, applicationID, u.Offers); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE applications SET adverse_action_notice = ? WHERE id = ?`,
			u.AdverseActionNotice, applicationID)
		return err
	case lending.LeadProductSelected:
		if len(u.Offers) > 0 {
			if err := replaceOffers(ctx, tx, applicationID, u.Offers); err != nil {
				return err
			}
		}
		if u.SelectedProductID == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE applications SET selected_product_id = ?,
			selected_at_ms = coalesce(selected_at_ms, ?) WHERE id = ?`, u.SelectedProductID, ms(now), applicationID)
		return err
	}
	return nil
}

func replaceOffers(ctx context.Context, tx *sql.Tx, applicationID string, offers []lending.Offer) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE application_id = ?`, applicationID); err != nil {
		return err
	}
	for _, o := range offers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO products (application_id, product_id, lender_name, amount_range,
			loan_amount_cents, term_months, apr_bps, interest_rate_bps, monthly_payment_cents, total_repayment_cents,
			total_interest_cents, origination_fee_cents, lender_offer_url, disclaimer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			applicationID, o.ProductID, o.LenderName, string(o.AmountRange), int64(o.LoanAmount), o.TermMonths,
			int64(o.APR), int64(o.InterestRate), int64(o.MonthlyPayment), int64(o.TotalRepayment),
			int64(o.TotalInterest), int64(o.OriginationFee), o.LenderOfferURL, o.Disclaimer); err != nil {
			return fmt.Errorf("store offer %q: %w", o.ProductID, err)
		}
	}
	return nil
}

// LeadOffers returns the products stored for an application's current lead,
// ordered by product id.
func (s *Store) LeadOffers(ctx context.Context, applicationID string) ([]lending.Offer, error) {
	rows, err := s.readRows(ctx, `SELECT product_id, lender_name, amount_range, loan_amount_cents, term_months,
		apr_bps, interest_rate_bps, monthly_payment_cents, total_repayment_cents, total_interest_cents,
		origination_fee_cents, lender_offer_url, disclaimer
		FROM products WHERE application_id = ? ORDER BY product_id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("store.LeadOffers: %w", err)
	}
	defer rows.Close()
	var out []lending.Offer
	for rows.Next() {
		var o lending.Offer
		var amountRange string
		if err := rows.Scan(&o.ProductID, &o.LenderName, &amountRange, &o.LoanAmount, &o.TermMonths,
			&o.APR, &o.InterestRate, &o.MonthlyPayment, &o.TotalRepayment, &o.TotalInterest,
			&o.OriginationFee, &o.LenderOfferURL, &o.Disclaimer); err != nil {
			return nil, fmt.Errorf("store.LeadOffers: %w", err)
		}
		o.AmountRange = lending.AmountRange(amountRange)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.LeadOffers: %w", err)
	}
	return out, nil
}

// PollTarget is a lead the worker should ask the platform about.
type PollTarget struct {
	ApplicationID string
	CorrelationID string
	UUID          string
	Status        lending.LeadStatus
}

// ClaimDuePolls returns up to limit leads whose poll is due: not terminal (or
// just timed out by us, which earns one last look), polled no sooner than planned,
// and with no callback for the last quiet (callbacks flowing make polling
// pointless). Each one's next poll is pushed to now+every before it is returned,
// so a poll that fails is simply tried again later and two workers (of one
// instance or several) do not poll the same lead at once.
func (s *Store) ClaimDuePolls(ctx context.Context, quiet, every time.Duration, limit int) ([]PollTarget, error) {
	now := s.now().UTC()
	const due = `next_poll_at_ms IS NOT NULL AND next_poll_at_ms <= ? AND lead_uuid IS NOT NULL
		AND lead_status IN ('created', 'in_progress', 'finding_products', 'timed_out')
		AND (last_callback_at_ms IS NULL OR last_callback_at_ms <= ?)`
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM applications WHERE `+due+`)`,
		ms(now), ms(now.Add(-quiet))).Scan(&found); err != nil {
		return nil, fmt.Errorf("store.ClaimDuePolls: %w", err)
	}
	if !found {
		return nil, nil
	}
	var out []PollTarget
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, correlation_id, lead_uuid, lead_status FROM applications
			WHERE `+due+` ORDER BY next_poll_at_ms LIMIT ?`+s.d.skipLocked, ms(now), ms(now.Add(-quiet)), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t PollTarget
			var status string
			if err := rows.Scan(&t.ApplicationID, &t.CorrelationID, &t.UUID, &status); err != nil {
				rows.Close()
				return err
			}
			t.Status = lending.LeadStatus(status)
			out = append(out, t)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, t := range out {
			next := sql.NullInt64{Int64: ms(now.Add(every)), Valid: true}
			if t.Status == lending.LeadTimedOut {
				next = sql.NullInt64{} // the one last look after our own timeout
			}
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET next_poll_at_ms = ? WHERE id = ?`,
				next, t.ApplicationID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClaimDuePolls: %w", err)
	}
	return out, nil
}

// MarkTimedOut moves every lead that is past its deadline with nothing terminal
// to timed_out, with an event, and returns the application ids. The deadline is
// set when an attempt starts (application, approval, retry), so it covers the
// submission too. A lead never created counts only while its submission is being
// tried (an application held for review waits for an officer, not the platform),
// and only once that submit job is at least leadTimeout old, so a job enqueued
// without a renewed deadline still gets its full time. Timed-out leads with a
// uuid get one last poll; unsubmitted ones stop trying (the borrower may retry).
func (s *Store) MarkTimedOut(ctx context.Context, leadTimeout time.Duration) ([]string, error) {
	now := s.now().UTC()
	const late = `lead_status IN ` + pendingStatuses + ` AND lead_deadline_ms <= ? AND submit_error = ''
		AND (lead_uuid IS NOT NULL OR EXISTS (SELECT 1 FROM jobs j WHERE j.application_id = a.id
			AND j.kind = 'submit' AND j.done_at_ms IS NULL AND j.created_at_ms <= ?))`
	args := []any{ms(now), ms(now.Add(-leadTimeout))}
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM applications a WHERE `+late+`)`, args...).
		Scan(&found); err != nil {
		return nil, fmt.Errorf("store.MarkTimedOut: %w", err)
	}
	if !found {
		return nil, nil
	}
	var ids []string
	err := s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		ids = nil
		type lead struct {
			id, status string
			hasUUID    bool
		}
		var leads []lead
		rows, err := tx.QueryContext(ctx, `SELECT id, lead_status, lead_uuid IS NOT NULL FROM applications a
			WHERE `+late+` LIMIT 100`+s.d.skipLocked, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l lead
			if err := rows.Scan(&l.id, &l.status, &l.hasUUID); err != nil {
				rows.Close()
				return err
			}
			leads = append(leads, l)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range leads {
			next, changed := lending.NextLeadStatus(lending.LeadStatus(l.status), lending.LeadTimedOut)
			if !changed {
				continue
			}
			if err := s.setLeadStatus(ctx, tx, l.id, next, now); err != nil {
				return err
			}
			detail := "nothing terminal before the deadline"
			if l.hasUUID {
				if _, err := tx.ExecContext(ctx, `UPDATE applications SET next_poll_at_ms = ? WHERE id = ?`, ms(now), l.id); err != nil {
					return err
				}
			} else {
				detail = "the lead could not be submitted before the deadline"
				if err := closeOpenSubmitJobs(ctx, tx, l.id, now, "abandoned: timed out before submission"); err != nil {
					return err
				}
			}
			if err := s.addEvent(ctx, tx, l.id, now, lending.Event{Kind: lending.EventTimedOut, Source: lending.SourceWorker,
				StatusFrom: l.status, StatusTo: string(next), Detail: detail}); err != nil {
				return err
			}
			ids = append(ids, l.id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.MarkTimedOut: %w", err)
	}
	return ids, nil
}

// RetryLead starts a fresh lead attempt for a timed-out application (only when
// lending.CanRetry allows, and no officer decision stands in the way): attempt+1,
// status created, the old lead and its results cleared, a new deadline, a new
// submit job (superseding any still open) and an event naming who asked. The
// new attempt has a new Idempotency-Key, so the platform creates a new lead.
func (s *Store) RetryLead(ctx context.Context, applicationID string, leadTimeout time.Duration, source, actor string) (lending.Application, error) {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var status, review string
		var attempt int
		err := tx.QueryRowContext(ctx, `SELECT lead_status, lead_attempt, review_status FROM applications WHERE id = ?`,
			applicationID).Scan(&status, &attempt, &review)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if lending.ReviewStatus(review).HoldsLead() || !lending.CanRetry(lending.LeadStatus(status)) {
			return ErrCannotRetry
		}
		before, err := takeStatusSnapshot(ctx, tx, applicationID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET lead_attempt = ?, lead_status = ?, lead_uuid = NULL,
			lead_submitted_at_ms = NULL, lead_status_at_ms = ?, lead_terminal_at_ms = NULL, lead_deadline_ms = ?,
			last_callback_at_ms = NULL, next_poll_at_ms = NULL, submit_error = '', adverse_action_notice = NULL,
			selected_product_id = NULL, selected_at_ms = NULL, customer_answer = '', customer_answer_reason = '',
			customer_answer_at_ms = NULL, updated_at_ms = ? WHERE id = ?`,
			attempt+1, string(lending.LeadCreated), ms(now), ms(now.Add(leadTimeout)), ms(now), applicationID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE application_id = ?`, applicationID); err != nil {
			return err
		}
		if err := closeOpenSubmitJobs(ctx, tx, applicationID, now, fmt.Sprintf("superseded by attempt %d", attempt+1)); err != nil {
			return err
		}
		if err := s.enqueueSubmit(ctx, tx, applicationID, now); err != nil {
			return err
		}
		if err := s.emitStatusEvents(ctx, tx, applicationID, before); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, applicationID, now, lending.Event{Kind: lending.EventRetryRequested, Source: source,
			Actor: actor, StatusFrom: status, StatusTo: string(lending.LeadCreated),
			Detail: fmt.Sprintf("attempt %d", attempt+1)})
	})
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.RetryLead: %w", err)
	}
	app, err := s.Application(ctx, applicationID)
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.RetryLead: %w", err)
	}
	return app, nil
}
