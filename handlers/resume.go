package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// maxResumeTokenLength bounds the path parameter before anything parses it.
const maxResumeTokenLength = 128

// resumeForm is GET /resume: the "Send me a link" form on its own.
func (s *Server) resumeForm(c echo.Context) error {
	return render(c, http.StatusOK, views.ResumeRequestPage(views.ResumeRequestView{Page: s.page("Get a link to your application")}))
}

// resumeRequest is POST /resume ("Send me a link"): it answers the same way
// whether or not the address has applications, so nobody learns from it who
// applied; the emails, if any, go out from the worker. Only a client over the
// per-IP limit is told (429), which says nothing about the address.
func (s *Server) resumeRequest(c echo.Context) error {
	addr := c.FormValue("email")
	v := views.ResumeRequestView{Page: s.page("Check your email"), Email: lending.NormalizeEmail(addr)}
	if msg := lending.ValidateEmail(addr); msg != "" {
		v.Page.Title, v.Email, v.Error = "Get a link to your application", addr, msg
		return render(c, http.StatusUnprocessableEntity, views.ResumeRequestPage(v))
	}
	out, err := s.store.RequestResumeLinks(c.Request().Context(), addr, c.RealIP())
	if err != nil {
		return err
	}
	if out.IPLimited {
		v.Page.Title, v.Limited = "Too many requests", true
		return render(c, http.StatusTooManyRequests, views.ResumeRequestPage(v))
	}
	if out.Queued > 0 {
		s.wakeWorker()
	}
	v.Sent = true
	return render(c, http.StatusOK, views.ResumeRequestPage(v))
}

// resumeOpen is GET /resume/:token: the application the link opens and a
// button. Nothing is spent yet: mail scanners fetch links.
func (s *Server) resumeOpen(c echo.Context) error {
	token := c.Param("token")
	noReferrer(c)
	if len(token) > maxResumeTokenLength {
		return s.resumeRefused(c, lending.ErrResumeTokenInvalid)
	}
	app, err := s.store.CheckResumeToken(c.Request().Context(), token)
	if err != nil {
		return s.resumeRefused(c, err)
	}
	return render(c, http.StatusOK, views.ResumeOpenPage(views.ResumeOpenView{Page: s.page("Continue your application"), Token: token, App: app}))
}

// resumeRedeem is POST /resume/:token: the token is spent, this browser's
// borrower session gets the application (and the address is confirmed), and
// the borrower lands on the application's page.
func (s *Server) resumeRedeem(c echo.Context) error {
	token := c.Param("token")
	noReferrer(c)
	if len(token) > maxResumeTokenLength {
		return s.resumeRefused(c, lending.ErrResumeTokenInvalid)
	}
	sid, err := s.borrowerSession(c, true)
	if err != nil {
		return err
	}
	app, err := s.store.RedeemResumeToken(c.Request().Context(), token, store.Redemption{
		SessionID: sid, Source: lending.SourceBorrower, IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	if err != nil {
		return s.resumeRefused(c, err)
	}
	s.log.InfoContext(c.Request().Context(), "application resumed from an email link", "application_id", app.ID)
	return c.Redirect(http.StatusSeeOther, "/applications/"+app.ID)
}

// resumeRefused answers a link that cannot be used, saying why and offering a
// new one: 410 for a spent or expired link, 404 for one that was never valid.
func (s *Server) resumeRefused(c echo.Context, err error) error {
	v := views.ResumeRefusedView{Page: s.page("This link can't be used")}
	status := http.StatusNotFound
	switch {
	case errors.Is(err, lending.ErrResumeTokenSpent):
		status, v.Reason = http.StatusGone, "spent"
		v.Heading = "This link was already used"
		v.Message = "Each link opens your application once. If that wasn't you in this browser, or you'd like to open it here again, ask for a new link below."
	case errors.Is(err, lending.ErrResumeTokenExpired):
		status, v.Reason = http.StatusGone, "expired"
		v.Heading = "This link has expired"
		v.Message = "Links work for 7 days. Ask for a new one below: it opens the same application."
	case errors.Is(err, lending.ErrResumeTokenInvalid):
		v.Reason = "invalid"
		v.Heading = "This link doesn't work"
		v.Message = "It may have been copied incompletely, or it belongs to an address the application no longer has. Ask for a new link below."
	default:
		return err
	}
	s.log.WarnContext(c.Request().Context(), "resume link refused", "reason", v.Reason)
	return render(c, status, views.ResumeRefusedPage(v))
}

// noReferrer keeps the token in the page's URL out of any Referer header.
func noReferrer(c echo.Context) {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
}
