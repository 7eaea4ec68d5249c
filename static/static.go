// Package static serves the portal's CSS, images and the htmx script (copied in
// from npm by make), embedded in the binary and addressed by content hash so
// browsers may cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed all:assets
var files embed.FS

// Prefix is where assets are served.
const Prefix = "/static/"

// Assets maps asset names ("app.css") to their content-hashed URLs.
type Assets struct {
	urls    map[string]string // name → /static/app.1a2b3c4d.css
	byURL   map[string]string // hashed file name → name
	content map[string][]byte
}

// Load hashes every embedded asset.
func Load() (*Assets, error) {
	a := &Assets{urls: map[string]string{}, byURL: map[string]string{}, content: map[string][]byte{}}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "assets/")
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.urls[name] = Prefix + hashed
		a.byURL[hashed] = name
		a.content[name] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static.Load: %w", err)
	}
	return a, nil
}

// URL returns the hashed URL of an asset, or "" when it is not embedded.
func (a *Assets) URL(name string) string { return a.urls[name] }

// Has reports whether the named asset is embedded.
func (a *Assets) Has(name string) bool { _, ok := a.content[name]; return ok }

// ServeHTTP serves /static/{hashed name} with a year-long immutable cache lifetime.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.byURL[strings.TrimPrefix(r.URL.Path, Prefix)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.content[name])
}
