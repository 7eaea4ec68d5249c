package handlers

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes component with status through a buffer, so a failing template
// becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, component templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := component.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}
