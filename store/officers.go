package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"prequal/lending"
)

// Officer errors.
var (
	ErrOfficerExists  = errors.New("store: an officer with this email already exists")
	ErrInvalidOfficer = errors.New("store: invalid officer")
)

// NewOfficer is an officer account to create.
type NewOfficer struct {
	Email    string
	Role     lending.OfficerRole
	Password string
	// By is the admin creating the account; zero means the command line.
	By lending.Officer
	IP string
}

// CreateOfficer stores a new officer with an argon2id hash of the password and
// records it in the audit log.
func (s *Store) CreateOfficer(ctx context.Context, in NewOfficer) (lending.Officer, error) {
	email := lending.NormalizeOfficerEmail(in.Email)
	if msg := lending.ValidateOfficerEmail(email); msg != "" {
		return lending.Officer{}, fmt.Errorf("store.CreateOfficer: %w: email: %s", ErrInvalidOfficer, msg)
	}
	if _, err := lending.ParseOfficerRole(string(in.Role)); err != nil {
		return lending.Officer{}, fmt.Errorf("store.CreateOfficer: %w: %w", ErrInvalidOfficer, err)
	}
	if msg := lending.ValidatePassword(in.Password); msg != "" {
		return lending.Officer{}, fmt.Errorf("store.CreateOfficer: %w: password: %s", ErrInvalidOfficer, msg)
	}
	hash := HashPassword(in.Password) // outside the transaction: it takes tens of milliseconds
	now := s.now().UTC()
	o := lending.Officer{ID: NewID(), Email: email, Role: in.Role, CreatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM officers WHERE email = ?)`, email).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return ErrOfficerExists
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO officers (id, email, role, password_hash, created_at_ms) VALUES (?,?,?,?,?)`,
			o.ID, o.Email, string(o.Role), hash, ms(now)); err != nil {
			if uniqueViolation(err) { // created meanwhile by another instance
				return ErrOfficerExists
			}
			return err
		}
		return addAudit(ctx, tx, now, AuditEntry{OfficerID: in.By.ID, OfficerEmail: actorEmail(in.By), Action: AuditOfficerCreated,
			Detail: fmt.Sprintf("created %s with role %s", o.Email, o.Role), IP: in.IP})
	})
	if err != nil {
		return lending.Officer{}, fmt.Errorf("store.CreateOfficer: %w", err)
	}
	return o, nil
}

// EnsureOfficer makes sure an officer with this email, role and password exists:
// it creates the account, or resets the role and password of an existing one. The
// stage demo officer uses it at every start, so the printed password always works
// (also when two instances start at once and race to create it).
func (s *Store) EnsureOfficer(ctx context.Context, email string, role lending.OfficerRole, password string) (created bool, err error) {
	o, hash, err := s.officerByEmail(ctx, lending.NormalizeOfficerEmail(email))
	if errors.Is(err, ErrNotFound) {
		_, err = s.CreateOfficer(ctx, NewOfficer{Email: email, Role: role, Password: password})
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, ErrOfficerExists) {
			return false, fmt.Errorf("store.EnsureOfficer: %w", err)
		}
		o, hash, err = s.officerByEmail(ctx, lending.NormalizeOfficerEmail(email))
	}
	if err != nil {
		return false, fmt.Errorf("store.EnsureOfficer: %w", err)
	}
	if o.Role == role && VerifyPassword(password, hash) {
		return false, nil
	}
	if msg := lending.ValidatePassword(password); msg != "" {
		return false, fmt.Errorf("store.EnsureOfficer: %w: password: %s", ErrInvalidOfficer, msg)
	}
	newHash := HashPassword(password)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE officers SET role = ?, password_hash = ? WHERE id = ?`, string(role), newHash, o.ID); err != nil {
			return err
		}
		// A new password ends the sessions signed in with the old one.
		if _, err := tx.ExecContext(ctx, `DELETE FROM officer_sessions WHERE officer_id = ?`, o.ID); err != nil {
			return err
		}
		return addAudit(ctx, tx, s.now().UTC(), AuditEntry{OfficerEmail: "command line", Action: AuditPasswordSet,
			Detail: fmt.Sprintf("reset %s with role %s", o.Email, role)})
	})
	if err != nil {
		return false, fmt.Errorf("store.EnsureOfficer: %w", err)
	}
	return false, nil
}

const officerColumns = `id, email, role, created_at_ms, last_sign_in_at_ms`

func scanOfficer(row rowScanner, extra ...any) (lending.Officer, error) {
	var o lending.Officer
	var role string
	var created int64
	var lastSignIn sql.NullInt64
	err := row.Scan(append([]any{&o.ID, &o.Email, &role, &created, &lastSignIn}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	if err != nil {
		return o, err
	}
	o.Role, o.CreatedAt, o.LastSignInAt = lending.OfficerRole(role), fromMS(created), fromNullMS(lastSignIn)
	return o, nil
}

// officerByEmail returns the officer and the password hash.
func (s *Store) officerByEmail(ctx context.Context, email string) (lending.Officer, string, error) {
	var hash string
	o, err := scanOfficer(s.r.QueryRowContext(ctx, `SELECT `+officerColumns+`, password_hash FROM officers WHERE email = ?`, email), &hash)
	return o, hash, err
}

// Officer returns one officer by id.
func (s *Store) Officer(ctx context.Context, id string) (lending.Officer, error) {
	o, err := scanOfficer(s.r.QueryRowContext(ctx, `SELECT `+officerColumns+` FROM officers WHERE id = ?`, id))
	if err != nil {
		return o, fmt.Errorf("store.Officer: %w", err)
	}
	return o, nil
}

// Officers lists every officer account by email.
func (s *Store) Officers(ctx context.Context) ([]lending.Officer, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+officerColumns+` FROM officers ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("store.Officers: %w", err)
	}
	defer rows.Close()
	var out []lending.Officer
	for rows.Next() {
		o, err := scanOfficer(rows)
		if err != nil {
			return nil, fmt.Errorf("store.Officers: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.Officers: %w", err)
	}
	return out, nil
}

// actorEmail names who did something in the audit log.
func actorEmail(o lending.Officer) string {
	if o.ID == "" {
		return "command line"
	}
	return o.Email
}
