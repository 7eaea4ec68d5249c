-- +goose Up
-- PostgreSQL twin of ../00031_credit_applications.sql. Partners' credit applications:
-- credit applications and seed 004's Line-of-Credit applications. Each one is
-- about a portal application (application_id): the one it evaluates
-- (onboarding), or the one whose approval made the customer (existing,
-- line_of_credit). Its status is lending.CreditStatus / LineOfCreditStatus of
-- its facts: its own decision (review_status, customer_answer) and, for
-- onboarding, its application's.
CREATE TABLE credit_applications (
    id                   TEXT PRIMARY KEY,            -- 128 random bits, base32
    kind                 TEXT NOT NULL,               -- onboarding | existing | line_of_credit
    partner_id           TEXT NOT NULL DEFAULT '',    -- whose key made it ('': an operator key's without a partner)
    application_id       TEXT NOT NULL REFERENCES applications (id),
    customer_id          TEXT NOT NULL DEFAULT '',    -- cus_<application id> for existing and line_of_credit
    lending_program_id   TEXT NOT NULL DEFAULT '',
    idempotency_key      TEXT,                        -- the idempotencyKey attribute, per partner
    review_status        TEXT NOT NULL,               -- Created | Pending | Approved | Denied | Canceled
    customer_answer      TEXT NOT NULL DEFAULT '',
    review_reasons       TEXT NOT NULL DEFAULT '',    -- Regulation B reason codes, comma-separated
    submitted_at_ms      BIGINT,                     -- seed 004's application_submitted_time
    notice_at_ms         BIGINT,                     -- seed 004's adverse_action_notice_time
    attributes           TEXT NOT NULL DEFAULT '{}',  -- seed 003 attributes / seed 004 application_details (JSON)
    applicants           TEXT NOT NULL DEFAULT '[]',  -- seed 004 applicants (JSON)
    created_at_ms        BIGINT NOT NULL,
    updated_at_ms        BIGINT NOT NULL
);
CREATE UNIQUE INDEX credit_applications_idempotency ON credit_applications (partner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX credit_applications_partner ON credit_applications (partner_id, created_at_ms, id);
CREATE INDEX credit_applications_application ON credit_applications (application_id);

-- +goose Down
DROP TABLE credit_applications;
