package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"prequal/lending"
)

// CreditKind is which kind of credit application a row is.
type CreditKind string

// Credit application kinds (table credit_applications, column kind).
const (
	CreditOnboarding   CreditKind = "onboarding"     // seed 003, about an application being evaluated
	CreditExisting     CreditKind = "existing"       // seed 003, for an approved application's customer
	CreditLineOfCredit CreditKind = "line_of_credit" // seed 004
)

type creditKind = CreditKind

// CustomerPrefix starts a customer id: a customer is the borrower of an
// approved application, and its id is this prefix and the application's id.
const CustomerPrefix = "cus_"

// CreditApplication is a partner's credit application (seeds 003 and 004).
type CreditApplication struct {
	ID               string
	Kind             CreditKind
	PartnerID        string
	ApplicationID    string // the portal application it is about
	CustomerID       string // existing and line_of_credit: the customer it is for
	LendingProgramID string
	IdempotencyKey   string
	Review           lending.ReviewStatus // its own stored decision
	Answer           lending.CustomerAnswer
	Reasons          []string // Regulation B reason codes of a denial
	SubmittedAt      time.Time
	NoticeAt         time.Time
	Attributes       json.RawMessage // seed 003 attributes, seed 004 application_details
	Applicants       json.RawMessage // seed 004 applicants
	CreatedAt        time.Time
	UpdatedAt        time.Time

	// Facts are its status facts (its own and, for onboarding, its application's).
	Facts lending.StatusFacts
	// Customer is the customer its application's approval made ("" when the
	// application is not approved): seed 003's customer relationship.
	Customer string
	// RequestedAmount is its application's request, LargestOffer the largest
	// amount the platform's lenders offered for it (0: none).
	RequestedAmount, LargestOffer lending.Cents
}

// ApprovedCreditLimit is the credit limit of an approved credit application:
// the largest amount offered, or without offers (approved by an officer, a
// partner or the sponsor bank) the amount requested; 0 when not approved.
func (c CreditApplication) ApprovedCreditLimit() lending.Cents {
	switch {
	case c.Status() != lending.ReviewApproved:
		return 0
	case c.LargestOffer > 0:
		return c.LargestOffer
	}
	return c.RequestedAmount
}

// Status is its seed 003 status.
func (c CreditApplication) Status() lending.ReviewStatus { return lending.CreditStatus(c.Facts) }

// LoCStatus is its seed 004 status.
func (c CreditApplication) LoCStatus() lending.LoCStatus { return lending.LineOfCreditStatus(c.Facts) }

// NewCreditApplication is a credit application to create.
type NewCreditApplication struct {
	Kind             CreditKind
	PartnerID        string
	ApplicationID    string
	CustomerID       string
	LendingProgramID string
	IdempotencyKey   string // "": none
	SubmittedAt      time.Time
	NoticeAt         time.Time
	Attributes       json.RawMessage
	Applicants       json.RawMessage
}

// ErrCustomerNotFound means a customer id names no approved application the caller may see.
var ErrCustomerNotFound = errors.New("store: customer not found")

// CustomerApplication returns the application whose approval made customer id,
// when v may see it and it is approved; ErrCustomerNotFound otherwise.
func (s *Store) CustomerApplication(ctx context.Context, v Visibility, customerID string) (lending.Application, error) {
	appID, ok := strings.CutPrefix(customerID, CustomerPrefix)
	if !ok {
		return lending.Application{}, fmt.Errorf("store.CustomerApplication: %w", ErrCustomerNotFound)
	}
	app, err := s.VisibleApplication(ctx, v, appID)
	if errors.Is(err, ErrNotFound) || err == nil && lending.CreditStatus(app.StatusFacts()) != lending.ReviewApproved {
		return lending.Application{}, fmt.Errorf("store.CustomerApplication: %w", ErrCustomerNotFound)
	}
	return app, err
}

