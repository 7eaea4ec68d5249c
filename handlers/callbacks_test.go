package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// cbPortal is the handlers with one application whose lead the platform accepted.
type cbPortal struct {
	*testPortal
	app    lending.Application
	secret platform.WebhookSecret
}

var cbSeq int

func newCallbackPortal(t testing.TB, opts ...func(*Config)) *cbPortal {
	t.Helper()
	p := newTestPortal(t, opts...)
	cb := &cbPortal{testPortal: p, secret: p.cfg.WebhookSecrets[0]}
	cb.app = cb.submittedApplication("lead-1")
	return cb
}

// submittedApplication stores an application and records the platform's lead uuid
// for it, as the worker does.
func (p *cbPortal) submittedApplication(uuid string) lending.Application {
	p.t.Helper()
	ctx := context.Background()
	cbSeq++
	a := lending.Applicant{
		RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation", FirstName: "Cal", LastName: "Back",
		Email: fmt.Sprintf("cb%d@example.com", cbSeq), Phone: "2025550143",
		DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), SSN: fmt.Sprintf("%09d", 200000000+cbSeq),
		Street: "1 Main St", City: "Springfield", State: "IL", Zipcode: "62701", EmploymentStatus: "employed",
		IncomeYearly: 85000_00, HousingType: "rent", HousingMonthly: 1400_00, CreditRating: "good",
	}
	app, _, err := p.store.CreateApplication(ctx, store.NewApplication{SessionID: "s", IdempotencyKey: store.NewID(),
		Applicant: a, LeadTimeout: time.Minute})
	if err != nil {
		p.t.Fatal(err)
	}
	job, err := p.store.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != app.ID {
		p.t.Fatalf("claim: %+v %v", job, err)
	}
	if err := p.store.RecordLeadCreated(ctx, store.LeadCreated{Job: job, Attempt: 1, UUID: uuid, Status: lending.LeadCreated,
		FirstPoll: time.Now().Add(time.Minute)}); err != nil {
		p.t.Fatal(err)
	}
	return app
}

// callbackBody is a callback for the portal's lead in the given status.
func (p *cbPortal) callbackBody(uuid, status string, products ...platform.Product) []byte {
	lead := platform.Lead{UUID: uuid, PartnerLeadID: p.app.PartnerLeadID, Status: status, Products: products,
		UpdatedAt: time.Now().UTC()}
	b, err := json.Marshal(platform.Callback{Type: platform.CallbackEventType, Timestamp: time.Now().UTC(), Data: lead})
	if err != nil {
		p.t.Fatal(err)
	}
	return b
}

// signedRequest is a callback request signed with secret at ts.
func signedRequest(t testing.TB, url string, secret platform.WebhookSecret, id string, ts time.Time, body []byte) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if err := platform.SetSignedHeaders(req.Header, secret, id, ts, body); err != nil {
		t.Fatal(err)
	}
	return req
}

func (p *cbPortal) path() string { return "/callbacks/platform/" + p.cfg.CallbackToken }

