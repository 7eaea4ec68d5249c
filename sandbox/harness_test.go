package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"prequal/platform"
	"prequal/stage"
)

const (
	testClientID     = "portal-stage"
	testClientSecret = "s3cret-stage-value"
	waitTimeout      = 10 * time.Second
)

// harness is a sandbox served over real HTTP, on a real SQLite file, with a fake
// portal receiving its callbacks.
type harness struct {
	t       *testing.T
	cfg     Config
	sb      *Sandbox
	srv     *httptest.Server
	handler atomic.Pointer[http.Handler]
	recv    *receiver
	logs    *syncBuffer
}

// newHarness starts a sandbox with tiny delays; opts adjust the config.
func newHarness(t *testing.T, opts ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, logs: &syncBuffer{}}
	secret := platform.NewWebhookSecret()
	h.recv = newReceiver(t, secret)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*h.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	h.cfg = Config{
		ClientID:          testClientID,
		ClientSecret:      testClientSecret,
		WebhookSecret:     secret,
		CallbackURL:       h.recv.srv.URL + "/callbacks/platform/tok",
		PublicURL:         h.srv.URL,
		DBPath:            filepath.Join(t.TempDir(), "sandbox.db"),
		Logger:            slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		StepDelay:         2 * time.Millisecond,
		DeliveryBackoff:   5 * time.Millisecond,
		SlowCallbackDelay: 400 * time.Millisecond,
	}
	for _, o := range opts {
		o(&h.cfg)
	}
	h.start()
	return h
}

// start (re)opens the sandbox on h.cfg and serves it.
func (h *harness) start() {
	h.t.Helper()
	sb, err := New(context.Background(), h.cfg)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.sb = sb
	handler := sb.Handler()
	h.handler.Store(&handler)
	h.t.Cleanup(func() { _ = sb.Close() })
}

// restart closes the sandbox and opens it again on the same database.
func (h *harness) restart(change func(*Config)) {
	h.t.Helper()
	if err := h.sb.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	if change != nil {
		change(&h.cfg)
	}
	h.start()
}

