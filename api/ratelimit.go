package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/store"
)

// Rate limits per key and per minute. The Credit Decision API has seed 002's
// ("Rate limits"); every other API the documented default.
const (
	defaultDemoKeyPerMinute = 1000
	defaultAPIKeyPerMinute  = 10000
	defaultOtherPerMinute   = 1000
	rateWindow              = time.Minute
)

// Limits are the JSON API's per-key request limits per minute; zero means the
// default. Tests set small ones.
type Limits struct {
	// DemoKeyPerMinute and APIKeyPerMinute are the Credit Decision API's: seed
	// 002's 1,000 for the demo key and 10,000 for real keys.
	DemoKeyPerMinute int
	APIKeyPerMinute  int
	// DefaultPerMinute is every other API's limit per key and API (1,000).
	DefaultPerMinute int
}

// WithDefaults fills the zero limits with the defaults.
func (l Limits) WithDefaults() Limits {
	if l.DemoKeyPerMinute <= 0 {
		l.DemoKeyPerMinute = defaultDemoKeyPerMinute
	}
	if l.APIKeyPerMinute <= 0 {
		l.APIKeyPerMinute = defaultAPIKeyPerMinute
	}
	if l.DefaultPerMinute <= 0 {
		l.DefaultPerMinute = defaultOtherPerMinute
	}
	return l
}

// RateLimiter counts requests per bucket against a limit per one-minute
// window. The in-memory one (NewMemoryRateLimiter) is right for one portal
// process; several instances need one that shares the counts.
type RateLimiter interface {
	// Take counts one request in bucket against limit.
	Take(ctx context.Context, bucket string, limit int) (RateDecision, error)
}

// RateDecision is the outcome of one request against its bucket's limit.
type RateDecision struct {
	Allowed   bool
	Limit     int
	Remaining int
	Reset     time.Duration // until the window ends
}

// rateGroup is a set of routes that share each key's budget.
type rateGroup string

// Rate groups: the Credit Decision API's budget is the key's own (as seed 002
// has it); each later API adds its group, with the default limit.
const (
	rateDecision rateGroup = "decision"
	// rateCreditApplications is seed 003's credit applications API.
	rateCreditApplications rateGroup = "credit-applications"
	// rateLineOfCredit is seed 004's Line-of-Credit applications API.
	rateLineOfCredit rateGroup = "applications"
	// rateJourneys: headless journeys, per partner key for sessions and per
	// borrower (KeyID borrower:…) for the runtime routes.
	rateJourneys rateGroup = "journeys"
)

// rateLimit counts the principal's request against its key's budget in group
// and answers 429 (with Retry-After) beyond it. Every answer after it carries
// RateLimit-Limit, -Remaining and -Reset; a 401 does not, as no key's budget
// could be described.
func (a *API) rateLimit(group rateGroup) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := PrincipalOf(c)
			bucket, limit := a.bucket(group, p)
			d, err := a.limiter.Take(c.Request().Context(), bucket, limit)
			if err != nil {
				return fmt.Errorf("api: rate limit: %w", err)
			}
			d.setHeaders(c)
			if !d.Allowed {
				return problemRateLimited()
			}
			return next(c)
		}
	}
}

// bucket is where the principal's requests in group are counted, and the limit.
func (a *API) bucket(group rateGroup, p Principal) (string, int) {
	switch {
	case p.Demo:
		return "demo", a.limits.DemoKeyPerMinute // key ids are base32: no real key shares it
	case group == rateDecision:
		return p.KeyID, a.limits.APIKeyPerMinute
	}
	return string(group) + ":" + p.KeyID, a.limits.DefaultPerMinute
}

// memoryRateLimiter counts requests per bucket in fixed one-minute windows,
// each starting at the bucket's first request after the previous window ended.
type memoryRateLimiter struct {
	now       func() time.Time
	mu        sync.Mutex
	windows   map[string]*rateCount
	lastSweep time.Time
}

type rateCount struct {
	end   time.Time // the window ends (and the count resets) here
	count int
}

// NewMemoryRateLimiter returns a RateLimiter for one process, counting in memory.
func NewMemoryRateLimiter(now func() time.Time) RateLimiter {
	if now == nil {
		now = time.Now
	}
	return &memoryRateLimiter{now: now, windows: map[string]*rateCount{}}
}

// Take counts one request for bucket against limit.
func (l *memoryRateLimiter) Take(_ context.Context, bucket string, limit int) (RateDecision, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	w := l.windows[bucket]
	if w == nil || !now.Before(w.end) {
		w = &rateCount{end: now.Add(rateWindow)}
		l.windows[bucket] = w
	}
	d := RateDecision{Limit: limit, Reset: w.end.Sub(now)}
	if w.count >= limit {
		return d, nil
	}
	w.count++
	d.Allowed, d.Remaining = true, limit-w.count
	return d, nil
}

// sweep drops ended windows once a window, so buckets that went quiet (rotated,
// revoked, or just idle keys) do not accumulate.
func (l *memoryRateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < rateWindow {
		return
	}
	l.lastSweep = now
	for k, w := range l.windows {
		if !now.Before(w.end) {
			delete(l.windows, k)
		}
	}
}

// setHeaders writes the RateLimit-* headers the seed shows; Reset and Retry-After
// are whole seconds, rounded up so a client waiting that long finds a new window.
// Every API response sets them, so they are assigned under their canonical
// names, from one backing array, rather than one Header.Set each.
func (d RateDecision) setHeaders(c echo.Context) {
	h := c.Response().Header()
	// The three numbers are written into one string, which the values slice:
	// two allocations in all rather than one per number and the slice.
	var digits [3 * 20]byte
	b := strconv.AppendInt(digits[:0], int64(d.Limit), 10)
	i := len(b)
	b = strconv.AppendInt(b, int64(d.Remaining), 10)
	j := len(b)
	b = strconv.AppendInt(b, int64(math.Ceil(d.Reset.Seconds())), 10)
	all := string(b)
	v := []string{all[:i], all[i:j], all[j:]}
	h[headerRateLimitLimit] = v[0:1:1]
	h[headerRateLimitRemaining] = v[1:2:2]
	h[headerRateLimitReset] = v[2:3:3]
	if !d.Allowed {
		h[headerRetryAfter] = v[2:3:3]
	}
}

// The rate-limit headers' canonical names (how Header.Set would store them).
var (
	headerRateLimitLimit     = http.CanonicalHeaderKey("RateLimit-Limit")
	headerRateLimitRemaining = http.CanonicalHeaderKey("RateLimit-Remaining")
	headerRateLimitReset     = http.CanonicalHeaderKey("RateLimit-Reset")
	headerRetryAfter         = http.CanonicalHeaderKey("Retry-After")
)

// SharedRateLimiter is the RateLimiter of several portal instances on one
// PostgreSQL database: l counts every bucket in the database (in small leases),
// so a key's limit of N a minute holds across the instances (N, not N per
// instance).
func SharedRateLimiter(l *store.RateLimiter) RateLimiter {
	return sharedRateLimiter{l}
}

type sharedRateLimiter struct{ l *store.RateLimiter }

// Take counts one request for bucket against limit in the shared window.
func (s sharedRateLimiter) Take(ctx context.Context, bucket string, limit int) (RateDecision, error) {
	d, err := s.l.Take(ctx, bucket, limit, rateWindow)
	if err != nil {
		return RateDecision{}, err
	}
	return RateDecision{Allowed: d.Allowed, Limit: d.Limit, Remaining: d.Remaining, Reset: d.Reset}, nil
}