// serve runs one request through the whole Echo app (middleware included).
func (p *cbPortal) serve(req *http.Request) (int, string) {
	rec := httptest.NewRecorder()
	p.srv.Config.Handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (p *cbPortal) send(id string, body []byte) (int, string) {
	return p.serve(signedRequest(p.t, p.path(), p.secret, id, time.Now(), body))
}

func (p *cbPortal) events(kind string) []lending.Event {
	p.t.Helper()
	all, err := p.store.Events(context.Background(), p.app.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	var out []lending.Event
	for _, e := range all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func (p *cbPortal) status() lending.LeadStatus {
	p.t.Helper()
	app, err := p.store.Application(context.Background(), p.app.ID)
	if err != nil {
		p.t.Fatal(err)
	}
	return app.Lead.Status
}

func cbProduct(id string) platform.Product {
	return platform.Product{ProductID: id, LenderName: "Acme Lending", AmountRange: platform.RangeRequested,
		LoanAmount: 15000, TermMonths: 36, APR: 12.99, InterestRate: 11.49, MonthlyPayment: 505.4,
		TotalRepayment: 18194.4, TotalInterest: 3194.4, OriginationFee: 300,
		LenderOfferURL: "https://lender.example/o/" + id, Disclaimer: "Subject to verification."}
}

func TestCallbackAppliesTheUpdate(t *testing.T) {
	p := newCallbackPortal(t)
	// Over a real HTTP connection, as the platform sends it.
	body := p.callbackBody("lead-1", platform.StatusOffersFound, cbProduct("p1"), cbProduct("p2"))
	req := signedRequest(t, p.srv.URL+p.path(), p.secret, "msg_1", time.Now(), body)
	req.RequestURI = ""
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("answer %d %q, want 204 with no body", resp.StatusCode, b)
	}
	if got := p.status(); got != lending.LeadOffersFound {
		t.Errorf("status = %s", got)
	}
	offers, err := p.store.LeadOffers(context.Background(), p.app.ID)
	if err != nil || len(offers) != 2 || offers[0].MonthlyPayment != 505_40 {
		t.Errorf("offers = %+v, %v", offers, err)
	}
	if ev := p.events(lending.EventCallbackAccepted); len(ev) != 1 || ev[0].Source != lending.SourceCallback || !strings.Contains(ev[0].Detail, "msg_1") {
		t.Errorf("callback_accepted events = %+v", ev)
	}
}

func TestCallbackDuplicatesInParallelChangeStateOnce(t *testing.T) {
	p := newCallbackPortal(t)
	body := p.callbackBody("lead-1", platform.StatusOffersFound, cbProduct("p1"))
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = p.send("msg_dup", body)
		}()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusNoContent {
			t.Errorf("delivery %d answered %d, want 204", i, c)
		}
	}
	if n := len(p.events(lending.EventStatusChanged)); n != 1 {
		t.Errorf("%d status changes, want 1", n)
	}
	if n := len(p.events(lending.EventCallbackDuplicate)); n != 19 {
		t.Errorf("%d duplicates recorded, want 19", n)
	}
}

func TestCallbacksOutOfOrderNeverRegress(t *testing.T) {
	p := newCallbackPortal(t)
	sequence := []string{platform.StatusInProgress, platform.StatusOffersFound, platform.StatusInProgress,
		platform.StatusFindingProducts, platform.StatusCreated, platform.StatusNoOffers}
	for i, st := range sequence {
		var products []platform.Product
		if st == platform.StatusOffersFound {
			products = []platform.Product{cbProduct("p1")}
		}
		if code, _ := p.send(fmt.Sprintf("msg_%d", i), p.callbackBody("lead-1", st, products...)); code != http.StatusNoContent {
			t.Fatalf("callback %d (%s) answered %d", i, st, code)
		}
	}
	if got := p.status(); got != lending.LeadOffersFound {
		t.Errorf("status = %s, want offers_found", got)
	}
	if n := len(p.events(lending.EventStatusChanged)); n != 2 {
		t.Errorf("%d status changes, want 2 (in_progress, offers_found)", n)
	}
	if offers, _ := p.store.LeadOffers(context.Background(), p.app.ID); len(offers) != 1 {
		t.Errorf("%d offers kept", len(offers))
	}
}

