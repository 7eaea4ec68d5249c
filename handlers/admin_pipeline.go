package handlers

import (
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// htmx headers of the pipeline: the whole-page request htmx makes when going back
// in history, and the response header that sets the URL htmx pushes.
const (
	hxHistoryRestore = "HX-History-Restore-Request"
	hxPushURL        = "HX-Push-Url"
)

const maxFilterTextLen = 200

// ssnShaped matches a search that looks like a full SSN.
var ssnShaped = regexp.MustCompile(`^\d{3}[- ]?\d{2}[- ]?\d{4}$`)

// parsePipeline reads the pipeline's URL parameters: the form as typed (to
// re-render and to build links) and the store filter. An invalid value is
// reported and ignored rather than failing the page.
func parsePipeline(c echo.Context) (views.PipelineForm, store.PipelineFilter, map[string]string) {
	q := c.QueryParams()
	get := func(k string) string {
		v := strings.TrimSpace(q.Get(k))
		if utf8.RuneCountInString(v) > maxFilterTextLen {
			v = string([]rune(v)[:maxFilterTextLen])
		}
		return v
	}
	errs := map[string]string{}
	form := views.PipelineForm{
		Q: get(views.ParamQ), LeadStatus: get(views.ParamLeadStatus), ReviewStatus: get(views.ParamReviewStatus),
		From: get(views.ParamFrom), To: get(views.ParamTo), MinAmount: get(views.ParamMinAmount), MaxAmount: get(views.ParamMaxAmount),
		Lender: get(views.ParamLender), Test: get(views.ParamTest), Sort: get(views.ParamSort), Dir: get(views.ParamDir),
	}
	if ssnShaped.MatchString(form.Q) {
		// Never echo an SSN back into the page, its links or the audit log.
		errs[views.ParamQ], form.Q = "Searching by SSN isn't possible. Search by name, email or an id.", ""
	}
	f := store.PipelineFilter{Query: form.Q, Lender: form.Lender}

	if form.LeadStatus != "" {
		if st, err := lending.ParseLeadStatus(form.LeadStatus); err == nil {
			f.LeadStatus = st
		} else {
			errs[views.ParamLeadStatus], form.LeadStatus = "Unknown lead status.", ""
		}
	}
	if form.ReviewStatus != "" {
		if st, err := lending.ParseReviewStatus(form.ReviewStatus); err == nil {
			f.ReviewStatus = st
		} else {
			errs[views.ParamReviewStatus], form.ReviewStatus = "Unknown review status.", ""
		}
	}
	date := func(param string, v *string) time.Time {
		if *v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, *v)
		if err != nil {
			errs[param], *v = "Use a date like 2026-03-31.", ""
			return time.Time{}
		}
		return t
	}
	f.From = date(views.ParamFrom, &form.From)
	if to := date(views.ParamTo, &form.To); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the "until" day is included
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs[views.ParamTo], form.To, f.To = "The end date is before the start date.", "", time.Time{}
	}
	amount := func(param string, v *string) lending.Cents {
		if *v == "" {
			return 0
		}
		d, ok := lending.ParseDollars(*v)
		if !ok {
			errs[param], *v = "Use whole dollars, like 15000.", ""
			return 0
		}
		return lending.Cents(d * 100)
	}
	f.MinAmount = amount(views.ParamMinAmount, &form.MinAmount)
	f.MaxAmount = amount(views.ParamMaxAmount, &form.MaxAmount)
	if f.MinAmount > 0 && f.MaxAmount > 0 && f.MinAmount > f.MaxAmount {
		errs[views.ParamMaxAmount], form.MaxAmount, f.MaxAmount = "The upper amount is below the lower one.", "", 0
	}
	switch form.Test {
	case "real":
		f.Test = store.TestReal
	case "test":
		f.Test = store.TestOnly
	case "":
	default:
		form.Test = ""
	}
	switch store.PipelineSort(form.Sort) {
	case store.SortCreated, store.SortAmount, store.SortName, store.SortLeadStatus, store.SortReviewStatus:
		f.Sort = store.PipelineSort(form.Sort)
	default:
		form.Sort = ""
	}
	if form.Dir != "asc" && form.Dir != "desc" {
		form.Dir = ""
	}
	f.Asc = form.Dir == "asc"
	form.Page, _ = strconv.Atoi(q.Get(views.ParamPage))
	form.Page = max(form.Page, 1)
	form.PageSize, _ = strconv.Atoi(q.Get(views.ParamPageSize))
	if form.PageSize < 1 {
		form.PageSize = views.DefaultPageSize
	}
	form.PageSize = min(form.PageSize, store.MaxPipelinePageSize)
	f.Page, f.PageSize = form.Page, form.PageSize
	return form, f, errs
}

