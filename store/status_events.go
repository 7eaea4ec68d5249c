package store

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"prequal/lending"
)

// statusSnapshot is the seed 003 and seed 004 status of an application and of
// the credit applications about it, taken inside a transaction before a change,
// so that emitStatusEvents can tell afterwards what the change moved.
type statusSnapshot map[string]statusPair // "" for the application, else a credit application id

type statusPair struct {
	credit lending.ReviewStatus
	loc    lending.LoCStatus
}

// applicationFacts reads an application's status facts inside tx.
func applicationFacts(ctx context.Context, tx *sql.Tx, id string) (lending.StatusFacts, error) {
	var review, lead, answer string
	var submitted sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT review_status, lead_status, lead_submitted_at_ms, customer_answer
		FROM applications WHERE id = ?`, id).Scan(&review, &lead, &submitted, &answer)
	if err != nil {
		return lending.StatusFacts{}, err
	}
	return lending.StatusFacts{Review: lending.ReviewStatus(review), Lead: lending.LeadStatus(lead),
		LeadSubmitted: submitted.Valid, Answer: lending.CustomerAnswer(answer)}, nil
}

// takeStatusSnapshot reads the statuses of application id and its credit applications.
func takeStatusSnapshot(ctx context.Context, tx *sql.Tx, id string) (statusSnapshot, error) {
	app, err := applicationFacts(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	snap := statusSnapshot{"": {lending.CreditStatus(app), lending.LineOfCreditStatus(app)}}
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, review_status, customer_answer FROM credit_applications
		WHERE application_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var caID, kind, review, answer string
		if err := rows.Scan(&caID, &kind, &review, &answer); err != nil {
			return nil, err
		}
		f := creditFacts(creditKind(kind), lending.ReviewStatus(review), lending.CustomerAnswer(answer), app)
		snap[caID] = statusPair{lending.CreditStatus(f), lending.LineOfCreditStatus(f)}
	}
	return snap, rows.Err()
}

// creditFacts are a credit application's facts: its own decision and answer,
// and for an onboarding one its application's review, lead and answer.
func creditFacts(kind creditKind, review lending.ReviewStatus, answer lending.CustomerAnswer, app lending.StatusFacts) lending.StatusFacts {
	f := lending.StatusFacts{Review: review, Answer: answer}
	if kind == CreditOnboarding {
		f.ApplicationReview, f.Lead, f.LeadSubmitted = app.Review, app.Lead, app.LeadSubmitted
		if f.Answer == "" {
			f.Answer = app.Answer
		}
	}
	return f
}

// emitStatusEvents writes a partner event for every status that moved since
// before (takeStatusSnapshot): creditApplication.<status> (seed 003's naming)
// when the seed 003 status moved, application.<STATUS> when seed 004's did.
func (s *Store) emitStatusEvents(ctx context.Context, tx *sql.Tx, applicationID string, before statusSnapshot) error {
	after, err := takeStatusSnapshot(ctx, tx, applicationID)
	if err != nil {
		return err
	}
	// The application first, then its credit applications in id order.
	ids := []string{""}
	for id := range after {
		if id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids[1:])
	for _, id := range ids {
		was, now := before[id], after[id]
		payload := statusEventPayload{ApplicationID: applicationID, CreditApplicationID: id,
			Status: string(now.credit), LineOfCreditStatus: string(now.loc), PreviousStatus: string(was.credit),
			PreviousLineOfCreditStatus: string(was.loc), OccurredAt: s.now().UTC().Truncate(time.Millisecond)}
		if was.credit != now.credit {
			if _, err := s.addPartnerEvent(ctx, tx, NewPartnerEvent{ApplicationID: applicationID,
				Type: lending.CreditEventType(now.credit), PayloadVersion: 1, Payload: payload}); err != nil {
				return err
			}
		}
		if was.loc != now.loc {
			if _, err := s.addPartnerEvent(ctx, tx, NewPartnerEvent{ApplicationID: applicationID,
				Type: lending.LoCEventType(now.loc), PayloadVersion: 1, Payload: payload}); err != nil {
				return err
			}
		}
	}
	return nil
}

// statusEventPayload is the payload (version 1) of the status events.
type statusEventPayload struct {
	ApplicationID              string    `json:"applicationId"`
	CreditApplicationID        string    `json:"creditApplicationId,omitempty"` // "": about the application itself
	Status                     string    `json:"status"`
	PreviousStatus             string    `json:"previousStatus,omitempty"`
	LineOfCreditStatus         string    `json:"lineOfCreditStatus"`
	PreviousLineOfCreditStatus string    `json:"previousLineOfCreditStatus,omitempty"`
	OccurredAt                 time.Time `json:"occurredAt"`
}
