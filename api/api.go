// Package api serves machines: every JSON API of the portal, under /api. Its
// routes are listed in routes.go and mounted by the portal's route table
// (handlers/routes.go), behind the middleware people's pages share. What every
// API shares lives here once: partners' keys and scopes (principal.go), per-key
// rate limits (ratelimit.go), Idempotency-Key handling (idempotency.go), the
// error shapes (errors.go) and the OpenAPI document (openapi.go). Today the
// APIs are the Credit Decision API (seed 002, decision.go) and headless
// journeys (seed 001, journeys.go).
package api

import (
	"log/slog"
	"time"
)

// Config is what the API needs from the running portal.
type Config struct {
	Keys        KeyFinder
	Usage       UsageReader
	Recorder    UsageRecorder
	Idempotency IdempotencyStore
	// RateLimiter counts requests per key (nil: NewMemoryRateLimiter).
	RateLimiter RateLimiter
	// Limits are the per-key rate limits (zero: the defaults).
	Limits Limits
	// Production refuses the seed's public demo key.
	Production bool
	Now        func() time.Time // nil: time.Now
	Logger     *slog.Logger     // nil: slog.Default()
	// Journeys is the headless journeys API's (seed 001) configuration; its
	// routes answer 401 without a Store.
	Journeys JourneysConfig
}

// API holds the JSON API's handlers and their dependencies.
type API struct {
	keys        KeyFinder
	stats       UsageReader
	usage       UsageRecorder
	idempotency IdempotencyStore
	limiter     RateLimiter
	limits      Limits
	demoAllowed bool
	demo        demoResponses
	log         *slog.Logger
	journeys    JourneysConfig
	now         func() time.Time
}

// New builds the API's handlers; mount them with Mount.
func New(cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RateLimiter == nil {
		cfg.RateLimiter = NewMemoryRateLimiter(cfg.Now)
	}
	return &API{
		keys: cfg.Keys, stats: cfg.Usage, usage: cfg.Recorder, idempotency: cfg.Idempotency,
		limiter: cfg.RateLimiter, limits: cfg.Limits.WithDefaults(),
		demoAllowed: !cfg.Production, demo: newDemoResponses(), log: cfg.Logger,
		journeys: cfg.Journeys, now: cfg.Now,
	}
}

// Limits are the rate limits in force (defaults filled in), for the
// developer dashboard.
func (a *API) Limits() Limits { return a.limits }
