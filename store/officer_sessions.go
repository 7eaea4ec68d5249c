package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// ErrSessionExpired means the officer session existed but ran past its idle or
// absolute limit; it has been deleted.
var ErrSessionExpired = errors.New("store: officer session expired")

// touchEvery limits how often a session's last-seen time is written: a page with
// several htmx requests should not mean several writes.
const touchEvery = time.Minute

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartOfficerSession signs the officer in: it returns a new random session token
// (256 bits) for the cookie. replacing is the token the browser carried before, if
// any; its session is deleted, so signing in always rotates the session id and a
// token planted before sign-in is worthless after it.
func (s *Store) StartOfficerSession(ctx context.Context, officerID, replacing, ip, userAgent string) (string, error) {
	token, err := s.startSession(ctx, officerSessions, officerID, replacing, ip, userAgent)
	if err != nil {
		return "", fmt.Errorf("store.StartOfficerSession: %w", err)
	}
	return token, nil
}

// OfficerSession returns the officer a session token belongs to and marks the
// session as used. An unknown token is ErrNotFound; a session idle for
// lending.OfficerSessionIdle or older than lending.OfficerSessionAbsolute is
// deleted and reported as ErrSessionExpired.
func (s *Store) OfficerSession(ctx context.Context, token string) (lending.Officer, error) {
	if token == "" {
		return lending.Officer{}, fmt.Errorf("store.OfficerSession: %w", ErrNotFound)
	}
	h := tokenHash(token)
	var lastSeen, expires int64
	o, err := scanOfficer(s.r.QueryRowContext(ctx, `SELECT o.id, o.email, o.role, o.created_at_ms, o.last_sign_in_at_ms,
		s.last_seen_at_ms, s.expires_at_ms
		FROM officer_sessions s JOIN officers o ON o.id = s.officer_id WHERE s.token_hash = ?`, h), &lastSeen, &expires)
	if err != nil {
		return o, fmt.Errorf("store.OfficerSession: %w", err)
	}
	if err := s.keepSession(ctx, officerSessions, token, lastSeen, expires); err != nil {
		return lending.Officer{}, fmt.Errorf("store.OfficerSession: %w", err)
	}
	return o, nil
}

// EndOfficerSession deletes the session, so its cookie no longer signs anyone in.
// Ending an unknown session is not an error.
func (s *Store) EndOfficerSession(ctx context.Context, token string) error {
	if err := s.endSession(ctx, officerSessions, token); err != nil {
		return fmt.Errorf("store.EndOfficerSession: %w", err)
	}
	return nil
}

// sessionTable is a table of sign-in sessions. Officers' and partners' follow
// the same rules: a random 256-bit token in the cookie, only its SHA-256
// stored, a new token at every sign-in (the one the browser carried before is
// deleted, so a token planted before sign-in is worthless after it), the limits
// lending.OfficerSessionIdle and lending.OfficerSessionAbsolute, and deleting
// the row ends it. The names are constants, never input.
type sessionTable struct{ table, owner string }

var (
	officerSessions = sessionTable{table: "officer_sessions", owner: "officer_id"}
	partnerSessions = sessionTable{table: "partner_sessions", owner: "partner_id"}
)

// startSession returns a new session token for ownerID, deleting the session of
// replacing and, as housekeeping, every session past its absolute limit.
func (s *Store) startSession(ctx context.Context, t sessionTable, ownerID, replacing, ip, userAgent string) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if replacing != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE token_hash = ?`, tokenHash(replacing)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE expires_at_ms < ?`, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO `+t.table+`
			(token_hash, `+t.owner+`, created_at_ms, last_seen_at_ms, expires_at_ms, ip, user_agent) VALUES (?,?,?,?,?,?,?)`,
			tokenHash(token), ownerID, ms(now), ms(now), ms(now.Add(lending.OfficerSessionAbsolute)), ip, truncate(userAgent, 300))
		return err
	})
	return token, err
}

// keepSession decides a found session's fate from its last-seen and expiry
// times: past either limit it is deleted and ErrSessionExpired; otherwise it is
// marked as used (at most every touchEvery).
func (s *Store) keepSession(ctx context.Context, t sessionTable, token string, lastSeen, expires int64) error {
	now := s.now().UTC()
	if !now.Before(fromMS(expires)) || now.Sub(fromMS(lastSeen)) >= lending.OfficerSessionIdle {
		if err := s.endSession(ctx, t, token); err != nil {
			return err
		}
		return ErrSessionExpired
	}
	if now.Sub(fromMS(lastSeen)) < touchEvery {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET last_seen_at_ms = ? WHERE token_hash = ?`, ms(now), tokenHash(token))
		return err
	})
}

// endSession deletes a session; an unknown one is not an error.
func (s *Store) endSession(ctx context.Context, t sessionTable, token string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE token_hash = ?`, tokenHash(token))
		return err
	})
}
