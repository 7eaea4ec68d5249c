package lending

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Partner is a lending partner (a tenant): a business whose systems call the
// portal's JSON APIs with the API keys it owns. A partner registered at
// /developers has an email and a password for the developer dashboard; one an
// admin created for a key (or one that existed before partners had accounts)
// has neither.
type Partner struct {
	ID           string
	Name         string
	Email        string // "" when the partner has no dashboard account
	Status       PartnerStatus
	CreatedAt    time.Time
	ApprovedAt   time.Time // zero until approved (stage: at registration)
	SuspendedAt  time.Time // zero unless suspended
	LastSignInAt time.Time // zero: never signed in
}

// HasAccount reports whether the partner can sign in at /developers.
func (p Partner) HasAccount() bool { return p.Email != "" }

// PartnerStatus is where a partner stands with the portal.
type PartnerStatus string

// Partner statuses. Only an active partner's keys authenticate.
const (
	// PartnerPending: registered in production, waiting for an admin's approval;
	// it can sign in and read the documentation but has no keys yet.
	PartnerPending PartnerStatus = "pending"
	// PartnerActive: its keys work and it can create more.
	PartnerActive PartnerStatus = "active"
	// PartnerSuspended: an admin stopped it; its keys answer 401 from the next
	// request on, until an admin reinstates it.
	PartnerSuspended PartnerStatus = "suspended"
)

// PartnerStatusChange is an admin's action on a partner.
type PartnerStatusChange string

// Admins' actions on partners.
const (
	PartnerApprove   PartnerStatusChange = "approve"
	PartnerSuspend   PartnerStatusChange = "suspend"
	PartnerReinstate PartnerStatusChange = "reinstate"
)

// partnerTransitions: approve a pending partner, suspend a pending or active
// one, reinstate a suspended one.
var partnerTransitions = map[PartnerStatusChange]struct {
	from []PartnerStatus
	to   PartnerStatus
}{
	PartnerApprove:   {[]PartnerStatus{PartnerPending}, PartnerActive},
	PartnerSuspend:   {[]PartnerStatus{PartnerPending, PartnerActive}, PartnerSuspended},
	PartnerReinstate: {[]PartnerStatus{PartnerSuspended}, PartnerActive},
}

// NextPartnerStatus is the status change applied to a partner in status from, or
// an error saying why it cannot be.
func NextPartnerStatus(from PartnerStatus, change PartnerStatusChange) (PartnerStatus, error) {
	t, ok := partnerTransitions[change]
	if !ok {
		return from, fmt.Errorf("unknown partner action %q", change)
	}
	if !slices.Contains(t.from, from) {
		return from, fmt.Errorf("a %s partner cannot be %sd", from, strings.TrimSuffix(string(change), "e"))
	}
	return t.to, nil
}

