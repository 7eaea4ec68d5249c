-- +goose Up
-- Partners (tenants) own API keys; a key carries scopes. Times are unix
-- milliseconds (UTC).

-- A partner registered at /developers has an email and an argon2id password
-- hash (the officers' rules); one an admin made for a key has neither (email
-- NULL: UNIQUE lets any number of them be NULL).
CREATE TABLE partners (
    id                  TEXT PRIMARY KEY,            -- the tenant id API keys and usage name
    name                TEXT NOT NULL,
    email               TEXT UNIQUE,                 -- lower-case (lending.NormalizePartnerEmail)
    password_hash       TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,               -- pending | active | suspended
    created_at_ms       INTEGER NOT NULL,
    approved_at_ms      INTEGER,
    suspended_at_ms     INTEGER,
    last_sign_in_at_ms  INTEGER
);
CREATE INDEX partners_status ON partners (status, created_at_ms);

-- Every tenant that already had keys becomes an active partner of that id.
INSERT INTO partners (id, name, status, created_at_ms, approved_at_ms)
    SELECT tenant_id, tenant_id, 'active', MIN(created_at_ms), MIN(created_at_ms)
    FROM api_keys GROUP BY tenant_id;

-- A key's scopes, space-separated (lending.Scopes); existing keys were Credit
-- Decision API keys. name is the partner's label for the key.
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'decision';
ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';

-- Developer dashboard sessions: the officers' design (officer_sessions).
CREATE TABLE partner_sessions (
    token_hash        TEXT PRIMARY KEY,
    partner_id        TEXT NOT NULL REFERENCES partners (id),
    created_at_ms     INTEGER NOT NULL,
    last_seen_at_ms   INTEGER NOT NULL,
    expires_at_ms     INTEGER NOT NULL,
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
