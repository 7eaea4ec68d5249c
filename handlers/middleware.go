package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/correlation"
)

// canonicalCorrelationID is correlation.Header as Header.Set stores it
// ("X-Correlation-Id"), computed once rather than per response.
var canonicalCorrelationID = http.CanonicalHeaderKey(correlation.Header)

// requestLog gives each request a correlation id (the caller's when it is sane)
// and logs one line per request: never the query string, a cookie or a body.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := req.Header.Get(correlation.Header)
		if !correlation.Usable(id) {
			id = correlation.New()
		}
		c.SetRequest(req.WithContext(correlation.NewContext(req.Context(), id)))
		c.Response().Header()[canonicalCorrelationID] = []string{id}
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // the error handler logs it with its level and renders the page
		}
		status := c.Response().Status
		if status < 400 && !strings.HasPrefix(req.URL.Path, "/static/") {
			s.logRequest(c.Request().Context(), requestLogLevel(c.Path(), status), req.Method, c.Path(), status, start)
		}
		return nil
	}
}

// logRequest writes the access line: what Logger.LogAttrs would, without
// what it costs on every request that the line does not use — the caller's
// program counter (runtime.Callers; the handler adds no source) and a second
// clock read (the line's time is the one its duration ends at).
func (s *Server) logRequest(ctx context.Context, level slog.Level, method, route string, status int, start time.Time) {
	h := s.log.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	end := time.Now()
	r := slog.NewRecord(end, level, "request", 0)
	r.AddAttrs(slog.String("method", method), slog.String("route", route),
		slog.Int("status", status), slog.Duration("duration", end.Sub(start)))
	_ = h.Handle(ctx, r)
}

// statusPollRoute is the checking-rates poll's route as routes.go registers it.
const statusPollRoute = "/applications/:id/status"

// sandboxRoute is the embedded stage platform's route.
const sandboxRoute = SandboxPrefix + "/*"

// SandboxPrefix is where the embedded stage platform answers, on the portal's
// own server (stage only).
const SandboxPrefix = "/sandbox"

// requestLogLevel is Info for every request but a poll that found the borrower
// still waiting: each waiting borrower sends one every few seconds, so those
// lines would be most of the log and say nothing (Debug). A poll that ends the
// wait, and every failure, is still logged. The embedded stage platform's
// calls are Debug too: it logs each of them itself.
func requestLogLevel(route string, status int) slog.Level {
	if route == statusPollRoute && status == http.StatusOK {
		return slog.LevelDebug
	}
	if route == sandboxRoute { // the stage platform logs its own calls
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// securityHeaders sets the headers every response carries. Pages are no-store:
// almost every one shows personal data, and a shared computer must not keep them.
// Production, always served over https, also tells browsers never to use plain
// http for the site again (HSTS). inlineCSS is the stylesheet that pages
// without scripts carry in their head (views.Site.CSS): the pages' CSP allows
// that one <style> by its hash, and no other.
func securityHeaders(production bool, inlineCSS string) echo.MiddlewareFunc {
	pageValues := securityHeaderValues(inlineCSS)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			path := c.Request().URL.Path
			values := pageValues
			if isAPIPath(path) {
				values = apiSecurityHeaderValues
			}
			for _, kv := range values {
				h[kv.name] = kv.value
			}
			if production {
				h[hsts.name] = hsts.value
			}
			if !strings.HasPrefix(path, "/static/") {
				h["Cache-Control"] = noStore
			}
			return next(c)
		}
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

// securityHeaderValues are the headers every response carries. The CSP's
// style-src is the portal's own files and, when there is one, the inline
// stylesheet by its SHA-256 (CSP level 2 hash source).
func securityHeaderValues(inlineCSS string) []headerValue {
	styleSrc := "'self'"
	if inlineCSS != "" {
		sum := sha256.Sum256([]byte(inlineCSS))
		styleSrc += " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	return []headerValue{
		sharedHeader("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src "+styleSrc+"; img-src 'self' data:; "+
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
		sharedHeader("X-Content-Type-Options", "nosniff"),
		sharedHeader("Referrer-Policy", "strict-origin-when-cross-origin"),
		sharedHeader("X-Frame-Options", "DENY"),
		sharedHeader("Cross-Origin-Opener-Policy", "same-origin"),
		sharedHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
	}
}

var (
	// apiSecurityHeaderValues are the JSON API's (/api/): what OWASP's REST
	// Security Cheat Sheet asks of an API response besides Cache-Control and
	// HSTS. A JSON answer is never rendered as a page, so the page-only policies
	// (the full CSP, Referrer-Policy, COOP, Permissions-Policy) would be bytes
	// to build, sort and send on every call for nothing. Framing is refused by
	// CSP frame-ancestors 'none', which every current browser obeys and which
	// supersedes X-Frame-Options (CSP Level 2); X-Frame-Options itself is left
	// to pages. With it a decision's answer would hold nine header entries,
	// and a ninth is what takes Go's header map past its small, single-group
	// form: every answer would then pay the bigger map three times (built,
	// cloned by net/http, sorted to be written), about 4 µs a call.
	apiSecurityHeaderValues = []headerValue{
		sharedHeader("Content-Security-Policy", "frame-ancestors 'none'"),
		sharedHeader("X-Content-Type-Options", "nosniff"),
	}
	noStore = sharedHeader("Cache-Control", "no-store").value
	// hsts: two years, the preload lists' minimum. Subdomains are left to the
	// operator (the proxy can add includeSubDomains): the portal may share a
	// domain with sites it does not know.
	hsts = sharedHeader("Strict-Transport-Security", "max-age=63072000")
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
			if isAPIPath(c.Request().URL.Path) { // exempt (above), without Check's work on every call
				return next(c)
			}
			if err := cop.Check(c.Request()); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, "This request came from another site and was refused.").SetInternal(err)
			}
			return next(c)
		}
	}
}

// composedOnce is the portal's global middleware m, in order, composed once at
// start-up: Echo composes what Use registers on every request, a closure per
// middleware per request. The chain ends in the handler Echo found for the
// request (c.Handler(): the route's, its own middleware included, or the
// not-found one), which is the next Echo hands a global middleware.
func composedOnce(m ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	h := func(c echo.Context) error { return c.Handler()(c) }
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return func(echo.HandlerFunc) echo.HandlerFunc { return h }
}

// isAPIPath reports whether a request is for the JSON API (package api).
func isAPIPath(path string) bool { return strings.HasPrefix(path, "/api/") }

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
