package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// platformCallback receives the platform's signed lead callbacks (seed 000:
// answer with a status code only; anything but 2xx makes the platform retry).
// So it answers 204 when the update is applied and also when a retry could not
// help (a repeated webhook-id, a lead we do not know), 401 when the path token,
// signature or timestamp is wrong, 400 for a verified body it cannot parse, and
// 5xx only when trying again later may work. Nothing in the body is trusted, or
// even read as JSON, before the signature over the raw bytes checks out.
func (s *Server) platformCallback(c echo.Context) error {
	ctx := c.Request().Context()
	if !s.callbackTokenOK(c.Param("token")) {
		return echo.NewHTTPError(http.StatusUnauthorized).SetInternal(errors.New("callback path token does not match"))
	}
	// The route table caps this body at platform.MaxCallbackBytes (limitBodies).
	body, err := io.ReadAll(c.Request().Body)
	switch {
	case tooLarge(err):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge).SetInternal(err)
	case err != nil:
		return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	webhookID, err := platform.Verify(s.cfg.WebhookSecrets, c.Request().Header, body, s.now())
	if err != nil {
		s.noteRejectedCallback(c, body, err)
		return echo.NewHTTPError(http.StatusUnauthorized).SetInternal(err)
	}
	cb, err := platform.DecodeCallback(body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	report, err := cb.Data.Report()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest).SetInternal(err)
	}
	update := store.LeadUpdate{LeadReport: report, Source: lending.SourceCallback, WebhookID: webhookID}

	res, err := s.applyWhenRecorded(ctx, update)
	switch {
	case errors.Is(err, store.ErrLeadNotRecorded):
		// Our worker is still storing this lead's uuid: the platform's retry lands.
		s.log.InfoContext(ctx, "callback arrived before its lead was recorded; asking for a retry",
			"lead_uuid", update.UUID, "webhook_id", webhookID)
		return echo.NewHTTPError(http.StatusServiceUnavailable).SetInternal(err)
	case errors.Is(err, store.ErrNotFound):
		s.log.WarnContext(ctx, "callback for an unknown lead acknowledged and dropped",
			"lead_uuid", update.UUID, "webhook_id", webhookID, "status", cb.Data.Status)
		return c.NoContent(http.StatusNoContent)
	case err != nil:
		return err // 500: the database may be back when the platform retries
	}
	s.log.InfoContext(ctx, "callback applied",
		"application_id", res.ApplicationID, "correlation_id", res.CorrelationID, "lead_uuid", update.UUID,
		"webhook_id", webhookID, "from", string(res.From), "to", string(res.To),
		"changed", res.Changed, "duplicate", res.Duplicate)
	return c.NoContent(http.StatusNoContent)
}

// noteRejectedCallback puts a callback whose signature or timestamp failed on the
// timeline of the application its body names, so officers and QA see rejected
// deliveries. Only the path token has vouched for the sender, so the body is
// read for the lead uuid alone — nothing in it is applied — the event says the
// claim is unverified, what it repeats of the sender's words is cut short, and
// the store takes only so many such events per lead in an hour.
func (s *Server) noteRejectedCallback(c echo.Context, body []byte, why error) {
	ctx := c.Request().Context()
	cb, err := platform.DecodeCallback(body)
	if err != nil {
		return
	}
	detail := "signature check failed (" + why.Error() + "); unverified claim: status " + unverifiedText(cb.Data.Status) +
		", webhook-id " + unverifiedText(c.Request().Header.Get(platform.HeaderWebhookID))
	recorded, err := s.store.RecordRejectedCallback(ctx, cb.Data.UUID, detail, lending.MaxRejectedCallbackEventsPerHour)
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		s.log.WarnContext(ctx, "recording a rejected callback failed", "error", err)
	case err == nil && !recorded:
		s.log.DebugContext(ctx, "rejected callback not noted: the lead's hourly limit of such events is reached")
	}
}

// maxUnverifiedText is how much of an unverified callback's own words a
// timeline event repeats.
const maxUnverifiedText = 64

// unverifiedText is a sender's unverified value as a timeline may show it: at
// most maxUnverifiedText characters, quoted so that nothing in it reads as ours.
func unverifiedText(v string) string {
	if r := []rune(v); len(r) > maxUnverifiedText {
		return strconv.QuoteToASCII(string(r[:maxUnverifiedText])) + "…"
	}
	return strconv.QuoteToASCII(v)
}

// Waiting for a lead's uuid to be recorded: a fast platform's callback can
// overtake our worker, which is still storing the uuid the platform answered.
const (
	recordWaitStep = 10 * time.Millisecond
	recordWaitMax  = 200 * time.Millisecond
)

// applyWhenRecorded applies the update, waiting up to recordWaitMax while the
// lead's uuid is still being recorded, instead of sending the platform away to
// retry after its backoff (hundreds of milliseconds at least). After that it
// gives up with ErrLeadNotRecorded, and the platform's retry lands.
func (s *Server) applyWhenRecorded(ctx context.Context, u store.LeadUpdate) (store.LeadUpdateResult, error) {
	deadline := time.Now().Add(recordWaitMax)
	for {
		res, err := s.store.ApplyLeadUpdate(ctx, u)
		if !errors.Is(err, store.ErrLeadNotRecorded) || time.Now().Add(recordWaitStep).After(deadline) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(recordWaitStep):
		}
	}
}

// callbackTokenOK compares the path token with the configured one in constant
// time. Both are hashed first so that not even the token's length leaks.
func (s *Server) callbackTokenOK(got string) bool {
	if s.cfg.CallbackToken == "" {
		return false
	}
	want := sha256.Sum256([]byte(s.cfg.CallbackToken))
	have := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(want[:], have[:]) == 1
}
