package webhooks

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

func verify(t *testing.T, secret string, r received, now time.Time) string {
	t.Helper()
	id, err := platform.Verify([]platform.WebhookSecret{platform.WebhookSecret(secret)}, r.Header, r.Body, now)
	if err != nil {
		t.Fatalf("delivery does not verify with its secret: %v (headers %v)", err, r.Header)
	}
	return id
}

// sentAt is an attempt's webhook-timestamp.
func sentAt(r received) time.Time {
	ts, _ := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
	return time.Unix(ts, 0)
}

func TestDeliveryCarriesTheStoredEventSigned(t *testing.T) {
	h := newHarness(t)
	rcv := newReceiver(t, nil)
	ep, secret := h.endpoint(rcv.srv.URL+"/hooks", lending.EventJourneySnapshot)
	other := h.event(lending.EventCreditApplicationApproved, map[string]string{"not": "subscribed"})
	ev := h.event(lending.EventJourneySnapshot, map[string]any{"journey": "OFFERS_AVAILABLE", "nextAction": "SELECT_OFFER"})
	h.run(Config{})
	waitFor(t, "the delivery", func() bool { ds := h.deliveries(ep.ID); return len(ds) == 1 && ds[0].Status == store.DeliveryDelivered })

	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1 (the unsubscribed %s must not be sent)", len(got), other.Type)
	}
	if id := verify(t, secret, got[0], h.clock.Now()); id != ev.ID {
		t.Errorf("webhook-id = %q, want the event id %q", id, ev.ID)
	}
	var body Body
	if err := json.Unmarshal(got[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != ev.ID || body.Type != lending.EventJourneySnapshot || body.PayloadVersion != 1 || !body.Timestamp.Equal(ev.OccurredAt) {
		t.Errorf("body = %+v, want the event's id, type, version and time", body)
	}
	if string(body.Data) != string(ev.Payload) {
		t.Errorf("data = %s, want the stored payload %s", body.Data, ev.Payload)
	}
	d := h.one(ep.ID)
	if d.Attempts != 1 || d.StatusCode != 200 || d.EventID != ev.ID {
		t.Errorf("delivery = %+v, want attempt 1 answered 200", d)
	}
}

func TestRetriesWithBackoffAgainstAReceiverFailingNTimes(t *testing.T) {
	const failures = 3
	h := newHarness(t)
	rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n <= failures {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("down for maintenance"))
		}
	})
	ep, secret := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	ev := h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	h.run(Config{})
	for attempt := 1; attempt <= failures; attempt++ {
		h.waitRecorded(ep.ID, attempt)
		d := h.one(ep.ID)
		wantWait := lending.WebhookRetryDelays[attempt-1]
		if got := d.NextAttemptAt.Sub(d.LastAttemptAt); got != wantWait {
			t.Fatalf("after attempt %d the next is in %v, want %v", attempt, got, wantWait)
		}
		if !strings.Contains(d.Error, "503") {
			t.Errorf("error = %q, want the answer's status", d.Error)
		}
		// Not before its time...
		time.Sleep(50 * time.Millisecond)
		if n := len(rcv.requests()); n != attempt {
			t.Fatalf("receiver got %d requests before the retry was due, want %d", n, attempt)
		}
		h.clock.Set(d.NextAttemptAt) // ...and at it.
		waitFor(t, "the retry", func() bool { return len(rcv.requests()) == attempt+1 })
	}
	waitFor(t, "delivered", func() bool { return h.one(ep.ID).Status == store.DeliveryDelivered })
	for i, r := range rcv.requests() {
		if id := verify(t, secret, r, sentAt(r)); id != ev.ID {
			t.Errorf("attempt %d carries webhook-id %q, want the same %q on every attempt", i+1, id, ev.ID)
		}
	}
	if d := h.one(ep.ID); d.Attempts != failures+1 || d.StatusCode != 200 {
		t.Errorf("delivery = %+v, want delivered at attempt %d", d, failures+1)
	}
}

