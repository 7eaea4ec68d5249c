package views

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"prequal/lending"
)

// AdminPage is the frame of every /admin page: the layout's page with the admin
// navigation, and the officer signed in.
type AdminPage struct {
	Page
	Officer lending.Officer
}

// withHTMX is p with the htmx script (the pages with hx- attributes).
func (p AdminPage) withHTMX() AdminPage {
	p.Page = p.Page.withHTMX()
	return p
}

// NewAdminPage builds the frame of an admin page for the signed-in officer; the
// API keys and Officers entries appear only for roles that manage officers.
func NewAdminPage(site Site, title string, o lending.Officer) AdminPage {
	nav := []NavLink{
		{Href: "/admin", Label: "Dashboard"},
		{Href: "/admin/applications", Label: "Applications"},
		{Href: "/admin/review", Label: "Review queue"},
	}
	if o.Role.Can(lending.PermManageOfficers) { // the API keys routes are admin-only too
		nav = append(nav, NavLink{Href: "/admin/partners", Label: "Partners"}, NavLink{Href: "/admin/api-keys", Label: "API keys"},
			NavLink{Href: "/admin/officers", Label: "Officers"})
	}
	return AdminPage{Page: Page{Site: site, Title: title, Description: AdminDescription, Nav: nav}, Officer: o}
}

// AdminDescription describes the loan officers' pages (/admin).
const AdminDescription = "The loan officers' back office of the Prequal Portal: applications and their offers, the review queue, partners and their API keys."

// SignInView is the officer sign-in page.
type SignInView struct {
	Page
	Email string
	Next  string // where to go after signing in (an /admin path)
	Error string
	Info  string // e.g. "You have signed out."
}

// adminTime formats a time for officers: UTC, to the second, unambiguous.
func adminTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// thousands formats n with thousands separators: 1234 → "1,234".
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// PageRange is the "1–50 of 1,234" line of a paged list.
func PageRange(total, page, size int) string {
	if total == 0 {
		return "No applications match"
	}
	first := (page-1)*size + 1
	if first > total {
		return fmt.Sprintf("Page %s is past the last of %s results", thousands(page), thousands(total))
	}
	last := min(page*size, total)
	return fmt.Sprintf("%s–%s of %s", thousands(first), thousands(last), thousands(total))
}

// percent formats part/whole as "42.9%", or "—" when whole is 0.
func percent(part, whole int) string {
	if whole == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(part)*100/float64(whole), 'f', 1, 64) + "%"
}

