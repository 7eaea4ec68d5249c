package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
)

// Sandbox is the embedded stage platform. Create it with New, serve Handler,
// stop it with Close.
type Sandbox struct {
	cfg    Config
	st     *store
	log    *slog.Logger
	client *http.Client

	ctlMu sync.RWMutex
	ctl   Controls

	stepWake, deliveryWake chan struct{}
	cancel                 context.CancelFunc
	wg                     sync.WaitGroup
	closeOnce              sync.Once
	closeErr               error
}

// New opens (or creates) the sandbox's SQLite file and starts the background
// goroutines that advance leads and deliver callbacks. They run until Close or
// until ctx ends. All pending work is in the database, so New on the same DBPath
// after a restart resumes lead processing and pending deliveries.
func New(ctx context.Context, cfg Config) (*Sandbox, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{
		cfg:          cfg,
		st:           st,
		log:          cfg.Logger,
		client:       newDeliveryClient(),
		stepWake:     make(chan struct{}, 1),
		deliveryWake: make(chan struct{}, 1),
	}
	saved, ok, err := st.loadControls(ctx)
	switch {
	case err != nil:
		return nil, errors.Join(err, st.close())
	case ok:
		s.ctl = saved
	default:
		s.ctl = s.defaultControls()
	}

	bg, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.runSteps(bg) }()
	go func() { defer s.wg.Done(); s.runDeliveries(bg) }()
	s.log.InfoContext(ctx, "sandbox: started", "callback_url", redactPath(cfg.CallbackURL), "public_url", cfg.PublicURL,
		"controls", describeControls(s.ctl))
	return s, nil
}

// Close stops the background goroutines (a callback in flight is handed back to
// the database, to be retried on the next start) and closes the database.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
		if err := s.st.close(); err != nil {
			s.closeErr = fmt.Errorf("sandbox: close: %w", err)
		}
	})
	return s.closeErr
}

// Handler serves the stage platform. Paths have no /sandbox prefix: the portal
// mounts it with http.StripPrefix("/sandbox", …); see the package doc for the routes.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", s.handleToken)
	mux.HandleFunc("POST /personal/v1/leads", s.requireToken(s.handleCreateLead))
	mux.HandleFunc("GET /personal/v1/leads/{uuid}", s.requireToken(s.handleGetLead))
	mux.HandleFunc("GET /lenders/{slug}/offers/{productId}", s.handleLenderOffer)
	mux.HandleFunc("POST /lenders/{slug}/offers/{productId}/outcome", s.handleLenderOutcome)
	mux.HandleFunc("GET /controls", s.handleGetControls)
	mux.HandleFunc("POST /controls", s.handleSetControls)
	mux.HandleFunc("POST /controls/reset", s.handleResetControls)
	mux.HandleFunc("GET /log", s.requireToken(s.handleLog))
	mux.HandleFunc("GET /leads", s.requireToken(s.handleListLeads))
	return s.withCorrelation(mux)
}

// redactPath keeps a URL's scheme and host only: the callback path carries the
// partner's unguessable token, which must never reach a log.
func redactPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}
