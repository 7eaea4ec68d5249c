package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// officerActions are offered on the detail page in this order.
var officerActions = []lending.OfficerAction{lending.OfficerRepoll, lending.OfficerResubmit,
	lending.OfficerUnlockOffers, lending.OfficerCancel}

// doneMessages confirm what the officer just did, after the redirect.
var doneMessages = map[string]string{
	string(lending.OfficerRepoll):       "Re-poll requested: the worker asks the platform on its next round.",
	string(lending.OfficerResubmit):     "Resubmitted: a new lead attempt is on its way to the platform.",
	string(lending.OfficerCancel):       "The application is canceled. The borrower sees it as closed.",
	string(lending.OfficerUnlockOffers): "Offers unlocked: the borrower can choose again.",
	"approved":                          "Approved: the application is being submitted to the platform.",
	"denied":                            "Denied: the borrower now sees the notice of action taken with your reasons, and it is on its way by email.",
}

// adminApp loads the application named in the path (404 for a malformed id).
func (s *Server) adminApp(c echo.Context) (lending.Application, error) {
	id := c.Param("id")
	if !idPattern.MatchString(id) {
		return lending.Application{}, echo.NewHTTPError(http.StatusNotFound)
	}
	return s.store.Application(c.Request().Context(), id)
}

// detailView gathers everything the detail page shows.
func (s *Server) detailView(c echo.Context, app lending.Application) (views.ApplicationDetailView, error) {
	ctx := c.Request().Context()
	o := currentOfficer(c)
	v := views.ApplicationDetailView{
		AdminPage: s.adminPage(c, app.FullName()),
		App:       app,
		Now:       s.now(),
		CanAct:    o.Role.Can(lending.PermActOnApplications),
		Errors:    map[string]string{},
	}
	consents, err := s.store.Consents(ctx, app.ID)
	if err != nil {
		return v, err
	}
	for _, cn := range consents {
		v.Consents = append(v.Consents, views.ConsentRow{Kind: cn.Kind, TextVersion: cn.TextVersion, Granted: cn.Granted,
			At: cn.At, IP: cn.IP, UserAgent: cn.UserAgent})
	}
	if v.Offers, err = s.store.LeadOffers(ctx, app.ID); err != nil {
		return v, err
	}
	if v.Events, err = s.store.Events(ctx, app.ID); err != nil {
		return v, err
	}
	mails, err := s.store.Mails(ctx, app.ID)
	if err != nil {
		return v, err
	}
	for _, m := range mails {
		v.Mails = append(v.Mails, views.MailRow{Kind: m.Kind, Status: m.Status, Subject: m.Subject, Attempts: m.Attempts,
			CreatedAt: m.CreatedAt, SentAt: m.SentAt, NextTryAt: m.NextTryAt, LastError: m.LastError})
	}
	v.HeldBecause = heldBecause(v.Events)
	if app.PartnerID != "" {
		names, err := s.partnerNames(c, []lending.Application{app})
		if err != nil {
			return v, err
		}
		v.PartnerName = names[app.PartnerID]
	}
	for _, a := range officerActions {
		ok, why := lending.OfficerActionAllowed(a, app)
		v.Actions = append(v.Actions, views.ActionChoice{Action: a, Allowed: ok, Why: why})
	}
	if app.Lead.AdverseActionNotice != "" {
		v.Notice = views.SanitizeNotice(app.Lead.AdverseActionNotice)
	}
	if msg := doneMessages[c.QueryParam("done")]; msg != "" && c.Request().Method == http.MethodGet {
		v.Flash = msg
	}
	return v, nil
}

// heldBecause is the screening explanation of the latest hold, if any.
func heldBecause(events []lending.Event) string {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Kind == lending.EventHeldForReview {
			return events[i].Detail
		}
	}
	return ""
}

// adminApplication is one application's detail page.
func (s *Server) adminApplication(c echo.Context) error {
	app, err := s.adminApp(c)
	if err != nil {
		return err
	}
	v, err := s.detailView(c, app)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminApplication(v))
}

// rerenderDetail shows the detail page again with errors (a note missing, an
// action the state no longer allows).
func (s *Server) rerenderDetail(c echo.Context, status int, app lending.Application, errs map[string]string, deny views.DenyForm) error {
	v, err := s.detailView(c, app)
	if err != nil {
		return err
	}
	v.Errors, v.Deny = errs, deny
	return render(c, status, views.AdminApplication(v))
}

