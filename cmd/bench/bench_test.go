package main

import (
	"strings"
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
