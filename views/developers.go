package views

import (
	"fmt"
	"strings"
	"time"

	"prequal/lending"
)

// DeveloperPage is the frame of every /developers page: the site layout with
// the developers' navigation, and the partner when one is signed in.
type DeveloperPage struct {
	Page
	Partner lending.Partner // zero when nobody is signed in
}

// SignedIn reports whether a partner is signed in.
func (p DeveloperPage) SignedIn() bool { return p.Partner.ID != "" }

// NewDeveloperPage builds the frame of a /developers page.
func NewDeveloperPage(site Site, title string, partner lending.Partner) DeveloperPage {
	nav := []NavLink{{Href: "/developers/docs", Label: "API reference"}}
	if partner.ID != "" {
		nav = append([]NavLink{{Href: "/developers", Label: "Dashboard"}}, nav...)
	} else {
		nav = append(nav, NavLink{Href: "/developers/signin", Label: "Sign in"}, NavLink{Href: "/developers/register", Label: "Register"})
	}
	return DeveloperPage{Page: Page{Site: site, Title: title, Description: DevelopersDescription, Nav: nav}, Partner: partner}
}

// DevelopersDescription describes the partners' pages (/developers) in search
// results and link previews; the API reference has its own.
const DevelopersDescription = "The Credit Decision API for lending partners: register, create and rotate API keys, follow your calls, and read the API reference."

// APIReferenceDescription describes /developers/docs.
const APIReferenceDescription = "Reference of the Credit Decision API: authentication with API keys, every endpoint with its request and response, rate limits and error shapes."

// DevelopersRegisterView is the registration form.
type DevelopersRegisterView struct {
	DeveloperPage
	Production bool // new partners wait for an admin's approval
	Name       string
	Email      string
	Errors     map[string]string // by field ("form" for the whole form)
}

// DevelopersSignInView is the developers' sign-in page.
type DevelopersSignInView struct {
	DeveloperPage
	Email string
	Next  string
	Error string
	Info  string
}

// DeveloperKeyRow is one of the partner's keys on its dashboard.
type DeveloperKeyRow struct {
	ID             string
	Name           string
	Prefix         string
	Scopes         lending.Scopes
	CreatedAt      time.Time
	RotatedAt      time.Time
	RevokedAt      time.Time
	CallsThisMonth int64
}

// Active reports whether the key still authenticates.
func (r DeveloperKeyRow) Active() bool { return r.RevokedAt.IsZero() }

// Label names the key for people: its name, or its prefix.
func (r DeveloperKeyRow) Label() string {
	if r.Name != "" {
		return r.Name + " (" + r.Prefix + "…)"
	}
	return r.Prefix + "…"
}

// KeyForm is the create-a-key form as submitted, kept when it is refused.
type KeyForm struct {
	Name   string
	Scopes map[lending.Scope]bool
	Error  string
}

// DevelopersDashboardView is the partner's dashboard.
type DevelopersDashboardView struct {
	DeveloperPage
	Partner    lending.Partner
	Production bool
	Registered bool // just registered: say what happens next
	Keys       []DeveloperKeyRow
	Charts     []UsageChart
	Scopes     []lending.Scope // the scopes the partner may choose
	Form       KeyForm
	Revealed   *RevealedAPIKey
	Flash      string
	// The rate limits of every key, per minute.
	DecisionPerMinute int
	OtherPerMinute    int
	// Webhooks is the webhook endpoints section's model.
	Webhooks WebhooksSection
}

// UsageChart is one key's billed calls per month as a small bar chart.
type UsageChart struct {
	KeyID string
	Label string
	Bars  []UsageBar
	Total int64
}

// UsageBar is one month of a UsageChart, with its place in the SVG.
type UsageBar struct {
	Month  string // YYYY-MM
	Calls  int64
	X, Y   int
	Height int
}

// The usage chart's geometry, in SVG user units.
const (
	usageChartWidth    = 360
	usageChartHeight   = 150
	usageChartBarArea  = 110 // the tallest bar
	usageChartBarWidth = 36
	usageChartTop      = 18 // room for the count above the tallest bar
)

// NewUsageChart lays out calls (by month) over months, oldest first.
func NewUsageChart(keyID, label string, months []string, calls map[string]int64) UsageChart {
	ch := UsageChart{KeyID: keyID, Label: label}
	var most int64
	for _, m := range months {
		most = max(most, calls[m])
		ch.Total += calls[m]
	}
	step := usageChartWidth / max(len(months), 1)
	for i, m := range months {
		h := 0
		if most > 0 {
			h = int(calls[m] * usageChartBarArea / most)
			if calls[m] > 0 {
				h = max(h, 2) // a month with calls never looks empty
			}
		}
		ch.Bars = append(ch.Bars, UsageBar{Month: m, Calls: calls[m], X: i*step + (step-usageChartBarWidth)/2,
			Y: usageChartTop + usageChartBarArea - h, Height: h})
	}
	return ch
}

