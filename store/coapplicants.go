package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// coApplicantAAD binds a co-applicant's sealed SSN to its application and to the
// co-applicant role, so it can never be opened as (or swapped with) the primary's.
func coApplicantAAD(applicationID string) []byte { return []byte(applicationID + "/co-applicant") }

// insertCoApplicant writes the co-applicant and their three consents inside the
// application's transaction.
func (s *Store) insertCoApplicant(ctx context.Context, tx *sql.Tx, applicationID string, co lending.CoApplicant,
	sealedSSN []byte, fingerprint string, in NewApplication, now time.Time) error {
	if _, err := s.txExec(ctx, tx, `INSERT INTO co_applicants (
		application_id, first_name, last_name, email, dob, ssn_sealed, ssn_last4, ssn_fingerprint,
		employment_status, income_yearly_cents, housing_monthly_cents, relationship, created_at_ms
	) VALUES (?,?,?,?,?,?,?,?, ?,?,?,?,?)`,
		applicationID, co.FirstName, co.LastName, co.Email, co.DOB.Format(time.DateOnly), sealedSSN, co.SSN[len(co.SSN)-4:], fingerprint,
		co.EmploymentStatus, int64(co.IncomeYearly), int64(co.HousingMonthly), co.Relationship, ms(now),
	); err != nil {
		return err
	}
	var args []any
	for _, kind := range []string{lending.ConsentCoSoftPull, lending.ConsentCoTerms, lending.ConsentCoEsign} {
		args = append(args, applicationID, kind, lending.ConsentTextVersion, true, ms(now), in.ClientIP, in.UserAgent)
	}
	_, err := s.txExec(ctx, tx, `INSERT INTO consents
		(application_id, kind, text_version, granted, at_ms, ip, user_agent)
		VALUES (?,?,?,?,?,?,?), (?,?,?,?,?,?,?), (?,?,?,?,?,?,?)`, args...)
	return err
}

const coApplicantColumns = `first_name, last_name, email, dob, ssn_last4, employment_status,
	income_yearly_cents, housing_monthly_cents, relationship, ssn_sealed`

// coApplicant returns the application's co-applicant without the SSN, or nil
// when it has none.
func (s *Store) coApplicant(ctx context.Context, applicationID string) (*lending.CoApplicant, error) {
	co, _, err := s.readCoApplicant(ctx, applicationID)
	return co, err
}

// coApplicantWithSSN returns the co-applicant with the SSN opened, for the lead
// request only; nil when the application has none.
func (s *Store) coApplicantWithSSN(ctx context.Context, applicationID string) (*lending.CoApplicant, error) {
	co, sealed, err := s.readCoApplicant(ctx, applicationID)
	if err != nil || co == nil {
		return co, err
	}
	ssn, err := s.sealer.Open(sealed, coApplicantAAD(applicationID))
	if err != nil {
		return nil, fmt.Errorf("open sealed co-applicant SSN: %w", err)
	}
	co.SSN = string(ssn)
	return co, nil
}

func (s *Store) readCoApplicant(ctx context.Context, applicationID string) (*lending.CoApplicant, []byte, error) {
	var (
		co              lending.CoApplicant
		dob             string
		income, housing int64
		sealed          []byte
	)
	err := s.r.QueryRowContext(ctx, `SELECT `+coApplicantColumns+` FROM co_applicants WHERE application_id = ?`, applicationID).Scan(
		&co.FirstName, &co.LastName, &co.Email, &dob, &co.SSNLast4, &co.EmploymentStatus,
		&income, &housing, &co.Relationship, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("co-applicant: %w", err)
	}
	co.DOB, err = time.Parse(time.DateOnly, dob)
	if err != nil {
		return nil, nil, fmt.Errorf("co-applicant: stored date of birth: %w", err)
	}
	co.IncomeYearly, co.HousingMonthly = lending.Cents(income), lending.Cents(housing)
	return &co, sealed, nil
}
