package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// Headless borrower sessions (seed 001): a partner's backend opens a session
// for one of its users (its own reference for them); the borrower's app then
// calls the journey API with a short-lived session token and trades a refresh
// token for a new pair when it runs out. Refresh tokens rotate: each is good
// once, and presenting a spent one revokes its whole family, since one of the
// two parties holding it must be a thief. Tokens are 256 random bits; only
// their SHA-256 is stored, so a copy of the database opens no session.

// Token prefixes: a token says what it is (and a log scanner can spot one).
const (
	HeadlessAccessTokenPrefix  = "bst_" // borrower session token
	HeadlessRefreshTokenPrefix = "brt_" // borrower refresh token
)

// ErrRefreshReused means a spent refresh token was presented again: its
// family has been revoked, every token of it with it.
var ErrRefreshReused = errors.New("store: refresh token reused; the session is revoked")

// HeadlessBorrower is one partner's user, as the partner's reference names them.
type HeadlessBorrower struct {
	ID          string
	PartnerID   string
	ExternalRef string
}

// SessionID is the borrower session the borrower's applications are bound to
// (NewApplication.SessionID, Redemption.SessionID): one per borrower.
func (b HeadlessBorrower) SessionID() string { return "headless:" + b.ID }

// HeadlessSession is a freshly issued token pair.
type HeadlessSession struct {
	Borrower         HeadlessBorrower
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
}

// HeadlessTTL is how long a session's tokens live.
type HeadlessTTL struct {
	Access  time.Duration
	Refresh time.Duration
}

func newSessionToken(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// StartHeadlessSession finds or makes the partner's borrower of reference
// externalRef and issues a new token family for them.
func (s *Store) StartHeadlessSession(ctx context.Context, partnerID, externalRef string, ttl HeadlessTTL) (HeadlessSession, error) {
	now := s.now().UTC()
	var out HeadlessSession
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO headless_borrowers (id, partner_id, external_ref, created_at_ms)
			VALUES (?,?,?,?) ON CONFLICT (partner_id, external_ref) DO NOTHING`, NewID(), partnerID, externalRef, ms(now)); err != nil {
			return err
		}
		b := HeadlessBorrower{PartnerID: partnerID, ExternalRef: externalRef}
		if err := tx.QueryRowContext(ctx, `SELECT id FROM headless_borrowers WHERE partner_id = ? AND external_ref = ?`,
			partnerID, externalRef).Scan(&b.ID); err != nil {
			return err
		}
		var err error
		out, err = issueHeadlessSession(ctx, tx, b, NewID(), ttl, now)
		return err
	})
	if err != nil {
		return HeadlessSession{}, fmt.Errorf("store.StartHeadlessSession: %w", err)
	}
	return out, nil
}

func issueHeadlessSession(ctx context.Context, tx *sql.Tx, b HeadlessBorrower, family string, ttl HeadlessTTL, now time.Time) (HeadlessSession, error) {
	out := HeadlessSession{Borrower: b,
		AccessToken: newSessionToken(HeadlessAccessTokenPrefix), AccessExpiresAt: now.Add(ttl.Access).Truncate(time.Millisecond),
		RefreshToken: newSessionToken(HeadlessRefreshTokenPrefix), RefreshExpiresAt: now.Add(ttl.Refresh).Truncate(time.Millisecond)}
	_, err := tx.ExecContext(ctx, `INSERT INTO headless_sessions (id, family_id, borrower_id, access_hash, access_expires_ms,
		refresh_hash, refresh_expires_ms, created_at_ms) VALUES (?,?,?,?,?,?,?,?)`,
		NewID(), family, b.ID, tokenHash(out.AccessToken), ms(out.AccessExpiresAt),
		tokenHash(out.RefreshToken), ms(out.RefreshExpiresAt), ms(now))
	return out, err
}

// RefreshHeadlessSession spends a refresh token and issues the next pair of
// its family. An unknown, expired or revoked token is ErrNotFound; a spent
// one revokes the family and is ErrRefreshReused.
func (s *Store) RefreshHeadlessSession(ctx context.Context, refreshToken string, ttl HeadlessTTL) (HeadlessSession, error) {
	now := s.now().UTC()
	var out HeadlessSession
	reused := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		reused = false
		var id, family string
		var expires int64
		var spent, revoked sql.NullInt64
		var b HeadlessBorrower
		err := tx.QueryRowContext(ctx, `SELECT s.id, s.family_id, s.refresh_expires_ms, s.refresh_spent_at_ms, s.revoked_at_ms,
			b.id, b.partner_id, b.external_ref
			FROM headless_sessions s JOIN headless_borrowers b ON b.id = s.borrower_id WHERE s.refresh_hash = ?`,
			tokenHash(refreshToken)).Scan(&id, &family, &expires, &spent, &revoked, &b.ID, &b.PartnerID, &b.ExternalRef)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case revoked.Valid:
			return ErrNotFound
		case spent.Valid:
			reused = true
			_, err := tx.ExecContext(ctx, `UPDATE headless_sessions SET revoked_at_ms = ? WHERE family_id = ? AND revoked_at_ms IS NULL`,
				ms(now), family)
			return err // committed: the revocation must hold
		case ms(now) >= expires:
			return ErrNotFound
		}
		res, err := tx.ExecContext(ctx, `UPDATE headless_sessions SET refresh_spent_at_ms = ? WHERE id = ? AND refresh_spent_at_ms IS NULL`,
			ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		out, err = issueHeadlessSession(ctx, tx, b, family, ttl, now)
		return err
	})
	if err == nil && reused {
		err = ErrRefreshReused
	}
	if err != nil {
		return HeadlessSession{}, fmt.Errorf("store.RefreshHeadlessSession: %w", err)
	}
	return out, nil
}

// HeadlessBorrowerByAccessToken is the borrower a session token belongs to,
// while it is neither expired nor revoked; ErrNotFound otherwise.
func (s *Store) HeadlessBorrowerByAccessToken(ctx context.Context, accessToken string) (HeadlessBorrower, error) {
	var b HeadlessBorrower
	err := s.r.QueryRowContext(ctx, `SELECT b.id, b.partner_id, b.external_ref
		FROM headless_sessions s JOIN headless_borrowers b ON b.id = s.borrower_id
		JOIN partners p ON p.id = b.partner_id
		WHERE s.access_hash = ? AND s.access_expires_ms > ? AND s.revoked_at_ms IS NULL AND p.status = 'active'`,
		tokenHash(accessToken), ms(s.now().UTC())).Scan(&b.ID, &b.PartnerID, &b.ExternalRef)
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("store.HeadlessBorrowerByAccessToken: %w", ErrNotFound)
	}
	if err != nil {
		return b, fmt.Errorf("store.HeadlessBorrowerByAccessToken: %w", err)
	}
	return b, nil
}
