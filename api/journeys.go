package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/correlation"
	"prequal/lending"
	"prequal/store"
)

// Headless journeys (seed 001): a partner's backend opens a borrower session
// with its API key (scope journeys) and hands the borrower's app a short-lived
// session token; the app then runs the whole journey with that token alone —
// start, profile, submit, offers, proceed, cancel, resume — rendering each
// screen from the state answer (lending.DecideJourneyState, the same answer
// the portal's own pages follow). A journey is an application once submitted:
// the same validation, the same one-transaction create, the same worker.

// JourneyStore is what the headless journeys API needs (store.Store).
type JourneyStore interface {
	StartHeadlessSession(ctx context.Context, partnerID, externalRef string, ttl store.HeadlessTTL) (store.HeadlessSession, error)
	RefreshHeadlessSession(ctx context.Context, refreshToken string, ttl store.HeadlessTTL) (store.HeadlessSession, error)
	HeadlessBorrowerByAccessToken(ctx context.Context, accessToken string) (store.HeadlessBorrower, error)
	StartJourney(ctx context.Context, b store.HeadlessBorrower) (store.HeadlessJourney, error)
	BorrowerJourney(ctx context.Context, b store.HeadlessBorrower, id string) (store.HeadlessJourney, error)
	BorrowerJourneys(ctx context.Context, b store.HeadlessBorrower, limit int) ([]store.HeadlessJourney, error)
	SaveJourneyProfile(ctx context.Context, b store.HeadlessBorrower, id string, form lending.ApplicationForm, stage lending.ProfileStage) (store.HeadlessJourney, error)
	JourneyProfile(ctx context.Context, b store.HeadlessBorrower, id string) (lending.ApplicationForm, error)
	SubmitJourney(ctx context.Context, b store.HeadlessBorrower, id string, in store.NewApplication) (store.HeadlessJourney, bool, error)
	CancelJourney(ctx context.Context, b store.HeadlessBorrower, id string) (store.HeadlessJourney, error)
	LeadOffers(ctx context.Context, applicationID string) ([]lending.Offer, error)
	SelectOffer(ctx context.Context, applicationID, productID string) (lending.Offer, error)
	RetryLead(ctx context.Context, applicationID string, leadTimeout time.Duration, source, actor string) (lending.Application, error)
	RedeemResumeToken(ctx context.Context, text string, r store.Redemption) (lending.Application, error)
}

// JourneysConfig is what the headless journeys API needs from the portal.
type JourneysConfig struct {
	Store JourneyStore
	// TTL is how long session and refresh tokens live (zero: 15 minutes and 30 days).
	TTL store.HeadlessTTL
	// LeadTimeout is the time a new or retried lead gets.
	LeadTimeout func() time.Duration
	// WakeWorker, when set, tells the worker a submission is queued.
	WakeWorker func()
	// StageLenderPrefix is the one non-https place an offer may send a
	// borrower (the stage platform's lender pages); empty outside stage.
	StageLenderPrefix string
	// TestScenario reports whether a profile's "scenario" names a QA scenario
	// (stage only: the application is QA test data); nil: never.
	TestScenario func(id string) bool
	// SanitizeNotice makes the platform's notice of action taken safe to
	// render (views.SanitizeNotice, as the web page does); nil: the notice
	// is not sent at all.
	SanitizeNotice func(html string) string
}

// Token lifetimes by default: seed 001's session token lives minutes.
const (
	defaultAccessTTL  = 15 * time.Minute
	defaultRefreshTTL = 30 * 24 * time.Hour
	maxJourneysListed = 100
	maxExternalRefLen = 200
)

// journeyIDPattern is the shape of a journey id (store.NewID).
var journeyIDPattern = regexp.MustCompile(`^[a-z2-7]{26}$`)

