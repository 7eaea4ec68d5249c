-- +goose Up
-- PostgreSQL twin of ../00005_partners.sql (partners own API keys; keys carry
-- scopes; developer dashboard sessions).

CREATE TABLE partners (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    email               TEXT UNIQUE,
    password_hash       TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    approved_at_ms      BIGINT,
    suspended_at_ms     BIGINT,
    last_sign_in_at_ms  BIGINT
);
CREATE INDEX partners_status ON partners (status, created_at_ms);

INSERT INTO partners (id, name, status, created_at_ms, approved_at_ms)
    SELECT tenant_id, tenant_id, 'active', MIN(created_at_ms), MIN(created_at_ms)
    FROM api_keys GROUP BY tenant_id;

ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'decision';
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';

CREATE TABLE partner_sessions (
    token_hash        TEXT PRIMARY KEY,
    partner_id        TEXT NOT NULL REFERENCES partners (id),
    created_at_ms     BIGINT NOT NULL,
    last_seen_at_ms   BIGINT NOT NULL,
    expires_at_ms     BIGINT NOT NULL,
    ip                TEXT NOT NULL DEFAULT '',
    user_agent        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX partner_sessions_partner ON partner_sessions (partner_id);
CREATE INDEX partner_sessions_expiry ON partner_sessions (expires_at_ms);

-- +goose Down
DROP TABLE partner_sessions;
ALTER TABLE api_keys DROP COLUMN name;
ALTER TABLE api_keys DROP COLUMN scopes;
DROP TABLE partners;
