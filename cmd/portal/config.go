package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"prequal/email"
	"prequal/handlers"
	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// config is the portal's configuration: env variables (README, "Configuration"), each also a
// flag of `portal serve`; flags win.
type config struct {
	Addr    string
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…); empty keeps the SQLite
	// file in DataDir.
	DatabaseURL     string
	Env             string
	BaseURL         string
	LeadTimeout     time.Duration
	SessionKeysText string
	DataKeyText     string
	PlatformBaseURL string
	ClientID        string
	ClientSecret    string
	WebhookSecrets  string
	CallbackToken   string

	// worker tuning (zero: the worker's defaults)
	PollAfter time.Duration // first poll of a lead no callback has told us about
	PollEvery time.Duration // passive poll interval (seed 001: 10–20 s)
	JobLease  time.Duration // how soon a dead process's submit job is claimable again

	// TrustedProxiesText is PORTAL_TRUSTED_PROXIES: the reverse proxies whose
	// forwarding headers are believed (CIDRs or addresses); empty: none.
	TrustedProxiesText string

	// MetricsAddr serves GET /metrics on its own loopback or private listener
	// (PORTAL_METRICS_ADDR); MetricsToken lets the main listener serve it to a
	// bearer of the token in production (PORTAL_METRICS_TOKEN).
	MetricsAddr  string
	MetricsToken string

	// PprofAddr serves Go's profiler on a loopback address; empty (the default) is off.
	PprofAddr string

	// Borrower email. SMTPURL is the relay (production); empty in stage starts
	// the stage mail catcher on loopback and sends there.
	SMTPURL       string
	SMTPUsername  string
	SMTPPassword  string
	MailFrom      string        // the sender, e.g. "Prequal Portal <no-reply@portal.example>"
	PostalAddress string        // the sender's postal address, in every email's footer
	OfferTTL      time.Duration // unchosen offers expire after this (the reminder comes before)

	// derived by load
	sessionKeys    [][]byte
	dataKey        []byte
	webhookSecrets []platform.WebhookSecret
	trustedProxies []netip.Prefix
	embedded       bool // the embedded stage platform answers PLATFORM_BASE_URL
	relay          email.Relay
	catchMail      bool // stage with no PORTAL_SMTP_URL: the portal catches its own mail
	// demoOfficerPassword is the stage demo officer's password (stage only).
	demoOfficerPassword string
}

func (c *config) production() bool { return c.Env == "production" }

