package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// errorShape is how a route writes its errors.
type errorShape int

const (
	// problemDetails is RFC 9457's application/problem+json: every /api route
	// whose seed does not define its own error body, unknown routes included.
	problemDetails errorShape = iota
	// seedError is seed 002's {"error": "…"}.
	seedError
)

// seedErrorShape registers routes whose seed defines the {"error": "…"} body.
func (a *API) seedErrorShape(routes ...*echo.Route) {
	for _, r := range routes {
		a.errorShapes[r.Path] = seedError
	}
}

// WriteError answers a failed /api request with status code in the shape of
// its route: the seed's {"error": "…"} where the route's seed defines it (seed
// 002's routes), RFC 9457 problem details everywhere else; never an HTML page,
// never err.Error(). The portal's one error handler (handlers/errors.go) logs
// every failure and calls it for every path under /api/, unknown routes
// included.
func (a *API) WriteError(c echo.Context, code int) error {
	if a.errorShapes[c.Path()] == seedError {
		return c.JSON(code, map[string]string{"error": errorText(code)})
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	return c.JSONBlob(code, problemBody(code))
}

// problem is an RFC 9457 problem details object with the "about:blank" type,
// whose title is the status's own phrase.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

func problemBody(code int) []byte {
	b, err := json.Marshal(problem{Type: "about:blank", Title: http.StatusText(code), Status: code, Detail: errorText(code)})
	if err != nil {
		return []byte(`{"type":"about:blank"}`)
	}
	return b
}

func errorText(code int) string {
	switch code {
	case http.StatusUnauthorized:
		return "Invalid or missing API key."
	case http.StatusTooManyRequests:
		return "Too many requests, please try again later."
	case http.StatusNotFound:
		return "Not found."
	case http.StatusRequestEntityTooLarge:
		return fmt.Sprintf("Request body must not be larger than %d bytes.", MaxBodyBytes)
	}
	if code >= 500 {
		return "Internal server error."
	}
	return http.StatusText(code)
}
