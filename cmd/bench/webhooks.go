package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"prequal/lending"
	"prequal/stage"
	"prequal/store"
	"prequal/webhooks"
)

// targetWebhookSlowdown is the most a webhook load may take off the borrower
// path's throughput (issue 16).
const targetWebhookSlowdown = 0.10

// webhookRounds is how many alone/loaded pairs figures 6b and 6c run.
const webhookRounds = 3

// medianIndex is the index of xs's median (the lower one of an even count).
func medianIndex(xs []float64) int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	return idx[(len(idx)-1)/2]
}

func median(xs []float64) float64 { return xs[medianIndex(xs)] }

// webhookFigures is figure 6: partner webhook deliveries per second to a
// local receiver, then the borrower's poll and submit throughput without and
// with a delivery backlog draining in the same portal.
func (b *bench) webhookFigures(ctx context.Context) error {
	p, err := b.startPortal(ctx, "webhooks")
	if err != nil {
		return err
	}
	defer b.stopPortal(p)
	rcv, err := startHookReceiver()
	if err != nil {
		return err
	}
	defer rcv.srv.Close()
	st, err := openPortalStore(ctx, p.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	partner, err := st.RegisterPartner(ctx, store.NewPartner{Name: "Bench Lending", Email: "bench@lending.example",
		Password: "a long bench passphrase", Active: true, IP: "127.0.0.1"})
	if err != nil {
		return err
	}
	if _, err := st.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{PartnerID: partner.ID, URL: "http://" + rcv.addr + "/hooks",
		EventTypes: []string{lending.EventCreditApplicationPending}, Secret: webhooks.NewSecret()}); err != nil {
		return err
	}
	addEvents := func(n int) error {
		return forEach(ctx, n, 8, func(i int) error {
			_, err := st.AddPartnerEvent(ctx, store.NewPartnerEvent{PartnerID: partner.ID, Type: lending.EventCreditApplicationPending,
				PayloadVersion: 1, Payload: map[string]any{"n": i, "status": "Pending"}})
			return err
		})
	}

	// 6a: a backlog of events, delivered as fast as the worker goes.
	const backlog = 3000
	if err := addEvents(backlog); err != nil {
		return err
	}
	if err := rcv.waitFor(ctx, backlog, 2*time.Minute); err != nil {
		return err
	}
	rate := rcv.rate()
	b.add(figure{num: "6a", what: "webhook deliveries to a local receiver (one endpoint, signed, recorded)",
		value: fmt.Sprintf("%s events/s (%d events)", thousands(rate), backlog), target: "none (information)", info: true})

	// 6b, 6c: the borrower path alone, then with a backlog that lasts the run.
	conns := b.o.connections
	client := newClient(conns)
	brs, ids, err := b.borrowers(ctx, p.URL, client, conns, min(conns, 16), stage.ScenarioTimeout)
	if err != nil {
		return err
	}
	poll := func() stats {
		return closedLoop(ctx, conns, warmup, b.o.runFor, func(ctx context.Context, w int) error {
			_, _, err := brs[w].pollStatus(ctx, ids[w])
			return err
		})
	}
	submitters := make([]*borrower, conns)
	for i := range submitters {
		submitters[i] = &borrower{base: p.URL, client: client}
	}
	submit := func() stats {
		return closedLoop(ctx, conns, warmup, b.o.runFor, func(ctx context.Context, w int) error {
			form, err := scenarioForm(stage.ScenarioTimeout)
			if err == nil {
				_, err = submitters[w].apply(ctx, form)
			}
			return err
		})
	}
	// Each loaded slice gets a backlog that would last it at full speed, so
	// a worker that did not yield would still be delivering throughout.
	loadFor := int(rate*(warmup+b.o.runFor).Seconds()*3/2) + 500
	for _, m := range []struct {
		num, name string
		run       func() stats
	}{{"6b", "status poll", poll}, {"6c", "form submits", submit}} {
		// Rounds of a slice alone then a slice with deliveries running, the
		// backlog drained between rounds: each round's ratio compares two
		// neighbouring slices, so a drift of the machine (or of the database's
		// size) across the figure does not count as the webhooks' doing; the
		// figure is the median round.
		var alone, loaded []stats
		var ratios []float64
		var during int64
		minQueued := int64(-1)
		for range webhookRounds {
			a := m.run()
			if err := failed(m.name+" without webhooks", a); err != nil {
				return err
			}
			if err := addEvents(loadFor); err != nil {
				return err
			}
			rcv.expect.Add(int64(loadFor))
			if err := fannedOut(ctx, st, rcv.expect.Load()); err != nil {
				return err
			}
			before := rcv.count.Load()
			l := m.run()
			if err := failed(m.name+" with webhooks", l); err != nil {
				return err
			}
			during += rcv.count.Load() - before
			queued := rcv.expect.Load() - rcv.count.Load()
			if minQueued < 0 || queued < minQueued {
				minQueued = queued
			}
			// After a submit slice the worker still has its applications to take
			// to the platform (in stage, the embedded one, on the portal's own
			// server), so the portal stays busy and the backlog drains at the
			// busy rate for a while: a generous limit.
			if err := rcv.waitFor(ctx, int(rcv.expect.Load()), 6*time.Minute); err != nil {
				return err
			}
			alone, loaded = append(alone, a), append(loaded, l)
			ratios = append(ratios, l.rate()/a.rate())
		}
		slowdown := 1 - median(ratios)
		rounds := make([]string, len(ratios))
		for i := range ratios {
			rounds[i] = fmt.Sprintf("%s → %s/s", thousands(alone[i].rate()), thousands(loaded[i].rate()))
		}
		b.add(figure{num: m.num, what: fmt.Sprintf("%s, %d connections, without → with webhook deliveries running (%d rounds)", m.name, conns, webhookRounds),
			value: fmt.Sprintf("%s (p99 %s → %s in the median round; %d deliveries during the loaded slices, at least %d still queued after each)",
				strings.Join(rounds, ", "), ms(alone[medianIndex(ratios)].quantile(0.99)), ms(loaded[medianIndex(ratios)].quantile(0.99)), during, minQueued),
			ratio: fmt.Sprintf("%.1f %% slower (median round)", 100*slowdown), target: "≤ 10 % slower",
			pass: slowdown <= targetWebhookSlowdown && minQueued > 0})
	}
	return nil
}

