-- +goose Up
-- One status model (lending.CreditStatus, lending.LineOfCreditStatus): the
-- borrower's answer to approved credit is a fact of its own. accepted: an offer
-- chosen (or the sponsor bank says so); declined: "none of these work for me"
-- with an optional reason (lending.DeclineReasons); expired: no offer chosen
-- within PORTAL_OFFER_TTL. Existing rows: a chosen offer was the acceptance.
ALTER TABLE applications ADD COLUMN customer_answer TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN customer_answer_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN customer_answer_at_ms INTEGER;
UPDATE applications SET customer_answer = 'accepted', customer_answer_at_ms = selected_at_ms
    WHERE lead_status = 'product_selected' AND customer_answer = '';
CREATE INDEX applications_offers_open ON applications (lead_status, customer_answer, lead_terminal_at_ms);

-- +goose Down
DROP INDEX applications_offers_open;
ALTER TABLE applications DROP COLUMN customer_answer_at_ms;
ALTER TABLE applications DROP COLUMN customer_answer_reason;
ALTER TABLE applications DROP COLUMN customer_answer;
