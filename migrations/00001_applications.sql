-- +goose Up
-- Times are unix milliseconds (UTC); money is integer cents; rates are basis points.

CREATE TABLE applications (
    id                       TEXT PRIMARY KEY,            -- 128 random bits, base32
    session_id               TEXT NOT NULL,               -- the borrower session it is bound to
    idempotency_key          TEXT NOT NULL UNIQUE,
    correlation_id           TEXT NOT NULL,
    partner_lead_id          TEXT NOT NULL UNIQUE,
    is_test                  INTEGER NOT NULL DEFAULT 0,  -- started from a QA scenario
    created_at_ms            INTEGER NOT NULL,
    updated_at_ms            INTEGER NOT NULL,

    requested_amount_cents   INTEGER NOT NULL,
    loan_purpose             TEXT NOT NULL,
    first_name               TEXT NOT NULL,
    last_name                TEXT NOT NULL,
    email                    TEXT NOT NULL,
    phone                    TEXT NOT NULL,
    dob                      TEXT NOT NULL,
    ssn_sealed               BLOB NOT NULL,               -- AES-GCM under PORTAL_DATA_KEY
    ssn_last4                TEXT NOT NULL,
    ssn_fingerprint          TEXT NOT NULL,               -- keyed HMAC, for screening without decrypting
    street                   TEXT NOT NULL,
    unit                     TEXT NOT NULL DEFAULT '',
    city                     TEXT NOT NULL,
    state                    TEXT NOT NULL,
    zipcode                  TEXT NOT NULL,
    employment_status        TEXT NOT NULL,
    income_yearly_cents      INTEGER NOT NULL,
    housing_type             TEXT NOT NULL,
    housing_monthly_cents    INTEGER NOT NULL,
    credit_rating            TEXT NOT NULL,
    client_ip                TEXT NOT NULL DEFAULT '',

    -- the lead at the platform
    lead_uuid                TEXT,
    lead_status              TEXT NOT NULL DEFAULT 'created',
    lead_attempt             INTEGER NOT NULL DEFAULT 1,  -- a retry after timed_out submits attempt + 1
    lead_submitted_at_ms     INTEGER,
    lead_status_at_ms        INTEGER NOT NULL,
    lead_terminal_at_ms      INTEGER,
    lead_deadline_ms         INTEGER NOT NULL,            -- timed_out after this with nothing terminal
    last_callback_at_ms      INTEGER,
    next_poll_at_ms          INTEGER,
    submit_error             TEXT NOT NULL DEFAULT '',    -- the platform's refusal, JSON field errors
    adverse_action_notice    TEXT,                        -- raw HTML as received; sanitized at render
    selected_product_id      TEXT,
    selected_at_ms           INTEGER,

    -- officer review (seeds 003/004)
    review_status            TEXT NOT NULL DEFAULT 'Pending',
    review_submitted_at_ms   INTEGER,
    review_decided_at_ms     INTEGER,
    notice_sent_at_ms        INTEGER
);
CREATE INDEX applications_session ON applications (session_id, created_at_ms);
CREATE INDEX applications_lead_uuid ON applications (lead_uuid);
CREATE INDEX applications_pending_leads ON applications (lead_status, next_poll_at_ms);
CREATE INDEX applications_created ON applications (created_at_ms);
CREATE INDEX applications_email ON applications (email, created_at_ms);
CREATE INDEX applications_ip ON applications (client_ip, created_at_ms);
CREATE INDEX applications_ssn ON applications (ssn_fingerprint);

-- Consent evidence: which text the borrower agreed to, when, from where.
CREATE TABLE consents (
    application_id  TEXT NOT NULL REFERENCES applications (id),
    kind            TEXT NOT NULL,       -- soft_pull | terms | esign | tcpa
    text_version    TEXT NOT NULL,
    granted         INTEGER NOT NULL,
    at_ms           INTEGER NOT NULL,
    ip              TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    PRIMARY KEY (application_id, kind)
);

-- Durable work for the worker (outbox). A claimed job whose lease ran out is claimable again.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id   TEXT NOT NULL REFERENCES applications (id),
    kind             TEXT NOT NULL,      -- submit
    run_after_ms     INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until_ms   INTEGER,
    done_at_ms       INTEGER,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at_ms    INTEGER NOT NULL
);
CREATE INDEX jobs_runnable ON jobs (done_at_ms, run_after_ms);
CREATE INDEX jobs_application ON jobs (application_id);

-- Everything that happened to an application, in order: the officer timeline and the tests read it.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    at_ms           INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    source          TEXT NOT NULL,       -- borrower | worker | callback | poller | officer | system
    actor           TEXT NOT NULL DEFAULT '',
    status_from     TEXT NOT NULL DEFAULT '',
    status_to       TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_application ON events (application_id, id);
CREATE INDEX events_kind ON events (kind, at_ms);

-- Products offered for an application's current lead.
CREATE TABLE products (
    application_id         TEXT NOT NULL REFERENCES applications (id),
    product_id             TEXT NOT NULL,
    lender_name            TEXT NOT NULL,
    amount_range           TEXT NOT NULL,
    loan_amount_cents      INTEGER NOT NULL,
    term_months            INTEGER NOT NULL,
    apr_bps                INTEGER NOT NULL,
    interest_rate_bps      INTEGER NOT NULL,
    monthly_payment_cents  INTEGER NOT NULL,
    total_repayment_cents  INTEGER NOT NULL,
    total_interest_cents   INTEGER NOT NULL,
    origination_fee_cents  INTEGER NOT NULL,
    lender_offer_url       TEXT NOT NULL,
    disclaimer             TEXT NOT NULL,
    PRIMARY KEY (application_id, product_id)
);
CREATE INDEX products_lender ON products (lender_name);

-- Callback webhook-ids already applied: a repeat is acknowledged and changes nothing.
CREATE TABLE webhook_receipts (
    webhook_id      TEXT PRIMARY KEY,
    received_at_ms  INTEGER NOT NULL,
    application_id  TEXT
);

-- +goose Down
DROP TABLE webhook_receipts;
DROP TABLE products;
DROP TABLE events;
DROP TABLE jobs;
DROP TABLE consents;
DROP TABLE applications;
