package store

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

func TestDashboard(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	clock := newFakeClock(s)
	day0 := clock.t.Truncate(24 * time.Hour)
	submittedAfter := func(d time.Duration) string {
		return "lead_submitted_at_ms = created_at_ms, lead_terminal_at_ms = created_at_ms + " + strconv.FormatInt(d.Milliseconds(), 10)
	}
	mk := func(set string, callbacks ...string) string {
		app := admCreate(t, s)
		admSet(t, s, app.ID, set)
		for _, kind := range callbacks {
			if err := s.AddEvent(ctx, app.ID, lending.Event{Kind: kind, Source: lending.SourceCallback}); err != nil {
				t.Fatal(err)
			}
		}
		return app.ID
	}
	// Day 0: three submitted, two with offers (one selected), one timed out.
	mk("lead_status = 'offers_found', "+submittedAfter(10*time.Second), lending.EventCallbackAccepted, lending.EventCallbackDuplicate)
	mk("lead_status = 'product_selected', "+submittedAfter(30*time.Second), lending.EventCallbackAccepted)
	mk("lead_status = 'timed_out', lead_submitted_at_ms = created_at_ms", lending.EventCallbackRejected)
	mk("review_status = 'ManualReview'") // held: never submitted
	clock.Advance(48 * time.Hour)
	// Day 2: one more with offers, and a QA test application.
	mk("lead_status = 'offers_found', " + submittedAfter(20*time.Second))
	mk("is_test = 1, lead_status = 'offers_found', " + submittedAfter(90*time.Second))
	clock.Advance(5 * 24 * time.Hour)
	mk("lead_status = 'no_offers'") // outside the period

	q := DashboardQuery{From: day0, To: day0.Add(3 * 24 * time.Hour)}
	st, err := s.Dashboard(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	count := func(list []StatusCount, status string) int {
		for _, c := range list {
			if c.Status == status {
				return c.Count
			}
		}
		t.Fatalf("status %s missing", status)
		return 0
	}
	if st.Applications != 5 || count(st.ByLeadStatus, "offers_found") != 2 || count(st.ByLeadStatus, "no_offers") != 0 ||
		count(st.ByLeadStatus, "created") != 1 || count(st.ByReviewStatus, "ManualReview") != 1 || count(st.ByReviewStatus, "Pending") != 4 {
		t.Errorf("counts %+v", st)
	}
	if len(st.ByLeadStatus) != 7 || len(st.ByReviewStatus) != 5 {
		t.Errorf("every status should be listed: %d lead, %d review", len(st.ByLeadStatus), len(st.ByReviewStatus))
	}
	if st.Submitted != 4 || st.OffersFound != 3 || st.OfferSelected != 1 || st.TimedOut != 1 {
		t.Errorf("funnel submitted %d offers %d selected %d timed out %d", st.Submitted, st.OffersFound, st.OfferSelected, st.TimedOut)
	}
	if !st.HasMedian || st.MedianSubmitToOffers != 20*time.Second {
		t.Errorf("median %v (%v), want 20s", st.MedianSubmitToOffers, st.HasMedian)
	}
	if st.CallbacksReceived != 4 || st.CallbacksRejected != 1 {
		t.Errorf("callbacks %d rejected %d", st.CallbacksReceived, st.CallbacksRejected)
	}
	if len(st.Daily) != 3 || st.Daily[0].Count != 4 || st.Daily[1].Count != 0 || st.Daily[2].Count != 1 || !st.Daily[0].Day.Equal(day0) {
		t.Errorf("daily %+v", st.Daily)
	}

	q.IncludeTest = true
	st, err = s.Dashboard(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if st.Applications != 6 || st.OffersFound != 4 || st.Daily[2].Count != 2 || st.MedianSubmitToOffers != 20*time.Second {
		t.Errorf("with test applications: %d apps, %d offers, daily %+v, median %v", st.Applications, st.OffersFound, st.Daily, st.MedianSubmitToOffers)
	}

	empty, err := s.Dashboard(ctx, DashboardQuery{From: day0.AddDate(1, 0, 0), To: day0.AddDate(1, 0, 1)})
	if err != nil || empty.Applications != 0 || empty.HasMedian || len(empty.Daily) != 1 {
		t.Errorf("empty period %+v %v", empty, err)
	}
}

func TestAuditLogFilters(t *testing.T) {
	s, _ := openTestStore(t)
	ctx := context.Background()
	for _, e := range []AuditEntry{
		{Action: AuditSignIn, OfficerEmail: "a@x.example"},
		{Action: AuditExportCSV, OfficerEmail: "a@x.example", Detail: "leadStatus=offers_found"},
		{Action: AuditRevealPII, ApplicationID: "app1", UserAgent: strings.Repeat("é", 500)},
	} {
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.AuditLog(ctx, AuditFilter{})
	if len(all) != 3 || all[0].Action != AuditRevealPII || all[2].Outcome != OutcomeOK || len(all[0].UserAgent) != 300 {
		t.Errorf("all %+v", all)
	}
	byApp, _ := s.AuditLog(ctx, AuditFilter{ApplicationID: "app1"})
	byAction, _ := s.AuditLog(ctx, AuditFilter{Action: AuditExportCSV})
	limited, _ := s.AuditLog(ctx, AuditFilter{Limit: 1})
	if len(byApp) != 1 || len(byAction) != 1 || byAction[0].Detail != "leadStatus=offers_found" || len(limited) != 1 {
		t.Errorf("filtered: %d by app, %d by action, %d limited", len(byApp), len(byAction), len(limited))
	}
}
