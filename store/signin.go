package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"prequal/lending"
)

// ErrBadCredentials means the email or the password was wrong; which one is not said.
var ErrBadCredentials = errors.New("store: wrong email or password")

// ErrThrottled is matched (errors.Is) by a *ThrottledError.
var ErrThrottled = errors.New("store: too many failed sign-ins")

// ThrottledError refuses a sign-in attempt without checking the password because
// too many attempts failed recently for the account or the client's IP.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; retry after %s", e.RetryAfter)
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// SignInAttempt is what a sign-in form posted, with where it came from.
type SignInAttempt struct {
	Email     string
	Password  string
	IP        string
	UserAgent string
}

var (
	dummyHashOnce sync.Once
	dummyHash     string
)

// SignIn checks an officer's email and password and records the attempt in the
// audit log (never the password).
//
// The attempt is counted as a failure for each of its throttle keys
// (lending.SignInThrottleKeys: the account from this client, the client) before
// the password is checked, and forgiven when it turns out right, so parallel
// guesses cannot slip past the limit. While either counter is blocked
// (lending.SignInDelay) the attempt is refused with a *ThrottledError and the
// password is not checked; refusals are audited in aggregate. An unknown email
// costs the same hashing work as a wrong password, so timing does not tell which
// accounts exist.
func (s *Store) SignIn(ctx context.Context, a SignInAttempt) (lending.Officer, error) {
	email := truncate(lending.NormalizeOfficerEmail(a.Email), lending.MaxEmailLength)
	var o lending.Officer
	err := s.checkSignIn(ctx, signInCheck{
		keys:     lending.SignInThrottleKeys(email, a.IP),
		password: a.Password,
		audit:    AuditEntry{OfficerEmail: email, Action: AuditSignIn, IP: a.IP, UserAgent: a.UserAgent},
		find: func(ctx context.Context) (string, error) {
			var hash string
			var err error
			o, hash, err = s.officerByEmail(ctx, email)
			return hash, err
		},
		succeeded: func(ctx context.Context, tx *sql.Tx, now time.Time, audit *AuditEntry) error {
			if _, err := tx.ExecContext(ctx, `UPDATE officers SET last_sign_in_at_ms = ? WHERE id = ?`, ms(now), o.ID); err != nil {
				return err
			}
			audit.OfficerID = o.ID
			o.LastSignInAt = now
			return nil
		},
	})
	if err != nil {
		return lending.Officer{}, fmt.Errorf("store.SignIn: %w", err)
	}
	return o, nil
}

// signInCheck is one kind of account's sign-in: its throttle keys, its audit
// entry, how to find the account's password hash (ErrNotFound, or an empty
// hash, for none) and what a success writes besides the audit.
type signInCheck struct {
	keys      []string
	password  string
	audit     AuditEntry
	find      func(ctx context.Context) (hash string, err error)
	succeeded func(ctx context.Context, tx *sql.Tx, now time.Time, audit *AuditEntry) error
}

// checkSignIn runs a sign-in with throttling and audit, for officers and
// partners alike. The attempt is counted as a failure for each throttle key
// before the password is checked, and forgiven when it turns out right, so
// parallel guesses cannot slip past the limit. While any key is blocked
// (lending.SignInDelay) the attempt is refused with a *ThrottledError and the
// password is not checked; refusals are audited in aggregate. An unknown
// account costs the same hashing work as a wrong password, so timing does not
// tell which accounts exist. A wrong password is ErrBadCredentials.
func (s *Store) checkSignIn(ctx context.Context, c signInCheck) error {
	var wait time.Duration
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		var err error
		if wait, err = blockedFor(ctx, tx, c.keys, now); err != nil || wait > 0 {
			if err == nil {
				err = addThrottledAudit(ctx, tx, now, c.audit)
			}
			return err
		}
		return countFailure(ctx, tx, c.keys, now)
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}

	hash, err := c.find(ctx)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	known := err == nil && hash != ""
	if !known {
		dummyHashOnce.Do(func() { dummyHash = HashPassword("not the password of anyone") })
		hash = dummyHash
	}
	ok := VerifyPassword(c.password, hash) && known
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.now().UTC()
		audit := c.audit
		if !ok {
			audit.Outcome = OutcomeFailed
			return addAudit(ctx, tx, now, audit)
		}
		if err := forgiveAttempt(ctx, tx, c.keys); err != nil {
			return err
		}
		if err := c.succeeded(ctx, tx, now, &audit); err != nil {
			return err
		}
		audit.Outcome = OutcomeOK
		return addAudit(ctx, tx, now, audit)
	})
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadCredentials
	}
	return nil
}

