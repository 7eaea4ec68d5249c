package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// WriteError answers a failed /api request with status code in the API's error
// shape, the seed's {"error": "…"}: never an HTML page, never err.Error(). The
// portal's one error handler (handlers/errors.go) logs every failure and calls
// it for every path under /api/, unknown routes included.
func WriteError(c echo.Context, code int) error {
	return c.JSON(code, map[string]string{"error": errorText(code)})
}

func errorText(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "Invalid or missing API key."
	case http.StatusTooManyRequests:
		return "Too many requests, please try again later."
	case http.StatusNotFound:
		return "Not found."
	}
	if code >= 500 {
		return "Internal server error."
	}
	return http.StatusText(code)
}
