-- +goose Up
-- The person who applies with the borrower (issue 15; seed 004's applicants[]
-- beyond the primary). At most one per application, written in the same
-- transaction as the application. The SSN is sealed like the primary's (AES-GCM
-- under PORTAL_DATA_KEY, bound to the application id and the co-applicant role).
-- Their consents are rows of consents with the co_* kinds.
CREATE TABLE co_applicants (
    application_id          TEXT PRIMARY KEY REFERENCES applications (id),
    first_name              TEXT NOT NULL,
    last_name               TEXT NOT NULL,
    email                   TEXT NOT NULL,
    dob                     TEXT NOT NULL,
    ssn_sealed              BLOB NOT NULL,
    ssn_last4               TEXT NOT NULL,
    ssn_fingerprint         TEXT NOT NULL,
    employment_status       TEXT NOT NULL,
    income_yearly_cents     INTEGER NOT NULL,
    housing_monthly_cents   INTEGER NOT NULL,   -- their share of the monthly rent or mortgage
    relationship            TEXT NOT NULL,
    created_at_ms           INTEGER NOT NULL
);
CREATE INDEX co_applicants_ssn ON co_applicants (ssn_fingerprint);

-- +goose Down
DROP TABLE co_applicants;
