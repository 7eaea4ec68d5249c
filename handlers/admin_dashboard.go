package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/store"
	"prequal/views"
)

// Dashboard periods: 30 days unless asked, at most about a year (one bar a day).
const (
	defaultDashboardDays = 30
	maxDashboardDays     = 366
)

// adminDashboard shows counts, the funnel and the daily chart for a period of
// whole UTC days; test applications are left out unless test=include.
func (s *Server) adminDashboard(c echo.Context) error {
	today := s.now().UTC().Truncate(24 * time.Hour)
	errs := map[string]string{}
	day := func(param string, def time.Time) time.Time {
		v := c.QueryParam(param)
		if v == "" {
			return def
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			errs[param] = "Use a date like 2026-03-31."
			return def
		}
		return t
	}
	to := day("to", today)
	from := day("from", to.AddDate(0, 0, -(defaultDashboardDays-1)))
	if from.After(to) {
		errs["from"] = "The start is after the end."
		from = to.AddDate(0, 0, -(defaultDashboardDays - 1))
	}
	if to.Sub(from) >= maxDashboardDays*24*time.Hour {
		errs["from"] = "Choose a period of at most a year."
		from = to.AddDate(0, 0, -(maxDashboardDays - 1))
	}
	includeTest := c.QueryParam("test") == "include"

	st, err := s.store.Dashboard(c.Request().Context(), store.DashboardQuery{From: from, To: to.AddDate(0, 0, 1), IncludeTest: includeTest})
	if err != nil {
		return err
	}
	v := views.DashboardView{
		AdminPage:            s.adminPage(c, "Dashboard"),
		Form:                 views.DashboardForm{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), IncludeTest: includeTest},
		Errors:               errs,
		Applications:         st.Applications,
		Submitted:            st.Submitted,
		OffersFound:          st.OffersFound,
		OfferSelected:        st.OfferSelected,
		OffersDeclined:       st.OffersDeclined,
		OffersExpired:        st.OffersExpired,
		MedianSubmitToOffers: st.MedianSubmitToOffers,
		HasMedian:            st.HasMedian,
		TimedOut:             st.TimedOut,
		CallbacksReceived:    st.CallbacksReceived,
		CallbacksRejected:    st.CallbacksRejected,
	}
	for _, sc := range st.ByLeadStatus {
		v.ByLeadStatus = append(v.ByLeadStatus, views.StatusCount{Status: sc.Status, Count: sc.Count})
	}
	for _, sc := range st.ByReviewStatus {
		v.ByReviewStatus = append(v.ByReviewStatus, views.StatusCount{Status: sc.Status, Count: sc.Count})
	}
	for _, d := range st.Daily {
		v.Daily = append(v.Daily, views.DayCount{Day: d.Day, Count: d.Count})
	}
	for _, p := range []struct {
		label string
		days  int
	}{{"Today", 1}, {"7 days", 7}, {"30 days", 30}, {"90 days", 90}} {
		q := url.Values{"from": {today.AddDate(0, 0, -(p.days - 1)).Format(time.DateOnly)}, "to": {today.Format(time.DateOnly)}}
		if includeTest {
			q.Set("test", "include")
		}
		v.Presets = append(v.Presets, views.NavLink{Href: "/admin?" + q.Encode(), Label: p.label})
	}
	return render(c, http.StatusOK, views.AdminDashboard(v))
}
