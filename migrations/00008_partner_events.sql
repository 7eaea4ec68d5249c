-- +goose Up
-- The partner-event outbox (store.addPartnerEvent): every change a partner may
-- hear about is written here in the same transaction as the change, and the
-- webhook worker delivers it. sequence counts an application's events from 1
-- (applications.partner_event_seq); events about no application have 0.
CREATE TABLE partner_events (
    id               TEXT PRIMARY KEY,            -- evt_ + 128 random bits
    partner_id       TEXT,                        -- whose event; NULL: a browser-made application's (operators only)
    application_id   TEXT REFERENCES applications (id),
    type             TEXT NOT NULL,               -- journey.snapshot, creditApplication.approved, …
    sequence         INTEGER NOT NULL,
    occurred_at_ms   INTEGER NOT NULL,
    payload_version  INTEGER NOT NULL,
    payload          TEXT NOT NULL                -- JSON
);
CREATE UNIQUE INDEX partner_events_application_sequence ON partner_events (application_id, sequence)
    WHERE application_id IS NOT NULL;
CREATE INDEX partner_events_partner ON partner_events (partner_id, occurred_at_ms);

-- +goose Down
DROP TABLE partner_events;
