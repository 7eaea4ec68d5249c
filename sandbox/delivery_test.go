package sandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"prequal/platform"
	"prequal/stage"
)

func TestCallbackIsSignedWithTheSecret(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "sig-1"))
	waitFor(t, "the callback", func() bool { return len(h.recv.accepted(uuid)) == 1 })
	c := h.recv.accepted(uuid)[0]

	if c.Callback.Type != platform.CallbackEventType || c.Callback.Data.Status != platform.StatusOffersFound ||
		len(c.Callback.Data.Products) == 0 {
		t.Fatalf("callback = %+v", c.Callback)
	}
	if id := c.Header.Get(platform.HeaderWebhookID); !strings.HasPrefix(id, "msg_") {
		t.Errorf("webhook-id = %q", id)
	}
	if _, err := platform.Verify([]platform.WebhookSecret{h.cfg.WebhookSecret}, c.Header, c.Body, time.Now()); err != nil {
		t.Errorf("does not verify with the secret: %v", err)
	}
	other := platform.NewWebhookSecret()
	if _, err := platform.Verify([]platform.WebhookSecret{other}, c.Header, c.Body, time.Now()); !errors.Is(err, platform.ErrNoValidSignature) {
		t.Errorf("verifies with another secret: %v", err)
	}
	tampered := append([]byte(nil), c.Body...)
	tampered[len(tampered)-2] = ' '
	if _, err := platform.Verify([]platform.WebhookSecret{h.cfg.WebhookSecret}, c.Header, tampered, time.Now()); err == nil {
		t.Error("a tampered body verifies")
	}
	// Intermediate statuses are not sent by default.
	for _, call := range h.recv.callsFor(uuid) {
		if call.Callback.Data.Status != platform.StatusOffersFound {
			t.Errorf("unexpected %s callback", call.Callback.Data.Status)
		}
	}
}

func TestRetryAfterFailingReceiver(t *testing.T) {
	h := newHarness(t)
	h.recv.setRespond(func(n int) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "retry-1"))
	waitFor(t, "a delivered attempt", func() bool { return delivered(h, tok, uuid) })

	calls := h.recv.callsFor(uuid)
	if len(calls) != 3 {
		t.Fatalf("%d deliveries, want 3", len(calls))
	}
	id := calls[0].Header.Get(platform.HeaderWebhookID)
	for i, c := range calls {
		if got := c.Header.Get(platform.HeaderWebhookID); got != id {
			t.Errorf("attempt %d has webhook-id %s, want the first one's %s", i+1, got, id)
		}
	}
	attempts := h.attempts(tok, uuid)
	var got []string
	for _, a := range attempts {
		got = append(got, a.Outcome)
		if a.WebhookID != id || a.BadSignature {
			t.Errorf("attempt %+v", a)
		}
	}
	if strings.Join(got, ",") != "retry_scheduled,retry_scheduled,delivered" {
		t.Fatalf("attempt outcomes = %v", got)
	}
	if attempts[0].ResponseStatus != 503 || attempts[2].ResponseStatus != 204 || attempts[2].Attempt != 3 {
		t.Errorf("attempts = %+v", attempts)
	}
	if attempts[0].NextAttemptAt == nil || !attempts[0].NextAttemptAt.After(attempts[0].Time) {
		t.Error("a retry is not scheduled in the future")
	}
}

func TestCallbackRetryScenarioSendsThreeBadSignatures(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, scenarioLead(t, stage.ScenarioCallbackRetry, "cbretry-1"))
	waitFor(t, "a delivered attempt", func() bool { return delivered(h, tok, uuid) })

	attempts := h.attempts(tok, uuid)
	if len(attempts) != 4 {
		t.Fatalf("%d attempts, want 4: %+v", len(attempts), attempts)
	}
	for i, a := range attempts[:3] {
		if !a.BadSignature || a.ResponseStatus != http.StatusUnauthorized || a.Outcome != "retry_scheduled" {
			t.Errorf("attempt %d = %+v, want a deliberately bad signature answered 401", i+1, a)
		}
	}
	if last := attempts[3]; last.BadSignature || last.ResponseStatus != http.StatusNoContent || last.Outcome != "delivered" {
		t.Errorf("attempt 4 = %+v", last)
	}
	calls := h.recv.callsFor(uuid)
	if len(calls) != 4 || calls[0].Verified || calls[1].Verified || calls[2].Verified || !calls[3].Verified {
		t.Errorf("receiver saw %d calls with verification %v", len(calls), verifiedFlags(calls))
	}
}

// delivered reports whether the lead's log shows a delivered callback attempt
// (the receiver records a call before the sandbox records its answer).
func delivered(h *harness, tok, uuid string) bool {
	for _, a := range h.attempts(tok, uuid) {
		if a.Outcome == "delivered" {
			return true
		}
	}
	return false
}

func verifiedFlags(calls []receivedCall) []bool {
	out := make([]bool, len(calls))
	for i, c := range calls {
		out[i] = c.Verified
	}
	return out
}

