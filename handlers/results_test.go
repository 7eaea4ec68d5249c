package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// leadFor takes the application's submit job and records a lead for it, as the
// worker does after the platform accepted the submission.
func (p *testPortal) leadFor(appID string) string {
	p.t.Helper()
	ctx := context.Background()
	job, err := p.store.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != appID {
		p.t.Fatalf("claim: %+v %v", job, err)
	}
	uuid := "lead-" + appID
	if err := p.store.RecordLeadCreated(ctx, store.LeadCreated{Job: job, Attempt: 1, UUID: uuid,
		Status: lending.LeadCreated, Deadline: time.Now().Add(p.cfg.LeadTimeout), FirstPoll: time.Now().Add(time.Minute)}); err != nil {
		p.t.Fatal(err)
	}
	return uuid
}

// update applies a platform update to the application's lead.
func (p *testPortal) update(uuid string, status lending.LeadStatus, offers []lending.Offer, notice *string) {
	p.t.Helper()
	if _, err := p.store.ApplyLeadUpdate(context.Background(), store.LeadUpdate{LeadReport: lending.LeadReport{UUID: uuid, Status: status, Offers: offers, AdverseActionNotice: notice},
		Source: lending.SourcePoller}); err != nil {
		p.t.Fatal(err)
	}
}

func testOffers(lenderURL string) []lending.Offer {
	mk := func(id, lender string, r lending.AmountRange, amount lending.Cents, apr lending.BasisPoints, months int) lending.Offer {
		return lending.Offer{ProductID: id, LenderName: lender, AmountRange: r, LoanAmount: amount, TermMonths: months,
			APR: apr, InterestRate: apr - 100, MonthlyPayment: 400_00, TotalRepayment: 400_00 * lending.Cents(months),
			TotalInterest: 400_00*lending.Cents(months) - amount, OriginationFee: 100_00,
			LenderOfferURL: lenderURL + id, Disclaimer: "Rates subject to verification."}
	}
	return []lending.Offer{
		mk("p-req-1", "Acme Lending", lending.RangeRequested, 15000_00, 1299, 36),
		mk("p-req-2", "Birch Bank", lending.RangeRequested, 15000_00, 999, 60),
		mk("p-low-1", "Cedar Credit", lending.RangeLower, 11000_00, 1499, 36),
	}
}

func TestStatusPollIntervalAndStop(t *testing.T) {
	clock := time.Now()
	p := newTestPortal(t, func(c *Config) { c.Now = func() time.Time { return clock } })
	id := p.submit(p.client, validFormValues("alex@example.com"))
	app, err := p.store.Application(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	now := app.CreatedAt

	for _, tt := range []struct {
		after time.Duration
		delay string
	}{
		{0, "load delay:2000ms"},
		{29 * time.Second, "load delay:2000ms"},
		{45 * time.Second, "load delay:5000ms"},
		{90 * time.Second, "load delay:10000ms"},
	} {
		clock = now.Add(tt.after)
		resp, body := p.get(p.client, "/applications/"+id+"/status")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("after %v: %d", tt.after, resp.StatusCode)
		}
		d := doc(t, body)
		trig, _ := d.Find(`#status-poll`).Attr("hx-trigger")
		if trig != tt.delay {
			t.Errorf("after %v: hx-trigger %q, want %q", tt.after, trig, tt.delay)
		}
		if d.Find(`[data-testid="application-status"]`).AttrOr("data-status", "") != "created" {
			t.Errorf("status text %q", d.Find(`[data-testid="application-status"]`).AttrOr("data-status", ""))
		}
	}
	clock = now
	_, body := p.get(p.client, "/applications/"+id)
	if !strings.Contains(body, `http-equiv="refresh" content="2; url=/applications/`+id) {
		t.Error("no <meta refresh> for browsers without JavaScript")
	}

	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadFindingProducts, nil, nil)
	_, body = p.get(p.client, "/applications/"+id+"/status")
	if d := doc(t, body); d.Find(`li.current`).Text() != "Finding your offers (in progress)" {
		t.Errorf("current step %q", d.Find(`li.current`).Text())
	}

	p.update(uuid, lending.LeadOffersFound, testOffers("https://lender.example/"), nil)
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/applications/"+id+"/status", nil)
	req.Header.Set("HX-Request", "true")
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 286 || resp.Header.Get("HX-Redirect") != "/applications/"+id {
		t.Errorf("terminal poll (htmx): %d HX-Redirect %q, want 286 to the page", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
	resp, _ = p.get(p.client, "/applications/"+id+"/status")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("terminal poll (plain): %d, want 303", resp.StatusCode)
	}
	resp, _ = p.get(p.client, "/applications/"+id+"/status?seen=offers_found")
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("poll of an outcome already shown: %d, want 204", resp.StatusCode)
	}
}

