package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"

	"prequal/lending"
)

// Developer dashboard sessions follow the officers' rules (officer_sessions.go):
// a random 256-bit token in the cookie, only its SHA-256 stored, a new token at
// every sign-in, the same idle and absolute limits, and deleting the row ends it.

// StartPartnerSession signs the partner in and returns a new session token for
// the cookie; the session of replacing (the token the browser carried before)
// is deleted.
func (s *Store) StartPartnerSession(ctx context.Context, partnerID, replacing, ip, userAgent string) (string, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if replacing != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM partner_sessions WHERE token_hash = ?`, tokenHash(replacing)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM partner_sessions WHERE expires_at_ms < ?`, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO partner_sessions
			(token_hash, partner_id, created_at_ms, last_seen_at_ms, expires_at_ms, ip, user_agent) VALUES (?,?,?,?,?,?,?)`,
			tokenHash(token), partnerID, ms(now), ms(now), ms(now.Add(lending.OfficerSessionAbsolute)), ip, truncate(userAgent, 300))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store.StartPartnerSession: %w", err)
	}
	return token, nil
}

// PartnerSession returns the partner a session token belongs to and marks the
// session as used: ErrNotFound for an unknown token, ErrSessionExpired (and the
// session deleted) past the idle or absolute limit.
func (s *Store) PartnerSession(ctx context.Context, token string) (lending.Partner, error) {
	if token == "" {
		return lending.Partner{}, fmt.Errorf("store.PartnerSession: %w", ErrNotFound)
	}
	h := tokenHash(token)
	var lastSeen, expires int64
	p, err := scanPartner(s.r.QueryRowContext(ctx, `SELECT p.id, p.name, coalesce(p.email, ''), p.status, p.created_at_ms,
		p.approved_at_ms, p.suspended_at_ms, p.last_sign_in_at_ms, s.last_seen_at_ms, s.expires_at_ms
		FROM partner_sessions s JOIN partners p ON p.id = s.partner_id WHERE s.token_hash = ?`, h), &lastSeen, &expires)
	if err != nil {
		return p, fmt.Errorf("store.PartnerSession: %w", err)
	}
	now := s.now().UTC()
	if !now.Before(fromMS(expires)) || now.Sub(fromMS(lastSeen)) >= lending.OfficerSessionIdle {
		if err := s.EndPartnerSession(ctx, token); err != nil {
			return lending.Partner{}, err
		}
		return lending.Partner{}, fmt.Errorf("store.PartnerSession: %w", ErrSessionExpired)
	}
	if now.Sub(fromMS(lastSeen)) >= touchEvery {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE partner_sessions SET last_seen_at_ms = ? WHERE token_hash = ?`, ms(now), h)
			return err
		})
		if err != nil {
			return lending.Partner{}, fmt.Errorf("store.PartnerSession: %w", err)
		}
	}
	return p, nil
}

// EndPartnerSession deletes the session; ending an unknown one is not an error.
func (s *Store) EndPartnerSession(ctx context.Context, token string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM partner_sessions WHERE token_hash = ?`, tokenHash(token))
		return err
	})
	if err != nil {
		return fmt.Errorf("store.EndPartnerSession: %w", err)
	}
	return nil
}
