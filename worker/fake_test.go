package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// fault is what the fake platform does to one lead POST instead of (or after)
// answering normally.
type fault struct {
	status       int           // answer this status without creating a lead
	retryAfter   string        // with this Retry-After header
	body         any           // and this JSON body
	createThen   int           // create (or find) the lead, then answer this status instead of 201
	createAndLag time.Duration // create the lead, then answer 201 only after this long
}

// fakePlatform is an httptest Platform API with scripted faults. Leads are
// keyed by Idempotency-Key, as the real platform keys them.
type fakePlatform struct {
	t *testing.T

	mu            sync.Mutex
	tokenFailures int                       // the next n token requests fail with 500
	faults        []fault                   // consumed one per lead POST
	leads         map[string]*platform.Lead // by uuid
	byKey         map[string]string         // idempotency key → uuid
	posts         []time.Time
	tokens        int
	gets          int
	onCreate      func(*platform.Lead) // shapes a new lead (status, products)
	correlations  []string
}

func newFakePlatform(t *testing.T) (*fakePlatform, *httptest.Server) {
	f := &fakePlatform{t: t, leads: map[string]*platform.Lead{}, byKey: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+platform.TokenPath, f.token)
	mux.HandleFunc("POST "+platform.LeadsPath, f.submit)
	mux.HandleFunc("GET "+platform.LeadsPath+"/{uuid}", f.get)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakePlatform) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.tokens++
	fail := f.tokenFailures > 0
	if fail {
		f.tokenFailures--
	}
	f.mu.Unlock()
	if fail {
		http.Error(w, `{"error":"temporarily_unavailable"}`, http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, platform.TokenResponse{AccessToken: "tok", TokenType: "Bearer", ExpiresIn: 3600})
}

func (f *fakePlatform) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer tok"
}

func (f *fakePlatform) submit(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var req platform.LeadRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, platform.ErrorBody{Error: "bad json"})
		return
	}
	key := r.Header.Get(platform.HeaderIdempotencyKey)
	f.mu.Lock()
	f.posts = append(f.posts, time.Now())
	f.correlations = append(f.correlations, r.Header.Get(platform.HeaderCorrelationID))
	var ft fault
	if len(f.faults) > 0 {
		ft, f.faults = f.faults[0], f.faults[1:]
	}
	if ft.status != 0 {
		f.mu.Unlock()
		if ft.retryAfter != "" {
			w.Header().Set("Retry-After", ft.retryAfter)
		}
		writeJSON(w, ft.status, ft.body)
		return
	}
	uuid, seen := f.byKey[key]
	if !seen {
		uuid = fmt.Sprintf("lead-%d", len(f.leads)+1)
		lead := &platform.Lead{UUID: uuid, PartnerLeadID: req.PartnerLeadID, Status: platform.StatusCreated}
		if f.onCreate != nil {
			f.onCreate(lead)
		}
		f.leads[uuid], f.byKey[key] = lead, uuid
	}
	created := platform.LeadCreated{UUID: uuid, Status: platform.StatusCreated, PartnerLeadID: req.PartnerLeadID}
	f.mu.Unlock()
	switch {
	case ft.createThen != 0:
		writeJSON(w, ft.createThen, platform.ErrorBody{Error: "oops"})
	case ft.createAndLag != 0:
		select {
		case <-time.After(ft.createAndLag):
		case <-r.Context().Done():
			return
		}
		writeJSON(w, http.StatusCreated, created)
	default:
		writeJSON(w, http.StatusCreated, created)
	}
}

func (f *fakePlatform) get(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(r) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	lead, ok := f.leads[r.PathValue("uuid")]
	if !ok {
		writeJSON(w, http.StatusNotFound, platform.ErrorBody{Error: "not found"})
		return
	}
	writeJSON(w, http.StatusOK, lead)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakePlatform) stats() (leads, posts, tokens, gets int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.leads), len(f.posts), f.tokens, f.gets
}

func (f *fakePlatform) postTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.posts...)
}

// setStatus changes a lead at the fake, as the platform's processing would.
func (f *fakePlatform) setStatus(uuid, status string, products ...platform.Product) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leads[uuid].Status = status
	f.leads[uuid].Products = products
}

