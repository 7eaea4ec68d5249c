-- +goose Up
-- Partner webhooks (issue 16): the endpoints partners register, and one
-- delivery per (endpoint, event) that the webhook worker sends, retries and
-- replays. Times are unix milliseconds (UTC).

-- secret_sealed is the endpoint's whsec_ signing secret under PORTAL_DATA_KEY
-- (AAD: the endpoint id); after a rotation the old one stays valid, and is
-- signed with too, until previous_until_ms.
CREATE TABLE webhook_endpoints (
    id                   TEXT PRIMARY KEY,              -- we_ + 128 random bits
    partner_id           TEXT NOT NULL REFERENCES partners (id),
    url                  TEXT NOT NULL,
    event_types          TEXT NOT NULL,                 -- space-separated lending.WebhookEventType values
    secret_sealed        BLOB NOT NULL,
    previous_sealed      BLOB,
    previous_until_ms    INTEGER,
    failing_since_ms     INTEGER,                       -- set when a delivery gave up; cleared by a success
    created_at_ms        INTEGER NOT NULL,
    deleted_at_ms        INTEGER
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id, created_at_ms);

-- A delivery is one event for one endpoint. attempts counts the current round
-- (a replay starts a new round with the same webhook-id, the event's id).
CREATE TABLE webhook_deliveries (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id          TEXT NOT NULL REFERENCES webhook_endpoints (id),
    event_id             TEXT NOT NULL REFERENCES partner_events (id),
    status               TEXT NOT NULL,                 -- pending | delivered | failed
    attempts             INTEGER NOT NULL DEFAULT 0,
    created_at_ms        INTEGER NOT NULL,
    round_started_ms     INTEGER NOT NULL,
    next_attempt_ms      INTEGER NOT NULL,
    lease_owner          TEXT,
    lease_until_ms       INTEGER,
    last_attempt_ms      INTEGER,
    last_status_code     INTEGER NOT NULL DEFAULT 0,    -- 0: no HTTP answer
    last_latency_ms      INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT NOT NULL DEFAULT '',
    delivered_at_ms      INTEGER
);
CREATE UNIQUE INDEX webhook_deliveries_endpoint_event ON webhook_deliveries (endpoint_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
-- The leased (in flight) deliveries: few, counted per endpoint at every claim.
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (lease_until_ms) WHERE lease_until_ms IS NOT NULL;

-- Events not yet fanned out to the endpoints that want them.
ALTER TABLE partner_events ADD COLUMN fanned_out INTEGER NOT NULL DEFAULT 0;
CREATE INDEX partner_events_unfanned ON partner_events (fanned_out) WHERE fanned_out = 0;

-- +goose Down
DROP INDEX partner_events_unfanned;
ALTER TABLE partner_events DROP COLUMN fanned_out;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
