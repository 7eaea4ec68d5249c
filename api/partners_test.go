package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
)

// Every API takes a key both as a bearer token (seeds 001, 003, 004) and in
// x-api-key (seed 002), and both count as the same key.
func TestAPIKeyAsBearerOrXAPIKey(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	for _, h := range [][]string{
		{"Authorization", "Bearer " + key},
		{"Authorization", "bearer " + key},
		{"x-api-key", key},
	} {
		r := p.call(http.MethodPost, "/api/v1/decision", "", seedRequest, h...)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", h[0], r.status, r.body)
		}
		assertSameJSONBytes(t, r.body, seedDecision)
	}
	r := p.call(http.MethodGet, "/api/v1/usage", "", "", "Authorization", "Bearer "+key)
	var u usageResponse
	if err := json.Unmarshal(r.body, &u); err != nil || u.Usage.CallsThisMonth != 3 {
		t.Errorf("usage after three calls by both headers: %s", r.body)
	}
	if r := p.call(http.MethodPost, "/api/v1/decision", "", seedRequest, "Authorization", "Bearer demo-key-123"); r.status != http.StatusOK {
		t.Errorf("the demo key as a bearer token: status %d", r.status)
	}
}

// A key without the route's scope is refused with 403 naming the scope, in
// the route's error shape; one with it (and more) passes.
func TestAPIScopeRequired(t *testing.T) {
	p := newTestAPI(t)
	_, journeysOnly := p.newAPIKey("acme", lending.ScopeJourneys, lending.ScopeApplicationsRead)
	_, both := p.newAPIKey("acme", lending.ScopeJourneys, lending.ScopeDecision)
	for _, path := range []string{"/api/v1/decision", "/api/v1/score", "/api/v1/usage"} {
		method := http.MethodPost
		if strings.HasSuffix(path, "usage") {
			method = http.MethodGet
		}
		r := p.call(method, path, journeysOnly, seedRequest)
		if r.status != http.StatusForbidden {
			t.Fatalf("%s without the scope: status %d, want 403: %s", path, r.status, r.body)
		}
		assertSameJSON(t, r.body, `{"error": "This API key lacks the scope \"decision\" that this request needs. Create a key with it on your developer dashboard."}`)
		if r.header.Get("RateLimit-Limit") == "" {
			t.Errorf("%s: a 403 to a known key carries no RateLimit headers", path)
		}
		if r := p.call(method, path, both, seedRequest); r.status != http.StatusOK {
			t.Errorf("%s with the scope among others: status %d", path, r.status)
		}
	}
}

