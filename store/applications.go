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

// ErrIdempotencyKeyReused means the key was used by another borrower session.
var ErrIdempotencyKeyReused = errors.New("store: idempotency key belongs to another session")

// NewApplication is what the borrower submitted, with the evidence around it.
type NewApplication struct {
	SessionID      string
	IdempotencyKey string
	// CorrelationID is the X-Correlation-ID of the request that creates the
	// application (correlation.FromContext): every Platform API call made for
	// the application carries it. Empty: a fresh one.
	CorrelationID string
	// Channel is how the application came (empty: lending.ChannelWeb);
	// PartnerID the partner whose key made it ("" for the web form).
	Channel     lending.Channel
	PartnerID   string
	IsTest      bool
	Applicant   lending.Applicant
	ClientIP    string
	UserAgent   string
	LeadTimeout time.Duration
}

// CreateApplication stores an application, its consent evidence, its submit job
// (unless screening holds it for manual review), the "application received"
// email with its resume link, and an event, in one transaction.
// The same idempotency key from the same session returns the application that key
// created before, with created=false — also when the two submits race each
// other on two instances.
//
// On PostgreSQL it runs READ COMMITTED, the hottest write of all: the
// idempotency key is settled by the unique index (ON CONFLICT DO NOTHING), and
// the screening counts are read under advisory locks on the applicant's SSN
// fingerprint, mailbox and IP, so two instances screening the same person at
// once take turns (and applications of different people do not wait for each
// other).
func (s *Store) CreateApplication(ctx context.Context, in NewApplication) (app lending.Application, created bool, err error) {
	now := s.now().UTC()
	prepared := s.prepareApplication(&in)
	id := prepared.id
	err = s.inTxReadCommitted(ctx, func(tx *sql.Tx) error {
		var err error
		id, created, err = s.createApplication(ctx, tx, in, prepared, now)
		return err
	})
	if err != nil {
		return lending.Application{}, false, fmt.Errorf("store.CreateApplication: %w", err)
	}
	app, err = s.Application(ctx, id)
	if err != nil {
		return lending.Application{}, false, fmt.Errorf("store.CreateApplication: %w", err)
	}
	return app, created, nil
}

// preparedApplication is the part of a new application made before its
// transaction: its id, the sealed SSN and its fingerprint.
type preparedApplication struct {
	id, fingerprint string
	sealedSSN       []byte
	// The co-applicant's, when there is one (sealed bound to their role).
	coFingerprint string
	coSealedSSN   []byte
}

// prepareApplication fills in's defaults and seals its SSN. Sealing and
// fingerprinting need nothing from the database: done before the
// transaction, they keep the single writer's time per application short.
func (s *Store) prepareApplication(in *NewApplication) preparedApplication {
	if in.CorrelationID == "" {
		in.CorrelationID = NewID()
	}
	if in.Channel == "" {
		in.Channel = lending.ChannelWeb
	}
	id := NewID()
	p := preparedApplication{id: id, sealedSSN: s.sealer.Seal([]byte(in.Applicant.SSN), []byte(id)),
		fingerprint: s.sealer.Fingerprint(in.Applicant.SSN)}
	if co := in.Applicant.CoApplicant; co != nil {
		p.coSealedSSN, p.coFingerprint = s.sealer.Seal([]byte(co.SSN), coApplicantAAD(id)), s.sealer.Fingerprint(co.SSN)
	}
	return p
}

