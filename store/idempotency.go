package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Idempotency-Key records (the IETF draft, with Stripe's semantics): the API's
// idempotency middleware begins a record before a mutating request runs and
// finishes it with the response, which is replayed to a retry with the same
// key. They live in the database, not in memory, so that a retry after a
// restart, or one answered by another instance, finds them.
const (
	// IdempotencyRetention is how long a finished response is kept for
	// replay: the draft's and Stripe's 24 hours.
	IdempotencyRetention = 24 * time.Hour
	// idempotencyLease bounds how long a request in progress holds its key: a
	// retry during it gets 409, after it (the first process died mid-request)
	// it runs. Longer than the server's write timeout, so a live request never
	// loses its key.
	idempotencyLease = 90 * time.Second
	// idempotencyPurgeEvery spaces the deletions of expired records.
	idempotencyPurgeEvery = time.Minute
)

// Idempotency errors.
var (
	// ErrIdempotencyKeyMismatch: the key was used before for another request
	// (another method, path or body).
	ErrIdempotencyKeyMismatch = errors.New("store: idempotency key was used for a different request")
	// ErrIdempotencyInProgress: the first request with the key is still running.
	ErrIdempotencyInProgress = errors.New("store: a request with this idempotency key is in progress")
)

// IdempotentRequest names a mutating API request by its key.
type IdempotentRequest struct {
	Scope       string // whose key it is: keys of different partners never meet
	Key         string // the Idempotency-Key header
	Method      string
	Path        string
	RequestHash string // identifies the request: hex SHA-256 of method, path and body
}

// StoredResponse is a response kept for replay.
type StoredResponse struct {
	Status int
	Header http.Header // only the headers worth replaying (Content-Type, Location, …)
	Body   []byte
}

// BeginIdempotent claims r's key for a request about to run and returns nil, or
// returns the stored response of the request that used the key before (replay
// it), or fails with ErrIdempotencyKeyMismatch (another request used the key)
// or ErrIdempotencyInProgress (it is still running).
func (s *Store) BeginIdempotent(ctx context.Context, r IdempotentRequest) (*StoredResponse, error) {
	now := s.now().UTC()
	var replay *StoredResponse
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.purgeIdempotencyKeys(ctx, tx, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys
			(scope, idempotency_key, method, path, request_hash, created_at_ms, locked_until_ms, expires_at_ms)
			VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (scope, idempotency_key) DO NOTHING`,
			r.Scope, r.Key, r.Method, r.Path, r.RequestHash, ms(now), ms(now.Add(idempotencyLease)), ms(now.Add(IdempotencyRetention)))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err // claimed
		}
		var (
			hash, header string
			lockedUntil  int64
			status       sql.NullInt64
			body         []byte
		)
		if err := tx.QueryRowContext(ctx, `SELECT request_hash, locked_until_ms, status_code, response_header, response_body
			FROM idempotency_keys WHERE scope = ? AND idempotency_key = ?`, r.Scope, r.Key).
			Scan(&hash, &lockedUntil, &status, &header, &body); err != nil {
			return err
		}
		switch {
		case hash != r.RequestHash:
			return ErrIdempotencyKeyMismatch
		case status.Valid:
			replay = &StoredResponse{Status: int(status.Int64), Body: body}
			if header != "" {
				if err := json.Unmarshal([]byte(header), &replay.Header); err != nil {
					return fmt.Errorf("stored header: %w", err)
				}
			}
			return nil
		case now.Before(fromMS(lockedUntil)):
			return ErrIdempotencyInProgress
		}
		// The request holding the key died with its process: this one takes over.
		_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET created_at_ms = ?, locked_until_ms = ?, expires_at_ms = ?
			WHERE scope = ? AND idempotency_key = ?`,
			ms(now), ms(now.Add(idempotencyLease)), ms(now.Add(IdempotencyRetention)), r.Scope, r.Key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store.BeginIdempotent: %w", err)
	}
	return replay, nil
}

// FinishIdempotent stores the response to the request that claimed r's key,
// kept for replay for IdempotencyRetention.
func (s *Store) FinishIdempotent(ctx context.Context, r IdempotentRequest, resp StoredResponse) error {
	header := ""
	if len(resp.Header) > 0 {
		b, err := json.Marshal(resp.Header)
		if err != nil {
			return fmt.Errorf("store.FinishIdempotent: %w", err)
		}
		header = string(b)
	}
	if resp.Body == nil {
		resp.Body = []byte{}
	}
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status_code = ?, response_header = ?, response_body = ?,
			expires_at_ms = ? WHERE scope = ? AND idempotency_key = ? AND request_hash = ?`,
			resp.Status, header, resp.Body, ms(now.Add(IdempotencyRetention)), r.Scope, r.Key, r.RequestHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.FinishIdempotent: %w", err)
	}
	return nil
}

// AbandonIdempotent releases r's key without a response (the request failed
// on the server's side), so that a retry runs again.
func (s *Store) AbandonIdempotent(ctx context.Context, r IdempotentRequest) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND idempotency_key = ?
			AND request_hash = ? AND status_code IS NULL`, r.Scope, r.Key, r.RequestHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store.AbandonIdempotent: %w", err)
	}
	return nil
}

// purgeIdempotencyKeys deletes expired records, at most once per
// idempotencyPurgeEvery per process.
func (s *Store) purgeIdempotencyKeys(ctx context.Context, tx *sql.Tx, now time.Time) error {
	last := s.idempotencyPurgedAt.Load()
	if now.UnixMilli()-last < idempotencyPurgeEvery.Milliseconds() || !s.idempotencyPurgedAt.CompareAndSwap(last, now.UnixMilli()) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE expires_at_ms < ?`, ms(now))
	return err
}