// A suspended partner's keys answer 401 on the very next request (the key
// finder's cache notwithstanding), and work again once it is reinstated.
func TestAPISuspendedPartnerIsRefusedAtOnce(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	_, other := p.newAPIKey("globex")
	ctx := context.Background()
	if r := p.call(http.MethodPost, "/api/v1/score", key, seedRequest); r.status != http.StatusOK {
		t.Fatalf("before: status %d", r.status) // and now the key is cached
	}
	if _, err := p.store.ChangePartnerStatus(ctx, "acme", lending.PartnerSuspend, store.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	r := p.call(http.MethodPost, "/api/v1/score", key, seedRequest)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("suspended: status %d, want 401", r.status)
	}
	assertSameJSON(t, r.body, bodyUnauthorized)
	if r := p.call(http.MethodPost, "/api/v1/score", other, seedRequest); r.status != http.StatusOK {
		t.Errorf("another partner's key: status %d", r.status)
	}
	if _, err := p.store.ChangePartnerStatus(ctx, "acme", lending.PartnerReinstate, store.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if r := p.call(http.MethodPost, "/api/v1/score", key, seedRequest, "Authorization", "Bearer "+key); r.status != http.StatusOK {
		t.Errorf("reinstated: status %d", r.status)
	}
}

// Rotation refuses the old secret at once, under either header.
func TestAPIRotationRefusesTheOldKeyAtOnce(t *testing.T) {
	p := newTestAPI(t)
	k, old := p.newAPIKey("acme")
	if r := p.call(http.MethodPost, "/api/v1/score", "", seedRequest, "Authorization", "Bearer "+old); r.status != http.StatusOK {
		t.Fatalf("before: status %d", r.status)
	}
	_, fresh, err := p.store.RotateAPIKey(context.Background(), k.ID, false, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fresh, "sk_test_") {
		t.Errorf("rotated stage key %.12q…: want sk_test_", fresh)
	}
	for _, h := range []string{"Authorization", "x-api-key"} {
		v := old
		if h == "Authorization" {
			v = "Bearer " + old
		}
		if r := p.call(http.MethodPost, "/api/v1/score", "", seedRequest, h, v); r.status != http.StatusUnauthorized {
			t.Errorf("old key in %s after rotation: status %d, want 401", h, r.status)
		}
	}
	if r := p.call(http.MethodPost, "/api/v1/score", fresh, seedRequest); r.status != http.StatusOK {
		t.Errorf("new key: status %d", r.status)
	}
}

// The three error shapes, chosen by the route's path: seed 002's under its
// paths, problem+json everywhere else under /api (unknown routes included).
func TestAPIErrorShapes(t *testing.T) {
	p := newTestAPI(t)
	t.Run("problem+json for an unknown route", func(t *testing.T) {
		r := p.call(http.MethodGet, "/api/v2/nothing-here", "", "", "X-Correlation-ID", "corr-test-0001")
		if r.status != http.StatusNotFound || r.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
		}
		assertSameJSON(t, r.body, `{"type": "about:blank", "title": "Not Found", "status": 404, "detail": "Not found."}`)
	})
	t.Run("seed 002 for a wrong method on its route", func(t *testing.T) {
		r := p.call(http.MethodGet, "/api/v1/decision", "", "")
		if r.status != http.StatusMethodNotAllowed {
			t.Fatalf("status %d", r.status)
		}
		assertSameJSON(t, r.body, `{"error": "Method Not Allowed"}`)
	})
	t.Run("each writer", func(t *testing.T) {
		e := echo.New()
		problem := ValidationProblem(FieldProblem{Pointer: "/data/attributes/annualIncome", Detail: "Must be a whole number of cents."})
		for _, tt := range []struct {
			name        string
			shape       ErrorShape
			contentType string
			want        string
		}{
			{"problem+json", ProblemJSON, "application/problem+json", `{"type": "/developers/docs#problem-validation", "title": "Invalid request", "status": 422,
				"detail": "Some fields are missing or invalid; each is listed with what is wrong.",
				"errors": [{"pointer": "/data/attributes/annualIncome", "detail": "Must be a whole number of cents."}]}`},
			{"JSON:API", JSONAPIErrors, "application/vnd.api+json", `{"errors": [{"status": "422", "code": "validation", "title": "Invalid request",
				"detail": "Must be a whole number of cents.", "source": {"pointer": "/data/attributes/annualIncome"}}]}`},
			{"seed 002", Seed002Errors, "application/json", `{"error": {"formErrors": [], "fieldErrors": {"data/attributes/annualIncome": ["Must be a whole number of cents."]}}}`},
		} {
			rec := newRecorder(e)
			if err := tt.shape(rec.c, problem); err != nil {
				t.Fatal(err)
			}
			if rec.w.Code != http.StatusUnprocessableEntity || !strings.HasPrefix(rec.w.Header().Get("Content-Type"), tt.contentType) {
				t.Errorf("%s: status %d, content type %q", tt.name, rec.w.Code, rec.w.Header().Get("Content-Type"))
			}
			assertSameJSON(t, rec.w.Body.Bytes(), tt.want)
		}
	})
	t.Run("a server failure says only that", func(t *testing.T) {
		e := echo.New()
		rec := newRecorder(e)
		leaky := NewProblem(http.StatusInternalServerError, "db", "SQL logic error", "near \"SELECT\": syntax error")
		if err := WriteError(rec.c, leaky); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(rec.w.Body.String(), "SQL") || rec.w.Code != http.StatusInternalServerError {
			t.Errorf("500 body %s", rec.w.Body)
		}
	})
}
