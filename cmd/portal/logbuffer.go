package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Log lines are batched into few writes. `portal serve` logs one line per
// request (the checking-rates poll aside), and one write(2) to stderr per line
// was 4 % of a Decision API call's CPU under load. Lines wait in memory for at
// most logFlushEvery, or until logBufferMax bytes are waiting; a warning or an
// error is written at once, with everything before it, so the lines that
// explain a failure are never held back. The cost: if the process is killed
// outright (SIGKILL, a runtime crash), its last logFlushEvery of info and
// debug lines are lost with it; a normal shutdown writes everything.
const (
	logFlushEvery = 50 * time.Millisecond
	logBufferMax  = 32 << 10
)

// logBuffer is an io.Writer that batches writes to w.
type logBuffer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error // the first write error, reported by Close
	stop chan struct{}
	done chan struct{}
}

// newLogBuffer starts batching writes to w, flushed every interval; Close
// writes what is left.
func newLogBuffer(w io.Writer, every time.Duration) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, logBufferMax), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(every)
	return b
}

// Write keeps p (one log line) for the next flush.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) >= logBufferMax {
		b.flushLocked()
	}
	return len(p), nil
}

// Flush writes everything waiting.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *logBuffer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	if _, err := b.w.Write(b.buf); err != nil && b.err == nil {
		b.err = err
	}
	b.buf = b.buf[:0]
}

func (b *logBuffer) flushEvery(d time.Duration) {
	defer close(b.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Close stops the periodic flushes and writes what is left.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

// flushOnWarn writes a warning or an error, and the lines before it, at once.
type flushOnWarn struct {
	slog.Handler
	buf *logBuffer
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushOnWarn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOnWarn{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{h.Handler.WithGroup(name), h.buf}
}
