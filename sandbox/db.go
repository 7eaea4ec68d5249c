package sandbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"prequal/platform"
)

// The sandbox is a simulated external system with its own small SQLite file, so
// its SQL lives here rather than in the portal's store package. Times are stored
// as Unix microseconds; NULL means "never" or "not scheduled".

const schema = `
CREATE TABLE IF NOT EXISTS tokens (
	id         INTEGER PRIMARY KEY,
	token_hash TEXT    NOT NULL UNIQUE,
	client_id  TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS leads (
	uuid                TEXT    PRIMARY KEY,
	client_id           TEXT    NOT NULL,
	idempotency_key     TEXT    NOT NULL,
	body_sha256         TEXT    NOT NULL,
	partner_lead_id     TEXT    NOT NULL,
	scenario            TEXT    NOT NULL DEFAULT '',
	request_json        TEXT    NOT NULL,
	correlation_id      TEXT    NOT NULL DEFAULT '',
	status              TEXT    NOT NULL,
	notice              TEXT,
	selected_product_id TEXT,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	in_progress_at      INTEGER,
	finding_products_at INTEGER,
	next_step_at        INTEGER,
	UNIQUE (client_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS leads_by_partner_lead_id ON leads (partner_lead_id);
CREATE INDEX IF NOT EXISTS leads_by_next_step ON leads (next_step_at) WHERE next_step_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS products (
	product_id   TEXT    PRIMARY KEY,
	lead_uuid    TEXT    NOT NULL REFERENCES leads (uuid),
	position     INTEGER NOT NULL,
	lender_slug  TEXT    NOT NULL,
	product_json TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS products_by_lead ON products (lead_uuid, position);
CREATE TABLE IF NOT EXISTS deliveries (
	id              INTEGER PRIMARY KEY,
	lead_uuid       TEXT    NOT NULL REFERENCES leads (uuid),
	webhook_id      TEXT    NOT NULL,
	lead_status     TEXT    NOT NULL,
	body            BLOB    NOT NULL,
	bad_signatures  INTEGER NOT NULL DEFAULT 0,
	attempts        INTEGER NOT NULL DEFAULT 0,
	state           TEXT    NOT NULL DEFAULT 'pending',
	next_attempt_at INTEGER NOT NULL,
	last_status     INTEGER,
	last_error      TEXT,
	created_at      INTEGER NOT NULL,
	finished_at     INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (state, lead_uuid, id);
CREATE TABLE IF NOT EXISTS controls (
	id                     INTEGER PRIMARY KEY CHECK (id = 1),
	step_delay_ms          INTEGER NOT NULL,
	fail_deliveries        INTEGER NOT NULL,
	callbacks_enabled      INTEGER NOT NULL,
	intermediate_callbacks INTEGER NOT NULL,
	updated_at             INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS call_log (
	id              INTEGER PRIMARY KEY,
	at              INTEGER NOT NULL,
	kind            TEXT    NOT NULL,
	lead_uuid       TEXT    NOT NULL DEFAULT '',
	partner_lead_id TEXT    NOT NULL DEFAULT '',
	token_id        INTEGER,
	entry_json      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS call_log_by_lead ON call_log (lead_uuid, id);
CREATE INDEX IF NOT EXISTS call_log_by_partner_lead_id ON call_log (partner_lead_id, id);
CREATE INDEX IF NOT EXISTS call_log_by_token ON call_log (token_id) WHERE token_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS lender_outcomes (
	lead_uuid    TEXT PRIMARY KEY REFERENCES leads (uuid),
	outcome_json TEXT NOT NULL
);
`

// Delivery states.
const (
	deliveryPending   = "pending"
	deliveryDelivered = "delivered"
	deliveryFailed    = "failed"
)

// errNotFound is returned by the get* queries when no row matches.
var errNotFound = errors.New("sandbox: not found")

// store holds one writer pool of a single connection (SQLite has one writer at a
// time; queuing in database/sql beats retrying on SQLITE_BUSY) and a reader pool.
type store struct {
	w, r *sql.DB
}

