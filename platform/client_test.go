package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID     = "client-123"
	testClientSecret = "s3cret-client-secret"
	testSSN          = "123456789"
)

// fault is a scripted answer for one leads API request, by request number.
type fault struct {
	status      int           // answer with this status instead of the normal one
	retryAfter  string        // Retry-After header to send with status
	body        string        // body to send with status
	sleep       time.Duration // stall this long (or until the client gives up) first
	afterCreate bool          // create the lead first, then answer status (a lost answer)
}

// fakePlatform is a small stand-in for the platform: an OAuth2 token endpoint
// checking HTTP Basic credentials and a leads API that checks Bearer tokens and
// dedupes submissions by Idempotency-Key.
type fakePlatform struct {
	mu            sync.Mutex
	tokenFailures int // answer 500 to this many token requests first
	tokenRequests int
	tokens        map[string]bool
	faults        map[int]fault // leads request number (1-based) → fault
	leadRequests  int
	requestTimes  []time.Time
	keys          []string
	correlation   []string
	headers       []http.Header
	byKey         map[string]string // idempotency key → uuid
	leads         map[string]Lead
	onLead        func(n int) // called at the start of each leads request
}

func newFakePlatform(t *testing.T) (*fakePlatform, *httptest.Server) {
	t.Helper()
	f := &fakePlatform{
		tokens: map[string]bool{},
		faults: map[int]fault{},
		byKey:  map[string]string{},
		leads:  map[string]Lead{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, f.token)
	mux.HandleFunc("POST "+LeadsPath, f.submit)
	mux.HandleFunc("GET "+LeadsPath+"/{uuid}", f.get)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakePlatform) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenRequests++
	if f.tokenRequests <= f.tokenFailures {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testClientSecret || r.FormValue("grant_type") != "client_credentials" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	tok := fmt.Sprintf("tok-%d", f.tokenRequests)
	f.tokens[tok] = true
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(TokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: 3600})
}

// authorized checks the bearer token and records the request; it returns the
// request number and the fault scripted for it.
func (f *fakePlatform) authorized(w http.ResponseWriter, r *http.Request) (int, fault, bool) {
	f.mu.Lock()
	f.leadRequests++
	n := f.leadRequests
	f.requestTimes = append(f.requestTimes, time.Now())
	f.keys = append(f.keys, r.Header.Get(HeaderIdempotencyKey))
	f.correlation = append(f.correlation, r.Header.Get(HeaderCorrelationID))
	f.headers = append(f.headers, r.Header.Clone())
	flt, hasFault := f.faults[n]
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	valid := f.tokens[tok]
	onLead := f.onLead
	f.mu.Unlock()
	if onLead != nil {
		onLead(n)
	}
	if !valid {
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: "invalid token"})
		return n, fault{}, false
	}
	if hasFault && flt.sleep > 0 {
		// Read the body first: only then does the server notice a client hanging up.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		select {
		case <-time.After(flt.sleep):
		case <-r.Context().Done():
		}
	}
	if hasFault && !flt.afterCreate {
		if flt.retryAfter != "" {
			w.Header().Set("Retry-After", flt.retryAfter)
		}
		if flt.status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(flt.status)
			_, _ = w.Write([]byte(flt.body))
			return n, flt, false
		}
	}
	return n, flt, true
}

func (f *fakePlatform) submit(w http.ResponseWriter, r *http.Request) {
	_, flt, ok := f.authorized(w, r)
	if !ok {
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, ErrorBody{Error: "want JSON"})
		return
	}
	var req LeadRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: "bad JSON"})
		return
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	f.mu.Lock()
	uuid, seen := f.byKey[key]
	if !seen {
		uuid = fmt.Sprintf("lead-%d", len(f.leads)+1)
		f.byKey[key] = uuid
		f.leads[uuid] = Lead{UUID: uuid, PartnerLeadID: req.PartnerLeadID, Status: StatusCreated}
	}
	f.mu.Unlock()
	if flt.afterCreate {
		writeJSON(w, flt.status, ErrorBody{Error: "lost answer"})
		return
	}
	status := http.StatusCreated
	if seen {
		status = http.StatusOK
	}
	writeJSON(w, status, LeadCreated{UUID: uuid, Status: StatusCreated, PartnerLeadID: req.PartnerLeadID})
}

