-- +goose Up
-- PostgreSQL twin of ../00035_co_applicants.sql.
CREATE TABLE co_applicants (
    application_id          TEXT PRIMARY KEY REFERENCES applications (id),
    first_name              TEXT NOT NULL,
    last_name               TEXT NOT NULL,
    email                   TEXT NOT NULL,
    dob                     TEXT NOT NULL,
    ssn_sealed              BYTEA NOT NULL,
    ssn_last4               TEXT NOT NULL,
    ssn_fingerprint         TEXT NOT NULL,
    employment_status       TEXT NOT NULL,
    income_yearly_cents     BIGINT NOT NULL,
    housing_monthly_cents   BIGINT NOT NULL,   -- their share of the monthly rent or mortgage
    relationship            TEXT NOT NULL,
    created_at_ms           BIGINT NOT NULL
);
CREATE INDEX co_applicants_ssn ON co_applicants (ssn_fingerprint);

-- +goose Down
DROP TABLE co_applicants;