// borrowerSession admits requests carrying a live borrower session token
// (Authorization: Bearer bst_…) and puts the borrower's Principal in the
// context; anything else — a partner's API key included — is a 401.
func (a *API) borrowerSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := secretOf(c.Request())
		if a.journeys.Store == nil || !strings.HasPrefix(token, store.HeadlessAccessTokenPrefix) {
			return errBorrowerUnauthorized(c)
		}
		b, err := a.journeys.Store.HeadlessBorrowerByAccessToken(c.Request().Context(), token)
		if errors.Is(err, store.ErrNotFound) {
			return errBorrowerUnauthorized(c)
		}
		if err != nil {
			return fmt.Errorf("api: look up borrower session: %w", err)
		}
		c.Set(principalKey, Principal{Kind: PrincipalBorrowerSession, PartnerID: b.PartnerID,
			KeyID: "borrower:" + b.ID, Borrower: b})
		return next(c)
	}
}

func errBorrowerUnauthorized(c echo.Context) *Problem {
	c.Response().Header().Set("WWW-Authenticate", `Bearer realm="borrower"`)
	return NewProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized",
		"Send a live borrower session token as Authorization: Bearer bst_…; refresh it through your backend when it expires.")
}

// requireTokenIdempotencyKey asks token-issuing calls for an Idempotency-Key
// like every mutating call, but keeps no answer: a kept answer would store
// the tokens in the clear. A retry issues a new pair (sessions) or is refused
// as a reuse (refresh): the backend then opens a new session.
func requireTokenIdempotencyKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		k := c.Request().Header.Get(HeaderIdempotencyKey)
		switch {
		case k == "":
			return NewProblem(http.StatusBadRequest, "idempotency-key-required", "Idempotency-Key required",
				"Send an Idempotency-Key header (a unique value per operation, e.g. a UUID) with every mutating call.")
		case !usableIdempotencyKey(k):
			return NewProblem(http.StatusBadRequest, "idempotency-key-invalid", "Invalid Idempotency-Key",
				"An Idempotency-Key is 1 to 255 visible ASCII characters.")
		}
		return next(c)
	}
}

// The session answer.
type sessionResponse struct {
	BorrowerID       string            `json:"borrowerId"`
	ExternalRef      string            `json:"externalRef"`
	SessionToken     string            `json:"sessionToken"`
	SessionExpiresAt time.Time         `json:"sessionExpiresAt"`
	RefreshToken     string            `json:"refreshToken"`
	RefreshExpiresAt time.Time         `json:"refreshExpiresAt"`
	Journeys         []journeyResponse `json:"journeys"`
}

func (a *API) ttl() store.HeadlessTTL {
	t := a.journeys.TTL
	if t.Access <= 0 {
		t.Access = defaultAccessTTL
	}
	if t.Refresh <= 0 {
		t.Refresh = defaultRefreshTTL
	}
	return t
}

func (a *API) sessionAnswer(c echo.Context, s store.HeadlessSession, status int) error {
	ctx := c.Request().Context()
	list, err := a.journeys.Store.BorrowerJourneys(ctx, s.Borrower, maxJourneysListed)
	if err != nil {
		return err
	}
	out := sessionResponse{BorrowerID: s.Borrower.ID, ExternalRef: s.Borrower.ExternalRef,
		SessionToken: s.AccessToken, SessionExpiresAt: s.AccessExpiresAt.UTC(),
		RefreshToken: s.RefreshToken, RefreshExpiresAt: s.RefreshExpiresAt.UTC(), Journeys: []journeyResponse{}}
	for _, j := range list {
		out.Journeys = append(out.Journeys, a.journeyAnswer(j))
	}
	return c.JSON(status, out)
}

// startSession is POST /v1/headless/sessions: the partner's backend opens a
// session for its borrower {"externalRef": "…"} (its own reference for them).
func (a *API) startSession(c echo.Context) error {
	var in struct {
		ExternalRef *string `json:"externalRef"`
	}
	if err := decodeJSONBody(c, &in); err != nil {
		return err
	}
	ref := ""
	if in.ExternalRef != nil {
		ref = strings.TrimSpace(*in.ExternalRef)
	}
	if ref == "" || len(ref) > maxExternalRefLen || !printable(ref) {
		return ValidationProblem(FieldProblem{Pointer: "/externalRef",
			Detail: fmt.Sprintf("Required: your own reference for the borrower, 1 to %d printable characters.", maxExternalRefLen)})
	}
	s, err := a.journeys.Store.StartHeadlessSession(c.Request().Context(), PrincipalOf(c).PartnerID, ref, a.ttl())
	if err != nil {
		return err
	}
	return a.sessionAnswer(c, s, http.StatusCreated)
}

