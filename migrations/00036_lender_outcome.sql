-- +goose Up
-- The lender's decision on the offer the borrower chose (issue 15 item 6),
-- reported by the platform's signed callbacks: approved | declined | funded
-- ('' = none yet), the product it is about, a decline's reasons (a JSON array of
-- strings) and when the portal learned it.
ALTER TABLE applications ADD COLUMN lender_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN lender_outcome_product_id TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN lender_outcome_reasons TEXT NOT NULL DEFAULT '[]';
ALTER TABLE applications ADD COLUMN lender_outcome_at_ms INTEGER;

-- +goose Down
ALTER TABLE applications DROP COLUMN lender_outcome_at_ms;
ALTER TABLE applications DROP COLUMN lender_outcome_reasons;
ALTER TABLE applications DROP COLUMN lender_outcome_product_id;
ALTER TABLE applications DROP COLUMN lender_outcome;
