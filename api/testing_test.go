package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"prequal/lending"
	"prequal/store"
)

// testAPI is the API mounted under /api on its own Echo app, on a real SQLite
// file behind a real HTTP server. Its failures are written by WriteError, as
// the portal's error handler writes every /api/ failure (how the portal mounts
// the API is tested in handlers). Every answer to a documented route is
// checked against the OpenAPI document (call): the document is kept true by
// the API's behaviour, not only by its route list.
type testAPI struct {
	t     testing.TB
	srv   *httptest.Server
	store *store.Store
	api   *API
	echo  *echo.Echo
}

// newTestAPI starts the API; mutate its Config with opts.
func newTestAPI(t testing.TB, opts ...func(*Config)) *testAPI {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "portal.db"), make([]byte, store.DataKeySize))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Keys: store.NewAPIKeyFinder(st), Usage: st, Recorder: store.NewUsageRecorder(st), Idempotency: st,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Journeys: JourneysConfig{Store: st, LeadTimeout: func() time.Duration { return time.Minute }},
	}
	for _, o := range opts {
		o(&cfg)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if !c.Response().Committed {
			_ = WriteError(c, err)
		}
	}
	a := New(cfg)
	a.Mount(e.Group("/api"))
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &testAPI{t: t, srv: srv, store: st, api: a, echo: e}
}

// apiResponse is one API call's outcome.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// newAPIKey creates a real key for tenant (a partner of that id, made if
// needed) with scopes (none: decision) and returns its secret.
func (p *testAPI) newAPIKey(tenant string, scopes ...lending.Scope) (store.APIKey, string) {
	p.t.Helper()
	k, secret, err := p.store.CreateAPIKey(context.Background(), store.NewAPIKey{PartnerID: tenant, Scopes: scopes}, store.AuditEntry{})
	if err != nil {
		p.t.Fatal(err)
	}
	return k, secret
}

// call calls the JSON API as a partner's server would (no cookies), with key in
// x-api-key when it is not empty.
func (p *testAPI) call(method, path, key, body string, header ...string) apiResponse {
	p.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, p.srv.URL+path, r)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	checkAgainstDocument(p.t, req, resp, b)
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// documentValidator checks answers against api/openapi.json with
// libopenapi-validator (pinned in go.mod).
var documentValidator = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(OpenAPIDocument())
	if err != nil {
		return nil, err
	}
	v, errs := newValidator(doc)
	return v, errors.Join(errs...)
})

func newValidator(doc libopenapi.Document) (validator.Validator, []error) {
	return validator.NewValidator(doc)
}

// checkAgainstDocument fails the test when the answer to a documented route
// breaks the document: a status it does not list, another content type, or a
// body its schema refuses. Routes the document does not have (the unknown
// paths of the 404 tests, the test-only routes) are the route-table test's
// business, not this one's.
func checkAgainstDocument(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	v, err := documentValidator()
	if err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	copied := *resp
	copied.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := v.ValidateHttpResponse(req, &copied); !ok {
		for _, e := range errs {
			if e.IsPathMissingError() || e.IsOperationMissingError() {
				continue
			}
			t.Errorf("%s %s → %d breaks the OpenAPI document: %s (%s)\n%s", req.Method, req.URL.Path, resp.StatusCode,
				e.Message, e.Reason, body)
			for _, se := range e.SchemaValidationErrors {
				t.Errorf("  schema: %s at %s", se.Reason, se.FieldPath)
			}
		}
	}
}

// compact is want without insignificant whitespace, keeping its field order.
func compact(t *testing.T, want string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(want)); err != nil {
		t.Fatalf("bad JSON in test: %v", err)
	}
	return buf.Bytes()
}

// assertSameJSONBytes checks got is want byte for byte once both are compacted:
// same fields, same values, same order.
func assertSameJSONBytes(t *testing.T, got []byte, want string) {
	t.Helper()
	g, w := compact(t, string(got)), compact(t, want)
	if !bytes.Equal(g, w) {
		t.Errorf("body differs from the seed:\n got %s\nwant %s", g, w)
	}
}

// assertSameJSON compares JSON trees (field order aside).
func assertSameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad JSON in test: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body:\n got %s\nwant %s", compact(t, string(got)), compact(t, want))
	}
}