// createApplication is CreateApplication's work within tx, shared with
// SubmitJourney: it returns the application's id and whether it is new.
func (s *Store) createApplication(ctx context.Context, tx *sql.Tx, in NewApplication, p preparedApplication, now time.Time) (id string, created bool, err error) {
	a := in.Applicant
	sealedSSN, fingerprint := p.sealedSSN, p.fingerprint
	err = func() error {
		existing := func() error {
			var existingID, existingSession string
			err := s.txQueryRow(ctx, tx,
				`SELECT id, session_id FROM applications WHERE idempotency_key = ?`, in.IdempotencyKey,
			).Scan(&existingID, &existingSession)
			if err != nil {
				return err
			}
			if existingSession != in.SessionID {
				return ErrIdempotencyKeyReused
			}
			id, created = existingID, false
			return nil
		}
		if err := existing(); !errors.Is(err, sql.ErrNoRows) {
			return err
		}

		locks := []string{"ssn " + fingerprint}
		if !in.IsTest {
			locks = append(locks, "email "+lending.VelocityEmail(a.Email), "ip "+in.ClientIP)
		}
		if err := s.lockKeys(ctx, tx, locks...); err != nil {
			return err
		}

		facts, err := screeningFacts(ctx, tx, fingerprint, a, in, now)
		if err != nil {
			return err
		}
		id, created = p.id, true
		var holds, flags []lending.ScreeningHit
		identityQuestioned := false
		for _, h := range lending.Screen(facts) {
			if h.Holds() {
				holds = append(holds, h)
			} else {
				flags = append(flags, h)
			}
			identityQuestioned = identityQuestioned || h.QuestionsIdentity()
		}
		review := lending.ReviewPending
		if len(holds) > 0 {
			review = lending.ReviewManualReview
		}

		res, err := s.txExec(ctx, tx, `INSERT INTO applications (
			id, session_id, idempotency_key, correlation_id, partner_lead_id, is_test, created_at_ms, updated_at_ms,
			requested_amount_cents, loan_purpose, first_name, last_name, email, phone, dob,
			ssn_sealed, ssn_last4, ssn_fingerprint, street, unit, city, state, zipcode,
			employment_status, income_yearly_cents, housing_type, housing_monthly_cents, credit_rating, client_ip,
			lead_status, lead_status_at_ms, lead_deadline_ms, review_status, review_submitted_at_ms, channel, partner_id,
			email_velocity_key, ssn_identity_unconfirmed
		) VALUES (?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?, ?,?,?,?,?,?, ?,?,?,?,?,?,?, ?,?)
		ON CONFLICT (idempotency_key) DO NOTHING`,
			id, in.SessionID, in.IdempotencyKey, in.CorrelationID, "pl_"+NewID(), in.IsTest, ms(now), ms(now),
			int64(a.RequestedAmount), a.LoanPurpose, a.FirstName, a.LastName, a.Email, a.Phone, a.DOB.Format(time.DateOnly),
			sealedSSN, a.SSNLast4(), fingerprint,
			a.Street, a.Unit, a.City, a.State, a.Zipcode,
			a.EmploymentStatus, int64(a.IncomeYearly), a.HousingType, int64(a.HousingMonthly), a.CreditRating, in.ClientIP,
			string(lending.LeadCreated), ms(now), ms(now.Add(in.LeadTimeout)), string(review), ms(now),
			string(in.Channel), nullString(in.PartnerID),
			lending.VelocityEmail(a.Email), identityQuestioned,
		)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Another instance stored this key since the first look (the insert
			// waited for its commit): its application is the answer.
			return existing()
		}
		// The four consents in one statement (Consents lists them in the form's order).
		var consentArgs []any
		for _, c := range []struct {
			kind    string
			granted bool
		}{
			{lending.ConsentSoftPull, true}, {lending.ConsentTerms, true}, {lending.ConsentEsign, true},
			{lending.ConsentTcpa, a.ConsentTcpa},
		} {
			consentArgs = append(consentArgs, id, c.kind, lending.ConsentTextVersion, c.granted, ms(now), in.ClientIP, in.UserAgent)
		}
		if _, err := s.txExec(ctx, tx, `INSERT INTO consents
			(application_id, kind, text_version, granted, at_ms, ip, user_agent)
			VALUES (?,?,?,?,?,?,?), (?,?,?,?,?,?,?), (?,?,?,?,?,?,?), (?,?,?,?,?,?,?)`, consentArgs...); err != nil {
			return err
		}
		if co := a.CoApplicant; co != nil {
			if err := s.insertCoApplicant(ctx, tx, id, *co, p.coSealedSSN, p.coFingerprint, in, now); err != nil {
				return err
			}
		}
		if err := s.addEvent(ctx, tx, id, now, lending.Event{Kind: lending.EventApplicationReceived, Source: lending.SourceBorrower,
			StatusTo: string(lending.LeadCreated)}); err != nil {
			return err
		}
		if err := s.enqueueMail(ctx, tx, id, a.Email, lending.MailReceived, "", now); err != nil {
			return err
		}
		if len(flags) > 0 {
			if err := s.addEvent(ctx, tx, id, now, lending.Event{Kind: lending.EventFlaggedForReview, Source: lending.SourceSystem,
				Detail: describeHits(flags)}); err != nil {
				return err
			}
		}
		if len(holds) > 0 {
			return s.addEvent(ctx, tx, id, now, lending.Event{Kind: lending.EventHeldForReview, Source: lending.SourceSystem,
				StatusFrom: string(lending.ReviewPending), StatusTo: string(lending.ReviewManualReview), Detail: describeHits(holds)})
		}
		return s.enqueueSubmit(ctx, tx, id, now)
	}()
	return id, created, err
}

