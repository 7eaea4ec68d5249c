package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"prequal/lending"
)

// ErrInvalidTenant is returned for a tenant id that is empty or not made of
// letters, digits, '.', '_' and '-' (at most 64 characters).
var ErrInvalidTenant = errors.New("store: tenant id must be 1-64 letters, digits, '.', '_' or '-'")

// ErrAPIKeyRevoked is returned when rotating a key that was revoked.
var ErrAPIKeyRevoked = errors.New("store: API key is revoked")

// ErrInvalidAPIKey is returned for a key that cannot be made as asked.
var ErrInvalidAPIKey = errors.New("store: invalid API key")

var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Audit actions of API key changes, each recorded in the change's transaction.
const (
	AuditAPIKeyCreated = "api_key_created"
	AuditAPIKeyRotated = "api_key_rotated"
	AuditAPIKeyRevoked = "api_key_revoked"
)

// auditAPIKey records an API key change made by who (an officer, or the CLI with
// no officer), naming the key by id, tenant and prefix: never its secret.
func auditAPIKey(ctx context.Context, tx *sql.Tx, at time.Time, who AuditEntry, action string, k APIKey) error {
	who.Action = action
	who.Detail = fmt.Sprintf("key %s of tenant %s (%s…)", k.ID, k.TenantID, k.Prefix)
	return addAudit(ctx, tx, at, who)
}

const (
	// Markers start every API key secret, so a leaked key is recognisable
	// (secret scanners, log review) and says where it works: stage's test keys
	// never pass for production's live ones. Keys made before partners had
	// accounts start with legacyAPIKeyMarker and keep working.
	apiKeyMarkerTest   = "sk_test_"
	apiKeyMarkerLive   = "sk_live_"
	legacyAPIKeyMarker = "pqk_"
	// apiKeyRandomBytes is the secret's entropy: 256 bits.
	apiKeyRandomBytes = 32
	// apiKeyPrefixChars is how much of the secret past its marker is kept in
	// clear for display: 6 random characters (36 bits), enough to tell keys
	// apart, far too little to help guess the remaining 220 bits.
	apiKeyPrefixChars = 6
	// MaxAPIKeyNameLength bounds a key's label.
	MaxAPIKeyNameLength = 60
)

// APIKey is one of a partner's keys to the JSON APIs. The secret itself is
// never stored; Prefix is its first characters, for people to recognise it.
type APIKey struct {
	ID string
	// TenantID is the owning partner's id (partners.id); PartnerName its name.
	TenantID    string
	PartnerName string
	Name        string // the partner's label for the key; may be empty
	Prefix      string
	Scopes      lending.Scopes
	CreatedAt   time.Time
	RotatedAt   time.Time // zero when never rotated
	RevokedAt   time.Time // zero when active
}

// Active reports whether the key may authenticate (its partner must be active too).
func (k APIKey) Active() bool { return k.RevokedAt.IsZero() }

// NewAPIKey is a key to create.
type NewAPIKey struct {
	// PartnerID owns the key. A partner of that id is created (active, with no
	// dashboard account, named as its id) when none exists: how admins and
	// `portal apikey add` make keys for partners that never registered.
	PartnerID string
	Name      string
	Scopes    lending.Scopes // empty: decision, what keys have always carried
	// Live makes an sk_live_ key (production); otherwise sk_test_ (stage).
	Live bool
}

