package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// ErrOffersClosed means the offers can no longer be declined: one was chosen,
// they were declined or expired, or the application is closed.
var ErrOffersClosed = errors.New("store: offers closed")

// DeclineOffers records the borrower's "None of these work for me", with an
// optional reason (lending.DeclineReasons; "" none), in one transaction with
// a timeline event and the status events (seed 004's
// CREDIT_NOT_ACCEPTED_BY_CUSTOMER). Offers that are not open are ErrOffersClosed.
func (s *Store) DeclineOffers(ctx context.Context, applicationID, reason string) (lending.Application, error) {
	r, ok := lending.DeclineReasonByCode(reason)
	if !ok {
		return lending.Application{}, fmt.Errorf("store.DeclineOffers: %w: unknown reason %q", ErrInvalidDecision, reason)
	}
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := takeStatusSnapshot(ctx, tx, applicationID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET customer_answer = ?, customer_answer_reason = ?,
			customer_answer_at_ms = ?, next_poll_at_ms = NULL, updated_at_ms = ?
			WHERE id = ? AND lead_status = ? AND customer_answer = '' AND review_status NOT IN (?, ?)`,
			string(lending.AnswerDeclined), reason, ms(now), ms(now), applicationID, string(lending.LeadOffersFound),
			string(lending.ReviewDenied), string(lending.ReviewCanceled))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrOffersClosed
		}
		detail := "None of these work for me."
		if r.Text != "" {
			detail = "None of these work for me: " + r.Text + "."
		}
		if err := s.addEvent(ctx, tx, applicationID, now, lending.Event{Kind: lending.EventOffersDeclined,
			Source: lending.SourceBorrower, StatusFrom: string(lending.LeadOffersFound), StatusTo: string(lending.AnswerDeclined),
			Detail: detail}); err != nil {
			return err
		}
		return s.emitStatusEvents(ctx, tx, applicationID, before)
	})
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.DeclineOffers: %w", err)
	}
	return s.Application(ctx, applicationID)
}

// ExpireOffers marks the offers not chosen within ttl of being found as
// expired (at most limit applications, oldest first), each in its own
// transaction with a timeline event and its status events, and returns the
// applications it expired.
func (s *Store) ExpireOffers(ctx context.Context, ttl time.Duration, limit int) ([]string, error) {
	now := s.now().UTC()
	foundBefore := now.Add(-ttl)
	const due = `lead_status = 'offers_found' AND customer_answer = '' AND lead_terminal_at_ms IS NOT NULL
		AND lead_terminal_at_ms <= ? AND review_status NOT IN ('Denied', 'Canceled')`
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM applications WHERE `+due+` ORDER BY lead_terminal_at_ms LIMIT ?`,
		ms(foundBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("store.ExpireOffers: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store.ExpireOffers: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.ExpireOffers: %w", err)
	}
	var expired []string
	for _, id := range ids {
		changed := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			before, err := takeStatusSnapshot(ctx, tx, id)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE applications SET customer_answer = ?, customer_answer_at_ms = ?,
				next_poll_at_ms = NULL, updated_at_ms = ? WHERE id = ? AND `+due,
				string(lending.AnswerExpired), ms(now), ms(now), id, ms(foundBefore))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil // chosen or declined meanwhile
			}
			changed = true
			if err := s.addEvent(ctx, tx, id, now, lending.Event{Kind: lending.EventOffersExpired, Source: lending.SourceWorker,
				StatusFrom: string(lending.LeadOffersFound), StatusTo: string(lending.AnswerExpired),
				Detail: fmt.Sprintf("No offer was chosen within %s.", ttl)}); err != nil {
				return err
			}
			return s.emitStatusEvents(ctx, tx, id, before)
		})
		if err != nil {
			return expired, fmt.Errorf("store.ExpireOffers: %w", err)
		}
		if changed {
			expired = append(expired, id)
		}
	}
	return expired, nil
}
