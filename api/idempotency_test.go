package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
)

// recorder is an echo.Context writing into an httptest.ResponseRecorder.
type recorder struct {
	c echo.Context
	w *httptest.ResponseRecorder
}

func newRecorder(e *echo.Echo) recorder {
	w := httptest.NewRecorder()
	return recorder{c: e.NewContext(httptest.NewRequest(http.MethodGet, "/api/x", nil), w), w: w}
}

// widgetRoute mounts a mutating test route behind the real middleware chain
// of a partner API (key, rate limit, scope, idempotency), as the later APIs'
// routes will be: each run counts, may wait for release, and answers 201 with
// the run number, or 422 for a body with "bad".
type widgetRoute struct {
	runs    atomic.Int64
	entered chan struct{}                 // a run has started
	release atomic.Pointer[chan struct{}] // closed: runs may finish
}

// hold makes the next runs wait until the returned function is called.
func (w *widgetRoute) hold() (release func()) {
	ch := make(chan struct{})
	w.release.Store(&ch)
	return func() { close(ch) }
}

func (p *testAPI) mountWidgets(rule idempotencyRule) *widgetRoute {
	w := &widgetRoute{entered: make(chan struct{}, 16)}
	w.hold()()
	p.echo.POST("/api/v1/test-widgets", func(c echo.Context) error {
		n := w.runs.Add(1)
		w.entered <- struct{}{}
		<-*w.release.Load()
		var body map[string]any
		if err := json.NewDecoder(c.Request().Body).Decode(&body); err == nil && body["bad"] != nil {
			return ValidationProblem(FieldProblem{Pointer: "/bad", Detail: "Not allowed."})
		}
		c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/test-widgets/%d", n))
		return c.JSON(http.StatusCreated, map[string]any{"run": n, "partner": PrincipalOf(c).PartnerID})
	}, p.api.partnerKey(partnerKeysOnly), p.api.rateLimit("widgets"), requireScope(lending.ScopeApplicationsWrite), p.api.idempotent(rule))
	return w
}

