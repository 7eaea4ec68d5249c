package handlers

import (
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
)

var startedAt = time.Now()

// metrics is GET /metrics in the Prometheus text format: applications by lead
// and review status, borrower emails by delivery status, and the process's
// goroutines, heap and uptime. Aggregate
// numbers only — nothing about any one borrower.
func (s *Server) metrics(c echo.Context) error {
	lead, review, err := s.store.StatusCounts(c.Request().Context())
	if err != nil {
		return err
	}
	mailCounts, err := s.store.MailCounts(c.Request().Context())
	if err != nil {
		return err
	}
	mail := map[string]int{}
	for _, st := range []lending.MailStatus{lending.MailQueued, lending.MailSent, lending.MailFailed, lending.MailSkipped} {
		mail[string(st)] = mailCounts[st]
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
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge("portal_goroutines", "Goroutines in the process.")
	fmt.Fprintf(&b, "portal_goroutines %d\n", runtime.NumGoroutine())
	gauge("portal_heap_bytes", "Bytes of allocated heap objects.")
	fmt.Fprintf(&b, "portal_heap_bytes %d\n", ms.HeapAlloc)
	gauge("portal_uptime_seconds", "Seconds since the process started.")
	fmt.Fprintf(&b, "portal_uptime_seconds %d\n", int64(time.Since(startedAt).Seconds()))
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}
