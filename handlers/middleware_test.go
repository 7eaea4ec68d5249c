package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// The security headers' values are shared by every response; a handler that
// adds to one of them must change its own response only, and never what
// another response already holds.
func TestSecurityHeadersSharedValuesStayIntact(t *testing.T) {
	e := echo.New()
	e.Use(securityHeaders(false, ""))
	e.GET("/add/:v", func(c echo.Context) error {
		c.Response().Header().Add("Cache-Control", c.Param("v"))
		c.Response().Header().Add("X-Frame-Options", c.Param("v"))
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/plain", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	serve := func(path string) http.Header {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Header() // the very map the handler wrote to
	}

	first, second, plain := serve("/add/one"), serve("/add/two"), serve("/plain")
	for _, tt := range []struct {
		h          http.Header
		name, want string
	}{
		{first, "Cache-Control", "no-store one"}, {first, "X-Frame-Options", "DENY one"},
		{second, "Cache-Control", "no-store two"}, {second, "X-Frame-Options", "DENY two"},
		{plain, "Cache-Control", "no-store"}, {plain, "X-Frame-Options", "DENY"},
	} {
		if s := strings.Join(tt.h.Values(tt.name), " "); s != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, s, tt.want)
		}
	}
}
