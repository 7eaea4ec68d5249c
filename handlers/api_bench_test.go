package handlers

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// The benchmarks below measure requests per second of POST /api/v1/decision
// through the whole portal (handlers.New with the real middleware, a real key
// looked up in SQLite on a temp file, validation, the engine, the durable usage
// record with group commit) next to a bare Echo hello handler, both driven the
// same way in the same run:
//
//	go test -run xxx -bench 'DecisionAPI|BareEcho' -benchtime 2s ./handlers/
//
// "loopback" sends real HTTP/1.1 over TCP with keep-alive connections (what a
// partner's server sees); "inprocess" calls ServeHTTP directly, so the
// portal's own cost is not diluted by the network stack. Many requests are in
// flight at once (benchParallelism per CPU), as on a busy server: that is what
// lets the group commit put many calls in one transaction.
const benchParallelism = 32

// benchClient keeps one connection per concurrent request alive.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
}

func BenchmarkDecisionAPI(b *testing.B) {
	p := newTestPortal(b, func(c *Config) { c.API = APILimits{APIKeyPerMinute: 1 << 30} })
	_, key := p.newAPIKey("bench")
	handler := p.srv.Config.Handler

	newRequest := func(url string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/decision", strings.NewReader(seedRequest))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", key)
		return req
	}
	b.Run("loopback", func(b *testing.B) {
		client := benchClient()
		defer client.CloseIdleConnections()
		benchLoop(b, func() int {
			resp, err := client.Do(newRequest(p.srv.URL))
			if err != nil {
				b.Error(err)
				return 0
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		})
	})
	b.Run("inprocess", func(b *testing.B) {
		benchLoop(b, func() int {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, newRequest("http://portal.test"))
			return rec.Code
		})
	})
}

func BenchmarkBareEcho(b *testing.B) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	srv := httptest.NewServer(e)
	defer srv.Close()

	b.Run("loopback", func(b *testing.B) {
		client := benchClient()
		defer client.CloseIdleConnections()
		benchLoop(b, func() int {
			resp, err := client.Get(srv.URL + "/")
			if err != nil {
				b.Error(err)
				return 0
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		})
	})
	b.Run("inprocess", func(b *testing.B) {
		benchLoop(b, func() int {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			return rec.Code
		})
	})
}

// benchLoop runs call concurrently b.N times, fails on any non-200, and reports
// throughput as req/s.
func benchLoop(b *testing.B, call func() int) {
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code := call(); code != http.StatusOK {
				b.Errorf("status %d", code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