// querier is what both *sql.DB and *sql.Tx offer, so queries run in or out of a
// transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func openStore(ctx context.Context, path string) (*store, error) {
	// synchronous(NORMAL): in WAL mode a commit is not fsynced, only checkpoints
	// are. A killed process loses nothing committed (the OS has the WAL); only a
	// power cut or kernel crash may lose the last commits — acceptable for the
	// stage platform's test data, and its lead steps, callbacks and deliveries
	// each waited for a disk flush before (see BENCHMARKS.md).
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sandbox: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if _, err := w.ExecContext(ctx, schema); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sandbox: create schema: %w", err)
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sandbox: open reader %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	return &store{w: w, r: r}, nil
}

func (st *store) close() error {
	return errors.Join(st.r.Close(), st.w.Close())
}

// inTx runs fn in one write transaction (BEGIN IMMEDIATE, from the DSN). fn must
// use only q: the writer pool has a single connection.
func (st *store) inTx(ctx context.Context, fn func(q querier) error) error {
	tx, err := st.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sandbox: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sandbox: commit: %w", err)
	}
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros stores a zero time as NULL.
func nullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMicros(v.Int64)
}

// ---- tokens ----

type tokenRow struct {
	ID        int64
	ClientID  string
	ExpiresAt time.Time
}

func insertToken(ctx context.Context, q querier, hash, clientID string, now, expires time.Time) (int64, error) {
	res, err := q.ExecContext(ctx,
		`INSERT INTO tokens (token_hash, client_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		hash, clientID, micros(now), micros(expires))
	if err != nil {
		return 0, fmt.Errorf("insertToken: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insertToken: %w", err)
	}
	return id, nil
}

func (st *store) getToken(ctx context.Context, hash string) (tokenRow, error) {
	var t tokenRow
	var exp int64
	err := st.r.QueryRowContext(ctx, `SELECT id, client_id, expires_at FROM tokens WHERE token_hash = ?`, hash).
		Scan(&t.ID, &t.ClientID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return tokenRow{}, errNotFound
	}
	if err != nil {
		return tokenRow{}, fmt.Errorf("getToken: %w", err)
	}
	t.ExpiresAt = fromMicros(exp)
	return t, nil
}

// ---- leads ----

// leadRow is a lead as the sandbox keeps it. Request is the submitted lead without
// the SSNs (the borrower's and a co-applicant's), which the sandbox never needs
// after validation and so never stores.
type leadRow struct {
	UUID              string
	ClientID          string
	IdempotencyKey    string
	BodySHA256        string
	PartnerLeadID     string
	Scenario          string
	Request           platform.LeadRequest
	CorrelationID     string
	Status            string
	Notice            *string
	SelectedProductID *string
	LenderOutcome     *platform.LenderOutcome // what QA played as the lender's decision; nil: none yet
	CreatedAt         time.Time
	UpdatedAt         time.Time
	InProgressAt      time.Time
	FindingAt         time.Time
	NextStepAt        time.Time // zero: nothing scheduled
}

const leadColumns = `uuid, client_id, idempotency_key, body_sha256, partner_lead_id, scenario, request_json,
	correlation_id, status, notice, selected_product_id, created_at, updated_at, in_progress_at,
	finding_products_at, next_step_at,
	(SELECT o.outcome_json FROM lender_outcomes o WHERE o.lead_uuid = leads.uuid)`

func scanLead(row interface{ Scan(...any) error }) (leadRow, error) {
	var (
		l                          leadRow
		reqJSON                    string
		notice, selected           sql.NullString
		created, updated           int64
		inProgress, finding, nextA sql.NullInt64
		outcomeJSON                sql.NullString
	)
	err := row.Scan(&l.UUID, &l.ClientID, &l.IdempotencyKey, &l.BodySHA256, &l.PartnerLeadID, &l.Scenario,
		&reqJSON, &l.CorrelationID, &l.Status, &notice, &selected, &created, &updated, &inProgress, &finding, &nextA,
		&outcomeJSON)
	if errors.Is(err, sql.ErrNoRows) {
		return leadRow{}, errNotFound
	}
	if err != nil {
		return leadRow{}, err
	}
	if err := json.Unmarshal([]byte(reqJSON), &l.Request); err != nil {
		return leadRow{}, fmt.Errorf("lead %s: request_json: %w", l.UUID, err)
	}
	if notice.Valid {
		l.Notice = &notice.String
	}
	if selected.Valid {
		l.SelectedProductID = &selected.String
	}
	if outcomeJSON.Valid {
		l.LenderOutcome = &platform.LenderOutcome{}
		if err := json.Unmarshal([]byte(outcomeJSON.String), l.LenderOutcome); err != nil {
			return leadRow{}, fmt.Errorf("lead %s: lender outcome: %w", l.UUID, err)
		}
	}
	l.CreatedAt, l.UpdatedAt = fromMicros(created), fromMicros(updated)
	l.InProgressAt, l.FindingAt, l.NextStepAt = fromNullMicros(inProgress), fromNullMicros(finding), fromNullMicros(nextA)
	return l, nil
}

// createLeadOnce inserts l unless the client already used its idempotency key; it
// returns the lead that holds the key and whether it was created now. The check and
// the insert share one immediate transaction, so two racing submits of the same key
// cannot both create a lead. onCreate runs in the same transaction after the insert.
func (st *store) createLeadOnce(ctx context.Context, l leadRow, onCreate func(q querier) error) (leadRow, bool, error) {
	var (
		got     leadRow
		created bool
	)
	err := st.inTx(ctx, func(q querier) error {
		existing, err := scanLead(q.QueryRowContext(ctx,
			`SELECT `+leadColumns+` FROM leads WHERE client_id = ? AND idempotency_key = ?`, l.ClientID, l.IdempotencyKey))
		if err == nil {
			got = existing
			return nil
		}
		if !errors.Is(err, errNotFound) {
			return err
		}
		req := l.Request
		req.Borrower.SSN = ""
		if co := req.CoApplicant; co != nil {
			withoutSSN := *co
			withoutSSN.SSN = ""
			req.CoApplicant = &withoutSSN
		}
		reqJSON, err := json.Marshal(req)
		if err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `INSERT INTO leads (uuid, client_id, idempotency_key, body_sha256, partner_lead_id,
			scenario, request_json, correlation_id, status, created_at, updated_at, next_step_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.UUID, l.ClientID, l.IdempotencyKey, l.BodySHA256, l.PartnerLeadID, l.Scenario, string(reqJSON),
			l.CorrelationID, l.Status, micros(l.CreatedAt), micros(l.UpdatedAt), nullMicros(l.NextStepAt))
		if err != nil {
			return err
		}
		got, created = l, true
		got.Request = req
		return onCreate(q)
	})
	if err != nil {
		return leadRow{}, false, fmt.Errorf("createLeadOnce: %w", err)
	}
	return got, created, nil
}

