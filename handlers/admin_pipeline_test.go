package handlers

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"prequal/lending"
	"prequal/store"
)

// pipelineRows returns the application ids of the table rows on a page or fragment.
func pipelineRows(t *testing.T, body string) []string {
	t.Helper()
	var ids []string
	doc(t, body).Find(`[data-testid="pipeline-row"]`).Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("data-application-id", ""))
	})
	return ids
}

func TestPipelineFiltersFromTheURL(t *testing.T) {
	p := newAdminPortal(t)
	ada := admApplicant()
	ada.FirstName, ada.LastName, ada.Email, ada.RequestedAmount = "Ada", "Lovelace", "ada@math.example", 5000_00
	adaApp, adaLead := p.submitted(ada)
	p.update(adaLead, lending.LeadOffersFound, []lending.Offer{{ProductID: "p1", LenderName: "Birch Bank",
		AmountRange: lending.RangeRequested, LoanAmount: 5000_00, TermMonths: 36, APR: 999, LenderOfferURL: "https://birch.example/o"}}, nil)
	p.clock.add(48 * time.Hour)
	grace := admApplicant()
	grace.FirstName, grace.LastName, grace.Email, grace.RequestedAmount = "Grace", "Hopper", "grace@math.example", 30000_00
	graceApp := p.create(grace, false)
	p.clock.add(48 * time.Hour)
	qa := p.create(admApplicant(), true)
	held := p.held() // two applications: the first and the held one
	client := p.officer("olive@bank.example", lending.RoleOfficer)

	cases := []struct {
		query string
		want  []string
	}{
		{"q=lovelace", []string{adaApp.ID}},
		{"q=ada%40math", []string{adaApp.ID}},
		{"q=" + graceApp.ID, []string{graceApp.ID}},
		{"q=" + graceApp.PartnerLeadID, []string{graceApp.ID}},
		{"q=" + adaLead, []string{adaApp.ID}},
		{"leadStatus=offers_found", []string{adaApp.ID}},
		{"reviewStatus=ManualReview", []string{held.ID}},
		{"lender=Birch+Bank", []string{adaApp.ID}},
		{"minAmount=20000", []string{graceApp.ID}},
		{"maxAmount=%245%2C000", []string{adaApp.ID}},
		{"test=test", []string{qa.ID}},
		{"from=2026-03-04&to=2026-03-04", []string{graceApp.ID}},
		{"to=2026-03-03", []string{adaApp.ID}},
		{"q=math.example&sort=amount&dir=asc", []string{adaApp.ID, graceApp.ID}},
		{"q=math.example&sort=amount", []string{graceApp.ID, adaApp.ID}},
		{"q=math.example", []string{graceApp.ID, adaApp.ID}},
		{"q=math.example&sort=created&dir=asc", []string{adaApp.ID, graceApp.ID}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			resp, body := p.get(client, "/admin/applications?"+c.query)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%d", resp.StatusCode)
			}
			if got := pipelineRows(t, body); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("rows %v, want %v", got, c.want)
			}
		})
	}

	t.Run("filters stay in the form and the links", func(t *testing.T) {
		_, body := p.get(client, "/admin/applications?leadStatus=offers_found&q=ada&pageSize=25")
		d := doc(t, body)
		if d.Find(`#f-q`).AttrOr("value", "") != "ada" || d.Find(`#f-lead option[selected]`).AttrOr("value", "") != "offers_found" {
			t.Error("the form does not show the filters")
		}
		export := d.Find(`[data-testid="pipeline-export"]`).AttrOr("href", "")
		u, _ := url.Parse(export)
		if u.Path != "/admin/applications.csv" || u.Query().Get("leadStatus") != "offers_found" || u.Query().Get("q") != "ada" {
			t.Errorf("export link %q", export)
		}
		sortLink, _ := d.Find(`th[aria-sort="descending"] a`).Attr("href")
		if strings.Contains(sortLink, "page=") || !strings.Contains(sortLink, "dir=asc") || !strings.Contains(sortLink, "leadStatus=offers_found") {
			t.Errorf("sort link %q", sortLink)
		}
		if d.Find(`form[hx-get="/admin/applications"][hx-push-url="true"]`).Length() != 1 {
			t.Error("the filter form does not update the table with htmx")
		}
	})

	t.Run("an invalid filter is reported and ignored", func(t *testing.T) {
		resp, body := p.get(client, "/admin/applications?leadStatus=bogus&from=yesterday&minAmount=lots")
		if resp.StatusCode != http.StatusOK || len(pipelineRows(t, body)) != 5 {
			t.Fatalf("%d, %d rows", resp.StatusCode, len(pipelineRows(t, body)))
		}
		for _, msg := range []string{"Unknown lead status.", "Use a date like", "Use whole dollars"} {
			if !strings.Contains(body, msg) {
				t.Errorf("no message %q", msg)
			}
		}
	})

	t.Run("htmx gets the results fragment", func(t *testing.T) {
		resp, body := p.htmxGet(client, "/admin/applications?leadStatus=offers_found&q=&reviewStatus=&pageSize=50")
		if resp.StatusCode != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, `id="pipeline-results"`) {
			t.Fatalf("fragment: %d %.200s", resp.StatusCode, body)
		}
		if push := resp.Header.Get("HX-Push-Url"); push != "/admin/applications?leadStatus=offers_found" {
			t.Errorf("HX-Push-Url %q", push)
		}
		if got := pipelineRows(t, body); len(got) != 1 || !strings.Contains(resp.Header.Get("Vary"), "HX-Request") {
			t.Errorf("rows %v, Vary %q", got, resp.Header.Get("Vary"))
		}
		req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/admin/applications", nil)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-History-Restore-Request", "true")
		restore, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer restore.Body.Close()
		b, _ := io.ReadAll(restore.Body)
		if !strings.Contains(string(b), "<html") {
			t.Error("a history restore needs the whole page")
		}
	})
}

