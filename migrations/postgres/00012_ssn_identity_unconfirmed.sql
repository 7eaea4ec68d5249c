-- +goose Up
-- PostgreSQL twin of ../00012_ssn_identity_unconfirmed.sql (an application an
-- SSN identity rule flagged is no reference until an officer approves it).
ALTER TABLE applications ADD COLUMN ssn_identity_unconfirmed BIGINT NOT NULL DEFAULT 0;
UPDATE applications SET ssn_identity_unconfirmed = 1 WHERE id IN (
    SELECT application_id FROM events WHERE kind = 'held_for_review' AND detail LIKE '%This SSN was used before%');

-- +goose Down
ALTER TABLE applications DROP COLUMN ssn_identity_unconfirmed;