// flags registers every setting on fs with its env value (or default) as default.
func (c *config) flags(fs *flag.FlagSet, getenv func(string) string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	timeout, err := time.ParseDuration(env("PORTAL_LEAD_TIMEOUT", "120s"))
	if err != nil {
		timeout = -1 // reported by load
	}
	fs.StringVar(&c.Addr, "addr", env("PORTAL_ADDR", "127.0.0.1:8080"), "listen address (PORTAL_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("PORTAL_DATA_DIR", "./data"), "data directory (PORTAL_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("PORTAL_DATABASE_URL", ""), "PostgreSQL URL postgres://user:password@host:5432/db; empty = the SQLite file in the data dir (PORTAL_DATABASE_URL)")
	fs.StringVar(&c.Env, "env", env("PORTAL_ENV", "stage"), "stage or production (PORTAL_ENV)")
	fs.StringVar(&c.BaseURL, "base-url", env("PORTAL_BASE_URL", ""), "public base URL; default http://{addr} (PORTAL_BASE_URL)")
	fs.DurationVar(&c.LeadTimeout, "lead-timeout", timeout, "time a lead may take before it is timed out (PORTAL_LEAD_TIMEOUT)")
	fs.StringVar(&c.SessionKeysText, "session-keys", env("PORTAL_SESSION_KEYS", ""), "comma-separated base64 64-byte session keys, newest first (PORTAL_SESSION_KEYS)")
	fs.StringVar(&c.DataKeyText, "data-key", env("PORTAL_DATA_KEY", ""), "base64 32-byte key sealing SSNs (PORTAL_DATA_KEY)")
	fs.StringVar(&c.PlatformBaseURL, "platform-base-url", env("PLATFORM_BASE_URL", ""), "Platform API base URL; empty = embedded stage platform (PLATFORM_BASE_URL)")
	fs.StringVar(&c.ClientID, "platform-client-id", env("PLATFORM_CLIENT_ID", ""), "OAuth2 client id (PLATFORM_CLIENT_ID)")
	fs.StringVar(&c.ClientSecret, "platform-client-secret", env("PLATFORM_CLIENT_SECRET", ""), "OAuth2 client secret (PLATFORM_CLIENT_SECRET)")
	fs.StringVar(&c.WebhookSecrets, "platform-webhook-secret", env("PLATFORM_WEBHOOK_SECRET", ""), "callback signing secrets whsec_…, space-separated for rotation (PLATFORM_WEBHOOK_SECRET)")
	fs.StringVar(&c.CallbackToken, "platform-callback-token", env("PLATFORM_CALLBACK_TOKEN", ""), "unguessable callback path token (PLATFORM_CALLBACK_TOKEN)")
	duration := func(name, def string) time.Duration {
		d, err := time.ParseDuration(env(name, def))
		if err != nil {
			return -1 // reported by load
		}
		return d
	}
	fs.DurationVar(&c.PollAfter, "poll-after", duration("PORTAL_POLL_AFTER", "5s"), "first poll of a lead with no callback (PORTAL_POLL_AFTER)")
	fs.DurationVar(&c.PollEvery, "poll-every", duration("PORTAL_POLL_EVERY", "15s"), "poll interval of a lead with no recent callback (PORTAL_POLL_EVERY)")
	fs.StringVar(&c.TrustedProxiesText, "trusted-proxies", env("PORTAL_TRUSTED_PROXIES", ""), "reverse proxies whose X-Forwarded-For/-Proto are believed: CIDRs or addresses, comma-separated; empty = none (PORTAL_TRUSTED_PROXIES)")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("PORTAL_METRICS_ADDR", ""), "serve /metrics on this loopback or private address, e.g. 127.0.0.1:9100; empty = off (PORTAL_METRICS_ADDR)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("PORTAL_METRICS_TOKEN", ""), "bearer token for /metrics on the main listener in production; empty = not served there (PORTAL_METRICS_TOKEN)")
	fs.StringVar(&c.PprofAddr, "pprof-addr", env("PORTAL_PPROF_ADDR", ""), "serve Go's profiler on this loopback address, e.g. 127.0.0.1:6060; empty = off (PORTAL_PPROF_ADDR)")
	fs.DurationVar(&c.JobLease, "job-lease", duration("PORTAL_JOB_LEASE", "30s"), "lease of a claimed submit job; a dead process's job is retried after it (PORTAL_JOB_LEASE)")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("PORTAL_SMTP_URL", ""), "mail relay: smtp://[user:pass@]host[:587] (STARTTLS) or smtps://…[:465] (implicit TLS); empty in stage = the stage mail catcher (PORTAL_SMTP_URL)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", env("PORTAL_SMTP_USERNAME", ""), "mail relay user name; wins over the URL's (PORTAL_SMTP_USERNAME)")
	fs.StringVar(&c.SMTPPassword, "smtp-password", env("PORTAL_SMTP_PASSWORD", ""), "mail relay password; wins over the URL's (PORTAL_SMTP_PASSWORD)")
	fs.StringVar(&c.MailFrom, "mail-from", env("PORTAL_MAIL_FROM", ""), "sender of borrower emails, e.g. \"Prequal Portal <no-reply@portal.example>\" (PORTAL_MAIL_FROM)")
	fs.StringVar(&c.PostalAddress, "postal-address", env("PORTAL_POSTAL_ADDRESS", ""), "the sender's postal address, shown in every email (PORTAL_POSTAL_ADDRESS)")
	fs.DurationVar(&c.OfferTTL, "offer-ttl", duration("PORTAL_OFFER_TTL", lending.DefaultOfferTTL.String()), "unchosen offers expire after this; borrowers are reminded before (PORTAL_OFFER_TTL)")
}

