package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"prequal/lending"
	"prequal/store"
)

func TestApplicationDetailPage(t *testing.T) {
	p := newAdminPortal(t)
	a := admApplicant()
	a.SSN = "518473926"
	app, lead := p.submitted(a)
	hostile := `<p>Declined.</p><script>alert(1)</script><a href="javascript:alert(1)" onclick="x()">x</a><div hx-get="/x">y</div>`
	p.update(lead, lending.LeadNoOffers, nil, &hostile)
	client := p.officer("olive@bank.example", lending.RoleOfficer)

	resp, body := p.get(client, "/admin/applications/"+app.ID)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d", resp.StatusCode)
	}
	d := doc(t, body)
	if got := d.Find(`[data-testid="admin-ssn"]`).Text(); got != "***-**-3926" {
		t.Errorf("SSN shown as %q", got)
	}
	if got := strings.TrimSpace(d.Find(`[data-testid="admin-dob"]`).Text()); got != "Age 35" {
		t.Errorf("date of birth shown as %q", got)
	}
	if strings.Contains(body, "1990-04-12") || strings.Contains(body, "518473926") || strings.Contains(body, "518-47-3926") {
		t.Error("the page shows the full SSN or the date of birth")
	}
	consents := d.Find(`[data-testid="consents"] tbody tr`)
	if consents.Length() != 4 || !strings.Contains(consents.Text(), lending.ConsentTextVersion) || !strings.Contains(consents.Text(), "Borrower Browser/1.0") {
		t.Errorf("consent evidence: %d rows %q", consents.Length(), consents.Text())
	}
	for _, want := range []string{lead, app.PartnerLeadID, app.CorrelationID} {
		if !strings.Contains(body, want) {
			t.Errorf("the lead section lacks %q", want)
		}
	}
	notice, _ := d.Find(`[data-testid="admin-notice"] .aan-body`).Html()
	if !strings.Contains(notice, "Declined.") || strings.Contains(notice, "<script") || strings.Contains(notice, "javascript:") ||
		strings.Contains(notice, "hx-get") || strings.Contains(notice, "onclick") {
		t.Errorf("notice not sanitized: %q", notice)
	}
	events := d.Find(`[data-testid="timeline"] [data-testid="timeline-event"]`)
	if events.Length() < 4 {
		t.Fatalf("%d timeline events", events.Length())
	}
	first := events.First()
	if first.AttrOr("data-kind", "") != lending.EventApplicationReceived || first.Find("time[datetime]").Length() != 1 ||
		!strings.Contains(first.Text(), lending.SourceBorrower) {
		t.Errorf("first event %q", first.Text())
	}
	// Every action form has a labelled note.
	d.Find(`[data-testid="officer-actions"] form`).Each(func(_ int, f *goquery.Selection) {
		id := f.Find("textarea").AttrOr("id", "")
		if id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("action form %s has an unlabelled note", f.AttrOr("data-testid", ""))
		}
	})
	if resp, _ := p.get(client, "/admin/applications/"+strings.Repeat("a", 26)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown application: %d", resp.StatusCode)
	}
	if resp, _ := p.get(client, "/admin/applications/not-an-id"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("malformed id: %d", resp.StatusCode)
	}
}

