-- +goose Up
-- The Credit Decision API (seed 002): partners' API keys and their billed usage.
-- Times are unix milliseconds (UTC).

-- One row per API key. A key's secret is 256 random bits, so it is stored only as
-- its SHA-256 (hex): a fast unsalted hash is safe for a high-entropy secret (nobody
-- can brute-force 2^256 candidates; salts and slow hashes such as argon2 exist for
-- guessable passwords), and it keeps the per-request lookup a single indexed read.
-- Rotation replaces the hash in place, so the old secret stops matching at once
-- while the key's id, tenant, creation time and usage history carry on.
CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,            -- 128 random bits, base32; never secret
    tenant_id       TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,        -- hex SHA-256 of the current secret
    prefix          TEXT NOT NULL,               -- the secret's first characters, for display
    created_at_ms   INTEGER NOT NULL,
    rotated_at_ms   INTEGER,                     -- last rotation, NULL if never rotated
    revoked_at_ms   INTEGER                      -- revoked keys never authenticate again
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at_ms);

-- Billed calls per key and UTC month ('YYYY-MM'). Counters rather than one row per
-- call: at 10,000 calls a minute per key a call log would grow by millions of rows a
-- day, while billing and the usage endpoint only ever ask for these sums. A batch of
-- calls is one upsert per key and month in one transaction (store.UsageRecorder).
CREATE TABLE api_usage (
    key_id   TEXT NOT NULL REFERENCES api_keys (id),
    month    TEXT NOT NULL,
    calls    INTEGER NOT NULL,
    PRIMARY KEY (key_id, month)
);

-- +goose Down
DROP TABLE api_usage;
DROP TABLE api_keys;
