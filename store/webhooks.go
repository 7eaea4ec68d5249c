package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"prequal/lending"
)

// Partner webhooks: the endpoints a partner registers and one delivery per
// (endpoint, event), fanned out from the partner-event outbox by the webhook
// worker, which claims due deliveries under a lease like jobs.

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookEndpoint is a partner's webhook receiver.
type WebhookEndpoint struct {
	ID           string
	PartnerID    string
	URL          string
	EventTypes   []string
	CreatedAt    time.Time
	FailingSince time.Time // zero: healthy
	// PreviousUntil is when the secret before the last rotation stops being
	// signed with (zero: none).
	PreviousUntil time.Time
}

// Failing reports whether a delivery to the endpoint gave up since its last success.
func (e WebhookEndpoint) Failing() bool { return !e.FailingSince.IsZero() }

// NewWebhookEndpoint is an endpoint to register; Secret is its whsec_ secret.
type NewWebhookEndpoint struct {
	PartnerID  string
	URL        string
	EventTypes []string
	Secret     string
}

// CreateWebhookEndpoint registers an endpoint, its secret sealed at rest.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, in NewWebhookEndpoint) (WebhookEndpoint, error) {
	e := WebhookEndpoint{ID: "we_" + NewID(), PartnerID: in.PartnerID, URL: in.URL, EventTypes: in.EventTypes,
		CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (id, partner_id, url, event_types, secret_sealed, created_at_ms)
			VALUES (?,?,?,?,?,?)`, e.ID, e.PartnerID, e.URL, strings.Join(e.EventTypes, " "),
			s.sealer.Seal([]byte(in.Secret), []byte(e.ID)), ms(e.CreatedAt))
		return err
	})
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store.CreateWebhookEndpoint: %w", err)
	}
	return e, nil
}

const endpointColumns = `id, partner_id, url, event_types, created_at_ms, failing_since_ms, previous_until_ms`

func scanEndpoint(sc interface{ Scan(...any) error }) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	var types string
	var created int64
	var failing, prevUntil sql.NullInt64
	if err := sc.Scan(&e.ID, &e.PartnerID, &e.URL, &types, &created, &failing, &prevUntil); err != nil {
		return e, err
	}
	e.EventTypes, e.CreatedAt = strings.Fields(types), fromMS(created)
	e.FailingSince, e.PreviousUntil = fromNullMS(failing), fromNullMS(prevUntil)
	return e, nil
}

// WebhookEndpoints lists a partner's endpoints, newest first; partnerID ""
// lists every partner's (admins).
func (s *Store) WebhookEndpoints(ctx context.Context, partnerID string) ([]WebhookEndpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE deleted_at_ms IS NULL AND (? = '' OR partner_id = ?) ORDER BY created_at_ms DESC, id`, partnerID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("store.WebhookEndpoints: %w", err)
	}
	defer rows.Close()
	var out []WebhookEndpoint
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("store.WebhookEndpoints: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.WebhookEndpoints: %w", err)
	}
	return out, nil
}

// WebhookEndpoint reads one endpoint of partnerID ("" any partner's);
// ErrNotFound when there is none or it is another partner's.
func (s *Store) WebhookEndpoint(ctx context.Context, partnerID, id string) (WebhookEndpoint, error) {
	e, err := scanEndpoint(s.r.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE id = ? AND deleted_at_ms IS NULL AND (? = '' OR partner_id = ?)`, id, partnerID, partnerID))
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookEndpoint{}, fmt.Errorf("store.WebhookEndpoint %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("store.WebhookEndpoint: %w", err)
	}
	return e, nil
}

// RotateWebhookSecret gives an endpoint of partnerID a new secret; the current
// one stays valid (deliveries carry both signatures) until keepOldUntil.
func (s *Store) RotateWebhookSecret(ctx context.Context, partnerID, id, newSecret string, keepOldUntil time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var sealed []byte
		err := tx.QueryRowContext(ctx, `SELECT secret_sealed FROM webhook_endpoints
			WHERE id = ? AND partner_id = ? AND deleted_at_ms IS NULL`, id, partnerID).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET previous_sealed = ?, previous_until_ms = ?, secret_sealed = ?
			WHERE id = ?`, sealed, ms(keepOldUntil), s.sealer.Seal([]byte(newSecret), []byte(id)), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.RotateWebhookSecret %s: %w", id, err)
	}
	return nil
}

