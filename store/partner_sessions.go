package store

import (
	"context"
	"fmt"

	"prequal/lending"
)

// Developer dashboard sessions follow the officers' rules (sessionTable in
// officer_sessions.go).

// StartPartnerSession signs the partner in and returns a new session token for
// the cookie; the session of replacing (the token the browser carried before)
// is deleted.
func (s *Store) StartPartnerSession(ctx context.Context, partnerID, replacing, ip, userAgent string) (string, error) {
	token, err := s.startSession(ctx, partnerSessions, partnerID, replacing, ip, userAgent)
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
	if err := s.keepSession(ctx, partnerSessions, token, lastSeen, expires); err != nil {
		return lending.Partner{}, fmt.Errorf("store.PartnerSession: %w", err)
	}
	return p, nil
}

// EndPartnerSession deletes the session; ending an unknown one is not an error.
func (s *Store) EndPartnerSession(ctx context.Context, token string) error {
	if err := s.endSession(ctx, partnerSessions, token); err != nil {
		return fmt.Errorf("store.EndPartnerSession: %w", err)
	}
	return nil
}
