package main

import (
	"context"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// newClient is an HTTP client for up to conns concurrent keep-alive connections
// to one host; it does not follow redirects (a 303 is the answer we measure).
func newClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// stats summarises one measured run.
type stats struct {
	ok, errors int
	elapsed    time.Duration
	latencies  []time.Duration // sorted
	firstError string
}

// rate is successful operations per second.
func (s stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

// quantile returns the q-quantile (0..1) of the latencies, nearest rank.
func (s stats) quantile(q float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	i := int(q*float64(len(s.latencies))+0.5) - 1
	return s.latencies[min(max(i, 0), len(s.latencies)-1)]
}

// closedLoop runs op from workers goroutines back to back: first for warmup
// (not counted), then for d, and returns the latencies of the operations that
// started within d.
func closedLoop(ctx context.Context, workers int, warmup, d time.Duration, op func(ctx context.Context, worker int) error) stats {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	measureFrom, until := start.Add(warmup), start.Add(warmup+d)
	type partial struct {
		lat      []time.Duration
		ok, errs int
		firstErr string
	}
	parts := make([]partial, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &parts[w]
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(until) {
					return
				}
				err := op(ctx, w)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					p.errs++
					if p.firstErr == "" {
						p.firstErr = err.Error()
					}
					continue
				}
				p.ok++
				p.lat = append(p.lat, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	s := stats{elapsed: time.Since(measureFrom)}
	for _, p := range parts {
		s.latencies = append(s.latencies, p.lat...)
		s.ok += p.ok
		s.errors += p.errs
		if s.firstError == "" {
			s.firstError = p.firstErr
		}
	}
	slices.Sort(s.latencies)
	return s
}

// add merges another run of the same operation into s.
func (s *stats) add(o stats) {
	s.ok += o.ok
	s.errors += o.errors
	s.elapsed += o.elapsed
	s.latencies = append(s.latencies, o.latencies...)
	slices.Sort(s.latencies)
	if s.firstError == "" {
		s.firstError = o.firstError
	}
}

// sideBySide measures two operations in alternating one-second slices for d
// in all each, after a warm-up of each, so that drift in the machine's speed
// (a shared VM's neighbours, the CPU's clock) falls on both alike.
func sideBySide(ctx context.Context, workers int, d time.Duration, a, b func(ctx context.Context, worker int) error) (stats, stats) {
	closedLoop(ctx, workers, 0, warmup, a)
	closedLoop(ctx, workers, 0, warmup, b)
	var sa, sb stats
	slice := time.Second
	for done := time.Duration(0); done < d && ctx.Err() == nil; done += slice {
		sa.add(closedLoop(ctx, workers, 0, slice, a))
		sb.add(closedLoop(ctx, workers, 0, slice, b))
	}
	return sa, sb
}