// LastMonths are the n UTC months up to now's, oldest first, as YYYY-MM.
func LastMonths(now time.Time, n int) []string {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]string, n)
	for i := range n {
		out[i] = first.AddDate(0, i-n+1, 0).Format("2006-01")
	}
	return out
}

// Summary is the chart's text alternative.
func (ch UsageChart) Summary() string {
	parts := make([]string, len(ch.Bars))
	for i, b := range ch.Bars {
		parts[i] = fmt.Sprintf("%s: %s", monthLabel(b.Month), count(b.Calls))
	}
	return fmt.Sprintf("Billed calls per month of %s. %s.", ch.Label, strings.Join(parts, ", "))
}

// monthLabel is "Mar 2026" for "2026-03".
func monthLabel(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("Jan 2006")
}

func shortMonth(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("Jan")
}

func scopeList(ss lending.Scopes) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}

func partnerStatusText(s lending.PartnerStatus) string {
	switch s {
	case lending.PartnerPending:
		return "Waiting for approval"
	case lending.PartnerActive:
		return "Active"
	case lending.PartnerSuspended:
		return "Suspended"
	}
	return string(s)
}

// APIReference is the OpenAPI document as /developers/docs shows it.
type APIReference struct {
	DeveloperPage
	Title       string
	Version     string
	Description string
	Tags        []APITag
	Problems    []APIProblemType
}

// APITag is a group of operations.
type APITag struct {
	Name        string
	Description string
	Operations  []APIOperation
}

// APIOperation is one route of the API.
type APIOperation struct {
	ID          string
	Method      string
	Path        string
	Summary     string
	Description string
	Scopes      []string
	Public      bool // needs no key
	Parameters  []APIParameter
	Request     *APIBody
	Responses   []APIResponse
}

// APIParameter is one header, path or query parameter.
type APIParameter struct {
	Name, In, Type, Description string
	Required                    bool
}

// APIBody is a request or response body: its media type and its fields.
type APIBody struct {
	ContentType string
	Fields      []APIField
}

// APIResponse is one documented answer.
type APIResponse struct {
	Status      string
	Description string
	Body        *APIBody
}

// APIField is one field of a body, flattened: Depth says how deep it sits
// ("payload.decision.score" has depth 2).
type APIField struct {
	Name        string
	Type        string
	Required    bool
	Description string
	Depth       int
}

// APIProblemType is one documented problem type (problem+json "type").
type APIProblemType struct {
	Slug        string
	Status      int
	Title       string
	Description string
}

// codeSpan is a piece of documentation text, in code or not (Markdown's
// backticks, the only markup the document's descriptions use).
type codeSpan struct {
	Text string
	Code bool
}

func codeSpans(s string) []codeSpan {
	var out []codeSpan
	for i, part := range strings.Split(s, "`") {
		if part != "" {
			out = append(out, codeSpan{Text: part, Code: i%2 == 1})
		}
	}
	return out
}

// fieldDepthClass indents a nested field (CSS classes: the policy allows no
// inline style).
func fieldDepthClass(depth int) string { return fmt.Sprintf("field-depth-%d", min(depth, 5)) }

// scopeID is a scope as an HTML id part ("credit-applications:read" →
// "credit-applications-read").
func scopeID(s lending.Scope) string { return strings.ReplaceAll(string(s), ":", "-") }

// limitsSentence states every key's rate limits.
func (v DevelopersDashboardView) limitsSentence() string {
	return fmt.Sprintf("Rate limits, per key and per minute: %s requests on the Credit Decision API, %s on each other API.",
		thousands(v.DecisionPerMinute), thousands(v.OtherPerMinute))
}

// rateLimit is a key's budgets in words.
func (v DevelopersDashboardView) rateLimit(k DeveloperKeyRow) string {
	var parts []string
	if k.Scopes.Has(lending.ScopeDecision) {
		parts = append(parts, thousands(v.DecisionPerMinute)+"/min on the Credit Decision API")
	}
	if len(k.Scopes) > len(parts) {
		parts = append(parts, thousands(v.OtherPerMinute)+"/min on each other API")
	}
	return strings.Join(parts, "; ")
}

// slug is a heading's text as an HTML id.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
