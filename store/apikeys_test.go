package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

func TestCreateAPIKeyAndLookUp(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	k, secret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme-bank"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, apiKeyMarkerTest) || len(secret) != len(apiKeyMarkerTest)+43 {
		t.Errorf("secret %q: want %s and 43 base64url characters", secret[:8], apiKeyMarkerTest)
	}
	if !strings.HasPrefix(secret, k.Prefix) || len(k.Prefix) != len(apiKeyMarkerTest)+apiKeyPrefixChars {
		t.Errorf("prefix %q is not the secret's first %d characters", k.Prefix, len(apiKeyMarkerTest)+apiKeyPrefixChars)
	}
	if !k.Scopes.Has(lending.ScopeDecision) || len(k.Scopes) != 1 || k.PartnerName != "acme-bank" {
		t.Errorf("key %+v: want scope decision and a partner named as its id", k)
	}
	got, err := s.APIKeyBySecret(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != k.ID || got.TenantID != "acme-bank" || !got.CreatedAt.Equal(k.CreatedAt) || !got.Active() {
		t.Errorf("APIKeyBySecret = %+v, want %+v", got, k)
	}
	for _, wrong := range []string{"", "demo-key-123", secret + "x", secret[:len(secret)-1], k.Prefix, hashAPIKey(secret)} {
		if _, err := s.APIKeyBySecret(ctx, wrong); !errors.Is(err, ErrNotFound) {
			t.Errorf("APIKeyBySecret(%.12q…) error = %v, want ErrNotFound", wrong, err)
		}
	}
	// Only the hash is stored: the secret appears nowhere in the database.
	all := storedBytes(t, s, path)
	if !bytes.Contains(all, []byte(hashAPIKey(secret))) {
		t.Fatal("the key's hash is not in the database's bytes: this check reads the wrong place")
	}
	if bytes.Contains(all, []byte(secret[len(k.Prefix):])) {
		t.Error("the database contains the API key secret")
	}
}

func TestCreateAPIKeyRejectsBadTenant(t *testing.T) {
	s, _ := openTestStore(t)
	for _, tenant := range []string{"", "has space", "semi;colon", strings.Repeat("a", 65), "ünï"} {
		if _, _, err := s.CreateAPIKey(context.Background(), NewAPIKey{PartnerID: tenant}, AuditEntry{}); !errors.Is(err, ErrInvalidTenant) {
			t.Errorf("CreateAPIKey(%q) error = %v, want ErrInvalidTenant", tenant, err)
		}
	}
}

func TestRotateAPIKeyInvalidatesOldSecretAtOnce(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	k, oldSecret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	// A finder that has answered for the old secret must not remember it.
	finder := NewAPIKeyFinder(s)
	if got, err := finder.APIKeyBySecret(ctx, oldSecret); err != nil || got.ID != k.ID {
		t.Fatalf("finder before rotation: %+v, %v", got, err)
	}
	now = now.Add(time.Hour)
	rotated, newSecret, err := s.RotateAPIKey(ctx, k.ID, false, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if newSecret == oldSecret || rotated.ID != k.ID || rotated.Prefix == k.Prefix || !rotated.RotatedAt.Equal(now) {
		t.Errorf("rotated = %+v (secret changed: %v), want same id, new prefix, rotated at %v", rotated, newSecret != oldSecret, now)
	}
	if _, err := finder.APIKeyBySecret(ctx, oldSecret); !errors.Is(err, ErrNotFound) {
		t.Errorf("finder, old secret after rotation: error = %v, want ErrNotFound", err)
	}
	if _, err := s.APIKeyBySecret(ctx, oldSecret); !errors.Is(err, ErrNotFound) {
		t.Errorf("old secret after rotation: error = %v, want ErrNotFound", err)
	}
	if got, err := finder.APIKeyBySecret(ctx, newSecret); err != nil || got.ID != k.ID {
		t.Errorf("finder, new secret: %+v, %v; want key %s", got, err, k.ID)
	}
	got, err := s.APIKeyBySecret(ctx, newSecret)
	if err != nil || got.ID != k.ID || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Errorf("new secret: %+v, %v; want key %s created %v", got, err, k.ID, k.CreatedAt)
	}
	if _, _, err := s.RotateAPIKey(ctx, "nope", false, AuditEntry{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("RotateAPIKey(unknown) error = %v, want ErrNotFound", err)
	}
}

func TestRevokeAPIKey(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	k, secret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID, AuditEntry{}); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	if _, err := s.APIKeyBySecret(ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked secret: error = %v, want ErrNotFound", err)
	}
	if _, _, err := s.RotateAPIKey(ctx, k.ID, false, AuditEntry{}); !errors.Is(err, ErrAPIKeyRevoked) {
		t.Errorf("rotating a revoked key: error = %v, want ErrAPIKeyRevoked", err)
	}
	got, err := s.APIKey(ctx, k.ID)
	if err != nil || got.Active() {
		t.Errorf("APIKey = %+v, %v; want revoked", got, err)
	}
	if err := s.RevokeAPIKey(ctx, "nope", AuditEntry{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeAPIKey(unknown) error = %v, want ErrNotFound", err)
	}
}

func TestAPIKeysListsByTenant(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for _, tenant := range []string{"zeta", "alpha", "alpha"} {
		if _, _, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: tenant}, AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := s.APIKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tenants []string
	for _, k := range keys {
		tenants = append(tenants, k.TenantID)
	}
	if got := strings.Join(tenants, ","); got != "alpha,alpha,zeta" {
		t.Errorf("tenants = %s, want alpha,alpha,zeta", got)
	}
}

func TestAPIKeyChangesAreAuditedWithoutSecrets(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	who := AuditEntry{OfficerID: "off1", OfficerEmail: "admin@example.com", IP: "192.0.2.1", UserAgent: "test"}
	k, secret1, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, who)
	if err != nil {
		t.Fatal(err)
	}
	_, secret2, err := s.RotateAPIKey(ctx, k.ID, false, who)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID, who); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID, who); err != nil { // no change, no entry
		t.Fatal(err)
	}
	for _, action := range []string{AuditAPIKeyCreated, AuditAPIKeyRotated, AuditAPIKeyRevoked} {
		entries, err := s.AuditLog(ctx, AuditFilter{Action: action})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			t.Fatalf("%s: %d audit entries, want 1", action, len(entries))
		}
		e := entries[0]
		if e.OfficerID != "off1" || e.IP != "192.0.2.1" || !strings.Contains(e.Detail, k.ID) || !strings.Contains(e.Detail, "acme") {
			t.Errorf("%s entry = %+v", action, e)
		}
		for _, secret := range []string{secret1, secret2} {
			if strings.Contains(e.Detail+e.Note, secret[len(k.Prefix):]) {
				t.Errorf("%s entry holds a secret", action)
			}
		}
	}
}

