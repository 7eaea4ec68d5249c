package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// RateLimiter counts requests per key in fixed windows that every instance on
// the database shares, so a key's limit is the key's and not each instance's:
// N a minute holds across two instances (N, not 2N). A window starts at the
// key's first request after the previous one ended, on whichever instance.
//
// Reading the database on every request would cost more than the request
// itself, so an instance takes the key's requests from the shared count in
// small leases (about 1 % of the limit, rateLeaseShare): it asks for a lease only
// when the one it holds is used up. The database hands out no more than the
// limit in a window, so the limit is never exceeded; a lease an instance got
// but did not use before the window ended is lost, so a key spread over k
// instances that go quiet may get up to k leases fewer in that window. Once the
// shared count is used up, the instance refuses the key's requests until the
// window ends without asking again.
//
// The counts are committed like API usage (logged: a crash of the portal keeps
// them; a power cut may lose the last moment of them).
type RateLimiter struct {
	store *Store
	mu    sync.Mutex
	keys  map[string]*rateKeyState
	swept time.Time
}

// rateLeaseShare is the part of the limit one lease holds (1/100).
const rateLeaseShare = 100

// rateKeyState is what this instance holds of one key's current window.
type rateKeyState struct {
	mu        sync.Mutex
	windowEnd time.Time // zero: nothing held
	left      int       // requests of the lease not used yet
	used      int       // the window's shared count after the last lease
	exhausted bool      // the shared count reached the limit in this window
}

// RateDecision is the outcome of one request against its key's limit.
type RateDecision struct {
	Allowed   bool
	Limit     int
	Remaining int           // requests left in the window, across instances (an estimate between leases)
	Reset     time.Duration // until the window ends
}

// NewRateLimiter returns a limiter sharing its counts through s.
func NewRateLimiter(s *Store) *RateLimiter {
	return &RateLimiter{store: s, keys: map[string]*rateKeyState{}}
}

// Take counts one request for key against limit per window.
func (l *RateLimiter) Take(ctx context.Context, key string, limit int, window time.Duration) (RateDecision, error) {
	now := l.store.now()
	st := l.state(key, now)
	st.mu.Lock()
	defer st.mu.Unlock()
	if !now.Before(st.windowEnd) { // nothing held, or its window ended
		st.windowEnd, st.left, st.used, st.exhausted = time.Time{}, 0, 0, false
	}
	if st.left == 0 && !st.exhausted {
		lease := max(1, limit/rateLeaseShare)
		granted, used, end, err := l.store.takeRateLease(ctx, key, limit, lease, window, now)
		if err != nil {
			return RateDecision{}, fmt.Errorf("store.RateLimiter: %w", err)
		}
		if !end.Equal(st.windowEnd) { // a new window (ours or another instance's)
			st.left = 0
		}
		st.windowEnd, st.used = end, used
		st.left += granted
		st.exhausted = granted == 0 || used >= limit
	}
	d := RateDecision{Limit: limit, Reset: st.windowEnd.Sub(now)}
	if st.left == 0 {
		return d, nil
	}
	st.left--
	d.Allowed, d.Remaining = true, max(0, limit-st.used+st.left)
	return d, nil
}

// state returns key's state, dropping states of ended windows once a minute.
func (l *RateLimiter) state(key string, now time.Time) *rateKeyState {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) >= time.Minute {
		l.swept = now
		for k, st := range l.keys {
			if st.mu.TryLock() {
				if !now.Before(st.windowEnd) {
					delete(l.keys, k)
				}
				st.mu.Unlock()
			}
		}
	}
	st := l.keys[key]
	if st == nil {
		st = &rateKeyState{}
		l.keys[key] = st
	}
	return st
}

// takeRateLease takes up to want requests of key's shared count in one
// statement: a window that has ended starts again from zero, and no more is
// granted than the limit leaves. It returns what was granted, the window's
// count after it, and when the window ends.
func (s *Store) takeRateLease(ctx context.Context, key string, limit, want int, window time.Duration, now time.Time) (granted, used int, end time.Time, err error) {
	want = min(want, limit)
	var endMS int64
	err = s.inTxLogged(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, takeRateLeaseSQL,
			key, ms(now.Add(window)), want, want,
			ms(now), want, limit, want, limit, limit,
			ms(now), want, limit, want, limit, limit,
			ms(now),
		).Scan(&granted, &used, &endMS)
	})
	return granted, used, fromMS(endMS), err
}

// takeRateLeaseSQL: the insert starts a window; on conflict, an ended window
// starts again (excluded's values), else the grant is what the limit leaves of
// want. Every SET expression reads the row as it was.
const takeRateLeaseSQL = `INSERT INTO rate_limits (rate_key, window_end_ms, used, last_grant) VALUES (?, ?, ?, ?)
	ON CONFLICT (rate_key) DO UPDATE SET
	last_grant = CASE WHEN rate_limits.window_end_ms <= ? THEN excluded.last_grant
		WHEN rate_limits.used + CAST(? AS BIGINT) <= CAST(? AS BIGINT) THEN CAST(? AS BIGINT)
		WHEN rate_limits.used < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) - rate_limits.used
		ELSE 0 END,
	used = CASE WHEN rate_limits.window_end_ms <= ? THEN excluded.used
		WHEN rate_limits.used + CAST(? AS BIGINT) <= CAST(? AS BIGINT) THEN rate_limits.used + CAST(? AS BIGINT)
		WHEN rate_limits.used < CAST(? AS BIGINT) THEN CAST(? AS BIGINT)
		ELSE rate_limits.used END,
	window_end_ms = CASE WHEN rate_limits.window_end_ms <= ? THEN excluded.window_end_ms
		ELSE rate_limits.window_end_ms END
	RETURNING last_grant, used, window_end_ms`
