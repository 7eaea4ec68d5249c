package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

func (p *testPortal) mailKinds(id string) []lending.MailKind {
	p.t.Helper()
	mails, err := p.store.Mails(context.Background(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	var kinds []lending.MailKind
	for _, m := range mails {
		kinds = append(kinds, m.Kind)
	}
	return kinds
}

func TestHomePageOffersToSendALink(t *testing.T) {
	p := newTestPortal(t)
	resp, body := p.get(newBrowserClient(), "/")
	d := doc(t, body)
	form := d.Find(`[data-testid="resume-request-form"]`)
	if resp.StatusCode != http.StatusOK || form.Length() != 1 || form.AttrOr("action", "") != "/resume" ||
		form.Find(`input[name="email"][type="email"]`).Length() != 1 || d.Find(`label[for="resume-email"]`).Length() != 1 {
		t.Fatalf("home page: %d, form %d", resp.StatusCode, form.Length())
	}
}

// The answer to "Send me a link" is the same page for an address with
// applications and one without: only the echoed address differs. Only the
// known address gets an email.
func TestSendMeALinkAnswersTheSameForKnownAndUnknownAddresses(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("known@example.com"))

	ask := func(addr string) (int, string) {
		resp, body := p.postForm(newBrowserClient(), "/resume", url.Values{"email": {addr}})
		return resp.StatusCode, strings.ReplaceAll(body, addr, "ADDRESS")
	}
	knownCode, known := ask("known@example.com")
	unknownCode, unknown := ask("unknown@example.com")
	if knownCode != http.StatusOK || unknownCode != http.StatusOK {
		t.Fatalf("statuses %d and %d", knownCode, unknownCode)
	}
	if known != unknown {
		t.Errorf("the answers differ:\nknown:   %s\nunknown: %s", known, unknown)
	}
	if doc(t, known).Find(`[data-testid="resume-request-sent"]`).Length() != 1 {
		t.Error("no confirmation")
	}
	if kinds := p.mailKinds(id); len(kinds) != 2 || kinds[1] != lending.MailResumeLink {
		t.Errorf("emails %v, want received and a resume link", kinds)
	}

	// Over the address limit the answer is still the same, and nothing more is sent.
	for range lending.MaxResumeLinkRequestsPerAddress {
		if code, body := ask("known@example.com"); code != http.StatusOK || body != known {
			t.Errorf("a request over the address limit answered differently (%d)", code)
		}
	}
	if kinds := p.mailKinds(id); len(kinds) != 1+lending.MaxResumeLinkRequestsPerAddress {
		t.Errorf("%d emails, want %d", len(kinds), 1+lending.MaxResumeLinkRequestsPerAddress)
	}

	// An unusable address is an error on the form, input kept.
	resp, body := p.postForm(newBrowserClient(), "/resume", url.Values{"email": {"not-an-address"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="not-an-address"`) ||
		doc(t, body).Find(`#resume-email-error`).Text() == "" {
		t.Errorf("invalid address: %d", resp.StatusCode)
	}
}

func TestSendMeALinkIsThrottledPerIP(t *testing.T) {
	p := newTestPortal(t)
	for i := range lending.MaxResumeLinkRequestsPerIP - 1 {
		if resp, _ := p.postForm(newBrowserClient(), "/resume", url.Values{"email": {fmt.Sprintf("n%d@example.com", i)}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	if resp, _ := p.postForm(newBrowserClient(), "/resume", url.Values{"email": {"last@example.com"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("the %dth request: %d", lending.MaxResumeLinkRequestsPerIP, resp.StatusCode)
	}
	resp, body := p.postForm(newBrowserClient(), "/resume", url.Values{"email": {"one.more@example.com"}})
	if resp.StatusCode != http.StatusTooManyRequests || doc(t, body).Find(`[data-testid="resume-request-limited"]`).Length() != 1 {
		t.Errorf("over the IP limit: %d", resp.StatusCode)
	}
}

func TestResumeLinkOpensTheApplicationInAnotherBrowser(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("ann@example.com"))
	token, err := p.store.IssueResumeToken(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	phone := newBrowserClient()
	if resp, _ := p.get(phone, "/applications/"+id); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another browser sees the application before resuming: %d", resp.StatusCode)
	}

	// Opening the link shows what it opens and spends nothing.
	for range 2 {
		resp, body := p.get(phone, "/resume/"+token)
		if resp.StatusCode != http.StatusOK || doc(t, body).Find(`[data-testid="resume-continue"]`).Length() != 1 ||
			!strings.Contains(body, "$15,000") {
			t.Fatalf("GET the link: %d", resp.StatusCode)
		}
		if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
			t.Errorf("Referrer-Policy %q", rp)
		}
	}
	resp, _ := p.postForm(phone, "/resume/"+token, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/applications/"+id {
		t.Fatalf("POST the link: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := p.get(phone, "/applications/"+id); resp.StatusCode != http.StatusOK {
		t.Errorf("the resumed browser: %d", resp.StatusCode)
	}
	if resp, _ := p.get(phone, "/applications/"+id+"/status"); resp.StatusCode >= 400 {
		t.Errorf("the resumed browser's poll: %d", resp.StatusCode)
	}
	if _, body := p.get(phone, "/"); !strings.Contains(body, "/applications/"+id) {
		t.Error("the resumed browser's home page does not list the application")
	}
	if resp, _ := p.get(p.client, "/applications/"+id); resp.StatusCode != http.StatusOK {
		t.Errorf("the first browser lost the application: %d", resp.StatusCode)
	}

	// Spent: refused, with a page offering a new link.
	laptop := newBrowserClient()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		var resp *http.Response
		var body string
		if method == http.MethodGet {
			resp, body = p.get(laptop, "/resume/"+token)
		} else {
			resp, body = p.postForm(laptop, "/resume/"+token, nil)
		}
		d := doc(t, body)
		if resp.StatusCode != http.StatusGone || d.Find(`[data-testid="resume-refused"]`).AttrOr("data-reason", "") != "spent" ||
			d.Find(`[data-testid="resume-request-form"]`).Length() != 1 {
			t.Errorf("%s a spent link: %d", method, resp.StatusCode)
		}
	}
	if resp, _ := p.get(laptop, "/applications/"+id); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a spent link opened the application: %d", resp.StatusCode)
	}

	// Expired and forged links.
	fresh, _ := p.store.IssueResumeToken(context.Background(), id)
	p.store.SetClock(func() time.Time { return time.Now().Add(lending.ResumeTokenTTL + time.Minute) })
	defer p.store.SetClock(time.Now)
	for link, want := range map[string]struct {
		code   int
		reason string
	}{
		fresh:                        {http.StatusGone, "expired"},
		"nonsense":                   {http.StatusNotFound, "invalid"},
		fresh[:len(fresh)-3] + "AAA": {http.StatusNotFound, "invalid"},
		strings.Repeat("a", 500):     {http.StatusNotFound, "invalid"},
	} {
		resp, body := p.postForm(laptop, "/resume/"+link, nil)
		if resp.StatusCode != want.code || doc(t, body).Find(`[data-testid="resume-refused"]`).AttrOr("data-reason", "") != want.reason {
			t.Errorf("link %.20s…: %d, want %d %s", link, resp.StatusCode, want.code, want.reason)
		}
	}
}
