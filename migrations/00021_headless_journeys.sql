-- +goose Up
-- Headless journeys (seed 001, issue 14): borrowers a partner's backend opened
-- sessions for, their session tokens, and their journeys. Times are unix
-- milliseconds (UTC). Tokens are never stored: only their SHA-256.

-- A borrower is the partner's own reference for one of its users: the same
-- reference gets the same borrower, and with it the same journeys.
CREATE TABLE headless_borrowers (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT NOT NULL REFERENCES partners (id),
    external_ref     TEXT NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    UNIQUE (partner_id, external_ref)
);

-- One row per issued token pair. A refresh spends its row's refresh token and
-- issues the next row of the same family; a spent refresh token presented
-- again revokes the whole family (reuse detection: one of the two holders is
-- a thief).
CREATE TABLE headless_sessions (
    id                  TEXT PRIMARY KEY,
    family_id           TEXT NOT NULL,
    borrower_id         TEXT NOT NULL REFERENCES headless_borrowers (id),
    access_hash         TEXT NOT NULL UNIQUE,
    access_expires_ms   INTEGER NOT NULL,
    refresh_hash        TEXT NOT NULL UNIQUE,
    refresh_expires_ms  INTEGER NOT NULL,
    refresh_spent_at_ms INTEGER,
    revoked_at_ms       INTEGER,
    created_at_ms       INTEGER NOT NULL
);
CREATE INDEX headless_sessions_family ON headless_sessions (family_id);

-- A journey is a draft until it is submitted; from then on it is its
-- application (application_id), which officers, QA and the dashboard see like
-- any other. The draft profile is sealed (it holds the SSN).
CREATE TABLE headless_journeys (
    id               TEXT PRIMARY KEY,
    borrower_id      TEXT NOT NULL REFERENCES headless_borrowers (id),
    partner_id       TEXT NOT NULL REFERENCES partners (id),
    created_at_ms    INTEGER NOT NULL,
    profile_sealed   BLOB,
    profile_stage    INTEGER NOT NULL DEFAULT 0,         -- lending.ProfileStage
    profile_at_ms    INTEGER,
    canceled_at_ms   INTEGER,
    application_id   TEXT UNIQUE REFERENCES applications (id),
    last_snapshot    TEXT NOT NULL DEFAULT ''            -- status/nextAction of the last journey.snapshot
);
CREATE INDEX headless_journeys_borrower ON headless_journeys (borrower_id, created_at_ms);

-- +goose Down
DROP TABLE headless_journeys;
DROP TABLE headless_sessions;
DROP TABLE headless_borrowers;
