// Package api serves machines: every JSON API of the portal, under /api. Its
// routes are listed in routes.go and mounted by the portal's route table
// (handlers/routes.go), behind the middleware people's pages share; its errors
// are written in its own shapes (errors.go), never as an HTML page. Today it is
// the Credit Decision API (seed 002, decision.go).
package api

import (
	"log/slog"
	"time"
)

// Config is what the API needs from the running portal.
type Config struct {
	Keys     KeyFinder
	Usage    UsageReader
	Recorder UsageRecorder
	// Limits are the per-key rate limits (zero: the seed's).
	Limits Limits
	// Limiter counts requests against Limits; nil counts them in this process's
	// memory (one instance). Several instances share store.RateLimiter.
	Limiter RateLimiter
	// Production refuses the seed's public demo key.
	Production bool
	Now        func() time.Time // nil: time.Now
	Logger     *slog.Logger     // nil: slog.Default()
}

// API holds the JSON API's handlers and their dependencies.
type API struct {
	keys        KeyFinder
	stats       UsageReader
	usage       UsageRecorder
	limiter     RateLimiter
	limits      Limits
	demoAllowed bool
	demo        demoResponses
	log         *slog.Logger
}

// New builds the API's handlers; mount them with Mount.
func New(cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Limiter == nil {
		cfg.Limiter = newRateLimiter(cfg.Now)
	}
	return &API{
		keys: cfg.Keys, stats: cfg.Usage, usage: cfg.Recorder,
		limiter: cfg.Limiter, limits: cfg.Limits.withDefaults(),
		demoAllowed: !cfg.Production, demo: newDemoResponses(), log: cfg.Logger,
	}
}
