-- +goose Up
-- Borrower email (issue 20): the mail outbox, resume tokens, the sessions a
-- resume link bound an application to, and "Send me a link" throttling.
-- Times are unix milliseconds (UTC).

-- One row per email, written in the same transaction as the change that causes
-- it. cause is unique: a second enqueue of the same cause changes nothing, so
-- each email is sent at most once per cause. The worker claims rows like jobs
-- (a lease that a dead process's claim runs out of) and retries with backoff.
CREATE TABLE mail_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    cause            TEXT NOT NULL UNIQUE,               -- lending.MailCause
    kind             TEXT NOT NULL,                      -- lending.MailKind
    application_id   TEXT NOT NULL REFERENCES applications (id),
    token_id         TEXT,                               -- the resume token the email carries
    status           TEXT NOT NULL DEFAULT 'queued',     -- lending.MailStatus
    created_at_ms    INTEGER NOT NULL,
    run_after_ms     INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until_ms   INTEGER,
    sent_at_ms       INTEGER,
    last_error       TEXT NOT NULL DEFAULT '',
    subject          TEXT NOT NULL DEFAULT '',           -- as sent
    message_id       TEXT NOT NULL DEFAULT ''            -- as sent
);
CREATE INDEX mail_outbox_runnable ON mail_outbox (status, run_after_ms);
CREATE INDEX mail_outbox_application ON mail_outbox (application_id, id);

-- Resume tokens (lending.ResumeToken): the link carries the signed token; this
-- row makes it single-use. email is the address it was issued to (normalized).
CREATE TABLE resume_tokens (
    id               TEXT PRIMARY KEY,
    application_id   TEXT NOT NULL REFERENCES applications (id),
    email            TEXT NOT NULL,
    issued_at_ms     INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    spent_at_ms      INTEGER,
    spent_by_session TEXT
);
CREATE INDEX resume_tokens_application ON resume_tokens (application_id);

-- Borrower sessions an application was opened in through a resume link, besides
-- the one it was created in (applications.session_id).
CREATE TABLE application_sessions (
    application_id   TEXT NOT NULL REFERENCES applications (id),
    session_id       TEXT NOT NULL,
    bound_at_ms      INTEGER NOT NULL,
    PRIMARY KEY (application_id, session_id)
);
CREATE INDEX application_sessions_session ON application_sessions (session_id, bound_at_ms);

-- "Send me a link" requests per throttle key ("address:{keyed hash}" — never
-- the address typed — or "ip:{address}"), for lending.ResumeLinkRequestAllowed.
CREATE TABLE resume_link_requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    throttle_key     TEXT NOT NULL,
    at_ms            INTEGER NOT NULL
);
CREATE INDEX resume_link_requests_key ON resume_link_requests (throttle_key, at_ms);
CREATE INDEX resume_link_requests_at ON resume_link_requests (at_ms);

-- When the borrower first opened a resume link sent to the application's address.
ALTER TABLE applications ADD COLUMN email_confirmed_at_ms INTEGER;

-- The offers-about-to-expire sweep looks for offers_found leads by when their
-- offers were found.
CREATE INDEX applications_offers_found ON applications (lead_status, lead_terminal_at_ms);

-- +goose Down
DROP INDEX applications_offers_found;
ALTER TABLE applications DROP COLUMN email_confirmed_at_ms;
DROP TABLE resume_link_requests;
DROP TABLE application_sessions;
DROP TABLE resume_tokens;
DROP TABLE mail_outbox;
