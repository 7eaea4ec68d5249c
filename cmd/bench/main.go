// Command bench measures the portal under load, side by side with a bare Echo
// "hello" server started in the same run, and writes BENCHMARKS.md. The
// headline figures are wrk's (wrk.go, wrkfigures.go); the others drive the
// portal with Go's HTTP client as browsers would.
//
//	go run ./cmd/bench                 # everything, ~4 minutes
//	go run ./cmd/bench -only wrk-poll,wrk-api -portal NEW -against OLD -out /tmp/ab.md
//	                                   # two builds of the portal against each other
//
// It builds ./cmd/portal into a temporary directory and runs it as a separate
// process (`portal serve`, stage, embedded stage platform, a temporary data dir
// on 127.0.0.1), a fresh one for each figure so no figure inherits another's
// backlog. Every request goes to 127.0.0.1 only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the bench's flags.
type options struct {
	runFor      time.Duration // each Go-client throughput figure (3, 4)
	crowdFor    time.Duration // figure 5
	connections int           // opening the crowd's sessions
	submitters  int           // figure 3
	inFlight    int           // figure 4
	crowd       int           // figure 5
	wrkThreads  int           // wrk figures: wrk's threads
	wrkConns    int           // wrk figures: wrk's connections
	wrkSlice    time.Duration // wrk figures: one slice of one target
	wrkRounds   int           // wrk figures: slices of each target
	out         string
	portalBin   string
	only        string
	helloAddr   string // internal: serve the bare hello handler on this address
	profileDir  string // wrk figures: write the portal's CPU profile of the first slice here
	against     string // wrk figures: measure against a portal built from this binary, not bare Echo
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&o.runFor, "run-for", 5*time.Second, "how long each throughput figure runs (after a 1 s warm-up)")
	fs.DurationVar(&o.crowdFor, "crowd-for", 30*time.Second, "how long the crowd of borrowers polls (figure 5)")
	fs.IntVar(&o.connections, "connections", 64, "concurrent connections opening the crowd's sessions")
	fs.IntVar(&o.submitters, "submitters", 256, "borrowers submitting at once for figure 3")
	fs.IntVar(&o.inFlight, "in-flight", 200, "borrowers in flight for the end-to-end figure (4)")
	fs.IntVar(&o.crowd, "crowd", 2000, "borrowers polling at once for figure 4")
	fs.IntVar(&o.wrkThreads, "wrk-threads", 2, "wrk's threads (-t) for the wrk figures")
	fs.IntVar(&o.wrkConns, "wrk-connections", 64, "wrk's connections (-c) for the wrk figures")
	fs.DurationVar(&o.wrkSlice, "wrk-slice", 4*time.Second, "one wrk slice (whole seconds); the portal and bare Echo alternate")
	fs.IntVar(&o.wrkRounds, "wrk-rounds", 4, "wrk slices of each target per figure")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "report file (overwritten)")
	fs.StringVar(&o.portalBin, "portal", "", "a portal binary to measure (default: build ./cmd/portal)")
	fs.StringVar(&o.only, "only", "", "comma-separated figures to run (wrk-poll,wrk-api,submit,e2e,crowd,webhooks); default all")
	fs.StringVar(&o.profileDir, "profile", "", "wrk figures: save the portal's CPU profile, taken over its first measured slice, in this directory (slows that slice)")
	fs.StringVar(&o.against, "against", "", "wrk figures: measure the portal against another portal binary (a before/after) instead of bare Echo")
	fs.StringVar(&o.helloAddr, "serve-hello", "", "internal: serve the bare Echo hello handler on this address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.runFor <= 0 || o.crowdFor <= 0 || o.connections <= 0 || o.submitters <= 0 || o.inFlight <= 0 || o.crowd <= 0 ||
		o.wrkThreads <= 0 || o.wrkConns < o.wrkThreads || o.wrkSlice < time.Second || o.wrkRounds <= 0 {
		return o, fmt.Errorf("durations and counts must be positive")
	}
	return o, nil
}

func (o options) wants(figure string) bool {
	if o.only == "" {
		return true
	}
	for _, f := range strings.Split(o.only, ",") {
		if strings.TrimSpace(f) == figure {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	if o.helloAddr != "" {
		return serveHello(ctx, o.helloAddr)
	}
	started := time.Now()
	work, err := os.MkdirTemp("", "prequal-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	bin := o.portalBin
	if bin == "" {
		fmt.Fprintln(stdout, "building the portal…")
		if bin, err = buildPortal(ctx, work); err != nil {
			return err
		}
	}
	if o.wants("wrk-poll") || o.wants("wrk-api") {
		if err := ensureWrk(); err != nil {
			return err
		}
	}
	b := &bench{o: o, bin: bin, work: work, out: stdout}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"wrk-poll", b.wrkStatusPoll},
		{"wrk-api", b.wrkDecisionAPI},
		{"submit", b.submits},
		{"e2e", b.endToEnd},
		{"crowd", b.crowdPolling},
		{"webhooks", b.webhookFigures},
	}
	for _, s := range steps {
		if !o.wants(s.name) {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	b.took = time.Since(started)
	if err := b.writeReport(ctx, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s)\n", o.out, b.took.Round(time.Second))
	return nil
}
