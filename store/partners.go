package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"prequal/lending"
)

// Partner errors.
var (
	ErrPartnerExists    = errors.New("store: a partner with this email already exists")
	ErrInvalidPartner   = errors.New("store: invalid partner")
	ErrPartnerNotActive = errors.New("store: the partner is not active")
)

// Audit actions of partners' accounts and of admins' decisions about them.
const (
	AuditPartnerRegistered = "partner_registered"
	AuditPartnerSignIn     = "partner_sign_in"
	AuditPartnerSignOut    = "partner_sign_out"
)

// PartnerAuditEntry names a partner as the audit log records who acted: the
// audit log's actor columns hold "partner:" and its email (or id).
func PartnerAuditEntry(p lending.Partner, ip, userAgent string) AuditEntry {
	who := p.Email
	if who == "" {
		who = p.ID
	}
	return AuditEntry{OfficerEmail: "partner:" + who, IP: ip, UserAgent: userAgent}
}

// NewPartner is a developer's registration at /developers.
type NewPartner struct {
	Name     string
	Email    string
	Password string
	// Active: stage makes partners active at once; production leaves them
	// pending until an admin approves.
	Active    bool
	IP        string
	UserAgent string
}

// RegisterPartner creates a partner with a dashboard account (argon2id
// password hash, the officers' rules) and records it in the audit log. Each
// registration also counts against the client IP's registration throttle, so
// one address cannot make accounts (and argon2 work) without end: past the
// free allowance it gets a *ThrottledError.
func (s *Store) RegisterPartner(ctx context.Context, in NewPartner) (lending.Partner, error) {
	name := strings.TrimSpace(in.Name)
	email := lending.NormalizePartnerEmail(in.Email)
	if msg := lending.ValidatePartnerName(name); msg != "" {
		return lending.Partner{}, fmt.Errorf("store.RegisterPartner: %w: name: %s", ErrInvalidPartner, msg)
	}
	if msg := lending.ValidatePartnerEmail(email); msg != "" {
		return lending.Partner{}, fmt.Errorf("store.RegisterPartner: %w: email: %s", ErrInvalidPartner, msg)
	}
	if msg := lending.ValidatePassword(in.Password); msg != "" {
		return lending.Partner{}, fmt.Errorf("store.RegisterPartner: %w: password: %s", ErrInvalidPartner, msg)
	}
	throttle := []string{"register-ip:" + strings.TrimSpace(in.IP)}
	var wait time.Duration
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if wait, err = blockedFor(ctx, tx, throttle, s.now().UTC()); err != nil || wait > 0 {
			return err
		}
		return countFailure(ctx, tx, throttle, s.now().UTC())
	})
	if err != nil {
		return lending.Partner{}, fmt.Errorf("store.RegisterPartner: %w", err)
	}
	if wait > 0 {
		return lending.Partner{}, &ThrottledError{RetryAfter: wait}
	}

	hash := HashPassword(in.Password) // outside the transaction: it takes tens of milliseconds
	now := s.now().UTC().Truncate(time.Millisecond)
	p := lending.Partner{ID: NewID(), Name: name, Email: email, Status: lending.PartnerPending, CreatedAt: now}
	if in.Active {
		p.Status, p.ApprovedAt = lending.PartnerActive, now
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM partners WHERE email = ?)`, email).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return ErrPartnerExists
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO partners (id, name, email, password_hash, status, created_at_ms, approved_at_ms)
			VALUES (?,?,?,?,?,?,?)`, p.ID, p.Name, p.Email, hash, string(p.Status), ms(now), nullMS(p.ApprovedAt)); err != nil {
			return err
		}
		who := PartnerAuditEntry(p, in.IP, in.UserAgent)
		who.Action, who.Detail = AuditPartnerRegistered, fmt.Sprintf("partner %s (%s) registered, %s", p.ID, p.Name, p.Status)
		return addAudit(ctx, tx, now, who)
	})
	if err != nil {
		return lending.Partner{}, fmt.Errorf("store.RegisterPartner: %w", err)
	}
	return p, nil
}

