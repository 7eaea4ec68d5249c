package static

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"prequal/compression"
)

// Every text asset the binary embeds comes with its brotli and gzip forms, and
// none of them is stale: make writes them (cmd/precompress).
func TestEveryCompressibleAssetIsPrecompressed(t *testing.T) {
	a, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Stale()) > 0 {
		t.Errorf("stale precompressed assets %v: run make deps", a.Stale())
	}
	names := 0
	for name := range a.assets {
		names++
		if !Compressible(name) {
			continue
		}
		if got := a.Encodings(name); !slices.Equal(got, []string{compression.Brotli, compression.Gzip}) {
			t.Errorf("%s is embedded in %v, want br and gzip: run make deps", name, got)
		}
	}
	if names == 0 || !a.Has("app.css") {
		t.Fatal("no app.css embedded")
	}
	if os.Getenv("CI") == "true" && !a.Has("htmx.min.js") {
		t.Error("htmx.min.js is not embedded (make deps copies it in)")
	}
}

func testAssets(t *testing.T) *Assets {
	t.Helper()
	css := []byte(strings.Repeat("body { color: #123; }\n", 100))
	gz, br, err := compression.Precompress(css)
	if err != nil {
		t.Fatal(err)
	}
	stale, _, _ := compression.Precompress([]byte("old bytes"))
	a, err := load(fstest.MapFS{
		"assets/app.css":      {Data: css},
		"assets/app.css.gz":   {Data: gz},
		"assets/app.css.br":   {Data: br},
		"assets/site.js":      {Data: []byte("let x = 1;")},
		"assets/site.js.gz":   {Data: stale}, // written before site.js last changed
		"assets/logo.png":     {Data: []byte("\x89PNG")},
		"assets/.app.css.tmp": {Data: []byte("half")},
		"assets/notes.txt.br": {Data: br}, // no notes.txt: an asset of its own
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoadLeavesOutStaleForms(t *testing.T) {
	a := testAssets(t)
	if !slices.Equal(a.Stale(), []string{"site.js.gz"}) {
		t.Errorf("Stale() = %v", a.Stale())
	}
	if len(a.Encodings("site.js")) != 0 || len(a.Encodings("app.css")) != 2 {
		t.Errorf("encodings: site.js %v, app.css %v", a.Encodings("site.js"), a.Encodings("app.css"))
	}
	if a.Has(".app.css.tmp") || !a.Has("notes.txt.br") || !a.Has("logo.png") {
		t.Error("dot files must be skipped; a lone .br is an asset")
	}
}

func TestServeChoosesTheAcceptedForm(t *testing.T) {
	a := testAssets(t)
	url := a.URL("app.css")
	raw := a.assets["app.css"].raw
	for _, tc := range []struct {
		method, accept, coding string
	}{
		{"GET", "gzip, deflate, br, zstd", "br"},
		{"GET", "gzip", "gzip"},
		{"GET", "br;q=0, gzip;q=0.5", "gzip"},
		{"GET", "", ""},
		{"GET", "identity", ""},
		{"HEAD", "gzip, br", "br"},
	} {
		req := httptest.NewRequest(tc.method, url, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != tc.coding ||
			res.Header.Get("Vary") != "Accept-Encoding" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") ||
			!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s %q: %d %v", tc.method, tc.accept, res.StatusCode, res.Header)
			continue
		}
		want := raw
		if tc.coding != "" {
			want = a.assets["app.css"].encoded[tc.coding]
		}
		if res.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("%s %q: Content-Length %s, want %d", tc.method, tc.accept, res.Header.Get("Content-Length"), len(want))
		}
		if tc.method == "HEAD" {
			if len(body) != 0 {
				t.Errorf("HEAD has a body of %d bytes", len(body))
			}
			continue
		}
		if tc.coding != "" {
			if body, _ = compression.Decode(tc.coding, body); !bytes.Equal(body, raw) {
				t.Errorf("%s body does not decode to the asset", tc.coding)
			}
		} else if !bytes.Equal(body, raw) {
			t.Errorf("identity body differs")
		}
	}

	// An asset without compressed forms is sent as it is, with no Vary.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", a.URL("logo.png"), nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	a.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Vary") != "" {
		t.Errorf("png: %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/static/app.000000000000.css", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown hash: %d", rec.Code)
	}
}
