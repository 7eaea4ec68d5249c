package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// Headless journeys (seed 001): a borrower's journey is a draft (its profile,
// sealed, since it holds the SSN) until it is submitted, and from then on its
// application, made by the same one-transaction create as the web form's
// (createApplication). Every change of its state answer
// (lending.DecideJourneyState) writes a journey.snapshot partner event in the
// transaction of the change: the journey's own calls write it directly, and
// every other change of its application (callbacks, polls, the timeout sweep,
// officers) writes a timeline event, whose addEvent writes the snapshot.

// ErrJourneyLocked means the journey cannot take that call any more: its
// profile after submission, anything after cancellation, a cancellation once
// an offer is chosen or the journey is over.
var ErrJourneyLocked = errors.New("store: the journey does not allow this now")

// HeadlessJourney is one borrower's journey.
type HeadlessJourney struct {
	ID         string
	BorrowerID string
	PartnerID  string
	CreatedAt  time.Time
	Profile    lending.ProfileStage
	ProfileAt  time.Time
	CanceledAt time.Time
	// Application is the submitted journey's application (nil for a draft).
	Application *lending.Application
	// SelectedOfferURL is the chosen offer's stored lenderOfferUrl ("" until
	// an offer is chosen): where the borrower goes next.
	SelectedOfferURL string
}

// Facts are what the journey's state answer is decided from.
func (j HeadlessJourney) Facts() lending.JourneyFacts {
	return lending.JourneyFacts{StartedAt: j.CreatedAt, Profile: j.Profile, ProfileAt: j.ProfileAt,
		Canceled: !j.CanceledAt.IsZero(), CanceledAt: j.CanceledAt, Application: j.Application}
}

// JourneySnapshotPayload is a journey.snapshot event's payload (version 1):
// the public state, without platform internals.
type JourneySnapshotPayload struct {
	JourneyID      string    `json:"journeyId"`
	Status         string    `json:"status"`
	NextAction     string    `json:"nextAction"`
	ActionRequired bool      `json:"actionRequired"`
	Resource       string    `json:"resource"`
	OccurredAt     time.Time `json:"occurredAt"`
}

const journeyColumns = `j.id, j.borrower_id, j.partner_id, j.created_at_ms, j.profile_stage, j.profile_at_ms, j.canceled_at_ms,
	coalesce(j.application_id, ''), j.last_snapshot`

type journeyRow struct {
	HeadlessJourney
	applicationID string
	lastSnapshot  string
}

func scanJourney(row rowScanner) (journeyRow, error) {
	var j journeyRow
	var created int64
	var profileAt, canceledAt sql.NullInt64
	err := row.Scan(&j.ID, &j.BorrowerID, &j.PartnerID, &created, &j.Profile, &profileAt, &canceledAt, &j.applicationID, &j.lastSnapshot)
	if errors.Is(err, sql.ErrNoRows) {
		return j, ErrNotFound
	}
	j.CreatedAt, j.ProfileAt, j.CanceledAt = fromMS(created), fromNullMS(profileAt), fromNullMS(canceledAt)
	return j, err
}

// loadJourney reads one journey (where: a condition on headless_journeys j)
// with its application, through q (the reader pool or a transaction).
func loadJourney(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, where string, args ...any) (journeyRow, error) {
	j, err := scanJourney(q.QueryRowContext(ctx, `SELECT `+journeyColumns+` FROM headless_journeys j WHERE `+where, args...))
	if err != nil || j.applicationID == "" {
		return j, err
	}
	app, err := scanApplication(q.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = ?`, j.applicationID))
	if err != nil {
		return j, err
	}
	j.Application = &app
	if app.Lead.SelectedProductID != "" {
		err := q.QueryRowContext(ctx, `SELECT lender_offer_url FROM products WHERE application_id = ? AND product_id = ?`,
			app.ID, app.Lead.SelectedProductID).Scan(&j.SelectedOfferURL)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return j, err
		}
	}
	return j, nil
}

// StartJourney starts a journey for the borrower.
func (s *Store) StartJourney(ctx context.Context, b HeadlessBorrower) (HeadlessJourney, error) {
	now := s.now().UTC()
	id := NewID()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO headless_journeys (id, borrower_id, partner_id, created_at_ms) VALUES (?,?,?,?)`,
			id, b.ID, b.PartnerID, ms(now)); err != nil {
			return err
		}
		return s.snapshotJourney(ctx, tx, "j.id = ?", id)
	})
	if err != nil {
		return HeadlessJourney{}, fmt.Errorf("store.StartJourney: %w", err)
	}
	return s.BorrowerJourney(ctx, b, id)
}

