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
	"testing"

	"github.com/labstack/echo/v4"

	"prequal/store"
)

// testAPI is the API mounted under /api on its own Echo app, on a real SQLite
// file behind a real HTTP server. Its failures are written by WriteError, as
// the portal's error handler writes every /api/ failure (how the portal mounts
// the API is tested in handlers).
type testAPI struct {
	t     testing.TB
	srv   *httptest.Server
	store *store.Store
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
		Keys: store.NewAPIKeyFinder(st), Usage: st, Recorder: store.NewUsageRecorder(st),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		code := http.StatusInternalServerError
		if he := (*echo.HTTPError)(nil); errors.As(err, &he) {
			code = he.Code
		}
		_ = WriteError(c, code)
	}
	New(cfg).Mount(e.Group("/api"))
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &testAPI{t: t, srv: srv, store: st}
}

// apiResponse is one API call's outcome.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

// newAPIKey creates a real key for tenant and returns its secret.
func (p *testAPI) newAPIKey(tenant string) (store.APIKey, string) {
	p.t.Helper()
	k, secret, err := p.store.CreateAPIKey(context.Background(), tenant, store.AuditEntry{})
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
	return apiResponse{status: resp.StatusCode, header: resp.Header, body: b}
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
