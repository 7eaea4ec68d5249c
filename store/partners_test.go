package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"prequal/lending"
	"prequal/migrations"
)

func TestRegisterPartnerAndSignIn(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	p, err := s.RegisterPartner(ctx, NewPartner{Name: " Acme Lending ", Email: "Dev@Acme.Example", Password: "a long passphrase", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != lending.PartnerPending || p.Email != "dev@acme.example" || p.Name != "Acme Lending" || !p.ApprovedAt.IsZero() {
		t.Errorf("registered %+v: want pending, normalized", p)
	}
	if _, err := s.RegisterPartner(ctx, NewPartner{Name: "Again", Email: "dev@acme.example", Password: "a long passphrase"}); !errors.Is(err, ErrPartnerExists) {
		t.Errorf("same email again: %v", err)
	}
	for _, bad := range []NewPartner{
		{Name: "", Email: "a@b.example", Password: "a long passphrase"},
		{Name: "X", Email: "nope", Password: "a long passphrase"},
		{Name: "X", Email: "a@b.example", Password: "short"},
	} {
		if _, err := s.RegisterPartner(ctx, bad); !errors.Is(err, ErrInvalidPartner) {
			t.Errorf("RegisterPartner(%+v) = %v, want ErrInvalidPartner", bad, err)
		}
	}
	var hash string
	if err := s.r.QueryRow(`SELECT password_hash FROM partners WHERE id = ?`, p.ID).Scan(&hash); err != nil || !strings.HasPrefix(hash, "$argon2id$") {
		t.Errorf("stored hash %q (%v): want argon2id", hash, err)
	}

	got, err := s.PartnerSignIn(ctx, SignInAttempt{Email: "DEV@acme.example", Password: "a long passphrase", IP: "192.0.2.1"})
	if err != nil || got.ID != p.ID || got.LastSignInAt.IsZero() {
		t.Fatalf("sign in: %+v %v", got, err)
	}
	if _, err := s.PartnerSignIn(ctx, SignInAttempt{Email: "dev@acme.example", Password: "wrong", IP: "192.0.2.1"}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.PartnerSignIn(ctx, SignInAttempt{Email: "nobody@acme.example", Password: "a long passphrase"}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown email: %v", err)
	}
	for range lending.SignInFreeFailures {
		_, _ = s.PartnerSignIn(ctx, SignInAttempt{Email: "dev@acme.example", Password: "wrong", IP: "198.51.100.7"})
	}
	if _, err := s.PartnerSignIn(ctx, SignInAttempt{Email: "dev@acme.example", Password: "a long passphrase", IP: "198.51.100.7"}); !errors.Is(err, ErrThrottled) {
		t.Errorf("after %d failures: %v, want throttled", lending.SignInFreeFailures, err)
	}
	// An officer of the same email is not locked out by the partner's failures.
	if _, err := s.CreateOfficer(ctx, NewOfficer{Email: "dev@acme.example", Role: lending.RoleOfficer, Password: "officer passphrase"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "dev@acme.example", Password: "officer passphrase", IP: "203.0.113.9"}); err != nil {
		t.Errorf("officer sign-in: %v", err)
	}
}

func TestRegistrationIsThrottledPerIP(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	var err error
	for i := range lending.SignInFreeFailures + 1 {
		_, err = s.RegisterPartner(ctx, NewPartner{Name: "P", Email: strings.Repeat("x", i+1) + "@example.com", Password: "a long passphrase", IP: "192.0.2.50"})
	}
	if !errors.Is(err, ErrThrottled) {
		t.Errorf("registration %d from one IP: %v, want throttled", lending.SignInFreeFailures+1, err)
	}
	if _, err := s.RegisterPartner(ctx, NewPartner{Name: "P", Email: "other@example.com", Password: "a long passphrase", IP: "192.0.2.51"}); err != nil {
		t.Errorf("another IP: %v", err)
	}
}

func TestPartnerSessions(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	p, err := s.RegisterPartner(ctx, NewPartner{Name: "Acme", Email: "dev@acme.example", Password: "a long passphrase", Active: true})
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.StartPartnerSession(ctx, p.ID, "", "192.0.2.1", "ua")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.PartnerSession(ctx, token); err != nil || got.ID != p.ID || got.Status != lending.PartnerActive {
		t.Fatalf("session: %+v %v", got, err)
	}
	rotated, err := s.StartPartnerSession(ctx, p.ID, token, "192.0.2.1", "ua")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PartnerSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("the replaced token: %v, want ErrNotFound", err)
	}
	now = now.Add(lending.OfficerSessionIdle)
	if _, err := s.PartnerSession(ctx, rotated); !errors.Is(err, ErrSessionExpired) {
		t.Errorf("idle for %v: %v, want expired", lending.OfficerSessionIdle, err)
	}
}

// Suspension stops every key of the partner at once, through the cached
// finder too; reinstatement brings them back; admins' transitions follow
// lending.NextPartnerStatus.
func TestPartnerStatusGovernsKeys(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	f := NewAPIKeyFinder(s)
	_, secret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	who := AuditEntry{OfficerID: "adm", OfficerEmail: "admin@example.com"}
	if _, err := s.ChangePartnerStatus(ctx, "acme", lending.PartnerSuspend, who); err != nil {
		t.Fatal(err)
	}
	if _, err := f.APIKeyBySecret(ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("a suspended partner's key: %v, want ErrNotFound", err)
	}
	if _, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{}); !errors.Is(err, ErrPartnerNotActive) {
		t.Errorf("a key for a suspended partner: %v", err)
	}
	if _, err := s.ChangePartnerStatus(ctx, "acme", lending.PartnerApprove, who); !errors.Is(err, ErrInvalidPartner) {
		t.Errorf("approving a suspended partner: %v", err)
	}
	if _, err := s.ChangePartnerStatus(ctx, "acme", lending.PartnerReinstate, who); err != nil {
		t.Fatal(err)
	}
	if _, err := f.APIKeyBySecret(ctx, secret); err != nil {
		t.Errorf("reinstated: %v", err)
	}
	entries, err := s.AuditLog(ctx, AuditFilter{Action: "partner_suspend"})
	if err != nil || len(entries) != 1 || entries[0].OfficerID != "adm" {
		t.Errorf("audit %+v (%v)", entries, err)
	}
	if _, err := s.ChangePartnerStatus(ctx, "nobody", lending.PartnerSuspend, who); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown partner: %v", err)
	}
}