// PartnerActions are the changes an admin may make to a partner in status s.
func PartnerActions(s PartnerStatus) []PartnerStatusChange {
	var out []PartnerStatusChange
	for _, c := range []PartnerStatusChange{PartnerApprove, PartnerSuspend, PartnerReinstate} {
		if _, err := NextPartnerStatus(s, c); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// MaxPartnerNameLength bounds a partner's display name.
const MaxPartnerNameLength = 100

// ValidatePartnerName returns a message when name is unfit as a partner's name
// ("" when it is fine): 1 to 100 printable characters.
func ValidatePartnerName(name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "Enter your company's name."
	case utf8.RuneCountInString(name) > MaxPartnerNameLength:
		return fmt.Sprintf("Use at most %d characters.", MaxPartnerNameLength)
	case strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "Use letters, digits, spaces and punctuation only."
	}
	return ""
}

// Partner accounts follow the officers' rules for emails, passwords, sessions
// and sign-in throttling (officer.go): one set of rules for everyone who signs in.
var (
	NormalizePartnerEmail = NormalizeOfficerEmail
	ValidatePartnerEmail  = ValidateOfficerEmail
)

// Scope is one thing an API key may do. A key carries a set of scopes; every
// API route requires one.
type Scope string

// Scopes of API keys. A partner chooses among PartnerScopes for its own keys;
// ScopeOperator only an admin can grant.
const (
	// ScopeDecision: the Credit Decision API (seed 002): decision, score, usage.
	ScopeDecision Scope = "decision"
	// ScopeJourneys: starting headless borrower journeys (seed 001).
	ScopeJourneys Scope = "journeys"
	// ScopeCreditApplicationsRead / Write: credit applications (seed 003).
	ScopeCreditApplicationsRead  Scope = "credit-applications:read"
	ScopeCreditApplicationsWrite Scope = "credit-applications:write"
	// ScopeApplicationsRead / Write: Line-of-Credit applications (seed 004).
	ScopeApplicationsRead  Scope = "applications:read"
	ScopeApplicationsWrite Scope = "applications:write"
	// ScopeOperator: the key sees every application, whoever made it (other
	// partners, borrowers in the browser). Admins alone grant it.
	ScopeOperator Scope = "operator"
)

// PartnerScopes are the scopes a partner may give its own keys, in the order
// the dashboard offers them.
var PartnerScopes = []Scope{ScopeDecision, ScopeJourneys, ScopeCreditApplicationsRead,
	ScopeCreditApplicationsWrite, ScopeApplicationsRead, ScopeApplicationsWrite}

// AllScopes are every scope, the operator's last.
var AllScopes = append(slices.Clone(PartnerScopes), ScopeOperator)

// Describe says in a few words what the scope allows.
func (s Scope) Describe() string {
	switch s {
	case ScopeDecision:
		return "Credit Decision API: decision, score and usage"
	case ScopeJourneys:
		return "Headless borrower journeys"
	case ScopeCreditApplicationsRead:
		return "Read credit applications"
	case ScopeCreditApplicationsWrite:
		return "Create and update credit applications"
	case ScopeApplicationsRead:
		return "Read Line-of-Credit applications"
	case ScopeApplicationsWrite:
		return "Create and update Line-of-Credit applications"
	case ScopeOperator:
		return "Operator: every application, including those made in the browser (admins only)"
	}
	return string(s)
}

// Scopes is a key's set of scopes, without repeats, in AllScopes order.
type Scopes []Scope

// Has reports whether the set holds s.
func (ss Scopes) Has(s Scope) bool { return slices.Contains(ss, s) }

// String is the set as stored: space-separated, as OAuth writes scopes.
func (ss Scopes) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

// NewScopes builds a set from names (space-separated or one per element),
// refusing an unknown name and an empty set. Repeats collapse; the order is
// AllScopes'.
func NewScopes(names ...string) (Scopes, error) {
	seen := map[Scope]bool{}
	for _, n := range names {
		for _, f := range strings.Fields(n) {
			s := Scope(f)
			if !slices.Contains(AllScopes, s) {
				return nil, fmt.Errorf("unknown scope %q", f)
			}
			seen[s] = true
		}
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("choose at least one scope")
	}
	var out Scopes
	for _, s := range AllScopes {
		if seen[s] {
			out = append(out, s)
		}
	}
	return out, nil
}

// Channel is how an application reached the portal.
type Channel string

// Channels. An application made in the browser has no partner; every other
// channel belongs to the partner whose key made it.
const (
	ChannelWeb               Channel = "web"
	ChannelHeadlessJourney   Channel = "headless_journey"
	ChannelCreditApplication Channel = "credit_application"
	ChannelLineOfCredit      Channel = "line_of_credit_application"
)

// Label names the channel for officers.
func (c Channel) Label() string {
	switch c {
	case ChannelWeb, "":
		return "Web"
	case ChannelHeadlessJourney:
		return "Headless journey"
	case ChannelCreditApplication:
		return "Credit application"
	case ChannelLineOfCredit:
		return "Line-of-Credit application"
	}
	return string(c)
}
