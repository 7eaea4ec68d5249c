package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"prequal/api"
	"prequal/correlation"
	"prequal/email"
	"prequal/handlers"
	"prequal/lending"
	"prequal/mailcatcher"
	"prequal/platform"
	"prequal/sandbox"
	"prequal/static"
	"prequal/store"
	"prequal/views"
	"prequal/webhooks"
	"prequal/worker"
)

// shutdownGrace bounds how long in-flight requests and jobs may take at shutdown.
const shutdownGrace = 10 * time.Second

// app is the wired portal: the store, the handlers, the worker and, in stage with
// no PLATFORM_BASE_URL, the embedded stage platform.
type app struct {
	cfg     *config
	log     *slog.Logger
	store   *store.Store
	sandbox *sandbox.Sandbox
	// mailCatcher is stage's own mail relay when no PORTAL_SMTP_URL is set.
	mailCatcher *mailcatcher.Catcher
	mailer      *email.Sender
	worker      *worker.Worker
	webhooks    *webhooks.Worker
	handler     http.Handler
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(correlation.LogHandler{Handler: slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})})
}

// newBufferedLogger is newLogger writing through a logBuffer to w: close the
// buffer last, once nothing logs any more.
func newBufferedLogger(w io.Writer) (*slog.Logger, *logBuffer) {
	buf := newLogBuffer(w, logFlushEvery)
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	return slog.New(correlation.LogHandler{Handler: flushOnWarn{Handler: text, buf: buf}}), buf
}

// newApp builds everything cfg describes. Close it when done.
func newApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, store: st}
	assets, err := static.Load()
	if err != nil {
		a.close()
		return nil, err
	}
	if !assets.Has("htmx.min.js") {
		log.Warn("htmx.min.js is not embedded: run `make build` (pages still work without JavaScript)")
	}
	if stale := assets.Stale(); len(stale) > 0 {
		log.Warn("precompressed assets older than their source are not served: run `make build`", "files", stale)
	}

	var sandboxHandler http.Handler
	if cfg.embedded {
		a.sandbox, err = sandbox.New(ctx, sandbox.Config{
			ClientID:      cfg.ClientID,
			ClientSecret:  cfg.ClientSecret,
			WebhookSecret: cfg.webhookSecrets[0],
			CallbackURL:   cfg.callbackURL(),
			PublicURL:     cfg.PlatformBaseURL,
			DBPath:        cfg.sandboxDBPath(),
			Logger:        log.With("component", "sandbox"),
		})
		if err != nil {
			a.close()
			return nil, err
		}
		sandboxHandler = a.sandbox.Handler()
	}

	relay := cfg.relay
	if cfg.catchMail {
		a.mailCatcher, err = mailcatcher.New(mailcatcher.Config{Dir: cfg.stageMailDir(), Logger: log.With("component", "mailcatcher")})
		if err == nil {
			err = a.mailCatcher.Start("127.0.0.1:0")
		}
		if err != nil {
			a.close()
			return nil, err
		}
		host, port, _ := net.SplitHostPort(a.mailCatcher.Addr())
		p, _ := strconv.Atoi(port)
		relay = email.Relay{Host: host, Port: p, TLS: email.TLSNone}
	}
	a.mailer = email.NewSender(relay, 0)

	client := platform.NewClient(platform.Config{
		BaseURL:      cfg.PlatformBaseURL,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Logger:       log.With("component", "platform"),
		HTTPClient:   &http.Client{Transport: platformTransport()},
	})
	a.worker = worker.New(worker.Config{
		Store:       st,
		Platform:    client,
		Logger:      log.With("component", "worker"),
		LeadTimeout: cfg.LeadTimeout,
		PollAfter:   cfg.PollAfter,
		PollEvery:   cfg.PollEvery,
		Lease:       cfg.JobLease,
		Mailer:      a.mailer,
		Mail:        cfg.mailSettings(),
		OfferTTL:    cfg.OfferTTL,
	})

	load := newServerLoad()
	guard := webhooks.Guard{Production: cfg.production()}
	a.webhooks = webhooks.New(webhooks.Config{
		Store:  st,
		Logger: log.With("component", "webhooks"),
		Guard:  guard,
		Lease:  lending.WebhookAttemptTimeout + cfg.JobLease,
		Busy:   load.Busy, // deliveries yield to the borrower's path
	})

	var catcher handlers.MailCatcher
	if a.mailCatcher != nil {
		catcher = a.mailCatcher
	}
	e, err := handlers.New(handlers.Config{
		Production:        cfg.production(),
		Site:              views.Site{Stage: !cfg.production(), CSS: assets.Text("app.css"), CSSURL: assets.URL("app.css"), HTMXURL: assets.URL("htmx.min.js")},
		Static:            assets,
		SessionKeys:       cfg.sessionKeys,
		LeadTimeout:       cfg.LeadTimeout,
		StageLenderPrefix: cfg.stageLenderPrefix(),
		Stage:             stageClient(cfg, client),
		CallbackToken:     cfg.CallbackToken,
		WebhookSecrets:    cfg.webhookSecrets,
		TrustedProxies:    cfg.trustedProxies,
		PublicHost:        cfg.publicHost(),
		Sandbox:           sandboxHandler,
		MetricsToken:      cfg.MetricsToken,
		Logger:            log,
		WakeWorker:        a.worker.Wake,
		APILimiter:        apiLimiter(st),
		MailRelay:         relay.String(),
		MailCatcher:       catcher,
		CheckWebhookURL:   guard.CheckURL,
		WakeWebhooks:      a.webhooks.Wake,
	}, st)
	if err != nil {
		a.close()
		return nil, err
	}
	a.handler = load.wrap(e)
	return a, nil
}