// refreshSession is POST /v1/headless/sessions/refresh: the partner's backend
// trades a refresh token {"refreshToken": "brt_…"} for a new pair. A spent
// token revokes its family; an unknown, expired, revoked or another partner's
// token is the same 401.
func (a *API) refreshSession(c echo.Context) error {
	var in struct {
		RefreshToken string `json:"refreshToken"`
	}
	if err := decodeJSONBody(c, &in); err != nil {
		return err
	}
	if in.RefreshToken == "" {
		return ValidationProblem(FieldProblem{Pointer: "/refreshToken", Detail: "Required."})
	}
	invalid := NewProblem(http.StatusUnauthorized, "refresh-token-invalid", "Refresh token not accepted",
		"The refresh token is unknown, expired, spent or revoked. Open a new session with POST /api/v1/headless/sessions.")
	s, err := a.journeys.Store.RefreshHeadlessSession(c.Request().Context(), in.RefreshToken, a.ttl())
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRefreshReused):
		return invalid.SetInternal(err)
	case err != nil:
		return err
	case s.Borrower.PartnerID != PrincipalOf(c).PartnerID:
		return invalid.SetInternal(errors.New("refresh token of another partner"))
	}
	return a.sessionAnswer(c, s, http.StatusOK)
}

// The journey answers.
type (
	journeyResponse struct {
		ID            string        `json:"id"`
		CreatedAt     time.Time     `json:"createdAt"`
		ApplicationID string        `json:"applicationId,omitempty"`
		State         stateResponse `json:"state"`
	}
	stateResponse struct {
		JourneyID      string              `json:"journeyId"`
		Status         lending.Journey     `json:"status"`
		NextAction     lending.NextAction  `json:"nextAction"`
		ActionRequired bool                `json:"actionRequired"`
		Resource       resourceResponse    `json:"resource"`
		Diagnostics    diagnosticsResponse `json:"diagnostics"`
	}
	resourceResponse struct {
		Kind lending.ResourceKind `json:"kind"`
		// Href is the API call that fetches what to render (offers); URL is
		// where to send the borrower (the chosen lender).
		Href string `json:"href,omitempty"`
		URL  string `json:"url,omitempty"`
	}
	diagnosticsResponse struct {
		WaitingFor lending.WaitingFor `json:"waitingFor"`
		Since      time.Time          `json:"since"`
		// PollAfterSeconds is when to ask for the state again (0: no need,
		// nothing will change by itself).
		PollAfterSeconds int `json:"pollAfterSeconds"`
	}
)

func journeyPath(id string) string { return "/api/v1/headless/journeys/" + id }

func (a *API) stateAnswer(j store.HeadlessJourney) stateResponse {
	st := lending.DecideJourneyState(j.Facts(), a.now())
	out := stateResponse{JourneyID: j.ID, Status: st.Status, NextAction: st.NextAction, ActionRequired: st.ActionRequired,
		Resource: resourceResponse{Kind: st.Resource},
		Diagnostics: diagnosticsResponse{WaitingFor: st.Diagnostics.WaitingFor, Since: st.Diagnostics.Since.UTC(),
			PollAfterSeconds: int((st.Diagnostics.PollAfter + time.Second - 1) / time.Second)}}
	switch st.Resource {
	case lending.ResourceProfileForm:
		out.Resource.Href = journeyPath(j.ID) + "/profile"
	case lending.ResourceSubmit:
		out.Resource.Href = journeyPath(j.ID) + "/submit"
	case lending.ResourceLenderRedirect:
		out.Resource.Href = journeyPath(j.ID) + "/offers"
		if lending.OutboundURLAllowed(j.SelectedOfferURL, a.journeys.StageLenderPrefix) {
			out.Resource.URL = j.SelectedOfferURL
		}
	case lending.ResourceOffers, lending.ResourceNotice:
		out.Resource.Href = journeyPath(j.ID) + "/offers"
	case lending.ResourceRetry:
		out.Resource.Href = journeyPath(j.ID) + "/resume"
	case lending.ResourceProgress:
		out.Resource.Href = journeyPath(j.ID) + "/state"
	}
	return out
}

