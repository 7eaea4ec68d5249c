package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"prequal/lending"
)

func TestOfficerSessionLifecycle(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	newFakeClock(s)
	o := mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")

	token, err := s.StartOfficerSession(ctx, o.ID, "", "192.0.2.1", "ua")
	if err != nil || len(token) < 43 {
		t.Fatalf("start: %q %v", token, err)
	}
	var stored string
	if err := s.r.QueryRow(`SELECT token_hash FROM officer_sessions`).Scan(&stored); err != nil || stored == token {
		t.Fatalf("the raw token is stored (%v)", err)
	}
	got, err := s.OfficerSession(ctx, token)
	if err != nil || got.ID != o.ID || got.Role != lending.RoleOfficer {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	if _, err := s.OfficerSession(ctx, token+"x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := s.OfficerSession(ctx, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty token: %v", err)
	}

	// Rotation: a new sign-in carrying the old token deletes it.
	rotated, err := s.StartOfficerSession(ctx, o.ID, token, "192.0.2.1", "ua")
	if err != nil || rotated == token {
		t.Fatalf("rotate: %v", err)
	}
	if _, err := s.OfficerSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("old token after rotation: %v", err)
	}

	// Sign-out deletes the session.
	if err := s.EndOfficerSession(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OfficerSession(ctx, rotated); !errors.Is(err, ErrNotFound) {
		t.Errorf("after sign-out: %v", err)
	}
	if err := s.EndOfficerSession(ctx, rotated); err != nil {
		t.Errorf("ending twice: %v", err)
	}
}

func TestOfficerSessionIdleExpiry(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	o := mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")
	token, _ := s.StartOfficerSession(ctx, o.ID, "", "", "")

	// Activity keeps it alive past 30 minutes of total time …
	for range 4 {
		clock.Advance(20 * time.Minute)
		if _, err := s.OfficerSession(ctx, token); err != nil {
			t.Fatalf("active session after %v: %v", clock.t, err)
		}
	}
	// … 30 idle minutes end it, and the row is gone.
	clock.Advance(lending.OfficerSessionIdle)
	if _, err := s.OfficerSession(ctx, token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("idle session: %v, want ErrSessionExpired", err)
	}
	if _, err := s.OfficerSession(ctx, token); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired session again: %v, want ErrNotFound", err)
	}
}

func TestOfficerSessionAbsoluteExpiry(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	o := mustOfficer(t, s, "ada@bank.example", lending.RoleOfficer, "right password!")
	token, _ := s.StartOfficerSession(ctx, o.ID, "", "", "")
	for elapsed := time.Duration(0); elapsed < lending.OfficerSessionAbsolute-20*time.Minute; elapsed += 20 * time.Minute {
		clock.Advance(20 * time.Minute)
		if _, err := s.OfficerSession(ctx, token); err != nil {
			t.Fatalf("after %v: %v", elapsed+20*time.Minute, err)
		}
	}
	clock.Advance(20 * time.Minute) // exactly 8 h after sign-in, though never idle
	if _, err := s.OfficerSession(ctx, token); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("8 h old session: %v, want ErrSessionExpired", err)
	}
}
