package lending

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Partner webhook event types. A partner's endpoint subscribes to some of
// them; "family.*" subscribes to every type of a family. Seed 003's are
// CreditEventType of each review status (the constants below name the ones
// code refers to), seed 004's LoCEventType of each Line-of-Credit status.
const (
	EventJourneySnapshot               = "journey.snapshot"               // seed 001: the journey state answer
	EventCreditApplicationCreated      = "creditApplication.created"      // seed 003
	EventCreditApplicationPending      = "creditApplication.pending"      // seed 003
	EventCreditApplicationManualReview = "creditApplication.manualReview" // seed 003
	EventCreditApplicationApproved     = "creditApplication.approved"     // seed 003
	EventCreditApplicationDenied       = "creditApplication.denied"       // seed 003
	EventCreditApplicationCanceled     = "creditApplication.canceled"     // seed 003
	EventWebhookTest                   = "webhook.test"                   // the dashboard's "send a test event"
	webhookEventFamilyWildcardSuffix   = ".*"
)

// WebhookEventTypes lists the event types an endpoint may subscribe to, in the
// order the dashboard offers them: the journey snapshot, seed 003's statuses,
// seed 004's statuses. The test event goes to one endpoint on request and is
// not subscribed to.
var WebhookEventTypes = webhookEventTypes()

func webhookEventTypes() []string {
	out := []string{EventJourneySnapshot}
	for _, st := range []ReviewStatus{ReviewCreated, ReviewPending, ReviewManualReview, ReviewApproved, ReviewDenied, ReviewCanceled} {
		out = append(out, CreditEventType(st))
	}
	for _, st := range LoCStatuses {
		out = append(out, LoCEventType(st))
	}
	return out
}

// WebhookWants reports whether an endpoint subscribed to types wants an event
// of type eventType.
func WebhookWants(types []string, eventType string) bool {
	for _, t := range types {
		if t == eventType {
			return true
		}
		if fam, ok := strings.CutSuffix(t, webhookEventFamilyWildcardSuffix); ok && strings.HasPrefix(eventType, fam+".") {
			return true
		}
	}
	return false
}

// ValidateWebhookEventTypes checks an endpoint's subscription: at least one
// type, each a known type or a known family's wildcard. It returns them
// sorted and without duplicates.
func ValidateWebhookEventTypes(types []string) ([]string, error) {
	if len(types) == 0 {
		return nil, fmt.Errorf("choose at least one event type")
	}
	var out []string
	for _, t := range types {
		t = strings.TrimSpace(t)
		known := slices.Contains(WebhookEventTypes, t)
		if fam, ok := strings.CutSuffix(t, webhookEventFamilyWildcardSuffix); ok {
			known = slices.ContainsFunc(WebhookEventTypes, func(k string) bool { return strings.HasPrefix(k, fam+".") })
		}
		if !known {
			return nil, fmt.Errorf("%q is not an event type (known: %s)", t, strings.Join(WebhookEventTypes, ", "))
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// MaxWebhookURLLength bounds an endpoint's URL.
const MaxWebhookURLLength = 2048

// ParseWebhookURL checks the form of an endpoint URL: absolute http(s) with a
// host, no user info or fragment. In production only https is accepted; in
// stage http is accepted for a loopback host (a developer's local receiver)
// as well. Where the host resolves is checked by the webhook package's guard.
func ParseWebhookURL(raw string, production bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("enter the endpoint's URL")
	}
	if len(raw) > MaxWebhookURLLength {
		return nil, fmt.Errorf("the URL is longer than %d characters", MaxWebhookURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("enter an absolute URL such as https://example.com/webhooks")
	}
	if u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("the URL may not carry a user name, password or #fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if production {
			return nil, fmt.Errorf("in production an endpoint must use https")
		}
		if !isLoopbackName(u.Hostname()) {
			return nil, fmt.Errorf("in stage http is allowed only on loopback (localhost, 127.0.0.1, [::1]); use https for other hosts")
		}
	default:
		return nil, fmt.Errorf("the URL must start with https://")
	}
	return u, nil
}

func isLoopbackName(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// WebhookAttemptTimeout bounds one delivery attempt (connect to last byte read).
const WebhookAttemptTimeout = 10 * time.Second

// WebhookRetryDelays is the documented retry schedule: after the first attempt
// fails, the next comes after these delays in turn, each stretched by up to
// a quarter at random (jitter, so a recovering receiver is not hit by every
// sender at once). Exponential (×3 from 30 s) up to a 12 h cap, it spans
// 33 h 6 min 30 s without jitter: 30s, 1m30s, 4m30s, 13m30s, 40m30s, 2h1m30s,
// 6h4m30s, 12h, 12h — 10 attempts in all. After the last, the delivery
// has failed and its endpoint is marked failing.
var WebhookRetryDelays = func() []time.Duration {
	var out []time.Duration
	d := 30 * time.Second
	for range 9 {
		out = append(out, min(d, 12*time.Hour))
		d *= 3
	}
	return out
}()

// WebhookDeliveryRetention is how long a finished delivery (delivered or
// failed) stays on the dashboard, replayable, before it is pruned: well past
// the retry schedule. The events themselves stay.
const WebhookDeliveryRetention = 30 * 24 * time.Hour

// WebhookMaxAttempts is the attempts of one delivery round.
var WebhookMaxAttempts = len(WebhookRetryDelays) + 1

// WebhookRetryAfter is the wait after a failed attempt number attempt (1 for
// the first), with jitter in [0,1) stretching it by up to 25 %; ok is false
// when that was the last attempt.
func WebhookRetryAfter(attempt int, jitter float64) (time.Duration, bool) {
	if attempt < 1 || attempt > len(WebhookRetryDelays) {
		return 0, false
	}
	d := WebhookRetryDelays[attempt-1]
	return d + time.Duration(float64(d)*0.25*min(max(jitter, 0), 1)), true
}