// The finder remembers found keys, but a revocation through the Store is
// refused on the very next lookup, and a secret it has never seen is always
// looked up.
func TestAPIKeyFinderForgetsOnRevocation(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	finder := NewAPIKeyFinder(s)
	if _, err := finder.APIKeyBySecret(ctx, "pqk_not-yet"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown secret: %v", err)
	}
	k, secret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if got, err := finder.APIKeyBySecret(ctx, secret); err != nil || got.ID != k.ID {
			t.Fatalf("finder: %+v, %v; want key %s", got, err, k.ID)
		}
	}
	if err := s.RevokeAPIKey(ctx, k.ID, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if _, err := finder.APIKeyBySecret(ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked key through the finder: error = %v, want ErrNotFound", err)
	}
}

// Another process on the same database (here: another Store) is seen at once
// when it creates a key. When it revokes one: on SQLite (another process on
// the same file) within apiKeyCacheTTL; on PostgreSQL (another instance) as
// soon as its announcement arrives, whatever the TTL — the test's clock stands
// still — and within a second of real time.
func TestAPIKeyFinderSeesAnotherProcessWithinTTL(t *testing.T) {
	s, path := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	other := openAgain(t, path)

	finder := NewAPIKeyFinder(s)
	k, secret, err := other.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	waitListening(t, s)
	if got, err := finder.APIKeyBySecret(ctx, secret); err != nil || got.ID != k.ID {
		t.Fatalf("a key another process created: %+v, %v", got, err)
	}
	if err := other.RevokeAPIKey(ctx, k.ID, AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	if s.d.postgres {
		for {
			_, err := finder.APIKeyBySecret(ctx, secret)
			if errors.Is(err, ErrNotFound) {
				break
			}
			if time.Since(revoked) > time.Second {
				t.Fatalf("another instance's revocation not honoured within 1s: %v", err)
			}
			time.Sleep(time.Millisecond)
		}
		t.Logf("another instance's revocation honoured after %v", time.Since(revoked).Round(time.Millisecond))
		return
	}
	now = now.Add(apiKeyCacheTTL - time.Millisecond)
	if _, err := finder.APIKeyBySecret(ctx, secret); err != nil {
		t.Errorf("within the TTL the remembered key still answers; got %v", err)
	}
	now = now.Add(time.Millisecond)
	if _, err := finder.APIKeyBySecret(ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the TTL a key revoked elsewhere: error = %v, want ErrNotFound", err)
	}
}

// On PostgreSQL a change nobody announced (made by hand in the database) is
// seen within the TTL by an instance that hears announcements, and at once by
// one that does not (its LISTEN connection is down): it trusts no cached key.
// On SQLite the same change is seen within the TTL.
func TestAPIKeyFinderTrustsNothingWhileDeaf(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	waitListening(t, s)
	finder := NewAPIKeyFinder(s)
	k, secret, err := s.CreateAPIKey(ctx, NewAPIKey{PartnerID: "acme"}, AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := finder.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE api_keys SET revoked_at_ms = 1 WHERE id = ?`, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := finder.APIKeyBySecret(ctx, secret); err != nil {
		t.Fatalf("an unannounced change within the TTL: %v, want the remembered key", err)
	}
	if !s.d.postgres {
		now = now.Add(apiKeyCacheTTL)
	} else {
		s.pg.listening.Store(false) // what losing the LISTEN connection does
		defer s.pg.listening.Store(true)
	}
	if _, err := finder.APIKeyBySecret(ctx, secret); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoked key: %v, want ErrNotFound", err)
	}
}

// waitListening waits until a PostgreSQL store hears announcements.
func waitListening(t *testing.T, s *Store) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.d.postgres && !s.pg.listening.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the store's LISTEN connection did not come up within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