// newAPIKeySecret returns a fresh secret: the marker and 256 random bits in
// unpadded base64url (safe in an HTTP header without quoting).
func newAPIKeySecret(live bool) string {
	b := make([]byte, apiKeyRandomBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	marker := apiKeyMarkerTest
	if live {
		marker = apiKeyMarkerLive
	}
	return marker + base64.RawURLEncoding.EncodeToString(b)
}

// apiKeyPrefix is the part of secret shown to people: its marker and a few
// random characters.
func apiKeyPrefix(secret string) string {
	for _, m := range []string{apiKeyMarkerTest, apiKeyMarkerLive, legacyAPIKeyMarker} {
		if strings.HasPrefix(secret, m) {
			return secret[:min(len(secret), len(m)+apiKeyPrefixChars)]
		}
	}
	return secret[:min(len(secret), apiKeyPrefixChars)]
}

// hashAPIKey is the stored form of a secret: hex SHA-256 (see migration 00003 for
// why a fast hash is right for a 256-bit secret).
func hashAPIKey(secret string) string {
	return storedAPIKeyHash(sha256.Sum256([]byte(secret)))
}

// storedAPIKeyHash is how a secret's SHA-256 is stored: in hex.
func storedAPIKeyHash(sum [sha256.Size]byte) string {
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey creates a key and returns it with its secret. The secret is
// returned only here: show it once, it cannot be recovered. A partner that is
// not active gets ErrPartnerNotActive. who is recorded in the audit log
// (officer, partner, IP, user agent; empty for the CLI).
func (s *Store) CreateAPIKey(ctx context.Context, in NewAPIKey, who AuditEntry) (APIKey, string, error) {
	if !tenantPattern.MatchString(in.PartnerID) {
		return APIKey{}, "", fmt.Errorf("store.CreateAPIKey: %w", ErrInvalidTenant)
	}
	in.Name = strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(in.Name) > MaxAPIKeyNameLength {
		return APIKey{}, "", fmt.Errorf("store.CreateAPIKey: %w: name longer than %d characters", ErrInvalidAPIKey, MaxAPIKeyNameLength)
	}
	if len(in.Scopes) == 0 {
		in.Scopes = lending.Scopes{lending.ScopeDecision}
	}
	secret := newAPIKeySecret(in.Live)
	now := s.now().UTC().Truncate(time.Millisecond)
	k := APIKey{ID: NewID(), TenantID: in.PartnerID, Name: in.Name, Prefix: apiKeyPrefix(secret), Scopes: in.Scopes, CreatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		p, err := ensurePartner(ctx, tx, in.PartnerID, now)
		if err != nil {
			return err
		}
		if p.Status != lending.PartnerActive {
			return ErrPartnerNotActive
		}
		k.PartnerName = p.Name
		_, err = tx.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at_ms, scopes, name) VALUES (?,?,?,?,?,?,?)`,
			k.ID, k.TenantID, hashAPIKey(secret), k.Prefix, ms(k.CreatedAt), k.Scopes.String(), k.Name)
		if err != nil {
			return err
		}
		return auditAPIKey(ctx, tx, k.CreatedAt, who, AuditAPIKeyCreated, k)
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("store.CreateAPIKey: %w", err)
	}
	return k, secret, nil
}

// RotateAPIKey gives key id a new secret and returns it (shown once): sk_live_
// when live (production), sk_test_ otherwise, whatever the old one was. The old
// secret stops authenticating as soon as this commits; the key keeps its id,
// tenant and usage. A revoked key cannot be rotated (ErrAPIKeyRevoked). who is
// recorded in the audit log.
func (s *Store) RotateAPIKey(ctx context.Context, id string, live bool, who AuditEntry) (APIKey, string, error) {
	now := s.now().UTC()
	var k APIKey
	var secret string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = apiKeyByID(ctx, tx, id); err != nil {
			return err
		}
		if !k.Active() {
			return ErrAPIKeyRevoked
		}
		secret = newAPIKeySecret(live)
		k.Prefix, k.RotatedAt = apiKeyPrefix(secret), now.Truncate(time.Millisecond)
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET key_hash = ?, prefix = ?, rotated_at_ms = ? WHERE id = ?`,
			hashAPIKey(secret), k.Prefix, ms(now), id)
		if err != nil {
			return err
		}
		if err := s.announce(ctx, tx, topicAPIKeys); err != nil {
			return err
		}
		return auditAPIKey(ctx, tx, now, who, AuditAPIKeyRotated, k)
	})
	s.apiKeyGen.Add(1) // even after a failure: the commit's fate may be unknown
	if err != nil {
		return APIKey{}, "", fmt.Errorf("store.RotateAPIKey: %w", err)
	}
	return k, secret, nil
}

