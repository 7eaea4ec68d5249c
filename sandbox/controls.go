package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"prequal/platform"
	"prequal/stage"
)

// Limits of the stage controls.
const (
	maxStepDelay        = time.Minute
	maxControlsBodySize = 4 << 10
	controlsTimeout     = 5 * time.Second
)

// Controls steer the stage platform at run time (QA changes them from /qa). They
// are kept in the sandbox's database, so a restart keeps them; until QA saves some,
// the defaults come from Config.
type Controls struct {
	// StepDelay is the pause before each status step of a lead.
	StepDelay time.Duration
	// FailDeliveries is how many deliveries of each callback are sent with a bad
	// signature before a correct one (the receiver should answer 401 to those).
	FailDeliveries int
	// CallbacksEnabled: when false, no callback is sent at all (polling only).
	CallbacksEnabled bool
	// IntermediateCallbacks: when true, in_progress and finding_products are sent
	// as callbacks too, not only terminal results and product_selected.
	IntermediateCallbacks bool
}

// controlsJSON is the wire form: durations in milliseconds. Pointers tell absent
// fields from zero ones, so a POST may change a single control.
type controlsJSON struct {
	StepDelayMs           *int64 `json:"stepDelayMs"`
	FailDeliveries        *int   `json:"failDeliveries"`
	CallbacksEnabled      *bool  `json:"callbacksEnabled"`
	IntermediateCallbacks *bool  `json:"intermediateCallbacks"`
}

// MarshalJSON writes {"stepDelayMs", "failDeliveries", "callbacksEnabled",
// "intermediateCallbacks"}.
func (c Controls) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire()) }

// wire is the controls as the stage contract (stage.Controls) writes them.
func (c Controls) wire() *stage.Controls {
	return &stage.Controls{StepDelayMs: c.StepDelay.Milliseconds(), FailDeliveries: c.FailDeliveries,
		CallbacksEnabled: c.CallbacksEnabled, IntermediateCallbacks: c.IntermediateCallbacks}
}

// UnmarshalJSON reads the wire form over c: fields absent from the JSON keep
// their current value. Unknown fields are refused.
func (c *Controls) UnmarshalJSON(b []byte) error {
	var w controlsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("controls: %w", err)
	}
	if w.StepDelayMs != nil {
		c.StepDelay = time.Duration(*w.StepDelayMs) * time.Millisecond
	}
	if w.FailDeliveries != nil {
		c.FailDeliveries = *w.FailDeliveries
	}
	if w.CallbacksEnabled != nil {
		c.CallbacksEnabled = *w.CallbacksEnabled
	}
	if w.IntermediateCallbacks != nil {
		c.IntermediateCallbacks = *w.IntermediateCallbacks
	}
	return nil
}

// validate returns the problems per JSON field.
func (c Controls) validate() fieldErrors {
	fe := fieldErrors{}
	if c.StepDelay < 0 || c.StepDelay > maxStepDelay {
		fe.add("stepDelayMs", "must be from 0 to %d", maxStepDelay.Milliseconds())
	}
	if c.FailDeliveries < 0 || c.FailDeliveries > maxDeliveryAttempts {
		fe.add("failDeliveries", "must be from 0 to %d", maxDeliveryAttempts)
	}
	return fe
}

// ErrInvalidControls is wrapped by SetControls for out-of-range values.
var ErrInvalidControls = errors.New("sandbox: invalid controls")

// defaultControls are the controls before QA changes anything.
func (s *Sandbox) defaultControls() Controls {
	return Controls{StepDelay: s.cfg.StepDelay, CallbacksEnabled: true}
}

// Controls returns the stage controls in effect.
func (s *Sandbox) Controls() Controls {
	s.ctlMu.RLock()
	defer s.ctlMu.RUnlock()
	return s.ctl
}

// SetControls changes the stage controls, keeps them in the database and records
// the change in the call log. Leads already waiting for a step keep the delay
// they were scheduled with; the next steps use the new one.
func (s *Sandbox) SetControls(c Controls) error {
	if fe := c.validate(); len(fe) > 0 {
		return fmt.Errorf("%w: %v", ErrInvalidControls, map[string][]string(fe))
	}
	ctx, cancel := context.WithTimeout(context.Background(), controlsTimeout)
	defer cancel()
	return s.changeControls(ctx, c, false)
}

// ResetControls goes back to the defaults from Config and records that.
func (s *Sandbox) ResetControls() error {
	ctx, cancel := context.WithTimeout(context.Background(), controlsTimeout)
	defer cancel()
	return s.changeControls(ctx, s.defaultControls(), true)
}

func (s *Sandbox) changeControls(ctx context.Context, c Controls, reset bool) error {
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	now := time.Now()
	note := fmt.Sprintf("changed from %s", describeControls(s.ctl))
	if reset {
		note = "reset to the defaults"
	}
	entry := LogEntry{Time: now, Kind: LogControls, Outcome: "changed", Note: note, Controls: c.wire(),
		CorrelationID: correlationFrom(ctx)}
	if reset {
		entry.Outcome = "reset"
	}
	err := s.st.inTx(ctx, func(q querier) error {
		var err error
		if reset {
			err = deleteControls(ctx, q)
		} else {
			err = saveControls(ctx, q, c, now)
		}
		if err != nil {
			return err
		}
		return insertLog(ctx, q, entry, 0)
	})
	if err != nil {
		return fmt.Errorf("sandbox: controls: %w", err)
	}
	s.ctl = c
	s.log.InfoContext(ctx, "sandbox: stage controls "+entry.Outcome, "controls", describeControls(c),
		"correlation_id", entry.CorrelationID)
	return nil
}

func describeControls(c Controls) string {
	return fmt.Sprintf("stepDelay=%s failDeliveries=%d callbacksEnabled=%t intermediateCallbacks=%t",
		c.StepDelay, c.FailDeliveries, c.CallbacksEnabled, c.IntermediateCallbacks)
}

// handleGetControls serves GET /controls.
func (s *Sandbox) handleGetControls(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Controls())
}

// handleSetControls serves POST /controls with a JSON body of the fields to
// change. It insists on Content-Type: application/json so that a plain HTML form
// on another site cannot change the controls.
func (s *Sandbox) handleSetControls(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxControlsBodySize))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		return
	}
	s.ctlMu.RLock()
	c := s.ctl
	s.ctlMu.RUnlock()
	if err := json.Unmarshal(body, &c); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON: "+truncate(err.Error()))
		return
	}
	if fe := c.validate(); len(fe) > 0 {
		writeJSON(w, http.StatusBadRequest, platform.ErrorBody{Error: "validation failed", FieldErrors: fe})
		return
	}
	if err := s.changeControls(r.Context(), c, false); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Controls())
}

// handleResetControls serves POST /controls/reset.
func (s *Sandbox) handleResetControls(w http.ResponseWriter, r *http.Request) {
	if err := s.changeControls(r.Context(), s.defaultControls(), true); err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Controls())
}
