-- +goose Up
-- PostgreSQL twin of ../00006_application_owner.sql (who an application belongs
-- to, how it came, and its partner events' numbering).
ALTER TABLE applications ADD COLUMN partner_id TEXT;
ALTER TABLE applications ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
ALTER TABLE applications ADD COLUMN partner_event_seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX applications_partner_created ON applications (partner_id, created_at_ms, id);

-- +goose Down
DROP INDEX applications_partner_created;
ALTER TABLE applications DROP COLUMN partner_event_seq;
ALTER TABLE applications DROP COLUMN channel;
ALTER TABLE applications DROP COLUMN partner_id;
