package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A database that is down fails several steps of every round with one cause;
// each cause is logged once per ten seconds, not once per step ten times a second.
func TestRoundErrorsAreLoggedOncePerCause(t *testing.T) {
	errClosed := errors.New("sql: database is closed")
	errBusy := errors.New("database is locked")
	var buf bytes.Buffer
	w := New(Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	ctx := context.Background()
	for range 50 {
		w.roundError(ctx, "timeout sweep", fmt.Errorf("store.MarkTimedOut: %w", errClosed))
		w.roundError(ctx, "claim submit jobs", fmt.Errorf("store.ClaimSubmitJobs: %w", errClosed))
		w.roundError(ctx, "claim mail", fmt.Errorf("store.ClaimMailJobs: %w", errBusy))
	}
	if n := strings.Count(buf.String(), "worker round failed"); n != 2 {
		t.Errorf("logged %d lines for two causes repeated 50 times over three steps, want 2:\n%s", n, buf.String())
	}
	w.roundError(ctx, "claim due polls", errors.New("disk I/O error"))
	if n := strings.Count(buf.String(), "worker round failed"); n != 3 {
		t.Errorf("a new cause was not logged (%d lines)", n)
	}
}
