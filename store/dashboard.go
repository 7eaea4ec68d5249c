package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"prequal/lending"
)

// DashboardQuery is the period the dashboard covers: applications created in
// [From, To). Test applications (QA scenarios) are left out unless IncludeTest.
type DashboardQuery struct {
	From, To    time.Time
	IncludeTest bool
}

// StatusCount is how many applications have one status.
type StatusCount struct {
	Status string
	Count  int
}

// DayCount is how many applications were created on one UTC day.
type DayCount struct {
	Day   time.Time // midnight UTC
	Count int
}

// DashboardStats are the numbers of the officer dashboard for one period.
type DashboardStats struct {
	Applications   int
	ByLeadStatus   []StatusCount // every lead status, in lifecycle order, zeros included
	ByReviewStatus []StatusCount // every review status, zeros included

	// The funnel: sent to the platform → offers found (including those whose
	// borrower went on to select one) → an offer selected.
	Submitted     int
	OffersFound   int
	OfferSelected int
	// The borrowers with offers who answered no: "None of these work for me"
	// (OffersDeclined), or no choice within PORTAL_OFFER_TTL (OffersExpired).
	OffersDeclined int
	OffersExpired  int

	// Median time from submission to offers, over the applications with offers.
	MedianSubmitToOffers time.Duration
	HasMedian            bool

	TimedOut          int // leads that ended timed_out
	CallbacksReceived int // callbacks accepted, duplicated or rejected
	CallbacksRejected int // refused: bad signature, stale timestamp, unknown lead …

	Daily []DayCount // one entry per day of the period, zeros included
}

var (
	dashboardLeadStatuses = []lending.LeadStatus{lending.LeadCreated, lending.LeadInProgress, lending.LeadFindingProducts,
		lending.LeadOffersFound, lending.LeadNoOffers, lending.LeadTimedOut, lending.LeadProductSelected}
	dashboardReviewStatuses = []lending.ReviewStatus{lending.ReviewPending, lending.ReviewManualReview,
		lending.ReviewApproved, lending.ReviewDenied, lending.ReviewCanceled}
)

const dayMS = int64(24 * time.Hour / time.Millisecond)

// Dashboard computes the dashboard for the period. Every figure counts the
// applications created in the period (callbacks: those applications' callbacks).
func (s *Store) Dashboard(ctx context.Context, q DashboardQuery) (DashboardStats, error) {
	var st DashboardStats
	where := ` WHERE a.created_at_ms >= ? AND a.created_at_ms < ?`
	args := []any{ms(q.From), ms(q.To)}
	if !q.IncludeTest {
		where += ` AND a.is_test = 0`
	}

	leadCounts, err := s.countBy(ctx, `SELECT a.lead_status, count(*) FROM applications a`+where+` GROUP BY a.lead_status`, args)
	if err != nil {
		return st, fmt.Errorf("store.Dashboard: %w", err)
	}
	for _, ls := range dashboardLeadStatuses {
		st.ByLeadStatus = append(st.ByLeadStatus, StatusCount{Status: string(ls), Count: leadCounts[string(ls)]})
		st.Applications += leadCounts[string(ls)]
	}
	st.TimedOut = leadCounts[string(lending.LeadTimedOut)]
	st.OffersFound = leadCounts[string(lending.LeadOffersFound)] + leadCounts[string(lending.LeadProductSelected)]
	st.OfferSelected = leadCounts[string(lending.LeadProductSelected)]

	reviewCounts, err := s.countBy(ctx, `SELECT a.review_status, count(*) FROM applications a`+where+` GROUP BY a.review_status`, args)
	if err != nil {
		return st, fmt.Errorf("store.Dashboard: %w", err)
	}
	for _, rs := range dashboardReviewStatuses {
		st.ByReviewStatus = append(st.ByReviewStatus, StatusCount{Status: string(rs), Count: reviewCounts[string(rs)]})
	}

	answers, err := s.countBy(ctx, `SELECT a.customer_answer, count(*) FROM applications a`+where+` GROUP BY a.customer_answer`, args)
	if err != nil {
		return st, fmt.Errorf("store.Dashboard: %w", err)
	}
	st.OffersDeclined, st.OffersExpired = answers[string(lending.AnswerDeclined)], answers[string(lending.AnswerExpired)]

	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM applications a`+where+` AND a.lead_submitted_at_ms IS NOT NULL`,
		args...).Scan(&st.Submitted); err != nil {
		return st, fmt.Errorf("store.Dashboard: submitted: %w", err)
	}

	// The median without window functions or percentile_cont: order the durations
	// and read the middle one (the lower middle for an even count).
	const withOffers = ` AND a.lead_status IN ('offers_found', 'product_selected')
		AND a.lead_submitted_at_ms IS NOT NULL AND a.lead_terminal_at_ms IS NOT NULL`
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM applications a`+where+withOffers, args...).Scan(&n); err != nil {
		return st, fmt.Errorf("store.Dashboard: median: %w", err)
	}
	if n > 0 {
		var medianMS int64
		err := s.r.QueryRowContext(ctx, `SELECT a.lead_terminal_at_ms - a.lead_submitted_at_ms AS d FROM applications a`+
			where+withOffers+` ORDER BY d LIMIT 1 OFFSET ?`, append(args, (n-1)/2)...).Scan(&medianMS)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("store.Dashboard: median: %w", err)
		}
		st.MedianSubmitToOffers, st.HasMedian = time.Duration(medianMS)*time.Millisecond, err == nil
	}

	err = s.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN e.kind = ? THEN 1 ELSE 0 END), 0)
		FROM events e JOIN applications a ON a.id = e.application_id`+where+` AND e.kind IN (?, ?, ?)`,
		append(append([]any{lending.EventCallbackRejected}, args...),
			lending.EventCallbackAccepted, lending.EventCallbackDuplicate, lending.EventCallbackRejected)...).
		Scan(&st.CallbacksReceived, &st.CallbacksRejected)
	if err != nil {
		return st, fmt.Errorf("store.Dashboard: callbacks: %w", err)
	}

	daily, err := s.countBy(ctx, `SELECT CAST(a.created_at_ms / `+fmt.Sprint(dayMS)+` AS TEXT), count(*) FROM applications a`+
		where+` GROUP BY a.created_at_ms / `+fmt.Sprint(dayMS), args)
	if err != nil {
		return st, fmt.Errorf("store.Dashboard: daily: %w", err)
	}
	for d := ms(q.From) / dayMS; d*dayMS < ms(q.To); d++ {
		st.Daily = append(st.Daily, DayCount{Day: fromMS(d * dayMS), Count: daily[fmt.Sprint(d)]})
	}
	return st, nil
}

// countBy runs a two-column (key, count) query into a map.
func (s *Store) countBy(ctx context.Context, query string, args []any) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}
