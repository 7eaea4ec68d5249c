package store

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

// usageMonthLayout names a billing month: UTC "YYYY-MM".
const usageMonthLayout = "2006-01"

// usageCommitTimeout bounds one group commit. The commit runs detached from any
// single request's context, because every request in the batch waits for it.
const usageCommitTimeout = 15 * time.Second

// APIUsage is one key's billed calls: in total and in the current UTC month.
type APIUsage struct {
	Calls          int64
	CallsThisMonth int64
}

// APIMonthlyUsage is one key's billed calls in one UTC month ("YYYY-MM").
type APIMonthlyUsage struct {
	KeyID string
	Month string
	Calls int64
}

// RecordAPICalls adds one billed call per entry of keyIDs, at the store's clock,
// in one transaction: one upsert per key and month however many calls there are.
// The commit is logged, not synced (groupcommit.go): it survives a crash of the
// portal, and a power cut once the WAL is next fsynced, normally within a
// second; waiting for an fsync per batch would have been most of each call's time.
func (s *Store) RecordAPICalls(ctx context.Context, keyIDs []string) error {
	if len(keyIDs) == 0 {
		return nil
	}
	month := s.now().UTC().Format(usageMonthLayout)
	counts := make(map[string]int64, 1)
	order := make([]string, 0, 1) // keep a stable statement order (no lock-order surprises later in PostgreSQL)
	for _, id := range keyIDs {
		if counts[id] == 0 {
			order = append(order, id)
		}
		counts[id]++
	}
	args := make([]any, 0, 3*len(order))
	for _, id := range order {
		args = append(args, id, month, counts[id])
	}
	err := s.inTxLogged(ctx, func(tx *sql.Tx) error {
		// One statement per power-of-two run of keys (45 keys: 32, 8, 4 and 1
		// rows): a statement's fixed cost was most of an upsert's, and a few
		// shapes keep the prepared statements few.
		for rest := args; len(rest) > 0; {
			n := recordAPICallsChunk(len(rest) / 3)
			if _, err := s.txExec(ctx, tx, recordAPICallsSQL[n], rest[:3*n]...); err != nil {
				return err
			}
			rest = rest[3*n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store.RecordAPICalls: %w", err)
	}
	return nil
}

// recordAPICallsSQL[n] adds calls for n distinct keys (n a power of two up to
// maxUsageRows); a key appears at most once per statement, as PostgreSQL's ON
// CONFLICT DO UPDATE requires.
var recordAPICallsSQL = func() map[int]string {
	m := map[int]string{}
	for n := 1; n <= maxUsageRows; n *= 2 {
		m[n] = `INSERT INTO api_usage (key_id, month, calls) VALUES (?,?,?)` + strings.Repeat(`,(?,?,?)`, n-1) +
			` ON CONFLICT (key_id, month) DO UPDATE SET calls = api_usage.calls + excluded.calls`
	}
	return m
}()

// maxUsageRows bounds the rows of one usage statement.
const maxUsageRows = 64

// recordAPICallsChunk is the largest statement size for keys keys.
func recordAPICallsChunk(keys int) int {
	n := maxUsageRows
	for n > keys {
		n /= 2
	}
	return n
}

// APIKeyUsage returns key id's billed calls in total and in the store clock's
// current UTC month. A key without calls has zero usage.
func (s *Store) APIKeyUsage(ctx context.Context, id string) (APIUsage, error) {
	month := s.now().UTC().Format(usageMonthLayout)
	var u APIUsage
	err := s.r.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(calls), 0) AS BIGINT),
		CAST(COALESCE(SUM(CASE WHEN month = ? THEN calls ELSE 0 END), 0) AS BIGINT)
		FROM api_usage WHERE key_id = ?`, month, id).Scan(&u.Calls, &u.CallsThisMonth)
	if err != nil {
		return APIUsage{}, fmt.Errorf("store.APIKeyUsage: %w", err)
	}
	return u, nil
}

// APIUsageByMonth lists billed calls per key and month, newest month first, for
// the officers' billing view.
func (s *Store) APIUsageByMonth(ctx context.Context) ([]APIMonthlyUsage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key_id, month, calls FROM api_usage ORDER BY month DESC, key_id`)
	if err != nil {
		return nil, fmt.Errorf("store.APIUsageByMonth: %w", err)
	}
	defer rows.Close()
	var out []APIMonthlyUsage
	for rows.Next() {
		var u APIMonthlyUsage
		if err := rows.Scan(&u.KeyID, &u.Month, &u.Calls); err != nil {
			return nil, fmt.Errorf("store.APIUsageByMonth: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.APIUsageByMonth: %w", err)
	}
	return out, nil
}

// PartnerAPIUsage lists the billed calls of a partner's keys per key and
// month, newest month first, for its developer dashboard.
func (s *Store) PartnerAPIUsage(ctx context.Context, partnerID string) ([]APIMonthlyUsage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.key_id, u.month, u.calls FROM api_usage u
		JOIN api_keys k ON k.id = u.key_id WHERE k.tenant_id = ? ORDER BY u.month DESC, u.key_id`, partnerID)
	if err != nil {
		return nil, fmt.Errorf("store.PartnerAPIUsage: %w", err)
	}
	defer rows.Close()
	var out []APIMonthlyUsage
	for rows.Next() {
		var u APIMonthlyUsage
		if err := rows.Scan(&u.KeyID, &u.Month, &u.Calls); err != nil {
			return nil, fmt.Errorf("store.PartnerAPIUsage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store.PartnerAPIUsage: %w", err)
	}
	return out, nil
}

// UsageRecorder records billed API calls durably without a commit (and its fsync)
// per call: group commit. Calls that arrive while a commit is in flight join the
// next batch; the first of them leads it, waits for the writer, and commits the
// whole batch in one transaction; the others wait for that commit. An idle
// recorder commits a lone call at once, so there is no timer, no goroutine to
// start or stop, and nothing is lost at shutdown: Record returns only after its
// call is committed (or the commit failed).
type UsageRecorder struct {
	store    *Store
	commitMu sync.Mutex // held by the leader committing a batch
	mu       sync.Mutex // guards open
	open     *usageBatch
}

// usageBatch is a group of calls committed together.
type usageBatch struct {
	keyIDs []string
	done   chan struct{} // closed when the commit finished; err is then set
	err    error
}

// NewUsageRecorder returns a recorder writing to s.
func NewUsageRecorder(s *Store) *UsageRecorder {
	return &UsageRecorder{store: s}
}

// Record adds one billed call for key id and returns once it is committed (or
// the commit failed). A ctx that has already ended records nothing; once the
// call has joined a batch, Record waits for that batch's commit whatever
// happens to ctx, as Store's writes do, so its answer is never a guess. The
// wait is bounded (the commit in progress and its own, each within
// usageCommitTimeout), and not selecting on ctx spares every call a channel
// made for ctx.Done and a two-case select.
func (r *UsageRecorder) Record(ctx context.Context, keyID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store.UsageRecorder.Record: %w", err)
	}
	r.mu.Lock()
	b := r.open
	leader := b == nil
	if leader {
		b = &usageBatch{done: make(chan struct{})}
		r.open = b
	}
	b.keyIDs = append(b.keyIDs, keyID)
	r.mu.Unlock()

	if leader {
		r.commit(b)
	}
	<-b.done
	return b.err
}

// commit waits for the previous batch's commit to finish, closes batch b to new
// calls, and commits it.
func (r *UsageRecorder) commit(b *usageBatch) {
	r.commitMu.Lock()
	defer r.commitMu.Unlock()
	// Yield once before closing the batch: under load, requests that are
	// already runnable and about to record their call join this commit instead
	// of starting another. It about doubled the calls per commit.
	runtime.Gosched()
	r.mu.Lock()
	r.open = nil // later calls start the next batch
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), usageCommitTimeout)
	defer cancel()
	b.err = r.store.RecordAPICalls(ctx, b.keyIDs)
	close(b.done)
}
