package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"prequal/views"
)

func doc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestApplyFormHasEveryFieldLabelled(t *testing.T) {
	p := newTestPortal(t)
	resp, body := p.get(p.client, "/apply")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	d := doc(t, body)
	if d.Find(`form[data-testid="apply-form"]`).Length() != 1 {
		t.Fatal("no apply-form")
	}
	for _, name := range []string{"requestedLoanAmount", "loanPurpose", "firstName", "lastName", "email", "phone", "dob", "ssn",
		"street", "unit", "city", "state", "zipcode", "employmentStatus", "incomeYearly", "housingType", "housingMonthlyPayment",
		"consentSoftPull", "consentTerms", "consentEsign", "consentTcpa"} {
		input := d.Find(`[name="` + name + `"]`)
		if input.Length() != 1 {
			t.Errorf("%s: %d inputs", name, input.Length())
			continue
		}
		id, _ := input.Attr("id")
		if d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("%s: no label", name)
		}
		if db, _ := input.Attr("aria-describedby"); !strings.Contains(db, name+"-error") {
			t.Errorf("%s: aria-describedby %q does not name its error region", name, db)
		}
	}
	if _, ticked := d.Find(`[name="consentTcpa"]`).Attr("checked"); ticked {
		t.Error("TCPA consent is ticked by default")
	}
	if d.Find(`input[name="creditRating"][type="radio"]`).Length() != 4 {
		t.Error("credit rating radios missing")
	}
	if d.Find(`script:not([src])`).Length() != 0 {
		t.Error("inline script on the page")
	}
}

func TestInvalidSubmitRerendersWithErrorsAndInput(t *testing.T) {
	p := newTestPortal(t)
	form := validFormValues("alex@example.com")
	form.Set("idempotencyKey", p.startForm(p.client))
	form.Set("requestedLoanAmount", "999")
	form.Set("dob", "2010-01-01")
	form.Set("zipcode", "12")
	form.Del("consentTerms")
	resp, body := p.postForm(p.client, "/apply", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", resp.StatusCode)
	}
	d := doc(t, body)
	for _, f := range []string{"requestedLoanAmount", "dob", "zipcode", "consentTerms"} {
		msg := d.Find(`[data-testid="field-error-` + f + `"]`)
		if strings.TrimSpace(msg.Text()) == "" {
			t.Errorf("no error shown for %s", f)
		}
		if inv, _ := d.Find(`#` + f).Attr("aria-invalid"); inv != "true" {
			t.Errorf("%s not aria-invalid", f)
		}
	}
	if d.Find(`[data-testid="field-error-email"]`).Length() != 0 {
		t.Error("valid email shows an error")
	}
	if v, _ := d.Find(`#firstName`).Attr("value"); v != "Alex" {
		t.Errorf("first name not kept: %q", v)
	}
	if v, _ := d.Find(`#requestedLoanAmount`).Attr("value"); v != "999" {
		t.Errorf("amount not kept: %q", v)
	}
	if strings.Contains(body, "123-45-6789") || strings.Contains(body, "123456789") {
		t.Error("the SSN is echoed back")
	}
	if v, _ := d.Find(`input[name="idempotencyKey"]`).Attr("value"); v != form.Get("idempotencyKey") {
		t.Error("idempotency key changed on re-render")
	}
	var n int
	apps, _ := p.store.ApplicationsForSession(context.Background(), "x", 1)
	n = len(apps)
	if n != 0 {
		t.Error("an invalid form stored an application")
	}
}

func TestValidateEndpointRendersOneField(t *testing.T) {
	p := newTestPortal(t)
	p.startForm(p.client)
	tests := []struct {
		field, value, want string
	}{
		{"email", "nope", "Enter an email address"},
		{"email", "a@example.com", ""},
		{"requestedLoanAmount", "100001", "Choose an amount"},
		{"ssn", "000-12-3456", "valid Social Security number"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			resp, body := p.postForm(p.client, "/apply/validate", url.Values{"field": {tt.field}, tt.field: {tt.value}}, "HX-Request", "true")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			d := doc(t, body)
			region := d.Find(`#` + tt.field + `-error`)
			if region.Length() != 1 {
				t.Fatalf("no message region in %q", body)
			}
			got := strings.TrimSpace(region.Find(`[data-testid="field-error-` + tt.field + `"]`).Text())
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Errorf("message %q, want containing %q", got, tt.want)
			}
			if strings.Contains(body, "000-12-3456") {
				t.Error("validate echoed the SSN")
			}
		})
	}
	resp, _ := p.postForm(p.client, "/apply/validate", url.Values{"field": {"password"}}, "HX-Request", "true")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown field: %d", resp.StatusCode)
	}
}

