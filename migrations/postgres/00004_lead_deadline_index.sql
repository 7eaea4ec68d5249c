-- +goose Up
-- PostgreSQL twin of ../00004_lead_deadline_index.sql.
CREATE INDEX applications_lead_deadline ON applications (lead_status, lead_deadline_ms);

-- +goose Down
DROP INDEX applications_lead_deadline;
