package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/store"
)

// Rate limits of the Credit Decision API (seed 002, "Rate limits").
const (
	defaultDemoKeyPerMinute = 1000
	defaultAPIKeyPerMinute  = 10000
	rateWindow              = time.Minute
)

// Limits are the JSON API's per-key request limits per minute; zero means the
// seed's (1,000 for the demo key, 10,000 for real keys). Tests set small ones.
type Limits struct {
	DemoKeyPerMinute int
	APIKeyPerMinute  int
}

func (l Limits) withDefaults() Limits {
	if l.DemoKeyPerMinute <= 0 {
		l.DemoKeyPerMinute = defaultDemoKeyPerMinute
	}
	if l.APIKeyPerMinute <= 0 {
		l.APIKeyPerMinute = defaultAPIKeyPerMinute
	}
	return l
}

// RateLimiter counts one request of a key against its limit per window. Config
// leaves it nil for one portal process (the counts live in its memory); several
// instances on one PostgreSQL database share store.RateLimiter's, so a key's
// limit holds across them.
type RateLimiter interface {
	Take(ctx context.Context, key string, limit int, window time.Duration) (store.RateDecision, error)
}

// rateLimiter counts requests per key in fixed one-minute windows, each starting
// at the key's first request after the previous window ended. It lives in memory:
// right for one portal process. With several instances behind a load balancer
// each would allow the full limit: they use store.RateLimiter instead.
type rateLimiter struct {
	now       func() time.Time
	mu        sync.Mutex
	windows   map[string]*rateCount
	lastSweep time.Time
}

type rateCount struct {
	end   time.Time // the window ends (and the count resets) here
	count int
}

func newRateLimiter(now func() time.Time) *rateLimiter {
	return &rateLimiter{now: now, windows: map[string]*rateCount{}}
}

// Take counts one request for key against limit per window.
func (l *rateLimiter) Take(_ context.Context, key string, limit int, window time.Duration) (store.RateDecision, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	w := l.windows[key]
	if w == nil || !now.Before(w.end) {
		w = &rateCount{end: now.Add(window)}
		l.windows[key] = w
	}
	d := store.RateDecision{Limit: limit, Reset: w.end.Sub(now)}
	if w.count >= limit {
		return d, nil
	}
	w.count++
	d.Allowed, d.Remaining = true, limit-w.count
	return d, nil
}

// sweep drops ended windows once a window, so keys that went quiet (rotated,
// revoked, or just idle) do not accumulate.
func (l *rateLimiter) sweep(now time.Time) {
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
func setRateHeaders(c echo.Context, d store.RateDecision) {
	h := c.Response().Header()
	v := []string{strconv.Itoa(d.Limit), strconv.Itoa(d.Remaining), strconv.Itoa(int(math.Ceil(d.Reset.Seconds())))}
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
