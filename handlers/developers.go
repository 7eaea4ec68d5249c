package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// Developer self-service at /developers: a partner registers (email and
// password, the officers' argon2id, throttling and session rules), signs in,
// and manages its API keys on its dashboard. In stage a new partner is active
// at once with sk_test_ keys; in production it waits for an admin's approval
// (/admin/partners) before it can make sk_live_ keys, and its dashboard says
// so until then.

// partnerCookie carries only the random partner session token (partner_sessions).
const partnerCookie = "prequal_partner"

// ctxPartner holds the signed-in partner.
const ctxPartner = "partner"

// partnerArea is where partners sign in.
var partnerArea = signInArea{cookie: partnerCookie, path: "/developers"}

func (s *Server) setPartnerCookie(c echo.Context, token string) {
	s.setSessionCookie(c, partnerArea, token)
}
func (s *Server) clearPartnerCookie(c echo.Context) { s.clearSessionCookie(c, partnerArea) }
func partnerToken(c echo.Context) string            { return sessionToken(c, partnerArea) }

// currentPartner is the partner requirePartner found for this request.
func currentPartner(c echo.Context) lending.Partner {
	p, _ := c.Get(ctxPartner).(lending.Partner)
	return p
}

// requirePartner lets a request through only with a live partner session;
// anyone else is sent to the sign-in page, which brings them back afterwards.
func (s *Server) requirePartner(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := partnerToken(c)
		p, err := s.store.PartnerSession(c.Request().Context(), token)
		if err != nil {
			return s.toSignIn(c, partnerArea, token, err)
		}
		c.Set(ctxPartner, p)
		return next(c)
	}
}

// developerPage is the frame of a /developers page; signedIn shows the
// dashboard's navigation and the sign-out button.
func (s *Server) developerPage(c echo.Context, title string) views.DeveloperPage {
	return views.NewDeveloperPage(s.cfg.Site, title, currentPartner(c))
}

// developersRegisterForm shows the registration form (or the dashboard to a
// partner already signed in).
func (s *Server) developersRegisterForm(c echo.Context) error {
	if _, err := s.store.PartnerSession(c.Request().Context(), partnerToken(c)); err == nil {
		return redirect(c, "/developers")
	}
	return render(c, http.StatusOK, views.DevelopersRegister(views.DevelopersRegisterView{
		DeveloperPage: s.developerPage(c, "Register"), Production: s.cfg.Production, Errors: map[string]string{}}))
}

// developersRegisterRedirect sends seed 002's /register to the registration form.
func (s *Server) developersRegisterRedirect(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/developers/register")
}

// developersRegister creates the partner and signs it in.
func (s *Server) developersRegister(c echo.Context) error {
	ctx := c.Request().Context()
	v := views.DevelopersRegisterView{DeveloperPage: s.developerPage(c, "Register"), Production: s.cfg.Production,
		Name: strings.TrimSpace(c.FormValue("name")), Email: strings.TrimSpace(c.FormValue("email")), Errors: map[string]string{}}
	password := c.FormValue("password")
	if msg := lending.ValidatePartnerName(v.Name); msg != "" {
		v.Errors["name"] = msg
	}
	if msg := lending.ValidatePartnerEmail(v.Email); msg != "" {
		v.Errors["email"] = msg
	}
	if msg := lending.ValidatePassword(password); msg != "" {
		v.Errors["password"] = msg
	}
	if len(v.Errors) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.DevelopersRegister(v))
	}
	p, err := s.store.RegisterPartner(ctx, store.NewPartner{Name: v.Name, Email: v.Email, Password: password,
		Active: !s.cfg.Production, IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	var throttled *store.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(throttled.RetryAfter.Round(time.Second)/time.Second)))
		v.Errors["form"] = fmt.Sprintf("Too many registrations from your network. Wait %s before trying again.", waitText(throttled.RetryAfter))
		return render(c, http.StatusTooManyRequests, views.DevelopersRegister(v))
	case errors.Is(err, store.ErrPartnerExists):
		v.Errors["email"] = "An account with this email exists. Sign in instead."
		return render(c, http.StatusConflict, views.DevelopersRegister(v))
	case err != nil:
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "partner registered", slog.String("partner_id", p.ID), slog.String("status", string(p.Status)))
	token, err := s.store.StartPartnerSession(ctx, p.ID, partnerToken(c), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	s.setPartnerCookie(c, token)
	return redirect(c, "/developers?registered=1")
}