func (a *API) journeyAnswer(j store.HeadlessJourney) journeyResponse {
	out := journeyResponse{ID: j.ID, CreatedAt: j.CreatedAt.UTC(), State: a.stateAnswer(j)}
	if j.Application != nil {
		out.ApplicationID = j.Application.ID
	}
	return out
}

// borrowerJourney loads the :id journey of the request's borrower; another
// borrower's (another partner's included) is the same 404 as an unknown id.
func (a *API) borrowerJourney(c echo.Context) (store.HeadlessJourney, error) {
	id := c.Param("id")
	if !journeyIDPattern.MatchString(id) {
		return store.HeadlessJourney{}, errJourneyNotFound()
	}
	j, err := a.journeys.Store.BorrowerJourney(c.Request().Context(), PrincipalOf(c).Borrower, id)
	if errors.Is(err, store.ErrNotFound) {
		return j, errJourneyNotFound()
	}
	return j, err
}

// errJourneyNotFound is the one answer for an unknown journey and for
// another borrower's: the same status, type and detail, so it reveals nothing.
func errJourneyNotFound() *Problem {
	return StatusProblem(http.StatusNotFound)
}

func errJourneyConflict(detail string) *Problem {
	return NewProblem(http.StatusConflict, "journey-conflict", "Not possible now", detail)
}

// listJourneys is GET /journeys: the borrower's journeys, newest first.
func (a *API) listJourneys(c echo.Context) error {
	list, err := a.journeys.Store.BorrowerJourneys(c.Request().Context(), PrincipalOf(c).Borrower, maxJourneysListed)
	if err != nil {
		return err
	}
	out := struct {
		Journeys []journeyResponse `json:"journeys"`
	}{Journeys: []journeyResponse{}}
	for _, j := range list {
		out.Journeys = append(out.Journeys, a.journeyAnswer(j))
	}
	return c.JSON(http.StatusOK, out)
}

// startJourney is POST /journeys.
func (a *API) startJourney(c echo.Context) error {
	j, err := a.journeys.Store.StartJourney(c.Request().Context(), PrincipalOf(c).Borrower)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, journeyPath(j.ID))
	return c.JSON(http.StatusCreated, a.journeyAnswer(j))
}

// getJourney is GET /journeys/{id}.
func (a *API) getJourney(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.journeyAnswer(j))
}

// journeyState is GET /journeys/{id}/state: the state answer alone, the call
// an app polls on diagnostics.pollAfterSeconds.
func (a *API) journeyState(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.stateAnswer(j))
}

// profileFields are the JSON members a profile takes: the web form's fields
// (lending.FormFields), with the QA scenario mark in stage.
var profileFields = append(slices.Clone(lending.FormFields), "scenario")

// putProfile is PUT /journeys/{id}/profile: the application form's fields
// and consents as one JSON object of strings (consents "yes", or true),
// validated by the web form's rules. A profile with errors is kept (the app
// loses nothing; the journey is PROFILE_REQUIRED) and answered 422 listing
// every field's error; a valid one makes the journey PROFILE_SUBMITTED. The
// SSN is never echoed.
func (a *API) putProfile(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	if j.Application != nil || !j.CanceledAt.IsZero() {
		return errJourneyConflict("The profile can only change before the journey is submitted or canceled.")
	}
	form, problems, err := decodeProfile(c)
	if err != nil {
		return err
	}
	_, errs := form.Validate(a.now())
	problems = append(problems, profileProblems(errs)...)
	stage := lending.ProfileComplete
	if len(problems) > 0 {
		stage = lending.ProfileIncomplete
	}
	j, err = a.journeys.Store.SaveJourneyProfile(c.Request().Context(), PrincipalOf(c).Borrower, j.ID, form, stage)
	if errors.Is(err, store.ErrJourneyLocked) {
		return errJourneyConflict("The profile can only change before the journey is submitted or canceled.")
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return ValidationProblem(problems...)
	}
	return c.JSON(http.StatusOK, a.journeyAnswer(j))
}