// apiLimiter is what counts the JSON API's requests against their key's limit:
// on PostgreSQL, counts shared by every instance on the database; on SQLite
// (one process) nil, the API's own counts in memory.
func apiLimiter(st *store.Store) api.RateLimiter {
	if st.Dialect() == "postgres" {
		return api.SharedRateLimiter(store.NewRateLimiter(st))
	}
	return nil
}

// platformTransport keeps as many idle connections to the platform as the
// worker has calls in flight; Go's default keeps two per host, so every other
// call opened a new connection.
func platformTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = worker.DefaultConcurrency
	return t
}

func (a *app) close() {
	if a.mailCatcher != nil {
		if err := a.mailCatcher.Close(); err != nil {
			a.log.Error("closing the stage mail catcher", "error", err)
		}
	}
	if a.sandbox != nil {
		if err := a.sandbox.Close(); err != nil {
			a.log.Error("closing the stage platform", "error", err)
		}
	}
	if err := a.store.Close(); err != nil {
		a.log.Error("closing the database", "error", err)
	}
}

// serve answers HTTP on ln and runs the worker until ctx ends, then lets the
// jobs in hand finish, stops accepting, lets in-flight requests finish — all
// within shutdownGrace — and returns.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan error, 1)
	go func() { workerDone <- a.worker.Run(workerCtx) }()
	webhooksDone := make(chan error, 1)
	go func() { webhooksDone <- a.webhooks.Run(workerCtx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// The worker first: the jobs in hand call the platform — in stage the one
	// this very server answers — so they finish instead of failing and being
	// sent again by the next process. It takes no new job meanwhile, and the
	// server keeps answering only for those moments.
	stopWorker()
	select {
	case wErr := <-workerDone:
		if wErr != nil && !errors.Is(wErr, context.Canceled) {
			err = errors.Join(err, wErr)
		}
	case <-shutdownCtx.Done():
		err = errors.Join(err, errors.New("worker did not stop within the shutdown grace"))
	}
	select {
	case wErr := <-webhooksDone:
		if wErr != nil && !errors.Is(wErr, context.Canceled) {
			err = errors.Join(err, wErr)
		}
	case <-shutdownCtx.Done():
		err = errors.Join(err, errors.New("webhook worker did not stop within the shutdown grace"))
	}
	if shErr := srv.Shutdown(shutdownCtx); shErr != nil {
		err = errors.Join(err, fmt.Errorf("http shutdown: %w", shErr))
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func parseConfig(name string, args []string, getenv func(string) string) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfg.flags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := cfg.load(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// serve is `portal serve`.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig("serve", args, getenv)
	if err != nil {
		return err
	}
	tuneGC(getenv)
	log, logs := newBufferedLogger(os.Stderr)
	defer logs.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.close()
	if err := startPprof(ctx, cfg.PprofAddr, log); err != nil {
		return err
	}
	if _, err := startMetrics(ctx, cfg.MetricsAddr, handlers.MetricsHandler(a.store), log); err != nil {
		return err
	}
	if cfg.production() && cfg.MetricsAddr == "" && cfg.MetricsToken == "" {
		log.Info("/metrics is not served: set PORTAL_METRICS_ADDR (a private listener) or PORTAL_METRICS_TOKEN (a bearer token)")
	}
	if !cfg.production() {
		if err := ensureDemoOfficer(ctx, a.store, cfg, stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Prequal Portal (%s) listening on %s\n", cfg.Env, cfg.BaseURL)
	if cfg.embedded {
		fmt.Fprintf(stdout, "Embedded stage platform at %s; QA scenarios at %s/qa\n", cfg.PlatformBaseURL, cfg.BaseURL)
	}
	if a.mailCatcher != nil {
		fmt.Fprintf(stdout, "Stage mail catcher on smtp://%s: every email the portal sends is at %s/qa/mail\n", a.mailCatcher.Addr(), cfg.BaseURL)
	} else {
		log.Info("borrower email goes to the relay", "relay", cfg.relay.String())
	}
	return a.serve(ctx, ln)
}

// migrate is `portal migrate`.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig("migrate", args, getenv)
	if err != nil {
		return err
	}
	st, err := openMigratedStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintln(stdout, "migrations applied to", cfg.dbName())
	return nil
}

// runSandbox is `portal sandbox --addr A`: the stage platform alone, mounted at
// /sandbox exactly as inside the portal, so PLATFORM_BASE_URL=http://A/sandbox.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := parseConfig("sandbox", args, getenv)
	if err != nil {
		return err
	}
	log := newLogger(os.Stderr)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	publicURL := strings.TrimRight(getenvDefault(getenv, "SANDBOX_PUBLIC_URL", "http://"+ln.Addr().String()), "/")
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		ln.Close()
		return fmt.Errorf("SANDBOX_PUBLIC_URL %q is not an absolute URL", publicURL)
	}
	public := publicURL + handlers.SandboxPrefix
	sb, err := sandbox.New(ctx, sandbox.Config{
		ClientID:      cfg.ClientID,
		ClientSecret:  cfg.ClientSecret,
		WebhookSecret: cfg.webhookSecrets[0],
		CallbackURL:   strings.TrimRight(getenvDefault(getenv, "SANDBOX_CALLBACK_URL", cfg.callbackURL()), "/"),
		PublicURL:     public,
		DBPath:        cfg.sandboxDBPath(),
		Logger:        log,
	})
	if err != nil {
		ln.Close()
		return err
	}
	defer sb.Close()
	srv := sandboxServer(handlers.NewStandaloneSandbox(sb.Handler(), u.Host, log), log)
	fmt.Fprintf(stdout, "Stage platform listening on %s (client id %s; secrets in %s)\n", public, cfg.ClientID, cfg.DataDir)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func getenvDefault(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// stageClient is the platform client the QA pages use to read and steer the
// stage platform; nil in production, where those pages do not exist.
func stageClient(cfg *config, client *platform.Client) *platform.Client {
	if cfg.production() {
		return nil
	}
	return client
}

// sandboxServer is the standalone stage platform's HTTP server, with the same
// limits on slow or oversized requests as the portal's.
func sandboxServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// maxHeaderBytes bounds a request's headers: a browser's, cookies included,
// take a few kilobytes (Go's default allows a megabyte).
const maxHeaderBytes = 64 << 10