func TestSubmitIsIdempotent(t *testing.T) {
	p := newTestPortal(t)
	form := validFormValues("alex@example.com")
	form.Set("idempotencyKey", p.startForm(p.client))
	first := p.submit(p.client, form)
	resp, _ := p.postForm(p.client, "/apply", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/applications/"+first {
		t.Fatalf("resend: %d %s, want 303 to the first application", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sessionApps int
	resp, body := p.get(p.client, "/")
	sessionApps = strings.Count(body, "/applications/")
	if resp.StatusCode != http.StatusOK || sessionApps != 1 {
		t.Fatalf("home lists %d applications, want 1", sessionApps)
	}
}

func TestCrossSiteSubmitIsRefused(t *testing.T) {
	p := newTestPortal(t)
	form := validFormValues("alex@example.com")
	form.Set("idempotencyKey", p.startForm(p.client))
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/apply", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(h[0], h[1])
		resp, err := p.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %s → %d, want 403", h[0], h[1], resp.StatusCode)
		}
	}
	if apps, _ := p.store.ApplicationsForSession(context.Background(), "", 10); len(apps) != 0 {
		t.Error("a refused request stored an application")
	}
}

func TestApplicationBelongsToItsSession(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	resp, body := p.get(p.client, "/applications/"+id)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("own application: %d", resp.StatusCode)
	}
	d := doc(t, body)
	if got := d.Find(`[data-testid="application-status"]`).AttrOr("data-status", ""); got != "created" {
		t.Errorf("application-status %q, want created", got)
	}
	if d.Find(`[data-testid="checking-rates"]`).Length() != 1 {
		t.Error("no checking-rates frame")
	}
	other := newBrowserClient()
	for _, c := range []*http.Client{other, {CheckRedirect: p.client.CheckRedirect}} {
		resp, _ := p.get(c, "/applications/"+id)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("another session got %d, want 404", resp.StatusCode)
		}
	}
	p.get(other, "/apply") // a session of its own still can't see it
	if resp, _ := p.get(other, "/applications/"+id); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another session got %d, want 404", resp.StatusCode)
	}
	if resp, _ := p.get(p.client, "/applications/not-an-id"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("malformed id: %d", resp.StatusCode)
	}
}

func TestSecurityHeaders(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	for _, path := range []string{"/", "/apply", "/applications/" + id, "/no-such-page"} {
		resp, body := p.get(p.client, path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff/referrer-policy missing", path)
		}
		if h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, h.Get("Cache-Control"))
		}
		if path == "/no-such-page" && (resp.StatusCode != 404 || !strings.Contains(body, "Page not found")) {
			t.Errorf("404 page: %d", resp.StatusCode)
		}
	}
	resp, body := p.get(p.client, "/apply")
	for _, c := range resp.Cookies() {
		t.Errorf("GET /apply set the session cookie again: %v", c.Name)
	}
	// A page without scripts carries the stylesheet inline, which the CSP
	// allows by its hash and by nothing looser.
	resp, body = p.get(p.client, "/")
	if !strings.Contains(body, "<style>"+testCSS+"</style>") {
		t.Errorf("/ does not carry the stylesheet inline")
	}
	sum := sha256.Sum256([]byte(testCSS))
	csp := resp.Header.Get("Content-Security-Policy")
	if want := "style-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"; !strings.Contains(csp, want) || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q, want %q", csp, want)
	}
}

func TestInlineCSSThatWouldEndItsElementIsRefused(t *testing.T) {
	cfg := Config{Site: views.Site{CSS: "p { color: red } </STYLE><script>alert(1)</script>"}, SessionKeys: [][]byte{make([]byte, 32), make([]byte, 32)}}
	if _, err := New(cfg, nil); err == nil {
		t.Error("New took a stylesheet that ends its <style> element")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	p := newTestPortal(t)
	resp, _ := p.get(newBrowserClient(), "/apply")
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name != borrowerCookie {
			continue
		}
		found = true
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0 || c.MaxAge > 7*24*3600 {
			t.Errorf("cookie attributes: %+v", c)
		}
		if c.Secure {
			t.Error("Secure cookie in stage over http")
		}
	}
	if !found {
		t.Fatal("no borrower cookie")
	}
	prod := newTestPortal(t, func(c *Config) { c.Production = true })
	resp, _ = prod.get(newBrowserClient(), "/apply")
	for _, c := range resp.Cookies() {
		if c.Name == borrowerCookie && !c.Secure {
			t.Error("production cookie is not Secure")
		}
	}
}

func TestHealthAndReadiness(t *testing.T) {
	p := newTestPortal(t)
	if resp, _ := p.get(p.client, "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	if resp, _ := p.get(p.client, "/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz %d", resp.StatusCode)
	}
	p.store.Close()
	if resp, _ := p.get(p.client, "/readyz"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d", resp.StatusCode)
	}
}

func TestMetricsCountsApplicationsWithoutPII(t *testing.T) {
	p := newTestPortal(t)
	p.submit(p.client, validFormValues("alex@example.com"))
	resp, body := p.get(p.client, "/metrics")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`portal_applications{lead_status="created"} 1`, `portal_applications_review{review_status="Pending"} 1`, `portal_mail_outbox{status="queued"} 1`, `portal_mail_outbox{status="sent"} 0`, "portal_goroutines "} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	for _, pii := range []string{"alex@example.com", "Rivera", "6789"} {
		if strings.Contains(body, pii) {
			t.Errorf("/metrics contains %q", pii)
		}
	}
}