// Keys carry their scopes and say where they work.
func TestAPIKeyScopesAndMarkers(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	scopes := lending.Scopes{lending.ScopeJourneys, lending.ScopeOperator}
	k, secret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "sponsor", Name: "bank ops", Scopes: scopes, Live: true}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sk_live_") || !strings.HasPrefix(k.Prefix, "sk_live_") {
		t.Errorf("live key %.10q…, prefix %q", secret, k.Prefix)
	}
	got, err := s.APIKeyBySecret(ctx, secret)
	if err != nil || got.Scopes.String() != "journeys operator" || got.Name != "bank ops" || got.PartnerName != "sponsor" {
		t.Errorf("found %+v (%v)", got, err)
	}
	if _, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "sponsor", Name: strings.Repeat("n", MaxAPIKeyNameLength+1)}, AuditEntry{}); !errors.Is(err, ErrInvalidAPIKey) {
		t.Errorf("a long name: %v", err)
	}
}

// A database from before partners: its tenants become active partners, its
// pqk_ keys keep working as decision keys, and its applications came from the
// web with no partner.
func TestMigrationMakesPartnersOfExistingTenants(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(context.Background(), path, testDataKey())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	prov, err := goose.NewProvider(goose.DialectSQLite3, s.w, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prov.UpTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	const legacy = "pqk_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	sum := sha256.Sum256([]byte(legacy))
	if _, err := s.w.Exec(`INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at_ms) VALUES ('k1', 'acme-bank', ?, 'pqk_AAAAAA', 1700000000000)`,
		hex.EncodeToString(sum[:])); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	k, err := NewAPIKeyFinder(s).APIKeyBySecret(ctx, legacy)
	if err != nil {
		t.Fatal(err)
	}
	if k.TenantID != "acme-bank" || k.Scopes.String() != "decision" || k.PartnerName != "acme-bank" {
		t.Errorf("legacy key %+v", k)
	}
	p, err := s.Partner(ctx, "acme-bank")
	if err != nil || p.Status != lending.PartnerActive || p.HasAccount() {
		t.Errorf("partner %+v (%v)", p, err)
	}
}

// What a principal may see: its own applications; an operator every one; the
// zero Visibility none. A browser-made application is an operator's only.
func TestVisibility(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	mk := func(email, partner string, ch lending.Channel) lending.Application {
		now = now.Add(time.Second) // newest first is a strict order
		a, _, err := s.CreateApplication(ctx, NewApplication{SessionID: "s", IdempotencyKey: NewID(), Applicant: testApplicant(email, "123-45-6789"),
			LeadTimeout: time.Minute, PartnerID: partner, Channel: ch})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	web := mk("web@example.com", "", "")
	acme := mk("acme@example.com", "acme", lending.ChannelCreditApplication)
	globex := mk("globex@example.com", "globex", lending.ChannelLineOfCredit)
	if web.Channel != lending.ChannelWeb || web.PartnerID != "" || acme.PartnerID != "acme" || acme.Channel != lending.ChannelCreditApplication {
		t.Fatalf("stored owners: %+v / %+v", web, acme)
	}
	for _, tt := range []struct {
		name string
		v    Visibility
		want []string
	}{
		{"a partner", VisibleTo("acme", false), []string{acme.ID}},
		{"another partner", VisibleTo("globex", false), []string{globex.ID}},
		{"an operator", VisibleTo("acme", true), []string{globex.ID, acme.ID, web.ID}},
		{"nobody", Visibility{}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, total, err := s.VisibleApplications(ctx, tt.v, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range list {
				ids = append(ids, a.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") || total != len(tt.want) {
				t.Errorf("sees %v (total %d), want %v", ids, total, tt.want)
			}
			for _, a := range []lending.Application{web, acme, globex} {
				_, err := s.VisibleApplication(ctx, tt.v, a.ID)
				visible := strings.Contains(strings.Join(tt.want, ","), a.ID)
				if visible != (err == nil) || (!visible && !errors.Is(err, ErrNotFound)) {
					t.Errorf("VisibleApplication(%s) = %v, visible %v", a.Email, err, visible)
				}
			}
		})
	}
}

// The outbox: events written in the caller's transaction are kept or lost
// with it, numbered per application, owned by the application's partner.
func TestPartnerEventOutbox(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	app, _, err := s.CreateApplication(ctx, NewApplication{SessionID: "s", IdempotencyKey: NewID(), Applicant: testApplicant("a@example.com", "123-45-6789"),
		LeadTimeout: time.Minute, PartnerID: "acme", Channel: lending.ChannelHeadlessJourney})
	if err != nil {
		t.Fatal(err)
	}
	emit := func(typ string, fail bool) error {
		return s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := s.addPartnerEvent(ctx, tx, NewPartnerEvent{ApplicationID: app.ID, Type: typ, PayloadVersion: 1,
				Payload: map[string]string{"status": typ}}); err != nil {
				return err
			}
			if fail {
				return errors.New("the change failed")
			}
			return nil
		})
	}
	if err := emit("journey.snapshot", false); err != nil {
		t.Fatal(err)
	}
	if err := emit("lost.with.its.change", true); err == nil {
		t.Fatal("the failing transaction succeeded")
	}
	if err := emit("creditApplication.pending", false); err != nil {
		t.Fatal(err)
	}
	events, err := s.PartnerEvents(ctx, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(events), events)
	}
	for i, e := range events {
		if e.Sequence != int64(i+1) || e.PartnerID != "acme" || !strings.HasPrefix(e.ID, "evt_") || e.PayloadVersion != 1 || e.OccurredAt.IsZero() {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if events[1].Type != "creditApplication.pending" || string(events[1].Payload) != `{"status":"creditApplication.pending"}` {
		t.Errorf("second event %+v", events[1])
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.addPartnerEvent(ctx, tx, NewPartnerEvent{ApplicationID: "nope", Type: "x", PayloadVersion: 1})
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("an event for no such application: %v", err)
	}
}

func TestIdempotencyRecords(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	r := IdempotentRequest{Scope: "partner:acme", Key: "k1", Method: "POST", Path: "/api/x", RequestHash: "h1"}
	if replay, err := s.BeginIdempotent(ctx, r); err != nil || replay != nil {
		t.Fatalf("first: %v %v", replay, err)
	}
	if _, err := s.BeginIdempotent(ctx, r); !errors.Is(err, ErrIdempotencyInProgress) {
		t.Errorf("while running: %v", err)
	}
	other := r
	other.RequestHash = "h2"
	if _, err := s.BeginIdempotent(ctx, other); !errors.Is(err, ErrIdempotencyKeyMismatch) {
		t.Errorf("another body: %v", err)
	}
	now = now.Add(idempotencyLease + time.Second) // the first process died
	if replay, err := s.BeginIdempotent(ctx, r); err != nil || replay != nil {
		t.Fatalf("after the lease: %v %v, want to run again", replay, err)
	}
	if err := s.FinishIdempotent(ctx, r, StoredResponse{Status: 201, Header: map[string][]string{"Location": {"/x/1"}}, Body: []byte(`{"id":1}`)}); err != nil {
		t.Fatal(err)
	}
	replay, err := s.BeginIdempotent(ctx, r)
	if err != nil || replay == nil || replay.Status != 201 || string(replay.Body) != `{"id":1}` || replay.Header.Get("Location") != "/x/1" {
		t.Fatalf("replay %+v %v", replay, err)
	}
	abandoned := IdempotentRequest{Scope: "partner:acme", Key: "k2", Method: "POST", Path: "/api/x", RequestHash: "h"}
	if _, err := s.BeginIdempotent(ctx, abandoned); err != nil {
		t.Fatal(err)
	}
	if err := s.AbandonIdempotent(ctx, abandoned); err != nil {
		t.Fatal(err)
	}
	if replay, err := s.BeginIdempotent(ctx, abandoned); err != nil || replay != nil {
		t.Errorf("after abandoning: %v %v, want to run again", replay, err)
	}
}