// Stage's mail settings when none are given.
const (
	stageMailFrom      = "Prequal Portal (stage) <no-reply@stage.prequal.test>"
	stagePostalAddress = "100 Stage Street, Suite 1, Wilmington, DE 19801"
)

// stageSecrets are the secrets stage generates on first run and keeps in the data dir.
type stageSecrets struct {
	SessionKeys   string `json:"sessionKeys"`
	DataKey       string `json:"dataKey"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret"`
	WebhookSecret string `json:"webhookSecret"`
	CallbackToken string `json:"callbackToken"`
	// DemoOfficerPassword signs in the stage demo officer (officer@stage.test).
	DemoOfficerPassword string `json:"demoOfficerPassword"`
}

const stageSecretsFile = "stage-secrets.json"

// load validates the configuration, fills stage secrets, and derives keys.
func (c *config) load() error {
	switch c.Env {
	case "stage", "production":
	default:
		return fmt.Errorf("PORTAL_ENV must be stage or production, not %q", c.Env)
	}
	if c.LeadTimeout <= 0 {
		return errors.New("PORTAL_LEAD_TIMEOUT must be a positive duration such as 120s")
	}
	if c.PollAfter < 0 || c.PollEvery < 0 || c.JobLease < 0 {
		return errors.New("PORTAL_POLL_AFTER, PORTAL_POLL_EVERY and PORTAL_JOB_LEASE must be durations such as 15s")
	}
	if c.OfferTTL <= 0 {
		return errors.New("PORTAL_OFFER_TTL must be a positive duration such as 720h")
	}
	if c.MetricsAddr != "" {
		if err := checkMetricsAddr(c.MetricsAddr); err != nil {
			return fmt.Errorf("PORTAL_METRICS_ADDR %w", err)
		}
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return errors.New("PORTAL_DATABASE_URL must be a PostgreSQL URL, postgres://user:password@host:5432/dbname (empty: the SQLite file in the data dir)")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	c.embedded = c.PlatformBaseURL == ""
	if c.production() {
		if problems := c.productionProblems(); len(problems) > 0 {
			return fmt.Errorf("production refuses to start; fix these settings:\n  %s", strings.Join(problems, "\n  "))
		}
	} else if err := c.fillStageSecrets(); err != nil {
		return err
	}
	if err := c.loadMail(); err != nil {
		return err
	}
	if c.embedded {
		c.PlatformBaseURL = c.BaseURL + handlers.SandboxPrefix
	}
	c.PlatformBaseURL = strings.TrimRight(c.PlatformBaseURL, "/")
	return c.derive()
}

// productionSettings is every check production makes before it starts, one per
// setting, so that a start with several weak settings fails once, naming each.
// A new secret (SMTP credentials, a webhook signing key) adds its line here.
// No check repeats the value it refuses: they end up in logs.
var productionSettings = []struct {
	name  string
	check func(c *config) string // "" when the setting is fine
}{
	{"PORTAL_BASE_URL", func(c *config) string { return httpsURL(c.BaseURL) }},
	{"PLATFORM_BASE_URL", func(c *config) string {
		if c.embedded {
			return "must name the real platform: the embedded stage platform is for stage only"
		}
		return httpsURL(c.PlatformBaseURL)
	}},
	{"PORTAL_SESSION_KEYS", func(c *config) string {
		for i, k := range strings.Split(c.SessionKeysText, ",") {
			if p := binaryKey(strings.TrimSpace(k), sessionKeySize, 256); p != "" {
				return fmt.Sprintf("entry %d %s", i+1, p)
			}
		}
		return ""
	}},
	{"PORTAL_DATA_KEY", func(c *config) string { return binaryKey(c.DataKeyText, store.DataKeySize, 112) }},
	{"PLATFORM_CLIENT_ID", func(c *config) string {
		if c.ClientID == "" || looksDefault(c.ClientID) {
			return "must be set to the client id the platform issued (missing or a placeholder)"
		}
		return ""
	}},
	{"PLATFORM_CLIENT_SECRET", func(c *config) string { return tokenText(c.ClientSecret, 16, 40) }},
	{"PLATFORM_WEBHOOK_SECRET", func(c *config) string {
		secrets := strings.FieldsFunc(c.WebhookSecrets, func(r rune) bool { return r == ' ' || r == ',' })
		if len(secrets) == 0 {
			return "must be set (whsec_<base64>)"
		}
		for i, s := range secrets {
			key, err := platform.WebhookSecret(s).Key()
			switch {
			case err != nil:
				return fmt.Sprintf("entry %d must look like whsec_<base64>", i+1)
			case len(key) < minWebhookKeyBytes:
				return fmt.Sprintf("entry %d must carry at least %d random bytes (it has %d)", i+1, minWebhookKeyBytes, len(key))
			case estimatedBits(key) < 80:
				return fmt.Sprintf("entry %d is not random enough (too few distinct bytes)", i+1)
			}
		}
		return ""
	}},
	{"PLATFORM_CALLBACK_TOKEN", func(c *config) string { return tokenText(c.CallbackToken, 22, 60) }},
	{"PORTAL_SMTP_URL", func(c *config) string {
		relay, err := email.ParseRelay(c.SMTPURL, c.SMTPUsername, c.SMTPPassword)
		switch {
		case c.SMTPURL == "" || looksDefault(c.SMTPURL):
			return "must name the mail relay (missing or a placeholder)"
		case err != nil:
			return "is not a relay URL: smtp://[user:pass@]host[:587] or smtps://…[:465]"
		case !relay.Encrypted():
			return "must use STARTTLS (smtp://) or implicit TLS (smtps://); tls=none is for stage only"
		case relay.Password != "" && looksDefault(relay.Password):
			return "carries a placeholder password (or PORTAL_SMTP_PASSWORD is one)"
		}
		return ""
	}},
	{"PORTAL_MAIL_FROM", func(c *config) string { return realText(c.MailFrom) }},
	{"PORTAL_POSTAL_ADDRESS", func(c *config) string { return realText(c.PostalAddress) }},
	{"PORTAL_METRICS_TOKEN", func(c *config) string {
		if c.MetricsToken == "" {
			return "" // optional: without it the main listener does not serve /metrics
		}
		return tokenText(c.MetricsToken, 22, 60)
	}},
	{"PORTAL_TRUSTED_PROXIES", func(c *config) string {
		if _, err := parseTrustedProxies(c.TrustedProxiesText); err != nil {
			return err.Error()
		}
		return ""
	}},
}

// Minimum sizes of production secrets.
const (
	sessionKeySize     = 64 // 32 bytes to sign, 32 to encrypt
	minWebhookKeyBytes = 24 // Standard Webhooks: 24 to 64 bytes
)

// productionProblems runs productionSettings and returns one line per setting
// that fails, "NAME: what is wrong".
func (c *config) productionProblems() []string {
	var out []string
	for _, s := range productionSettings {
		if p := s.check(c); p != "" {
			out = append(out, s.name+": "+p)
		}
	}
	return out
}

// realText refuses a setting that is missing or a placeholder.
func realText(v string) string {
	if v == "" || looksDefault(v) {
		return "must be set (missing or a placeholder value)"
	}
	return ""
}

// httpsURL refuses anything but an absolute https URL: the OAuth client secret,
// callbacks and borrowers' SSNs travel over these.
func httpsURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return "must be an https:// URL (secrets and personal data travel over it)"
	}
	return ""
}