func TestIdempotency(t *testing.T) {
	p := newTestAPI(t)
	w := p.mountWidgets(IdempotencyRequired)
	_, key := p.newAPIKey("acme", lending.ScopeApplicationsWrite)
	_, otherKeyOfAcme := p.newAPIKey("acme", lending.ScopeApplicationsWrite)
	_, globex := p.newAPIKey("globex", lending.ScopeApplicationsWrite)
	post := func(key, idem, body string) apiResponse {
		t.Helper()
		h := []string{"Authorization", "Bearer " + key}
		if idem != "" {
			h = append(h, HeaderIdempotencyKey, idem)
		}
		r := p.call(http.MethodPost, "/api/v1/test-widgets", "", body, h...)
		for len(w.entered) > 0 {
			<-w.entered
		}
		return r
	}

	first := post(key, "order-1", `{"n": 1}`)
	if first.status != http.StatusCreated || first.header.Get(HeaderIdempotentReplayed) != "" {
		t.Fatalf("first: status %d, replayed %q: %s", first.status, first.header.Get(HeaderIdempotentReplayed), first.body)
	}

	t.Run("same key, same body: the stored answer, replayed", func(t *testing.T) {
		for _, k := range []string{key, otherKeyOfAcme} { // the partner's keys share their Idempotency-Keys
			r := post(k, "order-1", `{"n": 1}`)
			if r.status != http.StatusCreated || r.header.Get(HeaderIdempotentReplayed) != "true" {
				t.Fatalf("retry: status %d, replayed %q", r.status, r.header.Get(HeaderIdempotentReplayed))
			}
			if string(r.body) != string(first.body) || r.header.Get("Location") != first.header.Get("Location") ||
				r.header.Get("Content-Type") != first.header.Get("Content-Type") {
				t.Errorf("replay differs: %s %q, first %s %q", r.body, r.header.Get("Location"), first.body, first.header.Get("Location"))
			}
			if r.header.Get("RateLimit-Remaining") == "" {
				t.Error("a replay carries no RateLimit headers")
			}
		}
		if got := w.runs.Load(); got != 1 {
			t.Errorf("the handler ran %d times, want 1", got)
		}
	})
	t.Run("same key, different body: 422", func(t *testing.T) {
		r := post(key, "order-1", `{"n": 2}`)
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		assertProblem(t, r, "idempotency-key-reused")
		if w.runs.Load() != 1 {
			t.Error("the handler ran for a reused key")
		}
	})
	t.Run("another partner's same key is its own", func(t *testing.T) {
		r := post(globex, "order-1", `{"n": 1}`)
		if r.status != http.StatusCreated || r.header.Get(HeaderIdempotentReplayed) != "" {
			t.Fatalf("status %d, replayed %q", r.status, r.header.Get(HeaderIdempotentReplayed))
		}
	})
	t.Run("a 4xx answer is kept too", func(t *testing.T) {
		a := post(key, "bad-1", `{"bad": true}`)
		b := post(key, "bad-1", `{"bad": true}`)
		if a.status != http.StatusUnprocessableEntity || b.status != http.StatusUnprocessableEntity || b.header.Get(HeaderIdempotentReplayed) != "true" {
			t.Errorf("statuses %d, %d; replayed %q", a.status, b.status, b.header.Get(HeaderIdempotentReplayed))
		}
	})
	t.Run("required: missing or malformed key is 400", func(t *testing.T) {
		runs := w.runs.Load()
		assertProblem(t, post(key, "", `{}`), "idempotency-key-required")
		assertProblem(t, post(key, "has space", `{}`), "idempotency-key-invalid")
		if w.runs.Load() != runs {
			t.Error("the handler ran without a usable key")
		}
	})
	t.Run("two concurrent requests with one key: one runs, the other gets 409", func(t *testing.T) {
		release := w.hold()
		firstDone := make(chan apiResponse, 1)
		go func() {
			firstDone <- p.call(http.MethodPost, "/api/v1/test-widgets", key, `{"n": 3}`, HeaderIdempotencyKey, "order-3")
		}()
		select {
		case <-w.entered: // the first holds the key, in its handler
		case <-time.After(10 * time.Second):
			t.Fatal("the first request never reached the handler")
		}
		second := p.call(http.MethodPost, "/api/v1/test-widgets", key, `{"n": 3}`, HeaderIdempotencyKey, "order-3")
		release()
		r := <-firstDone
		if r.status != http.StatusCreated || second.status != http.StatusConflict {
			t.Fatalf("statuses %d and %d, want 201 and 409", r.status, second.status)
		}
		assertProblem(t, second, "idempotency-key-in-use")
		if second.header.Get("Retry-After") == "" {
			t.Error("the 409 has no Retry-After")
		}
		if again := post(key, "order-3", `{"n": 3}`); again.status != http.StatusCreated || again.header.Get(HeaderIdempotentReplayed) != "true" {
			t.Errorf("after the first finished: status %d, replayed %q", again.status, again.header.Get(HeaderIdempotentReplayed))
		}
	})
	t.Run("many at once: exactly one run", func(t *testing.T) {
		before := w.runs.Load()
		var wg sync.WaitGroup
		codes := make(chan int, 8)
		for range 8 {
			wg.Go(func() {
				codes <- p.call(http.MethodPost, "/api/v1/test-widgets", key, `{"n": 4}`, HeaderIdempotencyKey, "order-4").status
			})
		}
		wg.Wait()
		close(codes)
		for len(w.entered) > 0 {
			<-w.entered
		}
		for c := range codes {
			if c != http.StatusCreated && c != http.StatusConflict {
				t.Errorf("status %d", c)
			}
		}
		if got := w.runs.Load() - before; got != 1 {
			t.Errorf("%d runs, want 1", got)
		}
	})
}

