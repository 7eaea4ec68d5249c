-- +goose Up
-- PostgreSQL twin of ../00040_rate_limits.sql.
CREATE TABLE rate_limits (
    rate_key       TEXT PRIMARY KEY,
    window_end_ms  BIGINT NOT NULL,
    used           BIGINT NOT NULL,
    last_grant     BIGINT NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