// binaryKey checks a base64 key of exactly size bytes that looks random.
func binaryKey(text string, size int, minBits float64) string {
	b, err := base64.StdEncoding.DecodeString(text)
	switch {
	case text == "":
		return "must be set"
	case err != nil || len(b) != size:
		return fmt.Sprintf("must be %d random bytes in base64", size)
	case estimatedBits(b) < minBits:
		return "is not random enough (too few distinct bytes, e.g. all zeros): generate one with `openssl rand -base64 " + fmt.Sprint(size) + " | tr -d '\\n'`"
	}
	return ""
}

// tokenText checks a secret given as text: long enough, not a placeholder, and
// not made of a few characters repeated.
func tokenText(v string, minLen int, minBits float64) string {
	switch {
	case v == "":
		return "must be set"
	case looksDefault(v):
		return "is a placeholder value"
	case len(v) < minLen:
		return fmt.Sprintf("must be at least %d characters (it has %d)", minLen, len(v))
	case estimatedBits([]byte(v)) < minBits:
		return "is not random enough (too few distinct characters)"
	}
	return ""
}

// estimatedBits is a plain estimate of the entropy of b: its length times the
// Shannon entropy of its own byte frequencies. It cannot tell a random secret
// from a clever pattern, but it catches the ones people actually configure —
// all zeros, one letter repeated, a short word over and over — and a random
// secret of the minimum size clears each threshold above by a wide margin.
func estimatedBits(b []byte) float64 {
	var counts [256]int
	for _, x := range b {
		counts[x]++
	}
	n, h := float64(len(b)), 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h * n
}

