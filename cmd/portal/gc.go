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
// work harder again as Go's memory nears it, so the process stays small: with
// 2,000 borrowers polling at once (BENCHMARKS.md, figure 5) it stays near 115
// MB resident, where 256 MiB let it reach 210 MB and Go's default 175 MB on
// a loaded machine. A portal whose live heap outgrows the limit collects
// more often (the runtime caps that at half the CPU): raise GOMEMLIMIT then.
const (
	gcPercent   = 400
	memoryLimit = 100 << 20 // bytes of Go-managed memory
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
