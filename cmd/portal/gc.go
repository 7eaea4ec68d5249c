package main

import (
	"runtime/debug"
)

// The portal's garbage-collector settings, unless the environment sets Go's
// own GOGC or GOMEMLIMIT. Its live heap is small — a few MB under load, since
// SQLite's page caches live outside Go's heap — so Go's default (collect when
// the heap has doubled) collected 25 to 30 times a second under the pollers'
// load: a large share of each request's CPU, and two stop-the-world pauses
// per cycle in the latency tail. A heap allowed to grow to five times the live
// one collects a fifth as often; the soft memory limit makes the collector
// work harder again should the live heap ever grow near it, so memory stays
// bounded.
const (
	gcPercent   = 400
	memoryLimit = 256 << 20 // bytes of Go-managed memory
)

// tuneGC applies the settings above where the environment does not set them.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