// ensurePartner returns partner id, creating it (active, named as its id, with
// no dashboard account) when it does not exist yet.
func ensurePartner(ctx context.Context, tx *sql.Tx, id string, now time.Time) (lending.Partner, error) {
	p, err := scanPartner(tx.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = ?`, id))
	if !errors.Is(err, ErrNotFound) {
		return p, err
	}
	p = lending.Partner{ID: id, Name: id, Status: lending.PartnerActive, CreatedAt: now, ApprovedAt: now}
	_, err = tx.ExecContext(ctx, `INSERT INTO partners (id, name, status, created_at_ms, approved_at_ms) VALUES (?,?,?,?,?)`,
		p.ID, p.Name, string(p.Status), ms(now), ms(now))
	return p, err
}

// PartnerSignIn checks a partner's email and password at /developers, with the
// officers' throttling (per account and per client IP, counted before the
// password is checked) and audit. A partner of any status may sign in: the
// dashboard tells a pending or suspended partner where it stands.
func (s *Store) PartnerSignIn(ctx context.Context, a SignInAttempt) (lending.Partner, error) {
	email := truncate(lending.NormalizePartnerEmail(a.Email), lending.MaxEmailLength)
	var p lending.Partner
	err := s.checkSignIn(ctx, signInCheck{
		keys:     partnerThrottleKeys(email, a.IP),
		password: a.Password,
		audit:    AuditEntry{OfficerEmail: "partner:" + email, Action: AuditPartnerSignIn, IP: a.IP, UserAgent: a.UserAgent},
		find: func(ctx context.Context) (string, error) {
			var hash string
			var err error
			p, err = scanPartner(s.r.QueryRowContext(ctx, `SELECT `+partnerColumns+`, password_hash FROM partners WHERE email = ?`, email), &hash)
			return hash, err
		},
		succeeded: func(ctx context.Context, tx *sql.Tx, now time.Time, _ *AuditEntry) error {
			p.LastSignInAt = now
			_, err := tx.ExecContext(ctx, `UPDATE partners SET last_sign_in_at_ms = ? WHERE id = ?`, ms(now), p.ID)
			return err
		},
	})
	if err != nil {
		return lending.Partner{}, fmt.Errorf("store.PartnerSignIn: %w", err)
	}
	return p, nil
}

// partnerThrottleKeys are the officers' throttle keys with the account counted
// apart from an officer account of the same email.
func partnerThrottleKeys(email, ip string) []string {
	keys := lending.SignInThrottleKeys(email, ip)
	keys[0] = "partner-" + keys[0]
	return keys
}

// Partner returns one partner by id.
func (s *Store) Partner(ctx context.Context, id string) (lending.Partner, error) {
	p, err := scanPartner(s.r.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = ?`, id))
	if err != nil {
		return p, fmt.Errorf("store.Partner: %w", err)
	}
	return p, nil
}

// PartnerSummary is a partner with counts for the admins' list.
type PartnerSummary struct {
	lending.Partner
	ActiveKeys int
}

// Partners lists every partner, those waiting for approval first, then by name.
func (s *Store) Partners(ctx context.Context) ([]PartnerSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+partnerColumns+`,
		(SELECT count(*) FROM api_keys k WHERE k.tenant_id = partners.id AND k.revoked_at_ms IS NULL)
		FROM partners ORDER BY CASE status WHEN 'pending' THEN 0 ELSE 1 END, lower(name), id`)
	if err != nil {
		return nil, fmt.Errorf("store.Partners: %w", err)
	}
	defer rows.Close()
	var out []PartnerSummary
	for rows.Next() {
		var ps PartnerSummary
		if ps.Partner, err = scanPartner(rows, &ps.ActiveKeys); err != nil {
			return nil, fmt.Errorf("store.Partners: %w", err)
		}
		out = append(out, ps)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Partners: %w", err)
	}
	return out, nil
}

// PartnerNames returns the names of the partners ids, by id; an unknown id is
// left out.
func (s *Store) PartnerNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		var name string
		err := s.readRow(ctx, `SELECT name FROM partners WHERE id = ?`, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store.PartnerNames: %w", err)
		}
		out[id] = name
	}
	return out, nil
}

// ChangePartnerStatus applies an admin's action (approve, suspend, reinstate)
// to a partner and records it in the audit log. Suspension takes effect on the
// partner's very next API request: the key finder forgets every key it
// remembered (Store.apiKeyGen; on PostgreSQL every instance's, told by NOTIFY),
// and keys authenticate only for active partners.
func (s *Store) ChangePartnerStatus(ctx context.Context, id string, change lending.PartnerStatusChange, who AuditEntry) (lending.Partner, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	var p lending.Partner
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if p, err = scanPartner(tx.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = ?`, id)); err != nil {
			return err
		}
		to, err := lending.NextPartnerStatus(p.Status, change)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidPartner, err)
		}
		from := p.Status
		p.Status = to
		switch change {
		case lending.PartnerApprove:
			p.ApprovedAt = now
		case lending.PartnerSuspend:
			p.SuspendedAt = now
		case lending.PartnerReinstate:
			p.SuspendedAt = time.Time{}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE partners SET status = ?, approved_at_ms = ?, suspended_at_ms = ? WHERE id = ?`,
			string(p.Status), nullMS(p.ApprovedAt), nullMS(p.SuspendedAt), id); err != nil {
			return err
		}
		// Every instance's key finder forgets its keys when this commits
		// (PostgreSQL: announced; SQLite: apiKeyGen below).
		if err := s.announce(ctx, tx, topicAPIKeys); err != nil {
			return err
		}
		who.Action = "partner_" + string(change)
		who.Detail = fmt.Sprintf("partner %s (%s): %s → %s", p.ID, p.Name, from, to)
		return addAudit(ctx, tx, now, who)
	})
	s.apiKeyGen.Add(1) // even after a failure: the commit's fate may be unknown
	if err != nil {
		return lending.Partner{}, fmt.Errorf("store.ChangePartnerStatus: %w", err)
	}
	return p, nil
}

const partnerColumns = `id, name, coalesce(email, ''), status, created_at_ms, approved_at_ms, suspended_at_ms, last_sign_in_at_ms`

func scanPartner(row rowScanner, extra ...any) (lending.Partner, error) {
	var (
		p                              lending.Partner
		status                         string
		created                        int64
		approved, suspended, lastLogin sql.NullInt64
	)
	err := row.Scan(append([]any{&p.ID, &p.Name, &p.Email, &status, &created, &approved, &suspended, &lastLogin}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.Status, p.CreatedAt = lending.PartnerStatus(status), fromMS(created)
	p.ApprovedAt, p.SuspendedAt, p.LastSignInAt = fromNullMS(approved), fromNullMS(suspended), fromNullMS(lastLogin)
	return p, nil
}
