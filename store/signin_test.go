package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"prequal/lending"
)

// An attacker who knows an officer's email cannot keep that officer out: the
// attacker's failures throttle the attacker's own address (for that account,
// and across accounts), never the officer signing in from elsewhere.
func TestSignInLockoutIsNotAWeapon(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")
	attempt := func(pw, ip string) error {
		_, err := s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: pw, IP: ip})
		return err
	}
	// The attacker fails five times, then guesses once more each time the
	// block ends: a few requests an hour used to keep the account blocked for
	// everyone.
	for i := range lending.SignInFreeFailures {
		if err := attempt("guess", "192.0.2.66"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	var te *ThrottledError
	for round := range 3 {
		if err := attempt("guess", "192.0.2.66"); !errors.As(err, &te) {
			t.Fatalf("round %d: the guessing address is not throttled: %v", round, err)
		}
		clock.Advance(te.RetryAfter)
		if err := attempt("guess", "192.0.2.66"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("round %d: a guess after the block: %v", round, err)
		}
		// The officer, from an address that has not been failing, gets in.
		if err := attempt("right password!", fmt.Sprintf("203.0.113.%d", 9+round)); err != nil {
			t.Fatalf("round %d: the officer from a clean address: %v", round, err)
		}
	}
	// The guessing address stays throttled even with the right password.
	if err := attempt("right password!", "192.0.2.66"); !errors.Is(err, ErrThrottled) {
		t.Errorf("the right password from the failing address: %v, want throttled", err)
	}

	// An IPv6 attacker owns a whole /64: rotating addresses inside it does not
	// give fresh guesses.
	for i := range lending.SignInFreeFailures {
		if err := attempt("guess", fmt.Sprintf("2001:db8:1:2::%x", i+1)); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("v6 guess %d: %v", i+1, err)
		}
	}
	if err := attempt("guess", "2001:db8:1:2:ffff::9"); !errors.Is(err, ErrThrottled) {
		t.Errorf("a new address in the same /64: %v, want throttled", err)
	}
	if err := attempt("right password!", "2001:db8:1:3::1"); err != nil {
		t.Errorf("the officer from another /64: %v", err)
	}
}

// Throttled attempts are audited, aggregated: one row per account and address
// while the refusals go on, with the number of attempts, not one row each.
func TestThrottledSignInsAreAuditedInAggregate(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	newFakeClock(s)
	mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")
	for range lending.SignInFreeFailures {
		_, _ = s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: "guess", IP: "192.0.2.66"})
	}
	const flood = 300
	for range flood {
		if _, err := s.SignIn(ctx, SignInAttempt{Email: "ada@bank.example", Password: "guess", IP: "192.0.2.66"}); !errors.Is(err, ErrThrottled) {
			t.Fatalf("flood: %v", err)
		}
	}
	log, err := s.AuditLog(ctx, AuditFilter{Action: AuditSignIn, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	rows, attempts := 0, 0
	for _, e := range log {
		if e.Outcome == OutcomeThrottled {
			rows++
			attempts += e.Attempts
		}
	}
	if rows != 1 || attempts != flood {
		t.Errorf("%d throttled audit rows counting %d attempts, want 1 row counting %d", rows, attempts, flood)
	}
}