func getLead(ctx context.Context, q querier, uuid string) (leadRow, error) {
	l, err := scanLead(q.QueryRowContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE uuid = ?`, uuid))
	if err != nil && !errors.Is(err, errNotFound) {
		return leadRow{}, fmt.Errorf("getLead: %w", err)
	}
	return l, err
}

// listLeads returns the leads of a partner lead id (all leads when it is empty,
// newest 500), oldest first.
func (st *store) listLeads(ctx context.Context, partnerLeadID string) ([]leadRow, error) {
	rows, err := st.r.QueryContext(ctx, `SELECT * FROM (SELECT `+leadColumns+` FROM leads
		WHERE ? = '' OR partner_lead_id = ? ORDER BY created_at DESC, uuid LIMIT 500) ORDER BY created_at, uuid`,
		partnerLeadID, partnerLeadID)
	if err != nil {
		return nil, fmt.Errorf("listLeads: %w", err)
	}
	defer rows.Close()
	var out []leadRow
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, fmt.Errorf("listLeads: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listLeads: %w", err)
	}
	return out, nil
}

// updateLead writes the mutable part of a lead.
func updateLead(ctx context.Context, q querier, l leadRow) error {
	var notice, selected sql.NullString
	if l.Notice != nil {
		notice = sql.NullString{String: *l.Notice, Valid: true}
	}
	if l.SelectedProductID != nil {
		selected = sql.NullString{String: *l.SelectedProductID, Valid: true}
	}
	_, err := q.ExecContext(ctx, `UPDATE leads SET status = ?, notice = ?, selected_product_id = ?, updated_at = ?,
		in_progress_at = ?, finding_products_at = ?, next_step_at = ? WHERE uuid = ?`,
		l.Status, notice, selected, micros(l.UpdatedAt), nullMicros(l.InProgressAt), nullMicros(l.FindingAt),
		nullMicros(l.NextStepAt), l.UUID)
	if err != nil {
		return fmt.Errorf("updateLead: %w", err)
	}
	return nil
}

// dueLeads lists leads whose next status step is due.
func (st *store) dueLeads(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := st.r.QueryContext(ctx, `SELECT uuid FROM leads WHERE next_step_at IS NOT NULL AND next_step_at <= ?
		ORDER BY next_step_at LIMIT ?`, micros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("dueLeads: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("dueLeads: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dueLeads: %w", err)
	}
	return out, nil
}

// postponeLead moves a lead's next step to at.
func (st *store) postponeLead(ctx context.Context, uuid string, at time.Time) error {
	if _, err := st.w.ExecContext(ctx, `UPDATE leads SET next_step_at = ? WHERE uuid = ? AND next_step_at IS NOT NULL`,
		micros(at), uuid); err != nil {
		return fmt.Errorf("postponeLead: %w", err)
	}
	return nil
}

// nextStepAt is the earliest scheduled step of any lead (zero when none).
func (st *store) nextStepAt(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	// The condition lets SQLite use the partial index leads_by_next_step; without
	// it, this scanned every lead the platform ever had.
	if err := st.r.QueryRowContext(ctx, `SELECT MIN(next_step_at) FROM leads WHERE next_step_at IS NOT NULL`).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("nextStepAt: %w", err)
	}
	return fromNullMicros(v), nil
}

// ---- products ----

func insertProduct(ctx context.Context, q querier, leadUUID string, position int, lenderSlug string, p platform.Product) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("insertProduct: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO products (product_id, lead_uuid, position, lender_slug, product_json)
		VALUES (?, ?, ?, ?, ?)`, p.ProductID, leadUUID, position, lenderSlug, string(b))
	if err != nil {
		return fmt.Errorf("insertProduct: %w", err)
	}
	return nil
}