// fannedOut waits until the portal has made a delivery of each of the n
// events, so the figure measures the deliveries running, not the bench's own
// writes of the events.
func fannedOut(ctx context.Context, st *store.Store, n int64) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := st.WebhookDeliveryCounts(ctx)
		if err != nil {
			return err
		}
		if int64(c[store.DeliveryPending]+c[store.DeliveryDelivered]+c[store.DeliveryFailed]) >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webhooks: the portal did not fan %d events out within 2 minutes", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hookReceiver is the local webhook receiver of figure 6: it answers 204 and
// counts deliveries, and when the first and last arrived.
type hookReceiver struct {
	srv          *http.Server
	addr         string
	count        atomic.Int64
	expect       atomic.Int64 // events sent so far (set by waitFor's callers)
	mu           sync.Mutex
	first, last  time.Time
	firstCounted int64
}

func startHookReceiver() (*hookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &hookReceiver{addr: ln.Addr().String()}
	r.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		n := r.count.Add(1)
		r.mu.Lock()
		if r.first.IsZero() {
			r.first, r.firstCounted = now, n
		}
		r.last = now
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// waitFor waits until n deliveries in all have arrived.
func (r *hookReceiver) waitFor(ctx context.Context, n int, limit time.Duration) error {
	r.expect.Store(int64(n))
	deadline := time.Now().Add(limit)
	for r.count.Load() < int64(n) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("webhooks: %d of %d deliveries arrived within %v", r.count.Load(), n, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// rate is the deliveries per second from the first to the last.
func (r *hookReceiver) rate() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return float64(r.count.Load()-r.firstCounted) / r.last.Sub(r.first).Seconds()
}

// forEach runs fn(0…n-1) on workers goroutines; the first error wins.
func forEach(ctx context.Context, n, workers int, fn func(i int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}
