package views

import (
	"strconv"
	"time"

	"prequal/lending"
)

// APIKeyRow is one Credit Decision API key as the API keys page lists it.
type APIKeyRow struct {
	ID             string
	TenantID       string
	PartnerName    string
	Scopes         lending.Scopes
	Prefix         string // the secret's first characters
	CreatedAt      time.Time
	RotatedAt      time.Time // zero when never rotated
	RevokedAt      time.Time // zero while active
	Calls          int64
	CallsThisMonth int64
}

// Active reports whether the key still authenticates.
func (r APIKeyRow) Active() bool { return r.RevokedAt.IsZero() }

// APIKeyMonthRow is one key's billed calls in one UTC month.
type APIKeyMonthRow struct {
	Month    string // YYYY-MM
	KeyID    string
	TenantID string
	Prefix   string
	Calls    int64
	Billed   lending.Cents
}

// RevealedAPIKey is a secret just created or rotated: the one time it is shown.
type RevealedAPIKey struct {
	KeyID    string
	TenantID string
	Secret   string
	Rotated  bool
}

// APIKeysView is the API keys page: keys, their usage per month, and the form
// that creates one.
type APIKeysView struct {
	AdminPage
	Keys         []APIKeyRow
	Months       []APIKeyMonthRow
	Tenant       string // the create form's input, kept when it is refused
	TenantError  string
	AllScopes    []lending.Scope
	ChosenScopes map[lending.Scope]bool
	Revealed     *RevealedAPIKey
	Flash        string        // confirms a revocation
	PricePerCall lending.Cents // what one billed call costs
}

func count(n int64) string { return thousands(int(n)) }

func keyStatus(r APIKeyRow) string {
	if !r.Active() {
		return "Revoked " + adminTime(r.RevokedAt)
	}
	return "Active"
}

func keyLabel(prefix, tenant string) string { return prefix + "… of " + tenant }

func int64Text(n int64) string { return strconv.FormatInt(n, 10) }