// BorrowerJourney is the borrower's journey id; any other borrower's (or an
// unknown id) is ErrNotFound, alike.
func (s *Store) BorrowerJourney(ctx context.Context, b HeadlessBorrower, id string) (HeadlessJourney, error) {
	j, err := loadJourney(ctx, s.r, `j.id = ? AND j.borrower_id = ?`, id, b.ID)
	if err != nil {
		return HeadlessJourney{}, fmt.Errorf("store.BorrowerJourney: %w", err)
	}
	return j.HeadlessJourney, nil
}

// BorrowerJourneys lists the borrower's journeys, newest first, at most limit.
func (s *Store) BorrowerJourneys(ctx context.Context, b HeadlessBorrower, limit int) ([]HeadlessJourney, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT j.id FROM headless_journeys j WHERE j.borrower_id = ?
		ORDER BY j.created_at_ms DESC, j.id DESC LIMIT ?`, b.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("store.BorrowerJourneys: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store.BorrowerJourneys: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.BorrowerJourneys: %w", err)
	}
	out := make([]HeadlessJourney, 0, len(ids))
	for _, id := range ids {
		j, err := s.BorrowerJourney(ctx, b, id)
		if err != nil {
			return nil, fmt.Errorf("store.BorrowerJourneys: %w", err)
		}
		out = append(out, j)
	}
	return out, nil
}

func profileAAD(journeyID string) []byte { return []byte("journey-profile:" + journeyID) }

// SaveJourneyProfile keeps the draft's profile (sealed: it holds the SSN),
// complete or not, as stage says: an incomplete profile is kept too, so the
// borrower's app loses nothing. A submitted or canceled journey is
// ErrJourneyLocked.
func (s *Store) SaveJourneyProfile(ctx context.Context, b HeadlessBorrower, id string, form lending.ApplicationForm, stage lending.ProfileStage) (HeadlessJourney, error) {
	now := s.now().UTC()
	plain, err := json.Marshal(form)
	if err != nil {
		return HeadlessJourney{}, fmt.Errorf("store.SaveJourneyProfile: %w", err)
	}
	sealed := s.sealer.Seal(plain, profileAAD(id))
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		j, err := loadJourney(ctx, tx, `j.id = ? AND j.borrower_id = ?`, id, b.ID)
		if err != nil {
			return err
		}
		if j.applicationID != "" || !j.CanceledAt.IsZero() {
			return ErrJourneyLocked
		}
		if _, err := tx.ExecContext(ctx, `UPDATE headless_journeys SET profile_sealed = ?, profile_stage = ?, profile_at_ms = ?
			WHERE id = ?`, sealed, int(stage), ms(now), id); err != nil {
			return err
		}
		return s.snapshotJourney(ctx, tx, "j.id = ?", id)
	})
	if err != nil {
		return HeadlessJourney{}, fmt.Errorf("store.SaveJourneyProfile: %w", err)
	}
	return s.BorrowerJourney(ctx, b, id)
}

// JourneyProfile is the draft's stored profile (empty before any was sent).
func (s *Store) JourneyProfile(ctx context.Context, b HeadlessBorrower, id string) (lending.ApplicationForm, error) {
	var sealed []byte
	err := s.r.QueryRowContext(ctx, `SELECT profile_sealed FROM headless_journeys WHERE id = ? AND borrower_id = ?`, id, b.ID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store.JourneyProfile: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store.JourneyProfile: %w", err)
	}
	form := lending.ApplicationForm{}
	if sealed == nil {
		return form, nil
	}
	plain, err := s.sealer.Open(sealed, profileAAD(id))
	if err != nil {
		return nil, fmt.Errorf("store.JourneyProfile: %w", err)
	}
	if err := json.Unmarshal(plain, &form); err != nil {
		return nil, fmt.Errorf("store.JourneyProfile: %w", err)
	}
	return form, nil
}

// SubmitJourney makes the journey's application from in (its validated
// profile) in one transaction with the web form's create (consents, events,
// the received email, screening and the submit job or the review hold), links
// it to the journey, forgets the draft's sealed profile and writes the
// snapshot. A journey submitted before returns its application, created false.
func (s *Store) SubmitJourney(ctx context.Context, b HeadlessBorrower, id string, in NewApplication) (HeadlessJourney, bool, error) {
	now := s.now().UTC()
	in.SessionID, in.IdempotencyKey = b.SessionID(), "journey:"+id
	in.Channel, in.PartnerID = lending.ChannelHeadlessJourney, b.PartnerID
	prepared := s.prepareApplication(&in)
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		created = false
		j, err := loadJourney(ctx, tx, `j.id = ? AND j.borrower_id = ?`, id, b.ID)
		switch {
		case err != nil:
			return err
		case j.applicationID != "":
			return nil
		case !j.CanceledAt.IsZero():
			return ErrJourneyLocked
		}
		appID, fresh, err := s.createApplication(ctx, tx, in, prepared, now)
		if err != nil {
			return err
		}
		created = fresh
		if _, err := tx.ExecContext(ctx, `UPDATE headless_journeys SET application_id = ?, profile_sealed = NULL WHERE id = ?`,
			appID, id); err != nil {
			return err
		}
		return s.snapshotJourney(ctx, tx, "j.id = ?", id)
	})
	if err != nil {
		return HeadlessJourney{}, false, fmt.Errorf("store.SubmitJourney: %w", err)
	}
	j, err := s.BorrowerJourney(ctx, b, id)
	return j, created, err
}

// CancelJourney closes the borrower's journey while lending.CanCancelJourney
// allows it: a draft is marked canceled, a submitted journey's application
// gets review status Canceled as an officer's cancellation would (open submit
// jobs closed, polling stopped), with a timeline event. Otherwise
// ErrJourneyLocked.
func (s *Store) CancelJourney(ctx context.Context, b HeadlessBorrower, id string) (HeadlessJourney, error) {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		j, err := loadJourney(ctx, tx, `j.id = ? AND j.borrower_id = ?`, id, b.ID)
		if err != nil {
			return err
		}
		if !lending.CanCancelJourney(lending.DecideJourneyState(j.Facts(), now)) {
			return ErrJourneyLocked
		}
		if j.Application == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE headless_journeys SET canceled_at_ms = ?, profile_sealed = NULL WHERE id = ?`,
				ms(now), id); err != nil {
				return err
			}
			return s.snapshotJourney(ctx, tx, "j.id = ?", id)
		}
		app := j.Application
		if !lending.CanTransitionReview(app.Review.Status, lending.ReviewCanceled) {
			return ErrJourneyLocked
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET review_status = ?, review_decided_at_ms = ?,
			next_poll_at_ms = NULL, updated_at_ms = ? WHERE id = ?`, string(lending.ReviewCanceled), ms(now), ms(now), app.ID); err != nil {
			return err
		}
		if err := closeOpenSubmitJobs(ctx, tx, app.ID, now, "canceled by the borrower"); err != nil {
			return err
		}
		return s.addEvent(ctx, tx, app.ID, now, lending.Event{Kind: lending.EventReviewDecided, Source: lending.SourceBorrower,
			StatusFrom: string(app.Review.Status), StatusTo: string(lending.ReviewCanceled),
			Detail: "canceled by the borrower (headless journey)"})
	})
	if err != nil {
		return HeadlessJourney{}, fmt.Errorf("store.CancelJourney: %w", err)
	}
	return s.BorrowerJourney(ctx, b, id)
}

// snapshotJourney writes a journey.snapshot event when the journey found by
// where (on headless_journeys j) has a new state answer since its last one.
// No such journey (a web application's change) writes nothing.
func (s *Store) snapshotJourney(ctx context.Context, tx *sql.Tx, where string, args ...any) error {
	j, err := loadJourney(ctx, tx, where, args...)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journey snapshot: %w", err)
	}
	now := s.now().UTC()
	st := lending.DecideJourneyState(j.Facts(), now)
	key := string(st.Status) + "/" + string(st.NextAction)
	if key == j.lastSnapshot {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE headless_journeys SET last_snapshot = ? WHERE id = ?`, key, j.ID); err != nil {
		return fmt.Errorf("journey snapshot: %w", err)
	}
	_, err = s.addPartnerEvent(ctx, tx, NewPartnerEvent{ApplicationID: j.applicationID, PartnerID: j.PartnerID,
		Type: lending.EventJourneySnapshot, PayloadVersion: 1, Payload: JourneySnapshotPayload{
			JourneyID: j.ID, Status: string(st.Status), NextAction: string(st.NextAction), ActionRequired: st.ActionRequired,
			Resource: string(st.Resource), OccurredAt: now.Truncate(time.Millisecond)}})
	return err
}

// JourneyEvents lists the partner's journey.snapshot events of a journey in
// the order they were written (tests, reconciliation).
func (s *Store) JourneyEvents(ctx context.Context, journeyID string) ([]PartnerEvent, error) {
	out, err := s.partnerEvents(ctx, `type = ? AND payload LIKE ? ORDER BY occurred_at_ms, sequence`,
		lending.EventJourneySnapshot, `%"journeyId":"`+journeyID+`"%`)
	if err != nil {
		return nil, fmt.Errorf("store.JourneyEvents: %w", err)
	}
	return out, nil
}
