package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"prequal/platform"
)

func TestControlsOverHTTP(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	jsonHeader := map[string]string{"Content-Type": "application/json"}
	read := func(t *testing.T, body []byte) Controls {
		t.Helper()
		var c Controls
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		return c
	}

	status, _, body := h.do(http.MethodGet, "/controls", "", nil, nil)
	if status != 200 || !strings.Contains(string(body), `"stepDelayMs":2`) {
		t.Fatalf("GET /controls: %d %s", status, body)
	}
	if c := read(t, body); c != (Controls{StepDelay: 2 * time.Millisecond, CallbacksEnabled: true}) {
		t.Fatalf("defaults = %+v", c)
	}

	t.Run("fail deliveries takes effect", func(t *testing.T) {
		status, _, body := h.do(http.MethodPost, "/controls", "", jsonHeader, []byte(`{"failDeliveries":2}`))
		if status != 200 || read(t, body).FailDeliveries != 2 || !read(t, body).CallbacksEnabled {
			t.Fatalf("POST /controls: %d %s", status, body)
		}
		uuid := h.create(tok, plainLead(t, "ctl-fail"))
		waitFor(t, "a delivered attempt", func() bool { return delivered(h, tok, uuid) })
		var bad []bool
		for _, a := range h.attempts(tok, uuid) {
			bad = append(bad, a.BadSignature)
		}
		if len(bad) != 3 || !bad[0] || !bad[1] || bad[2] {
			t.Fatalf("bad signatures per attempt = %v, want [true true false]", bad)
		}
	})

	t.Run("callbacks disabled", func(t *testing.T) {
		if status, _, body := h.do(http.MethodPost, "/controls", "", jsonHeader, []byte(`{"callbacksEnabled":false,"failDeliveries":0}`)); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		uuid := h.create(tok, plainLead(t, "ctl-off"))
		h.waitStatus(tok, uuid, platform.StatusOffersFound)
		var skipped bool
		for _, e := range h.callLog(tok, "lead="+uuid) {
			skipped = skipped || e.Kind == LogCallbackSkipped
		}
		if !skipped || len(h.recv.callsFor(uuid)) != 0 {
			t.Fatalf("skipped logged %t, callbacks %d", skipped, len(h.recv.callsFor(uuid)))
		}
	})

	t.Run("intermediate callbacks", func(t *testing.T) {
		if status, _, body := h.do(http.MethodPost, "/controls", "", jsonHeader, []byte(`{"callbacksEnabled":true,"intermediateCallbacks":true}`)); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		uuid := h.create(tok, plainLead(t, "ctl-intermediate"))
		waitFor(t, "three callbacks", func() bool { return len(h.recv.accepted(uuid)) == 3 })
		var statuses []string
		for _, c := range h.recv.accepted(uuid) {
			statuses = append(statuses, c.Callback.Data.Status)
		}
		if strings.Join(statuses, ",") != "in_progress,finding_products,offers_found" {
			t.Fatalf("statuses = %v", statuses)
		}
	})

	t.Run("step delay takes effect", func(t *testing.T) {
		if status, _, body := h.do(http.MethodPost, "/controls", "", jsonHeader, []byte(`{"stepDelayMs":150,"intermediateCallbacks":false}`)); status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		start := time.Now()
		uuid := h.create(tok, plainLead(t, "ctl-slow"))
		h.waitStatus(tok, uuid, platform.StatusOffersFound)
		if took := time.Since(start); took < 3*150*time.Millisecond {
			t.Fatalf("three steps of 150ms took only %s", took)
		}
	})

	t.Run("refused changes", func(t *testing.T) {
		for _, tc := range []struct {
			body, contentType string
			want              int
		}{
			{`{"stepDelayMs":-1}`, "application/json", 400},
			{`{"failDeliveries":99}`, "application/json", 400},
			{`{"stepDelay":5}`, "application/json", 400},
			{`not json`, "application/json", 400},
			{`{"failDeliveries":1}`, "text/plain", http.StatusUnsupportedMediaType},
		} {
			if status, _, body := h.do(http.MethodPost, "/controls", "", map[string]string{"Content-Type": tc.contentType}, []byte(tc.body)); status != tc.want {
				t.Errorf("%s (%s): %d %s, want %d", tc.body, tc.contentType, status, body, tc.want)
			}
		}
		if got := h.sb.Controls(); got.StepDelay != 150*time.Millisecond || got.FailDeliveries != 0 {
			t.Errorf("a refused change changed the controls: %+v", got)
		}
	})

	t.Run("reset", func(t *testing.T) {
		status, _, body := h.do(http.MethodPost, "/controls/reset", "", nil, nil)
		if status != 200 || read(t, body) != (Controls{StepDelay: 2 * time.Millisecond, CallbacksEnabled: true}) {
			t.Fatalf("reset: %d %s", status, body)
		}
	})

	// Every change is in the call log.
	var notes []string
	for _, e := range h.callLog(tok, "") {
		if e.Kind == LogControls {
			notes = append(notes, e.Outcome)
			if e.Controls == nil || e.CorrelationID == "" {
				t.Errorf("controls entry %+v", e)
			}
		}
	}
	if strings.Join(notes, ",") != "changed,changed,changed,changed,reset" {
		t.Errorf("control changes in the log = %v", notes)
	}
}

func TestSetControlsValidates(t *testing.T) {
	h := newHarness(t)
	if err := h.sb.SetControls(Controls{FailDeliveries: -1}); !errors.Is(err, ErrInvalidControls) {
		t.Fatalf("err = %v", err)
	}
	if err := h.sb.SetControls(Controls{StepDelay: time.Second, FailDeliveries: 1}); err != nil {
		t.Fatal(err)
	}
	if got := h.sb.Controls(); got != (Controls{StepDelay: time.Second, FailDeliveries: 1}) {
		t.Fatalf("controls = %+v", got)
	}
	if err := h.sb.ResetControls(); err != nil {
		t.Fatal(err)
	}
	if got := h.sb.Controls(); got != (Controls{StepDelay: 2 * time.Millisecond, CallbacksEnabled: true}) {
		t.Fatalf("after reset = %+v", got)
	}
}
