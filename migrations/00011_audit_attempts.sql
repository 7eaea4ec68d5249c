-- +goose Up
-- Throttled sign-in attempts are audited in aggregate: one row per account and
-- client while the refusals go on, counting them (a flood wrote a row each).
ALTER TABLE audit_log ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN last_at_ms INTEGER NOT NULL DEFAULT 0;
-- The sign-in throttle's keys changed shape (per account and client, per
-- client): counters under the old keys would only linger.
DELETE FROM signin_throttle;

-- +goose Down
ALTER TABLE audit_log DROP COLUMN last_at_ms;
ALTER TABLE audit_log DROP COLUMN attempts;
