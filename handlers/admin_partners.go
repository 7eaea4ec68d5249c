package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/store"
	"prequal/views"
)

// adminPartners lists every partner with what an admin may do about it.
func (s *Server) adminPartners(c echo.Context) error {
	v, err := s.partnersView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminPartners(v))
}

func (s *Server) partnersView(c echo.Context) (views.PartnersView, error) {
	partners, err := s.store.Partners(c.Request().Context())
	if err != nil {
		return views.PartnersView{}, err
	}
	v := views.PartnersView{AdminPage: s.adminPage(c, "Partners"), Production: s.cfg.Production}
	for _, p := range partners {
		v.Partners = append(v.Partners, views.PartnerRow{Partner: p.Partner, ActiveKeys: p.ActiveKeys,
			Actions: lending.PartnerActions(p.Status)})
	}
	return v, nil
}

// adminPartnerAction approves, suspends or reinstates a partner. A suspended
// partner's keys answer 401 from its next request on.
func (s *Server) adminPartnerAction(c echo.Context) error {
	change := lending.PartnerStatusChange(c.Param("action"))
	p, err := s.store.ChangePartnerStatus(c.Request().Context(), c.Param("id"), change, auditedBy(c))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound)
	case errors.Is(err, store.ErrInvalidPartner):
		return echo.NewHTTPError(http.StatusConflict, "That change does not apply to this partner now.").SetInternal(err)
	case err != nil:
		return err
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "partner status changed", slog.String("officer_id", currentOfficer(c).ID),
		slog.String("partner_id", p.ID), slog.String("action", string(change)), slog.String("status", string(p.Status)))
	v, err := s.partnersView(c)
	if err != nil {
		return err
	}
	v.Flash = views.PartnerFlash(p, change)
	return render(c, http.StatusOK, views.AdminPartners(v))
}
