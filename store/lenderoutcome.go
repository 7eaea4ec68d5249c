package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"prequal/lending"
)

// applyLenderOutcome records the lender's decision on the selected product when
// it moves the application's outcome forward (lending.NextLenderOutcome), with a
// lender_outcome event on the timeline, the journey.snapshot of a headless
// journey and any status event, all in tx; a repeated or stale report changes
// nothing. An outcome about another product than the selected one is noted on
// the timeline and not applied.
func (s *Store) applyLenderOutcome(ctx context.Context, tx *sql.Tx, applicationID string, o lending.LenderOutcome, source string, now time.Time) error {
	var current, selected string
	if err := tx.QueryRowContext(ctx, `SELECT lender_outcome, coalesce(selected_product_id, '') FROM applications WHERE id = ?`,
		applicationID).Scan(&current, &selected); err != nil {
		return err
	}
	if selected == "" || o.ProductID != selected {
		return s.addEvent(ctx, tx, applicationID, now, lending.Event{Kind: lending.EventLenderOutcome, Source: source,
			StatusTo: string(o.Status), Detail: "about product " + o.ProductID + ", which is not the selected one; ignored"})
	}
	if !lending.NextLenderOutcome(lending.LenderOutcomeStatus(current), o.Status) {
		return nil
	}
	reasons := lending.CleanLenderOutcomeReasons(o.Reasons)
	if o.Status != lending.LenderDeclined {
		reasons = nil
	}
	reasonsJSON, err := json.Marshal(append([]string{}, reasons...))
	if err != nil {
		return err
	}
	before, err := takeStatusSnapshot(ctx, tx, applicationID)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE applications SET lender_outcome = ?, lender_outcome_product_id = ?,
		lender_outcome_reasons = ?, lender_outcome_at_ms = ?, updated_at_ms = ? WHERE id = ?`,
		string(o.Status), o.ProductID, string(reasonsJSON), ms(now), ms(now), applicationID); err != nil {
		return err
	}
	detail := "the lender " + string(o.Status) + " the loan"
	if len(reasons) > 0 {
		detail += ": " + strings.Join(reasons, "; ")
	}
	// The timeline event writes the journey.snapshot of a headless journey
	// (LENDER_PROCESSING, DISBURSED or REJECTED: lending.DecideJourneyState);
	// seeds 003/004's statuses do not read the lender's outcome (README), so
	// emitStatusEvents finds nothing moved today, but an outcome takes the
	// status-change path like every other change of the facts.
	if err := s.addEvent(ctx, tx, applicationID, now, lending.Event{Kind: lending.EventLenderOutcome, Source: source,
		StatusFrom: current, StatusTo: string(o.Status), Detail: detail}); err != nil {
		return err
	}
	return s.emitStatusEvents(ctx, tx, applicationID, before)
}