func TestOffersPageGroupsAndSorts(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, testOffers("https://lender.example/"), nil)

	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`[data-testid="application-status"]`).AttrOr("data-status", "") != "offers_found" {
		t.Fatal("status not offers_found")
	}
	sections := d.Find(`section[data-testid^="offer-range-"]`)
	if sections.Length() != 2 {
		t.Fatalf("%d range sections", sections.Length())
	}
	if first, _ := sections.First().Attr("data-testid"); first != "offer-range-requested" {
		t.Errorf("first range %q", first)
	}
	if d.Find(`[data-testid="range-fallback-note"]`).Length() != 0 {
		t.Error("fallback note with offers in the requested range")
	}
	aprs := d.Find(`[data-testid="offer-range-requested"] [data-testid="offer-apr"]`)
	if aprs.First().Text() != "9.99%" {
		t.Errorf("default sort by APR: first %q", aprs.First().Text())
	}
	_, body = p.get(p.client, "/applications/"+id+"?sort=term")
	d = doc(t, body)
	if got := d.Find(`[data-testid="offer-range-requested"] [data-testid="offer-term"]`).First().Text(); got != "36 months" {
		t.Errorf("sort by term: first %q", got)
	}
	for _, tid := range []string{"offer-card", "offer-lender", "offer-apr", "offer-monthly-payment", "offer-term", "offer-select"} {
		if d.Find(`[data-testid="`+tid+`"]`).Length() != 3 {
			t.Errorf("%s: %d, want 3", tid, d.Find(`[data-testid="`+tid+`"]`).Length())
		}
	}
}

func TestLowerOnlyOffersShowTheFallbackNote(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, testOffers("https://lender.example/")[2:], nil)
	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`[data-testid="range-fallback-note"]`).Length() != 1 || d.Find(`[data-testid="offer-range-lower"]`).Length() != 1 {
		t.Fatal("lower-only offers: no fallback note or no lower range")
	}
}

func TestSelectOfferRedirectsLocksAndIsIdempotent(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, testOffers("https://lender.example/offer/"), nil)

	sel := func(c *http.Client, product string, extra ...string) *http.Response {
		form := map[string][]string{"lenderOfferUrl": {"https://evil.example/phish"}}
		resp, _ := p.postForm(c, "/applications/"+id+"/offers/"+product+"/select", form, extra...)
		return resp
	}
	resp := sel(p.client, "p-req-2")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://lender.example/offer/p-req-2" {
		t.Fatalf("select: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	app, _ := p.store.Application(context.Background(), id)
	if app.Lead.Status != lending.LeadProductSelected || app.Lead.SelectedProductID != "p-req-2" {
		t.Fatalf("after select: %s %q", app.Lead.Status, app.Lead.SelectedProductID)
	}
	resp = sel(p.client, "p-req-2")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://lender.example/offer/p-req-2" {
		t.Errorf("same offer again: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp = sel(p.client, "p-req-1"); resp.StatusCode != http.StatusConflict {
		t.Errorf("another offer after a selection: %d, want 409", resp.StatusCode)
	}
	if resp = sel(p.client, "p-nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a product never offered: %d, want 404", resp.StatusCode)
	}
	if resp = sel(newBrowserClient(), "p-req-2"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another session: %d, want 404", resp.StatusCode)
	}
	events, _ := p.store.Events(context.Background(), id)
	n := 0
	for _, e := range events {
		if e.Kind == lending.EventOfferSelected {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d offer_selected events, want 1", n)
	}
	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`[data-testid="selected-offer"]`).Length() != 1 {
		t.Error("no selected-offer")
	}
	if d.Find(`button[data-testid="offer-select"][disabled]`).Length() != 2 {
		t.Errorf("%d locked offers, want 2", d.Find(`button[data-testid="offer-select"][disabled]`).Length())
	}
}

