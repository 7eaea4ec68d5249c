package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
	"prequal/views"
)

// testCSS stands in for the site's stylesheet, which every page carries inline.
const testCSS = "body { margin: 0; }"

// testPortal is the handlers on a real SQLite file behind a real HTTP server.
type testPortal struct {
	t      testing.TB
	srv    *httptest.Server
	store  *store.Store
	cfg    Config
	client *http.Client // keeps cookies: one borrower session
}

// newTestPortal starts the handlers; mutate the Config with opts.
func newTestPortal(t testing.TB, opts ...func(*Config)) *testPortal {
	t.Helper()
	key := make([]byte, store.DataKeySize)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "portal.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	sessionKey := []byte(strings.Repeat("k", 32))
	cfg := Config{
		Site:           views.Site{Stage: true, CSS: testCSS, CSSURL: "/static/app.css"},
		Static:         http.NotFoundHandler(),
		SessionKeys:    [][]byte{sessionKey, sessionKey},
		LeadTimeout:    2 * time.Minute,
		CallbackToken:  "test-callback-token-0123456789",
		PublicHost:     "example.com", // httptest.NewRequest's host; the test server is on loopback
		WebhookSecrets: []platform.WebhookSecret{platform.NewWebhookSecret()},
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.Production && cfg.PublicHost == "example.com" {
		cfg.PublicHost = "127.0.0.1" // production answers only its public host: here, the test server's
	}
	e, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &testPortal{t: t, srv: srv, store: st, cfg: cfg, client: newBrowserClient()}
}

// newBrowserClient is an HTTP client with its own cookie jar that does not follow redirects.
func newBrowserClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get fetches path with client and returns the response and its body.
func (p *testPortal) get(client *http.Client, path string) (*http.Response, string) {
	p.t.Helper()
	resp, err := client.Get(p.srv.URL + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// postForm posts a form as a same-origin browser would.
func (p *testPortal) postForm(client *http.Client, path string, form url.Values, header ...string) (*http.Response, string) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return p.send(client, req, header...)
}

// send sets header's name/value pairs on req, sends it with client and
// returns the response and its body.
func (p *testPortal) send(client *http.Client, req *http.Request, header ...string) (*http.Response, string) {
	p.t.Helper()
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var idempotencyInput = regexp.MustCompile(`name="idempotencyKey" value="([a-z2-7]{26})"`)

// startForm opens /apply with client and returns the form's idempotency key.
func (p *testPortal) startForm(client *http.Client) string {
	p.t.Helper()
	resp, body := p.get(client, "/apply")
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("GET /apply: %d", resp.StatusCode)
	}
	m := idempotencyInput.FindStringSubmatch(body)
	if m == nil {
		p.t.Fatal("no idempotency key in the form")
	}
	return m[1]
}

// submit fills and posts the form with client; it returns the application id.
func (p *testPortal) submit(client *http.Client, form url.Values) string {
	p.t.Helper()
	if form.Get(lending.FieldIdempotencyKey) == "" {
		form.Set(lending.FieldIdempotencyKey, p.startForm(client))
	}
	resp, body := p.postForm(client, "/apply", form)
	if resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("POST /apply: %d\n%s", resp.StatusCode, body)
	}
	id, ok := strings.CutPrefix(resp.Header.Get("Location"), "/applications/")
	if !ok {
		p.t.Fatalf("Location %q", resp.Header.Get("Location"))
	}
	return id
}

// validFormValues is a complete valid application; vary the email for screening.
func validFormValues(email string) url.Values {
	return url.Values{
		"requestedLoanAmount": {"15000"}, "loanPurpose": {"debt_consolidation"},
		"firstName": {"Alex"}, "lastName": {"Rivera"}, "email": {email},
		"phone": {"202-555-0143"}, "dob": {"1990-04-12"}, "ssn": {"123-45-6789"},
		"street": {"1 Main St"}, "city": {"Springfield"}, "state": {"IL"}, "zipcode": {"62701"},
		"employmentStatus": {"employed"}, "incomeYearly": {"85000"}, "housingType": {"rent"},
		"housingMonthlyPayment": {"1400"}, "creditRating": {"good"},
		"consentSoftPull": {"yes"}, "consentTerms": {"yes"}, "consentEsign": {"yes"},
	}
}
