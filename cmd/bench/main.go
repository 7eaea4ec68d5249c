// Command bench measures the portal under load, side by side with a bare Echo
// "hello" server started in the same run, and writes BENCHMARKS.md.
//
//	go run ./cmd/bench                 # everything, ~2.5 minutes
//	go run ./cmd/bench -crowd-for 10s  # a shorter crowd figure
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
	runFor      time.Duration // each throughput figure (1, 2, 3)
	crowdFor    time.Duration // figure 4
	connections int           // figure 1
	submitters  int           // figure 2
	inFlight    int           // figure 3
	crowd       int           // figure 4
	out         string
	portalBin   string
	only        string
	helloAddr   string // internal: serve the bare hello handler on this address
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&o.runFor, "run-for", 5*time.Second, "how long each throughput figure runs (after a 1 s warm-up)")
	fs.DurationVar(&o.crowdFor, "crowd-for", time.Minute, "how long the crowd of borrowers polls (figure 4)")
	fs.IntVar(&o.connections, "connections", 64, "concurrent connections for figure 1 (and for opening sessions)")
	fs.IntVar(&o.submitters, "submitters", 256, "borrowers submitting at once for figure 2")
	fs.IntVar(&o.inFlight, "in-flight", 200, "borrowers in flight for the end-to-end figure")
	fs.IntVar(&o.crowd, "crowd", 2000, "borrowers polling at once for figure 4")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "report file (overwritten)")
	fs.StringVar(&o.portalBin, "portal", "", "a portal binary to measure (default: build ./cmd/portal)")
	fs.StringVar(&o.only, "only", "", "comma-separated figures to run (poll,submit,e2e,crowd,instances); default all")
	fs.StringVar(&o.helloAddr, "serve-hello", "", "internal: serve the bare Echo hello handler on this address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.runFor <= 0 || o.crowdFor <= 0 || o.connections <= 0 || o.submitters <= 0 || o.inFlight <= 0 || o.crowd <= 0 {
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
	b := &bench{o: o, bin: bin, work: work, out: stdout}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"poll", b.statusPoll},
		{"submit", b.submits},
		{"e2e", b.endToEnd},
		{"crowd", b.crowdPolling},
		{"instances", b.instanceFigures},
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
