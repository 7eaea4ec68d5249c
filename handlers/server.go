// Package handlers serves people: the HTML of borrowers, officers and QA, the
// platform's callbacks, the middleware every route shares, and the portal's one
// route table (routes.go), which also mounts package api's JSON under /api.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"prequal/api"
	"prequal/platform"
	"prequal/store"
	"prequal/views"
)

// Config is what the handlers need from the running portal.
type Config struct {
	Production  bool
	Site        views.Site
	Static      http.Handler // serves /static/*
	SessionKeys [][]byte     // hash/encryption key pairs, newest first
	LeadTimeout time.Duration
	// StageLenderPrefix is the stage platform's lender pages URL prefix
	// ({platform}/lenders/), the one non-https place an offer may send a
	// borrower; empty outside stage.
	StageLenderPrefix string
	// Stage is the stage platform's client, for the QA pages; nil outside stage.
	Stage          *platform.Client
	CallbackToken  string
	WebhookSecrets []platform.WebhookSecret
	Logger         *slog.Logger
	Now            func() time.Time
	// APILimits are the JSON API's per-key rate limits (zero: the seed's).
	APILimits api.Limits
	// APILimiter counts API requests against APILimits; nil counts them in this
	// process's memory (api.NewMemoryRateLimiter).
	APILimiter api.RateLimiter
	// PublicHost is the host (and port) of the portal's public base URL: the
	// only Host it answers, loopback names aside in stage (allowHosts).
	PublicHost string
	// Sandbox is the embedded stage platform, mounted at /sandbox behind the
	// portal's middleware; nil when a real platform is configured (never in
	// production).
	Sandbox http.Handler
	// TrustedProxies are the reverse proxies (PORTAL_TRUSTED_PROXIES) whose
	// X-Forwarded-For and X-Forwarded-Proto are believed; empty: none.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, is the bearer token GET /metrics asks for in
	// production (PORTAL_METRICS_TOKEN); production without one does not serve
	// /metrics on this listener.
	MetricsToken string
	// WakeWorker, when set, is called after a borrower's action queued a lead
	// submission or an email (a new application, a retry, a resume link), so the
	// worker sends it now instead of at its next tick. It must not block.
	WakeWorker func()
	// MailCatcher is the stage mail catcher behind /qa/mail; nil when mail goes
	// to a relay (PORTAL_SMTP_URL) or in production.
	MailCatcher MailCatcher
	// MailRelay names where borrower email goes, without credentials.
	MailRelay string
	// HeadlessTTL is how long headless borrower session and refresh tokens
	// live (zero: the API's defaults).
	HeadlessTTL store.HeadlessTTL
	// CheckWebhookURL validates a partner's webhook endpoint URL when it is
	// saved (the webhook package's Guard: https in production, and no internal
	// addresses); nil checks its form only (lending.ParseWebhookURL).
	CheckWebhookURL func(ctx context.Context, url string) error
	// WakeWebhooks, when set, makes the webhook worker look for deliveries now
	// (after a test event or a replay). It must not block.
	WakeWebhooks func()
}

// Server holds the handlers' dependencies.
type Server struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	sessions *sessions.CookieStore
	// api serves machines under /api (package api).
	api *api.API
	// apiReference is the OpenAPI document as /developers/docs shows it.
	apiReference views.APIReference
	// sessionIDs caches decoded borrower cookies (session_cache.go).
	sessionIDs *sessionCache
	now        func() time.Time
	// qaLeadTimeout is the lead timeout QA set for new applications (0: the
	// configured one).
	qaLeadTimeout atomic.Int64
}

// New builds the Echo app with every route registered.
func New(cfg Config, st *store.Store) (*echo.Echo, error) {
	if len(cfg.SessionKeys) == 0 || len(cfg.SessionKeys)%2 != 0 {
		return nil, fmt.Errorf("handlers.New: session keys must come in hash/encryption pairs")
	}
	if cfg.Production && (cfg.PublicHost == "" || cfg.Sandbox != nil) {
		return nil, fmt.Errorf("handlers.New: production needs its public host and never mounts the stage platform")
	}
	if err := views.CheckInlineCSS(cfg.Site.CSS); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cs := sessions.NewCookieStore(cfg.SessionKeys...)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(borrowerSessionMaxAge / time.Second),
		HttpOnly: true,
		Secure:   cfg.Production,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	if err := useSessionSerializer(cs); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, store: st, sessions: cs, sessionIDs: newSessionCache(), now: cfg.Now}
	s.api = api.New(api.Config{
		Keys: store.NewAPIKeyFinder(st), Usage: st, Recorder: store.NewUsageRecorder(st), Idempotency: st, Credit: st,
		Limits: cfg.APILimits, RateLimiter: cfg.APILimiter, Production: cfg.Production, Now: cfg.Now, Logger: cfg.Logger,
		Journeys: api.JourneysConfig{Store: st, LeadTimeout: s.leadTimeout, WakeWorker: s.wakeWorker,
			StageLenderPrefix: cfg.StageLenderPrefix, TTL: cfg.HeadlessTTL, SanitizeNotice: views.SanitizeNotice,
			TestScenario: func(id string) bool { _, ok := s.stageScenario(id); return ok }},
	})
	var err error
	if s.apiReference, err = apiReference(api.OpenAPIDocument()); err != nil {
		return nil, fmt.Errorf("handlers.New: %w", err)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.SchemeExtractor = schemeExtractor(cfg.TrustedProxies)
	e.HTTPErrorHandler = s.handleError
	s.routes(e)
	return e, nil
}

// wakeWorker tells the worker there is a submission to send.
func (s *Server) wakeWorker() {
	if s.cfg.WakeWorker != nil {
		s.cfg.WakeWorker()
	}
}

// leadTimeout is how long a new application's lead may take.
func (s *Server) leadTimeout() time.Duration {
	if d := time.Duration(s.qaLeadTimeout.Load()); d > 0 {
		return d
	}
	return s.cfg.LeadTimeout
}

func (s *Server) page(title string) views.Page {
	return views.Page{Site: s.cfg.Site, Title: title}
}

// NewStandaloneSandbox is `portal sandbox`: the stage platform alone, mounted at
// /sandbox behind the same middleware as inside the portal (security headers,
// the Host allow-list with publicHost and the loopback names, cross-origin
// protection, body limits).
func NewStandaloneSandbox(sandbox http.Handler, publicHost string, logger *slog.Logger) *echo.Echo {
	s := &Server{cfg: Config{Sandbox: sandbox, PublicHost: publicHost, Logger: logger}, log: logger, now: time.Now}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	e.Use(recoverPanics, securityHeaders(false, ""), s.allowHosts, crossOrigin(), limitBodies())
	s.mountSandbox(e)
	return e
}