func (f *fakePlatform) get(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := f.authorized(w, r); !ok {
		return
	}
	f.mu.Lock()
	lead, found := f.leads[r.PathValue("uuid")]
	f.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusNotFound, ErrorBody{Error: "no such lead"})
		return
	}
	writeJSON(w, http.StatusOK, lead)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakePlatform) counts() (tokens, leadRequests, created int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenRequests, f.leadRequests, len(f.leads)
}

// testConfig uses small timings so retries take milliseconds.
func testConfig(baseURL string) Config {
	return Config{
		BaseURL:      baseURL,
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		CallTimeout:  2 * time.Second,
		MaxAttempts:  4,
		BaseBackoff:  5 * time.Millisecond,
		MaxBackoff:   20 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
	}
}

func testLead() LeadRequest {
	return LeadRequest{
		PartnerLeadID:       "app-1",
		RequestedLoanAmount: 12000,
		LoanPurpose:         "debt_consolidation",
		CreditRating:        "good",
		Borrower: Borrower{
			FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
			Phone: "5551234567", DOB: "1990-01-02", SSN: testSSN,
		},
		Address:    Address{Street: "1 Main St", City: "Springfield", State: "IL", Zipcode: "62701"},
		Employment: Employment{Status: "employed", IncomeYearly: 85000},
		Housing:    Housing{Type: "rent", MonthlyPayment: 1200},
	}
}

