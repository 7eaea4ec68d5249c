package handlers

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/correlation"
	"prequal/lending"
	"prequal/stage"
	"prequal/store"
	"prequal/views"
)

// idPattern is the shape of application ids (store.NewID); anything else is a 404
// without a database look-up.
var idPattern = regexp.MustCompile(`^[a-z2-7]{26}$`)

// keyPattern is the shape of an idempotency key the form carries.
var keyPattern = regexp.MustCompile(`^[a-z2-7]{26}$`)

const homeListLimit = 20

// home is the landing page; it lists the applications started in this browser
// session so a borrower who closed the tab finds their way back.
func (s *Server) home(c echo.Context) error {
	sid, err := s.borrowerSession(c, false)
	if err != nil {
		return err
	}
	var apps []lending.Application
	if sid != "" {
		if apps, err = s.store.ApplicationsForSession(c.Request().Context(), sid, homeListLimit); err != nil {
			return err
		}
	}
	page := s.page("Check your personal loan rate")
	page.Description = "See prequalified personal loan rates from several lenders in a few minutes, without affecting your credit score, and come back to your earlier rate checks."
	return render(c, http.StatusOK, views.Home(views.HomeView{Page: page, Applications: apps}))
}

func (s *Server) applyView(form lending.ApplicationForm, errs lending.FieldErrors) views.ApplyForm {
	key := form.Get(lending.FieldIdempotencyKey)
	if !keyPattern.MatchString(key) {
		key = store.NewID()
	}
	page := s.page("Check your rate")
	page.Description = "Tell us about yourself and the loan you need to see prequalified rates from our lenders. Checking your rate does not affect your credit score."
	return views.ApplyForm{
		Page:           page,
		Form:           form,
		Errors:         errs,
		IdempotencyKey: key,
		MaxDOB:         s.now().AddDate(-lending.MinAgeYears, 0, 0).Format(time.DateOnly),
	}
}

// applyForm renders an empty form with a fresh idempotency key, starting the
// borrower session the application will be bound to.
func (s *Server) applyForm(c echo.Context) error {
	if _, err := s.borrowerSession(c, true); err != nil {
		return err
	}
	v := s.applyView(lending.ApplicationForm{}, nil)
	if sc, ok := s.stageScenario(c.QueryParam(stage.FieldScenario)); ok {
		v.Form, v.Scenario, v.ScenarioSSN = lending.ApplicationForm(sc.Form), sc.ID, sc.Form[lending.FieldSSN]
		v.ScenarioCoSSN = sc.Form[lending.FieldCoSSN]
	}
	if c.QueryParam(paramCoApplicant) == lending.Checked {
		if err := s.prefillFromApplication(c, &v); err != nil {
			return err
		}
		v.Form[lending.FieldCoApplicant] = lending.Checked
	}
	return render(c, http.StatusOK, views.Apply(v))
}

// paramCoApplicant (=yes) opens the form's co-applicant section; paramFrom names
// the borrower's earlier application whose details prefill the new form (the
// no-offers advice links here).
const (
	paramCoApplicant = "coApplicant"
	paramFrom        = "from"
)

// prefillFromApplication copies the borrower's details from the application
// named by ?from= (only one bound to this session; anything else prefills
// nothing) into the form: never the SSN, never a consent — those are given again.
func (s *Server) prefillFromApplication(c echo.Context, v *views.ApplyForm) error {
	if v.Form == nil {
		v.Form = lending.ApplicationForm{}
	}
	id := c.QueryParam(paramFrom)
	if !idPattern.MatchString(id) {
		return nil
	}
	sid, err := s.borrowerSession(c, false)
	if err != nil || sid == "" {
		return err
	}
	app, err := s.store.ApplicationForSession(c.Request().Context(), id, sid)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for name, value := range lending.FormOf(app) {
		v.Form[name] = value
	}
	if sc, ok := stage.ScenarioFromEmail(app.Email); ok && app.IsTest {
		if _, ok := s.stageScenario(sc.ID); ok {
			v.Scenario = sc.ID // still QA test data
		}
	}
	return nil
}

