package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// officerCookie carries only the random officer session token; everything else
// lives in officer_sessions on the server, so signing out really ends it.
const officerCookie = "prequal_officer"

// Context keys for the signed-in officer.
const (
	ctxOfficer      = "officer"
	ctxOfficerToken = "officerToken"
)

// officerArea is where officers sign in.
var officerArea = signInArea{cookie: officerCookie, path: "/admin"}

// signInArea is a part of the site behind its own sign-in (officers' /admin,
// partners' /developers): its cookie carries only the random session token,
// scoped to the area's path.
type signInArea struct{ cookie, path string }

func (s *Server) setSessionCookie(c echo.Context, a signInArea, token string) {
	c.SetCookie(&http.Cookie{Name: a.cookie, Value: token, Path: a.path,
		MaxAge: int(lending.OfficerSessionAbsolute / time.Second), HttpOnly: true, Secure: s.cfg.Production,
		SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(c echo.Context, a signInArea) {
	c.SetCookie(&http.Cookie{Name: a.cookie, Value: "", Path: a.path, MaxAge: -1,
		HttpOnly: true, Secure: s.cfg.Production, SameSite: http.SameSiteLaxMode})
}

func sessionToken(c echo.Context, a signInArea) string {
	ck, err := c.Cookie(a.cookie)
	if err != nil {
		return ""
	}
	return ck.Value
}

// toSignIn answers a request whose session lookup failed: no session or an
// expired one sends the visitor to the area's sign-in page (which brings them
// back to the page they asked for, when it was a plain GET), clearing a dead
// cookie; any other failure is the error it is.
func (s *Server) toSignIn(c echo.Context, a signInArea, token string, err error) error {
	expired := errors.Is(err, store.ErrSessionExpired)
	if !expired && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if token != "" {
		s.clearSessionCookie(c, a)
	}
	back := a.path
	if c.Request().Method == http.MethodGet && !isHTMX(c) {
		back = c.Request().URL.RequestURI()
	}
	q := url.Values{"next": {safeNextIn(a.path, back)}}
	if expired {
		q.Set("expired", "1")
	}
	return redirect(c, a.path+"/signin?"+q.Encode())
}

func (s *Server) setOfficerCookie(c echo.Context, token string) {
	s.setSessionCookie(c, officerArea, token)
}
func (s *Server) clearOfficerCookie(c echo.Context) { s.clearSessionCookie(c, officerArea) }
func officerToken(c echo.Context) string            { return sessionToken(c, officerArea) }

// currentOfficer is the officer requireOfficer found for this request.
func currentOfficer(c echo.Context) lending.Officer {
	o, _ := c.Get(ctxOfficer).(lending.Officer)
	return o
}

// officerContext is who is acting, for the timeline and the audit log.
func officerContext(c echo.Context) store.OfficerContext {
	return store.OfficerContext{Officer: currentOfficer(c), IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// officerSignInPage is the frame of the officer sign-in page.
func (s *Server) officerSignInPage() views.Page {
	p := s.page("Officer sign-in")
	p.Description = views.AdminDescription
	return p
}

func (s *Server) adminPage(c echo.Context, title string) views.AdminPage {
	return views.NewAdminPage(s.cfg.Site, title, currentOfficer(c))
}

// safeNext keeps a post-sign-in destination only when it is a path inside /admin
// on this site, so the sign-in page cannot be used to send an officer elsewhere.
func safeNext(next string) string { return safeNextIn("/admin", next) }

// safeNextIn keeps next only when it is a path inside area (other than its
// sign-in and sign-out pages) on this site; otherwise it is area itself.
func safeNextIn(area, next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return area
	}
	p := path.Clean(u.Path) // "/admin/../apply" must not leave /admin
	if (p != area && !strings.HasPrefix(p, area+"/")) || p == area+"/signin" || p == area+"/signout" {
		return area
	}
	if u.RawQuery != "" {
		return p + "?" + u.RawQuery
	}
	return p
}

// requireOfficer lets a request through only with a live officer session;
// anyone else is sent to the sign-in page, which brings them back afterwards.
func (s *Server) requireOfficer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := officerToken(c)
		o, err := s.store.OfficerSession(c.Request().Context(), token)
		if err != nil {
			return s.toSignIn(c, officerArea, token, err)
		}
		c.Set(ctxOfficer, o)
		c.Set(ctxOfficerToken, token)
		return next(c)
	}
}

// requirePermission refuses (403) officers whose role lacks p.
func requirePermission(p lending.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !currentOfficer(c).Role.Can(p) {
				return echo.NewHTTPError(http.StatusForbidden, "Your role does not allow this. Ask an admin if you need it.")
			}
			return next(c)
		}
	}
}

