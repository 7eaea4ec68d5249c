-- +goose Up
-- Per-key request counts of the JSON API's rate limits, shared by every portal
-- instance on the database (store.RateLimiter): one row per key, its current
-- window's end and how many requests were handed out in it. last_grant is what
-- the latest lease got (set and returned by the same upsert).
CREATE TABLE rate_limits (
    rate_key       TEXT PRIMARY KEY,
    window_end_ms  INTEGER NOT NULL,
    used           INTEGER NOT NULL,
    last_grant     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