func TestRevealDateOfBirthIsLogged(t *testing.T) {
	p := newAdminPortal(t)
	app := p.create(admApplicant(), false)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	path := "/admin/applications/" + app.ID + "/reveal"

	if resp, body := p.postForm(client, path, url.Values{"note": {" "}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		strings.Contains(body, "1990-04-12") {
		t.Fatalf("reveal without a reason: %d", resp.StatusCode)
	}
	resp, body := p.postForm(client, path, url.Values{"note": {"borrower asked on the phone"}}, "HX-Request", "true")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "1990-04-12") || strings.Contains(body, "<html") ||
		!strings.Contains(body, `id="borrower-data"`) {
		t.Fatalf("htmx reveal: %d %.300s", resp.StatusCode, body)
	}
	if e := p.lastEvent(app.ID); e.Kind != lending.EventPIIRevealed || e.Actor != "olive@bank.example" {
		t.Errorf("event %+v", e)
	}
	if got := p.audit(app.ID, store.AuditRevealPII); len(got) != 1 || got[0].Note != "borrower asked on the phone" {
		t.Errorf("audit %+v", got)
	}
	// The reveal lasts for that answer only.
	if _, body := p.get(client, "/admin/applications/"+app.ID); strings.Contains(body, "1990-04-12") {
		t.Error("the date of birth stays revealed")
	}
}

func TestOfficerActionHandlers(t *testing.T) {
	p := newAdminPortal(t)
	pending, _ := p.submitted(admApplicant())
	timedOut, _ := p.submitted(admApplicant())
	selected, selectedLead := p.submitted(admApplicant())
	p.update(selectedLead, lending.LeadOffersFound, []lending.Offer{{ProductID: "p1", LenderName: "Birch Bank",
		AmountRange: lending.RangeRequested, LoanAmount: 15000_00, TermMonths: 36, APR: 999, LenderOfferURL: "https://birch.example/o"}}, nil)
	if _, err := p.store.SelectOffer(context.Background(), selected.ID, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.ApplyLeadUpdate(context.Background(), store.LeadUpdate{LeadReport: lending.LeadReport{UUID: "lead-" + timedOut.ID, Status: lending.LeadTimedOut},
		Source: lending.SourcePoller}); err != nil {
		t.Fatal(err)
	}
	canceled := p.create(admApplicant(), false)
	client := p.officer("olive@bank.example", lending.RoleOfficer)

	cases := []struct {
		name   string
		app    lending.Application
		action string
		note   string
		status int
		check  func(t *testing.T, after lending.Application)
	}{
		{"repoll", pending, "repoll", "borrower is waiting", http.StatusSeeOther, nil},
		{"resubmit", timedOut, "resubmit", "platform was down", http.StatusSeeOther, func(t *testing.T, a lending.Application) {
			if a.Lead.Attempt != 2 || a.Lead.Status != lending.LeadCreated {
				t.Errorf("lead %+v", a.Lead)
			}
		}},
		{"unlock offers", selected, "unlock-offers", "borrower chose by mistake", http.StatusSeeOther, func(t *testing.T, a lending.Application) {
			if a.Lead.Status != lending.LeadOffersFound || a.Lead.SelectedProductID != "" {
				t.Errorf("lead %+v", a.Lead)
			}
		}},
		{"cancel", canceled, "cancel", "borrower asked us to", http.StatusSeeOther, func(t *testing.T, a lending.Application) {
			if j, _ := a.Journey(); a.Review.Status != lending.ReviewCanceled || j != lending.JourneyClosed {
				t.Errorf("review %s journey %s", a.Review.Status, j)
			}
		}},
		{"missing note", pending, "repoll", "  ", http.StatusUnprocessableEntity, nil},
		{"not allowed now", pending, "resubmit", "why not", http.StatusConflict, nil},
		{"cancel twice", canceled, "cancel", "again", http.StatusConflict, nil},
		{"unknown action", pending, "delete", "x", http.StatusNotFound, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(p.audit(c.app.ID, ""))
			resp, body := p.postForm(client, "/admin/applications/"+c.app.ID+"/actions/"+c.action, url.Values{"note": {c.note}})
			if resp.StatusCode != c.status {
				t.Fatalf("%d, want %d", resp.StatusCode, c.status)
			}
			audit := p.audit(c.app.ID, "")
			if c.status != http.StatusSeeOther {
				if len(audit) != before {
					t.Error("a refused action was audited as done")
				}
				if c.status == http.StatusUnprocessableEntity && !strings.Contains(body, "Write a note saying why.") {
					t.Error("the missing note is not explained")
				}
				return
			}
			if !strings.HasPrefix(resp.Header.Get("Location"), "/admin/applications/"+c.app.ID+"?done=") {
				t.Errorf("Location %q", resp.Header.Get("Location"))
			}
			if len(audit) != before+1 || audit[0].Note != c.note || audit[0].OfficerEmail != "olive@bank.example" || audit[0].IP == "" {
				t.Errorf("audit %+v", audit)
			}
			if e := p.lastEvent(c.app.ID); e.Source != lending.SourceOfficer || !strings.Contains(e.Detail, c.note) {
				t.Errorf("timeline %+v", e)
			}
			if c.check != nil {
				c.check(t, p.app(c.app.ID))
			}
			if _, page := p.get(client, resp.Header.Get("Location")); !strings.Contains(page, `data-testid="admin-flash"`) {
				t.Error("no confirmation after the redirect")
			}
		})
	}
}

func TestReviewDecisions(t *testing.T) {
	p := newAdminPortal(t)
	toDeny := p.held()
	toApprove := p.held()
	notHeld := p.create(admApplicant(), false)
	client := p.officer("olive@bank.example", lending.RoleOfficer)

	_, body := p.get(client, "/admin/applications/"+toDeny.ID)
	d := doc(t, body)
	if d.Find(`[data-testid="deny-form"] input[name="reasons"]`).Length() != len(lending.AdverseReasons) ||
		d.Find(`[data-testid="approve-form"]`).Length() != 1 || !strings.Contains(d.Find(`[data-testid="held-because"]`).Text(), "SSN") {
		t.Fatal("the review panel is incomplete")
	}

	deny := func(app lending.Application, form url.Values) (*http.Response, string) {
		return p.postForm(client, "/admin/applications/"+app.ID+"/deny", form)
	}
	for name, form := range map[string]url.Values{
		"no reason":     {"note": {"n"}},
		"five reasons":  {"reasons": {"bankruptcy", "no_credit_file", "recent_inquiries", "temporary_residence", "length_of_residence"}, "note": {"n"}},
		"other no text": {"reasons": {"other"}, "note": {"n"}},
		"no note":       {"reasons": {"bankruptcy"}},
	} {
		resp, body := deny(toDeny, form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
		if name == "five reasons" && !doc(t, body).Find(`#reason-bankruptcy`).Is("[checked]") {
			t.Error("the chosen reasons were not kept")
		}
	}
	if p.app(toDeny.ID).Review.Status != lending.ReviewManualReview {
		t.Fatal("an invalid denial changed the status")
	}

	resp, _ := deny(toDeny, url.Values{"reasons": {"unverifiable_income", "other"}, "otherText": {"Documents did not match"},
		"note": {"second identity on this SSN"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deny: %d", resp.StatusCode)
	}
	denied := p.app(toDeny.ID)
	if got := strings.Join(denied.Review.DenialReasonTexts(), "|"); got != "Unable to verify income|Documents did not match" ||
		denied.Review.DecidedAt.IsZero() || !denied.Review.NoticeSentAt.IsZero() || denied.Review.DecidedBy != "olive@bank.example" {
		t.Errorf("denied review %+v (the notice's time is set when its email is sent)", denied.Review)
	}
	if mails, err := p.store.Mails(context.Background(), toDeny.ID); err != nil || len(mails) == 0 ||
		mails[len(mails)-1].Kind != lending.MailDenied || mails[len(mails)-1].Status != lending.MailQueued {
		t.Errorf("the denial's notice is not queued by email: %+v (%v)", mails, err)
	}
	if j, next := denied.Journey(); j != lending.JourneyRejected || next != lending.ActionReviewNotice {
		t.Errorf("the borrower sees %s/%s", j, next)
	}
	if got := p.audit(toDeny.ID, store.AuditReviewDenied); len(got) != 1 || got[0].Note != "second identity on this SSN" {
		t.Errorf("deny audit %+v", got)
	}
	_, body = p.get(client, "/admin/applications/"+toDeny.ID)
	if reasons := doc(t, body).Find(`[data-testid="denial-reasons"] li`); reasons.Length() != 2 {
		t.Errorf("the decision shows %d reasons", reasons.Length())
	}

	// Illegal transitions are refused and change nothing.
	if resp, _ := deny(toDeny, url.Values{"reasons": {"bankruptcy"}, "note": {"again"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("deny a denied application: %d", resp.StatusCode)
	}
	if resp, _ := p.postForm(client, "/admin/applications/"+toDeny.ID+"/approve", url.Values{"note": {"n"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("approve a denied application: %d", resp.StatusCode)
	}
	if p.app(toDeny.ID).Review.Status != lending.ReviewDenied {
		t.Error("a refused transition changed a status")
	}
	// Officers decide any application that is not final, not only held ones;
	// one not held keeps its one submit job.
	if resp, _ := p.postForm(client, "/admin/applications/"+notHeld.ID+"/approve", url.Values{"note": {"n"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("approve an application not held: %d", resp.StatusCode)
	}
	if p.app(notHeld.ID).Review.Status != lending.ReviewApproved {
		t.Error("an application not held was not approved")
	}
	if n, err := p.store.OpenSubmitJobs(context.Background(), notHeld.ID); err != nil || n != 1 {
		t.Errorf("approved application not held has %d open submit jobs (%v), want 1", n, err)
	}
	if resp, _ := p.postForm(client, "/admin/applications/"+notHeld.ID+"/approve", url.Values{"note": {"n"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("approve an approved application: %d", resp.StatusCode)
	}

	if resp, _ := p.postForm(client, "/admin/applications/"+toApprove.ID+"/approve", url.Values{"note": {""}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("approve without a note: %d", resp.StatusCode)
	}
	resp, _ = p.postForm(client, "/admin/applications/"+toApprove.ID+"/approve", url.Values{"note": {"called the borrower"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if n, err := p.store.OpenSubmitJobs(context.Background(), toApprove.ID); err != nil || n != 1 {
		t.Errorf("approved application has %d open submit jobs (%v), want 1", n, err)
	}
	if got := p.audit(toApprove.ID, store.AuditReviewApproved); len(got) != 1 {
		t.Errorf("approve audit %+v", got)
	}
}

// ssnLike finds anything shaped like a full SSN: nine digits, with or without
// separators.
var ssnLike = regexp.MustCompile(`\b\d{3}[- ]?\d{2}[- ]?\d{4}\b`)

func TestNoAdminPageOrExportShowsAFullSSN(t *testing.T) {
	p := newAdminPortal(t)
	a := admApplicant()
	a.SSN = "518473926"
	a.CoApplicant = &lending.CoApplicant{FirstName: "Sam", LastName: "Cole", Email: "sam@example.com",
		DOB: time.Date(1988, 7, 3, 0, 0, 0, 0, time.UTC), SSN: "534567892", SSNLast4: "7892", EmploymentStatus: "employed",
		IncomeYearly: 62000_00, HousingMonthly: 700_00, Relationship: "spouse"}
	app, lead := p.submitted(a)
	p.update(lead, lending.LeadNoOffers, nil, nil)
	held := p.held()
	client := p.officer("adam@bank.example", lending.RoleAdmin)
	pages := []string{"/admin", "/admin/applications", "/admin/applications?q=518473926", "/admin/applications.csv",
		"/admin/applications/" + app.ID, "/admin/applications/" + held.ID, "/admin/review", "/admin/officers"}
	bodies := map[string]string{}
	for _, path := range pages {
		resp, body := p.get(client, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		bodies[path] = body
	}
	if !strings.Contains(bodies["/admin/applications?q=518473926"], "Searching by SSN") {
		t.Error("an SSN-shaped search is not refused")
	}
	_, bodies["reveal"] = p.postForm(client, "/admin/applications/"+app.ID+"/reveal", url.Values{"note": {"identity check"}})
	for path, body := range bodies {
		// Ids, uuids and timestamps are not digit runs of SSN shape once the
		// page is reduced to its digits-and-separators tokens.
		for _, m := range ssnLike.FindAllString(body, -1) {
			t.Errorf("%s contains an SSN-shaped %q", path, m)
		}
		if strings.Contains(body, "518473926") || strings.Contains(body, "534567892") {
			t.Errorf("%s contains an SSN", path)
		}
	}
	if !strings.Contains(bodies["/admin/applications/"+app.ID], "***-**-3926") {
		t.Error("the masked SSN is missing from the detail page")
	}
	co := doc(t, bodies["/admin/applications/"+app.ID]).Find(`[data-testid="admin-co-applicant"]`)
	if !strings.Contains(co.Text(), "Sam Cole") || !strings.Contains(co.Text(), "***-**-7892") || !strings.Contains(co.Text(), "$62,000.00") {
		t.Errorf("the co-applicant on the detail page: %q", co.Text())
	}
}