// signInNotice is what a sign-in form says on arrival: that the session
// ended, or that the visitor signed out.
func signInNotice(c echo.Context) (errText, info string) {
	switch {
	case c.QueryParam("expired") == "1":
		return "Your session ended. Please sign in again.", ""
	case c.QueryParam("signedout") == "1":
		return "", "You have signed out."
	}
	return "", ""
}

// tooManySignIns sets Retry-After for a throttled sign-in and returns what the
// form says about it.
func tooManySignIns(c echo.Context, t *store.ThrottledError) string {
	wait := t.RetryAfter.Round(time.Second)
	c.Response().Header().Set("Retry-After", fmt.Sprint(int(wait/time.Second)))
	return fmt.Sprintf("Too many failed sign-ins. Wait %s before trying again.", waitText(wait))
}

// adminSignInForm shows the sign-in form, or goes on when already signed in.
func (s *Server) adminSignInForm(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if _, err := s.store.OfficerSession(c.Request().Context(), officerToken(c)); err == nil {
		return redirect(c, next)
	}
	v := views.SignInView{Page: s.officerSignInPage(), Next: next}
	v.Error, v.Info = signInNotice(c)
	return render(c, http.StatusOK, views.AdminSignIn(v))
}

// adminSignIn checks the credentials, throttled per account and IP, and starts a
// fresh session (a new token, the old one deleted: rotation on sign-in). Every
// attempt is logged, never the password.
func (s *Server) adminSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	o, err := s.store.SignIn(ctx, store.SignInAttempt{Email: email, Password: c.FormValue("password"),
		IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	logAttrs := []slog.Attr{slog.String("email", lending.NormalizeOfficerEmail(email)), slog.String("ip", c.RealIP())}
	v := views.SignInView{Page: s.officerSignInPage(), Email: email, Next: next}
	var throttled *store.ThrottledError
	switch {
	case errors.As(err, &throttled):
		s.log.LogAttrs(ctx, slog.LevelWarn, "officer sign-in throttled", append(logAttrs, slog.Duration("retry_after", throttled.RetryAfter))...)
		v.Error = tooManySignIns(c, throttled)
		return render(c, http.StatusTooManyRequests, views.AdminSignIn(v))
	case errors.Is(err, store.ErrBadCredentials):
		s.log.LogAttrs(ctx, slog.LevelWarn, "officer sign-in failed", logAttrs...)
		v.Error = "That email and password don't match an officer account."
		return render(c, http.StatusUnauthorized, views.AdminSignIn(v))
	case err != nil:
		return err
	}
	token, err := s.store.StartOfficerSession(ctx, o.ID, officerToken(c), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "officer signed in", append(logAttrs, slog.String("officer_id", o.ID))...)
	s.setOfficerCookie(c, token)
	return redirect(c, next)
}

func waitText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", max(1, int(d/time.Second)))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// adminSignOut ends the session on the server (its row is deleted, so a copy
// of the cookie is worthless) and clears the cookie.
func (s *Server) adminSignOut(c echo.Context) error {
	ctx := c.Request().Context()
	if token := officerToken(c); token != "" {
		o, err := s.store.OfficerSession(ctx, token)
		if err := s.store.EndOfficerSession(ctx, token); err != nil {
			return err
		}
		if err == nil {
			if err := s.store.AddAudit(ctx, store.AuditEntry{OfficerID: o.ID, OfficerEmail: o.Email, Action: store.AuditSignOut,
				IP: c.RealIP(), UserAgent: c.Request().UserAgent()}); err != nil {
				return err
			}
			s.log.LogAttrs(ctx, slog.LevelInfo, "officer signed out", slog.String("officer_id", o.ID))
		}
	}
	s.clearOfficerCookie(c)
	return redirect(c, "/admin/signin?signedout=1")
}