// profileCoApplicant is the profile's member holding the optional
// co-applicant: a nested object whose members are the web form's co-applicant
// fields named as the borrower's own (coFirstName → firstName, coSsn → ssn),
// validated by the same lending rules; absent or null, there is none.
const profileCoApplicant = "coApplicant"

// coApplicantMember is the nested member name of a co-applicant form field.
func coApplicantMember(field string) string {
	s := strings.TrimPrefix(field, "co")
	return strings.ToLower(s[:1]) + s[1:]
}

// profilePointer is the JSON pointer of a form field in the profile object.
func profilePointer(field string) string {
	if slices.Contains(lending.CoApplicantFields, field) {
		return "/" + profileCoApplicant + "/" + coApplicantMember(field)
	}
	return "/" + field
}

// profileProblems lists the form's errors (lending's Validate) in form
// order, each at its member of the profile object.
func profileProblems(errs map[string]string) []FieldProblem {
	var problems []FieldProblem
	names := append(append(slices.Clone(lending.FormFields), lending.FieldCoApplicant), lending.CoApplicantFields...)
	for _, name := range names {
		if msg, bad := errs[name]; bad {
			problems = append(problems, FieldProblem{Pointer: profilePointer(name), Detail: msg})
		}
	}
	return problems
}

// decodeProfile reads the profile object: string values (a consent may be
// true/false), the co-applicant as a nested object of the same kind,
// unknown members listed as errors.
func decodeProfile(c echo.Context) (lending.ApplicationForm, []FieldProblem, error) {
	body, _, err := readAPIBody(c)
	if err != nil {
		return nil, nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, nil, NewProblem(http.StatusBadRequest, "malformed-json", "Malformed JSON",
			"The request body must be one JSON object.")
	}
	form := lending.ApplicationForm{}
	var problems []FieldProblem
	for _, name := range sortedKeys(raw) {
		v := raw[name]
		switch {
		case name == profileCoApplicant:
			problems = append(problems, decodeCoApplicant(form, v)...)
		case slices.Contains(profileFields, name):
			if p := decodeProfileValue(form, name, name, "/"+name, v); p != nil {
				problems = append(problems, *p)
			}
		default:
			problems = append(problems, FieldProblem{Pointer: "/" + jsonPointerEscape(name), Detail: "Unknown field."})
		}
	}
	return form, problems, nil
}