// productsOf returns a lead's products in their order; never nil.
func productsOf(ctx context.Context, q querier, leadUUID string) ([]platform.Product, error) {
	rows, err := q.QueryContext(ctx, `SELECT product_json FROM products WHERE lead_uuid = ? ORDER BY position`, leadUUID)
	if err != nil {
		return nil, fmt.Errorf("productsOf: %w", err)
	}
	defer rows.Close()
	out := []platform.Product{}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("productsOf: %w", err)
		}
		var p platform.Product
		if err := json.Unmarshal([]byte(b), &p); err != nil {
			return nil, fmt.Errorf("productsOf: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("productsOf: %w", err)
	}
	return out, nil
}

// productByID returns a product with its lead and lender.
func productByID(ctx context.Context, q querier, productID string) (leadUUID, lenderSlug string, p platform.Product, err error) {
	var b string
	err = q.QueryRowContext(ctx, `SELECT lead_uuid, lender_slug, product_json FROM products WHERE product_id = ?`, productID).
		Scan(&leadUUID, &lenderSlug, &b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", p, errNotFound
	}
	if err != nil {
		return "", "", p, fmt.Errorf("productByID: %w", err)
	}
	if err := json.Unmarshal([]byte(b), &p); err != nil {
		return "", "", p, fmt.Errorf("productByID: %w", err)
	}
	return leadUUID, lenderSlug, p, nil
}

// ---- deliveries ----

// deliveryRow is one callback to deliver: a fixed body and webhook id, retried
// until the receiver answers 2xx or maxDeliveryAttempts is reached. Deliveries of
// one lead go out in id order: a later one waits until the earlier is finished.
type deliveryRow struct {
	ID            int64
	LeadUUID      string
	PartnerLeadID string
	CorrelationID string
	WebhookID     string
	LeadStatus    string
	Body          []byte
	BadSignatures int
	Attempts      int
}

func insertDelivery(ctx context.Context, q querier, d deliveryRow, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO deliveries (lead_uuid, webhook_id, lead_status, body, bad_signatures,
		next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		d.LeadUUID, d.WebhookID, d.LeadStatus, d.Body, d.BadSignatures, micros(now), micros(now))
	if err != nil {
		return fmt.Errorf("insertDelivery: %w", err)
	}
	return nil
}

