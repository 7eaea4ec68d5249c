package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/correlation"
)

// syncBuffer is a goroutine-safe strings.Builder counting its writes.
type syncBuffer struct {
	mu     sync.Mutex
	b      strings.Builder
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestLogBufferBatchesInfoAndWritesWarningsAtOnce(t *testing.T) {
	out := &syncBuffer{}
	buf := newLogBuffer(out, time.Hour) // no periodic flush during the test
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	log := slog.New(correlation.LogHandler{Handler: flushOnWarn{Handler: text, buf: buf}}).With("component", "test")
	for i := range 100 {
		log.Info("request", "n", i)
	}
	if s, _ := out.String(); s != "" {
		t.Fatalf("info lines were written before a flush:\n%s", s)
	}
	log.WarnContext(correlation.NewContext(context.Background(), "corr-123456"), "request failed")
	s, writes := out.String()
	if writes != 1 || strings.Count(s, "\n") != 101 || !strings.HasSuffix(s, "request_id=corr-123456\n") ||
		!strings.Contains(s, "component=test") || strings.Index(s, "n=99") > strings.Index(s, "request failed") {
		t.Fatalf("after a warning, %d writes:\n%s", writes, s)
	}
	big := strings.Repeat("x", logBufferMax)
	log.Info(big)
	if _, writes := out.String(); writes != 2 {
		t.Errorf("a full buffer was not written: %d writes", writes)
	}
	log.Debug("not logged")
	log.Info("last")
	if err := buf.Close(); err != nil {
		t.Fatal(err)
	}
	if s, _ := out.String(); !strings.HasSuffix(s, "msg=last component=test\n") || strings.Contains(s, "not logged") {
		t.Errorf("Close did not write the rest:\n%.200s", s[len(s)-200:])
	}
}

func TestLogBufferFlushesPeriodically(t *testing.T) {
	out := &syncBuffer{}
	buf := newLogBuffer(out, 10*time.Millisecond)
	defer buf.Close()
	buf.Write([]byte("line\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if s, _ := out.String(); s == "line\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the line was never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
