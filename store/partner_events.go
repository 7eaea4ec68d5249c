package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// PartnerEvent is one entry of the partner-event outbox: something a partner
// may hear about (by webhook), written in the same transaction as the change
// that caused it, so there is never a change without its event nor an event
// without its change.
type PartnerEvent struct {
	ID string // evt_ and 128 random bits: the webhook-id of every delivery attempt
	// PartnerID is whose event it is: the owner of ApplicationID when set (""
	// for a browser-made application: operators only), else the one given.
	PartnerID     string
	ApplicationID string // "" for an event about no application
	Type          string // e.g. journey.snapshot, creditApplication.approved
	// Sequence numbers an application's events 1, 2, 3, … in commit order, so
	// receivers can order them and spot a gap; 0 without an application.
	Sequence       int64
	OccurredAt     time.Time
	PayloadVersion int
	Payload        json.RawMessage
}

// NewPartnerEvent is an event to write. Payload is marshalled to JSON.
type NewPartnerEvent struct {
	ApplicationID  string
	PartnerID      string // only for an event about no application
	Type           string
	PayloadVersion int // the payload schema's version, from 1
	Payload        any
}

// addPartnerEvent writes an event to the outbox inside the caller's
// transaction tx (a store method's inTx function): it commits or rolls back
// with the change it reports. The application's event counter is incremented
// by an UPDATE of its row, which also serializes concurrent writers of one
// application's events on databases with several writers.
func (s *Store) addPartnerEvent(ctx context.Context, tx *sql.Tx, in NewPartnerEvent) (PartnerEvent, error) {
	if in.Type == "" || in.PayloadVersion < 1 {
		return PartnerEvent{}, errors.New("add partner event: a type and a payload version (from 1) are required")
	}
	payload, err := json.Marshal(in.Payload)
	if err != nil {
		return PartnerEvent{}, fmt.Errorf("add partner event %s: payload: %w", in.Type, err)
	}
	e := PartnerEvent{ID: "evt_" + NewID(), PartnerID: in.PartnerID, ApplicationID: in.ApplicationID, Type: in.Type,
		OccurredAt: s.now().UTC().Truncate(time.Millisecond), PayloadVersion: in.PayloadVersion, Payload: payload}
	if e.ApplicationID != "" {
		var owner sql.NullString
		err := tx.QueryRowContext(ctx, `UPDATE applications SET partner_event_seq = partner_event_seq + 1 WHERE id = ?
			RETURNING partner_event_seq, partner_id`, e.ApplicationID).Scan(&e.Sequence, &owner)
		if errors.Is(err, sql.ErrNoRows) {
			return PartnerEvent{}, fmt.Errorf("add partner event %s: application %s: %w", in.Type, e.ApplicationID, ErrNotFound)
		}
		if err != nil {
			return PartnerEvent{}, fmt.Errorf("add partner event %s: %w", in.Type, err)
		}
		e.PartnerID = owner.String
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO partner_events
		(id, partner_id, application_id, type, sequence, occurred_at_ms, payload_version, payload) VALUES (?,?,?,?,?,?,?,?)`,
		e.ID, nullString(e.PartnerID), nullString(e.ApplicationID), e.Type, e.Sequence, ms(e.OccurredAt), e.PayloadVersion, string(payload))
	if err != nil {
		return PartnerEvent{}, fmt.Errorf("add partner event %s: %w", in.Type, err)
	}
	return e, nil
}

// PartnerEvents lists an application's events in sequence order.
func (s *Store) PartnerEvents(ctx context.Context, applicationID string) ([]PartnerEvent, error) {
	out, err := s.partnerEvents(ctx, `application_id = ? ORDER BY sequence`, applicationID)
	if err != nil {
		return nil, fmt.Errorf("store.PartnerEvents: %w", err)
	}
	return out, nil
}

// partnerEvents reads the partner events a condition (with its ORDER BY)
// selects.
func (s *Store) partnerEvents(ctx context.Context, where string, args ...any) ([]PartnerEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, coalesce(partner_id, ''), coalesce(application_id, ''), type, sequence,
		occurred_at_ms, payload_version, payload FROM partner_events WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PartnerEvent
	for rows.Next() {
		var e PartnerEvent
		var at int64
		var payload string
		if err := rows.Scan(&e.ID, &e.PartnerID, &e.ApplicationID, &e.Type, &e.Sequence, &at, &e.PayloadVersion, &payload); err != nil {
			return nil, err
		}
		e.OccurredAt, e.Payload = fromMS(at), json.RawMessage(payload)
		out = append(out, e)
	}
	return out, rows.Err()
}
