-- +goose Up
-- PostgreSQL twin of ../00011_audit_attempts.sql (throttled sign-in attempts
-- audited in aggregate; the throttle's keys changed shape).
ALTER TABLE audit_log ADD COLUMN attempts BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN last_at_ms BIGINT NOT NULL DEFAULT 0;
DELETE FROM signin_throttle;

-- +goose Down
ALTER TABLE audit_log DROP COLUMN last_at_ms;
ALTER TABLE audit_log DROP COLUMN attempts;
