// Package static serves the portal's CSS, images and the htmx script (copied in
// from npm by make), embedded in the binary and addressed by content hash so
// browsers may cache them for a year. make also writes each text asset's gzip
// and brotli forms next to it (cmd/precompress); they are embedded too, and
// each browser gets the smallest form it accepts.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"prequal/compression"
)

//go:embed all:assets
var files embed.FS

// Prefix is where assets are served.
const Prefix = "/static/"

// codings are the precompressed forms, in the order they are preferred, and
// the suffix of their files.
var codings = []struct{ name, suffix string }{
	{compression.Brotli, ".br"},
	{compression.Gzip, ".gz"},
}

// Compressible reports whether an asset's type gains from compression (text,
// not images already compressed).
func Compressible(name string) bool {
	switch path.Ext(name) {
	case ".css", ".js", ".mjs", ".json", ".map", ".svg", ".txt", ".html", ".xml":
		return true
	}
	return false
}

// Assets maps asset names ("app.css") to their content-hashed URLs.
type Assets struct {
	urls   map[string]string // name → /static/app.1a2b3c4d.css
	byURL  map[string]string // hashed file name → name
	assets map[string]*asset
	stale  []string
}

// asset is one embedded file and its precompressed forms.
type asset struct {
	contentType string
	raw         []byte
	encoded     map[string][]byte // coding → bytes, only when smaller than raw
	offered     []string          // the codings of encoded, in order of preference
}

// Load hashes every embedded asset and checks its precompressed forms: a form
// that does not decode to the asset's bytes (written before the asset last
// changed, without make) is left out, and listed by Stale.
func Load() (*Assets, error) { return load(files) }

// load reads the assets under fsys's "assets" directory.
func load(fsys fs.FS) (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byURL: map[string]string{}, assets: map[string]*asset{}}
	contents := map[string][]byte{}
	err := fs.WalkDir(fsys, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		contents[strings.TrimPrefix(p, "assets/")] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static.Load: %w", err)
	}
	for name, b := range contents {
		if isVariant(name, contents) {
			continue
		}
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		as := &asset{contentType: ct, raw: b, encoded: map[string][]byte{}}
		for _, c := range codings {
			enc, ok := contents[name+c.suffix]
			if !ok {
				continue
			}
			if dec, err := compression.Decode(c.name, enc); err != nil || !bytes.Equal(dec, b) {
				a.stale = append(a.stale, name+c.suffix)
				continue
			}
			if len(enc) < len(b) {
				as.encoded[c.name] = enc
				as.offered = append(as.offered, c.name)
			}
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.urls[name] = Prefix + hashed
		a.byURL[hashed] = name
		a.assets[name] = as
	}
	return a, nil
}

// isVariant reports whether name is the precompressed form of another asset.
func isVariant(name string, contents map[string][]byte) bool {
	for _, c := range codings {
		if base, ok := strings.CutSuffix(name, c.suffix); ok {
			if _, exists := contents[base]; exists {
				return true
			}
		}
	}
	return false
}

// URL returns the hashed URL of an asset, or "" when it is not embedded.
func (a *Assets) URL(name string) string { return a.urls[name] }

// Text is an asset's content ("" for none): the stylesheet, which every page
// carries inline (views.Site.CSS).
func (a *Assets) Text(name string) string {
	if as, ok := a.assets[name]; ok {
		return string(as.raw)
	}
	return ""
}

// Has reports whether the named asset is embedded.
func (a *Assets) Has(name string) bool { _, ok := a.assets[name]; return ok }

// Encodings lists the codings an asset is embedded in besides its own bytes.
func (a *Assets) Encodings(name string) []string {
	if as, ok := a.assets[name]; ok {
		return as.offered
	}
	return nil
}

// Stale lists the precompressed files left out because they no longer match
// their asset (run make to write them again).
func (a *Assets) Stale() []string { return a.stale }

// ServeHTTP serves /static/{hashed name} with a year-long immutable cache
// lifetime, in the precompressed form the request's Accept-Encoding prefers.
// HEAD gets the same headers and no body.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.byURL[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	as := a.assets[name]
	h := w.Header()
	h.Set("Content-Type", as.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	body := as.raw
	if len(as.offered) > 0 {
		h.Add("Vary", "Accept-Encoding")
		if coding := compression.Negotiate(r.Header.Get("Accept-Encoding"), as.offered...); coding != "" {
			h.Set("Content-Encoding", coding)
			body = as.encoded[coding]
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
