package sandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"prequal/platform"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTokenTTL          = time.Hour
	DefaultStepDelay         = 40 * time.Millisecond
	DefaultDeliveryBackoff   = 250 * time.Millisecond
	DefaultSlowCallbackDelay = 3 * time.Second
)

// Delivery limits: the backoff doubles from Config.DeliveryBackoff up to
// maxDeliveryBackoff, and a callback is abandoned after maxDeliveryAttempts.
const (
	maxDeliveryBackoff  = 30 * time.Second
	maxDeliveryAttempts = 12
)

// Config configures the stage platform.
type Config struct {
	// ClientID and ClientSecret are the only OAuth2 client the token endpoint knows.
	ClientID, ClientSecret string
	// WebhookSecret signs every callback (Standard Webhooks, "whsec_<base64>").
	WebhookSecret platform.WebhookSecret
	// CallbackURL is where callbacks are POSTed, as configured at onboarding (seed 000).
	CallbackURL string
	// PublicURL is the sandbox's own base URL as browsers reach it, e.g.
	// http://127.0.0.1:8080/sandbox; lenderOfferUrl values are built from it.
	PublicURL string
	// DBPath is the sandbox's own SQLite file.
	DBPath string
	// Logger receives structured logs; nil means slog.Default().
	Logger *slog.Logger
	// TokenTTL is the lifetime of an access token (default 1h).
	TokenTTL time.Duration
	// StepDelay is the pause before each status step (default 40ms). It is the
	// starting value of Controls.StepDelay, which QA can change at run time.
	StepDelay time.Duration
	// DeliveryBackoff is the first retry delay of a failed callback (default 250ms),
	// doubling with jitter up to 30s; a callback is abandoned after 12 attempts.
	DeliveryBackoff time.Duration
	// SlowCallbackDelay is how long finding_products lasts in the slow-callback
	// scenario (default 3s).
	SlowCallbackDelay time.Duration
}

// withDefaults checks cfg and fills in its defaults.
func (cfg Config) withDefaults() (Config, error) {
	var problems []string
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		problems = append(problems, "ClientID and ClientSecret are required")
	}
	if !cfg.WebhookSecret.Valid() {
		problems = append(problems, "WebhookSecret must be whsec_<base64>")
	}
	if err := checkAbsoluteURL(cfg.CallbackURL); err != nil {
		problems = append(problems, "CallbackURL "+err.Error())
	}
	if err := checkAbsoluteURL(cfg.PublicURL); err != nil {
		problems = append(problems, "PublicURL "+err.Error())
	}
	if cfg.DBPath == "" {
		problems = append(problems, "DBPath is required")
	}
	if len(problems) > 0 {
		return cfg, fmt.Errorf("sandbox: config: %s", strings.Join(problems, "; "))
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.StepDelay <= 0 {
		cfg.StepDelay = DefaultStepDelay
	}
	if cfg.DeliveryBackoff <= 0 {
		cfg.DeliveryBackoff = DefaultDeliveryBackoff
	}
	if cfg.SlowCallbackDelay <= 0 {
		cfg.SlowCallbackDelay = DefaultSlowCallbackDelay
	}
	return cfg, nil
}

func checkAbsoluteURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("is not a URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	return nil
}
