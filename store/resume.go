package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// Resume links (lending.ResumeToken): tokens are issued with the emails that
// carry them, checked and spent here, and a spent token binds its application
// to the borrower session that spent it. The web (/resume/{token}) and the
// headless API's resume use these same calls.

// issueResumeToken records a new single-use token for the application and the
// address it is sent to, within tx, and returns its id.
func (s *Store) issueResumeToken(ctx context.Context, tx *sql.Tx, applicationID, email string, now time.Time) (string, error) {
	t := lending.NewResumeToken(NewID(), applicationID, now)
	if _, err := s.txExec(ctx, tx, `INSERT INTO resume_tokens (id, application_id, email, issued_at_ms, expires_at_ms)
		VALUES (?,?,?,?,?)`, t.ID, applicationID, email, ms(now), ms(t.ExpiresAt)); err != nil {
		return "", fmt.Errorf("issue resume token: %w", err)
	}
	return t.ID, nil
}

// IssueResumeToken issues a resume token for the application, bound to the
// address it has now, and returns its signed text (for a caller that delivers
// it some other way than the outbox's emails).
func (s *Store) IssueResumeToken(ctx context.Context, applicationID string) (string, error) {
	now := s.now().UTC()
	var text string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, `SELECT email FROM applications WHERE id = ?`, applicationID).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		email = lending.NormalizeEmail(email)
		id, err := s.issueResumeToken(ctx, tx, applicationID, email, now)
		if err != nil {
			return err
		}
		text = lending.NewResumeToken(id, applicationID, now).Sign(s.sealer.resumeKey, email)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store.IssueResumeToken: %w", err)
	}
	return text, nil
}

// querier is what checkResumeToken reads through: the reader pool or a write
// transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkResumeToken applies every rule but spending: the token's record exists
// and matches it, it was issued to the address the application has now (the
// binding), its signature holds for that address, it has not expired
// (lending.VerifyResumeToken) and it is not spent.
func (s *Store) checkResumeToken(ctx context.Context, q querier, text string, now time.Time) (lending.ResumeToken, error) {
	t, err := lending.ParseResumeToken(text)
	if err != nil {
		return t, err
	}
	var appID, boundEmail, appEmail string
	var expires int64
	var spent sql.NullInt64
	err = q.QueryRowContext(ctx, `SELECT r.application_id, r.email, r.expires_at_ms, r.spent_at_ms, a.email
		FROM resume_tokens r JOIN applications a ON a.id = r.application_id WHERE r.id = ?`, t.ID).
		Scan(&appID, &boundEmail, &expires, &spent, &appEmail)
	if errors.Is(err, sql.ErrNoRows) {
		return t, lending.ErrResumeTokenInvalid
	}
	if err != nil {
		return t, err
	}
	if appID != t.ApplicationID || !fromMS(expires).Equal(t.ExpiresAt) || boundEmail != lending.NormalizeEmail(appEmail) {
		return t, lending.ErrResumeTokenInvalid
	}
	if t, err = lending.VerifyResumeToken(text, s.sealer.resumeKey, appEmail, now); err != nil {
		return t, err
	}
	if spent.Valid {
		return t, lending.ErrResumeTokenSpent
	}
	return t, nil
}

// CheckResumeToken reports whether a resume token would be accepted now,
// without spending it, and for which application: lending.ErrResumeTokenInvalid,
// ErrResumeTokenExpired or ErrResumeTokenSpent when not. Opening a link shows
// what it resumes first and spends it only on the borrower's click, so mail
// scanners that fetch links do not use them up.
func (s *Store) CheckResumeToken(ctx context.Context, text string) (lending.Application, error) {
	t, err := s.checkResumeToken(ctx, s.r, text, s.now().UTC())
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.CheckResumeToken: %w", err)
	}
	app, err := s.Application(ctx, t.ApplicationID)
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.CheckResumeToken: %w", err)
	}
	return app, nil
}

// Redemption is who spends a resume token.
type Redemption struct {
	// SessionID is the borrower session the application is bound to from now on
	// (a browser's session, or a headless API borrower session).
	SessionID string
	// ApplicationID, when set, is the application the caller resumes: a token
	// for any other is ErrResumeTokenInvalid (the headless API's
	// PATCH /journeys/{id}/resume names its journey).
	ApplicationID string
	Source        string // lending.SourceBorrower, or the API's source
	IP, UserAgent string
}

