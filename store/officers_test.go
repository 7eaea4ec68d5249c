package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

// fakeClock is a settable clock for the store.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock(s *Store) *fakeClock {
	c := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s.SetClock(c.Now)
	return c
}
func mustOfficer(t testing.TB, s *Store, email string, role lending.OfficerRole, pw string) lending.Officer {
	t.Helper()
	o, err := s.CreateOfficer(context.Background(), NewOfficer{Email: email, Role: role, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCreateOfficer(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	o := mustOfficer(t, s, "  Ada@Bank.Example ", lending.RoleAdmin, "twelve chars")
	if o.Email != "ada@bank.example" || o.Role != lending.RoleAdmin || len(o.ID) != 26 {
		t.Errorf("officer %+v", o)
	}
	var hash string
	if err := s.r.QueryRow(`SELECT password_hash FROM officers WHERE id = ?`, o.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "twelve chars") {
		t.Errorf("stored hash %q", hash)
	}
	if _, err := s.CreateOfficer(ctx, NewOfficer{Email: "ADA@bank.example", Role: lending.RoleOfficer, Password: "another password"}); !errors.Is(err, ErrOfficerExists) {
		t.Errorf("duplicate email: %v", err)
	}
	for name, in := range map[string]NewOfficer{
		"short password": {Email: "b@bank.example", Role: lending.RoleOfficer, Password: "elevenchars"},
		"long password":  {Email: "b@bank.example", Role: lending.RoleOfficer, Password: strings.Repeat("x", 129)},
		"bad role":       {Email: "b@bank.example", Role: "root", Password: "twelve chars"},
		"bad email":      {Email: "not an email", Role: lending.RoleOfficer, Password: "twelve chars"},
	} {
		if _, err := s.CreateOfficer(ctx, in); !errors.Is(err, ErrInvalidOfficer) {
			t.Errorf("%s: %v, want ErrInvalidOfficer", name, err)
		}
	}
	if _, err := s.CreateOfficer(ctx, NewOfficer{Email: "c@bank.example", Role: lending.RoleOfficer, Password: strings.Repeat("é", 128), By: o}); err != nil {
		t.Errorf("128-character password refused: %v", err)
	}
	list, err := s.Officers(ctx)
	if err != nil || len(list) != 2 || list[0].Email != "ada@bank.example" || list[1].Email != "c@bank.example" {
		t.Fatalf("officers %v %+v", err, list)
	}
	audit, _ := s.AuditLog(ctx, AuditFilter{Action: AuditOfficerCreated})
	if len(audit) != 2 || audit[0].OfficerEmail != "ada@bank.example" || audit[1].OfficerEmail != "command line" {
		t.Errorf("audit %+v", audit)
	}
}

func TestEnsureOfficer(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	created, err := s.EnsureOfficer(ctx, "officer@stage.test", lending.RoleAdmin, "first stage password")
	if err != nil || !created {
		t.Fatalf("first ensure: %v %v", created, err)
	}
	created, err = s.EnsureOfficer(ctx, "officer@stage.test", lending.RoleAdmin, "first stage password")
	if err != nil || created {
		t.Fatalf("second ensure: %v %v", created, err)
	}
	o, _, _ := s.officerByEmail(ctx, "officer@stage.test")
	token, err := s.StartOfficerSession(ctx, o.ID, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnsureOfficer(ctx, "officer@stage.test", lending.RoleAdmin, "second stage password"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "officer@stage.test", Password: "second stage password"}); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	if _, err := s.OfficerSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("session from before the reset: %v, want ErrNotFound", err)
	}
}

func TestSignIn(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	newFakeClock(s)
	o := mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")

	got, err := s.SignIn(ctx, SignInAttempt{Email: "ADA@bank.example", Password: "right password!", IP: "192.0.2.1", UserAgent: "ua"})
	if err != nil || got.ID != o.ID || got.LastSignInAt.IsZero() {
		t.Fatalf("sign in: %+v %v", got, err)
	}
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: "wrong password!", IP: "192.0.2.1"}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "nobody@bank.example", Password: "right password!", IP: "192.0.2.1"}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("unknown email: %v", err)
	}
	log, _ := s.AuditLog(ctx, AuditFilter{Action: AuditSignIn})
	if len(log) != 3 || log[2].Outcome != OutcomeOK || log[2].OfficerID != o.ID || log[1].Outcome != OutcomeFailed ||
		log[0].OfficerEmail != "nobody@bank.example" || log[0].Outcome != OutcomeFailed || log[2].IP != "192.0.2.1" {
		t.Errorf("sign-in audit %+v", log)
	}
	for _, e := range log {
		if strings.Contains(e.Detail+e.Note, "password!") {
			t.Errorf("audit entry holds the password: %+v", e)
		}
	}
}

