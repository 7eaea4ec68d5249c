package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"prequal/lending"
)

// OfficerActionRequest is one intervention of an officer on an application.
type OfficerActionRequest struct {
	ApplicationID string
	Action        lending.OfficerAction
	Note          string // mandatory
	By            OfficerContext
	// LeadTimeout is the time a resubmitted lead gets from now.
	LeadTimeout time.Duration
}

// ApplyOfficerAction performs the action when lending.OfficerActionAllowed says
// the application's current state permits it, in one transaction with an
// officer_action event on the timeline (the note included) and an audit entry:
//
//   - repoll: the lead's next poll is due now; the worker asks the platform on
//     its next round;
//   - resubmit: a fresh lead attempt (attempt+1, hence a new Idempotency-Key),
//     the old lead's results and any refusal cleared, a new deadline and a new
//     submit job;
//   - cancel: review → Canceled, as DecideReview does;
//   - unlock_offers: the officer override product_selected → offers_found with
//     the selection cleared, so the borrower may choose again.
//
// A state that does not allow the action is ErrActionRefused; a missing note is
// ErrInvalidDecision.
func (s *Store) ApplyOfficerAction(ctx context.Context, r OfficerActionRequest) (lending.Application, error) {
	if msg := lending.ValidateOfficerNote(r.Note); msg != "" {
		return lending.Application{}, fmt.Errorf("store.ApplyOfficerAction: %w: %s", ErrInvalidDecision, msg)
	}
	if r.Action == lending.OfficerCancel {
		return s.DecideReview(ctx, ReviewDecision{ApplicationID: r.ApplicationID, To: lending.ReviewCanceled,
			Note: r.Note, By: r.By, LeadTimeout: r.LeadTimeout})
	}
	note := strings.TrimSpace(r.Note)
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		app, err := scanApplication(tx.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = ?`, r.ApplicationID))
		if err != nil {
			return err
		}
		if ok, why := lending.OfficerActionAllowed(r.Action, app); !ok {
			return fmt.Errorf("%w: %s", ErrActionRefused, why)
		}
		before, err := takeStatusSnapshot(ctx, tx, app.ID)
		if err != nil {
			return err
		}
		ev := lending.Event{Kind: lending.EventOfficerAction, Source: lending.SourceOfficer, Actor: r.By.Officer.Email}
		switch r.Action {
		case lending.OfficerRepoll:
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET next_poll_at_ms = ? WHERE id = ?`, ms(now), app.ID); err != nil {
				return err
			}
			ev.Detail = "Re-poll requested. Note: " + note
		case lending.OfficerResubmit:
			if err := s.resubmitLead(ctx, tx, app, now, r.LeadTimeout); err != nil {
				return err
			}
			ev.StatusFrom, ev.StatusTo = string(app.Lead.Status), string(lending.LeadCreated)
			ev.Detail = fmt.Sprintf("Resubmitted as attempt %d. Note: %s", app.Lead.Attempt+1, note)
		case lending.OfficerUnlockOffers:
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET lead_status = ?, lead_status_at_ms = ?,
				selected_product_id = NULL, selected_at_ms = NULL, customer_answer = '', customer_answer_reason = '',
				customer_answer_at_ms = NULL, updated_at_ms = ? WHERE id = ? AND lead_status = ?`,
				string(lending.LeadOffersFound), ms(now), ms(now), app.ID, string(lending.LeadProductSelected)); err != nil {
				return err
			}
			ev.StatusFrom, ev.StatusTo = string(lending.LeadProductSelected), string(lending.LeadOffersFound)
			ev.Detail = fmt.Sprintf("Offers unlocked (product %s was selected). Note: %s", app.Lead.SelectedProductID, note)
		default:
			return fmt.Errorf("%w: unknown action %q", ErrActionRefused, r.Action)
		}
		if err := s.addEvent(ctx, tx, app.ID, now, ev); err != nil {
			return err
		}
		if err := s.emitStatusEvents(ctx, tx, app.ID, before); err != nil {
			return err
		}
		return addAudit(ctx, tx, now, AuditEntry{OfficerID: r.By.Officer.ID, OfficerEmail: r.By.Officer.Email,
			Action: string(r.Action), ApplicationID: app.ID, Note: note, Detail: ev.Detail, IP: r.By.IP, UserAgent: r.By.UserAgent})
	})
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.ApplyOfficerAction: %w", err)
	}
	app, err := s.Application(ctx, r.ApplicationID)
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.ApplyOfficerAction: %w", err)
	}
	return app, nil
}

// resubmitLead starts a new lead attempt for an application whose lead timed out
// or was refused: the same reset RetryLead makes for the borrower, plus clearing
// the refusal, which the borrower's retry may not do.
func (s *Store) resubmitLead(ctx context.Context, tx *sql.Tx, app lending.Application, now time.Time, leadTimeout time.Duration) error {
	next := app.Lead.Attempt + 1
	res, err := tx.ExecContext(ctx, `UPDATE applications SET lead_attempt = ?, lead_status = ?, lead_uuid = NULL,
		lead_submitted_at_ms = NULL, lead_status_at_ms = ?, lead_terminal_at_ms = NULL, lead_deadline_ms = ?,
		last_callback_at_ms = NULL, next_poll_at_ms = NULL, submit_error = '', adverse_action_notice = NULL,
		selected_product_id = NULL, selected_at_ms = NULL, customer_answer = '', customer_answer_reason = '',
		customer_answer_at_ms = NULL, updated_at_ms = ? WHERE id = ? AND lead_attempt = ?`,
		next, string(lending.LeadCreated), ms(now), ms(now.Add(leadTimeout)), ms(now), app.ID, app.Lead.Attempt)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New("resubmit: the application changed meanwhile")
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM products WHERE application_id = ?`, app.ID); err != nil {
		return err
	}
	if err := closeOpenSubmitJobs(ctx, tx, app.ID, now, fmt.Sprintf("superseded by attempt %d", next)); err != nil {
		return err
	}
	return s.enqueueSubmit(ctx, tx, app.ID, now)
}

// RevealDOB returns the applicant's date of birth for an officer who asked to see
// it, recording the look on the timeline and in the audit log first: no reveal
// without its record.
func (s *Store) RevealDOB(ctx context.Context, applicationID, reason string, by OfficerContext) (time.Time, error) {
	if msg := lending.ValidateOfficerNote(reason); msg != "" {
		return time.Time{}, fmt.Errorf("store.RevealDOB: %w: %s", ErrInvalidDecision, msg)
	}
	reason = strings.TrimSpace(reason)
	var dob string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		err := tx.QueryRowContext(ctx, `SELECT dob FROM applications WHERE id = ?`, applicationID).Scan(&dob)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.addEvent(ctx, tx, applicationID, now, lending.Event{Kind: lending.EventPIIRevealed, Source: lending.SourceOfficer,
			Actor: by.Officer.Email, Detail: "Date of birth revealed. Reason: " + reason}); err != nil {
			return err
		}
		return addAudit(ctx, tx, now, AuditEntry{OfficerID: by.Officer.ID, OfficerEmail: by.Officer.Email, Action: AuditRevealPII,
			ApplicationID: applicationID, Note: reason, Detail: "date of birth", IP: by.IP, UserAgent: by.UserAgent})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store.RevealDOB: %w", err)
	}
	t, err := time.Parse(time.DateOnly, dob)
	if err != nil {
		return time.Time{}, fmt.Errorf("store.RevealDOB: stored date of birth: %w", err)
	}
	return t, nil
}
