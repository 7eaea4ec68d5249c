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

// ErrActionRefused means the application's current state does not allow what the
// officer asked for (an illegal review transition, a re-poll without a lead, …).
// The wrapped message says why in a sentence the officer can read.
var ErrActionRefused = errors.New("store: action refused")

// ErrInvalidDecision means the decision itself is incomplete (no note, bad reasons).
var ErrInvalidDecision = errors.New("store: invalid decision")

// OfficerContext is who is acting and from where, for the timeline and the audit log.
type OfficerContext struct {
	Officer   lending.Officer
	IP        string
	UserAgent string
}

// ReviewDecision is an officer's review decision on one application.
type ReviewDecision struct {
	ApplicationID string
	To            lending.ReviewStatus // Approved, Denied or Canceled
	Reasons       []string             // Denied: 1–4 adverse action reason codes
	OtherText     string               // Denied with "other": the officer's words
	Note          string               // mandatory, internal
	By            OfficerContext
	// LeadTimeout is the time an approved application's lead gets from now.
	LeadTimeout time.Duration
}

// DecideReview moves an application's review status as lending.CanDecide allows
// (any application whose status is not final), in one transaction with the review timestamps (seed 004's review_details),
// a timeline event and an audit entry:
//
//   - Approved: a held application's submit job is enqueued, so it now goes to
//     the platform (any other's lead is on its way already);
//   - Denied: the reasons are stored, the portal's notice of action taken is
//     visible to the borrower from now on and emailed (enqueueDenialNotice; the
//     email's sending stamps notice_sent_at); nothing is submitted;
//   - Canceled: open submit jobs are closed and polling stops; the borrower sees
//     the application as closed.
//
// A refused transition is ErrActionRefused, a bad decision ErrInvalidDecision.
func (s *Store) DecideReview(ctx context.Context, d ReviewDecision) (lending.Application, error) {
	if msg := lending.ValidateOfficerNote(d.Note); msg != "" {
		return lending.Application{}, fmt.Errorf("store.DecideReview: %w: %s", ErrInvalidDecision, msg)
	}
	note := strings.TrimSpace(d.Note)
	var reasons []string
	var otherText string
	switch d.To {
	case lending.ReviewDenied:
		if errs := lending.ValidateDenial(d.Reasons, d.OtherText); len(errs) > 0 {
			return lending.Application{}, fmt.Errorf("store.DecideReview: %w: %s", ErrInvalidDecision, joinMessages(errs))
		}
		reasons = d.Reasons
		for _, r := range reasons {
			if r == lending.AdverseReasonOther {
				otherText = strings.TrimSpace(d.OtherText) // text without "other" is dropped (ValidateDenial)
			}
		}
	case lending.ReviewApproved, lending.ReviewCanceled:
	default:
		return lending.Application{}, fmt.Errorf("store.DecideReview: %w: an officer cannot set review status %q", ErrActionRefused, d.To)
	}

	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var from, lead, answer string
		var submitted sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT review_status, lead_status, lead_submitted_at_ms, customer_answer
			FROM applications WHERE id = ?`, d.ApplicationID).Scan(&from, &lead, &submitted, &answer)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		facts := lending.StatusFacts{Review: lending.ReviewStatus(from), Lead: lending.LeadStatus(lead),
			LeadSubmitted: submitted.Valid, Answer: lending.CustomerAnswer(answer)}
		if !lending.CanDecide(facts, d.To) {
			return fmt.Errorf("%w: an application in status %s can't become %s", ErrActionRefused, lending.CreditStatus(facts), d.To)
		}
		before, err := takeStatusSnapshot(ctx, tx, d.ApplicationID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET review_status = ?, review_decided_at_ms = ?,
			review_reasons = ?, review_other_text = ?,
			review_decided_by = ?, review_note = ?, updated_at_ms = ? WHERE id = ? AND review_status = ?`,
			string(d.To), ms(now), strings.Join(reasons, ","), otherText,
			d.By.Officer.Email, note, ms(now), d.ApplicationID, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: the application changed meanwhile", ErrActionRefused)
		}
		switch d.To {
		case lending.ReviewApproved:
			if !lending.ReviewStatus(from).HoldsLead() {
				break // its lead is on its way or at the platform already
			}
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET lead_deadline_ms = ? WHERE id = ?`,
				ms(now.Add(d.LeadTimeout)), d.ApplicationID); err != nil {
				return err
			}
			if err := closeOpenSubmitJobs(ctx, tx, d.ApplicationID, now, "superseded by the approval"); err != nil {
				return err
			}
			if err := s.enqueueSubmit(ctx, tx, d.ApplicationID, now); err != nil {
				return err
			}
		case lending.ReviewDenied, lending.ReviewCanceled:
			if err := closeOpenSubmitJobs(ctx, tx, d.ApplicationID, now, "review status "+string(d.To)); err != nil {
				return err
			}
			if d.To == lending.ReviewDenied {
				if err := s.enqueueDenialNotice(ctx, tx, d.ApplicationID, now); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE applications SET next_poll_at_ms = NULL WHERE id = ?`, d.ApplicationID); err != nil {
				return err
			}
		}
		if err := s.emitStatusEvents(ctx, tx, d.ApplicationID, before); err != nil {
			return err
		}
		detail := reviewDetail(d.To, lending.Review{Reasons: reasons, OtherText: otherText}, note)
		if err := s.addEvent(ctx, tx, d.ApplicationID, now, lending.Event{Kind: lending.EventReviewDecided,
			Source: lending.SourceOfficer, Actor: d.By.Officer.Email, StatusFrom: from, StatusTo: string(d.To), Detail: detail}); err != nil {
			return err
		}
		return addAudit(ctx, tx, now, AuditEntry{
			OfficerID:     d.By.Officer.ID,
			OfficerEmail:  d.By.Officer.Email,
			Action:        reviewAuditAction(d.To),
			ApplicationID: d.ApplicationID,
			Note:          note,
			Detail:        fmt.Sprintf("review %s → %s; reasons %s", from, d.To, strings.Join(reasons, ",")),
			IP:            d.By.IP,
			UserAgent:     d.By.UserAgent,
		})
	})
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.DecideReview: %w", err)
	}
	app, err := s.Application(ctx, d.ApplicationID)
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.DecideReview: %w", err)
	}
	return app, nil
}

