package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Audit actions that are not lending.OfficerAction values (those are recorded
// under their own names).
const (
	AuditSignIn         = "sign_in"
	AuditSignOut        = "sign_out"
	AuditOfficerCreated = "officer_created"
	AuditPasswordSet    = "password_set"
	AuditRevealPII      = "reveal_pii"
	AuditExportCSV      = "export_csv"
	AuditReviewApproved = "review_approved"
	AuditReviewDenied   = "review_denied"
)

// Audit outcomes.
const (
	OutcomeOK        = "ok"
	OutcomeFailed    = "failed"    // wrong email or password
	OutcomeThrottled = "throttled" // refused before checking the password
)

// AuditEntry is one line of the audit log. It never holds a password, an SSN or a
// date of birth.
type AuditEntry struct {
	ID            int64
	At            time.Time
	OfficerID     string
	OfficerEmail  string
	Action        string
	Outcome       string // OutcomeOK when empty on write
	ApplicationID string
	Note          string
	Detail        string
	IP            string
	UserAgent     string
	// Attempts is how many attempts one aggregated row stands for (throttled
	// sign-ins), the last of them at LastAt; 1 and At for every other row.
	Attempts int
	LastAt   time.Time
}

func addAudit(ctx context.Context, tx *sql.Tx, at time.Time, e AuditEntry) error {
	if e.Outcome == "" {
		e.Outcome = OutcomeOK
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(at_ms, officer_id, officer_email, action, outcome, application_id, note, detail, ip, user_agent, attempts, last_at_ms)
		VALUES (?,?,?,?,?,?,?,?,?,?,1,?)`,
		ms(at), e.OfficerID, e.OfficerEmail, e.Action, e.Outcome, e.ApplicationID, e.Note, e.Detail, e.IP, truncate(e.UserAgent, 300), ms(at))
	if err != nil {
		return fmt.Errorf("add audit %s: %w", e.Action, err)
	}
	return nil
}

// AddAudit records one audit entry (its At is set now).
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error { return addAudit(ctx, tx, s.now().UTC(), e) })
	if err != nil {
		return fmt.Errorf("store.AddAudit: %w", err)
	}
	return nil
}

// AuditFilter narrows AuditLog; empty fields match everything.
type AuditFilter struct {
	ApplicationID string
	Action        string
	Limit         int // default 100
}

// AuditLog returns audit entries, newest first.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	if f.ApplicationID != "" {
		where, args = append(where, "application_id = ?"), append(args, f.ApplicationID)
	}
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := `SELECT id, at_ms, officer_id, officer_email, action, outcome, application_id, note, detail, ip, user_agent, attempts, last_at_ms FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	rows, err := s.r.QueryContext(ctx, q, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store.AuditLog: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at, last int64
		if err := rows.Scan(&e.ID, &at, &e.OfficerID, &e.OfficerEmail, &e.Action, &e.Outcome, &e.ApplicationID,
			&e.Note, &e.Detail, &e.IP, &e.UserAgent, &e.Attempts, &last); err != nil {
			return nil, fmt.Errorf("store.AuditLog: %w", err)
		}
		e.At, e.LastAt = fromMS(at), fromMS(last)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.AuditLog: %w", err)
	}
	return out, nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
