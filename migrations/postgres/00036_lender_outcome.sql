-- +goose Up
-- PostgreSQL twin of ../00036_lender_outcome.sql.
ALTER TABLE applications ADD COLUMN lender_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN lender_outcome_product_id TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN lender_outcome_reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN lender_outcome_at_ms BIGINT;

-- +goose Down
ALTER TABLE applications DROP COLUMN lender_outcome_at_ms;
ALTER TABLE applications DROP COLUMN lender_outcome_reasons;
ALTER TABLE applications DROP COLUMN lender_outcome_product_id;
ALTER TABLE applications DROP COLUMN lender_outcome;