// applyValidate re-renders one field's message region (htmx, on blur).
func (s *Server) applyValidate(c echo.Context) error {
	field := c.FormValue("field")
	known := field == lending.FieldCoApplicant
	for _, f := range append(lending.FormFields, lending.CoApplicantFields...) {
		known = known || f == field
	}
	if !known {
		return echo.NewHTTPError(http.StatusBadRequest, "Unknown field.")
	}
	form := lending.ApplicationForm{field: c.FormValue(field)}
	return render(c, http.StatusOK, views.FieldError(field, form.ValidateField(field, s.now())))
}

// applySubmit validates the whole form and, when it is valid, stores the
// application durably before answering 303 to its page. The same idempotency
// key again (a double click, a resend) lands on the same application.
func (s *Server) applySubmit(c echo.Context) error {
	form := lending.NewApplicationForm(c.FormValue)
	applicant, errs := form.Validate(s.now())
	if len(errs) > 0 {
		v := s.applyView(form, errs)
		if sc, ok := s.stageScenario(c.FormValue(stage.FieldScenario)); ok {
			v.Scenario = sc.ID
		}
		v.SSNCleared = form.Get(lending.FieldSSN) != ""
		v.CoSSNCleared = form.Get(lending.FieldCoSSN) != ""
		return render(c, http.StatusUnprocessableEntity, views.Apply(v))
	}
	key := form.Get(lending.FieldIdempotencyKey)
	if !keyPattern.MatchString(key) {
		return echo.NewHTTPError(http.StatusBadRequest, "The form was incomplete. Please reload the page and try again.")
	}
	sid, err := s.borrowerSession(c, true)
	if err != nil {
		return err
	}
	app, created, err := s.store.CreateApplication(c.Request().Context(), store.NewApplication{
		SessionID:      sid,
		IdempotencyKey: key,
		// The request's correlation id becomes the application's: the
		// platform sees the id the borrower's request carried.
		CorrelationID: correlation.FromContext(c.Request().Context()),
		Channel:       lending.ChannelWeb,
		IsTest:        s.isTestApplication(c),
		Applicant:     applicant,
		ClientIP:      c.RealIP(),
		UserAgent:     c.Request().UserAgent(),
		LeadTimeout:   s.leadTimeout(),
	})
	if errors.Is(err, store.ErrIdempotencyKeyReused) {
		return echo.NewHTTPError(http.StatusConflict, "This form was already used. Please reload the page and try again.")
	}
	if err != nil {
		return err
	}
	if created {
		s.wakeWorker()
		s.log.InfoContext(c.Request().Context(), "application received",
			"application_id", app.ID, "correlation_id", app.CorrelationID, "review", string(app.Review.Status))
	}
	return c.Redirect(http.StatusSeeOther, "/applications/"+app.ID)
}

// isTestApplication reports whether the form was started from a QA scenario
// (stage only; production never flags applications as test data).
func (s *Server) isTestApplication(c echo.Context) bool {
	_, ok := s.stageScenario(c.FormValue(stage.FieldScenario))
	return ok
}

// sessionApplication loads the application of the :id route parameter, but only
// for the borrower session it is bound to; anyone else gets 404.
func (s *Server) sessionApplication(c echo.Context) (lending.Application, error) {
	return s.loadForSession(c, s.store.ApplicationForSession)
}

// loadForSession checks the :id parameter and the borrower session, then loads
// the application with load (which must answer ErrNotFound for another session).
func (s *Server) loadForSession(c echo.Context, load func(ctx context.Context, id, sessionID string) (lending.Application, error)) (lending.Application, error) {
	id := c.Param("id")
	if !idPattern.MatchString(id) {
		return lending.Application{}, echo.NewHTTPError(http.StatusNotFound)
	}
	sid, err := s.borrowerSession(c, false)
	if err != nil {
		return lending.Application{}, err
	}
	if sid == "" {
		return lending.Application{}, echo.NewHTTPError(http.StatusNotFound)
	}
	return load(c.Request().Context(), id, sid)
}