// Records live in the database: a retry after a restart (a new API on the
// same file) still gets the stored answer, and a record older than the
// retention is gone.
func TestIdempotencyRecordsOutliveTheProcessAndExpire(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	p := newTestAPI(t)
	p.store.SetClock(clock.now)
	w := p.mountWidgets(IdempotencyOptional)
	_, key := p.newAPIKey("acme", lending.ScopeApplicationsWrite)
	call := func() apiResponse {
		r := p.call(http.MethodPost, "/api/v1/test-widgets", key, `{"n": 1}`, HeaderIdempotencyKey, "k-1")
		for len(w.entered) > 0 {
			<-w.entered
		}
		return r
	}
	first := call()

	restarted := New(Config{Keys: store.NewAPIKeyFinder(p.store), Usage: p.store, Recorder: store.NewUsageRecorder(p.store), Idempotency: p.store})
	rec := httptest.NewRecorder()
	e := echo.New()
	e.POST("/api/v1/test-widgets", func(c echo.Context) error { t.Error("ran again after the restart"); return nil },
		restarted.partnerKey(partnerKeysOnly), restarted.idempotent(IdempotencyOptional))
	req := httptest.NewRequest(http.MethodPost, "/api/v1/test-widgets", strings.NewReader(`{"n": 1}`))
	req.Header.Set("x-api-key", key)
	req.Header.Set(HeaderIdempotencyKey, "k-1")
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated || rec.Body.String() != string(first.body) || rec.Header().Get(HeaderIdempotentReplayed) != "true" {
		t.Errorf("after a restart: status %d, body %s", rec.Code, rec.Body)
	}

	clock.add(store.IdempotencyRetention - time.Minute)
	if r := call(); r.header.Get(HeaderIdempotentReplayed) != "true" {
		t.Error("forgotten before 24 hours")
	}
	clock.add(2 * time.Minute)
	// Expired records are purged as new ones begin; this one begins anew.
	if r := call(); r.status != http.StatusCreated || r.header.Get(HeaderIdempotentReplayed) != "" {
		t.Errorf("after 24 hours: status %d, replayed %q, want a fresh run", r.status, r.header.Get(HeaderIdempotentReplayed))
	}
	if w.runs.Load() != 2 {
		t.Errorf("%d runs, want 2", w.runs.Load())
	}
}

// Without the header an optional route simply runs; the Credit Decision API
// ignores the header altogether (its calls are computations, billed each).
func TestIdempotencyOptionalAndDecisionExempt(t *testing.T) {
	p := newTestAPI(t)
	w := p.mountWidgets(IdempotencyOptional)
	_, key := p.newAPIKey("acme", lending.ScopeApplicationsWrite, lending.ScopeDecision)
	for range 2 {
		if r := p.call(http.MethodPost, "/api/v1/test-widgets", key, `{}`); r.status != http.StatusCreated {
			t.Fatalf("status %d", r.status)
		}
		<-w.entered
	}
	if w.runs.Load() != 2 {
		t.Errorf("%d runs, want 2", w.runs.Load())
	}
	for range 2 {
		r := p.call(http.MethodPost, "/api/v1/decision", key, seedRequest, HeaderIdempotencyKey, "same")
		if r.status != http.StatusOK || r.header.Get(HeaderIdempotentReplayed) != "" {
			t.Fatalf("decision: status %d, replayed %q", r.status, r.header.Get(HeaderIdempotentReplayed))
		}
	}
	u, err := p.store.APIKeyUsage(context.Background(), keyIDOf(t, p, key))
	if err != nil || u.Calls != 2 {
		t.Errorf("billed %d decision calls (err %v), want 2", u.Calls, err)
	}
}

// assertProblem checks r is problem+json of type slug.
func assertProblem(t *testing.T, r apiResponse, slug string) {
	t.Helper()
	var doc problemDocument
	if err := json.Unmarshal(r.body, &doc); err != nil || r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("not problem+json (%q): %s", r.header.Get("Content-Type"), r.body)
	}
	if doc.Type != ProblemTypeBase+slug || doc.Status != r.status || doc.Title == "" || doc.Detail == "" {
		t.Errorf("problem %+v, want type %s and status %d", doc, slug, r.status)
	}
}

// keyIDOf is the id of the key whose secret is key.
func keyIDOf(t *testing.T, p *testAPI, key string) string {
	t.Helper()
	k, err := p.store.APIKeyBySecret(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}