func TestDuplicateOutOfOrderScenario(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, scenarioLead(t, stage.ScenarioDuplicateOutOfOrder, "dup-1"))
	waitFor(t, "seven callbacks", func() bool { return len(h.recv.accepted(uuid)) == 7 })

	calls := h.recv.accepted(uuid)
	var statuses, ids []string
	for _, c := range calls {
		statuses = append(statuses, c.Callback.Data.Status)
		ids = append(ids, c.Header.Get(platform.HeaderWebhookID))
	}
	wantStatuses := "offers_found,offers_found,offers_found,offers_found,offers_found,in_progress,finding_products"
	if strings.Join(statuses, ",") != wantStatuses {
		t.Fatalf("statuses = %v", statuses)
	}
	// 1 original, 3 copies under new ids, 1 redelivery under the original id,
	// then 2 stale ones under new ids.
	if ids[4] != ids[0] {
		t.Errorf("the redelivery has id %s, want the original %s", ids[4], ids[0])
	}
	distinct := map[string]bool{}
	for i, id := range ids {
		if i != 4 {
			distinct[id] = true
		}
	}
	if len(distinct) != 6 {
		t.Errorf("webhook ids = %v, want 6 distinct", ids)
	}
	for _, c := range calls[:5] {
		if len(c.Callback.Data.Products) == 0 {
			t.Error("a terminal copy has no products")
		}
	}
	for _, c := range calls[5:] {
		if len(c.Callback.Data.Products) != 0 || !c.Callback.Data.UpdatedAt.Before(calls[0].Callback.Data.UpdatedAt) {
			t.Errorf("stale %s callback: %d products, updatedAt %s", c.Callback.Data.Status,
				len(c.Callback.Data.Products), c.Callback.Data.UpdatedAt)
		}
	}
	// And the lead itself stays offers_found.
	if l := h.lead(tok, uuid); l.Status != platform.StatusOffersFound {
		t.Errorf("lead status %s", l.Status)
	}
}

func TestDeliveryResumesAfterRestart(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close() // nothing listens there any more: every delivery fails

	h := newHarness(t, func(c *Config) { c.CallbackURL = downURL + "/callbacks/platform/tok" })
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "restart-1"))
	h.waitStatus(tok, uuid, platform.StatusOffersFound)
	waitFor(t, "a failed attempt", func() bool { return len(h.attempts(tok, uuid)) >= 2 })
	failed := h.attempts(tok, uuid)[0]
	if failed.Error == "" || failed.ResponseStatus != 0 || failed.Outcome != "retry_scheduled" {
		t.Fatalf("first attempt = %+v, want a network error", failed)
	}

	// Restart with the receiver up: the pending delivery goes out.
	h.restart(func(c *Config) { c.CallbackURL = h.recv.srv.URL + "/callbacks/platform/tok" })
	tok = h.token()
	waitFor(t, "the delivery after the restart", func() bool { return len(h.recv.accepted(uuid)) == 1 })
	got := h.recv.accepted(uuid)[0]
	if id := got.Header.Get(platform.HeaderWebhookID); id != failed.WebhookID {
		t.Errorf("webhook-id after restart = %s, want the same %s", id, failed.WebhookID)
	}
	if got.Callback.Data.Status != platform.StatusOffersFound {
		t.Errorf("status %s", got.Callback.Data.Status)
	}
}

func TestLeadProcessingResumesAfterRestart(t *testing.T) {
	h := newHarness(t)
	if err := h.sb.SetControls(Controls{StepDelay: 400 * time.Millisecond, CallbacksEnabled: true}); err != nil {
		t.Fatal(err)
	}
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "resume-1"))
	h.restart(nil) // before the first step is due
	if got := h.sb.Controls().StepDelay; got != 400*time.Millisecond {
		t.Fatalf("controls after restart: step delay %s, want the saved 400ms", got)
	}
	if l := h.lead(tok, uuid); l.Status != platform.StatusCreated {
		t.Fatalf("status right after restart = %s", l.Status)
	}
	if err := h.sb.SetControls(Controls{StepDelay: 2 * time.Millisecond, CallbacksEnabled: true}); err != nil {
		t.Fatal(err)
	}
	h.waitStatus(tok, uuid, platform.StatusOffersFound)
	waitFor(t, "the callback", func() bool { return len(h.recv.accepted(uuid)) == 1 })
}

func TestBackoff(t *testing.T) {
	s := &Sandbox{cfg: Config{DeliveryBackoff: 250 * time.Millisecond}}
	for attempt, full := range map[int]time.Duration{
		1: 250 * time.Millisecond, 2: 500 * time.Millisecond, 3: time.Second, 8: 30 * time.Second, 11: 30 * time.Second,
	} {
		for range 50 {
			if d := s.backoff(attempt); d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, d, full/2, full)
			}
		}
	}
}

func TestDeliveryGivesUpAfterMaxAttempts(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.DeliveryBackoff = time.Millisecond })
	h.recv.setRespond(func(int) int { return http.StatusInternalServerError })
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "giveup-1"))
	waitFor(t, "the last attempt", func() bool {
		a := h.attempts(tok, uuid)
		return len(a) > 0 && a[len(a)-1].Outcome == "gave_up"
	})
	if n := len(h.attempts(tok, uuid)); n != maxDeliveryAttempts {
		t.Fatalf("%d attempts, want %d", n, maxDeliveryAttempts)
	}
}
