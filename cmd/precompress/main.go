// Command precompress writes the gzip and brotli forms of the static assets
// next to them (app.css → app.css.gz, app.css.br), at build time: make runs it
// after copying htmx in. The portal embeds them and serves the one the
// browser accepts (static.Assets); compressing at the best setting once beats
// compressing every response.
//
//	go run ./cmd/precompress static/assets/app.css static/assets/htmx.min.js
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"prequal/compression"
	"prequal/static"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(1)
	}
}

func run(paths []string) error {
	if len(paths) == 0 {
		return fmt.Errorf("usage: precompress FILE…")
	}
	for _, p := range paths {
		if !static.Compressible(p) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		gz, br, err := compression.Precompress(data)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for ext, b := range map[string][]byte{".gz": gz, ".br": br} {
			if err := writeAtomically(p+ext, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeAtomically writes b to path through a temporary file and a rename, so
// an interrupted build never leaves half a file to embed.
func writeAtomically(path string, b []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp") // dot files are never embedded
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
