package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// htmx request and response headers (https://htmx.org/reference/#headers).
const (
	hxRequest  = "HX-Request"
	hxRedirect = "HX-Redirect"
	hxRefresh  = "HX-Refresh"
)

// isHTMX reports whether htmx made this request (it wants a fragment).
func isHTMX(c echo.Context) bool { return c.Request().Header.Get(hxRequest) == "true" }

// redirect sends the browser to url: with HX-Redirect for htmx requests (a plain
// 3xx would be followed by the XHR and swapped in), with 303 otherwise.
func redirect(c echo.Context, url string) error {
	if isHTMX(c) {
		c.Response().Header().Set(hxRedirect, url)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}
