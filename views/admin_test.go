package views

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"prequal/lending"
)

func renderDoc(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	d, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPageRange(t *testing.T) {
	for _, c := range []struct {
		total, page, size int
		want              string
	}{
		{1234, 1, 50, "1–50 of 1,234"},
		{1234, 25, 50, "1,201–1,234 of 1,234"},
		{1_000_000, 2, 100, "101–200 of 1,000,000"},
		{7, 3, 3, "7–7 of 7"},
		{7, 4, 3, "Page 4 is past the last of 7 results"},
		{0, 1, 50, "No applications match"},
	} {
		if got := PageRange(c.total, c.page, c.size); got != c.want {
			t.Errorf("PageRange(%d, %d, %d) = %q, want %q", c.total, c.page, c.size, got, c.want)
		}
	}
}

func TestNumberFormats(t *testing.T) {
	if thousands(0) != "0" || thousands(999) != "999" || thousands(1000) != "1,000" || thousands(-1234567) != "-1,234,567" {
		t.Error("thousands")
	}
	if percent(1, 3) != "33.3%" || percent(0, 0) != "—" || percent(5, 5) != "100.0%" {
		t.Error("percent")
	}
	if humanDuration(65*time.Second, true) != "1m 5s" || humanDuration(12400*time.Millisecond, true) != "12s" || humanDuration(440*time.Millisecond, true) != "0.4s" || humanDuration(0, false) != "—" {
		t.Error("humanDuration")
	}
}

func TestPipelineFormURLs(t *testing.T) {
	f := PipelineForm{Q: "ada lovelace", LeadStatus: "offers_found", Test: "real", Page: 3, PageSize: 25}
	u, _ := url.Parse(f.URL("/admin/applications"))
	q := u.Query()
	if q.Get("q") != "ada lovelace" || q.Get("leadStatus") != "offers_found" || q.Get("page") != "3" || q.Get("pageSize") != "25" || q.Has("sort") {
		t.Errorf("URL %s", u)
	}
	if got := (PipelineForm{}).URL("/admin/applications"); got != "/admin/applications" {
		t.Errorf("defaults left in the URL: %s", got)
	}
	// Sorting returns to page 1; the same column again flips the direction.
	first, _ := url.Parse(f.SortURL("amount"))
	if first.Query().Get("sort") != "amount" || first.Query().Get("dir") != "" || first.Query().Has("page") {
		t.Errorf("sort by amount: %s", first)
	}
	f.Sort, f.Dir = "amount", "desc"
	flipped, _ := url.Parse(f.SortURL("amount"))
	if flipped.Query().Get("dir") != "asc" || f.ariaSort("amount") != "descending" || f.ariaSort("name") != "none" {
		t.Errorf("flip: %s", flipped)
	}
	if next, _ := url.Parse(f.PageURL(4)); next.Query().Get("page") != "4" || next.Query().Get("sort") != "amount" {
		t.Errorf("page link %s", next)
	}
}

func TestDailyBarsScaleToTheBusiestDay(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	bars := dailyBars([]DayCount{{day, 0}, {day.AddDate(0, 0, 1), 10}, {day.AddDate(0, 0, 2), 5}})
	plotH := chartH - chartTop - chartBottom
	if len(bars) != 3 || bars[0].H != "0.0" || bars[1].H != f1(plotH) || bars[2].H != f1(plotH/2) {
		t.Errorf("bars %+v", bars)
	}
	if !strings.Contains(bars[1].Title, "10 applications") || dailyBars(nil) != nil {
		t.Error("titles / empty")
	}
	if !strings.Contains(chartSummary([]DayCount{{day, 3}, {day.AddDate(0, 0, 1), 4}}), "7 in total, at most 4") {
		t.Error("summary")
	}
}

func adminTestPage(role lending.OfficerRole) AdminPage {
	return NewAdminPage(Site{}, "Test", lending.Officer{Email: "olive@bank.example", Role: role})
}

func TestAdminNavigationByRole(t *testing.T) {
	hrefs := func(p AdminPage) string {
		var out []string
		for _, l := range p.Nav {
			out = append(out, l.Href)
		}
		return strings.Join(out, " ")
	}
	if got := hrefs(adminTestPage(lending.RoleOfficer)); strings.Contains(got, "/admin/officers") || !strings.Contains(got, "/admin/review") {
		t.Errorf("officer nav %s", got)
	}
	if got := hrefs(adminTestPage(lending.RoleAdmin)); !strings.Contains(got, "/admin/officers") {
		t.Errorf("admin nav %s", got)
	}
	d := renderDoc(t, AdminReviewQueue(ReviewQueueView{AdminPage: adminTestPage(lending.RoleOfficer)}))
	signOut := d.Find(`form[action="/admin/signout"][method="post"] button`)
	if signOut.Length() != 1 || strings.TrimSpace(signOut.Text()) != "Sign out" {
		t.Error("the sign-out is not a POST button")
	}
}

func TestApplicationDetailComponent(t *testing.T) {
	app := lending.Application{ID: "app1", FirstName: "Ada", LastName: "Lovelace", SSNLast4: "3926",
		DOB: time.Date(1990, 4, 12, 0, 0, 0, 0, time.UTC), RequestedAmount: 15000_00,
		Lead: lending.Lead{Status: lending.LeadCreated, Attempt: 1}, Review: lending.Review{Status: lending.ReviewManualReview}}
	v := ApplicationDetailView{
		AdminPage: adminTestPage(lending.RoleOfficer), App: app, Now: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), CanAct: true,
		Events: []lending.Event{{Kind: lending.EventApplicationReceived, Source: lending.SourceBorrower, At: time.Unix(0, 0)},
			{Kind: lending.EventHeldForReview, Source: lending.SourceSystem, StatusFrom: "Pending", StatusTo: "ManualReview"}},
		Actions: []ActionChoice{{Action: lending.OfficerCancel, Allowed: true}, {Action: lending.OfficerRepoll, Why: "No lead yet."}},
		Deny:    DenyForm{Reasons: []string{"bankruptcy"}},
		Errors:  map[string]string{lending.DenialFieldReasons: "Choose at least one reason for the denial."},
	}
	d := renderDoc(t, AdminApplication(v))
	for _, id := range []string{"timeline", "approve-form", "deny-form", "officer-actions", "admin-ssn"} {
		if d.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("no %s", id)
		}
	}
	if d.Find(`[data-testid="timeline-event"]`).Length() != 2 || d.Find(`[data-testid="admin-ssn"]`).Text() != "***-**-3926" {
		t.Error("timeline or SSN")
	}
	if strings.TrimSpace(d.Find(`[data-testid="admin-dob"]`).Text()) != "Age 35" {
		t.Errorf("dob %q", d.Find(`[data-testid="admin-dob"]`).Text())
	}
	if !d.Find(`#reason-bankruptcy`).Is("[checked]") || !strings.Contains(d.Find(`#reasons-error`).Text(), "at least one") {
		t.Error("the deny form lost its input or its error")
	}
	// Every form control has a label.
	d.Find("textarea, input:not([type=hidden]), select").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("control %s (%s) has no label", id, s.AttrOr("name", ""))
		}
	})
	if !strings.Contains(d.Find(`[data-testid="officer-actions"] details`).Text(), "No lead yet.") {
		t.Error("the unavailable action does not say why")
	}
}

func TestPipelineComponentControlsAreLabelled(t *testing.T) {
	v := PipelineView{AdminPage: adminTestPage(lending.RoleOfficer), Form: PipelineForm{Sort: "amount", Dir: "asc"},
		Rows: []lending.Application{{ID: "a1", FirstName: "Ada", LastName: "L", IsTest: true}}, Total: 120, Page: 2, PageSize: 50,
		Lenders: []string{"Birch Bank"}}
	d := renderDoc(t, AdminPipeline(v))
	d.Find("#pipeline-filters input:not([type=hidden]), #pipeline-filters select").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if id == "" || d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("filter %s has no label", s.AttrOr("name", ""))
		}
	})
	if d.Find(`[data-testid="pipeline-table"] [data-testid="pipeline-row"]`).Length() != 1 ||
		d.Find(`th[aria-sort="ascending"]`).Text() == "" ||
		d.Find(`input[type=hidden][form="pipeline-filters"][name="sort"]`).AttrOr("value", "") != "amount" {
		t.Error("table, sort header or kept sort missing")
	}
	if got := strings.TrimSpace(d.Find(`[data-testid="pipeline-range"]`).Text()); got != "51–100 of 120" {
		t.Errorf("range %q", got)
	}
}