func reviewAuditAction(to lending.ReviewStatus) string {
	switch to {
	case lending.ReviewApproved:
		return AuditReviewApproved
	case lending.ReviewDenied:
		return AuditReviewDenied
	}
	return string(lending.OfficerCancel)
}

// reviewDetail is the timeline's sentence for a decision.
func reviewDetail(to lending.ReviewStatus, r lending.Review, note string) string {
	var b strings.Builder
	b.WriteString(string(to))
	if texts := r.DenialReasonTexts(); len(texts) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(texts, "; "))
	}
	b.WriteString(". Note: ")
	b.WriteString(note)
	return b.String()
}

// joinMessages flattens a field → message map in a stable order.
func joinMessages(errs map[string]string) string {
	var parts []string
	for _, k := range []string{lending.DenialFieldReasons, lending.DenialFieldOtherText} {
		if m := errs[k]; m != "" {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, " ")
}

// splitReasons reads the stored comma-separated reason codes.
func splitReasons(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// ReviewQueue lists the applications held for manual review, oldest first (the
// one waiting longest is decided first).
func (s *Store) ReviewQueue(ctx context.Context, limit int) ([]lending.Application, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+applicationColumns+` FROM applications
		WHERE review_status = ? ORDER BY created_at_ms, id LIMIT ?`, string(lending.ReviewManualReview), limit)
	if err != nil {
		return nil, fmt.Errorf("store.ReviewQueue: %w", err)
	}
	defer rows.Close()
	var out []lending.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("store.ReviewQueue: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.ReviewQueue: %w", err)
	}
	return out, nil
}
