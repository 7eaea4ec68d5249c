package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"prequal/lending"
)

func addEvent(ctx context.Context, tx *sql.Tx, applicationID string, at time.Time, e lending.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO events
		(application_id, at_ms, kind, source, actor, status_from, status_to, detail) VALUES (?,?,?,?,?,?,?,?)`,
		applicationID, ms(at), e.Kind, e.Source, e.Actor, e.StatusFrom, e.StatusTo, e.Detail)
	if err != nil {
		return fmt.Errorf("add event %s: %w", e.Kind, err)
	}
	return nil
}

// AddEvent records one event on an application's timeline (its At is set now).
func (s *Store) AddEvent(ctx context.Context, applicationID string, e lending.Event) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return addEvent(ctx, tx, applicationID, s.now().UTC(), e) })
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