// describeHits is the officers' sentence for each hit, in one line.
func describeHits(hits []lending.ScreeningHit) string {
	var b strings.Builder
	for i, h := range hits {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(h.Description())
	}
	return b.String()
}

// identityDiffers is the SQL condition "this stored application gives another
// name or date of birth than the new one" (arguments: first name, last name, dob).
const identityDiffers = `(lower(first_name) <> lower(?) OR lower(last_name) <> lower(?) OR dob <> ?)`

// screeningFacts gathers what lending.Screen decides from. The velocity counts
// stop at the rule's limit — Screen only asks whether it is reached, and an
// address behind which many people apply (an office, a carrier's NAT) would
// otherwise cost a count over all its applications of the hour on every
// submit — and are not taken at all for QA test data, which they do not apply to.
func screeningFacts(ctx context.Context, tx *sql.Tx, fingerprint string, a lending.Applicant, in NewApplication, now time.Time) (lending.ScreeningFacts, error) {
	f := lending.ScreeningFacts{TestData: in.IsTest}
	hourAgo := ms(now.Add(-time.Hour))
	mailbox, dob := lending.VelocityEmail(a.Email), a.DOB.Format(time.DateOnly)
	err := tx.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM applications WHERE ssn_fingerprint = ? AND `+identityDiffers+`
			AND (session_id = ? OR email_velocity_key = ?)),
		EXISTS (SELECT 1 FROM applications WHERE ssn_fingerprint = ? AND `+identityDiffers+`
			AND session_id <> ? AND email_velocity_key <> ?
			AND (ssn_identity_unconfirmed = 0 OR review_status = ?) AND review_status NOT IN (?, ?))`,
		fingerprint, a.FirstName, a.LastName, dob, in.SessionID, mailbox,
		fingerprint, a.FirstName, a.LastName, dob, in.SessionID, mailbox,
		string(lending.ReviewApproved), string(lending.ReviewDenied), string(lending.ReviewCanceled),
	).Scan(&f.SSNReusedByApplicant, &f.SSNSeenWithOtherIdentity)
	if err != nil || in.IsTest {
		return f, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM applications
		WHERE email_velocity_key = ? AND created_at_ms >= ? LIMIT ?) AS recent`,
		mailbox, hourAgo, lending.MaxApplicationsPerEmailPerHour).Scan(&f.ApplicationsFromEmailLastHour); err != nil {
		return f, err
	}
	if in.ClientIP != "" {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM applications
			WHERE client_ip = ? AND created_at_ms >= ? LIMIT ?) AS recent`,
			in.ClientIP, hourAgo, lending.MaxApplicationsPerIPPerHour).Scan(&f.ApplicationsFromIPLastHour); err != nil {
			return f, err
		}
	}
	return f, nil
}

const applicationColumns = `id, correlation_id, partner_lead_id, is_test, created_at_ms, updated_at_ms,
	requested_amount_cents, loan_purpose, first_name, last_name, email, phone, dob, ssn_last4,
	street, unit, city, state, zipcode, employment_status, income_yearly_cents, housing_type,
	housing_monthly_cents, credit_rating, client_ip,
	coalesce(lead_uuid, ''), lead_status, lead_attempt, lead_submitted_at_ms, lead_status_at_ms, lead_terminal_at_ms,
	lead_deadline_ms, last_callback_at_ms, submit_error, coalesce(adverse_action_notice, ''),
	coalesce(selected_product_id, ''), selected_at_ms,
	review_status, review_submitted_at_ms, review_decided_at_ms, notice_sent_at_ms,
	review_reasons, review_other_text, review_decided_by, review_note, email_confirmed_at_ms, channel, coalesce(partner_id, ''),
	customer_answer, customer_answer_reason, customer_answer_at_ms,
	lender_outcome, lender_outcome_product_id, lender_outcome_reasons, lender_outcome_at_ms`

type rowScanner interface{ Scan(dest ...any) error }

func scanApplication(row rowScanner) (lending.Application, error) {
	var (
		a                                           lending.Application
		createdMS, updatedMS, statusMS, deadlineMS  int64
		amount, income, housing                     int64
		dob, leadStatus, review, reasons            string
		submitted, terminal, lastCallback, selected sql.NullInt64
		reviewSubmitted, reviewDecided, noticeSent  sql.NullInt64
		emailConfirmed, answerAt, outcomeAt         sql.NullInt64
		answer, outcome, outcomeReasons             string
	)
	err := row.Scan(&a.ID, &a.CorrelationID, &a.PartnerLeadID, &a.IsTest, &createdMS, &updatedMS,
		&amount, &a.LoanPurpose, &a.FirstName, &a.LastName, &a.Email, &a.Phone, &dob, &a.SSNLast4,
		&a.Street, &a.Unit, &a.City, &a.State, &a.Zipcode, &a.EmploymentStatus, &income, &a.HousingType,
		&housing, &a.CreditRating, &a.ClientIP,
		&a.Lead.UUID, &leadStatus, &a.Lead.Attempt, &submitted, &statusMS, &terminal,
		&deadlineMS, &lastCallback, &a.Lead.SubmitError, &a.Lead.AdverseActionNotice,
		&a.Lead.SelectedProductID, &selected,
		&review, &reviewSubmitted, &reviewDecided, &noticeSent,
		&reasons, &a.Review.OtherText, &a.Review.DecidedBy, &a.Review.Note, &emailConfirmed, &a.Channel, &a.PartnerID,
		&answer, &a.Review.AnswerReason, &answerAt,
		&outcome, &a.LenderOutcome.ProductID, &outcomeReasons, &outcomeAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, err
	}
	a.CreatedAt, a.UpdatedAt = fromMS(createdMS), fromMS(updatedMS)
	a.RequestedAmount, a.IncomeYearly, a.HousingMonthly = lending.Cents(amount), lending.Cents(income), lending.Cents(housing)
	a.DOB, _ = time.Parse(time.DateOnly, dob)
	a.Lead.Status = lending.LeadStatus(leadStatus)
	a.Lead.SubmittedAt, a.Lead.StatusAt, a.Lead.TerminalAt = fromNullMS(submitted), fromMS(statusMS), fromNullMS(terminal)
	a.Lead.Deadline, a.Lead.LastCallbackAt, a.Lead.SelectedAt = fromMS(deadlineMS), fromNullMS(lastCallback), fromNullMS(selected)
	a.Review.Status = lending.ReviewStatus(review)
	a.Review.SubmittedAt, a.Review.DecidedAt, a.Review.NoticeSentAt = fromNullMS(reviewSubmitted), fromNullMS(reviewDecided), fromNullMS(noticeSent)
	a.Review.Reasons = splitReasons(reasons)
	a.EmailConfirmedAt = fromNullMS(emailConfirmed)
	a.Review.Answer, a.Review.AnswerAt = lending.CustomerAnswer(answer), fromNullMS(answerAt)
	a.LenderOutcome.Status, a.LenderOutcome.At = lending.LenderOutcomeStatus(outcome), fromNullMS(outcomeAt)
	if err := json.Unmarshal([]byte(outcomeReasons), &a.LenderOutcome.Reasons); err != nil {
		return a, fmt.Errorf("lender outcome reasons: %w", err)
	}
	return a, nil
}

// Application returns one application by id, whoever it belongs to (officers, worker).
func (s *Store) Application(ctx context.Context, id string) (lending.Application, error) {
	a, err := scanApplication(s.readRow(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = ?`, id))
	if err == nil {
		a.CoApplicant, err = s.coApplicant(ctx, id)
	}
	if err != nil {
		return a, fmt.Errorf("store.Application: %w", err)
	}
	return a, nil
}