// EndpointDeletedError is the error of the deliveries a deleted endpoint left pending.
const EndpointDeletedError = "not sent: the endpoint was deleted"

// DeleteWebhookEndpoint removes an endpoint of partnerID: nothing more is
// delivered to it; its pending deliveries fail with EndpointDeletedError (its
// delivery history stays).
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, partnerID, id string) error {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := ms(s.now())
		res, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET deleted_at_ms = ?
			WHERE id = ? AND partner_id = ? AND deleted_at_ms IS NULL`, now, id, partnerID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		// Its pending deliveries end here, failed with the reason, rather than
		// wait for ever (an attempt in flight finds its lease gone).
		_, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_ms = ?, lease_owner = NULL,
			lease_until_ms = NULL, last_error = ? WHERE endpoint_id = ? AND status = ?`,
			DeliveryFailed, now, EndpointDeletedError, id, DeliveryPending)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.DeleteWebhookEndpoint: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store.DeleteWebhookEndpoint %s: %w", id, ErrNotFound)
	}
	return nil
}

// AddPartnerEvent writes an event in a transaction of its own: an event about
// no application (PartnerID set), or an application's when the change it
// reports was made elsewhere. A change's own event belongs in the change's
// transaction (addPartnerEvent).
func (s *Store) AddPartnerEvent(ctx context.Context, in NewPartnerEvent) (PartnerEvent, error) {
	var e PartnerEvent
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = s.addPartnerEvent(ctx, tx, in)
		return err
	})
	if err != nil {
		return PartnerEvent{}, fmt.Errorf("store.AddPartnerEvent: %w", err)
	}
	return e, nil
}

// SendWebhookTestEvent writes a webhook.test event of the endpoint's partner
// and its delivery to that endpoint alone.
func (s *Store) SendWebhookTestEvent(ctx context.Context, partnerID, endpointID string) (PartnerEvent, error) {
	var e PartnerEvent
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND partner_id = ? AND deleted_at_ms IS NULL)`,
			endpointID, partnerID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		var err error
		e, err = s.addPartnerEvent(ctx, tx, NewPartnerEvent{PartnerID: partnerID, Type: lending.EventWebhookTest, PayloadVersion: 1,
			Payload: map[string]string{"endpointId": endpointID, "message": "A test event sent from the developer dashboard."}})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE partner_events SET fanned_out = 1 WHERE id = ?`, e.ID); err != nil {
			return err
		}
		return insertDelivery(ctx, tx, endpointID, e.ID, e.OccurredAt)
	})
	if err != nil {
		return PartnerEvent{}, fmt.Errorf("store.SendWebhookTestEvent: %w", err)
	}
	return e, nil
}

