package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"prequal/api"
	"prequal/store"
	"prequal/views"
)

// handleError is Echo's single error handler: it logs 5xx as errors and 4xx as
// warnings, and renders a friendly page. Borrowers never see err.Error().
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, ""
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok && code < 500 {
			msg = m
		}
	case errors.Is(err, store.ErrNotFound):
		code = http.StatusNotFound
	case tooLarge(err):
		code = http.StatusRequestEntityTooLarge // a handler read past its route's cap (limitBodies)
	}
	if status, ok := api.StatusOf(err); ok {
		code = status
	}
	level := slog.LevelWarn
	if code >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(c.Request().Context(), level, "request failed",
		slog.String("method", c.Request().Method), slog.String("route", c.Path()),
		slog.Int("status", code), slog.String("error", err.Error()))

	path := c.Request().URL.Path
	if strings.HasPrefix(path, "/callbacks/") {
		_ = c.NoContent(code)
		return
	}
	if strings.HasPrefix(path, "/api/") {
		_ = api.WriteError(c, err)
		return
	}
	heading, text := errorCopy(code, msg)
	_ = render(c, code, views.ErrorPage(s.page(heading), code, heading, text))
}

func errorCopy(code int, msg string) (heading, text string) {
	switch code {
	case http.StatusNotFound:
		return "Page not found", "We couldn't find that page. If you followed a link to an application, it may belong to another browser session."
	case http.StatusForbidden:
		if msg == "" {
			msg = "You don't have access to this page."
		}
		return "Not allowed", msg
	case http.StatusConflict:
		return "That can't be done now", msg
	case http.StatusTooManyRequests:
		return "Too many attempts", "Please wait a moment and try again."
	case http.StatusRequestEntityTooLarge:
		return "That was too much to send", "What you sent was larger than this page accepts. Please go back and check what you entered."
	}
	if code >= 500 {
		return "Something went wrong on our side", "We couldn't finish that request. Nothing you entered was lost; please try again in a moment."
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	return "We couldn't do that", msg
}
