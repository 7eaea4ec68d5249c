-- +goose Up
-- PostgreSQL twin of ../00030_status_model.sql (the borrower's answer to the offers).
ALTER TABLE applications ADD COLUMN customer_answer TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN customer_answer_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN customer_answer_at_ms BIGINT;
UPDATE applications SET customer_answer = 'accepted', customer_answer_at_ms = selected_at_ms
    WHERE lead_status = 'product_selected' AND customer_answer = '';
CREATE INDEX applications_offers_open ON applications (lead_status, customer_answer, lead_terminal_at_ms);

-- +goose Down
DROP INDEX applications_offers_open;
ALTER TABLE applications DROP COLUMN customer_answer_at_ms;
ALTER TABLE applications DROP COLUMN customer_answer_reason;
ALTER TABLE applications DROP COLUMN customer_answer;
