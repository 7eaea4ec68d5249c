package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
)

var startedAt = time.Now()

// metrics is GET /metrics in the Prometheus text format: applications by lead
// and review status, borrower emails and partner webhook deliveries by
// status, and the process's
// goroutines, heap and uptime. Aggregate
// numbers only — nothing about any one borrower.
func (s *Server) metrics(c echo.Context) error {
	b, err := metricsText(c.Request().Context(), s.store)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, metricsContentType, b)
}

const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// metricsText is the Prometheus text of the portal's figures.
func metricsText(ctx context.Context, st *store.Store) ([]byte, error) {
	lead, review, err := st.StatusCounts(ctx)
	if err != nil {
		return nil, err
	}
	mailCounts, err := st.MailCounts(ctx)
	if err != nil {
		return nil, err
	}
	mail := map[string]int{}
	for _, ms := range []lending.MailStatus{lending.MailQueued, lending.MailSent, lending.MailFailed, lending.MailSkipped} {
		mail[string(ms)] = mailCounts[ms]
	}
	hookCounts, err := st.WebhookDeliveryCounts(ctx)
	if err != nil {
		return nil, err
	}
	hooks := map[string]int{}
	for _, ds := range []string{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed} {
		hooks[ds] = hookCounts[ds]
	}
	var b strings.Builder
	gauge := func(name, help string) { fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name) }
	labelled := func(name, label string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s{%s=%q} %d\n", name, label, k, m[k])
		}
	}
	gauge("portal_applications", "Applications by lead status.")
	labelled("portal_applications", "lead_status", lead)
	gauge("portal_applications_review", "Applications by officer review status.")
	labelled("portal_applications_review", "review_status", review)
	gauge("portal_mail_outbox", "Borrower emails by delivery status (queued: waiting for a first or further try).")
	labelled("portal_mail_outbox", "status", mail)
	gauge("portal_webhook_deliveries", "Partner webhook deliveries by status (pending: waiting for a first or further attempt).")
	labelled("portal_webhook_deliveries", "status", hooks)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge("portal_goroutines", "Goroutines in the process.")
	fmt.Fprintf(&b, "portal_goroutines %d\n", runtime.NumGoroutine())
	gauge("portal_heap_bytes", "Bytes of allocated heap objects.")
	fmt.Fprintf(&b, "portal_heap_bytes %d\n", ms.HeapAlloc)
	gauge("portal_uptime_seconds", "Seconds since the process started.")
	fmt.Fprintf(&b, "portal_uptime_seconds %d\n", int64(time.Since(startedAt).Seconds()))
	return []byte(b.String()), nil
}

// MetricsHandler serves the same figures as GET /metrics, for a private
// listener (PORTAL_METRICS_ADDR): whoever can reach it may read them.
func MetricsHandler(st *store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		b, err := metricsText(r.Context(), st)
		if err != nil {
			http.Error(w, "metrics unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", metricsContentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
}

// metricsAccess guards GET /metrics on the main listener: open in stage; in
// production only with the bearer token (PORTAL_METRICS_TOKEN), compared in
// constant time, and absent (404) when no token is configured. The figures
// are aggregates, but an anonymous reader learns the partner's volumes.
func (s *Server) metricsAccess(next echo.HandlerFunc) echo.HandlerFunc {
	if !s.cfg.Production {
		return next
	}
	if s.cfg.MetricsToken == "" {
		return func(echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) }
	}
	want := sha256.Sum256([]byte("Bearer " + s.cfg.MetricsToken))
	return func(c echo.Context) error {
		got := sha256.Sum256([]byte(c.Request().Header.Get(echo.HeaderAuthorization)))
		if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		return next(c)
	}
}