// decodeCoApplicant reads the nested co-applicant object into the form's
// co-applicant fields and ticks the form's co-applicant box; null leaves
// the box empty (no co-applicant).
func decodeCoApplicant(form lending.ApplicationForm, v json.RawMessage) []FieldProblem {
	if string(v) == "null" {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil || raw == nil {
		return []FieldProblem{{Pointer: "/" + profileCoApplicant,
			Detail: "Must be an object with the co-applicant's details, or null for none."}}
	}
	form[lending.FieldCoApplicant] = lending.Checked
	var problems []FieldProblem
	for _, member := range sortedKeys(raw) {
		i := slices.IndexFunc(lending.CoApplicantFields, func(f string) bool { return coApplicantMember(f) == member })
		if i < 0 {
			problems = append(problems, FieldProblem{Pointer: "/" + profileCoApplicant + "/" + jsonPointerEscape(member), Detail: "Unknown field."})
			continue
		}
		field := lending.CoApplicantFields[i]
		if p := decodeProfileValue(form, field, member, profilePointer(field), raw[member]); p != nil {
			problems = append(problems, *p)
		}
	}
	return problems
}

// decodeProfileValue puts one member's value into the form's field: a
// string, or for a consent a boolean; null is the same as absent.
func decodeProfileValue(form lending.ApplicationForm, field, member, pointer string, v json.RawMessage) *FieldProblem {
	var s string
	var b bool
	switch {
	case json.Unmarshal(v, &s) == nil:
		form[field] = s
	case strings.HasPrefix(member, "consent") && json.Unmarshal(v, &b) == nil:
		if b {
			form[field] = lending.Checked
		}
	case string(v) == "null":
	default:
		return &FieldProblem{Pointer: pointer, Detail: "Must be a string."}
	}
	return nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func jsonPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// submitJourney is POST /journeys/{id}/submit: the stored profile, validated
// again, becomes the journey's application in the web form's one
// transaction (screening, consents, events, the submit job or a review
// hold). Submitting again answers the same journey.
func (a *API) submitJourney(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	b := PrincipalOf(c).Borrower
	if j.Application != nil {
		return c.JSON(http.StatusOK, a.journeyAnswer(j))
	}
	if !j.CanceledAt.IsZero() {
		return errJourneyConflict("The journey was canceled.")
	}
	form, err := a.journeys.Store.JourneyProfile(ctx, b, j.ID)
	if err != nil {
		return err
	}
	applicant, errs := form.Validate(a.now())
	if len(form) == 0 || len(errs) > 0 {
		p := ValidationProblem(profileProblems(errs)...)
		p.Detail = "The journey's profile is incomplete: complete it with PUT …/profile, then submit."
		return p
	}
	isTest := a.journeys.TestScenario != nil && form.Get("scenario") != "" && a.journeys.TestScenario(form.Get("scenario"))
	j, created, err := a.journeys.Store.SubmitJourney(ctx, b, j.ID, store.NewApplication{
		CorrelationID: correlation.FromContext(ctx),
		IsTest:        isTest,
		Applicant:     applicant,
		ClientIP:      c.RealIP(),
		UserAgent:     c.Request().UserAgent(),
		LeadTimeout:   a.journeys.LeadTimeout(),
	})
	if errors.Is(err, store.ErrJourneyLocked) {
		return errJourneyConflict("The journey was canceled.")
	}
	if err != nil {
		return err
	}
	if created && a.journeys.WakeWorker != nil {
		a.journeys.WakeWorker()
	}
	return c.JSON(http.StatusOK, a.journeyAnswer(j))
}

// The offers answer: grouped by amount range exactly as the web page groups
// them (lending.GroupOffers), money in dollars and rates in percent at this edge.
type (
	offersResponse struct {
		JourneyID       string          `json:"journeyId"`
		RequestedAmount float64         `json:"requestedAmount"`
		Fallback        bool            `json:"fallback"`
		FallbackReason  string          `json:"fallbackReason,omitempty"`
		SelectedOfferID string          `json:"selectedOfferId,omitempty"`
		Locked          bool            `json:"locked"`
		Groups          []offerGroup    `json:"groups"`
		Notice          *noticeResponse `json:"notice,omitempty"`
	}
	offerGroup struct {
		AmountRange lending.AmountRange `json:"amountRange"`
		Offers      []offerResponse     `json:"offers"`
	}
	offerResponse struct {
		ID             string  `json:"id"`
		LenderName     string  `json:"lenderName"`
		LoanAmount     float64 `json:"loanAmount"`
		TermMonths     int     `json:"termMonths"`
		APR            float64 `json:"apr"`
		InterestRate   float64 `json:"interestRate"`
		MonthlyPayment float64 `json:"monthlyPayment"`
		TotalRepayment float64 `json:"totalRepayment"`
		TotalInterest  float64 `json:"totalInterest"`
		OriginationFee float64 `json:"originationFee"`
		Disclaimer     string  `json:"disclaimer"`
	}
	// noticeResponse: the borrower must be shown the notice of action taken;
	// an officer's denial has its reasons, the platform's notice is HTML,
	// sanitized as the web page sanitizes it.
	noticeResponse struct {
		DenialReasons []string `json:"denialReasons,omitempty"`
		HTML          string   `json:"html,omitempty"`
	}
)

func offerAnswer(o lending.Offer) offerResponse {
	return offerResponse{ID: o.ProductID, LenderName: o.LenderName, LoanAmount: o.LoanAmount.Dollars(), TermMonths: o.TermMonths,
		APR: o.APR.Percent(), InterestRate: o.InterestRate.Percent(), MonthlyPayment: o.MonthlyPayment.Dollars(),
		TotalRepayment: o.TotalRepayment.Dollars(), TotalInterest: o.TotalInterest.Dollars(),
		OriginationFee: o.OriginationFee.Dollars(), Disclaimer: o.Disclaimer}
}

// journeyOffers is GET /journeys/{id}/offers.
func (a *API) journeyOffers(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	out := offersResponse{JourneyID: j.ID, Groups: []offerGroup{}}
	app := j.Application
	if app == nil {
		return c.JSON(http.StatusOK, out)
	}
	out.RequestedAmount = app.RequestedAmount.Dollars()
	st := lending.DecideJourneyState(j.Facts(), a.now())
	next := st.NextAction
	if _, chosen := app.Journey(); chosen == lending.ActionContinueToLender {
		// The chosen offer stays on show whatever its lender decided
		// (LENDER_PROCESSING, DISBURSED, or REJECTED by the lender).
		next = lending.ActionContinueToLender
	}
	if app.LenderOutcome.Status == lending.LenderDeclined {
		out.Notice = &noticeResponse{DenialReasons: app.LenderOutcome.Reasons}
	}
	switch next {
	case lending.ActionChooseOffer, lending.ActionContinueToLender:
		offers, err := a.journeys.Store.LeadOffers(c.Request().Context(), app.ID)
		if err != nil {
			return err
		}
		groups, fallback := lending.GroupOffers(offers, app.RequestedAmount, lending.ParseOfferSort(c.QueryParam("sort")))
		for _, g := range groups {
			og := offerGroup{AmountRange: g.Range, Offers: []offerResponse{}}
			for _, o := range g.Offers {
				og.Offers = append(og.Offers, offerAnswer(o))
			}
			out.Groups = append(out.Groups, og)
		}
		out.Fallback = fallback
		if fallback {
			out.FallbackReason = "We found options near your requested amount. No lender offered exactly " +
				app.RequestedAmount.WholeDollars() + ", so the closest offers are shown first."
		}
		out.SelectedOfferID, out.Locked = app.Lead.SelectedProductID, app.Lead.SelectedProductID != ""
	case lending.ActionReviewNotice:
		n := &noticeResponse{}
		if app.Review.Status == lending.ReviewDenied {
			n.DenialReasons = app.Review.DenialReasonTexts()
		} else if app.Lead.AdverseActionNotice != "" && a.journeys.SanitizeNotice != nil {
			n.HTML = a.journeys.SanitizeNotice(app.Lead.AdverseActionNotice)
		}
		out.Notice = n
	}
	return c.JSON(http.StatusOK, out)
}

// The proceed answer: a redirect-style step resource (seed 001), never
// embedded UI.
type proceedResponse struct {
	JourneyID string        `json:"journeyId"`
	OfferID   string        `json:"offerId"`
	Step      stepResponse  `json:"step"`
	State     stateResponse `json:"state"`
}

type stepResponse struct {
	Kind       lending.ResourceKind `json:"kind"`
	URL        string               `json:"url"`
	LenderName string               `json:"lenderName"`
}

// proceedOffer is POST /journeys/{id}/offers/{offerId}/proceed: the choice,
// with offer locking — the same offer again answers the same step, another
// offer is 409 — and the step is the offer's stored lender URL.
func (a *API) proceedOffer(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	offerID := c.Param("offerId")
	if j.Application == nil || !lending.ValidProductID(offerID) {
		return StatusProblem(http.StatusNotFound)
	}
	ctx := c.Request().Context()
	offers, err := a.journeys.Store.LeadOffers(ctx, j.Application.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(offers, func(o lending.Offer) bool { return o.ProductID == offerID })
	if i < 0 {
		return StatusProblem(http.StatusNotFound)
	}
	if !lending.OutboundURLAllowed(offers[i].LenderOfferURL, a.journeys.StageLenderPrefix) {
		return NewProblem(http.StatusBadGateway, "lender-link-unavailable", "Lender link unavailable",
			"This lender's link is not available. Choose another offer or contact support.").
			SetInternal(errors.New("refused a lender URL that is not allowed"))
	}
	offer, err := a.journeys.Store.SelectOffer(ctx, j.Application.ID, offerID)
	switch {
	case errors.Is(err, store.ErrOfferLocked):
		return NewProblem(http.StatusConflict, "offer-locked", "Offers locked",
			"Another offer was already chosen for this journey, or offers can no longer be chosen.")
	case err != nil:
		return err
	}
	if j, err = a.journeys.Store.BorrowerJourney(ctx, PrincipalOf(c).Borrower, j.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, proceedResponse{JourneyID: j.ID, OfferID: offer.ProductID,
		Step:  stepResponse{Kind: lending.ResourceLenderRedirect, URL: offer.LenderOfferURL, LenderName: offer.LenderName},
		State: a.stateAnswer(j)})
}

// cancelJourney is POST /journeys/{id}/cancel: before an offer is chosen;
// 409 after.
func (a *API) cancelJourney(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	j, err = a.journeys.Store.CancelJourney(c.Request().Context(), PrincipalOf(c).Borrower, j.ID)
	if errors.Is(err, store.ErrJourneyLocked) {
		return errJourneyConflict("The journey can no longer be canceled: an offer was chosen, or it is over.")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.journeyAnswer(j))
}

// resumeJourney is PATCH /journeys/{id}/resume: the borrower is back. A
// journey whose search timed out (EXPIRED) starts a fresh search, as the web
// page's "Try again" does; any other journey is answered as it stands. An
// optional {"resumeToken": "…"} — the token of a resume link the portal
// emailed for this journey's application, which the partner's app received
// by deep link — is spent as the web's /resume/{token} spends it
// (store.RedeemResumeToken): single use, bound to this journey's
// application, and it confirms the borrower's email address.
func (a *API) resumeJourney(c echo.Context) error {
	j, err := a.borrowerJourney(c)
	if err != nil {
		return err
	}
	var in struct {
		ResumeToken string `json:"resumeToken"`
	}
	if err := decodeJSONBody(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if in.ResumeToken != "" {
		if j.Application == nil {
			return ValidationProblem(FieldProblem{Pointer: "/resumeToken", Detail: "This journey has not been submitted: it has no resume link."})
		}
		_, err := a.journeys.Store.RedeemResumeToken(ctx, in.ResumeToken, store.Redemption{SessionID: PrincipalOf(c).Borrower.SessionID(),
			ApplicationID: j.Application.ID, Source: lending.SourceBorrower, IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
		switch {
		case errors.Is(err, lending.ErrResumeTokenExpired):
			return ValidationProblem(FieldProblem{Pointer: "/resumeToken", Detail: "This resume link has expired."})
		case errors.Is(err, lending.ErrResumeTokenSpent):
			return ValidationProblem(FieldProblem{Pointer: "/resumeToken", Detail: "This resume link was already used."})
		case errors.Is(err, lending.ErrResumeTokenInvalid):
			return ValidationProblem(FieldProblem{Pointer: "/resumeToken", Detail: "This is not a resume link of this journey."})
		case err != nil:
			return err
		}
	}
	if j.Application != nil && lending.DecideJourneyState(j.Facts(), a.now()).NextAction == lending.ActionRetry {
		_, err := a.journeys.Store.RetryLead(ctx, j.Application.ID, a.journeys.LeadTimeout(), lending.SourceBorrower, "")
		switch {
		case err == nil:
			if a.journeys.WakeWorker != nil {
				a.journeys.WakeWorker()
			}
		case !errors.Is(err, store.ErrCannotRetry):
			return err
		}
		if j, err = a.journeys.Store.BorrowerJourney(ctx, PrincipalOf(c).Borrower, j.ID); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, a.journeyAnswer(j))
}

// decodeJSONBody decodes a small JSON object body into v (an empty body is {}).
func decodeJSONBody(c echo.Context, v any) error {
	body, _, err := readAPIBody(c)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return NewProblem(http.StatusBadRequest, "malformed-json", "Malformed JSON", "The request body must be one JSON object of the documented members.")
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
