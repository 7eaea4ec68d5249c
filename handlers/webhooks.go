package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
	"prequal/views"
)

// Partner webhooks on the developer dashboard: endpoints (secret shown once),
// their recent deliveries, a test event, replays and secret rotation; admins
// see every partner's at /admin/webhooks.

// webhookDeliveriesShown is how many recent deliveries an endpoint's page lists.
const webhookDeliveriesShown = 50

// webhookRotationOverlap is how long a rotated-out secret is still signed with.
const webhookRotationOverlap = 24 * time.Hour

func (s *Server) webhooksSection(c echo.Context) (views.WebhooksSection, error) {
	p := currentPartner(c)
	eps, err := s.store.WebhookEndpoints(c.Request().Context(), p.ID)
	return views.WebhooksSection{Endpoints: eps, EventTypes: lending.WebhookEventTypes, Production: s.cfg.Production,
		Form: views.WebhookEndpointForm{Types: map[string]bool{}, Active: p.Status == lending.PartnerActive}}, err
}

func (s *Server) checkWebhookURL(c echo.Context, raw string) error {
	if s.cfg.CheckWebhookURL != nil {
		return s.cfg.CheckWebhookURL(c.Request().Context(), raw)
	}
	_, err := lending.ParseWebhookURL(raw, s.cfg.Production)
	return err
}

// developersCreateWebhook adds an endpoint; its signing secret is shown in
// this response only.
func (s *Server) developersCreateWebhook(c echo.Context) error {
	p := currentPartner(c)
	v, err := s.dashboardView(c)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	f := &v.Webhooks.Form
	f.URL = strings.TrimSpace(form.Get("url"))
	for _, t := range form["eventType"] {
		f.Types[t] = true
	}
	types, typesErr := lending.ValidateWebhookEventTypes(form["eventType"])
	switch {
	case p.Status != lending.PartnerActive:
		f.Error = "Your account is not active yet, so it cannot have webhook endpoints."
	case typesErr != nil:
		f.Error = strings.ToUpper(typesErr.Error()[:1]) + typesErr.Error()[1:] + "."
	default:
		if err := s.checkWebhookURL(c, f.URL); err != nil {
			f.Error = "That URL cannot be used: " + err.Error() + "."
		}
	}
	if f.Error != "" {
		return render(c, http.StatusUnprocessableEntity, views.DevelopersDashboard(v))
	}
	secret := string(platform.NewWebhookSecret())
	ep, err := s.store.CreateWebhookEndpoint(c.Request().Context(), store.NewWebhookEndpoint{PartnerID: p.ID, URL: f.URL,
		EventTypes: types, Secret: secret})
	if err != nil {
		return err
	}
	s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "webhook endpoint added", slog.String("partner_id", p.ID), slog.String("endpoint_id", ep.ID))
	if v, err = s.dashboardView(c); err != nil {
		return err
	}
	v.Webhooks.Revealed = &views.RevealedWebhookSecret{EndpointID: ep.ID, Secret: secret}
	return render(c, http.StatusOK, views.DevelopersDashboard(v))
}

