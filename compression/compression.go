// Package compression is how the portal compresses what it sends: the choice
// of a content coding from a request's Accept-Encoding, and the encoders — gzip
// and brotli at their best for static assets (compressed once, at build time),
// pooled gzip writers for pages compressed as they are sent.
package compression

import (
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// The content codings the portal sends.
const (
	Gzip   = "gzip"
	Brotli = "br"
)

// Negotiate returns the coding of offered (in the server's order of
// preference) that acceptEncoding accepts with the highest weight, or "" when
// it accepts none of them (identity: send the bytes as they are). A coding is
// accepted when it is listed, or covered by "*", with a weight above zero.
func Negotiate(acceptEncoding string, offered ...string) string {
	best, bestQ := "", 0.0
	for _, coding := range offered {
		if q := weight(acceptEncoding, coding); q > bestQ {
			best, bestQ = coding, q
		}
	}
	return best
}

// weight is the q-value acceptEncoding gives coding: its own entry's, else
// "*"'s, else 0.
func weight(acceptEncoding, coding string) float64 {
	star := -1.0
	for rest := acceptEncoding; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(entry, ";")
		name = strings.TrimSpace(name)
		q := qValue(params)
		switch {
		case strings.EqualFold(name, coding):
			return q
		case name == "*":
			star = q
		}
	}
	return max(star, 0)
}

// qValue reads the q parameter of an Accept-Encoding entry (1 when absent or
// unreadable, as a weight that cannot be read cannot refuse the coding).
func qValue(params string) float64 {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				return 1
			}
			return q
		}
	}
	return 1
}

// Precompress returns data compressed with gzip and with brotli, each at its
// best (slowest) setting: static assets are compressed once, at build time.
func Precompress(data []byte) (gz, br []byte, err error) {
	var g bytes.Buffer
	gw, _ := gzip.NewWriterLevel(&g, gzip.BestCompression)
	if _, err := gw.Write(data); err != nil {
		return nil, nil, err
	}
	if err := gw.Close(); err != nil {
		return nil, nil, err
	}
	var b bytes.Buffer
	bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
	if _, err := bw.Write(data); err != nil {
		return nil, nil, err
	}
	if err := bw.Close(); err != nil {
		return nil, nil, err
	}
	return g.Bytes(), b.Bytes(), nil
}

// Decode returns data decoded from coding (gzip or br).
func Decode(coding string, data []byte) ([]byte, error) {
	var r io.Reader
	switch coding {
	case Gzip:
		gr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = gr
	case Brotli:
		r = brotli.NewReader(bytes.NewReader(data))
	default:
		return nil, &UnknownCodingError{coding}
	}
	return io.ReadAll(r)
}

// UnknownCodingError is a content coding this package does not know.
type UnknownCodingError struct{ Coding string }

func (e *UnknownCodingError) Error() string {
	return "compression: unknown coding " + strconv.Quote(e.Coding)
}

// DynamicGzipLevel is the gzip level of responses compressed as they are
// sent: on /apply (17.5 KB), level 5 gives 4,120 bytes where the best (9)
// gives 4,099 and the fastest (1) 4,664; past 5 the extra searching buys
// almost nothing.
const DynamicGzipLevel = 5

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, DynamicGzipLevel)
	return w
}}

// NewGzipWriter returns a pooled gzip writer (DynamicGzipLevel) writing to w.
// Hand it back with PutGzipWriter once closed: a gzip writer holds some
// hundreds of KB of state, too much to allocate per response.
func NewGzipWriter(w io.Writer) *gzip.Writer {
	gw := gzipWriters.Get().(*gzip.Writer)
	gw.Reset(w)
	return gw
}

// PutGzipWriter returns a writer from NewGzipWriter to the pool.
func PutGzipWriter(gw *gzip.Writer) {
	gw.Reset(io.Discard)
	gzipWriters.Put(gw)
}
