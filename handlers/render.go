package handlers

import (
	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// htmlContentType is every page's and fragment's Content-Type, shared (see
// headerValue).
var htmlContentType = sharedHeader(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)

// render writes component with status through a buffer, so a failing template
// becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, component templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := component.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return writeHTML(c, status, buf.Bytes())
}

// writeHTML answers status with the HTML body.
func writeHTML(c echo.Context, status int, body []byte) error {
	resp := c.Response()
	resp.Header()[htmlContentType.name] = htmlContentType.value
	resp.WriteHeader(status)
	_, err := resp.Write(body)
	return err
}
