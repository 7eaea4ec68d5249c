package api

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"prequal/lending"
)

// Mount registers every route of the JSON API on g, the portal's /api group:
// this is the API's route table, every route with its method and middleware.
// The portal's global middleware (handlers/routes.go) runs first and suits
// machines too: a correlation id, Cache-Control: no-store, and the
// cross-origin check lets /api/ through, since no route here reads a cookie.
//
// A partner route's middleware run in this order: the credential (partnerKey:
// Authorization: Bearer or x-api-key → the Principal), the key's rate limit,
// the scope, then for mutating routes Idempotency-Key handling. Every route is
// documented in openapi.json; a test holds the two together.
func (a *API) Mount(g *echo.Group) {
	// GET routes answer HEAD too, as the portal's do (handlers/routes.go).
	get := []string{http.MethodGet, http.MethodHead}
	g.Match(get, "/openapi.json", a.serveOpenAPI)

	// Credit Decision API (seed 002): the decision scope, the demo key outside
	// production, the seed's own rate limit, its error shape (errorShapes).
	// decision and score are computations billed per call, not changes: no
	// Idempotency-Key (idempotency.go).
	// Its billed routes are the API's hottest: their middleware is composed
	// once here (composed), not by Echo on every call.
	decision := []echo.MiddlewareFunc{a.partnerKey(demoKeyAllowed), a.rateLimit(rateDecision), requireScope(lending.ScopeDecision)}
	g.POST("/v1/decision", composed(a.decision, decision...))
	g.POST("/v1/score", composed(a.score, decision...))
	g.Match(get, "/v1/usage", a.usageStats, decision...)

	// Credit applications (seed 003): JSON:API 1.1 (content negotiation, its
	// error objects: errorShapes), an optional Idempotency-Key besides the
	// idempotencyKey attribute.
	creditRead := []echo.MiddlewareFunc{a.partnerKey(partnerKeysOnly), a.rateLimit(rateCreditApplications),
		requireScope(lending.ScopeCreditApplicationsRead), jsonAPINegotiation}
	creditWrite := []echo.MiddlewareFunc{a.partnerKey(partnerKeysOnly), a.rateLimit(rateCreditApplications),
		requireScope(lending.ScopeCreditApplicationsWrite), jsonAPINegotiation, a.idempotent(IdempotencyOptional)}
	g.POST("/credit-applications", a.createCreditApplication, creditWrite...)
	g.Match(get, "/credit-applications", a.listCreditApplications, creditRead...)
	g.Match(get, "/credit-applications/:id", a.getCreditApplication, creditRead...)
	g.PATCH("/credit-applications/:id", a.patchCreditApplication, creditWrite...)
	g.POST("/credit-applications/:id/cancel", a.cancelCreditApplication, creditWrite...)

	// Line-of-Credit applications (seed 004): problem+json errors. Creating
	// takes an optional Idempotency-Key.
	locRead := []echo.MiddlewareFunc{a.partnerKey(partnerKeysOnly), a.rateLimit(rateLineOfCredit), requireScope(lending.ScopeApplicationsRead)}
	locWrite := []echo.MiddlewareFunc{a.partnerKey(partnerKeysOnly), a.rateLimit(rateLineOfCredit), requireScope(lending.ScopeApplicationsWrite),
		a.idempotent(IdempotencyOptional)}
	g.POST("/v1/applications", a.createLoCApplication, locWrite...)
	g.Match(get, "/v1/applications", a.listLoCApplications, locRead...)
	g.Match(get, "/v1/applications/:id", a.getLoCApplication, locRead...)
	g.PATCH("/v1/applications/:id", a.patchLoCApplication, locWrite...)

	// Headless journeys (seed 001). The partner's backend opens and refreshes
	// borrower sessions with its key (scope journeys); the token-issuing calls
	// require an Idempotency-Key but keep no answer (it would hold the
	// tokens). Everything else is borrower-scoped: a borrower session token
	// only (borrowerSession), so neither credential passes for the other.
	journeys := []echo.MiddlewareFunc{a.partnerKey(partnerKeysOnly), a.rateLimit(rateJourneys), requireScope(lending.ScopeJourneys)}
	g.POST("/v1/headless/sessions", a.startSession, append(journeys, requireTokenIdempotencyKey)...)
	g.POST("/v1/headless/sessions/refresh", a.refreshSession, append(journeys, requireTokenIdempotencyKey)...)
	borrower := []echo.MiddlewareFunc{a.borrowerSession, a.rateLimit(rateJourneys)}
	mutating := append(slices.Clone(borrower), a.idempotent(IdempotencyRequired))
	g.Match(get, "/v1/headless/journeys", a.listJourneys, borrower...)
	g.POST("/v1/headless/journeys", a.startJourney, mutating...)
	g.Match(get, "/v1/headless/journeys/:id", a.getJourney, borrower...)
	g.Match(get, "/v1/headless/journeys/:id/state", a.journeyState, borrower...)
	g.PUT("/v1/headless/journeys/:id/profile", a.putProfile, mutating...)
	g.POST("/v1/headless/journeys/:id/submit", a.submitJourney, mutating...)
	g.Match(get, "/v1/headless/journeys/:id/offers", a.journeyOffers, borrower...)
	g.POST("/v1/headless/journeys/:id/offers/:offerId/proceed", a.proceedOffer, mutating...)
	g.PATCH("/v1/headless/journeys/:id/resume", a.resumeJourney, mutating...)
	g.POST("/v1/headless/journeys/:id/cancel", a.cancelJourney, mutating...)
}

// composed is h behind m (m[0] first), composed once: what Echo builds on
// every request when m is passed with the route.
func composed(h echo.HandlerFunc, m ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return h
}

// errorShapes says which error shape answers under which path (the longest
// prefix wins); everything else under /api answers in RFC 9457 problem+json.
// A route group that follows a seed's error shape adds its prefix here.
var errorShapes = []struct {
	prefix string
	shape  ErrorShape
}{
	{"/api/v1/decision", Seed002Errors},
	{"/api/v1/score", Seed002Errors},
	{"/api/v1/usage", Seed002Errors},
	{"/api/credit-applications", JSONAPIErrors},
}
