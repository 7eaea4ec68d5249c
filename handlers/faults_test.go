package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"prequal/lending"
)

// internals are words that would mean an error's text reached the borrower.
var internals = []string{"sql", "SQLITE", "sqlite", "store.", "database is closed", "goroutine", "panic", ".go:", "ErrClosed"}

// assertFriendly500 checks a 500 is the portal's own page, saying nothing of why.
func assertFriendly500(t *testing.T, what string, resp *http.Response, body string) {
	t.Helper()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("%s: status %d, want 500", what, resp.StatusCode)
	}
	if !strings.Contains(body, "Something went wrong on our side") || !strings.Contains(body, "<html") {
		t.Errorf("%s: not the friendly error page:\n%.600s", what, body)
	}
	for _, w := range internals {
		if strings.Contains(body, w) {
			t.Errorf("%s: the page shows %q:\n%.600s", what, w, body)
		}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
}

// A database that fails under the portal (here: closed, as when the disk or the
// file goes away) gives every borrower path the friendly 500 page — with and
// without htmx — never the error itself, and the server keeps answering.
func TestDatabaseFailureGivesTheFriendlyErrorPage(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("before@example.com"))
	key := p.startForm(p.client)
	if err := p.store.Close(); err != nil {
		t.Fatal(err)
	}

	form := validFormValues("during@example.com")
	form.Set(lending.FieldIdempotencyKey, key)
	resp, body := p.postForm(p.client, "/apply", form)
	assertFriendly500(t, "submit", resp, body)
	resp, body = p.postForm(p.client, "/apply", form, "HX-Request", "true")
	assertFriendly500(t, "submit by htmx", resp, body)
	resp, body = p.get(p.client, "/applications/"+id)
	assertFriendly500(t, "application page", resp, body)
	resp, body = p.get(p.client, "/applications/"+id+"/status")
	assertFriendly500(t, "status poll", resp, body)
	resp, body = p.get(p.client, "/")
	assertFriendly500(t, "home with a session", resp, body)

	// The form itself needs no database: a borrower can still start one.
	if resp, _ := p.get(newBrowserClient(), "/apply"); resp.StatusCode != http.StatusOK {
		t.Errorf("the form: %d", resp.StatusCode)
	}
	if resp, _ := p.get(newBrowserClient(), "/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz: %d, want 200 (the process is alive)", resp.StatusCode)
	}
	if resp, body := p.get(newBrowserClient(), "/readyz"); resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, "closed") {
		t.Errorf("readyz: %d %q, want 503 without details", resp.StatusCode, body)
	}
	// Officers' and partners' paths fail the same way.
	resp, body = p.postForm(newBrowserClient(), "/admin/signin", url.Values{"email": {"a@b.example"}, "password": {"whatever whatever"}})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("sign-in: %d", resp.StatusCode)
	}
	for _, w := range internals {
		if strings.Contains(body, w) {
			t.Errorf("sign-in page shows %q", w)
		}
	}
}
