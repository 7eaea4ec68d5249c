package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestQuantileIsNearestRank(t *testing.T) {
	var s stats
	for i := 1; i <= 100; i++ {
		s.latencies = append(s.latencies, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := s.quantile(q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
	if (stats{}).quantile(0.99) != 0 {
		t.Error("quantile of nothing")
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999.4: "999", 1000: "1,000", 2042.6: "2,043", 1234567: "1,234,567"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestLogScanCountsBusyAndErrors(t *testing.T) {
	var l logScan
	l.scan(strings.NewReader("level=INFO msg=ok\nlevel=ERROR msg=\"x\" error=\"database is locked (5) (SQLITE_BUSY)\"\nlevel=WARN msg=y\n"))
	if lines, busy, errs := l.counts(); lines != 3 || busy != 1 || errs != 1 {
		t.Errorf("counts = %d lines, %d busy, %d errors", lines, busy, errs)
	}
}

func TestOptionsRefuseNonsense(t *testing.T) {
	for _, args := range [][]string{{"-run-for", "0s"}, {"-crowd", "-1"}, {"-submitters", "0"}} {
		if _, err := parseOptions(args); err == nil {
			t.Errorf("parseOptions(%v) accepted it", args)
		}
	}
	o, err := parseOptions([]string{"-only", "poll, crowd"})
	if err != nil || !o.wants("poll") || !o.wants("crowd") || o.wants("submit") {
		t.Errorf("-only: %+v %v", o, err)
	}
}

// TestWrkScriptMeasuresARealServer runs wrk with a generated script against a
// real HTTP server: every scripted request arrives with its method, path,
// headers and body, and the script's figures add up.
func TestWrkScriptMeasuresARealServer(t *testing.T) {
	if err := ensureWrk(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[r.Method+" "+r.URL.Path+" "+r.Header.Get("Cookie")+" "+string(body)]++
		mu.Unlock()
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	reqs := []wrkRequest{
		{method: "GET", path: "/a", headers: map[string]string{"Cookie": `s="x\y"`}},
		{method: "POST", path: "/b", headers: map[string]string{"Content-Type": "application/json"}, body: `{"k":"é"}`},
	}
	script, out, err := wrkScript(t.TempDir(), "t", reqs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runWrk(context.Background(), srv.URL, script, out, 1, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.requests == 0 || r.statusErrors != 0 || r.socketErrors != 0 || r.duration < time.Second {
		t.Fatalf("result %+v", r)
	}
	mu.Lock()
	a, b := seen[`GET /a s="x\y" `], seen[`POST /b  {"k":"é"}`]
	mu.Unlock()
	if a == 0 || b == 0 || len(seen) != 2 {
		t.Errorf("the server saw %v", seen)
	}
	if !slices.IsSorted(r.quantiles) || r.quantiles[0] <= 0 {
		t.Errorf("quantiles not ascending and positive: %v…", r.quantiles[:5])
	}
	var total wrkTotal
	total.add(r)
	if total.quantile(0.99) < total.quantile(0.5) || total.rate() <= 0 {
		t.Errorf("p50 %v p99 %v rate %v", total.quantile(0.5), total.quantile(0.99), total.rate())
	}

	bad, badOut, err := wrkScript(t.TempDir(), "bad", []wrkRequest{{method: "GET", path: "/missing"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err = runWrk(context.Background(), srv.URL, bad, badOut, 1, 1, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	total = wrkTotal{}
	total.add(r)
	if r.statusErrors != r.requests || wrkFailed("missing", total) == nil {
		t.Errorf("404s not counted as errors: %+v", r)
	}
}

func TestWrkQuantilesMergeByWeight(t *testing.T) {
	steps := func(v time.Duration) []time.Duration {
		q := make([]time.Duration, wrkQuantileSteps)
		for i := range q {
			q[i] = v
		}
		return q
	}
	// 900 fast responses and 100 slow ones: the p99 is slow, the p50 fast.
	t1 := wrkTotal{runs: []wrkResult{
		{requests: 900, duration: time.Second, quantiles: steps(time.Millisecond)},
		{requests: 100, duration: time.Second, quantiles: steps(50 * time.Millisecond)},
	}}
	if got := t1.quantile(0.5); got != time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := t1.quantile(0.99); got != 50*time.Millisecond {
		t.Errorf("p99 = %v", got)
	}
	if got := t1.quantile(0.9); got != time.Millisecond {
		t.Errorf("p90 = %v", got)
	}
	if got := t1.rate(); got != 500 {
		t.Errorf("rate = %v", got)
	}
}
