-- +goose Up
-- PostgreSQL twin of ../00010_email_velocity_key.sql (the email velocity rule
-- counts mailboxes, lending.VelocityEmail).
ALTER TABLE applications ADD COLUMN email_velocity_key TEXT NOT NULL DEFAULT '';
UPDATE applications SET email_velocity_key = lower(email);
CREATE INDEX applications_email_velocity ON applications (email_velocity_key, created_at_ms);

-- +goose Down
DROP INDEX applications_email_velocity;
ALTER TABLE applications DROP COLUMN email_velocity_key;
