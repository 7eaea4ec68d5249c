-- +goose Up
-- The officer back office: accounts, server-side sessions, sign-in throttling, the
-- audit log, the review decision's details, and the indexes the pipeline needs.

CREATE TABLE officers (
    id                  TEXT PRIMARY KEY,
    email               TEXT NOT NULL UNIQUE,          -- stored lower-case (lending.NormalizeOfficerEmail)
    role                TEXT NOT NULL,                 -- officer | admin
    password_hash       TEXT NOT NULL,                 -- argon2id, PHC string
    created_at_ms       INTEGER NOT NULL,
    last_sign_in_at_ms  INTEGER
);

-- The cookie carries a random token; only its SHA-256 is kept, so a copy of the
-- database does not hand out live sessions. Deleting the row ends the session.
CREATE TABLE officer_sessions (
    token_hash        TEXT PRIMARY KEY,
    officer_id        TEXT NOT NULL REFERENCES officers (id),
    created_at_ms     INTEGER NOT NULL,
    last_seen_at_ms   INTEGER NOT NULL,
    expires_at_ms     INTEGER NOT NULL,                -- the absolute limit
    ip                TEXT NOT NULL DEFAULT '',
    user_agent        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX officer_sessions_officer ON officer_sessions (officer_id);
CREATE INDEX officer_sessions_expiry ON officer_sessions (expires_at_ms);

-- Recent sign-in failures per key ("account:{email}" or "ip:{address}").
CREATE TABLE signin_throttle (
    throttle_key          TEXT PRIMARY KEY,
    failures              INTEGER NOT NULL,
    first_failure_at_ms   INTEGER NOT NULL,
    last_failure_at_ms    INTEGER NOT NULL,
    blocked_until_ms      INTEGER NOT NULL DEFAULT 0
);

-- Who did what, when, from where: every sign-in attempt and every officer action.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms           INTEGER NOT NULL,
    officer_id      TEXT NOT NULL DEFAULT '',
    officer_email   TEXT NOT NULL DEFAULT '',
    action          TEXT NOT NULL,
    outcome         TEXT NOT NULL DEFAULT 'ok',
    application_id  TEXT NOT NULL DEFAULT '',
    note            TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    ip              TEXT NOT NULL DEFAULT '',
    user_agent      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_application ON audit_log (application_id, id);
CREATE INDEX audit_log_action ON audit_log (action, at_ms);

-- The review decision (seed 004's review_details and Regulation B reasons).
ALTER TABLE applications ADD COLUMN review_reasons TEXT NOT NULL DEFAULT '';    -- comma-separated reason codes
ALTER TABLE applications ADD COLUMN review_other_text TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN review_decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN review_note TEXT NOT NULL DEFAULT '';

-- The pipeline pages by creation time (ties by id) within the filtered set; with
-- these the newest page of a filter is read in index order instead of sorted.
CREATE INDEX applications_created_id ON applications (created_at_ms, id);
CREATE INDEX applications_lead_status_created ON applications (lead_status, created_at_ms, id);
CREATE INDEX applications_review_created ON applications (review_status, created_at_ms, id);
CREATE INDEX applications_test_created ON applications (is_test, created_at_ms, id);
CREATE INDEX applications_test_lead_status_created ON applications (is_test, lead_status, created_at_ms, id);
CREATE INDEX applications_amount ON applications (requested_amount_cents, created_at_ms, id);
CREATE INDEX products_lender_application ON products (lender_name, application_id);

-- +goose Down
DROP INDEX products_lender_application;
DROP INDEX applications_amount;
DROP INDEX applications_test_lead_status_created;
DROP INDEX applications_test_created;
DROP INDEX applications_review_created;
DROP INDEX applications_lead_status_created;
DROP INDEX applications_created_id;
ALTER TABLE applications DROP COLUMN review_note;
ALTER TABLE applications DROP COLUMN review_decided_by;
ALTER TABLE applications DROP COLUMN review_other_text;
ALTER TABLE applications DROP COLUMN review_reasons;
DROP TABLE audit_log;
DROP TABLE signin_throttle;
DROP TABLE officer_sessions;
DROP TABLE officers;
