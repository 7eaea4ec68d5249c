package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"prequal/lending"
)

func newApp(session, key string, a lending.Applicant) NewApplication {
	return NewApplication{SessionID: session, IdempotencyKey: key, Applicant: a,
		ClientIP: "192.0.2.10", UserAgent: "test-agent", LeadTimeout: 2 * time.Minute}
}

func TestCreateApplicationStoresEverythingInOneGo(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app, created, err := s.CreateApplication(ctx, newApp("sess-1", NewID(), testApplicant("a@example.com", "123456789")))
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	if len(app.ID) != 26 || app.Lead.Status != lending.LeadCreated || app.Review.Status != lending.ReviewPending {
		t.Errorf("new application: id %q status %q review %q", app.ID, app.Lead.Status, app.Review.Status)
	}
	if app.SSNLast4 != "6789" || app.MaskedSSN() != "***-**-6789" {
		t.Errorf("ssn last4 %q", app.SSNLast4)
	}
	if got := app.Lead.Deadline.Sub(app.CreatedAt); got != 2*time.Minute {
		t.Errorf("deadline %v after creation, want 2m", got)
	}
	consents, err := s.Consents(ctx, app.ID)
	if err != nil || len(consents) != 4 {
		t.Fatalf("consents: %v %d", err, len(consents))
	}
	for _, c := range consents {
		wantGranted := c.Kind != lending.ConsentTcpa
		if c.Granted != wantGranted || c.TextVersion != lending.ConsentTextVersion || c.IP != "192.0.2.10" || c.UserAgent != "test-agent" {
			t.Errorf("consent %+v", c)
		}
	}
	events, err := s.Events(ctx, app.ID)
	if err != nil || len(events) != 1 || events[0].Kind != lending.EventApplicationReceived {
		t.Fatalf("events: %v %+v", err, events)
	}
	var jobs int
	if err := s.r.QueryRow(`SELECT count(*) FROM jobs WHERE application_id = ? AND kind = ? AND done_at_ms IS NULL`, app.ID, JobSubmit).Scan(&jobs); err != nil || jobs != 1 {
		t.Fatalf("pending submit jobs: %d (%v)", jobs, err)
	}
}

func TestCreateApplicationIsIdempotentPerKey(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	key := NewID()
	first, created, err := s.CreateApplication(ctx, newApp("sess-1", key, testApplicant("a@example.com", "123456789")))
	if err != nil || !created {
		t.Fatal(err, created)
	}
	again, created, err := s.CreateApplication(ctx, newApp("sess-1", key, testApplicant("a@example.com", "123456789")))
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("second create: id %s (first %s) created=%v err=%v", again.ID, first.ID, created, err)
	}
	if _, _, err := s.CreateApplication(ctx, newApp("sess-2", key, testApplicant("a@example.com", "123456789"))); !errors.Is(err, ErrIdempotencyKeyReused) {
		t.Fatalf("same key from another session: %v", err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM applications`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d applications stored", n)
	}
}

func TestApplicationIsBoundToItsSession(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app, _, err := s.CreateApplication(ctx, newApp("sess-1", NewID(), testApplicant("a@example.com", "123456789")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplicationForSession(ctx, app.ID, "sess-1"); err != nil {
		t.Fatalf("own session: %v", err)
	}
	if _, err := s.ApplicationForSession(ctx, app.ID, "sess-2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other session: %v, want ErrNotFound", err)
	}
	list, err := s.ApplicationsForSession(ctx, "sess-2", 10)
	if err != nil || len(list) != 0 {
		t.Fatalf("other session's list: %v %d", err, len(list))
	}
	list, err = s.ApplicationsForSession(ctx, "sess-1", 10)
	if err != nil || len(list) != 1 || list[0].ID != app.ID {
		t.Fatalf("own list: %v %+v", err, list)
	}
}

func TestSSNIsNeverStoredInClear(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	const ssn = "523456781"
	app, _, err := s.CreateApplication(ctx, newApp("sess-1", NewID(), testApplicant("a@example.com", ssn)))
	if err != nil {
		t.Fatal(err)
	}
	// Read the bytes of the database (SQLite: the file and its WAL while the
	// store is open, the fresh rows being in the WAL, then after a checkpoint).
	check := func(stage string) {
		b := storedBytes(t, s, path)
		if !bytes.Contains(b, []byte(app.ID)) {
			t.Fatalf("%s: the application is not in the database's bytes: this check reads the wrong place", stage)
		}
		for _, needle := range []string{ssn, "523-45-6781"} {
			if bytes.Contains(b, []byte(needle)) {
				t.Fatalf("%s: the database contains the SSN in clear", stage)
			}
		}
	}
	check("before checkpoint")
	if !s.d.postgres {
		if _, err := s.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		check("after checkpoint")
	}

	var sealed []byte
	if err := s.r.QueryRow(`SELECT ssn_sealed FROM applications WHERE id = ?`, app.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	plain, err := s.sealer.Open(sealed, []byte(app.ID))
	if err != nil || string(plain) != ssn {
		t.Fatalf("sealed SSN does not open back: %q %v", plain, err)
	}
	if _, err := s.sealer.Open(sealed, []byte("another-row")); err == nil {
		t.Fatal("a sealed SSN opened under another row's id")
	}
}
