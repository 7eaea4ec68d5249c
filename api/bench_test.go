package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// The benchmarks below measure requests per second of POST /api/v1/decision
// as the API serves it (Mount's routes and middleware, a real key in SQLite on
// a temp file, validation, the engine, the usage record committed before the
// answer; not the portal's shared middleware, which lives in handlers) next to
// a bare Echo hello handler, driven the same way in the same run:
//
//	go test -run '^$' -bench 'DecisionAPI|BareEcho' -benchtime 2s ./api/
//
// BenchmarkDecisionAPIVsBareEcho is the figure to quote: both over loopback,
// interleaved. "loopback" sends real HTTP/1.1 over TCP with keep-alive
// connections (what a partner's server sees); "inprocess" calls ServeHTTP
// directly, so the portal's own cost is not diluted by the network stack. Many
// requests are in flight at once (benchParallelism per CPU), as on a busy
// server: that is what lets the group commit put many calls in one transaction.
const benchParallelism = 32

// benchClient keeps one connection per concurrent request alive.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
}

// decisionRequest is the seed's example request to the portal at url.
func decisionRequest(url, key string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/decision", strings.NewReader(seedRequest))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	return req
}

// do sends req with client and returns the status, reading the whole body.
func do(b *testing.B, client *http.Client, req *http.Request) int {
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func BenchmarkDecisionAPI(b *testing.B) {
	p := newTestAPI(b, func(c *Config) { c.Limits = Limits{APIKeyPerMinute: 1 << 30} })
	_, key := p.newAPIKey("bench")
	handler := p.srv.Config.Handler

	b.Run("loopback", func(b *testing.B) {
		client := benchClient()
		defer client.CloseIdleConnections()
		benchLoop(b, func() int { return do(b, client, decisionRequest(p.srv.URL, key)) })
	})
	// serial: one partner, one call at a time; ns/op is a call's latency over
	// loopback, the usage record's commit included.
	b.Run("serial", func(b *testing.B) {
		client := benchClient()
		defer client.CloseIdleConnections()
		for b.Loop() {
			if code := do(b, client, decisionRequest(p.srv.URL, key)); code != http.StatusOK {
				b.Fatalf("status %d", code)
			}
		}
	})
	b.Run("inprocess", func(b *testing.B) {
		benchLoop(b, func() int {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, decisionRequest("http://portal.test", key))
			return rec.Code
		})
	})
}

// bareEcho is the yardstick: Echo answering "Hello, World!" with nothing else.
func bareEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/", func(c echo.Context) error { return c.String(http.StatusOK, "Hello, World!") })
	return e
}

func BenchmarkBareEcho(b *testing.B) {
	e := bareEcho()
	srv := httptest.NewServer(e)
	defer srv.Close()

	b.Run("loopback", func(b *testing.B) {
		client := benchClient()
		defer client.CloseIdleConnections()
		benchLoop(b, func() int {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
			return do(b, client, req)
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

// BenchmarkDecisionAPIVsBareEcho is the figure: POST /api/v1/decision
// over loopback HTTP next to the bare Echo handler, measured in the same run
// and interleaved, so that the noise of a shared machine falls on both alike.
// Each op is one round: benchSlice of decisions, then benchSlice of bare
// requests, each by benchParallelism clients per CPU in a closed loop. It
// reports both rates over all rounds and the API's share of the bare rate.
func BenchmarkDecisionAPIVsBareEcho(b *testing.B) {
	const benchSlice = 250 * time.Millisecond
	p := newTestAPI(b, func(c *Config) { c.Limits = Limits{APIKeyPerMinute: 1 << 30} })
	_, key := p.newAPIKey("bench")
	bare := httptest.NewServer(bareEcho())
	defer bare.Close()
	client := benchClient()
	defer client.CloseIdleConnections()

	workers := benchParallelism * runtime.GOMAXPROCS(0)
	var api, yardstick closedLoopCount
	for b.Loop() {
		api.run(b, workers, benchSlice, func() int { return do(b, client, decisionRequest(p.srv.URL, key)) })
		yardstick.run(b, workers, benchSlice, func() int {
			req, _ := http.NewRequest(http.MethodGet, bare.URL+"/", nil)
			return do(b, client, req)
		})
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(api.rate(), "api-req/s")
	b.ReportMetric(yardstick.rate(), "bare-req/s")
	b.ReportMetric(100*api.rate()/yardstick.rate(), "api/bare-%")
}

// closedLoopCount adds up closed-loop runs: requests answered 200 and time taken.
type closedLoopCount struct {
	ok      int64
	elapsed time.Duration
}

// run keeps workers clients each sending call back to back for d.
func (c *closedLoopCount) run(b *testing.B, workers int, d time.Duration, call func() int) {
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if code := call(); code != http.StatusOK {
					b.Errorf("status %d", code)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	c.ok += ok.Load()
	c.elapsed += time.Since(start)
}

func (c closedLoopCount) rate() float64 { return float64(c.ok) / c.elapsed.Seconds() }

// benchLoop runs call concurrently b.N times, fails on any non-200, and reports
// throughput as req/s, and the process's CPU time per call (user and system,
// from getrusage): unlike ns/op, it hardly moves when others load the machine.
func benchLoop(b *testing.B, call func() int) {
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	cpu0 := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code := call(); code != http.StatusOK {
				b.Errorf("status %d", code)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
