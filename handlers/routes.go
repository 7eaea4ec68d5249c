package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"prequal/api"
	"prequal/lending"
	"prequal/platform"
)

// routes is the portal's one route table: every route, its method and its
// middleware, top to bottom.
func (s *Server) routes(e *echo.Echo) {
	e.Use(composedOnce(recoverPanics, s.requestLog, securityHeaders(s.cfg.Production, s.cfg.Site.CSS), s.allowHosts, crossOrigin(),
		// Request bodies: defaultBodyLimit (64 KiB) on every route but those a
		// rule names; multipart only where a rule takes it (none does yet).
		limitBodies(
			bodyRule{prefix: "/callbacks/platform/", limit: platform.MaxCallbackBytes},
			bodyRule{prefix: "/api/", limit: api.MaxBodyBytes},
		),
		compress))

	// Every GET route answers HEAD too (get): uptime monitors and link checkers
	// send HEAD, and net/http sends the headers GET would without the body.
	get(e, "/static/*", echo.WrapHandler(s.cfg.Static))
	get(e, "/healthz", s.healthz)
	get(e, "/readyz", s.readyz)
	get(e, "/metrics", s.metrics, s.metricsAccess)

	// borrowers
	get(e, "/", s.home)
	get(e, "/apply", s.applyForm)
	e.POST("/apply", s.applySubmit)
	e.POST("/apply/validate", s.applyValidate)
	get(e, "/applications/:id", s.applicationPage)
	get(e, "/applications/:id/status", s.applicationStatus)
	e.POST("/applications/:id/offers/:productId/select", s.selectOffer)
	e.POST("/applications/:id/offers/decline", s.declineOffers)
	e.POST("/applications/:id/retry", s.retryApplication)
	get(e, "/resume", s.resumeForm)
	e.POST("/resume", s.resumeRequest)
	get(e, "/resume/:token", s.resumeOpen)
	e.POST("/resume/:token", s.resumeRedeem)

	// platform
	e.POST("/callbacks/platform/:token", s.platformCallback)

	// api: every JSON API for machines, with its own route table in
	// api/routes.go (the Credit Decision API, seed 002, at /api/v1/...; the
	// OpenAPI document at /api/openapi.json). Only API keys authenticate
	// there, never a cookie; errors render as the API's JSON (errors.go hands
	// every /api/ path to api.WriteError).
	s.api.Mount(e.Group("/api"))

	// developers: partners' self-service. Registration, sign-in and the API
	// reference are open; the dashboard and keys need a live partner session
	// (anonymous → sign-in page).
	get(e, "/register", s.developersRegisterRedirect) // seed 002: "Register at /register"
	get(e, "/developers/register", s.developersRegisterForm)
	e.POST("/developers/register", s.developersRegister)
	get(e, "/developers/signin", s.developersSignInForm)
	e.POST("/developers/signin", s.developersSignIn)
	e.POST("/developers/signout", s.developersSignOut)
	get(e, "/developers/docs", s.developersDocs)
	dev := e.Group("/developers", s.requirePartner)
	get(dev, "", s.developersDashboard)
	dev.POST("/keys", s.developersCreateKey)
	dev.POST("/keys/:id/rotate", s.developersRotateKey)
	dev.POST("/keys/:id/revoke", s.developersRevokeKey)
	dev.POST("/webhooks", s.developersCreateWebhook)
	get(dev, "/webhooks/:id", s.developersWebhook)
	dev.POST("/webhooks/:id/test", s.developersWebhookTest)
	dev.POST("/webhooks/:id/rotate", s.developersWebhookRotate)
	dev.POST("/webhooks/:id/delete", s.developersWebhookDelete)
	dev.POST("/webhooks/:id/replay-failed", s.developersWebhookReplayFailed)
	dev.POST("/webhooks/:id/deliveries/:delivery/replay", s.developersWebhookReplay)

	// QA (stage only: in production these routes do not exist)
	if !s.cfg.Production {
		s.mountSandbox(e)
		get(e, "/qa", s.qaPage)
		get(e, "/qa/scenarios.json", s.qaScenariosJSON)
		e.POST("/qa/controls", s.qaSetControls)
		e.POST("/qa/controls/reset", s.qaResetControls)
		get(e, "/qa/applications/:id", s.qaApplication)
		get(e, "/qa/mail", s.qaMailPage)
		get(e, "/qa/mail.json", s.qaMailList)
		e.POST("/qa/mail/controls", s.qaMailControls)
		get(e, "/qa/mail/:id", s.qaMailMessage)
		get(e, "/qa/mail/:id/html", s.qaMailHTML)
	}

	// admin: loan officers. Sign-in is open; everything else needs a live officer
	// session (anonymous → sign-in page), and a role that allows it (else 403).
	get(e, "/admin/signin", s.adminSignInForm)
	e.POST("/admin/signin", s.adminSignIn)
	e.POST("/admin/signout", s.adminSignOut)
	admin := e.Group("/admin", s.requireOfficer, requirePermission(lending.PermViewApplications))
	act := requirePermission(lending.PermActOnApplications)
	get(admin, "", s.adminDashboard)
	get(admin, "/applications", s.adminPipeline)
	get(admin, "/applications.csv", s.adminPipelineCSV)
	get(admin, "/applications/:id", s.adminApplication)
	admin.POST("/applications/:id/reveal", s.adminReveal, requirePermission(lending.PermRevealPII))
	admin.POST("/applications/:id/actions/:action", s.adminAction, act)
	admin.POST("/applications/:id/approve", s.adminApprove, act)
	admin.POST("/applications/:id/deny", s.adminDeny, act)
	get(admin, "/review", s.adminReviewQueue)
	get(admin, "/officers", s.adminOfficers, requirePermission(lending.PermManageOfficers))
	admin.POST("/officers", s.adminCreateOfficer, requirePermission(lending.PermManageOfficers))

	// admin: partners (approve, suspend, reinstate), their API keys and usage.
	// Admins only: keys are billing credentials, so the admin-only permission
	// guards them; only here can a key get the operator scope.
	manageKeys := requirePermission(lending.PermManageOfficers)
	get(admin, "/api-keys", s.adminAPIKeys, manageKeys)
	admin.POST("/api-keys", s.adminCreateAPIKey, manageKeys)
	admin.POST("/api-keys/:id/rotate", s.adminRotateAPIKey, manageKeys)
	admin.POST("/api-keys/:id/revoke", s.adminRevokeAPIKey, manageKeys)
	get(admin, "/partners", s.adminPartners, manageKeys)
	admin.POST("/partners/:id/:action", s.adminPartnerAction, manageKeys)
	get(admin, "/webhooks", s.adminWebhooks, manageKeys)
	get(admin, "/webhooks/:id", s.adminWebhook, manageKeys)
}

// mountSandbox serves the embedded stage platform at /sandbox (stage only),
// behind the middleware above; the portal itself still reaches it over HTTP.
func (s *Server) mountSandbox(e *echo.Echo) {
	if s.cfg.Sandbox != nil {
		e.Any(sandboxRoute, echo.WrapHandler(http.StripPrefix(SandboxPrefix, s.cfg.Sandbox)))
	}
}

// router is what routes are added to: the Echo app or one of its groups.
type router interface {
	Match(methods []string, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) []*echo.Route
}

// get registers h for GET and HEAD.
func get(r router, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
}
