package sandbox

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"prequal/platform"
)

// maxCorrelationIDLength bounds an X-Correlation-ID we echo and log.
const maxCorrelationIDLength = 128

type ctxKey int

const (
	ctxCorrelationID ctxKey = iota
	ctxClientID
	ctxTokenID
)

func correlationFrom(ctx context.Context) string {
	v, _ := ctx.Value(ctxCorrelationID).(string)
	return v
}

func clientFrom(ctx context.Context) string {
	v, _ := ctx.Value(ctxClientID).(string)
	return v
}

func tokenIDFrom(ctx context.Context) int64 {
	v, _ := ctx.Value(ctxTokenID).(int64)
	return v
}

// writeJSON answers v as JSON. Encoding our own types cannot fail in practice; if
// it did, the status is already sent and there is nothing better to do.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, platform.ErrorBody{Error: msg})
}

// internalError logs err and answers a bare 500: callers never see internals.
func (s *Sandbox) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "sandbox: request failed", "err", err,
		"method", r.Method, "path", r.URL.Path, "correlation_id", correlationFrom(r.Context()))
	writeError(w, http.StatusInternalServerError, "internal server error")
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (rec *statusRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *statusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// withCorrelation echoes X-Correlation-ID (a fresh one when the caller sent none
// or an unusable one), puts it in the request context and logs one line per
// request with it. Query strings are not logged.
func (s *Sandbox) withCorrelation(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		cid := r.Header.Get(platform.HeaderCorrelationID)
		if !usableCorrelationID(cid) {
			cid = "sbx-" + randomHex(8)
		}
		w.Header().Set(platform.HeaderCorrelationID, cid)
		r = r.WithContext(context.WithValue(r.Context(), ctxCorrelationID, cid))
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "sandbox: request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration_ms", time.Since(start).Milliseconds(), "correlation_id", cid)
	})
}

// usableCorrelationID accepts 1–128 visible ASCII characters, so the id can go
// into a header and a log line unchanged.
func usableCorrelationID(v string) bool {
	return v != "" && len(v) <= maxCorrelationIDLength && usableHeaderText(v)
}

func randomHex(n int) string {
	return hex.EncodeToString(randomBytes(n))
}
