package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the OpenAPI 3.1 document of every /api route, written by
// hand next to the routes it describes and served as it is. Tests hold it to
// the route table (both ways), validate it with a real OpenAPI validator, and
// check the API's real answers against its schemas.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the document's bytes (for /developers/docs). The
// caller must not modify them.
func OpenAPIDocument() []byte { return openAPIDocument }

// serveOpenAPI serves the document: GET /api/openapi.json, no key needed.
func (a *API) serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
