package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// A database that is down fails several steps of every round; each distinct
// failure is logged once per ten seconds, not ten times a second each.
func TestRoundErrorsAreLoggedOncePerFailure(t *testing.T) {
	var buf bytes.Buffer
	w := New(Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	ctx := context.Background()
	for range 50 {
		w.roundError(ctx, "timeout sweep", errors.New("database is closed"))
		w.roundError(ctx, "claim submit jobs", errors.New("database is closed"))
	}
	if n := strings.Count(buf.String(), "worker round failed"); n != 2 {
		t.Errorf("logged %d lines for two failures repeated 50 times, want 2:\n%s", n, buf.String())
	}
	w.roundError(ctx, "claim due polls", errors.New("database is closed"))
	if n := strings.Count(buf.String(), "worker round failed"); n != 3 {
		t.Errorf("a new failure was not logged (%d lines)", n)
	}
}
