-- +goose Up
-- PostgreSQL twin of ../00007_idempotency.sql (the JSON API's Idempotency-Key
-- records). The primary key is what settles two instances racing one key.
CREATE TABLE idempotency_keys (
    scope            TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,
    request_hash     TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    locked_until_ms  BIGINT NOT NULL,
    status_code      BIGINT,
    response_header  TEXT NOT NULL DEFAULT '',
    response_body    BYTEA,
    expires_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at_ms);

-- +goose Down
DROP TABLE idempotency_keys;
