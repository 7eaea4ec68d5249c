package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/api"
	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// apiKeysView lists every key with its usage in total and this month, and the
// billed calls per key and month.
func (s *Server) apiKeysView(c echo.Context) (views.APIKeysView, error) {
	ctx := c.Request().Context()
	keys, err := s.store.APIKeys(ctx)
	if err != nil {
		return views.APIKeysView{}, err
	}
	months, err := s.store.APIUsageByMonth(ctx)
	if err != nil {
		return views.APIKeysView{}, err
	}
	v := views.APIKeysView{AdminPage: s.adminPage(c, "API keys"), PricePerCall: api.PricePerCall, AllScopes: lending.AllScopes,
		ChosenScopes: map[lending.Scope]bool{}}
	byID := make(map[string]store.APIKey, len(keys))
	for _, k := range keys {
		byID[k.ID] = k
		// One read per key, the same one GET /api/v1/usage answers with, so the
		// page and the API never disagree. Partners' keys are few.
		u, err := s.store.APIKeyUsage(ctx, k.ID)
		if err != nil {
			return views.APIKeysView{}, err
		}
		v.Keys = append(v.Keys, views.APIKeyRow{ID: k.ID, TenantID: k.TenantID, PartnerName: k.PartnerName, Scopes: k.Scopes, Prefix: k.Prefix,
			CreatedAt: k.CreatedAt, RotatedAt: k.RotatedAt, RevokedAt: k.RevokedAt,
			Calls: u.Calls, CallsThisMonth: u.CallsThisMonth})
	}
	for _, m := range months {
		k := byID[m.KeyID]
		v.Months = append(v.Months, views.APIKeyMonthRow{Month: m.Month, KeyID: m.KeyID, TenantID: k.TenantID,
			Prefix: k.Prefix, Calls: m.Calls, Billed: api.PricePerCall * lending.Cents(m.Calls)})
	}
	return v, nil
}

// auditedBy is the signed-in officer as the audit log records them.
func auditedBy(c echo.Context) store.AuditEntry {
	o := currentOfficer(c)
	return store.AuditEntry{OfficerID: o.ID, OfficerEmail: o.Email, IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

// adminAPIKeys is the API keys page (admins only).
func (s *Server) adminAPIKeys(c echo.Context) error {
	v, err := s.apiKeysView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminAPIKeys(v))
}

// adminCreateAPIKey creates a key and shows its secret in this response only
// (never in a redirect or URL, and the page is no-store like every page). The
// partner of that id is made if it does not exist; no scope chosen means
// decision, as keys have always been; only here can a key be an operator's.
func (s *Server) adminCreateAPIKey(c echo.Context) error {
	tenant := strings.TrimSpace(c.FormValue("tenant"))
	form, _ := c.FormParams()
	var scopes lending.Scopes
	var k store.APIKey
	var secret, problem string
	var err error
	if len(form["scope"]) > 0 {
		scopes, err = lending.NewScopes(form["scope"]...)
	}
	switch {
	case tenant == "":
		problem = "Enter the tenant the key is for."
	case err != nil:
		problem = "Choose scopes from the list."
	default:
		k, secret, err = s.store.CreateAPIKey(c.Request().Context(), store.NewAPIKey{PartnerID: tenant, Scopes: scopes, Live: s.cfg.Production}, auditedBy(c))
		switch {
		case errors.Is(err, store.ErrInvalidTenant):
			problem = "Use 1 to 64 letters, digits, dots, dashes or underscores."
		case errors.Is(err, store.ErrPartnerNotActive):
			problem = "This partner is not active: approve or reinstate it on the Partners page first."
		case err != nil:
			return err
		}
	}
	v, err := s.apiKeysView(c)
	if err != nil {
		return err
	}
	if problem != "" {
		v.Tenant, v.TenantError = tenant, problem
		for _, sc := range form["scope"] {
			v.ChosenScopes[lending.Scope(sc)] = true
		}
		return render(c, http.StatusUnprocessableEntity, views.AdminAPIKeys(v))
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "api key created",
		slog.String("officer_id", currentOfficer(c).ID), slog.String("key_id", k.ID), slog.String("tenant", k.TenantID))
	v.Revealed = &views.RevealedAPIKey{KeyID: k.ID, TenantID: k.TenantID, Secret: secret}
	return render(c, http.StatusOK, views.AdminAPIKeys(v))
}

// adminRotateAPIKey gives a key a new secret, shown once; the old secret fails
// from the next request on.
func (s *Server) adminRotateAPIKey(c echo.Context) error {
	k, secret, err := s.store.RotateAPIKey(c.Request().Context(), c.Param("id"), s.cfg.Production, auditedBy(c))
	switch {
	case errors.Is(err, store.ErrAPIKeyRevoked):
		return echo.NewHTTPError(http.StatusConflict, "This key is revoked and cannot be rotated. Create a new key instead.").SetInternal(err)
	case err != nil:
		return err
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "api key rotated",
		slog.String("officer_id", currentOfficer(c).ID), slog.String("key_id", k.ID), slog.String("tenant", k.TenantID))
	v, err := s.apiKeysView(c)
	if err != nil {
		return err
	}
	v.Revealed = &views.RevealedAPIKey{KeyID: k.ID, TenantID: k.TenantID, Secret: secret, Rotated: true}
	return render(c, http.StatusOK, views.AdminAPIKeys(v))
}

// adminRevokeAPIKey stops a key for good.
func (s *Server) adminRevokeAPIKey(c echo.Context) error {
	id := c.Param("id")
	if err := s.store.RevokeAPIKey(c.Request().Context(), id, auditedBy(c)); err != nil {
		return err
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "api key revoked",
		slog.String("officer_id", currentOfficer(c).ID), slog.String("key_id", id))
	v, err := s.apiKeysView(c)
	if err != nil {
		return err
	}
	for _, k := range v.Keys {
		if k.ID == id {
			v.Flash = "Revoked the key " + k.Prefix + "… of " + k.TenantID + ". It no longer works."
		}
	}
	return render(c, http.StatusOK, views.AdminAPIKeys(v))
}
