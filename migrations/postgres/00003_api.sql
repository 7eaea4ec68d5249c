-- +goose Up
-- PostgreSQL twin of ../00003_api.sql (why keys are stored as SHA-256 and usage
-- as counters is said there).

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    prefix          TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    rotated_at_ms   BIGINT,
    revoked_at_ms   BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at_ms);

CREATE TABLE api_usage (
    key_id   TEXT NOT NULL REFERENCES api_keys (id),
    month    TEXT NOT NULL,
    calls    BIGINT NOT NULL,
    PRIMARY KEY (key_id, month)
);

-- +goose Down
DROP TABLE api_usage;
DROP TABLE api_keys;
