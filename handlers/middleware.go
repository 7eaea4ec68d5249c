package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderCorrelationID carries the id that ties a request's log lines together
// (and, towards the platform, an application's calls).
const HeaderCorrelationID = "X-Correlation-ID"

// canonicalCorrelationID is HeaderCorrelationID as Header.Set stores it
// ("X-Correlation-Id"), computed once rather than per response.
var canonicalCorrelationID = http.CanonicalHeaderKey(HeaderCorrelationID)

type ctxKey int

const correlationKey ctxKey = 1

var correlationPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// WithCorrelationID returns ctx carrying id for log lines written under it.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey, id)
}

// CorrelationID returns the id carried by ctx ("" when none).
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey).(string)
	return id
}

// LogHandler wraps a slog.Handler so every record logged with a request's
// context carries its correlation id.
type LogHandler struct{ slog.Handler }

// Handle adds request_id to r when ctx has one.
func (h LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := CorrelationID(ctx); id != "" {
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

func newCorrelationID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestLog gives each request a correlation id (the caller's when it is sane)
// and logs one line per request: never the query string, a cookie or a body.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(HeaderCorrelationID)
		if !correlationPattern.MatchString(id) {
			id = newCorrelationID()
		}
		c.SetRequest(req.WithContext(WithCorrelationID(req.Context(), id)))
		c.Response().Header()[canonicalCorrelationID] = []string{id}
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // the error handler logs it with its level and renders the page
		}
		status := c.Response().Status
		if status < 400 && !strings.HasPrefix(req.URL.Path, "/static/") {
			s.log.LogAttrs(c.Request().Context(), requestLogLevel(c.Path(), status), "request",
				slog.String("method", req.Method), slog.String("route", c.Path()),
				slog.Int("status", status), slog.Duration("duration", time.Since(start)))
		}
		return nil
	}
}

// statusPollRoute is the checking-rates poll's route as routes.go registers it.
const statusPollRoute = "/applications/:id/status"

// requestLogLevel is Info for every request but a poll that found the borrower
// still waiting: each waiting borrower sends one every few seconds, so those
// lines would be most of the log and say nothing (Debug). A poll that ends the
// wait, and every failure, is still logged.
func requestLogLevel(route string, status int) slog.Level {
	if route == statusPollRoute && status == http.StatusOK {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// securityHeaders sets the headers every response carries. Pages are no-store:
// almost every one shows personal data, and a shared computer must not keep them.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		for _, kv := range securityHeaderValues {
			h[kv.name] = kv.value
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h["Cache-Control"] = noStore
		}
		return next(c)
	}
}

// headerValue is a canonical header name and its value, shared by every
// response: a one-element slice with no spare capacity, so that a later Add
// copies it instead of writing into it. Assigning them allocates nothing, where
// Header.Set built a slice per header per response.
type headerValue struct {
	name  string
	value []string
}

func sharedHeader(name, value string) headerValue {
	return headerValue{http.CanonicalHeaderKey(name), []string{value}[:1:1]}
}

var (
	securityHeaderValues = []headerValue{
		sharedHeader("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
		sharedHeader("X-Content-Type-Options", "nosniff"),
		sharedHeader("Referrer-Policy", "strict-origin-when-cross-origin"),
		sharedHeader("X-Frame-Options", "DENY"),
		sharedHeader("Cross-Origin-Opener-Policy", "same-origin"),
		sharedHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
	}
	noStore = sharedHeader("Cache-Control", "no-store").value
)

// crossOrigin refuses state-changing browser requests from other origins using
// Go's CrossOriginProtection (Sec-Fetch-Site, then Origin against Host).
// Server-to-server calls (the platform's callbacks, the JSON API) are exempt.
func crossOrigin() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /callbacks/platform/{token}")
	cop.AddInsecureBypassPattern("/api/")
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, "This request came from another site and was refused.").SetInternal(err)
			}
			return next(c)
		}
	}
}

// recoverPanics turns a panic in a handler into a 500.
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if e, ok := r.(error); ok && errors.Is(e, http.ErrAbortHandler) {
					panic(r)
				}
				err = echo.NewHTTPError(http.StatusInternalServerError).SetInternal(errors.New("panic in handler"))
			}
		}()
		return next(c)
	}
}