// RevokeAPIKey stops key id from ever authenticating again; who is recorded in
// the audit log. Revoking a revoked key changes nothing.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, who AuditEntry) error {
	now := s.now().UTC()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		k, err := apiKeyByID(ctx, tx, id)
		if err != nil || !k.Active() {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at_ms = ? WHERE id = ?`, ms(now), id); err != nil {
			return err
		}
		if err := s.announce(ctx, tx, topicAPIKeys); err != nil {
			return err
		}
		return auditAPIKey(ctx, tx, now, who, AuditAPIKeyRevoked, k)
	})
	s.apiKeyGen.Add(1) // even after a failure: the commit's fate may be unknown
	if err != nil {
		return fmt.Errorf("store.RevokeAPIKey: %w", err)
	}
	return nil
}

// APIKeyBySecret returns the active key whose current secret is secret, or
// ErrNotFound for an unknown, rotated-away or revoked secret, or the key of a
// partner that is not active (pending or suspended). Every API request
// asks this; APIKeyFinder answers it with a prepared statement.
func (s *Store) APIKeyBySecret(ctx context.Context, secret string) (APIKey, error) {
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, apiKeyBySecretSQL, hashAPIKey(secret)))
	if err != nil {
		return APIKey{}, fmt.Errorf("store.APIKeyBySecret: %w", err)
	}
	return k, nil
}

// apiKeyBySecretSQL finds an active key of an active partner: suspending a
// partner stops all its keys without touching them.
const apiKeyBySecretSQL = `SELECT ` + apiKeyColumns + ` FROM ` + apiKeyTables + `
	WHERE k.key_hash = ? AND k.revoked_at_ms IS NULL AND p.status = 'active'`

// The API's key lookups are answered from memory once a key has been found:
// reading SQLite cost more than everything else the portal does for a decision.
const (
	// apiKeyCacheTTL bounds how long a found key is trusted without reading the
	// database again. Rotations and revocations made through this Store (the
	// admin screens) take effect at once whatever the TTL (Store.apiKeyGen). On
	// PostgreSQL every instance's rotations and revocations are announced to all
	// (NOTIFY, postgres.go) and bump their apiKeyGen as they arrive, within
	// milliseconds; an instance that is not hearing the announcements (its
	// LISTEN connection is down) trusts no cached key at all. The TTL only bounds
	// a change made behind the portal's back: by another process on the same
	// SQLite file, or by hand in the database.
	apiKeyCacheTTL = 5 * time.Second
	// apiKeyCacheMax bounds the cache: it holds only keys that exist, so it is
	// reached only with more active keys than that, when it starts over.
	apiKeyCacheMax = 4096
)

// APIKeyFinder is Store.APIKeyBySecret for the API's hot path: a key once found
// is remembered for apiKeyCacheTTL by its secret's hash. Unknown secrets are
// never remembered, so a key created by `portal apikey add` in another process
// works on its first request; every rotation or revocation through the Store
// forgets everything remembered before it committed, so the old secret is
// refused on the very next request.
type APIKeyFinder struct {
	store *Store
	mu    sync.RWMutex
	cache map[[sha256.Size]byte]cachedAPIKey
}

// cachedAPIKey is a found key, valid while the Store's key generation is still
// gen and until expires.
type cachedAPIKey struct {
	key     APIKey
	gen     uint64
	expires time.Time
}

// NewAPIKeyFinder returns a finder reading s.
func NewAPIKeyFinder(s *Store) *APIKeyFinder {
	return &APIKeyFinder{store: s, cache: map[[sha256.Size]byte]cachedAPIKey{}}
}

// APIKeyBySecret is Store.APIKeyBySecret.
func (f *APIKeyFinder) APIKeyBySecret(ctx context.Context, secret string) (APIKey, error) {
	sum := sha256.Sum256([]byte(secret))
	// The generation is read before the database: a change committing after
	// this point bumps it, so what is read now is never remembered past it.
	gen, now := f.store.apiKeyGen.Load(), f.store.now()
	f.mu.RLock()
	c, ok := f.cache[sum]
	f.mu.RUnlock()
	if ok && c.gen == gen && now.Before(c.expires) && f.store.cachesTrusted() {
		return c.key, nil
	}

	k, err := scanAPIKey(f.store.readRow(ctx, apiKeyBySecretSQL, storedAPIKeyHash(sum)))
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		delete(f.cache, sum)
		return APIKey{}, fmt.Errorf("store.APIKeyFinder: %w", err)
	}
	if len(f.cache) >= apiKeyCacheMax {
		clear(f.cache)
	}
	f.cache[sum] = cachedAPIKey{key: k, gen: gen, expires: now.Add(apiKeyCacheTTL)}
	return k, nil
}

// APIKey returns key id, or ErrNotFound.
func (s *Store) APIKey(ctx context.Context, id string) (APIKey, error) {
	k, err := scanAPIKey(s.r.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM `+apiKeyTables+` WHERE k.id = ?`, id))
	if err != nil {
		return APIKey{}, fmt.Errorf("store.APIKey: %w", err)
	}
	return k, nil
}

// APIKeys lists every key, by tenant and then oldest first.
func (s *Store) APIKeys(ctx context.Context) ([]APIKey, error) {
	return s.listAPIKeys(ctx, "store.APIKeys", `SELECT `+apiKeyColumns+` FROM `+apiKeyTables+` ORDER BY k.tenant_id, k.created_at_ms, k.id`)
}

// PartnerAPIKeys lists a partner's keys, oldest first.
func (s *Store) PartnerAPIKeys(ctx context.Context, partnerID string) ([]APIKey, error) {
	return s.listAPIKeys(ctx, "store.PartnerAPIKeys", `SELECT `+apiKeyColumns+` FROM `+apiKeyTables+`
		WHERE k.tenant_id = ? ORDER BY k.created_at_ms, k.id`, partnerID)
}

func (s *Store) listAPIKeys(ctx context.Context, op, query string, args ...any) ([]APIKey, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

const (
	apiKeyColumns = `k.id, k.tenant_id, p.name, k.name, k.prefix, k.scopes, k.created_at_ms, k.rotated_at_ms, k.revoked_at_ms`
	apiKeyTables  = `api_keys k JOIN partners p ON p.id = k.tenant_id`
)

func apiKeyByID(ctx context.Context, tx *sql.Tx, id string) (APIKey, error) {
	return scanAPIKey(tx.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM `+apiKeyTables+` WHERE k.id = ?`, id))
}

func scanAPIKey(row interface{ Scan(...any) error }) (APIKey, error) {
	var (
		k                APIKey
		scopes           string
		created          int64
		rotated, revoked sql.NullInt64
	)
	err := row.Scan(&k.ID, &k.TenantID, &k.PartnerName, &k.Name, &k.Prefix, &scopes, &created, &rotated, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, err
	}
	if k.Scopes, err = lending.NewScopes(scopes); err != nil {
		return APIKey{}, fmt.Errorf("key %s: stored scopes: %w", k.ID, err)
	}
	k.CreatedAt, k.RotatedAt, k.RevokedAt = fromMS(created), fromNullMS(rotated), fromNullMS(revoked)
	return k, nil
}