// CustomerOf is the customer id of an application's borrower, "" until it is approved.
func CustomerOf(app lending.Application) string {
	if lending.CreditStatus(app.StatusFacts()) != lending.ReviewApproved {
		return ""
	}
	return CustomerPrefix + app.ID
}

// CreateCreditApplication stores a credit application with its first status
// events, in one transaction. Onboarding ones start Created, the others
// Pending (seed 003). The same idempotency key of the same partner returns the
// credit application it made before, with created=false.
func (s *Store) CreateCreditApplication(ctx context.Context, in NewCreditApplication) (ca CreditApplication, created bool, err error) {
	now := s.now().UTC()
	id := NewID()
	review := lending.ReviewPending
	if in.Kind == CreditOnboarding {
		review = lending.ReviewCreated
	}
	if len(in.Attributes) == 0 {
		in.Attributes = json.RawMessage("{}")
	}
	if len(in.Applicants) == 0 {
		in.Applicants = json.RawMessage("[]")
	}
	submitted := in.SubmittedAt
	if submitted.IsZero() {
		submitted = now
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if in.IdempotencyKey != "" {
			var existing string
			err := tx.QueryRowContext(ctx, `SELECT id FROM credit_applications WHERE partner_id = ? AND idempotency_key = ?`,
				in.PartnerID, in.IdempotencyKey).Scan(&existing)
			switch {
			case err == nil:
				id, created = existing, false
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
		}
		created = true
		before, err := takeStatusSnapshot(ctx, tx, in.ApplicationID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_applications (id, kind, partner_id, application_id, customer_id,
			lending_program_id, idempotency_key, review_status, submitted_at_ms, notice_at_ms, attributes, applicants,
			created_at_ms, updated_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			id, string(in.Kind), in.PartnerID, in.ApplicationID, in.CustomerID, in.LendingProgramID, nullString(in.IdempotencyKey),
			string(review), ms(submitted), nullMS(in.NoticeAt), string(in.Attributes), string(in.Applicants), ms(now), ms(now)); err != nil {
			return err
		}
		return s.emitStatusEvents(ctx, tx, in.ApplicationID, before)
	})
	if err != nil {
		return CreditApplication{}, false, fmt.Errorf("store.CreateCreditApplication: %w", err)
	}
	ca, err = s.CreditApplication(ctx, VisibleToAll(), id)
	if err != nil {
		return CreditApplication{}, false, fmt.Errorf("store.CreateCreditApplication: %w", err)
	}
	return ca, created, nil
}

const creditColumns = `c.id, c.kind, c.partner_id, c.application_id, c.customer_id, c.lending_program_id,
	coalesce(c.idempotency_key, ''), c.review_status, c.customer_answer, c.review_reasons, c.submitted_at_ms, c.notice_at_ms,
	c.attributes, c.applicants, c.created_at_ms, c.updated_at_ms,
	a.review_status, a.lead_status, a.lead_submitted_at_ms, a.customer_answer, a.requested_amount_cents,
	coalesce((SELECT max(loan_amount_cents) FROM products WHERE application_id = a.id), 0)`

func scanCreditApplication(row rowScanner) (CreditApplication, error) {
	var (
		c                               CreditApplication
		kind, review, answer, reasons   string
		attrs, applicants               string
		appReview, lead, appAnswer      string
		submitted, notice, appSubmitted sql.NullInt64
		createdMS, updatedMS            int64
		requested, largest              int64
	)
	err := row.Scan(&c.ID, &kind, &c.PartnerID, &c.ApplicationID, &c.CustomerID, &c.LendingProgramID,
		&c.IdempotencyKey, &review, &answer, &reasons, &submitted, &notice, &attrs, &applicants, &createdMS, &updatedMS,
		&appReview, &lead, &appSubmitted, &appAnswer, &requested, &largest)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.Kind, c.Review, c.Answer, c.Reasons = CreditKind(kind), lending.ReviewStatus(review), lending.CustomerAnswer(answer), splitReasons(reasons)
	c.SubmittedAt, c.NoticeAt = fromNullMS(submitted), fromNullMS(notice)
	c.Attributes, c.Applicants = json.RawMessage(attrs), json.RawMessage(applicants)
	c.CreatedAt, c.UpdatedAt = fromMS(createdMS), fromMS(updatedMS)
	c.RequestedAmount, c.LargestOffer = lending.Cents(requested), lending.Cents(largest)
	app := lending.StatusFacts{Review: lending.ReviewStatus(appReview), Lead: lending.LeadStatus(lead),
		LeadSubmitted: appSubmitted.Valid, Answer: lending.CustomerAnswer(appAnswer)}
	c.Facts = creditFacts(c.Kind, c.Review, c.Answer, app)
	if lending.CreditStatus(app) == lending.ReviewApproved {
		c.Customer = CustomerPrefix + c.ApplicationID
	}
	return c, nil
}

// creditCondition is v as a condition on credit_applications c: a partner sees
// the credit applications its keys made, an operator every one.
func creditCondition(v Visibility) (string, []any) {
	switch {
	case v.all:
		return "1 = 1", nil
	case v.partnerID == "":
		return "1 = 0", nil
	}
	return "c.partner_id = ?", []any{v.partnerID}
}

// CreditApplication returns credit application id when v may see it (ErrNotFound otherwise).
func (s *Store) CreditApplication(ctx context.Context, v Visibility, id string) (CreditApplication, error) {
	cond, args := creditCondition(v)
	c, err := scanCreditApplication(s.r.QueryRowContext(ctx, `SELECT `+creditColumns+`
		FROM credit_applications c JOIN applications a ON a.id = c.application_id
		WHERE c.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return c, fmt.Errorf("store.CreditApplication: %w", err)
	}
	return c, nil
}

// CreditFilter narrows a list of credit applications; zero fields do not filter.
type CreditFilter struct {
	Kinds            []CreditKind
	ApplicationID    string
	CustomerID       string // cus_<id>: the credit applications about that customer's application
	LendingProgramID string
	PartnerID        string // the partner whose keys made them (an operator's filter)
}

// CreditApplications lists the credit applications v may see that match f,
// oldest first, from offset, at most limit of them.
func (s *Store) CreditApplications(ctx context.Context, v Visibility, f CreditFilter, limit, offset int) ([]CreditApplication, error) {
	cond, args := creditCondition(v)
	where := []string{cond}
	if len(f.Kinds) > 0 {
		where = append(where, "c.kind IN (?"+strings.Repeat(",?", len(f.Kinds)-1)+")")
		for _, k := range f.Kinds {
			args = append(args, string(k))
		}
	}
	if f.ApplicationID != "" {
		where, args = append(where, "c.application_id = ?"), append(args, f.ApplicationID)
	}
	if f.CustomerID != "" {
		where, args = append(where, "c.customer_id = ?"), append(args, f.CustomerID)
	}
	if f.PartnerID != "" {
		where, args = append(where, "c.partner_id = ?"), append(args, f.PartnerID)
	}
	if f.LendingProgramID != "" {
		where, args = append(where, "c.lending_program_id = ?"), append(args, f.LendingProgramID)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+creditColumns+`
		FROM credit_applications c JOIN applications a ON a.id = c.application_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at_ms, c.id LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("store.CreditApplications: %w", err)
	}
	defer rows.Close()
	var out []CreditApplication
	for rows.Next() {
		c, err := scanCreditApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("store.CreditApplications: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.CreditApplications: %w", err)
	}
	return out, nil
}

// CreditChange is what UpdateCreditApplication's function decides from the
// current state; nil or zero fields keep what is stored.
type CreditChange struct {
	Attributes json.RawMessage
	Review     lending.ReviewStatus
	Answer     lending.CustomerAnswer
	Reasons    []string
	NoticeAt   time.Time
	// Actor names who changed it, for the application's timeline ("partner
	// <name>", "sponsor bank").
	Actor string
}

// ErrCreditChangeRefused wraps the refusal of UpdateCreditApplication's
// function (an illegal transition): nothing was changed.
var ErrCreditChangeRefused = errors.New("store: credit application change refused")

// UpdateCreditApplication changes credit application id, which v must see, as
// decide says from its current state, in one transaction with its status
// events and a timeline event. decide's error (wrapped in
// ErrCreditChangeRefused) changes nothing. A denial with reasons queues the
// borrower's notice of action taken (as an officer's denial does) and stamps
// NoticeAt.
func (s *Store) UpdateCreditApplication(ctx context.Context, v Visibility, id string,
	decide func(cur CreditApplication) (CreditChange, error)) (CreditApplication, error) {
	now := s.now().UTC()
	cond, args := creditCondition(v)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanCreditApplication(tx.QueryRowContext(ctx, `SELECT `+creditColumns+`
			FROM credit_applications c JOIN applications a ON a.id = c.application_id
			WHERE c.id = ? AND `+cond, append([]any{id}, args...)...))
		if err != nil {
			return err
		}
		ch, err := decide(cur)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrCreditChangeRefused, err)
		}
		before, err := takeStatusSnapshot(ctx, tx, cur.ApplicationID)
		if err != nil {
			return err
		}
		next := cur
		if ch.Attributes != nil {
			next.Attributes = ch.Attributes
		}
		if ch.Review != "" {
			next.Review = ch.Review
		}
		if ch.Answer != "" {
			next.Answer = ch.Answer
		}
		if ch.Reasons != nil {
			next.Reasons = ch.Reasons
		}
		if !ch.NoticeAt.IsZero() {
			next.NoticeAt = ch.NoticeAt
		}
		// A denial with its reasons reaches the borrower as a notice of action
		// taken, as an officer's does: when it is denied with reasons, or when
		// a denied one gets its first reasons (seed 004 sends them apart).
		if next.Review == lending.ReviewDenied && len(next.Reasons) > 0 &&
			(cur.Review != lending.ReviewDenied || len(cur.Reasons) == 0) {
			if err := s.enqueueDenialNotice(ctx, tx, cur.ApplicationID, now); err != nil {
				return err
			}
			next.NoticeAt = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credit_applications SET attributes = ?, review_status = ?, customer_answer = ?,
			review_reasons = ?, notice_at_ms = ?, updated_at_ms = ? WHERE id = ?`,
			string(next.Attributes), string(next.Review), string(next.Answer), strings.Join(next.Reasons, ","),
			nullMS(next.NoticeAt), ms(now), id); err != nil {
			return err
		}
		reasonsChanged := strings.Join(next.Reasons, ",") != strings.Join(cur.Reasons, ",")
		if next.Review != cur.Review || next.Answer != cur.Answer || reasonsChanged {
			detail := fmt.Sprintf("Credit application %s (%s): %s → %s", id, cur.Kind, cur.Review, next.Review)
			if next.Answer != cur.Answer {
				detail += ", customer answer " + string(next.Answer)
			}
			if reasonsChanged {
				detail += "; reasons " + strings.Join(next.Reasons, ",")
			}
			if err := s.addEvent(ctx, tx, cur.ApplicationID, now, lending.Event{Kind: lending.EventCreditApplicationChanged,
				Source: lending.SourcePartner, Actor: ch.Actor, StatusFrom: string(cur.Review), StatusTo: string(next.Review),
				Detail: detail}); err != nil {
				return err
			}
		}
		return s.emitStatusEvents(ctx, tx, cur.ApplicationID, before)
	})
	if err != nil {
		return CreditApplication{}, fmt.Errorf("store.UpdateCreditApplication: %w", err)
	}
	return s.CreditApplication(ctx, VisibleToAll(), id)
}
