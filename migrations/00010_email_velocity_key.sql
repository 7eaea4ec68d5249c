-- +goose Up
-- The email velocity rule counts applications by mailbox, not by the address as
-- typed: lending.VelocityEmail drops plus tags (a+1@, a+2@ … are one mailbox)
-- and case. Rows from before this migration get the lower-cased address; the
-- rule looks back one hour, so they matter only for the hour after an upgrade.
ALTER TABLE applications ADD COLUMN email_velocity_key TEXT NOT NULL DEFAULT '';
UPDATE applications SET email_velocity_key = lower(email);
CREATE INDEX applications_email_velocity ON applications (email_velocity_key, created_at_ms);

-- +goose Down
DROP INDEX applications_email_velocity;
ALTER TABLE applications DROP COLUMN email_velocity_key;
