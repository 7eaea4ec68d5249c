-- +goose Up
-- PostgreSQL twin of ../00008_partner_events.sql (the partner-event outbox).
CREATE TABLE partner_events (
    id               TEXT PRIMARY KEY,
    partner_id       TEXT,
    application_id   TEXT REFERENCES applications (id),
    type             TEXT NOT NULL,
    sequence         BIGINT NOT NULL,
    occurred_at_ms   BIGINT NOT NULL,
    payload_version  BIGINT NOT NULL,
    payload          TEXT NOT NULL
);
CREATE UNIQUE INDEX partner_events_application_sequence ON partner_events (application_id, sequence)
    WHERE application_id IS NOT NULL;
CREATE INDEX partner_events_partner ON partner_events (partner_id, occurred_at_ms);

-- +goose Down
DROP TABLE partner_events;