func TestSubmitLeadSendsHeadersAndReusesToken(t *testing.T) {
	f, srv := newFakePlatform(t)
	c := NewClient(testConfig(srv.URL))
	ctx := context.Background()
	first, err := c.SubmitLead(ctx, testLead(), "key-1", "corr-1")
	if err != nil {
		t.Fatalf("SubmitLead: %v", err)
	}
	if first.UUID == "" || first.Status != StatusCreated {
		t.Fatalf("SubmitLead = %+v, want a uuid and status created", first)
	}
	if _, err := c.SubmitLead(ctx, testLead(), "key-2", "corr-2"); err != nil {
		t.Fatalf("second SubmitLead: %v", err)
	}
	lead, err := c.GetLead(ctx, first.UUID, "corr-3")
	if err != nil {
		t.Fatalf("GetLead: %v", err)
	}
	if lead.UUID != first.UUID || lead.Status != StatusCreated {
		t.Fatalf("GetLead = %+v, want uuid %s status created", lead, first.UUID)
	}

	tokens, leadRequests, created := f.counts()
	if tokens != 1 {
		t.Errorf("token requests = %d, want 1 (the token must be reused)", tokens)
	}
	if leadRequests != 3 || created != 2 {
		t.Errorf("lead requests = %d, leads = %d, want 3 and 2", leadRequests, created)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	wantCorr := []string{"corr-1", "corr-2", "corr-3"}
	wantKey := []string{"key-1", "key-2", ""}
	wantType := []string{"application/json", "application/json", ""}
	for i, h := range f.headers {
		if got := h.Get(HeaderCorrelationID); got != wantCorr[i] {
			t.Errorf("request %d: X-Correlation-ID = %q, want %q", i+1, got, wantCorr[i])
		}
		if got := h.Get(HeaderIdempotencyKey); got != wantKey[i] {
			t.Errorf("request %d: Idempotency-Key = %q, want %q", i+1, got, wantKey[i])
		}
		if got := h.Get("Content-Type"); got != wantType[i] {
			t.Errorf("request %d: Content-Type = %q, want %q", i+1, got, wantType[i])
		}
		if got := h.Get("Authorization"); got != "Bearer tok-1" {
			t.Errorf("request %d: Authorization = %q, want the cached bearer token", i+1, got)
		}
	}
}

func TestTokenEndpointFailsTwiceThenWorks(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.tokenFailures = 2
	c := NewClient(testConfig(srv.URL))
	if _, err := c.SubmitLead(context.Background(), testLead(), "key-1", "corr-1"); err != nil {
		t.Fatalf("SubmitLead: %v", err)
	}
	tokens, leadRequests, _ := f.counts()
	if tokens != 3 || leadRequests != 1 {
		t.Errorf("token requests = %d, lead requests = %d, want 3 and 1", tokens, leadRequests)
	}
}

func TestTokenEndpointRejectsCredentials(t *testing.T) {
	f, srv := newFakePlatform(t)
	cfg := testConfig(srv.URL)
	cfg.ClientSecret = "wrong"
	_, err := NewClient(cfg).SubmitLead(context.Background(), testLead(), "key-1", "corr-1")
	if !errors.Is(err, ErrCredentialsRejected) {
		t.Fatalf("err = %v, want ErrCredentialsRejected", err)
	}
	if IsTransient(err) {
		t.Errorf("rejected credentials reported as transient")
	}
	if tokens, leadRequests, _ := f.counts(); tokens != 1 || leadRequests != 0 {
		t.Errorf("token requests = %d, lead requests = %d, want 1 and 0", tokens, leadRequests)
	}
}

func TestSubmitLeadRetriesWithSameIdempotencyKey(t *testing.T) {
	tests := []struct {
		name   string
		faults map[int]fault
	}{
		{"500 before the lead is created", map[int]fault{1: {status: 500}}},
		{"500 after the lead is created", map[int]fault{1: {status: 500, afterCreate: true}}},
		{"502 and 503 in a row", map[int]fault{1: {status: 502}, 2: {status: 503, afterCreate: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakePlatform(t)
			f.faults = tt.faults
			created, err := NewClient(testConfig(srv.URL)).SubmitLead(context.Background(), testLead(), "key-1", "corr-1")
			if err != nil {
				t.Fatalf("SubmitLead: %v", err)
			}
			_, leadRequests, leads := f.counts()
			if leads != 1 {
				t.Errorf("leads created = %d, want exactly 1", leads)
			}
			if leadRequests != len(tt.faults)+1 {
				t.Errorf("lead requests = %d, want %d", leadRequests, len(tt.faults)+1)
			}
			if created.UUID != "lead-1" {
				t.Errorf("uuid = %q, want lead-1", created.UUID)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			for i, k := range f.keys {
				if k != "key-1" {
					t.Errorf("request %d: Idempotency-Key = %q, want key-1", i+1, k)
				}
			}
			for i, c := range f.correlation {
				if c != "corr-1" {
					t.Errorf("request %d: X-Correlation-ID = %q, want corr-1", i+1, c)
				}
			}
		})
	}
}

func TestAttemptTimesOutThenWorks(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.faults = map[int]fault{1: {sleep: 2 * time.Second}}
	cfg := testConfig(srv.URL)
	cfg.CallTimeout = 150 * time.Millisecond
	start := time.Now()
	if _, err := NewClient(cfg).SubmitLead(context.Background(), testLead(), "key-1", "corr-1"); err != nil {
		t.Fatalf("SubmitLead: %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("call took %s; the stalled attempt should have been cut at CallTimeout", took)
	}
	if _, leadRequests, leads := f.counts(); leadRequests != 2 || leads != 1 {
		t.Errorf("lead requests = %d, leads = %d, want 2 and 1", leadRequests, leads)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.faults = map[int]fault{1: {status: http.StatusTooManyRequests, retryAfter: "1", body: `{"error":"slow down"}`}}
	cfg := testConfig(srv.URL)
	cfg.MaxBackoff = 500 * time.Millisecond // the cap on Retry-After is 4× this, above 1 s
	if _, err := NewClient(cfg).SubmitLead(context.Background(), testLead(), "key-1", "corr-1"); err != nil {
		t.Fatalf("SubmitLead: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requestTimes) != 2 {
		t.Fatalf("lead requests = %d, want 2", len(f.requestTimes))
	}
	if gap := f.requestTimes[1].Sub(f.requestTimes[0]); gap < 950*time.Millisecond {
		t.Errorf("retry came %s after the 429, want ≥ 1 s (Retry-After: 1)", gap)
	}
}

func TestValidationErrorIsNotRetried(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.faults = map[int]fault{1: {status: 400, body: `{"error":"invalid lead","fieldErrors":{"borrower.email":["is not an email"]},"extra":1}`}}
	_, err := NewClient(testConfig(srv.URL)).SubmitLead(context.Background(), testLead(), "key-1", "corr-1")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.Status != 400 || !apiErr.Validation() {
		t.Errorf("APIError = %+v, want a 400 validation error", apiErr)
	}
	if msgs := apiErr.Body.FieldErrors["borrower.email"]; len(msgs) != 1 || msgs[0] != "is not an email" {
		t.Errorf("FieldErrors = %v, want the platform's field error", apiErr.Body.FieldErrors)
	}
	if IsTransient(err) {
		t.Error("validation error reported as transient")
	}
	if _, leadRequests, _ := f.counts(); leadRequests != 1 {
		t.Errorf("lead requests = %d, want exactly 1", leadRequests)
	}
}

func TestAPIErrorValidation(t *testing.T) {
	for status, want := range map[int]bool{400: true, 422: true, 401: false, 403: false, 404: false, 409: false} {
		if got := (&APIError{Status: status}).Validation(); got != want {
			t.Errorf("APIError{%d}.Validation() = %v, want %v", status, got, want)
		}
	}
}

func TestUnauthorizedFetchesNewTokenOnce(t *testing.T) {
	t.Run("fresh token works", func(t *testing.T) {
		f, srv := newFakePlatform(t)
		c := NewClient(testConfig(srv.URL))
		if _, err := c.SubmitLead(context.Background(), testLead(), "key-1", "corr-1"); err != nil {
			t.Fatalf("SubmitLead: %v", err)
		}
		// The platform forgets every token, as after a key rotation on its side.
		f.mu.Lock()
		clear(f.tokens)
		f.mu.Unlock()
		if _, err := c.SubmitLead(context.Background(), testLead(), "key-2", "corr-2"); err != nil {
			t.Fatalf("SubmitLead after revocation: %v", err)
		}
		tokens, leadRequests, leads := f.counts()
		if tokens != 2 || leadRequests != 3 || leads != 2 {
			t.Errorf("tokens = %d, lead requests = %d, leads = %d, want 2, 3, 2", tokens, leadRequests, leads)
		}
	})
	t.Run("fresh token refused too", func(t *testing.T) {
		f, srv := newFakePlatform(t)
		f.faults = map[int]fault{1: {status: 401}, 2: {status: 401}}
		_, err := NewClient(testConfig(srv.URL)).SubmitLead(context.Background(), testLead(), "key-1", "corr-1")
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Status != 401 {
			t.Fatalf("err = %v, want *APIError 401", err)
		}
		if IsTransient(err) {
			t.Error("a repeated 401 reported as transient")
		}
		if tokens, leadRequests, _ := f.counts(); tokens != 2 || leadRequests != 2 {
			t.Errorf("tokens = %d, lead requests = %d, want 2 and 2", tokens, leadRequests)
		}
	})
}

func TestRetriesExhaustedIsTransient(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.faults = map[int]fault{}
	for i := 1; i <= 10; i++ {
		f.faults[i] = fault{status: 503}
	}
	_, err := NewClient(testConfig(srv.URL)).SubmitLead(context.Background(), testLead(), "key-1", "corr-1")
	if err == nil || !IsTransient(err) {
		t.Fatalf("err = %v, want a transient error", err)
	}
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("err = %v, want the last cause (503) in it", err)
	}
	if _, leadRequests, _ := f.counts(); leadRequests != 4 {
		t.Errorf("lead requests = %d, want MaxAttempts = 4", leadRequests)
	}
}

func TestContextCancellationStopsRetries(t *testing.T) {
	tests := []struct {
		name string
		// cancelOn runs when the fake receives the first request.
		cancelOn func(cancel context.CancelFunc)
	}{
		{"cancelled while the request is in flight", func(cancel context.CancelFunc) { cancel() }},
		{"cancelled while waiting to retry", func(cancel context.CancelFunc) {
			time.AfterFunc(100*time.Millisecond, cancel)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFakePlatform(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Retry-After makes the wait a certain 10 s, far beyond the test's patience.
			f.faults = map[int]fault{1: {status: 503, retryAfter: "10"}, 2: {status: 503}}
			f.onLead = func(n int) {
				if n == 1 {
					tt.cancelOn(cancel)
				}
			}
			cfg := testConfig(srv.URL)
			cfg.MaxBackoff = 10 * time.Second
			start := time.Now()
			_, err := NewClient(cfg).SubmitLead(ctx, testLead(), "key-1", "corr-1")
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if !IsTransient(err) {
				t.Error("a cancelled call should be safe to try again later (transient)")
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("call took %s after cancellation", took)
			}
			if _, leadRequests, _ := f.counts(); leadRequests != 1 {
				t.Errorf("lead requests = %d, want 1", leadRequests)
			}
		})
	}
}

func TestGetLeadNotFound(t *testing.T) {
	f, srv := newFakePlatform(t)
	_, err := NewClient(testConfig(srv.URL)).GetLead(context.Background(), "nope", "corr-1")
	if !errors.Is(err, ErrLeadNotFound) {
		t.Fatalf("err = %v, want ErrLeadNotFound", err)
	}
	if _, leadRequests, _ := f.counts(); leadRequests != 1 {
		t.Errorf("lead requests = %d, want 1 (404 is not retried)", leadRequests)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.correlation[0] != "corr-1" {
		t.Errorf("X-Correlation-ID = %q, want corr-1", f.correlation[0])
	}
}

func TestObserverAndLogsCarryNoSecrets(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.faults = map[int]fault{1: {status: 500}}
	var logs bytes.Buffer
	var mu sync.Mutex
	var records []CallRecord
	cfg := testConfig(srv.URL)
	cfg.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Observer = func(r CallRecord) {
		mu.Lock()
		defer mu.Unlock()
		records = append(records, r)
	}
	c := NewClient(cfg)
	created, err := c.SubmitLead(context.Background(), testLead(), "key-1", "corr-1")
	if err != nil {
		t.Fatalf("SubmitLead: %v", err)
	}
	if _, err := c.GetLead(context.Background(), created.UUID, "corr-2"); err != nil {
		t.Fatalf("GetLead: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	var kinds []string
	for _, r := range records {
		kinds = append(kinds, fmt.Sprintf("%s %s %s %d %s", r.Kind, r.Method, r.Path, r.Status, r.CorrelationID))
		if r.At.IsZero() || r.Duration <= 0 {
			t.Errorf("record %+v lacks time or duration", r)
		}
	}
	want := []string{
		"token POST /oauth2/token 200 ",
		"submit POST /personal/v1/leads 500 corr-1",
		"submit POST /personal/v1/leads 201 corr-1",
		"poll GET /personal/v1/leads/lead-1 200 corr-2",
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}

	out := logs.String()
	for _, want := range []string{"attempt=1", "attempt=2", "correlation_id=corr-1", "status=500", "path=/personal/v1/leads"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{testClientSecret, "tok-1", testSSN, "Lovelace"} {
		if strings.Contains(out, secret) {
			t.Errorf("debug log contains %q:\n%s", secret, out)
		}
	}
}

// syncWriter serialises writes from concurrent loggers in tests.
type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"1", time.Second, true},
		{" 30 ", 30 * time.Second, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"99999999999999999", 24 * time.Hour, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoffStaysWithinBounds(t *testing.T) {
	c := NewClient(Config{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	for retry := 1; retry <= 80; retry++ {
		ceiling := min(time.Second, 100*time.Millisecond<<min(retry-1, 20))
		for range 50 {
			if d := c.backoff(retry); d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %s, want within [0, %s]", retry, d, ceiling)
			}
		}
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	f, srv := newFakePlatform(t)
	f.faults = map[int]fault{1: {status: 503, retryAfter: "3600"}}
	cfg := testConfig(srv.URL) // MaxBackoff 20 ms: the hour becomes 80 ms
	start := time.Now()
	if _, err := NewClient(cfg).SubmitLead(context.Background(), testLead(), "key-1", "corr-1"); err != nil {
		t.Fatalf("SubmitLead: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("call took %s; Retry-After must be capped at 4×MaxBackoff", took)
	}
}
