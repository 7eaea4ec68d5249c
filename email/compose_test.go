package email

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

const hostileNotice = `<section><h2>Notice of action taken</h2><p>Principal reasons: income.</p>
<p>Read carefully. <script>alert(1)</script></p><p><img src=x onerror=alert(1)>Reviewed.</p>
<p><a href="javascript:alert(1)">Contact us</a> <a href="data:text/html;base64,PHNjcmlwdD4=">policy</a></p>
<div hx-get="/x" hx-trigger="load">We may send a copy.</div><svg onload=alert(1)></svg>
<iframe src="https://evil.example/frame"></iframe><form action="https://evil.example/c"><input name="ssn"></form>
<style>body{display:none}</style><p onclick="alert(1)" style="background:url(javascript:alert(1))">Apply again.</p>
<meta http-equiv="refresh" content="0;url=https://evil.example/"><a href="https://lender.example/faq">More</a></section>`

func testSettings() Settings {
	return Settings{SiteName: "Prequal Portal", From: "Prequal Portal <no-reply@portal.test>",
		PostalAddress: "100 Stage Street, Wilmington, DE 19801", BaseURL: "http://portal.test", OfferTTL: 30 * 24 * time.Hour}
}

func testApplication() lending.Application {
	app := lending.Application{ID: "abcdefghijklmnopqrstuvwxyz", FirstName: "Avery", LastName: "Stone",
		Email: "avery@example.com", RequestedAmount: 20000_00, IncomeYearly: 150000_00, SSNLast4: "1234",
		DOB:       time.Date(1984, 3, 14, 0, 0, 0, 0, time.UTC),
		CreatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	app.Lead = lending.Lead{Status: lending.LeadOffersFound, Attempt: 1, TerminalAt: time.Date(2026, 3, 2, 9, 1, 0, 0, time.UTC)}
	app.Review = lending.Review{Status: lending.ReviewPending}
	return app
}

var hrefs = regexp.MustCompile(`href="([^"]*)"`)

// TestEveryEmailIsReadableAndHarmless composes every kind and checks what
// issue 20 asks of each: amount and status in the subject, a text and an HTML
// part, the resume link in both, no tracking and nothing loaded from anywhere,
// no SSN, date of birth or income, the postal address and why it was sent; the
// notices carry the notice inert and the ECOA/FCRA paragraphs.
func TestEveryEmailIsReadableAndHarmless(t *testing.T) {
	offers := []lending.Offer{
		{ProductID: "p1", LenderName: "Acme Lending", LoanAmount: 20000_00, TermMonths: 36, APR: 1299, MonthlyPayment: 673_44},
		{ProductID: "p2", LenderName: "Bolt Bank", LoanAmount: 18000_00, TermMonths: 60, APR: 899, MonthlyPayment: 373_57},
	}
	for _, kind := range lending.MailKinds {
		t.Run(string(kind), func(t *testing.T) {
			app := testApplication()
			c := Content{Kind: kind, Cause: lending.MailCause(kind, app.ID, "1"), App: app,
				ResumeToken: "tok.en", ResumeExpiresAt: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)}
			wantStatus := map[lending.MailKind]string{
				lending.MailReceived: "received", lending.MailOffersReady: "2 offers ready",
				lending.MailNoOffers: "no offers", lending.MailDenied: "not approved",
				lending.MailOffersExpiring: "offers expire on April 1, 2026", lending.MailResumeLink: "offers ready",
			}[kind]
			switch kind {
			case lending.MailOffersReady, lending.MailOffersExpiring, lending.MailResumeLink:
				c.Offers = offers
			case lending.MailNoOffers:
				c.App.Lead.Status, c.App.Lead.AdverseActionNotice = lending.LeadNoOffers, hostileNotice
			case lending.MailDenied:
				c.App.Review = lending.Review{Status: lending.ReviewDenied, Reasons: []string{"income_insufficient", "excessive_obligations"}}
			}
			m, err := Compose(context.Background(), testSettings(), c, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Subject, "$20,000") || !strings.Contains(m.Subject, wantStatus) {
				t.Errorf("subject %q lacks the amount or %q", m.Subject, wantStatus)
			}
			if m.To != "avery@example.com" || m.MessageID != lending.MailMessageID(c.Cause, "portal.test") {
				t.Errorf("to %q message-id %q", m.To, m.MessageID)
			}
			resume := "http://portal.test/resume/tok.en"
			for part, body := range map[string]string{"text": m.Text, "html": html.UnescapeString(m.HTML)} {
				for _, want := range []string{"Avery", resume, "100 Stage Street, Wilmington, DE 19801", "You're receiving this email because",
					"We don't send marketing email", "Prequal Portal"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s part lacks %q", part, want)
					}
				}
				for _, never := range []string{"1984", "03/14", "150,000", "150000", "Stone", "SSN"} {
					if strings.Contains(body, never) {
						t.Errorf("%s part contains %q", part, never)
					}
				}
				if kind.CarriesNotice() {
					for _, want := range []string{"Notice of action taken", "Equal Credit Opportunity Act", "Fair Credit Reporting Act"} {
						if !strings.Contains(strings.ToLower(body), strings.ToLower(want)) {
							t.Errorf("%s part of the notice lacks %q", part, want)
						}
					}
				}
			}
			lower := strings.ToLower(m.HTML)
			for _, bad := range []string{"<img", "<script", "<iframe", "<form", "<style", "<svg", "<meta http-equiv", "javascript:", "data:text", "hx-", "onerror", "onclick", "onload", "src=", "url("} {
				if strings.Contains(lower, bad) {
					t.Errorf("HTML part contains %q", bad)
				}
			}
			for _, h := range hrefs.FindAllStringSubmatch(m.HTML, -1) {
				if !strings.HasPrefix(h[1], "http://portal.test/") && !(kind == lending.MailNoOffers && strings.HasPrefix(h[1], "https://")) {
					t.Errorf("link %q leads away from the portal", h[1])
				}
				if strings.Contains(h[1], "utm_") {
					t.Errorf("tracking parameters in %q", h[1])
				}
			}
			switch kind {
			case lending.MailOffersReady:
				if !strings.Contains(m.Text, "Bolt Bank: $18,000 at 8.99% APR") || !strings.Contains(m.Text, "April 1, 2026") {
					t.Errorf("offers text:\n%s", m.Text)
				}
			case lending.MailDenied:
				for _, want := range []string{"Income insufficient for amount of credit requested", "Excessive obligations in relation to income"} {
					if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, want) {
						t.Errorf("denial lacks reason %q", want)
					}
				}
			case lending.MailNoOffers:
				if !strings.Contains(m.Text, "Principal reasons: income.") || strings.Contains(m.Text, "<") {
					t.Errorf("notice as text:\n%s", m.Text)
				}
			}
		})
	}
}