func TestSignInThrottlesPerAccountAndClient(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")
	attempt := func(pw, ip string) error {
		_, err := s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: pw, IP: ip})
		return err
	}
	// Five failures from five addresses: each is only a wrong password, and
	// none of them throttles the account for anyone else.
	for i := range lending.SignInFreeFailures {
		if err := attempt("wrong password", "198.51.100."+string(rune('1'+i))); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Five from one address: that client now waits, even with the right password.
	for i := range lending.SignInFreeFailures {
		if err := attempt("wrong password", "203.0.113.9"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d from one client: %v", i+1, err)
		}
	}
	err := attempt("right password!", "203.0.113.9")
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) || te.RetryAfter != lending.SignInBaseDelay {
		t.Fatalf("sixth attempt: %v, want throttled for %v", err, lending.SignInBaseDelay)
	}
	// Refused attempts do not lengthen the wait.
	clock.Advance(10 * time.Second)
	if err := attempt("wrong password", "203.0.113.9"); !errors.As(err, &te) || te.RetryAfter != 20*time.Second {
		t.Fatalf("while throttled: %v", err)
	}
	// After the wait one more failure doubles it …
	clock.Advance(21 * time.Second)
	if err := attempt("wrong password", "203.0.113.9"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after the wait: %v", err)
	}
	if err := attempt("right password!", "203.0.113.9"); !errors.As(err, &te) || te.RetryAfter != 2*lending.SignInBaseDelay {
		t.Fatalf("second block: %v, want %v", err, 2*lending.SignInBaseDelay)
	}
	// … while the same account from another client is not held up at all …
	if err := attempt("right password!", "203.0.113.10"); err != nil {
		t.Fatalf("another client meanwhile: %v", err)
	}
	// … and the failing client gets in once it has passed: no permanent lock.
	clock.Advance(2 * lending.SignInBaseDelay)
	if err := attempt("right password!", "203.0.113.9"); err != nil {
		t.Fatalf("right password after the wait: %v", err)
	}
	// Success clears the account's counter.
	if err := attempt("wrong password", "203.0.113.9"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after success: %v", err)
	}
	throttled, _ := s.AuditLog(ctx, AuditFilter{Action: AuditSignIn})
	n := 0
	for _, e := range throttled {
		if e.Outcome == OutcomeThrottled {
			n += e.Attempts
		}
	}
	if n != 3 {
		t.Errorf("%d throttled attempts logged, want 3", n)
	}
}

func TestSignInThrottlesPerIP(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")
	// One address trying many accounts.
	for i := range lending.SignInFreeFailures {
		email := string(rune('a'+i)) + "@bank.example"
		if _, err := s.SignIn(ctx, SignInAttempt{Email: email, Password: "guess guess guess", IP: "192.0.2.66"}); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: "right password!", IP: "192.0.2.66"}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("from the guessing address: %v, want throttled", err)
	}
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: "right password!", IP: "192.0.2.1"}); err != nil {
		t.Fatalf("the officer from another address: %v", err)
	}
	// Failures older than the window are forgotten.
	clock.Advance(lending.SignInFailureWindow + time.Minute)
	if _, err := s.SignIn(ctx, SignInAttempt{Email: "z@bank.example", Password: "guess guess guess", IP: "192.0.2.66"}); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("after the window: %v", err)
	}
	var failures int
	if err := s.r.QueryRow(`SELECT failures FROM signin_throttle WHERE throttle_key = 'client:192.0.2.66'`).Scan(&failures); err != nil || failures != 1 {
		t.Errorf("ip failures after the window = %d (%v), want 1", failures, err)
	}
}