func fakeProduct(id string) platform.Product {
	return platform.Product{ProductID: id, LenderName: "Acme Lending", AmountRange: platform.RangeRequested,
		LoanAmount: 15000, TermMonths: 36, APR: 12.99, InterestRate: 11.49, MonthlyPayment: 505.4,
		TotalRepayment: 18194.4, TotalInterest: 3194.4, OriginationFee: 300,
		LenderOfferURL: "https://lender.example/o/" + id, Disclaimer: "Subject to verification."}
}

// harness is a worker on a real SQLite store against a fake platform.
type harness struct {
	t     *testing.T
	store *store.Store
	fake  *fakePlatform
	cfg   Config
	logs  *syncBuffer
	url   string // the fake platform's base URL
	// leadTimeout is the timeout new applications get (PORTAL_LEAD_TIMEOUT).
	leadTimeout time.Duration
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	testSSN = "512441234"
	testDOB = "1984-03-14"
)

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, store.DataKeySize)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "portal.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fake, srv := newFakePlatform(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client := platform.NewClient(platform.Config{
		BaseURL: srv.URL, ClientID: "portal", ClientSecret: "s3cret-value",
		CallTimeout: 300 * time.Millisecond, MaxAttempts: 3,
		BaseBackoff: 5 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Logger: log,
	})
	h := &harness{t: t, store: st, fake: fake, logs: logs, url: srv.URL, leadTimeout: time.Minute, cfg: Config{
		Store: st, Platform: client, Logger: log,
		LeadTimeout: time.Minute, PollAfter: time.Minute, PollEvery: time.Minute,
		Tick: 10 * time.Millisecond, Lease: 2 * time.Second, StopGrace: 2 * time.Second,
		RetryBase: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	}}
	t.Cleanup(func() {
		// Whatever a test did, the logs never carry the borrower's secrets.
		out := logs.String()
		for _, secret := range []string{testSSN, testDOB, "s3cret-value", "Bearer tok"} {
			if strings.Contains(out, secret) {
				t.Errorf("logs contain %q", secret)
			}
		}
	})
	return h
}

// run starts the worker until the test ends (or the returned stop is called,
// which waits for Run to return).
func (h *harness) run() (stop func() time.Duration) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := New(h.cfg)
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-done:
				if err != nil {
					h.t.Errorf("Run returned %v", err)
				}
			case <-time.After(10 * time.Second):
				h.t.Fatal("worker did not stop")
			}
			took = time.Since(start)
		})
		return took
	}
	h.t.Cleanup(func() { stop() })
	return stop
}

// apply stores a fresh application (its submit job included).
func (h *harness) apply() lending.Application {
	h.t.Helper()
	a := lending.Applicant{
		RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation",
		FirstName: "Avery", LastName: "Stone", Email: "avery@example.com", Phone: "2025550101",
		DOB: time.Date(1984, 3, 14, 0, 0, 0, 0, time.UTC), SSN: testSSN,
		Street: "1200 Market Street", City: "Philadelphia", State: "PA", Zipcode: "19107",
		EmploymentStatus: "employed", IncomeYearly: 120000_00, HousingType: "rent",
		HousingMonthly: 1800_00, CreditRating: "excellent",
	}
	app, _, err := h.store.CreateApplication(context.Background(), store.NewApplication{
		SessionID: "sess", IdempotencyKey: store.NewID(), Applicant: a, LeadTimeout: h.leadTimeout})
	if err != nil {
		h.t.Fatal(err)
	}
	return app
}

func (h *harness) app(id string) lending.Application {
	h.t.Helper()
	app, err := h.store.Application(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return app
}

func (h *harness) events(id, kind string) []lending.Event {
	h.t.Helper()
	all, err := h.store.Events(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []lending.Event
	for _, e := range all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func (h *harness) waitFor(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (h *harness) waitForLead(id string) lending.Application {
	h.t.Helper()
	var app lending.Application
	h.waitFor("the lead uuid", 30*time.Second, func() bool {
		app = h.app(id)
		return app.Lead.UUID != ""
	})
	return app
}
