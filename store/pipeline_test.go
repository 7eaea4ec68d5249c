package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

// pipelineFixture stores a handful of applications that differ in every filtered
// property and returns their ids by label.
func pipelineFixture(t *testing.T) (*Store, map[string]string, time.Time) {
	t.Helper()
	s, _ := openTestStore(t)
	clock := newFakeClock(s)
	start := clock.t
	ids := map[string]string{}
	add := func(label, first, last string, amount lending.Cents, set string, lenders ...string) {
		app := admCreate(t, s, func(a *lending.Applicant) {
			a.FirstName, a.LastName, a.RequestedAmount = first, last, amount
			a.Email = strings.ToLower(first) + "." + strings.ToLower(last) + "@example.com"
		})
		if set != "" {
			admSet(t, s, app.ID, set)
		}
		for i, l := range lenders {
			if _, err := s.w.Exec(`INSERT INTO products (application_id, product_id, lender_name, amount_range, loan_amount_cents,
				term_months, apr_bps, interest_rate_bps, monthly_payment_cents, total_repayment_cents, total_interest_cents,
				origination_fee_cents, lender_offer_url, disclaimer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
				app.ID, fmt.Sprintf("p%d", i), l, "requested-amount", int64(amount), 36, 1299, 1149, 1, 1, 1, 1, "https://lender.example/", ""); err != nil {
				t.Fatal(err)
			}
		}
		ids[label] = app.ID
		clock.Advance(24 * time.Hour)
	}
	add("ada", "Ada", "Lovelace", 5000_00, "lead_uuid = 'uuid-ada', lead_status = 'offers_found'", "Acme Lending", "Birch Bank")
	add("grace", "Grace", "Hopper", 15000_00, "lead_uuid = 'uuid-grace', lead_status = 'no_offers'")
	add("alan", "Alan", "Turing", 25000_00, "lead_uuid = 'uuid-alan', lead_status = 'product_selected'", "Birch Bank")
	add("katherine", "Katherine", "Johnson", 40000_00, "review_status = 'ManualReview'")
	add("test", "Qa", "Scenario", 15000_00, "is_test = 1, lead_uuid = 'uuid-test', lead_status = 'timed_out'")
	return s, ids, start
}

func TestPipelineFilters(t *testing.T) {
	s, ids, start := pipelineFixture(t)
	day := func(n int) time.Time { return start.Add(time.Duration(n) * 24 * time.Hour) }
	cases := []struct {
		name string
		f    PipelineFilter
		want []string // labels, newest first (the default order)
	}{
		{"everything", PipelineFilter{}, []string{"test", "katherine", "alan", "grace", "ada"}},
		{"search first name", PipelineFilter{Query: "grace"}, []string{"grace"}},
		{"search full name, any case", PipelineFilter{Query: "ALAN tur"}, []string{"alan"}},
		{"search email part", PipelineFilter{Query: "lovelace@"}, []string{"ada"}},
		{"search application id", PipelineFilter{Query: ids["katherine"]}, []string{"katherine"}},
		{"search lead uuid", PipelineFilter{Query: "uuid-alan"}, []string{"alan"}},
		{"search partner lead id", PipelineFilter{Query: "PARTNER:grace"}, []string{"grace"}},
		{"search with LIKE wildcards is literal", PipelineFilter{Query: "%"}, nil},
		{"lead status", PipelineFilter{LeadStatus: lending.LeadNoOffers}, []string{"grace"}},
		{"review status", PipelineFilter{ReviewStatus: lending.ReviewManualReview}, []string{"katherine"}},
		{"from date", PipelineFilter{From: day(3)}, []string{"test", "katherine"}},
		{"date range", PipelineFilter{From: day(1), To: day(3)}, []string{"alan", "grace"}},
		{"min amount", PipelineFilter{MinAmount: 25000_00}, []string{"katherine", "alan"}},
		{"amount range, inclusive", PipelineFilter{MinAmount: 5000_00, MaxAmount: 15000_00}, []string{"test", "grace", "ada"}},
		{"lender", PipelineFilter{Lender: "Birch Bank"}, []string{"alan", "ada"}},
		{"lender with one offer", PipelineFilter{Lender: "Acme Lending"}, []string{"ada"}},
		{"real only", PipelineFilter{Test: TestReal}, []string{"katherine", "alan", "grace", "ada"}},
		{"test only", PipelineFilter{Test: TestOnly}, []string{"test"}},
		{"combined", PipelineFilter{Test: TestReal, MaxAmount: 20000_00, Lender: "Birch Bank"}, []string{"ada"}},
		{"sort by amount ascending", PipelineFilter{Sort: SortAmount, Asc: true, Test: TestReal}, []string{"ada", "grace", "alan", "katherine"}},
		{"sort by name", PipelineFilter{Sort: SortName, Asc: true}, []string{"grace", "katherine", "ada", "test", "alan"}},
		{"sort by lead status", PipelineFilter{Sort: SortLeadStatus, Asc: true, Test: TestReal}, []string{"katherine", "grace", "ada", "alan"}},
		{"sort by review status descending", PipelineFilter{Sort: SortReviewStatus, Test: TestReal}, []string{"alan", "grace", "ada", "katherine"}},
		{"unknown sort falls back to newest", PipelineFilter{Sort: "ssn"}, []string{"test", "katherine", "alan", "grace", "ada"}},
	}
	// The partner lead id is random: look it up for its case.
	grace, _ := s.Application(context.Background(), ids["grace"])
	for i := range cases {
		if cases[i].f.Query == "PARTNER:grace" {
			cases[i].f.Query = grace.PartnerLeadID
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, err := s.Pipeline(context.Background(), c.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range page.Rows {
				for label, id := range ids {
					if id == a.ID {
						got = append(got, label)
					}
				}
			}
			if !slices.Equal(got, c.want) || page.Total != len(c.want) {
				t.Errorf("got %v (total %d), want %v", got, page.Total, c.want)
			}
		})
	}
}

func TestPipelinePaging(t *testing.T) {
	s, _ := openTestStore(t)
	clock := newFakeClock(s)
	ctx := context.Background()
	var all []string // newest first
	for range 7 {
		app := admCreate(t, s)
		all = append([]string{app.ID}, all...)
		clock.Advance(time.Minute)
	}
	ids := func(p PipelinePage) []string {
		var out []string
		for _, a := range p.Rows {
			out = append(out, a.ID)
		}
		return out
	}
	cases := []struct {
		name            string
		page, size      int
		want            []string
		wantPage, size2 int
	}{
		{"first page", 1, 3, all[0:3], 1, 3},
		{"middle page", 2, 3, all[3:6], 2, 3},
		{"last, partial page", 3, 3, all[6:7], 3, 3},
		{"past the end", 4, 3, nil, 4, 3},
		{"page zero is page one", 0, 3, all[0:3], 1, 3},
		{"negative page is page one", -2, 3, all[0:3], 1, 3},
		{"default size", 1, 0, all, 1, 50},
		{"size is capped at 100", 1, 1000, all, 1, MaxPipelinePageSize},
		{"exactly one page", 1, 7, all, 1, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := s.Pipeline(ctx, PipelineFilter{Page: c.page, PageSize: c.size})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(p), c.want) || p.Total != 7 || p.Page != c.wantPage || p.PageSize != c.size2 {
				t.Errorf("page %d size %d: %d rows, total %d, page %d, size %d", c.page, c.size, len(p.Rows), p.Total, p.Page, p.PageSize)
			}
		})
	}
	// Equal creation times still page stably (ties broken by id).
	seen := map[string]bool{}
	for page := 1; page <= 3; page++ {
		p, _ := s.Pipeline(ctx, PipelineFilter{Sort: SortAmount, Page: page, PageSize: 3})
		for _, id := range ids(p) {
			if seen[id] {
				t.Errorf("%s on two pages", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 7 {
		t.Errorf("paging by an all-equal column saw %d of 7", len(seen))
	}
}

func TestPipelineExportStreamsTheWholeFilteredSet(t *testing.T) {
	s, ids, _ := pipelineFixture(t)
	var got []string
	err := s.PipelineExport(context.Background(), PipelineFilter{Test: TestReal, Page: 3, PageSize: 1}, func(a lending.Application) error {
		got = append(got, a.ID)
		return nil
	})
	if err != nil || len(got) != 4 || slices.Contains(got, ids["test"]) {
		t.Fatalf("export %v: %v", err, got)
	}
	lenders, err := s.Lenders(context.Background())
	if err != nil || !slices.Equal(lenders, []string{"Acme Lending", "Birch Bank"}) {
		t.Errorf("lenders %v %v", lenders, err)
	}
}

// BenchmarkPipelineFilteredQuery measures the store's half of the filtered
// pipeline page (count + one page) over 10,000 applications; the handlers'
// BenchmarkPipelineFiltered measures the whole page render.
func BenchmarkPipelineFilteredQuery(b *testing.B) {
	s, _ := openTestStore(b)
	ctx := context.Background()
	if err := s.InsertSyntheticApplications(ctx, 10_000, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	filters := map[string]PipelineFilter{
		"status":        {LeadStatus: lending.LeadOffersFound, Test: TestReal, PageSize: 50},
		"search":        {Query: "rivera7", PageSize: 50},
		"amount+lender": {MinAmount: 10000_00, MaxAmount: 30000_00, Lender: "Birch Bank", PageSize: 50, Sort: SortAmount},
		"review":        {ReviewStatus: lending.ReviewManualReview, PageSize: 100},
	}
	for name, f := range filters {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				p, err := s.Pipeline(ctx, f)
				if err != nil || p.Total == 0 {
					b.Fatalf("%v total %d", err, p.Total)
				}
			}
		})
	}
}

func TestInsertSyntheticApplications(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	if err := s.InsertSyntheticApplications(ctx, 75, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Pipeline(ctx, PipelineFilter{})
	held, _ := s.Pipeline(ctx, PipelineFilter{ReviewStatus: lending.ReviewManualReview})
	tests, _ := s.Pipeline(ctx, PipelineFilter{Test: TestOnly})
	birch, _ := s.Pipeline(ctx, PipelineFilter{Lender: "Birch Bank"})
	if all.Total != 75 || held.Total != 3 || tests.Total != 25 || birch.Total == 0 {
		t.Errorf("totals: all %d held %d test %d birch %d", all.Total, held.Total, tests.Total, birch.Total)
	}
}