func insertDelivery(ctx context.Context, tx *sql.Tx, endpointID, eventID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, status, created_at_ms, round_started_ms, next_attempt_ms)
		VALUES (?,?,?,?,?,?) ON CONFLICT (endpoint_id, event_id) DO NOTHING`, endpointID, eventID, DeliveryPending, ms(now), ms(now), ms(now))
	return err
}

// FanOutPartnerEvents turns up to limit events not yet fanned out into a
// delivery for each endpoint of the event's partner that wants its type, and
// reports how many events it handled. An endpoint hears of the events written
// after it was registered.
func (s *Store) FanOutPartnerEvents(ctx context.Context, limit int) (int, error) {
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM partner_events WHERE fanned_out = 0)`).Scan(&found); err != nil {
		return 0, fmt.Errorf("store.FanOutPartnerEvents: %w", err)
	}
	if !found {
		return 0, nil
	}
	now := s.now().UTC()
	var n int
	// Not synced: fanning an event out again after a crash inserts nothing new.
	err := s.inTxLogged(ctx, func(tx *sql.Tx) error {
		n = 0
		type ev struct{ id, partner, typ string }
		rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(partner_id, ''), type FROM partner_events WHERE fanned_out = 0 LIMIT ?`, limit)
		if err != nil {
			return err
		}
		var evs []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.id, &e.partner, &e.typ); err != nil {
				rows.Close()
				return err
			}
			evs = append(evs, e)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		endpoints := map[string][]WebhookEndpoint{}
		for _, e := range evs {
			eps, ok := endpoints[e.partner]
			if !ok && e.partner != "" {
				r, err := tx.QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
					WHERE partner_id = ? AND deleted_at_ms IS NULL`, e.partner)
				if err != nil {
					return err
				}
				for r.Next() {
					ep, err := scanEndpoint(r)
					if err != nil {
						r.Close()
						return err
					}
					eps = append(eps, ep)
				}
				if err := r.Close(); err != nil {
					return err
				}
				endpoints[e.partner] = eps
			}
			for _, ep := range eps {
				if lending.WebhookWants(ep.EventTypes, e.typ) {
					if err := insertDelivery(ctx, tx, ep.ID, e.id, now); err != nil {
						return err
					}
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE partner_events SET fanned_out = 1 WHERE id = ?`, e.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store.FanOutPartnerEvents: %w", err)
	}
	return n, nil
}

// WebhookSend is a delivery the worker holds under a lease: the event, where
// it goes and the secrets to sign it with.
type WebhookSend struct {
	DeliveryID int64
	Owner      string
	Attempt    int // this attempt's number in the round, from 1
	Endpoint   WebhookEndpoint
	Event      PartnerEvent
	// Secrets are the whsec_ secrets to sign with: the current one, and the
	// previous one during its 24 h after a rotation.
	Secrets []string
}

// ClaimWebhookDeliveries leases up to limit due deliveries to owner until
// now+lease, oldest due first, never more than perEndpoint in flight (leased)
// at once for one endpoint.
func (s *Store) ClaimWebhookDeliveries(ctx context.Context, owner string, lease time.Duration, limit, perEndpoint int) ([]WebhookSend, error) {
	now := s.now().UTC()
	const due = `d.status = 'pending' AND d.next_attempt_ms <= ? AND (d.lease_until_ms IS NULL OR d.lease_until_ms <= ?)`
	var found bool
	if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE `+due+`)`, ms(now), ms(now)).
		Scan(&found); err != nil {
		return nil, fmt.Errorf("store.ClaimWebhookDeliveries: %w", err)
	}
	if !found || limit <= 0 {
		return nil, nil
	}
	var out []WebhookSend
	// A claim lost to a crash is only a delivery sent again (at least once,
	// same webhook-id): it need not wait for a sync. On PostgreSQL it runs
	// SERIALIZABLE (not inTxLogged's READ COMMITTED): two instances reading the
	// same due deliveries and the endpoints' in-flight counts would otherwise
	// both lease them; serializable makes the second claimant run again and
	// find them leased, so each attempt is sent once.
	err := s.write(ctx, writeOptions{dur: logged}, func(tx *sql.Tx) error {
		out = nil
		inFlight := map[string]int{}
		// Only pending deliveries hold a lease (recording an attempt or a replay
		// clears it), so the partial index of leases answers alone; counted
		// here, as a GROUP BY would make the planner scan by endpoint.
		rows, err := tx.QueryContext(ctx, `SELECT endpoint_id FROM webhook_deliveries
			WHERE lease_until_ms IS NOT NULL AND lease_until_ms > ?`, ms(now))
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			inFlight[id]++
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT d.id, d.attempts, e.id, e.partner_id, e.url, e.event_types, e.created_at_ms,
				e.failing_since_ms, e.previous_until_ms, e.secret_sealed, e.previous_sealed,
				v.id, coalesce(v.partner_id, ''), coalesce(v.application_id, ''), v.type, v.sequence, v.occurred_at_ms, v.payload_version, v.payload
			FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN partner_events v ON v.id = d.event_id
			WHERE `+due+` AND e.deleted_at_ms IS NULL ORDER BY d.next_attempt_ms, d.id LIMIT ?`, ms(now), ms(now), limit*2)
		if err != nil {
			return err
		}
		for rows.Next() {
			w := WebhookSend{Owner: owner}
			var types, payload string
			var created, occurred int64
			var failing, prevUntil sql.NullInt64
			var sealed, prevSealed []byte
			if err := rows.Scan(&w.DeliveryID, &w.Attempt, &w.Endpoint.ID, &w.Endpoint.PartnerID, &w.Endpoint.URL, &types, &created,
				&failing, &prevUntil, &sealed, &prevSealed,
				&w.Event.ID, &w.Event.PartnerID, &w.Event.ApplicationID, &w.Event.Type, &w.Event.Sequence, &occurred,
				&w.Event.PayloadVersion, &payload); err != nil {
				rows.Close()
				return err
			}
			if len(out) >= limit || inFlight[w.Endpoint.ID] >= perEndpoint {
				continue
			}
			inFlight[w.Endpoint.ID]++
			w.Attempt++
			w.Endpoint.EventTypes, w.Endpoint.CreatedAt = strings.Fields(types), fromMS(created)
			w.Endpoint.FailingSince, w.Endpoint.PreviousUntil = fromNullMS(failing), fromNullMS(prevUntil)
			w.Event.OccurredAt, w.Event.Payload = fromMS(occurred), json.RawMessage(payload)
			secret, err := s.sealer.Open(sealed, []byte(w.Endpoint.ID))
			if err != nil {
				rows.Close()
				return fmt.Errorf("endpoint %s: secret: %w", w.Endpoint.ID, err)
			}
			w.Secrets = []string{string(secret)}
			if prevSealed != nil && now.Before(w.Endpoint.PreviousUntil) {
				prev, err := s.sealer.Open(prevSealed, []byte(w.Endpoint.ID))
				if err != nil {
					rows.Close()
					return fmt.Errorf("endpoint %s: previous secret: %w", w.Endpoint.ID, err)
				}
				w.Secrets = append(w.Secrets, string(prev))
			}
			out = append(out, w)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, w := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_until_ms = ?, attempts = ? WHERE id = ?`,
				owner, ms(now.Add(lease)), w.Attempt, w.DeliveryID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store.ClaimWebhookDeliveries: %w", err)
	}
	return out, nil
}

// WebhookAttempt is the outcome of one delivery attempt.
type WebhookAttempt struct {
	Send       WebhookSend
	At         time.Time
	StatusCode int // 0: no HTTP answer
	Latency    time.Duration
	Error      string // "" on success
	Delivered  bool
	// RetryAt is when to try again after a failure; zero: the round gave up
	// (the delivery failed and its endpoint is marked failing).
	RetryAt time.Time
}

// RecordWebhookAttempt stores an attempt's outcome and releases the lease;
// ErrLeaseLost when the delivery is no longer the sender's.
func (s *Store) RecordWebhookAttempt(ctx context.Context, a WebhookAttempt) error {
	var n int64
	err := s.inTxLogged(ctx, func(tx *sql.Tx) error {
		status, next, delivered := DeliveryPending, ms(a.RetryAt), sql.NullInt64{}
		switch {
		case a.Delivered:
			status, next, delivered = DeliveryDelivered, ms(a.At), nullMS(a.At)
		case a.RetryAt.IsZero():
			status, next = DeliveryFailed, ms(a.At)
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, next_attempt_ms = ?, delivered_at_ms = ?,
			lease_owner = NULL, lease_until_ms = NULL, last_attempt_ms = ?, last_status_code = ?, last_latency_ms = ?, last_error = ?
			WHERE id = ? AND lease_owner = ? AND status = 'pending'`,
			status, next, delivered, ms(a.At), a.StatusCode, a.Latency.Milliseconds(), a.Error, a.Send.DeliveryID, a.Send.Owner)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		switch status {
		case DeliveryDelivered:
			_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since_ms = NULL WHERE id = ? AND failing_since_ms IS NOT NULL`,
				a.Send.Endpoint.ID)
		case DeliveryFailed:
			_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since_ms = ? WHERE id = ? AND failing_since_ms IS NULL`,
				ms(a.At), a.Send.Endpoint.ID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store.RecordWebhookAttempt: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store.RecordWebhookAttempt: delivery %d: %w", a.Send.DeliveryID, ErrLeaseLost)
	}
	return nil
}

// WebhookDelivery is a delivery as the dashboard shows it.
type WebhookDelivery struct {
	ID            int64
	EndpointID    string
	PartnerID     string
	EventID       string
	EventType     string
	ApplicationID string
	Sequence      int64
	Status        string
	Attempts      int
	CreatedAt     time.Time
	NextAttemptAt time.Time // while pending
	LastAttemptAt time.Time // zero: not tried yet
	StatusCode    int
	Latency       time.Duration
	Error         string
	DeliveredAt   time.Time
}

// WebhookDeliveries lists an endpoint's most recent deliveries, newest first;
// partnerID "" reads any partner's endpoint (admins).
func (s *Store) WebhookDeliveries(ctx context.Context, partnerID, endpointID string, limit int) ([]WebhookDelivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.endpoint_id, e.partner_id, d.event_id, v.type, coalesce(v.application_id, ''), v.sequence,
			d.status, d.attempts, d.created_at_ms, d.next_attempt_ms, d.last_attempt_ms, d.last_status_code, d.last_latency_ms,
			d.last_error, d.delivered_at_ms
		FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN partner_events v ON v.id = d.event_id
		WHERE d.endpoint_id = ? AND (? = '' OR e.partner_id = ?) ORDER BY d.id DESC LIMIT ?`, endpointID, partnerID, partnerID, limit)
	if err != nil {
		return nil, fmt.Errorf("store.WebhookDeliveries: %w", err)
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		var created, next, latency int64
		var last, delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EndpointID, &d.PartnerID, &d.EventID, &d.EventType, &d.ApplicationID, &d.Sequence,
			&d.Status, &d.Attempts, &created, &next, &last, &d.StatusCode, &latency, &d.Error, &delivered); err != nil {
			return nil, fmt.Errorf("store.WebhookDeliveries: %w", err)
		}
		d.CreatedAt, d.LastAttemptAt, d.DeliveredAt = fromMS(created), fromNullMS(last), fromNullMS(delivered)
		d.Latency = time.Duration(latency) * time.Millisecond
		if d.Status == DeliveryPending {
			d.NextAttemptAt = fromMS(next)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.WebhookDeliveries: %w", err)
	}
	return out, nil
}

// ReplayWebhookDelivery sends a delivery of partnerID's again, now, as a new
// round of attempts with the same webhook-id.
func (s *Store) ReplayWebhookDelivery(ctx context.Context, partnerID string, deliveryID int64) error {
	var n int64
	now := ms(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, round_started_ms = ?,
			next_attempt_ms = ?, lease_owner = NULL, lease_until_ms = NULL
			WHERE id = ? AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE partner_id = ? AND deleted_at_ms IS NULL)`,
			now, now, deliveryID, partnerID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store.ReplayWebhookDelivery: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store.ReplayWebhookDelivery %d: %w", deliveryID, ErrNotFound)
	}
	return nil
}

// ReplayFailedWebhookDeliveries replays every failed delivery to an endpoint
// of partnerID whose event occurred at or after since, and reports how many.
func (s *Store) ReplayFailedWebhookDeliveries(ctx context.Context, partnerID, endpointID string, since time.Time) (int, error) {
	var n int64
	now := ms(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND partner_id = ? AND deleted_at_ms IS NULL)`,
			endpointID, partnerID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return ErrNotFound
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, round_started_ms = ?,
			next_attempt_ms = ?, lease_owner = NULL, lease_until_ms = NULL
			WHERE endpoint_id = ? AND status = 'failed' AND event_id IN (SELECT id FROM partner_events WHERE occurred_at_ms >= ?)`,
			now, now, endpointID, ms(since))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store.ReplayFailedWebhookDeliveries: %w", err)
	}
	return int(n), nil
}

// PruneWebhookDeliveries deletes up to limit finished deliveries (delivered or
// failed) whose last attempt was before before, and reports how many it did.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, before time.Time, limit int) (int64, error) {
	var n int64
	err := s.inTxLogged(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
			WHERE status IN (?, ?) AND next_attempt_ms < ? LIMIT ?)`, DeliveryDelivered, DeliveryFailed, ms(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store.PruneWebhookDeliveries: %w", err)
	}
	return n, nil
}

// WebhookDeliveryCounts counts deliveries by status (for the bench and /metrics).
func (s *Store) WebhookDeliveryCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, count(*) FROM webhook_deliveries GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("store.WebhookDeliveryCounts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store.WebhookDeliveryCounts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}
