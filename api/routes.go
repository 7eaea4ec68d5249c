package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Mount registers every route of the JSON API on g, the portal's /api group:
// this is the API's route table, every route with its method and middleware.
// The portal's global middleware (handlers/routes.go) runs first and suits
// machines too: Cache-Control: no-store, and the cross-origin check lets /api/
// through, since no route here reads a cookie.
func (a *API) Mount(g *echo.Group) {
	// Credit Decision API (seed 002): an x-api-key only, counted against its
	// rate limit.
	v1 := g.Group("/v1", a.authenticate)
	v1.POST("/decision", a.decision)
	v1.POST("/score", a.score)
	// GET routes answer HEAD too, as the portal's do (handlers/routes.go).
	v1.Match([]string{http.MethodGet, http.MethodHead}, "/usage", a.usageStats)
}