func TestPipelinePagingEdges(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	for range 7 {
		p.create(admApplicant(), false)
		p.clock.add(time.Minute)
	}
	cases := []struct {
		query     string
		rows      int
		rangeText string
		prev      bool
		next      bool
	}{
		{"pageSize=3", 3, "1–3 of 7", false, true},
		{"pageSize=3&page=2", 3, "4–6 of 7", true, true},
		{"pageSize=3&page=3", 1, "7–7 of 7", true, false},
		{"pageSize=3&page=9", 0, "Page 9 is past the last of 7 results", true, false},
		{"pageSize=3&page=-1", 3, "1–3 of 7", false, true},
		{"pageSize=1000", 7, "1–7 of 7", false, false},
		{"pageSize=0", 7, "1–7 of 7", false, false},
		{"pageSize=7", 7, "1–7 of 7", false, false},
		{"leadStatus=no_offers", 0, "No applications match", false, false},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			_, body := p.get(client, "/admin/applications?"+c.query)
			d := doc(t, body)
			got := strings.TrimSpace(d.Find(`[data-testid="pipeline-range"]`).Text())
			prev := d.Find(`nav.pager a:contains("Previous page")`).Length() == 1
			next := d.Find(`nav.pager a:contains("Next page")`).Length() == 1
			if len(pipelineRows(t, body)) != c.rows || got != c.rangeText || prev != c.prev || next != c.next {
				t.Errorf("%d rows, %q, prev %v next %v", len(pipelineRows(t, body)), got, prev, next)
			}
		})
	}
	_, body := p.get(client, "/admin/applications?pageSize=3&page=2&leadStatus=created")
	next, _ := doc(t, body).Find(`nav.pager a:contains("Next page")`).Attr("href")
	if u, _ := url.Parse(next); u.Query().Get("page") != "3" || u.Query().Get("pageSize") != "3" || u.Query().Get("leadStatus") != "created" {
		t.Errorf("next link %q", next)
	}
}

func TestPipelineCSVExportIsMasked(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	a := admApplicant()
	a.FirstName, a.LastName, a.Email, a.SSN = "=cmd", "Lovelace", "ada.lovelace@math.example", "518473926"
	app := p.create(a, false)
	p.create(admApplicant(), true)

	resp, body := p.get(client, "/admin/applications.csv?test=real&pageSize=1&page=5")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("%d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || strings.Join(records[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("records %q", records)
	}
	row := map[string]string{}
	for i, h := range records[0] {
		row[h] = records[1][i]
	}
	if row["applicationId"] != app.ID || row["email"] != "a***@math.example" || row["borrower"] != "'=cmd L." ||
		row["requestedAmount"] != "15000.00" || row["leadStatus"] != "created" || row["test"] != "false" {
		t.Errorf("row %v", row)
	}
	for _, leak := range []string{"518473926", "518-47-3926", "3926", "1990-04-12", "ada.lovelace", "Lovelace"} {
		if strings.Contains(body, leak) {
			t.Errorf("the export contains %q", leak)
		}
	}
	got := p.audit("", store.AuditExportCSV)
	if len(got) != 1 || got[0].OfficerEmail != "olive@bank.example" || got[0].Detail != "test=real" {
		t.Errorf("export audit %+v", got)
	}
}