// humanDuration shows a duration to the second ("1m 5s"), or "—" when unknown.
func humanDuration(d time.Duration, known bool) string {
	if !known {
		return "—"
	}
	if d < 10*time.Second { // platform answers often take a second or two
		return strconv.FormatFloat(d.Round(100*time.Millisecond).Seconds(), 'f', 1, 64) + "s"
	}
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return fmt.Sprintf("%dm %ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// leadStatusOptions and reviewStatusOptions are the filter choices, in lifecycle order.
var (
	leadStatusOptions = []lending.LeadStatus{lending.LeadCreated, lending.LeadInProgress, lending.LeadFindingProducts,
		lending.LeadOffersFound, lending.LeadNoOffers, lending.LeadTimedOut, lending.LeadProductSelected}
	reviewStatusOptions = []lending.ReviewStatus{lending.ReviewPending, lending.ReviewManualReview,
		lending.ReviewApproved, lending.ReviewDenied, lending.ReviewCanceled}
)

// PipelineForm is the pipeline's filter, sort and page exactly as the URL carries
// them, so the form re-renders what the officer chose and every link keeps it.
type PipelineForm struct {
	Q            string
	LeadStatus   string
	ReviewStatus string
	From, To     string // YYYY-MM-DD, inclusive
	MinAmount    string // whole dollars
	MaxAmount    string
	Lender       string
	Test         string // "", real, test
	Sort         string // created, amount, name, lead_status, review_status
	Dir          string // asc, desc
	Page         int
	PageSize     int
}

// Pipeline URL parameter names.
const (
	ParamQ            = "q"
	ParamLeadStatus   = "leadStatus"
	ParamReviewStatus = "reviewStatus"
	ParamFrom         = "from"
	ParamTo           = "to"
	ParamMinAmount    = "minAmount"
	ParamMaxAmount    = "maxAmount"
	ParamLender       = "lender"
	ParamTest         = "test"
	ParamSort         = "sort"
	ParamDir          = "dir"
	ParamPage         = "page"
	ParamPageSize     = "pageSize"
)

// DefaultPageSize is the pipeline's page size unless the URL asks for another.
const DefaultPageSize = 50

// PageSizes are the page sizes offered (the store caps at 100).
var PageSizes = []int{25, 50, 100}

// Values encodes the form as URL parameters, leaving out defaults.
func (f PipelineForm) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set(ParamQ, f.Q)
	set(ParamLeadStatus, f.LeadStatus)
	set(ParamReviewStatus, f.ReviewStatus)
	set(ParamFrom, f.From)
	set(ParamTo, f.To)
	set(ParamMinAmount, f.MinAmount)
	set(ParamMaxAmount, f.MaxAmount)
	set(ParamLender, f.Lender)
	set(ParamTest, f.Test)
	if f.Sort != "" && f.Sort != "created" {
		v.Set(ParamSort, f.Sort)
	}
	if f.Dir == "asc" {
		v.Set(ParamDir, f.Dir)
	}
	if f.Page > 1 {
		v.Set(ParamPage, strconv.Itoa(f.Page))
	}
	if f.PageSize != 0 && f.PageSize != DefaultPageSize {
		v.Set(ParamPageSize, strconv.Itoa(f.PageSize))
	}
	return v
}

// URL is the pipeline (or export) URL of this form.
func (f PipelineForm) URL(path string) string {
	if q := f.Values().Encode(); q != "" {
		return path + "?" + q
	}
	return path
}

// PageURL is the pipeline URL of another page of the same view.
func (f PipelineForm) PageURL(page int) string {
	f.Page = page
	return f.URL("/admin/applications")
}

// SortURL orders by col: descending first, ascending when already descending by col.
func (f PipelineForm) SortURL(col string) string {
	dir := "desc"
	if f.sortCol() == col && f.Dir != "asc" {
		dir = "asc"
	}
	f.Sort, f.Dir, f.Page = col, dir, 1
	return f.URL("/admin/applications")
}

func (f PipelineForm) sortCol() string {
	if f.Sort == "" {
		return "created"
	}
	return f.Sort
}

// ariaSort is the aria-sort value of a column header.
func (f PipelineForm) ariaSort(col string) string {
	if f.sortCol() != col {
		return "none"
	}
	if f.Dir == "asc" {
		return "ascending"
	}
	return "descending"
}

// PipelineView is the pipeline page (or, for htmx, its results fragment).
type PipelineView struct {
	AdminPage
	Form     PipelineForm
	Errors   map[string]string // by parameter name; an invalid value is ignored
	Rows     []lending.Application
	Total    int
	Page     int
	PageSize int
	Lenders  []string
	// PartnerNames names the partners of the rows made through the API, by id.
	PartnerNames map[string]string
}

// channelText says how an application came: "Web", or the channel and the
// partner whose key made it.
func channelText(a lending.Application, partnerNames map[string]string) string {
	if a.PartnerID == "" {
		return a.Channel.Label()
	}
	name := partnerNames[a.PartnerID]
	if name == "" {
		name = a.PartnerID
	}
	return a.Channel.Label() + " · " + name
}

func (v PipelineView) lastPage() int {
	if v.Total == 0 {
		return 1
	}
	return (v.Total + v.PageSize - 1) / v.PageSize
}

// ConsentRow is one consent's evidence as the detail page shows it.
type ConsentRow struct {
	Kind        string
	TextVersion string
	Granted     bool
	At          time.Time
	IP          string
	UserAgent   string
}

// ActionChoice is an officer action and whether the application allows it now.
type ActionChoice struct {
	Action  lending.OfficerAction
	Allowed bool
	Why     string // when not allowed
}

// DenyForm is the deny form's input, kept when it is re-rendered with errors.
type DenyForm struct {
	Reasons   []string
	OtherText string
	Note      string
}

func (d DenyForm) has(code string) bool {
	for _, r := range d.Reasons {
		if r == code {
			return true
		}
	}
	return false
}

// ApplicationDetailView is one application as an officer sees it.
type ApplicationDetailView struct {
	AdminPage
	App         lending.Application
	Now         time.Time
	Consents    []ConsentRow
	Offers      []lending.Offer
	Events      []lending.Event
	HeldBecause string    // the screening rules that held it, when it was held
	RevealedDOB time.Time // zero unless the officer revealed it on this request
	Actions     []ActionChoice
	CanAct      bool
	Deny        DenyForm
	// Errors by form field: "note-{action}", "approve-note", "deny-note",
	// "reasons", "otherText", "reveal-reason"; "form" for the whole page.
	Errors map[string]string
	Notice string // the platform's notice, already sanitized
	Flash  string // confirms the action just taken
	// PartnerName names the partner whose key made the application ("" for the web).
	PartnerName string
	Mails       []MailRow
}

// MailRow is one borrower email of the application and its delivery status.
type MailRow struct {
	Kind      lending.MailKind
	Status    lending.MailStatus
	Subject   string
	Attempts  int
	CreatedAt time.Time
	SentAt    time.Time
	NextTryAt time.Time
	LastError string
}

// mailStatusText is the delivery status in words.
func (m MailRow) mailStatusText() string {
	switch m.Status {
	case lending.MailSent:
		return "sent " + adminTime(m.SentAt)
	case lending.MailQueued:
		if m.Attempts == 0 {
			return "queued"
		}
		return "retrying (next try " + adminTime(m.NextTryAt) + ")"
	case lending.MailFailed:
		return "not delivered"
	case lending.MailSkipped:
		return "not sent"
	}
	return string(m.Status)
}

func (v ApplicationDetailView) age() int { return lending.AgeOn(v.App.DOB, v.Now) }

func (v ApplicationDetailView) selectedOffer() (lending.Offer, bool) {
	for _, o := range v.Offers {
		if o.ProductID == v.App.Lead.SelectedProductID {
			return o, true
		}
	}
	return lending.Offer{}, false
}

func (v ApplicationDetailView) err(k string) string { return v.Errors[k] }

// ReviewQueueRow is one application held for review, with why.
type ReviewQueueRow struct {
	App         lending.Application
	HeldBecause string
}

// ReviewQueueView is the manual review queue.
type ReviewQueueView struct {
	AdminPage
	Rows []ReviewQueueRow
}

// StatusCount is how many applications have one status.
type StatusCount struct {
	Status string
	Count  int
}

// DayCount is how many applications arrived on one day.
type DayCount struct {
	Day   time.Time
	Count int
}

// DashboardForm is the dashboard's period as the URL carries it.
type DashboardForm struct {
	From, To    string // YYYY-MM-DD inclusive
	IncludeTest bool
}

// DashboardView is the officer dashboard for one period.
type DashboardView struct {
	AdminPage
	Form                 DashboardForm
	Errors               map[string]string
	Presets              []NavLink // quick periods
	Applications         int
	ByLeadStatus         []StatusCount
	ByReviewStatus       []StatusCount
	Submitted            int
	OffersFound          int
	OfferSelected        int
	MedianSubmitToOffers time.Duration
	HasMedian            bool
	TimedOut             int
	CallbacksReceived    int
	CallbacksRejected    int
	Daily                []DayCount
}

// OfficerForm is the new-officer form's input.
type OfficerForm struct {
	Email string
	Role  string
}

// OfficersView is the officer accounts page (admins only).
type OfficersView struct {
	AdminPage
	Officers []lending.Officer
	Form     OfficerForm
	Errors   map[string]string
	// Created is the account just created and, when the portal generated it, its
	// password, shown this once.
	Created           string
	GeneratedPassword string
}

// eventLabel is the timeline's wording of an event kind.
func eventLabel(kind string) string {
	switch kind {
	case lending.EventApplicationReceived:
		return "Application received"
	case lending.EventSubmitAttempt:
		return "Submit attempt"
	case lending.EventSubmitFailed:
		return "Submit refused"
	case lending.EventLeadCreated:
		return "Lead created"
	case lending.EventStatusChanged:
		return "Status changed"
	case lending.EventCallbackAccepted:
		return "Callback accepted"
	case lending.EventCallbackDuplicate:
		return "Callback duplicate"
	case lending.EventCallbackRejected:
		return "Callback rejected"
	case lending.EventPolled:
		return "Polled the platform"
	case lending.EventTimedOut:
		return "Timed out"
	case lending.EventOfferSelected:
		return "Offer selected"
	case lending.EventRetryRequested:
		return "Retry requested"
	case lending.EventHeldForReview:
		return "Held for review"
	case lending.EventFlaggedForReview:
		return "Flagged for officers"
	case lending.EventReviewDecided:
		return "Review decided"
	case lending.EventEmailSent:
		return "Email sent"
	case lending.EventEmailFailed:
		return "Email not delivered"
	case lending.EventEmailSkipped:
		return "Email not sent"
	case lending.EventResumeLinkUsed:
		return "Resume link used"
	case lending.EventOfficerAction:
		return "Officer action"
	case lending.EventPIIRevealed:
		return "Personal data revealed"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// consentLabel names a consent kind.
func consentLabel(kind string) string {
	switch kind {
	case lending.ConsentSoftPull:
		return "Soft credit inquiry"
	case lending.ConsentTerms:
		return "Terms of use and privacy policy"
	case lending.ConsentEsign:
		return "E-sign disclosure"
	case lending.ConsentTcpa:
		return "Calls and texts (TCPA)"
	}
	return kind
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func unavailableActions(all []ActionChoice) []ActionChoice {
	var out []ActionChoice
	for _, a := range all {
		if !a.Allowed {
			out = append(out, a)
		}
	}
	return out
}

// chart geometry of the daily applications chart (SVG user units).
const (
	chartW, chartH         = 640.0, 220.0
	chartLeft, chartBottom = 40.0, 30.0
	chartTop               = 10.0
)

// chartBar is one day's bar.
type chartBar struct {
	X, Y, W, H string
	Title      string
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// dailyBars lays out one bar per day, scaled to the busiest day.
func dailyBars(days []DayCount) []chartBar {
	if len(days) == 0 {
		return nil
	}
	peak := chartPeak(days)
	plotW, plotH := chartW-chartLeft-10, chartH-chartTop-chartBottom
	slot := plotW / float64(len(days))
	w := max(slot*0.8, 1)
	out := make([]chartBar, len(days))
	for i, d := range days {
		h := plotH * float64(d.Count) / float64(peak)
		out[i] = chartBar{
			X: f1(chartLeft + float64(i)*slot + (slot-w)/2), Y: f1(chartTop + plotH - h),
			W: f1(w), H: f1(h),
			Title: fmt.Sprintf("%s: %s applications", d.Day.Format("Mon Jan 2"), thousands(d.Count)),
		}
	}
	return out
}

func chartPeak(days []DayCount) int {
	peak := 1
	for _, d := range days {
		peak = max(peak, d.Count)
	}
	return peak
}

func chartSummary(days []DayCount) string {
	if len(days) == 0 {
		return "No days in the period."
	}
	total := 0
	for _, d := range days {
		total += d.Count
	}
	return fmt.Sprintf("Applications per day from %s to %s: %s in total, at most %s on one day.",
		days[0].Day.Format("Jan 2, 2006"), days[len(days)-1].Day.Format("Jan 2, 2006"), thousands(total), thousands(chartPeak(days)))
}