// headOfQueue selects pending deliveries that no earlier pending delivery of the
// same lead is waiting in front of.
const headOfQueue = `d.state = 'pending' AND NOT EXISTS (
	SELECT 1 FROM deliveries e WHERE e.lead_uuid = d.lead_uuid AND e.state = 'pending' AND e.id < d.id)`

// claimDueDeliveries leases up to limit due deliveries until leaseUntil, so that
// nothing else picks them up while they are in flight; a crash mid-send makes them
// due again when the lease ends.
func (st *store) claimDueDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]deliveryRow, error) {
	var out []deliveryRow
	err := st.inTx(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT d.id, d.lead_uuid, l.partner_lead_id, l.correlation_id, d.webhook_id, d.lead_status,
			d.body, d.bad_signatures, d.attempts FROM deliveries d JOIN leads l ON l.uuid = d.lead_uuid
			WHERE `+headOfQueue+` AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`, micros(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d deliveryRow
			if err := rows.Scan(&d.ID, &d.LeadUUID, &d.PartnerLeadID, &d.CorrelationID, &d.WebhookID, &d.LeadStatus, &d.Body,
				&d.BadSignatures, &d.Attempts); err != nil {
				return err
			}
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range out {
			if _, err := q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ? WHERE id = ?`,
				micros(leaseUntil), d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claimDueDeliveries: %w", err)
	}
	return out, nil
}

// deliveryResult is the outcome of one attempt.
type deliveryResult struct {
	Attempts    int
	State       string    // pending (retry), delivered or failed (gave up)
	NextAttempt time.Time // for pending
	Status      int       // receiver's HTTP status, 0 on a network error
	Err         string
	Finished    time.Time
}

// recordAttempt stores an attempt's outcome and its call-log entry together.
func (st *store) recordAttempt(ctx context.Context, id int64, res deliveryResult, entry LogEntry) error {
	return st.inTx(ctx, func(q querier) error {
		next := res.NextAttempt
		if next.IsZero() {
			next = res.Finished
		}
		var status sql.NullInt64
		if res.Status != 0 {
			status = sql.NullInt64{Int64: int64(res.Status), Valid: true}
		}
		var lastErr sql.NullString
		if res.Err != "" {
			lastErr = sql.NullString{String: res.Err, Valid: true}
		}
		finished := sql.NullInt64{}
		if res.State != deliveryPending {
			finished = nullMicros(res.Finished)
		}
		if _, err := q.ExecContext(ctx, `UPDATE deliveries SET attempts = ?, state = ?, next_attempt_at = ?,
			last_status = ?, last_error = ?, finished_at = ? WHERE id = ?`,
			res.Attempts, res.State, micros(next), status, lastErr, finished, id); err != nil {
			return fmt.Errorf("recordAttempt: %w", err)
		}
		return insertLog(ctx, q, entry, 0)
	})
}

// releaseDelivery ends a lease early (the sandbox is shutting down mid-send), so
// the delivery is due again at once after a restart.
func (st *store) releaseDelivery(ctx context.Context, id int64, now time.Time) error {
	if _, err := st.w.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND state = 'pending'`,
		micros(now), id); err != nil {
		return fmt.Errorf("releaseDelivery: %w", err)
	}
	return nil
}

// nextDeliveryAt is when the earliest deliverable callback is due (zero: none).
func (st *store) nextDeliveryAt(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	if err := st.r.QueryRowContext(ctx, `SELECT MIN(d.next_attempt_at) FROM deliveries d WHERE `+headOfQueue).
		Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("nextDeliveryAt: %w", err)
	}
	return fromNullMicros(v), nil
}

// ---- controls ----

// loadControls returns the controls QA saved, and false when none were saved.
func (st *store) loadControls(ctx context.Context) (Controls, bool, error) {
	var (
		c                     Controls
		delayMs               int64
		enabled, intermediate bool
	)
	err := st.r.QueryRowContext(ctx, `SELECT step_delay_ms, fail_deliveries, callbacks_enabled, intermediate_callbacks
		FROM controls WHERE id = 1`).Scan(&delayMs, &c.FailDeliveries, &enabled, &intermediate)
	if errors.Is(err, sql.ErrNoRows) {
		return Controls{}, false, nil
	}
	if err != nil {
		return Controls{}, false, fmt.Errorf("loadControls: %w", err)
	}
	c.StepDelay = time.Duration(delayMs) * time.Millisecond
	c.CallbacksEnabled, c.IntermediateCallbacks = enabled, intermediate
	return c, true, nil
}

func saveControls(ctx context.Context, q querier, c Controls, now time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO controls (id, step_delay_ms, fail_deliveries, callbacks_enabled,
		intermediate_callbacks, updated_at) VALUES (1, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET step_delay_ms = excluded.step_delay_ms, fail_deliveries = excluded.fail_deliveries,
		callbacks_enabled = excluded.callbacks_enabled, intermediate_callbacks = excluded.intermediate_callbacks,
		updated_at = excluded.updated_at`,
		c.StepDelay.Milliseconds(), c.FailDeliveries, c.CallbacksEnabled, c.IntermediateCallbacks, micros(now))
	if err != nil {
		return fmt.Errorf("saveControls: %w", err)
	}
	return nil
}

