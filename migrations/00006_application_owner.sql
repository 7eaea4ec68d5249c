-- +goose Up
-- Who an application belongs to and how it came. partner_id NULL: a borrower
-- made it in the browser, no partner owns it (operators alone see it through
-- the API). partner_event_seq numbers the application's partner events
-- (partner_events.sequence), so receivers can order them.
ALTER TABLE applications ADD COLUMN partner_id TEXT;
ALTER TABLE applications ADD COLUMN channel TEXT NOT NULL DEFAULT 'web';
ALTER TABLE applications ADD COLUMN partner_event_seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX applications_partner_created ON applications (partner_id, created_at_ms, id);

-- +goose Down
DROP INDEX applications_partner_created;
ALTER TABLE applications DROP COLUMN partner_event_seq;
ALTER TABLE applications DROP COLUMN channel;
ALTER TABLE applications DROP COLUMN partner_id;
