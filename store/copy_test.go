package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"prequal/lending"
)

// A portal's SQLite data moves to PostgreSQL whole: every table's rows, the
// sealed SSNs still opening with the data key, and the target carries on
// (new rows after the copied ones). A target with data is refused. In the
// SQLite pass, a copy to anything but PostgreSQL is refused.
func TestMoveDataFromSQLiteToPostgreSQL(t *testing.T) {
	target, _ := openTestStore(t)
	source := openAgainSQLite(t)
	ctx := context.Background()
	if !target.d.postgres {
		if _, err := MoveData(ctx, source, target); err == nil {
			t.Fatal("MoveData from SQLite to SQLite did not refuse")
		}
		return
	}
	clock := &lcClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	source.SetClock(clock.now)
	target.SetClock(clock.now)
	var apps []lending.Application
	for i := range 30 {
		app := lcSubmitted(t, source, clock, fmt.Sprintf("uuid-%d", i))
		if i%3 == 0 {
			if _, err := source.ApplyLeadUpdate(ctx, LeadUpdate{Source: lending.SourceCallback, WebhookID: fmt.Sprint("wh-", i),
				LeadReport: lending.LeadReport{UUID: app.Lead.UUID, Status: lending.LeadOffersFound,
					Offers: []lending.Offer{lcOffer("p1", lending.RangeRequested), lcOffer("p2", lending.RangeLower)}}}); err != nil {
				t.Fatal(err)
			}
		}
		apps = append(apps, app)
	}
	other := testApplicant("other@example.com", "900000001")
	if _, _, err := source.CreateApplication(ctx, newApp("sess", NewID(), other)); err != nil {
		t.Fatal(err)
	}
	other.FirstName, other.Email = "Sam", "sam@example.com" // the same SSN under another name: held
	held, _, err := source.CreateApplication(ctx, newApp("sess", NewID(), other))
	if err != nil || held.Review.Status != lending.ReviewManualReview {
		t.Fatalf("the application to hold: %v %v", held.Review.Status, err)
	}
	o, err := source.CreateOfficer(ctx, NewOfficer{Email: "jo@partner.example", Role: lending.RoleAdmin, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := source.StartOfficerSession(ctx, o.ID, "", "192.0.2.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := source.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{OfficerID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := source.RecordAPICalls(ctx, []string{key.ID, key.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRateLimiter(source).Take(ctx, key.ID, 100, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The partner platform's tables: a registered partner with a dashboard
	// session, a finished Idempotency-Key record (a binary body) and an event.
	dev, err := source.RegisterPartner(ctx, NewPartner{Name: "Dev Co", Email: "dev@partner.example",
		Password: "correct horse battery staple", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	devToken, err := source.StartPartnerSession(ctx, dev.ID, "", "192.0.2.2", "test")
	if err != nil {
		t.Fatal(err)
	}
	idem := IdempotentRequest{Scope: dev.ID, Key: "k-1", Method: "POST", Path: "/api/v1/x", RequestHash: "h"}
	if _, err := source.BeginIdempotent(ctx, idem); err != nil {
		t.Fatal(err)
	}
	body := []byte{0, 1, 2, 0xff, '{', '}'}
	if err := source.FinishIdempotent(ctx, idem, StoredResponse{Status: 201, Body: body}); err != nil {
		t.Fatal(err)
	}
	if err := source.inTx(ctx, func(tx *sql.Tx) error {
		_, err := source.addPartnerEvent(ctx, tx, NewPartnerEvent{ApplicationID: apps[0].ID, Type: "journey.snapshot",
			PayloadVersion: 1, Payload: map[string]string{"status": "offers"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}

	rep, err := MoveData(ctx, source, target)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, tc := range rep.Tables {
		counts[tc.Table] = tc.Target
		if tc.Source != tc.Target {
			t.Errorf("table %s: %d rows, copied %d", tc.Table, tc.Source, tc.Target)
		}
	}
	for table, want := range map[string]int64{"applications": 32, "consents": 128, "products": 20, "api_keys": 1,
		"api_usage": 1, "officers": 1, "officer_sessions": 1, "webhook_receipts": 10, "rate_limits": 1,
		"partners": 2, "partner_sessions": 1, "idempotency_keys": 1,
		// 30 submissions (creditApplication.pending), 10 offers found (.approved and
		// application.CREDIT_APPROVED), and the journey snapshot below.
		"partner_events": 30 + 10*2 + 1} {
		if counts[table] != want {
			t.Errorf("table %s: %d rows copied, want %d", table, counts[table], want)
		}
	}
	if rep.SSNsVerified != 32 || rep.SampledRows == 0 {
		t.Errorf("checked %d SSNs and %d rows", rep.SSNsVerified, rep.SampledRows)
	}

	// The target is a working portal database with the same data.
	for _, app := range apps[:3] {
		want, _ := source.Application(ctx, app.ID)
		got, err := target.Application(ctx, app.ID)
		if err != nil || got.Lead.Status != want.Lead.Status || got.Lead.UUID != want.Lead.UUID || got.SSNLast4 != want.SSNLast4 {
			t.Errorf("application %s on PostgreSQL: %+v, %v", app.ID, got.Lead, err)
		}
	}
	if got, err := target.Application(ctx, held.ID); err != nil || got.Review.Status != lending.ReviewManualReview {
		t.Errorf("held application: %v %v", got.Review.Status, err)
	}
	if got, err := target.OfficerSession(ctx, token); err != nil || got.ID != o.ID {
		t.Errorf("officer session: %v", err)
	}
	if got, err := target.APIKeyBySecret(ctx, secret); err != nil || got.ID != key.ID {
		t.Errorf("API key: %v", err)
	}
	if u, err := target.APIKeyUsage(ctx, key.ID); err != nil || u.Calls != 2 {
		t.Errorf("usage: %+v %v", u, err)
	}
	if got, err := target.PartnerSession(ctx, devToken); err != nil || got.ID != dev.ID {
		t.Errorf("partner session: %+v %v", got, err)
	}
	if replay, err := target.BeginIdempotent(ctx, idem); err != nil || replay == nil || replay.Status != 201 || !bytes.Equal(replay.Body, body) {
		t.Errorf("idempotent replay on PostgreSQL: %+v %v", replay, err)
	}
	if evs, err := target.PartnerEvents(ctx, apps[0].ID); err != nil || len(evs) != 4 || evs[3].Type != "journey.snapshot" || evs[3].Sequence != 4 {
		t.Errorf("partner events on PostgreSQL: %+v %v", evs, err)
	}
	before, _ := target.Events(ctx, apps[0].ID)
	if err := target.AddEvent(ctx, apps[0].ID, lending.Event{Kind: lending.EventPolled, Source: lending.SourcePoller}); err != nil {
		t.Fatalf("a new event after the copy: %v", err)
	}
	after, _ := target.Events(ctx, apps[0].ID)
	if len(after) != len(before)+1 || after[len(after)-1].ID <= before[len(before)-1].ID {
		t.Errorf("the new event's id does not follow the copied ones")
	}
	if _, _, err := target.CreateApplication(ctx, newApp("sess-new", NewID(), testApplicant("new@example.com", "777777777"))); err != nil {
		t.Errorf("a new application after the copy: %v", err)
	}

	if _, err := MoveData(ctx, source, target); !errors.Is(err, ErrTargetNotEmpty) {
		t.Errorf("a second copy into the same database: %v, want ErrTargetNotEmpty", err)
	}
}