// adminReveal shows the date of birth after recording who looked and why.
func (s *Server) adminReveal(c echo.Context) error {
	app, err := s.adminApp(c)
	if err != nil {
		return err
	}
	reason := c.FormValue("note")
	if msg := lending.ValidateOfficerNote(reason); msg != "" {
		v, err := s.detailView(c, app)
		if err != nil {
			return err
		}
		v.Errors["reveal-reason"] = msg
		if isHTMX(c) {
			return render(c, http.StatusUnprocessableEntity, views.BorrowerData(v))
		}
		return render(c, http.StatusUnprocessableEntity, views.AdminApplication(v))
	}
	dob, err := s.store.RevealDOB(c.Request().Context(), app.ID, reason, officerContext(c))
	if err != nil {
		return err
	}
	v, err := s.detailView(c, app)
	if err != nil {
		return err
	}
	v.RevealedDOB = dob
	if isHTMX(c) {
		return render(c, http.StatusOK, views.BorrowerData(v))
	}
	return render(c, http.StatusOK, views.AdminApplication(v))
}

// adminAction performs one officer action (re-poll, resubmit, cancel, unlock
// offers) with its mandatory note.
func (s *Server) adminAction(c echo.Context) error {
	action, ok := lending.ParseOfficerAction(c.Param("action"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	app, err := s.adminApp(c)
	if err != nil {
		return err
	}
	note := c.FormValue("note")
	if msg := lending.ValidateOfficerNote(note); msg != "" {
		return s.rerenderDetail(c, http.StatusUnprocessableEntity, app, map[string]string{"note-" + string(action): msg}, views.DenyForm{})
	}
	if ok, why := lending.OfficerActionAllowed(action, app); !ok {
		return s.rerenderDetail(c, http.StatusConflict, app, map[string]string{"form": why}, views.DenyForm{})
	}
	_, err = s.store.ApplyOfficerAction(c.Request().Context(), store.OfficerActionRequest{ApplicationID: app.ID,
		Action: action, Note: note, By: officerContext(c), LeadTimeout: s.leadTimeout()})
	if errors.Is(err, store.ErrActionRefused) {
		return s.rerenderDetail(c, http.StatusConflict, app, map[string]string{"form": "The application changed meanwhile; nothing was done. Check it and try again."}, views.DenyForm{})
	}
	if err != nil {
		return err
	}
	return redirect(c, "/admin/applications/"+app.ID+"?done="+string(action))
}

// adminApprove approves an application that is not final yet; a held one's submit proceeds.
func (s *Server) adminApprove(c echo.Context) error {
	app, err := s.adminApp(c)
	if err != nil {
		return err
	}
	note := c.FormValue("note")
	if msg := lending.ValidateOfficerNote(note); msg != "" {
		return s.rerenderDetail(c, http.StatusUnprocessableEntity, app, map[string]string{"approve-note": msg}, views.DenyForm{})
	}
	return s.decide(c, app, store.ReviewDecision{ApplicationID: app.ID, To: lending.ReviewApproved, Note: note}, "approved", views.DenyForm{})
}

// adminDeny denies an application that is not final yet with 1–4 Regulation B reasons.
func (s *Server) adminDeny(c echo.Context) error {
	app, err := s.adminApp(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	deny := views.DenyForm{Reasons: form[lending.DenialFieldReasons], OtherText: form.Get(lending.DenialFieldOtherText), Note: form.Get("note")}
	errs := lending.ValidateDenial(deny.Reasons, deny.OtherText)
	if msg := lending.ValidateOfficerNote(deny.Note); msg != "" {
		errs["deny-note"] = msg
	}
	if len(errs) > 0 {
		return s.rerenderDetail(c, http.StatusUnprocessableEntity, app, errs, deny)
	}
	return s.decide(c, app, store.ReviewDecision{ApplicationID: app.ID, To: lending.ReviewDenied,
		Reasons: deny.Reasons, OtherText: deny.OtherText, Note: deny.Note}, "denied", deny)
}

// decide records a review decision, refusing (409) a transition the current
// review status does not allow.
func (s *Server) decide(c echo.Context, app lending.Application, d store.ReviewDecision, done string, deny views.DenyForm) error {
	if !lending.CanDecide(app.StatusFacts(), d.To) {
		return s.rerenderDetail(c, http.StatusConflict, app, map[string]string{"form": "This application is " +
			string(lending.CreditStatus(app.StatusFacts())) + " and can't become " + string(d.To) + "."}, deny)
	}
	d.By, d.LeadTimeout = officerContext(c), s.leadTimeout()
	_, err := s.store.DecideReview(c.Request().Context(), d)
	switch {
	case errors.Is(err, store.ErrActionRefused):
		return s.rerenderDetail(c, http.StatusConflict, app, map[string]string{"form": "The application changed meanwhile; nothing was decided."}, deny)
	case errors.Is(err, store.ErrInvalidDecision):
		return s.rerenderDetail(c, http.StatusUnprocessableEntity, app, map[string]string{"form": "The decision is incomplete; nothing was decided."}, deny)
	case err != nil:
		return err
	}
	return redirect(c, "/admin/applications/"+app.ID+"?done="+done)
}
