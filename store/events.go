package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// addEvent adds one event to an application's timeline, within tx.
func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, applicationID string, at time.Time, e lending.Event) error {
	_, err := s.txExec(ctx, tx, `INSERT INTO events
		(application_id, at_ms, kind, source, actor, status_from, status_to, detail) VALUES (?,?,?,?,?,?,?,?)`,
		applicationID, ms(at), e.Kind, e.Source, e.Actor, e.StatusFrom, e.StatusTo, e.Detail)
	if err != nil {
		return fmt.Errorf("add event %s: %w", e.Kind, err)
	}
	// Whatever changed the application, a headless journey's partner hears
	// of its new state in this same transaction.
	return s.snapshotJourney(ctx, tx, "j.application_id = ?", applicationID)
}

// AddEvent records one event on an application's timeline (its At is set now).
func (s *Store) AddEvent(ctx context.Context, applicationID string, e lending.Event) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return s.addEvent(ctx, tx, applicationID, s.now().UTC(), e) })
	if err != nil {
		return fmt.Errorf("store.AddEvent: %w", err)
	}
	return nil
}

// Events returns an application's timeline, oldest first.
func (s *Store) Events(ctx context.Context, applicationID string) ([]lending.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at_ms, kind, source, actor, status_from, status_to, detail
		FROM events WHERE application_id = ? ORDER BY id`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("store.Events: %w", err)
	}
	defer rows.Close()
	var out []lending.Event
	for rows.Next() {
		var e lending.Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Source, &e.Actor, &e.StatusFrom, &e.StatusTo, &e.Detail); err != nil {
			return nil, fmt.Errorf("store.Events: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Events: %w", err)
	}
	return out, nil
}

// RecordRejectedCallback adds a callback_rejected event to the application whose
// lead has this uuid (ErrNotFound when none has), unless that application's
// timeline already took perHour of them in the last hour (recorded is false).
func (s *Store) RecordRejectedCallback(ctx context.Context, leadUUID, detail string, perHour int) (recorded bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM applications WHERE lead_uuid = ?`, leadUUID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events
			WHERE application_id = ? AND kind = ? AND at_ms >= ? LIMIT ?)`,
			id, lending.EventCallbackRejected, ms(now.Add(-time.Hour)), perHour).Scan(&recent); err != nil {
			return err
		}
		if recent >= perHour {
			return nil
		}
		recorded = true
		return s.addEvent(ctx, tx, id, now, lending.Event{Kind: lending.EventCallbackRejected,
			Source: lending.SourceCallback, Detail: detail})
	})
	if err != nil {
		return false, fmt.Errorf("store.RecordRejectedCallback: %w", err)
	}
	return recorded, nil
}