func TestSelectRefusesURLsThatAreNotAllowed(t *testing.T) {
	p := newTestPortal(t, func(c *Config) { c.StageLenderPrefix = "http://127.0.0.1:1/sandbox/lenders/" })
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, testOffers("http://plain.example/"), nil)
	resp, _ := p.postForm(p.client, "/applications/"+id+"/offers/p-req-1/select", nil)
	if resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Location") != "" {
		t.Errorf("plain-http lender URL: %d → %q, want a refusal", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestNoOffersShowsTheSanitizedNotice(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	uuid := p.leadFor(id)
	notice := `<h2>Notice</h2><p>Reason: income</p><script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a><div hx-get="/x">y</div>`
	p.update(uuid, lending.LeadNoOffers, nil, &notice)
	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`[data-testid="no-offers"]`).Length() != 1 {
		t.Fatal("no no-offers section")
	}
	n := d.Find(`[data-testid="adverse-action-notice"]`)
	html, _ := n.Html()
	if !strings.Contains(html, "Reason: income") {
		t.Error("notice text missing")
	}
	for _, bad := range []string{"<script", "onerror", "javascript:", "hx-get"} {
		if strings.Contains(html, bad) {
			t.Errorf("rendered notice contains %q", bad)
		}
	}
}

func TestNoOffersWithoutNoticeSaysSo(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("alex@example.com"))
	p.update(p.leadFor(id), lending.LeadNoOffers, nil, nil)
	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`[data-testid="no-offers"]`).Length() != 1 || d.Find(`[data-testid="adverse-action-notice"]`).Length() != 0 ||
		d.Find(`[data-testid="no-notice"]`).Length() != 1 {
		t.Error("no-offers without a notice is not said plainly")
	}
}

func TestTimedOutOffersRetry(t *testing.T) {
	p := newTestPortal(t, func(c *Config) { c.LeadTimeout = time.Millisecond })
	id := p.submit(p.client, validFormValues("alex@example.com"))
	p.leadFor(id)
	time.Sleep(5 * time.Millisecond)
	if _, err := p.store.MarkTimedOut(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`[data-testid="timed-out"]`).Length() != 1 || d.Find(`[data-testid="retry"]`).Length() != 1 {
		t.Fatalf("no timed-out screen with retry: status %q", d.Find(`[data-testid="application-status"]`).AttrOr("data-status", ""))
	}
	resp, _ := p.postForm(p.client, "/applications/"+id+"/retry", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry: %d", resp.StatusCode)
	}
	app, _ := p.store.Application(context.Background(), id)
	if app.Lead.Status != lending.LeadCreated || app.Lead.Attempt != 2 {
		t.Errorf("after retry: %s attempt %d", app.Lead.Status, app.Lead.Attempt)
	}
	if resp, _ := p.postForm(newBrowserClient(), "/applications/"+id+"/retry", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("retry from another session: %d", resp.StatusCode)
	}
}

func TestNoneOfTheseWorkForMe(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("decline@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, testOffers("https://lender.example/offer/"), nil)

	_, body := p.get(p.client, "/applications/"+id)
	d := doc(t, body)
	if d.Find(`form[data-testid="offers-decline-form"] select[name="declineReason"] option`).Length() != len(lending.DeclineReasons)+1 ||
		d.Find(`button[data-testid="offers-decline"]`).Length() != 1 {
		t.Fatalf("no decline form: %s", body)
	}
	if resp, _ := p.postForm(p.client, "/applications/"+id+"/offers/decline", map[string][]string{"declineReason": {"bogus"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unknown reason: %d", resp.StatusCode)
	}
	if resp, _ := p.postForm(newBrowserClient(), "/applications/"+id+"/offers/decline", map[string][]string{"declineReason": {""}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another session: %d", resp.StatusCode)
	}
	resp, _ := p.postForm(p.client, "/applications/"+id+"/offers/decline", map[string][]string{"declineReason": {"payment_too_high"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: %d", resp.StatusCode)
	}
	_, body = p.get(p.client, "/applications/"+id)
	d = doc(t, body)
	if !strings.Contains(d.Find(`[data-testid="offers-declined"]`).Text(), "The monthly payments are too high") ||
		d.Find(`button[data-testid="offer-select"][disabled]`).Length() != 3 || d.Find(`[data-testid="offers-decline"]`).Length() != 0 {
		t.Errorf("after the decline: %s", body)
	}
	if resp, _ := p.postForm(p.client, "/applications/"+id+"/offers/p-req-1/select", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("select after declining: %d", resp.StatusCode)
	}
	if resp, _ := p.postForm(p.client, "/applications/"+id+"/offers/decline", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("decline twice: %d", resp.StatusCode)
	}
	app, _ := p.store.Application(context.Background(), id)
	if app.Review.Answer != lending.AnswerDeclined {
		t.Errorf("answer %q", app.Review.Answer)
	}
}
