package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"prequal/lending"
	"prequal/store"
	"prequal/webhooks"
)

var webhookSecretPattern = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{40,}`)

// A partner adds a webhook endpoint on its dashboard, sees its secret once,
// sends a test event, rotates the secret, and replays; another partner sees
// none of it; an admin sees it all at /admin/webhooks.
func TestDeveloperManagesWebhookEndpoints(t *testing.T) {
	p := newAdminPortal(t)
	dev := p.partner("hooks@acme.example")

	// Refused: http on a public host in stage, no event type, an unknown type.
	for _, bad := range []url.Values{
		{"url": {"http://hooks.acme.example/in"}, "eventType": {lending.EventJourneySnapshot}},
		{"url": {"http://127.0.0.1:9000/in"}},
		{"url": {"http://127.0.0.1:9000/in"}, "eventType": {"everything"}},
	} {
		resp, body := p.postForm(dev, "/developers/webhooks", bad)
		doc := parse(t, body)
		if resp.StatusCode != http.StatusUnprocessableEntity || doc.Find(testid("webhook-endpoint-error")).Length() != 1 {
			t.Errorf("%v: %d, want 422 with the error", bad, resp.StatusCode)
		}
		if v, _ := doc.Find("#webhook-url").Attr("value"); v != bad.Get("url") {
			t.Errorf("the form lost the URL: %q", v)
		}
	}

	resp, body := p.postForm(dev, "/developers/webhooks", url.Values{"url": {"http://127.0.0.1:9000/in"},
		"eventType": {lending.EventJourneySnapshot, lending.EventCreditApplicationApproved}})
	doc := parse(t, body)
	secret := doc.Find(testid("webhook-secret")).Text()
	if resp.StatusCode != http.StatusOK || !webhookSecretPattern.MatchString(secret) {
		t.Fatalf("add endpoint: %d, secret %q", resp.StatusCode, secret)
	}
	row := doc.Find(testid("webhook-endpoint"))
	epID, _ := row.Attr("data-endpoint-id")
	if row.Length() != 1 || !strings.HasPrefix(epID, "we_") {
		t.Fatalf("endpoint rows: %d (%q)", row.Length(), epID)
	}
	if _, body := p.get(dev, "/developers"); strings.Contains(body, secret) {
		t.Error("the secret is shown again")
	}

	// Test event: a queued delivery on the endpoint's page.
	resp, body = p.postForm(dev, "/developers/webhooks/"+epID+"/test", nil)
	doc = parse(t, body)
	if resp.StatusCode != http.StatusOK || doc.Find(testid("webhook-flash")).Length() != 1 {
		t.Fatalf("test event: %d", resp.StatusCode)
	}
	d := doc.Find(testid("webhook-delivery"))
	if d.Length() != 1 || !strings.Contains(d.Text(), lending.EventWebhookTest) {
		t.Fatalf("deliveries after a test event: %d %q", d.Length(), d.Text())
	}
	deliveryID, _ := d.Attr("data-delivery-id")
	if m, err := metricsText(context.Background(), p.store); err != nil || !strings.Contains(string(m), `portal_webhook_deliveries{status="pending"} 1`) {
		t.Errorf("/metrics lacks the pending delivery (%v):\n%s", err, m)
	}

	// Rotation: a new secret, the previous one signed with for 24 h.
	_, body = p.postForm(dev, "/developers/webhooks/"+epID+"/rotate", nil)
	doc = parse(t, body)
	newSecret := doc.Find(testid("webhook-secret")).Text()
	if !webhookSecretPattern.MatchString(newSecret) || newSecret == secret || doc.Find(testid("webhook-previous-secret")).Length() != 1 {
		t.Errorf("rotation: secret %q, previous-secret note %d", newSecret, doc.Find(testid("webhook-previous-secret")).Length())
	}

	// Replays.
	if resp, _ := p.postForm(dev, "/developers/webhooks/"+epID+"/deliveries/"+deliveryID+"/replay", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("replay one: %d", resp.StatusCode)
	}
	if resp, _ := p.postForm(dev, "/developers/webhooks/"+epID+"/replay-failed", url.Values{"since": {"yesterday"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("replay failed since a bad time: %d, want 422", resp.StatusCode)
	}
	resp, body = p.postForm(dev, "/developers/webhooks/"+epID+"/replay-failed", url.Values{"since": {"2026-01-01T00:00"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(parse(t, body).Find(testid("webhook-flash")).Text(), "Replaying 0 failed") {
		t.Errorf("replay failed since: %d", resp.StatusCode)
	}

	// Another partner sees none of it.
	other := p.partner("other@acme.example")
	for _, path := range []string{"/developers/webhooks/" + epID} {
		if resp, _ := p.get(other, path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another partner GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/test", "/rotate", "/delete", "/deliveries/" + deliveryID + "/replay"} {
		if resp, _ := p.postForm(other, "/developers/webhooks/"+epID+path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another partner POST %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if _, doc := p.page(other, "/developers"); doc.Find(testid("webhook-endpoint")).Length() != 0 {
		t.Error("another partner sees the endpoint")
	}

	// An admin sees every partner's endpoints and deliveries.
	adm := p.officer("admin@portal.example", lending.RoleAdmin)
	_, doc = p.page(adm, "/admin/webhooks")
	if doc.Find(testid("webhook-endpoint")).Length() != 1 {
		t.Fatalf("admin sees %d endpoints, want 1", doc.Find(testid("webhook-endpoint")).Length())
	}
	resp, doc = p.page(adm, "/admin/webhooks/"+epID)
	if resp.StatusCode != http.StatusOK || doc.Find(testid("webhook-delivery")).Length() != 1 || doc.Find(testid("webhook-delivery-replay")).Length() != 0 {
		t.Errorf("admin endpoint page: %d, %d deliveries", resp.StatusCode, doc.Find(testid("webhook-delivery")).Length())
	}

	// Delete: gone from the dashboard.
	if resp, _ := p.postForm(dev, "/developers/webhooks/"+epID+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if eps, _ := p.store.WebhookEndpoints(context.Background(), ""); len(eps) != 0 {
		t.Errorf("%d endpoints after delete", len(eps))
	}
}

// In production an endpoint must be https on a public host; the partner is
// told why one is refused (the webhook package's guard, with a resolver that
// sends a public-looking name to loopback).
func TestProductionRefusesInternalWebhookEndpoints(t *testing.T) {
	guard := webhooks.Guard{Production: true, Resolver: fixedResolver{
		"hooks.acme.example":  netip.MustParseAddr("93.184.216.34"),
		"rebind.acme.example": netip.MustParseAddr("127.0.0.1"),
	}}
	p := newTestPortal(t, func(c *Config) { c.Production = true; c.CheckWebhookURL = guard.CheckURL })
	dev := p.partner("prod@acme.example")
	partners, err := p.store.Partners(context.Background())
	if err != nil || len(partners) != 1 {
		t.Fatal(partners, err)
	}
	if _, err := p.store.ChangePartnerStatus(context.Background(), partners[0].ID, lending.PartnerApprove, store.AuditEntry{OfficerEmail: "admin@portal.example"}); err != nil {
		t.Fatal(err)
	}
	for u, why := range map[string]string{
		"https://rebind.acme.example/in": "resolves to 127.0.0.1",
		"https://10.0.0.7/in":            "loopback, private, link-local, multicast or metadata",
		"http://hooks.acme.example/in":   "https",
	} {
		resp, body := p.postForm(dev, "/developers/webhooks", url.Values{"url": {u}, "eventType": {lending.EventJourneySnapshot}})
		msg := parse(t, body).Find(testid("webhook-endpoint-error")).Text()
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, why) {
			t.Errorf("%s: %d %q, want 422 saying %q", u, resp.StatusCode, msg, why)
		}
	}
	resp, body := p.postForm(dev, "/developers/webhooks", url.Values{"url": {"https://hooks.acme.example/in"}, "eventType": {lending.EventJourneySnapshot}})
	if resp.StatusCode != http.StatusOK || !webhookSecretPattern.MatchString(parse(t, body).Find(testid("webhook-secret")).Text()) {
		t.Errorf("a public https endpoint: %d", resp.StatusCode)
	}
}

type fixedResolver map[string]netip.Addr

func (f fixedResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return []netip.Addr{a}, nil
	}
	return nil, errors.New("no such host")
}