// webhookEndpointView loads endpoint id of partnerID ("" for an admin).
func (s *Server) webhookEndpointView(c echo.Context, partnerID string) (views.WebhookEndpointView, error) {
	ctx := c.Request().Context()
	ep, err := s.store.WebhookEndpoint(ctx, partnerID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return views.WebhookEndpointView{}, echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	if err != nil {
		return views.WebhookEndpointView{}, err
	}
	ds, err := s.store.WebhookDeliveries(ctx, partnerID, ep.ID, webhookDeliveriesShown)
	if err != nil {
		return views.WebhookEndpointView{}, err
	}
	return views.WebhookEndpointView{Endpoint: ep, Deliveries: ds, Now: s.now()}, nil
}

func (s *Server) renderDeveloperWebhook(c echo.Context, status int, edit func(*views.WebhookEndpointView)) error {
	v, err := s.webhookEndpointView(c, currentPartner(c).ID)
	if err != nil {
		return err
	}
	v.DeveloperPage = s.developerPage(c, "Webhook endpoint")
	if edit != nil {
		edit(&v)
	}
	return render(c, status, views.WebhookEndpointPage(v))
}

// developersWebhook is one endpoint's page: recent deliveries and actions.
func (s *Server) developersWebhook(c echo.Context) error {
	return s.renderDeveloperWebhook(c, http.StatusOK, nil)
}

func (s *Server) wakeWebhooks() {
	if s.cfg.WakeWebhooks != nil {
		s.cfg.WakeWebhooks()
	}
}

// developersWebhookTest sends the endpoint a webhook.test event.
func (s *Server) developersWebhookTest(c echo.Context) error {
	ev, err := s.store.SendWebhookTestEvent(c.Request().Context(), currentPartner(c).ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	if err != nil {
		return err
	}
	s.wakeWebhooks()
	return s.renderDeveloperWebhook(c, http.StatusOK, func(v *views.WebhookEndpointView) {
		v.Flash = "Sent a test event (" + ev.ID + "). Its delivery appears below."
	})
}

// developersWebhookRotate gives the endpoint a new secret, shown once; the
// previous one is signed with too for webhookRotationOverlap.
func (s *Server) developersWebhookRotate(c echo.Context) error {
	secret := string(platform.NewWebhookSecret())
	until := s.now().Add(webhookRotationOverlap)
	err := s.store.RotateWebhookSecret(c.Request().Context(), currentPartner(c).ID, c.Param("id"), secret, until)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	if err != nil {
		return err
	}
	return s.renderDeveloperWebhook(c, http.StatusOK, func(v *views.WebhookEndpointView) {
		v.Revealed = &views.RevealedWebhookSecret{EndpointID: v.Endpoint.ID, Secret: secret, Rotated: true, OldUntil: until}
	})
}

// developersWebhookDelete deletes the endpoint and returns to the dashboard.
func (s *Server) developersWebhookDelete(c echo.Context) error {
	err := s.store.DeleteWebhookEndpoint(c.Request().Context(), currentPartner(c).ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	if err != nil {
		return err
	}
	return redirect(c, "/developers#webhooks")
}

// developersWebhookReplay sends one delivery again (same webhook-id).
func (s *Server) developersWebhookReplay(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if _, err := s.store.WebhookEndpoint(c.Request().Context(), currentPartner(c).ID, c.Param("id")); errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	err = s.store.ReplayWebhookDelivery(c.Request().Context(), currentPartner(c).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	if err != nil {
		return err
	}
	s.wakeWebhooks()
	return s.renderDeveloperWebhook(c, http.StatusOK, func(v *views.WebhookEndpointView) {
		v.Flash = fmt.Sprintf("Replaying delivery %d.", id)
	})
}

// replaySinceLayouts are the forms "since" is accepted in: the
// datetime-local input's, with or without seconds, and RFC 3339.
var replaySinceLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

// developersWebhookReplayFailed replays every failed delivery of events since
// a time (UTC).
func (s *Server) developersWebhookReplayFailed(c echo.Context) error {
	raw := strings.TrimSpace(c.FormValue("since"))
	var since time.Time
	var err error
	for _, layout := range replaySinceLayouts {
		if since, err = time.ParseInLocation(layout, raw, time.UTC); err == nil {
			break
		}
	}
	if err != nil {
		return s.renderDeveloperWebhook(c, http.StatusUnprocessableEntity, func(v *views.WebhookEndpointView) {
			v.Error = "Enter the date and time to replay from, such as 2026-12-01T09:00 (UTC)."
		})
	}
	n, err := s.store.ReplayFailedWebhookDeliveries(c.Request().Context(), currentPartner(c).ID, c.Param("id"), since)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound).SetInternal(err)
	}
	if err != nil {
		return err
	}
	s.wakeWebhooks()
	return s.renderDeveloperWebhook(c, http.StatusOK, func(v *views.WebhookEndpointView) {
		v.Flash = fmt.Sprintf("Replaying %d failed deliveries of events since %s UTC.", n, since.Format("2006-01-02 15:04"))
	})
}

// adminWebhooks lists every partner's endpoints.
func (s *Server) adminWebhooks(c echo.Context) error {
	ctx := c.Request().Context()
	eps, err := s.store.WebhookEndpoints(ctx, "")
	if err != nil {
		return err
	}
	names, err := s.allPartnerNames(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminWebhooks(views.AdminWebhooksView{AdminPage: s.adminPage(c, "Webhooks"),
		Endpoints: eps, PartnerNames: names}))
}

// adminWebhook is any partner's endpoint and its deliveries, read only.
func (s *Server) adminWebhook(c echo.Context) error {
	v, err := s.webhookEndpointView(c, "")
	if err != nil {
		return err
	}
	names, err := s.allPartnerNames(c)
	if err != nil {
		return err
	}
	v.Admin, v.AdminPage, v.PartnerName = true, s.adminPage(c, "Webhook endpoint"), names[v.Endpoint.PartnerID]
	return render(c, http.StatusOK, views.WebhookEndpointPage(v))
}

func (s *Server) allPartnerNames(c echo.Context) (map[string]string, error) {
	ps, err := s.store.Partners(c.Request().Context())
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	return names, nil
}
