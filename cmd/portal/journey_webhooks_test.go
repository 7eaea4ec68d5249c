package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/stage"
	"prequal/store"
	"prequal/webhooks"
)

// snapshotState is what a journey.snapshot delivery and a journey state
// answer have in common.
type snapshotState struct {
	JourneyID, Status, NextAction, Resource string
	ActionRequired                          bool
}

func stateOf(journeyID string, s hlState) snapshotState {
	return snapshotState{JourneyID: journeyID, Status: s.Status, NextAction: s.NextAction, Resource: s.Resource.Kind,
		ActionRequired: s.ActionRequired}
}

// Issues 14 and 16 together, on the real binary: a registered partner's
// headless journey, run to offers and an offer chosen, reaches the partner's
// webhook endpoint as one signed journey.snapshot delivery per state the
// journey passed through — the draft's in time order, the application's in
// sequence order from 1 without a gap — each equal to the state answer of
// that moment, the last to GET /state; another partner's endpoint gets
// nothing.
func TestHeadlessJourneySnapshotsReachThePartnersWebhook(t *testing.T) {
	ctx := context.Background()
	dataDir := t.TempDir()
	rcv, foreign := newHookReceiver(t, 0), newHookReceiver(t, 0)
	st, partner, eps, secrets := webhookPartner(t, dataDir, rcv.srv.URL+"/hooks")
	other, err := st.RegisterPartner(ctx, store.NewPartner{Name: "Other Lending", Email: "other@lending.example",
		Password: "another long developer passphrase", Active: true, IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	otherEP, err := st.CreateWebhookEndpoint(ctx, store.NewWebhookEndpoint{PartnerID: other.ID, URL: foreign.srv.URL + "/hooks",
		Secret: webhooks.NewSecret(), EventTypes: []string{lending.EventJourneySnapshot, "creditApplication.*"}})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, store.NewAPIKey{PartnerID: partner.ID, Scopes: lending.Scopes{lending.ScopeJourneys}}, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	portal := startPortalProcess(t, dataDir, freeLoopbackAddr(t),
		"PORTAL_LEAD_TIMEOUT=20s", "PORTAL_POLL_AFTER=2s", "PORTAL_POLL_EVERY=500ms")

	c := &headlessClient{t: t, base: portal.URL, http: &http.Client{Timeout: 10 * time.Second}, apiKey: key}
	sess := mustJSON[struct {
		SessionToken string `json:"sessionToken"`
	}](t, c.do(http.MethodPost, "/api/v1/headless/sessions", key, map[string]string{"externalRef": "hooked-borrower"}), http.StatusCreated)
	c.token = sess.SessionToken

	// The borrower's app, noting every state answer it sees.
	var seen []snapshotState
	see := func(s hlState) {
		if now := stateOf(s.JourneyID, s); len(seen) == 0 || seen[len(seen)-1] != now {
			seen = append(seen, now)
		}
	}
	j := mustJSON[hlJourney](t, c.borrower(http.MethodPost, "/journeys", nil), http.StatusCreated)
	see(j.State)
	path := "/journeys/" + j.ID
	var sc stage.Scenario
	for _, s := range scenariosFrom(t, portal.URL) {
		if s.ID == stage.ScenarioOffersAllRanges {
			sc = s
		}
	}
	if sc.ID == "" {
		t.Fatalf("no %s scenario", stage.ScenarioOffersAllRanges)
	}
	// A draft's snapshots have no application, so no sequence: a receiver
	// orders them by their millisecond timestamps, which one borrower's app
	// never makes equal; this one neither.
	time.Sleep(2 * time.Millisecond)
	see(mustJSON[hlJourney](t, c.borrower(http.MethodPut, path+"/profile", sc.Form), http.StatusOK).State)
	j = mustJSON[hlJourney](t, c.borrower(http.MethodPost, path+"/submit", nil), http.StatusOK)
	see(j.State)
	state := j.State
	deadline := time.Now().Add(90 * time.Second)
	for state.Diagnostics.PollAfterSeconds > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still %s/%s after 90 s", state.Status, state.NextAction)
		}
		time.Sleep(time.Duration(state.Diagnostics.PollAfterSeconds) * time.Second)
		state = mustJSON[hlState](t, c.borrower(http.MethodGet, path+"/state", nil), http.StatusOK)
		see(state)
	}
	if state.Status != string(lending.JourneyOffersAvailable) {
		t.Fatalf("journey ended %s/%s, want offers", state.Status, state.NextAction)
	}
	app, err := st.Application(ctx, j.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	proceedAndLock(t, c, path, mustJSON[hlOffers](t, c.borrower(http.MethodGet, path+"/offers", nil), http.StatusOK), app)
	final := mustJSON[hlState](t, c.borrower(http.MethodGet, path+"/state", nil), http.StatusOK)
	see(final)
	if final.Status != string(lending.JourneyOfferSelected) {
		t.Fatalf("after proceeding: %s/%s", final.Status, final.NextAction)
	}

	// Every event of the journey is delivered to the partner's endpoint: its
	// snapshots (the draft's have no application yet) and the application's
	// status events (creditApplication.*, subscribed to as well).
	outbox, err := st.JourneyEvents(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	appEvents, err := st.PartnerEvents(ctx, j.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	// The endpoint hears what it subscribed to (not seed 004's application.*).
	subscribed := func(typ string) bool { return lending.WebhookWants(eps[0].EventTypes, typ) }
	want := 0
	written := map[int64]string{} // sequence → type, of the subscribed events
	for _, e := range appEvents {
		if subscribed(e.Type) {
			want++
			written[e.Sequence] = e.Type
		}
	}
	for _, e := range outbox {
		if e.ApplicationID == "" {
			want++
		}
	}
	waitUntil(t, "every event delivered", 60*time.Second, func() bool {
		ds, err := st.WebhookDeliveries(ctx, partner.ID, eps[0].ID, 100)
		if err != nil || len(ds) < want {
			return false
		}
		for _, d := range ds {
			if d.Status != store.DeliveryDelivered {
				return false
			}
		}
		return rcv.distinct() >= want
	})
	// Each delivery verifies with the endpoint's secret; duplicates (at least
	// once) carry the same body.
	byID := map[string]webhooks.Body{}
	for _, q := range rcv.requests() {
		id, err := platform.Verify([]platform.WebhookSecret{platform.WebhookSecret(secrets[0])}, q.Header, q.Body, time.Now())
		if err != nil {
			t.Fatalf("a delivery does not verify with the endpoint's secret: %v", err)
		}
		var b webhooks.Body
		if err := json.Unmarshal(q.Body, &b); err != nil || b.ID != id {
			t.Fatalf("body id %q, webhook-id %q (%v)", b.ID, id, err)
		}
		byID[id] = b
	}
	// The application's events, of every type, are numbered 1, 2, … without
	// gaps in the outbox; each delivered one is the written event of its
	// sequence. Besides the snapshots they are its seed 003 status changes.
	statusEvents := map[string]bool{}
	for _, b := range byID {
		if b.ApplicationID != "" && written[b.Sequence] != b.Type {
			t.Errorf("delivered %s with sequence %d; the outbox has %q there", b.Type, b.Sequence, written[b.Sequence])
		}
		if b.Type != lending.EventJourneySnapshot {
			if !strings.HasPrefix(b.Type, "creditApplication.") || b.ApplicationID != j.ApplicationID {
				t.Errorf("a %s delivery for application %q: not this journey's", b.Type, b.ApplicationID)
			}
			statusEvents[b.Type] = true
		}
	}
	for i, e := range appEvents {
		if e.Sequence != int64(i+1) {
			t.Errorf("the outbox numbers the application's events %d at position %d", e.Sequence, i+1)
		}
	}
	if len(byID) != want {
		t.Errorf("%d events delivered, %d written", len(byID), want)
	}
	if !statusEvents[lending.EventCreditApplicationPending] {
		t.Errorf("no %s delivery (got %v)", lending.EventCreditApplicationPending, statusEvents)
	}
	// The draft's snapshots (no application yet: sequence 0) in time order,
	// then the application's in sequence order.
	bodies := make([]webhooks.Body, 0, len(byID))
	for _, b := range byID {
		if b.Type == lending.EventJourneySnapshot {
			bodies = append(bodies, b)
		}
	}
	slices.SortFunc(bodies, func(a, b webhooks.Body) int {
		if a.Sequence != b.Sequence {
			return int(a.Sequence - b.Sequence)
		}
		return a.Timestamp.Compare(b.Timestamp)
	})
	var delivered []snapshotState
	for i, b := range bodies {
		switch {
		case b.ApplicationID == "" && b.Sequence != 0:
			t.Errorf("delivery %d: sequence %d without an application", i, b.Sequence)
		case b.ApplicationID != "" && b.ApplicationID != j.ApplicationID:
			t.Errorf("delivery %d: application %s, want %s", i, b.ApplicationID, j.ApplicationID)
		}
		if b.PayloadVersion != 1 {
			t.Errorf("delivery %d: payload version %d", i, b.PayloadVersion)
		}
		var p store.JourneySnapshotPayload
		if err := json.Unmarshal(b.Data, &p); err != nil {
			t.Fatal(err)
		}
		s := snapshotState{JourneyID: p.JourneyID, Status: p.Status, NextAction: p.NextAction, Resource: p.Resource,
			ActionRequired: p.ActionRequired}
		if len(delivered) > 0 && delivered[len(delivered)-1] == s {
			t.Errorf("delivery %d repeats the state before it: %+v", i, s)
		}
		delivered = append(delivered, s)
	}
	if len(delivered) != len(outbox) {
		t.Errorf("%d snapshots delivered, %d in the outbox", len(delivered), len(outbox))
	}
	// Every state answer the borrower's app saw was delivered, in the order it
	// saw them (the journey may pass through a state between two polls).
	rest := delivered
	for _, s := range seen {
		i := slices.Index(rest, s)
		if i < 0 {
			t.Fatalf("state %+v was answered but not delivered in order\nanswered:  %+v\ndelivered: %+v", s, seen, delivered)
		}
		rest = rest[i+1:]
	}
	if last := delivered[len(delivered)-1]; last != stateOf(j.ID, final) {
		t.Errorf("last delivered snapshot %+v, GET /state %+v", last, stateOf(j.ID, final))
	}
	t.Logf("%d snapshots delivered (%d requests): %+v", len(delivered), len(rcv.requests()), delivered)

	// Another partner's endpoint heard nothing of it.
	if n := len(foreign.requests()); n != 0 {
		t.Errorf("another partner's endpoint got %d deliveries", n)
	}
	if ds, err := st.WebhookDeliveries(ctx, other.ID, otherEP.ID, 10); err != nil || len(ds) != 0 {
		t.Errorf("another partner's endpoint has deliveries: %v %+v", err, ds)
	}
}