func deleteControls(ctx context.Context, q querier) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM controls`); err != nil {
		return fmt.Errorf("deleteControls: %w", err)
	}
	return nil
}

// ---- call log ----

// insertLog appends an entry; tokenID links a request to the token it used (or,
// for a token entry, the token it issued), 0 for none.
func insertLog(ctx context.Context, q querier, e LogEntry, tokenID int64) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("insertLog: %w", err)
	}
	var tok sql.NullInt64
	if tokenID != 0 {
		tok = sql.NullInt64{Int64: tokenID, Valid: true}
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO call_log (at, kind, lead_uuid, partner_lead_id, token_id, entry_json)
		VALUES (?, ?, ?, ?, ?, ?)`, micros(e.Time), e.Kind, e.LeadUUID, e.PartnerLeadID, tok, string(b)); err != nil {
		return fmt.Errorf("insertLog: %w", err)
	}
	return nil
}

// logEntries returns, in time order, the entries of a lead (by uuid or by partner
// lead id, including submits that were refused before a lead existed) plus the
// token requests that issued the tokens those calls used. With neither filter it
// returns the newest 500 entries.
func (st *store) logEntries(ctx context.Context, leadUUID, partnerLeadID string) ([]LogEntry, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if leadUUID == "" && partnerLeadID == "" {
		rows, err = st.r.QueryContext(ctx, `SELECT id, entry_json FROM
			(SELECT id, entry_json FROM call_log ORDER BY id DESC LIMIT 500) ORDER BY id`)
	} else {
		rows, err = st.r.QueryContext(ctx, `WITH mine AS (
				SELECT id, token_id FROM call_log
				WHERE (?1 <> '' AND lead_uuid = ?1)
				   OR (?2 <> '' AND (partner_lead_id = ?2 OR lead_uuid IN (SELECT uuid FROM leads WHERE partner_lead_id = ?2))))
			SELECT id, entry_json FROM call_log
			WHERE id IN (SELECT id FROM mine)
			   OR (kind = 'token' AND token_id IN (SELECT token_id FROM mine WHERE token_id IS NOT NULL))
			ORDER BY id`, leadUUID, partnerLeadID)
	}
	if err != nil {
		return nil, fmt.Errorf("logEntries: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var (
			id int64
			b  string
		)
		if err := rows.Scan(&id, &b); err != nil {
			return nil, fmt.Errorf("logEntries: %w", err)
		}
		var e LogEntry
		if err := json.Unmarshal([]byte(b), &e); err != nil {
			return nil, fmt.Errorf("logEntries: %w", err)
		}
		e.ID = id
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("logEntries: %w", err)
	}
	return out, nil
}

// setLenderOutcome stores the lead's lender outcome (one per lead, replaced as
// it moves forward).
func setLenderOutcome(ctx context.Context, q querier, leadUUID string, o platform.LenderOutcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `INSERT INTO lender_outcomes (lead_uuid, outcome_json) VALUES (?, ?)
		ON CONFLICT (lead_uuid) DO UPDATE SET outcome_json = excluded.outcome_json`, leadUUID, string(b))
	if err != nil {
		return fmt.Errorf("setLenderOutcome: %w", err)
	}
	return nil
}
