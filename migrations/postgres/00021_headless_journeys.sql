-- +goose Up
-- PostgreSQL twin of ../00021_headless_journeys.sql (headless journeys:
-- borrowers, their rotating session tokens, journeys).

CREATE TABLE headless_borrowers (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT NOT NULL REFERENCES partners (id),
    external_ref     TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    UNIQUE (partner_id, external_ref)
);

CREATE TABLE headless_sessions (
    id                  TEXT PRIMARY KEY,
    family_id           TEXT NOT NULL,
    borrower_id         TEXT NOT NULL REFERENCES headless_borrowers (id),
    access_hash         TEXT NOT NULL UNIQUE,
    access_expires_ms   BIGINT NOT NULL,
    refresh_hash        TEXT NOT NULL UNIQUE,
    refresh_expires_ms  BIGINT NOT NULL,
    refresh_spent_at_ms BIGINT,
    revoked_at_ms       BIGINT,
    created_at_ms       BIGINT NOT NULL
);
CREATE INDEX headless_sessions_family ON headless_sessions (family_id);

CREATE TABLE headless_journeys (
    id               TEXT PRIMARY KEY,
    borrower_id      TEXT NOT NULL REFERENCES headless_borrowers (id),
    partner_id       TEXT NOT NULL REFERENCES partners (id),
    created_at_ms    BIGINT NOT NULL,
    profile_sealed   BYTEA,
    profile_stage    BIGINT NOT NULL DEFAULT 0,
    profile_at_ms    BIGINT,
    canceled_at_ms   BIGINT,
    application_id   TEXT UNIQUE REFERENCES applications (id),
    last_snapshot    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX headless_journeys_borrower ON headless_journeys (borrower_id, created_at_ms);

-- +goose Down
DROP TABLE headless_journeys;
DROP TABLE headless_sessions;
DROP TABLE headless_borrowers;