func looksDefault(v string) bool {
	l := strings.ToLower(v)
	for _, p := range []string{"change-me", "changeme", "example", "default", "secret", "password"} {
		if strings.Contains(l, p) && len(v) < 40 {
			return true
		}
	}
	return false
}

// loadMail checks the mail settings: in production a relay reached over TLS
// (STARTTLS or implicit) and a real sender and postal address
// (productionSettings named what is wrong); in stage the defaults, and with no
// PORTAL_SMTP_URL the stage mail catcher.
func (c *config) loadMail() error {
	if !c.production() {
		if c.MailFrom == "" {
			c.MailFrom = stageMailFrom
		}
		if c.PostalAddress == "" {
			c.PostalAddress = stagePostalAddress
		}
		if c.SMTPURL == "" {
			c.catchMail = true
		}
	}
	if err := c.mailSettings().Validate(); err != nil {
		return fmt.Errorf("PORTAL_MAIL_FROM / PORTAL_POSTAL_ADDRESS: %w", err)
	}
	if c.catchMail {
		return nil
	}
	relay, err := email.ParseRelay(c.SMTPURL, c.SMTPUsername, c.SMTPPassword)
	if err != nil {
		return err
	}
	if c.production() && !relay.Encrypted() {
		return errors.New("production refuses to start: PORTAL_SMTP_URL must use STARTTLS (smtp://) or implicit TLS (smtps://); tls=none is for stage only")
	}
	c.relay = relay
	return nil
}

// mailSettings is what every borrower email takes from the configuration.
func (c *config) mailSettings() email.Settings {
	return email.Settings{SiteName: "Prequal Portal", From: c.MailFrom, PostalAddress: c.PostalAddress,
		BaseURL: c.BaseURL, OfferTTL: c.OfferTTL}
}

// fillStageSecrets generates every missing secret once and keeps them in the
// data dir (mode 0600), so a restart keeps sessions and sealed data readable.
func (c *config) fillStageSecrets() error {
	path := filepath.Join(c.DataDir, stageSecretsFile)
	var s stageSecrets
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	changed := false
	fill := func(field *string, gen func() string) {
		if *field == "" {
			*field, changed = gen(), true
		}
	}
	fill(&s.SessionKeys, func() string { return randomB64(64) })
	fill(&s.DataKey, func() string { return randomB64(store.DataKeySize) })
	fill(&s.ClientID, func() string { return "portal-stage" })
	// URL-safe, so it is the same whether or not a client form-encodes it for
	// HTTP Basic (RFC 6749 §2.3.1) — curl -u does not, x/oauth2 does.
	fill(&s.ClientSecret, func() string { return randomToken(24) })
	fill(&s.WebhookSecret, func() string { return string(platform.NewWebhookSecret()) })
	fill(&s.CallbackToken, func() string { return store.NewID() })
	fill(&s.DemoOfficerPassword, store.GeneratePassword)
	if changed {
		b, _ := json.MarshalIndent(s, "", "  ")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return fmt.Errorf("keep stage secrets: %w", err)
		}
	}
	use := func(field *string, v string) {
		if *field == "" {
			*field = v
		}
	}
	use(&c.SessionKeysText, s.SessionKeys)
	use(&c.DataKeyText, s.DataKey)
	use(&c.ClientID, s.ClientID)
	use(&c.ClientSecret, s.ClientSecret)
	use(&c.WebhookSecrets, s.WebhookSecret)
	use(&c.CallbackToken, s.CallbackToken)
	c.demoOfficerPassword = s.DemoOfficerPassword
	return nil
}

