package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"prequal/lending"
)

// progressColumns are what the checking-rates poll shows and decides from: the
// journey's inputs (lead status, submit error, review status) and the progress
// and interval it draws (lead uuid, attempt, times).
const progressColumns = `id, created_at_ms, coalesce(lead_uuid, ''), lead_status, lead_attempt,
	lead_status_at_ms, submit_error, review_status`

// ApplicationProgressForSession is ApplicationForSession for the checking-rates
// poll, which every waiting borrower sends every few seconds. It fills only ID,
// CreatedAt, Lead.UUID, Lead.Status, Lead.Attempt, Lead.StatusAt,
// Lead.SubmitError and Review.Status: enough for Journey, WaitingSince and the
// progress steps, and no borrower data. Reading the whole row cost most of the
// poll's time (SQLite's per-column work for some forty columns). Another
// session gets ErrNotFound.
func (s *Store) ApplicationProgressForSession(ctx context.Context, id, sessionID string) (lending.Application, error) {
	var (
		a                  lending.Application
		createdMS, stateMS int64
		leadStatus, review string
	)
	err := s.readRow(ctx, `SELECT `+progressColumns+` FROM applications WHERE id = ? AND `+boundToSession, id, sessionID, sessionID).
		Scan(&a.ID, &createdMS, &a.Lead.UUID, &leadStatus, &a.Lead.Attempt, &stateMS, &a.Lead.SubmitError, &review)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return lending.Application{}, fmt.Errorf("store.ApplicationProgressForSession: %w", err)
	}
	a.CreatedAt, a.Lead.StatusAt = fromMS(createdMS), fromMS(stateMS)
	a.Lead.Status, a.Review.Status = lending.LeadStatus(leadStatus), lending.ReviewStatus(review)
	return a, nil
}
