package store

import (
	"context"
	"time"
)

// WAL checkpointing. With SQLite's default, the connection whose commit takes
// the WAL past 1000 pages copies it into the database file and fsyncs that, in
// the middle of its commit: with group commit that was the single writer, so
// every writer waited for it. Here a background connection checkpoints every
// second instead (PASSIVE: it never blocks the writer or readers), and the
// writer checkpoints only if the WAL grows past writerAutoCheckpoint pages,
// should the background one fall behind.
const (
	checkpointEvery      = time.Second
	writerAutoCheckpoint = 10_000 // pages (about 40 MB)
)

// checkpointLoop runs the background checkpoints until Close.
func (s *Store) checkpointLoop() {
	defer close(s.checkpointerDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
		// A failure leaves the work to the writer's own checkpoint; the next
		// tick tries again.
		_, _ = s.ckpt.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
	}
}
