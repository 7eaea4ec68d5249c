package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"prequal/api"
)

// BenchmarkStatusPoll is the checking-rates poll through the whole portal
// (handlers.New with every middleware, a real session cookie, the application
// read from SQLite on a temp file, the fragment rendered), called in process so
// that ns/op and allocs/op are the portal's own cost per poll, without the
// network's. Run it next to BenchmarkBareEcho/inprocess:
//
//	go test -run '^$' -bench 'StatusPoll|BareEcho/inprocess' -cpu 1 ./handlers/
func BenchmarkStatusPoll(b *testing.B) {
	p := newTestPortal(b)
	id := p.submit(p.client, validFormValues("poll@example.com"))
	u, _ := url.Parse(p.srv.URL)
	var cookie string
	for _, c := range p.client.Jar.Cookies(u) {
		if c.Name == borrowerCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	handler := p.srv.Config.Handler
	newReq := func() *http.Request {
		req := httptest.NewRequest(http.MethodGet, "/applications/"+id+"/status", nil)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
		return req
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, newReq())
	if rec.Code != http.StatusOK {
		b.Fatalf("poll: %d\n%s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.SetParallelism(32) // 64 connections on two cores, as the wrk figure has them
	cpu := startCPUClock(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, newReq())
			if rec.Code != http.StatusOK {
				b.Errorf("poll: %d", rec.Code)
				return
			}
		}
	})
	cpu.report()
}

// cpuClock reports a benchmark's CPU time per op (user and system, the whole
// process): unlike ns/op, it hardly moves when other work shares the machine.
type cpuClock struct {
	b     *testing.B
	start time.Duration
}

// startCPUClock resets the benchmark's timer and starts counting CPU time.
func startCPUClock(b *testing.B) cpuClock {
	b.ResetTimer()
	return cpuClock{b, processCPU(b)}
}

func (c cpuClock) report() {
	c.b.StopTimer()
	if c.b.N > 0 {
		c.b.ReportMetric(float64(processCPU(c.b)-c.start)/float64(c.b.N), "cpu-ns/op")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecisionAPIThroughPortal is POST /api/v1/decision through the whole
// portal in process (every middleware, a real key, the usage commit), next to
// api's own BenchmarkDecisionAPI/inprocess (the API alone): the difference is
// what the portal's shared middleware costs a call.
func BenchmarkDecisionAPIThroughPortal(b *testing.B) {
	p := newTestPortal(b, func(c *Config) { c.APILimits = api.Limits{APIKeyPerMinute: 1 << 30} })
	_, key := p.newAPIKey("bench")
	handler := p.srv.Config.Handler
	const body = `{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000,"yearsAtJob":5,"openCreditLines":1}`
	b.ReportAllocs()
	b.SetParallelism(32)
	cpu := startCPUClock(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/decision", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-api-key", key)
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("decision: %d", rec.Code)
				return
			}
		}
	})
	cpu.report()
}
