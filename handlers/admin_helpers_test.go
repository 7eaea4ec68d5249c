package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// adminPortal is the test portal with a clock the test moves, shared by the
// handlers and the store (sessions expire on the store's clock).
type adminPortal struct {
	*testPortal
	clock *fakeClock
}

const admPassword = "correct horse battery"

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newAdminPortal(t testing.TB, opts ...func(*Config)) *adminPortal {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	p := newTestPortal(t, append([]func(*Config){func(c *Config) { c.Now = clock.now }}, opts...)...)
	p.store.SetClock(clock.now)
	return &adminPortal{testPortal: p, clock: clock}
}

// officer creates an officer account and returns a browser signed in as it.
func (p *adminPortal) officer(email string, role lending.OfficerRole) *http.Client {
	p.t.Helper()
	if _, err := p.store.CreateOfficer(context.Background(), store.NewOfficer{Email: email, Role: role, Password: admPassword}); err != nil {
		p.t.Fatal(err)
	}
	client := newBrowserClient()
	if resp := p.signIn(client, email, admPassword); resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("sign in %s: %d", email, resp.StatusCode)
	}
	return client
}

func (p *adminPortal) signIn(client *http.Client, email, password string) *http.Response {
	p.t.Helper()
	resp, _ := p.postForm(client, "/admin/signin", url.Values{"email": {email}, "password": {password}, "next": {"/admin/applications"}})
	return resp
}

// cookie returns the officer cookie the client holds ("" when none).
func (p *adminPortal) cookie(client *http.Client) string {
	u, _ := url.Parse(p.srv.URL + "/admin/")
	for _, c := range client.Jar.Cookies(u) {
		if c.Name == officerCookie {
			return c.Value
		}
	}
	return ""
}

var admSeq atomic.Int64

// admApplicant is a valid applicant with a unique email and SSN.
func admApplicant() lending.Applicant {
	n := admSeq.Add(1)
	return lending.Applicant{
		RequestedAmount: 15000_00, LoanPurpose: "debt_consolidation",
		FirstName: "Alex", LastName: fmt.Sprintf("Rivera%d", n), Email: fmt.Sprintf("alex%d@example.com", n), Phone: "2025550143",
		DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), SSN: fmt.Sprintf("%09d", 300000000+n),
		Street: "1 Main St", City: "Springfield", State: "IL", Zipcode: "62701",
		EmploymentStatus: "employed", IncomeYearly: 85000_00, HousingType: "rent",
		HousingMonthly: 1400_00, CreditRating: "good",
	}
}

// create stores an application as the borrower form would.
func (p *adminPortal) create(a lending.Applicant, isTest bool) lending.Application {
	p.t.Helper()
	n := admSeq.Add(1)
	app, _, err := p.store.CreateApplication(context.Background(), store.NewApplication{SessionID: "borrower-session",
		IdempotencyKey: store.NewID(), IsTest: isTest, Applicant: a, ClientIP: fmt.Sprintf("198.51.%d.%d", n/250, n%250),
		UserAgent: "Borrower Browser/1.0", LeadTimeout: 2 * time.Minute})
	if err != nil {
		p.t.Fatal(err)
	}
	return app
}

// submitted stores an application and records its lead as the worker would.
func (p *adminPortal) submitted(a lending.Applicant) (lending.Application, string) {
	p.t.Helper()
	app := p.create(a, false)
	ctx := context.Background()
	job, err := p.store.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != app.ID {
		p.t.Fatalf("claim: %+v %v", job, err)
	}
	uuid := "lead-" + app.ID
	if err := p.store.RecordLeadCreated(ctx, store.LeadCreated{Job: job, Attempt: 1, UUID: uuid, Status: lending.LeadCreated,
		Deadline: p.clock.now().Add(2 * time.Minute), FirstPoll: p.clock.now().Add(time.Minute)}); err != nil {
		p.t.Fatal(err)
	}
	return app, uuid
}

// held stores an application that screening holds for review (its SSN was
// seen before under another name).
func (p *adminPortal) held() lending.Application {
	p.t.Helper()
	first := admApplicant()
	p.create(first, false)
	second := admApplicant()
	second.SSN = first.SSN
	app := p.create(second, false)
	if app.Review.Status != lending.ReviewManualReview {
		p.t.Fatalf("not held: %s", app.Review.Status)
	}
	return app
}

func (p *adminPortal) app(id string) lending.Application {
	p.t.Helper()
	app, err := p.store.Application(context.Background(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	return app
}

func (p *adminPortal) audit(appID, action string) []store.AuditEntry {
	p.t.Helper()
	entries, err := p.store.AuditLog(context.Background(), store.AuditFilter{ApplicationID: appID, Action: action})
	if err != nil {
		p.t.Fatal(err)
	}
	return entries
}

func (p *adminPortal) lastEvent(appID string) lending.Event {
	p.t.Helper()
	events, err := p.store.Events(context.Background(), appID)
	if err != nil || len(events) == 0 {
		p.t.Fatalf("events: %v", err)
	}
	return events[len(events)-1]
}

// htmxGet fetches path as htmx would.
func (p *adminPortal) htmxGet(client *http.Client, path string) (*http.Response, string) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