// RedeemResumeToken checks and spends a resume token in one transaction: the
// token is spent (a second use is ErrResumeTokenSpent), its application is
// bound to r.SessionID besides the session it was created in, the email
// address is confirmed (it received the link), and the timeline says so.
func (s *Store) RedeemResumeToken(ctx context.Context, text string, r Redemption) (lending.Application, error) {
	if r.SessionID == "" {
		return lending.Application{}, errors.New("store.RedeemResumeToken: no session to bind")
	}
	now := s.now().UTC()
	var appID string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t, err := s.checkResumeToken(ctx, tx, text, now)
		if err != nil {
			return err
		}
		if r.ApplicationID != "" && r.ApplicationID != t.ApplicationID {
			return lending.ErrResumeTokenInvalid
		}
		appID = t.ApplicationID
		res, err := tx.ExecContext(ctx, `UPDATE resume_tokens SET spent_at_ms = ?, spent_by_session = ?
			WHERE id = ? AND spent_at_ms IS NULL`, ms(now), r.SessionID, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return lending.ErrResumeTokenSpent
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO application_sessions (application_id, session_id, bound_at_ms)
			VALUES (?,?,?) ON CONFLICT (application_id, session_id) DO NOTHING`, appID, r.SessionID, ms(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET email_confirmed_at_ms = coalesce(email_confirmed_at_ms, ?)
			WHERE id = ?`, ms(now), appID); err != nil {
			return err
		}
		source := r.Source
		if source == "" {
			source = lending.SourceBorrower
		}
		detail := "resume link opened: this session now has the application; email address confirmed"
		if r.IP != "" {
			detail += " (from " + r.IP + ")"
		}
		return s.addEvent(ctx, tx, appID, now, lending.Event{Kind: lending.EventResumeLinkUsed, Source: source, Detail: detail})
	})
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.RedeemResumeToken: %w", err)
	}
	app, err := s.Application(ctx, appID)
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.RedeemResumeToken: %w", err)
	}
	return app, nil
}

// ResumeLinkOutcome is what a "Send me a link" request did. Only IPLimited may
// change the borrower's answer: nothing else says whether the address has
// applications.
type ResumeLinkOutcome struct {
	IPLimited bool // the client's network is over lending.MaxResumeLinkRequestsPerIP
	Queued    int  // emails queued (0 for an unknown or throttled address)
}

// RequestResumeLinks handles "Send me a link": within the limits of
// lending.ResumeLinkRequestAllowed (counted per address — by a keyed hash, never
// the address typed — and per IP, known and unknown addresses alike), it queues
// a resume-link email for each of the address's most recent applications
// (lending.MaxResumeLinksPerRequest, no older than lending.ResumeLinkLookback).
// Known and unknown addresses take the same path up to that look-up.
func (s *Store) RequestResumeLinks(ctx context.Context, email, ip string) (ResumeLinkOutcome, error) {
	now := s.now().UTC()
	email = lending.NormalizeEmail(email)
	addressKey := "address:" + s.sealer.Fingerprint("resume-link:"+email)
	ipKey := "ip:" + ip
	var out ResumeLinkOutcome
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = ResumeLinkOutcome{}
		// Requests older than a day count for nothing any more.
		if _, err := tx.ExecContext(ctx, `DELETE FROM resume_link_requests WHERE at_ms < ?`, ms(now.Add(-24*time.Hour))); err != nil {
			return err
		}
		since := ms(now.Add(-lending.ResumeLinkWindow))
		var byAddress, byIP int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM resume_link_requests WHERE throttle_key = ? AND at_ms >= ?`,
			addressKey, since).Scan(&byAddress); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM resume_link_requests WHERE throttle_key = ? AND at_ms >= ?`,
			ipKey, since).Scan(&byIP); err != nil {
			return err
		}
		allowed, ipLimited := lending.ResumeLinkRequestAllowed(byAddress, byIP)
		out.IPLimited = ipLimited
		if ipLimited {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO resume_link_requests (throttle_key, at_ms) VALUES (?,?), (?,?)`,
			addressKey, ms(now), ipKey, ms(now)); err != nil {
			return err
		}
		if !allowed {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM applications WHERE email = ? AND created_at_ms >= ?
			ORDER BY created_at_ms DESC LIMIT ?`, email, ms(now.Add(-lending.ResumeLinkLookback)), lending.MaxResumeLinksPerRequest)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.enqueueMail(ctx, tx, id, email, lending.MailResumeLink, NewID(), now); err != nil {
				return err
			}
			out.Queued++
		}
		return rows.Err()
	})
	if err != nil {
		return ResumeLinkOutcome{}, fmt.Errorf("store.RequestResumeLinks: %w", err)
	}
	return out, nil
}