func TestScheduleSpans24HoursThenTheEndpointIsFailing(t *testing.T) {
	h := newHarness(t)
	var healthy atomic.Bool
	rcv := newReceiver(t, func(n int, w http.ResponseWriter) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	ep, _ := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	start := h.clock.Now()
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	h.run(Config{Jitter: func() float64 { return 0.999 }})
	for attempt := 1; ; attempt++ {
		h.waitRecorded(ep.ID, attempt)
		d := h.one(ep.ID)
		if d.Status == store.DeliveryFailed {
			if attempt != lending.WebhookMaxAttempts {
				t.Fatalf("gave up after %d attempts, want %d", attempt, lending.WebhookMaxAttempts)
			}
			if span := d.LastAttemptAt.Sub(start); span < 24*time.Hour {
				t.Fatalf("attempts spanned %v, want at least 24 h", span)
			}
			break
		}
		if attempt >= 1 {
			base := lending.WebhookRetryDelays[attempt-1]
			if got := d.NextAttemptAt.Sub(d.LastAttemptAt); got < base || got > base+base/4 {
				t.Fatalf("wait after attempt %d = %v, want %v plus at most 25%% jitter", attempt, got, base)
			}
		}
		h.clock.Set(d.NextAttemptAt)
		if attempt > 20 {
			t.Fatal("never gave up")
		}
	}
	e, err := h.st.WebhookEndpoint(context.Background(), h.partner.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Failing() {
		t.Fatal("endpoint is not marked failing after a delivery gave up")
	}

	// Replay everything failed since the start: delivered, same webhook-id, endpoint healthy again.
	healthy.Store(true)
	n, err := h.st.ReplayFailedWebhookDeliveries(context.Background(), h.partner.ID, ep.ID, start)
	if err != nil || n != 1 {
		t.Fatalf("replayed %d (%v), want 1", n, err)
	}
	waitFor(t, "the replay", func() bool { return h.one(ep.ID).Status == store.DeliveryDelivered })
	reqs := rcv.requests()
	if reqs[len(reqs)-1].Header.Get("webhook-id") != reqs[0].Header.Get("webhook-id") {
		t.Error("the replay carries another webhook-id")
	}
	if e, _ := h.st.WebhookEndpoint(context.Background(), h.partner.ID, ep.ID); e.Failing() {
		t.Error("endpoint still failing after a successful delivery")
	}
}

func TestRotationSendsBothSignaturesFor24Hours(t *testing.T) {
	h := newHarness(t)
	rcv := newReceiver(t, nil)
	ep, oldSecret := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	newSecret := NewSecret()
	if err := h.st.RotateWebhookSecret(context.Background(), h.partner.ID, ep.ID, newSecret, h.clock.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.run(Config{})
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	waitFor(t, "first delivery", func() bool { return len(rcv.requests()) == 1 })
	r := rcv.requests()[0]
	if n := len(strings.Fields(r.Header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("webhook-signature has %d entries, want 2 during the rotation: %q", n, r.Header.Get("webhook-signature"))
	}
	verify(t, oldSecret, r, h.clock.Now())
	verify(t, newSecret, r, h.clock.Now())

	h.clock.Set(h.clock.Now().Add(24*time.Hour + time.Second))
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 2})
	waitFor(t, "second delivery", func() bool { return len(rcv.requests()) == 2 })
	r = rcv.requests()[1]
	if n := len(strings.Fields(r.Header.Get("webhook-signature"))); n != 1 {
		t.Fatalf("webhook-signature has %d entries 24 h after the rotation, want 1", n)
	}
	verify(t, newSecret, r, h.clock.Now())
	if _, err := platform.Verify([]platform.WebhookSecret{platform.WebhookSecret(oldSecret)}, r.Header, r.Body, h.clock.Now()); err == nil {
		t.Error("the old secret still verifies after its 24 h")
	}
}

func TestReplayOneAndTestEvent(t *testing.T) {
	h := newHarness(t)
	rcv := newReceiver(t, nil)
	ep, secret := h.endpoint(rcv.srv.URL, lending.EventCreditApplicationApproved)
	other, _ := h.endpoint(rcv.srv.URL+"/other", lending.EventCreditApplicationApproved)
	h.run(Config{})
	ev, err := h.st.SendWebhookTestEvent(context.Background(), h.partner.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the test event", func() bool { ds := h.deliveries(ep.ID); return len(ds) == 1 && ds[0].Status == store.DeliveryDelivered })
	if len(h.deliveries(other.ID)) != 0 {
		t.Error("the test event went to another endpoint too")
	}
	r := rcv.requests()[0]
	verify(t, secret, r, h.clock.Now())
	var body Body
	_ = json.Unmarshal(r.Body, &body)
	if body.Type != lending.EventWebhookTest || body.ID != ev.ID {
		t.Errorf("test event body = %+v", body)
	}

	d := h.one(ep.ID)
	if err := h.st.ReplayWebhookDelivery(context.Background(), "someone-else", d.ID); err == nil {
		t.Error("another partner replayed the delivery")
	}
	if err := h.st.ReplayWebhookDelivery(context.Background(), h.partner.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replay", func() bool { return len(rcv.requests()) == 2 })
	if id := verify(t, secret, rcv.requests()[1], h.clock.Now()); id != ev.ID {
		t.Errorf("replay webhook-id = %q, want %q", id, ev.ID)
	}
	if string(rcv.requests()[1].Body) != string(r.Body) {
		t.Error("the replay's body differs from the first delivery's")
	}
}

func TestRedirectsAreNotFollowedAndAttemptsTimeOut(t *testing.T) {
	h := newHarness(t)
	var followed atomic.Bool
	target := newReceiver(t, func(int, http.ResponseWriter) { followed.Store(true) })
	redirecting := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.srv.URL)
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	block := make(chan struct{})
	slow := newReceiver(t, func(int, http.ResponseWriter) { <-block })
	t.Cleanup(func() { close(block) }) // before the receiver's Close, which waits for its handlers
	r1, _ := h.endpoint(redirecting.srv.URL, lending.EventJourneySnapshot)
	r2, _ := h.endpoint(slow.srv.URL, lending.EventJourneySnapshot)
	h.run(Config{Timeout: 300 * time.Millisecond})
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	waitFor(t, "both attempts", func() bool {
		a, b := h.deliveries(r1.ID), h.deliveries(r2.ID)
		return len(a) == 1 && len(b) == 1 && !a[0].LastAttemptAt.IsZero() && !b[0].LastAttemptAt.IsZero()
	})
	if d := h.one(r1.ID); d.StatusCode != 307 || d.Status != store.DeliveryPending || !strings.Contains(d.Error, "redirect") {
		t.Errorf("redirected delivery = %+v, want a failed attempt answered 307", d)
	}
	if followed.Load() {
		t.Error("the redirect was followed")
	}
	if d := h.one(r2.ID); d.StatusCode != 0 || d.Status != store.DeliveryPending || d.Error == "" {
		t.Errorf("slow delivery = %+v, want a timed-out attempt", d)
	}
}

func TestConcurrencyPerEndpointIsBounded(t *testing.T) {
	const perEndpoint = 2
	h := newHarness(t)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	release := make(chan struct{})
	rcv := newReceiver(t, func(int, http.ResponseWriter) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		<-release
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	ep, _ := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	for i := range 8 {
		h.event(lending.EventJourneySnapshot, map[string]int{"n": i})
	}
	h.run(Config{PerEndpoint: perEndpoint, Concurrency: 8})
	waitFor(t, "the first attempts", func() bool { return len(rcv.requests()) == perEndpoint })
	time.Sleep(200 * time.Millisecond)
	close(release)
	waitFor(t, "all delivered", func() bool {
		for _, d := range h.deliveries(ep.ID) {
			if d.Status != store.DeliveryDelivered {
				return false
			}
		}
		return true
	})
	if peak > perEndpoint {
		t.Errorf("%d attempts in flight to one endpoint, want at most %d", peak, perEndpoint)
	}
}

func TestShutdownLeavesAnAttemptInFlightToBeSentAgain(t *testing.T) {
	h := newHarness(t)
	block := make(chan struct{})
	rcv := newReceiver(t, func(int, http.ResponseWriter) { <-block })
	t.Cleanup(func() { close(block) })
	ep, _ := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	w := New(Config{Store: h.st, Now: h.clock.Now, Tick: 20 * time.Millisecond, Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	waitFor(t, "the attempt to reach the receiver", func() bool { return len(rcv.requests()) == 1 })
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return at shutdown while an attempt was in flight")
	}
	d := h.one(ep.ID)
	if d.Status != store.DeliveryPending || !d.LastAttemptAt.IsZero() || d.Error != "" {
		t.Errorf("delivery after shutdown = %+v, want pending with no attempt recorded (sent again after its lease)", d)
	}
}

func TestDeliveriesYieldWhileThePortalIsBusy(t *testing.T) {
	const busyRate, events = 20, 12 // one start every 50 ms while busy
	h := newHarness(t)
	rcv := newReceiver(t, nil)
	ep, _ := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	for i := range events {
		h.event(lending.EventJourneySnapshot, map[string]int{"n": i})
	}
	var busy atomic.Bool
	busy.Store(true)
	start := time.Now()
	h.run(Config{Busy: busy.Load, BusyRate: busyRate})
	// While busy, the k-th attempt (from 0) starts no sooner than k/busyRate
	// after the worker did: a lower bound, which a slow machine only makes
	// easier to meet.
	waitFor(t, "paced deliveries", func() bool { return len(rcv.requests()) >= events-2 })
	if took, least := time.Since(start), time.Duration(events-3)*time.Second/busyRate; took < least {
		t.Errorf("%d deliveries while busy took %v, want at least %v at %d/s", events-2, took, least, busyRate)
	}
	busy.Store(false)
	waitFor(t, "all delivered once the portal is quiet", func() bool {
		for _, d := range h.deliveries(ep.ID) {
			if d.Status != store.DeliveryDelivered {
				return false
			}
		}
		return len(h.deliveries(ep.ID)) == events
	})
}

func TestDeletingAnEndpointEndsItsPendingDeliveries(t *testing.T) {
	h := newHarness(t)
	rcv := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
	ep, _ := h.endpoint(rcv.srv.URL, lending.EventJourneySnapshot)
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	h.run(Config{})
	h.waitRecorded(ep.ID, 1)
	if d := h.one(ep.ID); d.Status != store.DeliveryPending {
		t.Fatalf("after a 503 the delivery is %s, want pending (a retry due)", d.Status)
	}
	if err := h.st.DeleteWebhookEndpoint(context.Background(), h.partner.ID, ep.ID); err != nil {
		t.Fatal(err)
	}
	d := h.one(ep.ID)
	if d.Status != store.DeliveryFailed || d.Error != store.EndpointDeletedError {
		t.Errorf("after the endpoint was deleted its delivery is %s (%q), want failed (%q)", d.Status, d.Error, store.EndpointDeletedError)
	}
	counts, err := h.st.WebhookDeliveryCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[store.DeliveryPending] != 0 {
		t.Errorf("%d deliveries still pending after their endpoint was deleted", counts[store.DeliveryPending])
	}
	// Past its retry time nothing more is sent.
	h.clock.Set(h.clock.Now().Add(time.Hour))
	time.Sleep(200 * time.Millisecond)
	if n := len(rcv.requests()); n != 1 {
		t.Errorf("the receiver got %d requests, want the one attempt made before the deletion", n)
	}
}

func TestFinishedDeliveriesArePrunedAfterTheRetention(t *testing.T) {
	h := newHarness(t)
	ok := newReceiver(t, nil)
	down := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
	done, _ := h.endpoint(ok.srv.URL, lending.EventJourneySnapshot)
	retrying, _ := h.endpoint(down.srv.URL, lending.EventJourneySnapshot)
	h.event(lending.EventJourneySnapshot, map[string]int{"n": 1})
	h.run(Config{})
	h.waitRecorded(done.ID, 1)
	h.waitRecorded(retrying.ID, 1)

	// Inside the retention the delivered one stays.
	h.clock.Set(h.clock.Now().Add(lending.WebhookDeliveryRetention - time.Hour))
	time.Sleep(200 * time.Millisecond)
	if len(h.deliveries(done.ID)) != 1 {
		t.Fatal("a delivered delivery was pruned inside the retention")
	}
	// Past it, it goes; the one still being retried stays.
	h.clock.Set(h.clock.Now().Add(2 * time.Hour))
	waitFor(t, "the delivered delivery to be pruned", func() bool { return len(h.deliveries(done.ID)) == 0 })
	if ds := h.deliveries(retrying.ID); len(ds) != 1 || ds[0].Status != store.DeliveryPending {
		t.Errorf("the delivery still being retried = %+v, want it kept, pending", ds)
	}
}