// randomToken is n random bytes in unpadded URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// derive decodes the keys. A session key is 64 bytes: 32 to sign, 32 to encrypt;
// the first signs new cookies and all of them are accepted (rotation).
func (c *config) derive() error {
	for i, k := range strings.Split(c.SessionKeysText, ",") {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
		if err != nil || len(b) != sessionKeySize {
			return fmt.Errorf("PORTAL_SESSION_KEYS entry %d must be 64 bytes in base64", i+1)
		}
		c.sessionKeys = append(c.sessionKeys, b[:32], b[32:])
	}
	b, err := base64.StdEncoding.DecodeString(c.DataKeyText)
	if err != nil || len(b) != store.DataKeySize {
		return fmt.Errorf("PORTAL_DATA_KEY must be %d bytes in base64", store.DataKeySize)
	}
	c.dataKey = b
	for _, s := range strings.FieldsFunc(c.WebhookSecrets, func(r rune) bool { return r == ' ' || r == ',' }) {
		ws := platform.WebhookSecret(s)
		if !ws.Valid() {
			return errors.New("PLATFORM_WEBHOOK_SECRET entries must look like whsec_<base64>")
		}
		c.webhookSecrets = append(c.webhookSecrets, ws)
	}
	if len(c.webhookSecrets) == 0 {
		return errors.New("PLATFORM_WEBHOOK_SECRET is empty")
	}
	if c.trustedProxies, err = parseTrustedProxies(c.TrustedProxiesText); err != nil {
		return fmt.Errorf("PORTAL_TRUSTED_PROXIES: %w", err)
	}
	return nil
}

// parseTrustedProxies reads PORTAL_TRUSTED_PROXIES: CIDRs or single addresses,
// separated by commas or spaces. A range holding every address is refused:
// trusting it would believe any client's forwarding headers.
func parseTrustedProxies(text string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("entry %q is neither a CIDR (10.0.0.0/8) nor an address", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Bits() == 0 {
			return nil, fmt.Errorf("entry %q trusts every address; name the proxies' own range", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (c *config) dbPath() string       { return filepath.Join(c.DataDir, "portal.db") }
func (c *config) stageMailDir() string { return filepath.Join(c.DataDir, "stage-mail") }

// dbName says which database the portal uses, without a password.
func (c *config) dbName() string {
	if c.DatabaseURL == "" {
		return c.dbPath()
	}
	return redactURL(c.DatabaseURL)
}

// redactURL is a database URL with its password replaced by xxxxx.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "PostgreSQL (unreadable URL)"
	}
	return u.Redacted()
}
func (c *config) sandboxDBPath() string { return filepath.Join(c.DataDir, "sandbox.db") }
func (c *config) callbackURL() string   { return c.BaseURL + "/callbacks/platform/" + c.CallbackToken }

// publicHost is the host[:port] of PORTAL_BASE_URL, the Host the portal answers.
func (c *config) publicHost() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// stageLenderPrefix is where the embedded stage platform's lender pages live;
// empty when a real platform is configured.
func (c *config) stageLenderPrefix() string {
	if !c.embedded {
		return ""
	}
	return c.PlatformBaseURL + "/lenders/"
}

// openStore opens the portal's database: PostgreSQL when PORTAL_DATABASE_URL
// is set, else the SQLite file in the data dir.
func openStore(ctx context.Context, cfg *config) (*store.Store, error) {
	if cfg.DatabaseURL != "" {
		return store.OpenPostgres(ctx, cfg.DatabaseURL, cfg.dataKey)
	}
	return store.Open(ctx, cfg.dbPath(), cfg.dataKey)
}

// openMigratedStore opens the portal's database and brings its schema up to
// date: what every command that touches the data needs first.
func openMigratedStore(ctx context.Context, cfg *config) (*store.Store, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