// adminPipeline is the pipeline. An htmx request gets only the results fragment
// (unless htmx is restoring history, which needs the whole page).
func (s *Server) adminPipeline(c echo.Context) error {
	ctx := c.Request().Context()
	form, filter, errs := parsePipeline(c)
	page, err := s.store.Pipeline(ctx, filter)
	if err != nil {
		return err
	}
	lenders, err := s.store.Lenders(ctx)
	if err != nil {
		return err
	}
	v := views.PipelineView{AdminPage: s.adminPage(c, "Applications"), Form: form, Errors: errs,
		Rows: page.Rows, Total: page.Total, Page: page.Page, PageSize: page.PageSize, Lenders: lenders}
	if v.PartnerNames, err = s.partnerNames(c, page.Rows); err != nil {
		return err
	}
	c.Response().Header().Add("Vary", hxRequest)
	if isHTMX(c) && c.Request().Header.Get(hxHistoryRestore) != "true" {
		// The address bar gets the tidy URL of this view (a submitted form would
		// push every empty field).
		c.Response().Header().Set(hxPushURL, form.URL("/admin/applications"))
		return render(c, http.StatusOK, views.PipelineResults(v))
	}
	return render(c, http.StatusOK, views.AdminPipeline(v))
}

// csvHeader is the export's first row. Personal data is masked: no SSN, no date
// of birth, the email's local part hidden, the last name reduced to an initial.
var csvHeader = []string{"applicationId", "createdAt", "partnerLeadId", "leadUuid", "borrower", "email",
	"state", "requestedAmount", "loanPurpose", "leadStatus", "reviewStatus", "selectedProductId", "test"}

// adminPipelineCSV streams the whole filtered set (paging ignored) as CSV, and
// records the export in the audit log.
func (s *Server) adminPipelineCSV(c echo.Context) error {
	ctx := c.Request().Context()
	form, filter, _ := parsePipeline(c)
	form.Page, form.PageSize = 0, 0
	if err := s.store.AddAudit(ctx, store.AuditEntry{OfficerID: currentOfficer(c).ID, OfficerEmail: currentOfficer(c).Email,
		Action: store.AuditExportCSV, Detail: form.Values().Encode(), IP: c.RealIP(), UserAgent: c.Request().UserAgent()}); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="applications-%s.csv"`, s.now().UTC().Format("20060102-150405")))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(csvHeader); err != nil {
		return err
	}
	rows := 0
	err := s.store.PipelineExport(ctx, filter, func(a lending.Application) error {
		rows++
		return w.Write(csvRow(a))
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// The header is out: all that can be done is to log and cut the body short.
		s.log.LogAttrs(ctx, slog.LevelError, "csv export failed", slog.Int("rows", rows), slog.String("error", err.Error()))
	}
	return nil
}

func csvRow(a lending.Application) []string {
	initial := ""
	if r, _ := utf8.DecodeRuneInString(a.LastName); r != utf8.RuneError {
		initial = " " + string(r) + "."
	}
	cells := []string{a.ID, a.CreatedAt.UTC().Format(time.RFC3339), a.PartnerLeadID, a.Lead.UUID,
		a.FirstName + initial, lending.MaskEmail(a.Email), a.State, dollarsText(a.RequestedAmount), a.LoanPurpose,
		string(a.Lead.Status), string(a.Review.Status), a.Lead.SelectedProductID, strconv.FormatBool(a.IsTest)}
	for i, v := range cells {
		cells[i] = csvSafe(v)
	}
	return cells
}

// csvSafe defuses cells a spreadsheet would run as a formula (CSV injection):
// a borrower's name may begin with "=".
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func dollarsText(c lending.Cents) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// partnerNames names the partners that own any of apps.
func (s *Server) partnerNames(c echo.Context, apps []lending.Application) (map[string]string, error) {
	var ids []string
	for _, a := range apps {
		if a.PartnerID != "" {
			ids = append(ids, a.PartnerID)
		}
	}
	return s.store.PartnerNames(c.Request().Context(), ids)
}
