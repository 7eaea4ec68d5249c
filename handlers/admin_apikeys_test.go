package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"prequal/lending"
	"prequal/store"
)

// revealedSecret is the secret the page shows once ("" when none).
func revealedSecret(t *testing.T, body string) string {
	t.Helper()
	return strings.TrimSpace(doc(t, body).Find(`[data-testid="api-key-secret"]`).Text())
}

func TestAdminAPIKeysIsForAdminsOnly(t *testing.T) {
	p := newAdminPortal(t)
	resp, _ := p.get(newBrowserClient(), "/admin/api-keys")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/signin") {
		t.Errorf("anonymous: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
	officer := p.officer("officer@example.com", lending.RoleOfficer)
	if resp, _ := p.get(officer, "/admin/api-keys"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("officer GET: %d, want 403", resp.StatusCode)
	}
	if resp, _ := p.postForm(officer, "/admin/api-keys", url.Values{"tenant": {"acme"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("officer POST: %d, want 403", resp.StatusCode)
	}
	keys, err := p.store.APIKeys(context.Background())
	if err != nil || len(keys) != 0 {
		t.Errorf("keys after refused attempts: %d, %v", len(keys), err)
	}
	admin := p.officer("admin@example.com", lending.RoleAdmin)
	resp, body := p.get(admin, "/admin/api-keys")
	if resp.StatusCode != http.StatusOK || doc(t, body).Find(`[data-testid="api-key-form"]`).Length() != 1 {
		t.Errorf("admin: %d, form present: %v", resp.StatusCode, strings.Contains(body, "api-key-form"))
	}
	// The admin session cookie is no API credential.
	if r := p.api(admin, http.MethodGet, "/api/v1/usage", "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("API with only an admin session: status %d, want 401", r.status)
	}
}

func TestAdminCreatesAndRotatesAPIKey(t *testing.T) {
	p := newAdminPortal(t)
	admin := p.officer("admin@example.com", lending.RoleAdmin)

	resp, body := p.postForm(admin, "/admin/api-keys", url.Values{"tenant": {"acme-bank"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	secret := revealedSecret(t, body)
	if !strings.HasPrefix(secret, "sk_test_") {
		t.Fatalf("no key shown after creating one: %q", secret)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page showing a secret has Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	for range 3 {
		if r := p.api(nil, http.MethodPost, "/api/v1/decision", secret, seedRequest); r.status != http.StatusOK {
			t.Fatalf("the new key: status %d", r.status)
		}
	}

	// Shown once: the list afterwards has the prefix only, and the usage.
	_, body = p.get(admin, "/admin/api-keys")
	if strings.Contains(body, secret[len(secret)-20:]) {
		t.Error("the list page shows the secret again")
	}
	d := doc(t, body)
	row := d.Find(`[data-testid="api-key-row"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "acme-bank") || !strings.Contains(row.Text(), secret[:10]) {
		t.Fatalf("key row: %q", row.Text())
	}
	if got, _ := row.Find(`[data-testid="api-key-calls"]`).Attr("data-calls"); got != "3" {
		t.Errorf("calls = %q, want 3", got)
	}
	if got, _ := row.Find(`[data-testid="api-key-calls-month"]`).Attr("data-calls"); got != "3" {
		t.Errorf("calls this month = %q, want 3", got)
	}
	month := d.Find(`[data-testid="api-usage-row"][data-month="2026-03"]`)
	if month.Length() != 1 || !strings.Contains(month.Text(), "$0.15") {
		t.Errorf("usage by month row: %q, want 2026-03 with 3 calls billed $0.15", month.Text())
	}

	// Rotation: a new secret shown once, the old one refused at once, usage kept.
	keyID, _ := row.Attr("data-key-id")
	resp, body = p.postForm(admin, "/admin/api-keys/"+keyID+"/rotate", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	rotated := revealedSecret(t, body)
	if rotated == "" || rotated == secret {
		t.Fatalf("rotation showed %q", rotated)
	}
	if r := p.api(nil, http.MethodPost, "/api/v1/decision", secret, seedRequest); r.status != http.StatusUnauthorized {
		t.Errorf("old key after rotation: status %d, want 401", r.status)
	}
	r := p.api(nil, http.MethodGet, "/api/v1/usage", rotated, "")
	assertSameJSON(t, r.body, `{"success":true,"usage":{"tenantId":"acme-bank","calls":3,"callsThisMonth":3,"createdAt":"2026-03-02T09:00:00.000Z"}}`)

	// Revocation stops the key for good.
	if resp, _ := p.postForm(admin, "/admin/api-keys/"+keyID+"/revoke", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if r := p.api(nil, http.MethodPost, "/api/v1/decision", rotated, seedRequest); r.status != http.StatusUnauthorized {
		t.Errorf("revoked key: status %d, want 401", r.status)
	}
	if resp, _ := p.postForm(admin, "/admin/api-keys/"+keyID+"/rotate", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("rotating a revoked key: %d, want 409", resp.StatusCode)
	}

	for _, action := range []string{store.AuditAPIKeyCreated, store.AuditAPIKeyRotated, store.AuditAPIKeyRevoked} {
		entries := p.audit("", action)
		if len(entries) != 1 || entries[0].OfficerEmail != "admin@example.com" {
			t.Errorf("audit %s: %+v", action, entries)
		}
	}
}

func TestAdminCreateAPIKeyRefusals(t *testing.T) {
	p := newAdminPortal(t)
	admin := p.officer("admin@example.com", lending.RoleAdmin)
	for _, tenant := range []string{"", "   ", "has spaces", strings.Repeat("x", 65)} {
		resp, body := p.postForm(admin, "/admin/api-keys", url.Values{"tenant": {tenant}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("tenant %q: %d, want 422", tenant, resp.StatusCode)
		}
		if msg := doc(t, body).Find(`[data-testid="field-error-tenant"]`).Text(); msg == "" {
			t.Errorf("tenant %q: no field error", tenant)
		}
		if revealedSecret(t, body) != "" {
			t.Errorf("tenant %q: a key was shown", tenant)
		}
	}
	// A cross-site form post is refused before it can create a key.
	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/admin/api-keys", strings.NewReader("tenant=evil"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site create: %d, want 403", resp.StatusCode)
	}
	if keys, _ := p.store.APIKeys(context.Background()); len(keys) != 0 {
		t.Errorf("%d keys created by refused requests", len(keys))
	}
	if resp, _ := p.postForm(admin, "/admin/api-keys/nope/rotate", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("rotating an unknown key: %d, want 404", resp.StatusCode)
	}
}