func TestCallbackRejections(t *testing.T) {
	other := platform.NewWebhookSecret()
	tests := []struct {
		name string
		req  func(p *cbPortal, body []byte) *http.Request
		want int
	}{
		{"wrong path token", func(p *cbPortal, body []byte) *http.Request {
			return signedRequest(t, "/callbacks/platform/"+strings.Repeat("x", len(p.cfg.CallbackToken)), p.secret, "m1", time.Now(), body)
		}, http.StatusUnauthorized},
		{"token prefix", func(p *cbPortal, body []byte) *http.Request {
			return signedRequest(t, p.path()[:len(p.path())-1], p.secret, "m1", time.Now(), body)
		}, http.StatusUnauthorized},
		{"signed with an unknown secret", func(p *cbPortal, body []byte) *http.Request {
			return signedRequest(t, p.path(), other, "m1", time.Now(), body)
		}, http.StatusUnauthorized},
		{"body changed after signing", func(p *cbPortal, body []byte) *http.Request {
			r := signedRequest(t, p.path(), p.secret, "m1", time.Now(), body)
			r.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte("offers_found"), []byte("no_offers"), 1)))
			return r
		}, http.StatusUnauthorized},
		{"webhook id changed after signing", func(p *cbPortal, body []byte) *http.Request {
			r := signedRequest(t, p.path(), p.secret, "m1", time.Now(), body)
			r.Header.Set(platform.HeaderWebhookID, "m2")
			return r
		}, http.StatusUnauthorized},
		{"stale timestamp", func(p *cbPortal, body []byte) *http.Request {
			return signedRequest(t, p.path(), p.secret, "m1", time.Now().Add(-platform.SignatureTolerance-time.Minute), body)
		}, http.StatusUnauthorized},
		{"timestamp from the future", func(p *cbPortal, body []byte) *http.Request {
			return signedRequest(t, p.path(), p.secret, "m1", time.Now().Add(platform.SignatureTolerance+time.Minute), body)
		}, http.StatusUnauthorized},
		{"no signature headers", func(p *cbPortal, body []byte) *http.Request {
			return httptest.NewRequest(http.MethodPost, p.path(), bytes.NewReader(body))
		}, http.StatusUnauthorized},
		{"oversized body", func(p *cbPortal, _ []byte) *http.Request {
			big := bytes.Repeat([]byte("a"), platform.MaxCallbackBytes+1)
			return signedRequest(t, p.path(), p.secret, "m1", time.Now(), big)
		}, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newCallbackPortal(t)
			before, _ := p.store.Events(context.Background(), p.app.ID)
			code, body := p.serve(tt.req(p, p.callbackBody("lead-1", platform.StatusOffersFound, cbProduct("p1"))))
			if code != tt.want || body != "" {
				t.Errorf("answer %d %q, want %d with no body", code, body, tt.want)
			}
			if got := p.status(); got != lending.LeadCreated {
				t.Errorf("status changed to %s", got)
			}
			// At most a note that a delivery was rejected; nothing from its body applied.
			after, _ := p.store.Events(context.Background(), p.app.ID)
			added := after[len(before):]
			if len(added) > 1 || (len(added) == 1 && added[0].Kind != lending.EventCallbackRejected) {
				t.Errorf("a rejected callback left %+v", added)
			}
			if tt.want == http.StatusUnauthorized && strings.Contains(tt.name, "token") && len(added) != 0 {
				t.Errorf("a callback without the path token was attributed: %+v", added)
			}
			// The genuine delivery (same webhook id) still applies afterwards.
			if code, _ := p.send("m1", p.callbackBody("lead-1", platform.StatusOffersFound, cbProduct("p1"))); code != http.StatusNoContent || p.status() != lending.LeadOffersFound {
				t.Errorf("genuine delivery after a rejection: %d, status %s", code, p.status())
			}
		})
	}
}

func TestCallbackAcceptsRotatedSecrets(t *testing.T) {
	oldSecret, newSecret := platform.NewWebhookSecret(), platform.NewWebhookSecret()
	p := newCallbackPortal(t, func(c *Config) { c.WebhookSecrets = []platform.WebhookSecret{newSecret, oldSecret} })
	body := p.callbackBody("lead-1", platform.StatusInProgress)
	if code, _ := p.serve(signedRequest(t, p.path(), oldSecret, "m1", time.Now(), body)); code != http.StatusNoContent {
		t.Errorf("signed with the old secret: %d", code)
	}
	// The platform sends several signatures while it rotates: any match will do.
	body = p.callbackBody("lead-1", platform.StatusFindingProducts)
	req := signedRequest(t, p.path(), newSecret, "m2", time.Now(), body)
	wrong, _ := platform.Sign(platform.NewWebhookSecret(), "m2", time.Now(), body)
	req.Header.Set(platform.HeaderWebhookSignature, wrong+" "+req.Header.Get(platform.HeaderWebhookSignature))
	if code, _ := p.serve(req); code != http.StatusNoContent || p.status() != lending.LeadFindingProducts {
		t.Errorf("several signatures: %d, status %s", code, p.status())
	}
}

func TestCallbackBodyProblems(t *testing.T) {
	p := newCallbackPortal(t)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"not JSON", `{"type":`, http.StatusBadRequest},
		{"wrong event type", `{"type":"lead.deleted","data":{"uuid":"lead-1","status":"offers_found"}}`, http.StatusBadRequest},
		{"unknown status", `{"type":"lead.updated","data":{"uuid":"lead-1","status":"approved"}}`, http.StatusBadRequest},
		{"hostile offer URL", `{"type":"lead.updated","data":{"uuid":"lead-1","status":"offers_found","products":[{"productId":"p","lenderName":"L","amountRange":"requested-amount","loanAmount":1,"termMonths":1,"monthlyPayment":1,"totalRepayment":1,"lenderOfferUrl":"javascript:alert(1)"}]}}`, http.StatusBadRequest},
		{"unknown lead", `{"type":"lead.updated","data":{"uuid":"lead-unknown","status":"offers_found"}}`, http.StatusNoContent},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := p.send("bad_"+strconv.Itoa(i), []byte(tt.body)); code != tt.want || body != "" {
				t.Errorf("answer %d %q, want %d", code, body, tt.want)
			}
			if got := p.status(); got != lending.LeadCreated {
				t.Errorf("status changed to %s", got)
			}
		})
	}
}

