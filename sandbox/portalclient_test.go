package sandbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"prequal/platform"
	"prequal/stage"
)

// TestPortalClientAndDecoder drives the sandbox with the portal's own platform
// client (OAuth2 client credentials, Idempotency-Key, X-Correlation-ID) and
// decodes every callback with the portal's own decoder, so the two sides cannot
// drift apart on the wire.
func TestPortalClientAndDecoder(t *testing.T) {
	h := newHarness(t)
	client := platform.NewClient(platform.Config{BaseURL: h.srv.URL, ClientID: testClientID,
		ClientSecret: testClientSecret, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()

	lead := scenarioLead(t, stage.ScenarioDuplicateOutOfOrder, "client-1")
	created, err := client.SubmitLead(ctx, lead, "client-key-1", "client-corr-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := client.SubmitLead(ctx, lead, "client-key-1", "client-corr-1")
	if err != nil || again.UUID != created.UUID {
		t.Fatalf("resubmit: %+v, %v", again, err)
	}
	var got platform.Lead
	waitFor(t, "offers through the client", func() bool {
		got, err = client.GetLead(ctx, created.UUID, "client-corr-1")
		return err == nil && got.Status == platform.StatusOffersFound
	})
	if _, err := got.Offers(); err != nil {
		t.Fatalf("the portal refuses the offers: %v", err)
	}
	if _, err := client.GetLead(ctx, "no-such-lead", "client-corr-1"); !errors.Is(err, platform.ErrLeadNotFound) {
		t.Errorf("unknown lead: %v", err)
	}

	waitFor(t, "all callbacks", func() bool { return len(h.recv.accepted(created.UUID)) == 7 })
	for _, c := range h.recv.accepted(created.UUID) {
		if _, err := platform.DecodeCallback(c.Body); err != nil {
			t.Errorf("the portal cannot decode a %s callback: %v", c.Callback.Data.Status, err)
		}
		if c.Header.Get(platform.HeaderCorrelationID) != "client-corr-1" {
			t.Errorf("callback correlation id %q", c.Header.Get(platform.HeaderCorrelationID))
		}
	}

	// The token request that minted the client's token is part of the lead's log.
	entries := h.callLog(h.token(), "lead="+created.UUID)
	if len(entries) == 0 || entries[0].Kind != LogToken || entries[0].Outcome != "issued" {
		t.Errorf("the lead's log does not start with its token request: %+v", entries[:min(1, len(entries))])
	}
}
