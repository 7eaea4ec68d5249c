// Package correlation carries the X-Correlation-ID that ties together everything
// done for one request: its log lines, the application it creates, and every
// Platform API call made for that application afterwards. The portal's request
// middleware (handlers) accepts the caller's id or makes one, and both people's
// pages (handlers) and machines' JSON (api) read it from the request's context.
package correlation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// Header is the HTTP header that carries the id, in both directions.
const Header = "X-Correlation-ID"

type ctxKey struct{}

// Usable reports whether a caller's id may be kept as it is: short, and safe
// in a header, a log line and a URL — 8 to 64 of [A-Za-z0-9._-] (a loop
// rather than a regexp: it runs on every request).
func Usable(id string) bool {
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// New returns a fresh id: 96 random bits in hex.
func New() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	var h [24]byte
	hex.Encode(h[:], b[:])
	return string(h[:]) // the one allocation
}

// NewContext returns ctx carrying id.
func NewContext(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the id ctx carries ("" when none).
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// LogHandler wraps a slog.Handler so that every record logged with a request's
// context carries its correlation id as request_id.
type LogHandler struct{ slog.Handler }

// Handle adds request_id to r when ctx has one.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := FromContext(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around derived handlers.
func (h LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return LogHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around derived handlers.
func (h LogHandler) WithGroup(name string) slog.Handler { return LogHandler{h.Handler.WithGroup(name)} }