// developersSignInForm shows the sign-in form, or goes on when signed in.
func (s *Server) developersSignInForm(c echo.Context) error {
	next := safeNextIn("/developers", c.QueryParam("next"))
	if _, err := s.store.PartnerSession(c.Request().Context(), partnerToken(c)); err == nil {
		return redirect(c, next)
	}
	v := views.DevelopersSignInView{DeveloperPage: s.developerPage(c, "Developer sign-in"), Next: next}
	v.Error, v.Info = signInNotice(c)
	return render(c, http.StatusOK, views.DevelopersSignIn(v))
}

// developersSignIn checks the credentials (throttled per account and IP, as
// for officers) and starts a fresh session.
func (s *Server) developersSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	next := safeNextIn("/developers", c.FormValue("next"))
	p, err := s.store.PartnerSignIn(ctx, store.SignInAttempt{Email: email, Password: c.FormValue("password"),
		IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	v := views.DevelopersSignInView{DeveloperPage: s.developerPage(c, "Developer sign-in"), Email: email, Next: next}
	logAttrs := []slog.Attr{slog.String("email", lending.NormalizePartnerEmail(email)), slog.String("ip", c.RealIP())}
	var throttled *store.ThrottledError
	switch {
	case errors.As(err, &throttled):
		s.log.LogAttrs(ctx, slog.LevelWarn, "partner sign-in throttled", logAttrs...)
		v.Error = tooManySignIns(c, throttled)
		return render(c, http.StatusTooManyRequests, views.DevelopersSignIn(v))
	case errors.Is(err, store.ErrBadCredentials):
		s.log.LogAttrs(ctx, slog.LevelWarn, "partner sign-in failed", logAttrs...)
		v.Error = "That email and password don't match a developer account."
		return render(c, http.StatusUnauthorized, views.DevelopersSignIn(v))
	case err != nil:
		return err
	}
	token, err := s.store.StartPartnerSession(ctx, p.ID, partnerToken(c), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "partner signed in", slog.String("partner_id", p.ID))
	s.setPartnerCookie(c, token)
	return redirect(c, next)
}

// developersSignOut ends the session on the server and clears the cookie.
func (s *Server) developersSignOut(c echo.Context) error {
	ctx := c.Request().Context()
	if token := partnerToken(c); token != "" {
		p, err := s.store.PartnerSession(ctx, token)
		if err := s.store.EndPartnerSession(ctx, token); err != nil {
			return err
		}
		if err == nil {
			who := store.PartnerAuditEntry(p, c.RealIP(), c.Request().UserAgent())
			who.Action = store.AuditPartnerSignOut
			if err := s.store.AddAudit(ctx, who); err != nil {
				return err
			}
		}
	}
	s.clearPartnerCookie(c)
	return redirect(c, "/developers/signin?signedout=1")
}

// usageMonths is how many months the dashboard's usage chart shows.
const usageMonths = 6

// dashboardView gathers the partner's dashboard.
func (s *Server) dashboardView(c echo.Context) (views.DevelopersDashboardView, error) {
	ctx := c.Request().Context()
	p := currentPartner(c)
	limits := s.api.Limits()
	v := views.DevelopersDashboardView{DeveloperPage: s.developerPage(c, "Developer dashboard"), Partner: p,
		Production: s.cfg.Production, Scopes: lending.PartnerScopes, Form: views.KeyForm{Scopes: map[lending.Scope]bool{}},
		DecisionPerMinute: limits.APIKeyPerMinute, OtherPerMinute: limits.DefaultPerMinute,
		Registered: c.QueryParam("registered") == "1"}
	keys, err := s.store.PartnerAPIKeys(ctx, p.ID)
	if err != nil {
		return v, err
	}
	if v.Webhooks, err = s.webhooksSection(c); err != nil {
		return v, err
	}
	usage, err := s.store.PartnerAPIUsage(ctx, p.ID)
	if err != nil {
		return v, err
	}
	byKeyMonth := map[string]map[string]int64{}
	for _, u := range usage {
		if byKeyMonth[u.KeyID] == nil {
			byKeyMonth[u.KeyID] = map[string]int64{}
		}
		byKeyMonth[u.KeyID][u.Month] = u.Calls
	}
	months := views.LastMonths(s.now().UTC(), usageMonths)
	for _, k := range keys {
		row := views.DeveloperKeyRow{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes,
			CreatedAt: k.CreatedAt, RotatedAt: k.RotatedAt, RevokedAt: k.RevokedAt,
			CallsThisMonth: byKeyMonth[k.ID][months[len(months)-1]]}
		v.Keys = append(v.Keys, row)
		if k.Active() || len(byKeyMonth[k.ID]) > 0 {
			v.Charts = append(v.Charts, views.NewUsageChart(k.ID, row.Label(), months, byKeyMonth[k.ID]))
		}
	}
	return v, nil
}

// developersDashboard is the partner's dashboard.
func (s *Server) developersDashboard(c echo.Context) error {
	v, err := s.dashboardView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DevelopersDashboard(v))
}