// do sends a request and returns the status, headers and body.
func (h *harness) do(method, path, bearer string, header map[string]string, body []byte) (int, http.Header, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// token fetches an access token with HTTP Basic.
func (h *harness) token() string {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/oauth2/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr platform.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != http.StatusOK {
		h.t.Fatalf("token: status %d, %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

// submit posts a lead with an idempotency key.
func (h *harness) submit(tok, key string, lead platform.LeadRequest) (int, http.Header, []byte) {
	h.t.Helper()
	body, err := json.Marshal(lead)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(http.MethodPost, "/personal/v1/leads", tok,
		map[string]string{"Idempotency-Key": key, "Content-Type": "application/json", "X-Correlation-ID": "corr-" + key}, body)
}

// create submits a lead that must be accepted and returns its uuid.
func (h *harness) create(tok string, lead platform.LeadRequest) string {
	h.t.Helper()
	status, _, body := h.submit(tok, "key-"+lead.PartnerLeadID, lead)
	if status != http.StatusCreated {
		h.t.Fatalf("submit %s: status %d: %s", lead.PartnerLeadID, status, body)
	}
	var created platform.LeadCreated
	if err := json.Unmarshal(body, &created); err != nil {
		h.t.Fatal(err)
	}
	return created.UUID
}

func (h *harness) lead(tok, uuid string) platform.Lead {
	h.t.Helper()
	status, _, body := h.do(http.MethodGet, "/personal/v1/leads/"+uuid, tok, nil, nil)
	if status != http.StatusOK {
		h.t.Fatalf("get lead: status %d: %s", status, body)
	}
	var l platform.Lead
	if err := json.Unmarshal(body, &l); err != nil {
		h.t.Fatal(err)
	}
	return l
}

// waitStatus polls the lead until it has status want.
func (h *harness) waitStatus(tok, uuid, want string) platform.Lead {
	h.t.Helper()
	var l platform.Lead
	waitFor(h.t, "lead "+uuid+" to reach "+want, func() bool {
		l = h.lead(tok, uuid)
		return l.Status == want
	})
	return l
}

func (h *harness) callLog(tok, query string) []LogEntry {
	h.t.Helper()
	status, _, body := h.do(http.MethodGet, "/log?"+query, tok, nil, nil)
	if status != http.StatusOK {
		h.t.Fatalf("log: status %d: %s", status, body)
	}
	var entries []LogEntry
	if err := json.Unmarshal(body, &entries); err != nil {
		h.t.Fatal(err)
	}
	return entries
}

// attempts lists the callback attempts in a lead's log.
func (h *harness) attempts(tok, uuid string) []LogEntry {
	var out []LogEntry
	for _, e := range h.callLog(tok, "lead="+uuid) {
		if e.Kind == LogCallbackAttempt {
			out = append(out, e)
		}
	}
	return out
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leadFromForm turns a scenario's borrower form into the wire lead, as the
// portal does (digits only for phone and SSN, whole dollars as numbers).
func leadFromForm(t *testing.T, form map[string]string, partnerLeadID string) platform.LeadRequest {
	t.Helper()
	num := func(name string) int64 {
		n, err := strconv.ParseInt(form[name], 10, 64)
		if err != nil {
			t.Fatalf("form %s=%q: %v", name, form[name], err)
		}
		return n
	}
	digits := func(v string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
	}
	lead := platform.LeadRequest{
		PartnerLeadID:       partnerLeadID,
		RequestedLoanAmount: num("requestedLoanAmount"),
		LoanPurpose:         form["loanPurpose"],
		CreditRating:        form["creditRating"],
		Borrower: platform.Borrower{FirstName: form["firstName"], LastName: form["lastName"], Email: form["email"],
			Phone: digits(form["phone"]), DOB: form["dob"], SSN: digits(form["ssn"])},
		Address: platform.Address{Street: form["street"], Unit: form["unit"], City: form["city"], State: form["state"],
			Zipcode: form["zipcode"]},
		Employment: platform.Employment{Status: form["employmentStatus"], IncomeYearly: num("incomeYearly")},
		Housing:    platform.Housing{Type: form["housingType"], MonthlyPayment: num("housingMonthlyPayment")},
	}
	if form["coApplicant"] == "yes" {
		lead.CoApplicant = &platform.CoApplicant{FirstName: form["coFirstName"], LastName: form["coLastName"],
			Email: form["coEmail"], DOB: form["coDob"], SSN: digits(form["coSsn"]), Relationship: form["coRelationship"],
			Employment:            platform.Employment{Status: form["coEmploymentStatus"], IncomeYearly: num("coIncomeYearly")},
			HousingMonthlyPayment: num("coHousingMonthlyPayment")}
	}
	return lead
}

// scenarioLead is the wire lead of a QA scenario.
func scenarioLead(t *testing.T, id, partnerLeadID string) platform.LeadRequest {
	t.Helper()
	sc, ok := stage.ScenarioByID(id)
	if !ok {
		t.Fatalf("no scenario %q", id)
	}
	return leadFromForm(t, sc.Form, partnerLeadID)
}

// plainLead is an ordinary approvable lead without a scenario tag.
func plainLead(t *testing.T, partnerLeadID string) platform.LeadRequest {
	l := scenarioLead(t, stage.ScenarioUnderwritingApprove, partnerLeadID)
	l.Borrower.Email = "kendall.osei@example.com"
	return l
}

// receiver is a fake portal callback endpoint: it verifies each callback's
// signature with platform.Verify, answers 401 when it fails, and otherwise what
// respond says (204 by default).
type receiver struct {
	secret  platform.WebhookSecret
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []receivedCall
	respond func(n int) int // n counts verified calls from 1
}

type receivedCall struct {
	Header   http.Header
	Body     []byte
	Verified bool
	Status   int
	Callback platform.Callback
}

func newReceiver(t *testing.T, secret platform.WebhookSecret) *receiver {
	rc := &receiver{secret: secret}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_, err := platform.Verify([]platform.WebhookSecret{rc.secret}, r.Header, body, time.Now())
	call := receivedCall{Header: r.Header.Clone(), Body: body, Verified: err == nil, Status: http.StatusUnauthorized}
	_ = json.Unmarshal(body, &call.Callback)
	rc.mu.Lock()
	if call.Verified {
		call.Status = http.StatusNoContent
		verified := 1
		for _, c := range rc.calls {
			if c.Verified {
				verified++
			}
		}
		if rc.respond != nil {
			call.Status = rc.respond(verified)
		}
	}
	rc.calls = append(rc.calls, call)
	rc.mu.Unlock()
	w.WriteHeader(call.Status)
}

func (rc *receiver) setRespond(f func(n int) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

// callsFor returns the calls about one lead, in arrival order.
func (rc *receiver) callsFor(uuid string) []receivedCall {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []receivedCall
	for _, c := range rc.calls {
		if c.Callback.Data.UUID == uuid {
			out = append(out, c)
		}
	}
	return out
}

// accepted returns the verified calls about a lead that were answered 2xx.
func (rc *receiver) accepted(uuid string) []receivedCall {
	var out []receivedCall
	for _, c := range rc.callsFor(uuid) {
		if c.Verified && c.Status < 300 {
			out = append(out, c)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
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