// blockedFor returns how long the longest block among keys still lasts.
func blockedFor(ctx context.Context, tx *sql.Tx, keys []string, now time.Time) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		var until int64
		err := tx.QueryRowContext(ctx, `SELECT blocked_until_ms FROM signin_throttle WHERE throttle_key = ?`, k).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, err
		}
		wait = max(wait, fromMS(until).Sub(now))
	}
	return wait, nil
}

// countFailure adds one failure to each key; failures older than the window are
// forgotten first. Reaching the limit blocks the key for lending.SignInDelay.
func countFailure(ctx context.Context, tx *sql.Tx, keys []string, now time.Time) error {
	for _, k := range keys {
		var failures int
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT failures, last_failure_at_ms FROM signin_throttle WHERE throttle_key = ?`, k).Scan(&failures, &last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			failures = 0
		case err != nil:
			return err
		case now.Sub(fromMS(last)) > lending.SignInFailureWindow:
			failures = 0
		}
		failures++
		blocked := int64(0)
		if d := lending.SignInDelay(failures); d > 0 {
			blocked = ms(now.Add(d))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signin_throttle
			(throttle_key, failures, first_failure_at_ms, last_failure_at_ms, blocked_until_ms) VALUES (?,?,?,?,?)
			ON CONFLICT (throttle_key) DO UPDATE SET failures = excluded.failures, last_failure_at_ms = excluded.last_failure_at_ms,
				blocked_until_ms = excluded.blocked_until_ms,
				first_failure_at_ms = CASE WHEN excluded.failures = 1 THEN excluded.first_failure_at_ms ELSE signin_throttle.first_failure_at_ms END`,
			k, failures, ms(now), ms(now), blocked); err != nil {
			return err
		}
	}
	return nil
}

// throttledAuditWindow is how long refused sign-ins of one account from one
// client keep adding to the same audit row: a block lasts at most
// lending.SignInMaxDelay, so one row covers a block and the refusals around it.
const throttledAuditWindow = lending.SignInMaxDelay

// addThrottledAudit records a refused sign-in: it counts it on the latest
// throttled row of the same account and client within throttledAuditWindow, or
// starts a row. A flood of refused attempts writes one row, not one each.
func addThrottledAudit(ctx context.Context, tx *sql.Tx, now time.Time, e AuditEntry) error {
	res, err := tx.ExecContext(ctx, `UPDATE audit_log SET attempts = attempts + 1, last_at_ms = ?
		WHERE id = (SELECT id FROM audit_log WHERE action = ? AND outcome = ? AND officer_email = ? AND ip = ? AND at_ms >= ?
			ORDER BY id DESC LIMIT 1)`,
		ms(now), e.Action, OutcomeThrottled, e.OfficerEmail, e.IP, ms(now.Add(-throttledAuditWindow)))
	if err != nil {
		return fmt.Errorf("add throttled audit: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	e.Outcome = OutcomeThrottled
	return addAudit(ctx, tx, now, e)
}

// forgiveAttempt undoes countFailure for a successful sign-in: the right
// password shows this client's failures on this account were the officer's own
// typos, so the account's counter for this client is cleared and the client's
// counter loses them (other accounts' failures from the same client still count).
func forgiveAttempt(ctx context.Context, tx *sql.Tx, keys []string) error {
	var own int
	err := tx.QueryRowContext(ctx, `SELECT failures FROM signin_throttle WHERE throttle_key = ?`, keys[0]).Scan(&own)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM signin_throttle WHERE throttle_key = ?`, keys[0]); err != nil {
		return err
	}
	forgiven := max(own, 1) // at least this attempt, counted before the check
	for _, k := range keys[1:] {
		if _, err := tx.ExecContext(ctx, `UPDATE signin_throttle
			SET failures = CASE WHEN failures > ? THEN failures - ? ELSE 0 END,
				blocked_until_ms = CASE WHEN failures - ? < ? THEN 0 ELSE blocked_until_ms END
			WHERE throttle_key = ?`,
			forgiven, forgiven, forgiven, lending.SignInFreeFailures, k); err != nil {
			return err
		}
	}
	return nil
}