func TestReviewQueuePage(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	p.create(admApplicant(), false)
	held := p.held()
	_, body := p.get(client, "/admin/review")
	d := doc(t, body)
	rows := d.Find(`[data-testid="review-queue"] [data-testid="review-queue-row"]`)
	if rows.Length() != 1 || rows.AttrOr("data-application-id", "") != held.ID || !strings.Contains(rows.Text(), "used this SSN before") {
		t.Fatalf("queue rows %d: %q", rows.Length(), rows.Text())
	}
	if _, err := p.store.DecideReview(context.Background(), store.ReviewDecision{ApplicationID: held.ID, To: lending.ReviewApproved,
		Note: "ok", LeadTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	_, body = p.get(client, "/admin/review")
	if doc(t, body).Find(`[data-testid="review-queue-row"]`).Length() != 0 || !strings.Contains(body, "Nothing is waiting") {
		t.Error("a decided application is still queued")
	}
}

func TestDashboardPage(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	_, lead := p.submitted(admApplicant())
	p.clock.add(12 * time.Second)
	p.update(lead, lending.LeadOffersFound, []lending.Offer{{ProductID: "p1", LenderName: "Birch Bank", AmountRange: lending.RangeRequested,
		LoanAmount: 15000_00, TermMonths: 36, APR: 999, LenderOfferURL: "https://birch.example/o"}}, nil)
	p.create(admApplicant(), true)

	resp, body := p.get(client, "/admin")
	d := doc(t, body)
	funnel := d.Find(`[data-testid="dashboard-funnel"]`)
	if resp.StatusCode != http.StatusOK || funnel.Length() != 1 {
		t.Fatalf("%d funnel %d", resp.StatusCode, funnel.Length())
	}
	if !strings.Contains(funnel.Text(), "100.0% of submitted") || strings.TrimSpace(d.Find(`[data-testid="median-time"]`).Text()) != "12s" {
		t.Errorf("funnel %q median %q", funnel.Text(), d.Find(`[data-testid="median-time"]`).Text())
	}
	if !strings.Contains(body, "1 applications from") || strings.Contains(body, "<script") {
		t.Errorf("test applications should be excluded by default; no chart JavaScript")
	}
	svg := d.Find(`svg[data-testid="daily-chart"]`)
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" || svg.Find("rect.bar").Length() != 30 {
		t.Errorf("chart: %d svg, %d bars", svg.Length(), svg.Find("rect.bar").Length())
	}
	_, body = p.get(client, "/admin?test=include&from=2026-03-02&to=2026-03-02")
	d = doc(t, body)
	if !strings.Contains(body, "2 applications from 2026-03-02 to 2026-03-02") || d.Find("rect.bar").Length() != 1 {
		t.Errorf("with tests, one day: %q", d.Find("p.lede").Text())
	}
	if _, body := p.get(client, "/admin?from=2026-03-05&to=2026-03-01"); !strings.Contains(body, "The start is after the end.") {
		t.Error("a reversed period is not reported")
	}
}

func TestOfficersPageCreatesAccounts(t *testing.T) {
	p := newAdminPortal(t)
	admin := p.officer("adam@bank.example", lending.RoleAdmin)
	resp, body := p.postForm(admin, "/admin/officers", url.Values{"email": {"New.Officer@bank.example"}, "role": {"officer"}})
	d := doc(t, body)
	pw := strings.TrimSpace(d.Find(`[data-testid="generated-password"]`).Text())
	if resp.StatusCode != http.StatusOK || len(pw) < 16 {
		t.Fatalf("%d generated %q", resp.StatusCode, pw)
	}
	if resp := p.signIn(newBrowserClient(), "new.officer@bank.example", pw); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the generated password does not sign in: %d", resp.StatusCode)
	}
	if _, again := p.get(admin, "/admin/officers"); strings.Contains(again, pw) {
		t.Error("the generated password is shown again")
	}
	for name, form := range map[string]url.Values{
		"duplicate":      {"email": {"new.officer@bank.example"}, "role": {"officer"}},
		"short password": {"email": {"x@bank.example"}, "role": {"officer"}, "password": {"short"}},
		"bad role":       {"email": {"y@bank.example"}, "role": {"root"}},
		"bad email":      {"email": {"nobody"}, "role": {"officer"}},
	} {
		if resp, _ := p.postForm(admin, "/admin/officers", form); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, resp.StatusCode)
		}
	}
	if list, _ := p.store.Officers(context.Background()); len(list) != 2 {
		t.Errorf("%d officers", len(list))
	}
	if got := p.audit("", store.AuditOfficerCreated); len(got) != 2 || got[0].OfficerEmail != "adam@bank.example" {
		t.Errorf("audit %+v", got)
	}
}
