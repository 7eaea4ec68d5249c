-- +goose Up
-- Idempotency-Key records of the JSON API (api.Idempotency): one per partner and
-- key. While the first request runs, status_code is NULL and locked_until_ms
-- bounds how long another request with the key is refused (409) should the
-- process die mid-request; once it has answered, the response is kept here and
-- replayed until expires_at_ms (at least 24 hours).
CREATE TABLE idempotency_keys (
    scope            TEXT NOT NULL,               -- whose key: the partner's id
    idempotency_key  TEXT NOT NULL,
    method           TEXT NOT NULL,
    path             TEXT NOT NULL,
    request_hash     TEXT NOT NULL,               -- hex SHA-256 of method, path and body
    created_at_ms    INTEGER NOT NULL,
    locked_until_ms  INTEGER NOT NULL,
    status_code      INTEGER,                     -- NULL while the first request runs
    response_header  TEXT NOT NULL DEFAULT '',    -- JSON object of the replayed headers
    response_body    BLOB,
    expires_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at_ms);

-- +goose Down
DROP TABLE idempotency_keys;