// boundToSession is the condition "the application is bound to the borrower
// session" (arguments: the session id twice): the session it was created in, or
// one a resume link bound it to (RedeemResumeToken).
const boundToSession = `(session_id = ? OR EXISTS (SELECT 1 FROM application_sessions b
	WHERE b.application_id = applications.id AND b.session_id = ?))`

// ApplicationForSession returns the application only when it is bound to the
// borrower session; any other session gets ErrNotFound, as if it did not exist.
func (s *Store) ApplicationForSession(ctx context.Context, id, sessionID string) (lending.Application, error) {
	a, err := scanApplication(s.readRow(ctx,
		`SELECT `+applicationColumns+` FROM applications WHERE id = ? AND `+boundToSession, id, sessionID, sessionID))
	if err == nil {
		a.CoApplicant, err = s.coApplicant(ctx, id)
	}
	if err != nil {
		return a, fmt.Errorf("store.ApplicationForSession: %w", err)
	}
	return a, nil
}

// ApplicationsForSession lists the session's applications, newest first, so a
// borrower who closed the tab finds their way back.
func (s *Store) ApplicationsForSession(ctx context.Context, sessionID string, limit int) ([]lending.Application, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+applicationColumns+` FROM applications
		WHERE session_id = ? OR id IN (SELECT application_id FROM application_sessions WHERE session_id = ?)
		ORDER BY created_at_ms DESC LIMIT ?`, sessionID, sessionID, limit)
	if err != nil {
		return nil, fmt.Errorf("store.ApplicationsForSession: %w", err)
	}
	defer rows.Close()
	var out []lending.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("store.ApplicationsForSession: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.ApplicationsForSession: %w", err)
	}
	return out, nil
}

// Consent is the evidence of one consent the borrower gave.
type Consent struct {
	Kind, TextVersion string
	Granted           bool
	At                time.Time
	IP, UserAgent     string
}

// Consents returns the consent evidence of an application, in the form's order.
func (s *Store) Consents(ctx context.Context, applicationID string) ([]Consent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, text_version, granted, at_ms, ip, user_agent
		FROM consents WHERE application_id = ?
		ORDER BY CASE kind WHEN ? THEN 1 WHEN ? THEN 2 WHEN ? THEN 3 WHEN ? THEN 4 ELSE 5 END, kind`,
		applicationID, lending.ConsentSoftPull, lending.ConsentTerms, lending.ConsentEsign, lending.ConsentTcpa)
	if err != nil {
		return nil, fmt.Errorf("store.Consents: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		var at int64
		if err := rows.Scan(&c.Kind, &c.TextVersion, &c.Granted, &at, &c.IP, &c.UserAgent); err != nil {
			return nil, fmt.Errorf("store.Consents: %w", err)
		}
		c.At = fromMS(at)
		out = append(out, c)
	}
	return out, rows.Err()
}