func TestCallbackRetryableFailures(t *testing.T) {
	t.Run("lead not recorded yet", func(t *testing.T) {
		p := newCallbackPortal(t)
		// A second application whose submission is in flight: no uuid stored yet.
		app, _, err := p.store.CreateApplication(context.Background(), store.NewApplication{SessionID: "s",
			IdempotencyKey: store.NewID(), Applicant: lending.Applicant{RequestedAmount: 15000_00, LoanPurpose: "car",
				FirstName: "In", LastName: "Flight", Email: "inflight@example.com", Phone: "2025550199",
				DOB: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), SSN: "300000001", Street: "2 Main St", City: "Springfield",
				State: "IL", Zipcode: "62701", EmploymentStatus: "employed", IncomeYearly: 90000_00, HousingType: "rent",
				HousingMonthly: 1000_00, CreditRating: "good"}, LeadTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(platform.Callback{Type: platform.CallbackEventType,
			Data: platform.Lead{UUID: "lead-new", PartnerLeadID: app.PartnerLeadID, Status: platform.StatusInProgress}})
		if code, _ := p.send("m_early", body); code != http.StatusServiceUnavailable {
			t.Errorf("early callback answered %d, want 503 so the platform retries", code)
		}
	})
	t.Run("database down", func(t *testing.T) {
		p := newCallbackPortal(t)
		p.store.Close()
		if code, body := p.send("m_db", p.callbackBody("lead-1", platform.StatusInProgress)); code != http.StatusInternalServerError || body != "" {
			t.Errorf("answer %d %q, want 500 with no body", code, body)
		}
	})
}

// FuzzPlatformCallback throws arbitrary bodies at the receiver, correctly signed
// or not: it never panics or answers 5xx, only a correct signature gets past
// 401, and nothing unsigned changes the lead.
func FuzzPlatformCallback(f *testing.F) {
	for _, seed := range []string{
		`{"type":"lead.updated","data":{"uuid":"lead-1","status":"offers_found","products":[]}}`,
		`{"type":"lead.updated","data":{"uuid":"lead-1","status":"in_progress"}}`,
		`{"type":"lead.updated","data":{"uuid":"lead-1","status":"no_offers","adverseActionNotice":"<script>x</script>"}}`,
		`{"type":"lead.updated","data":{"uuid":"lead-1","status":"offers_found","products":[{}]}}`,
		`{"type":"lead.updated","data":{"uuid":"","status":"created"}}`,
		`null`, `[]`, `{`, ``, "\xff",
	} {
		f.Add([]byte(seed), true, "v1,")
		f.Add([]byte(seed), false, "v1,AAAA v2,x")
	}
	p := newCallbackPortal(f)
	var n int
	f.Fuzz(func(t *testing.T, body []byte, sign bool, sigHeader string) {
		n++
		id := "fuzz_" + strconv.Itoa(n)
		req := signedRequest(t, p.path(), p.secret, id, time.Now(), body)
		if !sign {
			req.Header.Set(platform.HeaderWebhookSignature, sigHeader)
		}
		status := func() lending.LeadStatus {
			app, err := p.store.Application(context.Background(), p.app.ID)
			if err != nil {
				t.Fatal(err)
			}
			return app.Lead.Status
		}
		before := status()
		code, out := p.serve(req)
		if code >= 500 || out != "" {
			t.Fatalf("answer %d %q", code, out)
		}
		if !sign && code != http.StatusUnauthorized {
			valid, _ := platform.Sign(p.secret, id, time.Now(), body)
			if sigHeader != valid && !strings.Contains(sigHeader, strings.TrimPrefix(valid, "v1,")) {
				t.Fatalf("unsigned body answered %d", code)
			}
		}
		if after := status(); code == http.StatusUnauthorized && after != before {
			t.Fatalf("a rejected callback moved the lead from %s to %s", before, after)
		}
	})
}