func TestNoOffersWithoutNoticeSaysHowToGetReasons(t *testing.T) {
	app := testApplication()
	app.Lead.Status = lending.LeadNoOffers
	m, err := Compose(context.Background(), testSettings(), Content{Kind: lending.MailNoOffers, Cause: "c", App: app}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"did not include a notice of action taken", "right to a statement of the specific reasons"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(html.UnescapeString(m.HTML), want) {
			t.Errorf("no %q", want)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	ok := testSettings()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]Settings{
		"no sender":  {PostalAddress: "x"},
		"bad sender": {From: "portal", PostalAddress: "x"},
		"no address": {From: "p@portal.test"},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A lenders' notice that carries its own ECOA and FCRA paragraphs gets no
// second copy; one that lacks them gets the portal's.
func TestNoticeRightsParagraphsAppearOnce(t *testing.T) {
	for name, tc := range map[string]struct {
		notice string
		want   int
	}{
		"notice with both": {"<p>Notice</p><p>The Equal Credit Opportunity Act prohibits…</p><p>Under the Fair Credit Reporting Act…</p>", 1},
		"notice with none": {"<p>Notice</p>", 1},
		"no notice at all": {"", 1},
	} {
		app := testApplication()
		app.Lead.Status, app.Lead.AdverseActionNotice = lending.LeadNoOffers, tc.notice
		m, err := Compose(context.Background(), testSettings(), Content{Kind: lending.MailNoOffers, Cause: "c", App: app}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, law := range []string{"Equal Credit Opportunity Act", "Fair Credit Reporting Act"} {
			if n := strings.Count(m.Text, law); n != tc.want {
				t.Errorf("%s: %q %d times in the text part, want %d", name, law, n, tc.want)
			}
			if n := strings.Count(m.HTML, law); n != tc.want {
				t.Errorf("%s: %q %d times in the HTML part, want %d", name, law, n, tc.want)
			}
		}
	}
}

func TestReceivedEmailOfAHeldApplication(t *testing.T) {
	app := testApplication()
	app.Lead.Status, app.Review.Status = lending.LeadCreated, lending.ReviewManualReview
	m, err := Compose(context.Background(), testSettings(), Content{Kind: lending.MailReceived, Cause: "c", App: app}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "closer look") || strings.Contains(m.Text, "We're asking our lending partners") {
		t.Errorf("held application's received email:\n%s", m.Text)
	}
}