// developersCreateKey makes a key with the scopes chosen; its secret is shown
// in this response only.
func (s *Server) developersCreateKey(c echo.Context) error {
	ctx := c.Request().Context()
	p := currentPartner(c)
	v, err := s.dashboardView(c)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	v.Form.Name = strings.TrimSpace(form.Get("name"))
	var chosen []string
	for _, name := range form["scope"] {
		if lending.Scope(name) == lending.ScopeOperator {
			return echo.NewHTTPError(http.StatusForbidden, "Only an admin of this portal can grant the operator scope.")
		}
		chosen = append(chosen, name)
		v.Form.Scopes[lending.Scope(name)] = true
	}
	scopes, scopeErr := lending.NewScopes(chosen...)
	switch {
	case p.Status != lending.PartnerActive:
		v.Form.Error = "Your account is not active yet, so it cannot have keys."
	case scopeErr != nil:
		v.Form.Error = "Choose at least one scope."
	case len([]rune(v.Form.Name)) > store.MaxAPIKeyNameLength:
		v.Form.Error = fmt.Sprintf("Use at most %d characters for the name.", store.MaxAPIKeyNameLength)
	}
	if v.Form.Error != "" {
		return render(c, http.StatusUnprocessableEntity, views.DevelopersDashboard(v))
	}
	k, secret, err := s.store.CreateAPIKey(ctx, store.NewAPIKey{PartnerID: p.ID, Name: v.Form.Name, Scopes: scopes,
		Live: s.cfg.Production}, store.PartnerAuditEntry(p, c.RealIP(), c.Request().UserAgent()))
	if errors.Is(err, store.ErrPartnerNotActive) {
		return echo.NewHTTPError(http.StatusConflict, "Your account is not active, so it cannot have keys.").SetInternal(err)
	}
	if err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "api key created", slog.String("partner_id", p.ID), slog.String("key_id", k.ID))
	if v, err = s.dashboardView(c); err != nil {
		return err
	}
	v.Revealed = &views.RevealedAPIKey{KeyID: k.ID, TenantID: p.Name, Secret: secret}
	return render(c, http.StatusOK, views.DevelopersDashboard(v))
}

// partnerKey loads key id of the signed-in partner (404 for anyone else's).
func (s *Server) partnerKey(c echo.Context) (store.APIKey, error) {
	k, err := s.store.APIKey(c.Request().Context(), c.Param("id"))
	if err != nil {
		return k, err
	}
	if k.TenantID != currentPartner(c).ID {
		return k, echo.NewHTTPError(http.StatusNotFound)
	}
	return k, nil
}

// developersRotateKey gives one of the partner's keys a new secret, shown once;
// the old one stops working from the next request on.
func (s *Server) developersRotateKey(c echo.Context) error {
	p := currentPartner(c)
	k, err := s.partnerKey(c)
	if err != nil {
		return err
	}
	if p.Status != lending.PartnerActive {
		return echo.NewHTTPError(http.StatusConflict, "Your account is not active, so its keys cannot be rotated.")
	}
	k, secret, err := s.store.RotateAPIKey(c.Request().Context(), k.ID, s.cfg.Production, store.PartnerAuditEntry(p, c.RealIP(), c.Request().UserAgent()))
	if errors.Is(err, store.ErrAPIKeyRevoked) {
		return echo.NewHTTPError(http.StatusConflict, "This key is revoked and cannot be rotated. Create a new key instead.").SetInternal(err)
	}
	if err != nil {
		return err
	}
	v, err := s.dashboardView(c)
	if err != nil {
		return err
	}
	v.Revealed = &views.RevealedAPIKey{KeyID: k.ID, TenantID: p.Name, Secret: secret, Rotated: true}
	return render(c, http.StatusOK, views.DevelopersDashboard(v))
}

// developersRevokeKey stops one of the partner's keys for good.
func (s *Server) developersRevokeKey(c echo.Context) error {
	p := currentPartner(c)
	k, err := s.partnerKey(c)
	if err != nil {
		return err
	}
	if err := s.store.RevokeAPIKey(c.Request().Context(), k.ID, store.PartnerAuditEntry(p, c.RealIP(), c.Request().UserAgent())); err != nil {
		return err
	}
	v, err := s.dashboardView(c)
	if err != nil {
		return err
	}
	v.Flash = "Revoked the key " + k.Prefix + "…. It no longer works."
	return render(c, http.StatusOK, views.DevelopersDashboard(v))
}
