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
	e.Use(recoverPanics, s.requestLog, securityHeaders(s.cfg.Production), s.allowHosts, crossOrigin(),
		// Request bodies: defaultBodyLimit (64 KiB) on every route but those a
		// rule names; multipart only where a rule takes it (none does yet).
		limitBodies(
			bodyRule{prefix: "/callbacks/platform/", limit: platform.MaxCallbackBytes},
			bodyRule{prefix: "/api/", limit: api.MaxBodyBytes},
		))

	e.GET("/static/*", echo.WrapHandler(s.cfg.Static))
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics, s.metricsAccess)

	// borrowers
	e.GET("/", s.home)
	e.GET("/apply", s.applyForm)
	e.POST("/apply", s.applySubmit)
	e.POST("/apply/validate", s.applyValidate)
	e.GET("/applications/:id", s.applicationPage)
	e.GET("/applications/:id/status", s.applicationStatus)
	e.POST("/applications/:id/offers/:productId/select", s.selectOffer)
	e.POST("/applications/:id/retry", s.retryApplication)
	e.GET("/resume", s.resumeForm)
	e.POST("/resume", s.resumeRequest)
	e.GET("/resume/:token", s.resumeOpen)
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
	e.GET("/register", s.developersRegisterRedirect) // seed 002: "Register at /register"
	e.GET("/developers/register", s.developersRegisterForm)
	e.POST("/developers/register", s.developersRegister)
	e.GET("/developers/signin", s.developersSignInForm)
	e.POST("/developers/signin", s.developersSignIn)
	e.POST("/developers/signout", s.developersSignOut)
	e.GET("/developers/docs", s.developersDocs)
	dev := e.Group("/developers", s.requirePartner)
	dev.GET("", s.developersDashboard)
	dev.POST("/keys", s.developersCreateKey)
	dev.POST("/keys/:id/rotate", s.developersRotateKey)
	dev.POST("/keys/:id/revoke", s.developersRevokeKey)

	// QA (stage only: in production these routes do not exist)
	if !s.cfg.Production {
		s.mountSandbox(e)
		e.GET("/qa", s.qaPage)
		e.GET("/qa/scenarios.json", s.qaScenariosJSON)
		e.POST("/qa/controls", s.qaSetControls)
		e.POST("/qa/controls/reset", s.qaResetControls)
		e.GET("/qa/applications/:id", s.qaApplication)
		e.GET("/qa/mail", s.qaMailPage)
		e.GET("/qa/mail.json", s.qaMailList)
		e.POST("/qa/mail/controls", s.qaMailControls)
		e.GET("/qa/mail/:id", s.qaMailMessage)
		e.GET("/qa/mail/:id/html", s.qaMailHTML)
	}

	// admin: loan officers. Sign-in is open; everything else needs a live officer
	// session (anonymous → sign-in page), and a role that allows it (else 403).
	e.GET("/admin/signin", s.adminSignInForm)
	e.POST("/admin/signin", s.adminSignIn)
	e.POST("/admin/signout", s.adminSignOut)
	admin := e.Group("/admin", s.requireOfficer, requirePermission(lending.PermViewApplications))
	act := requirePermission(lending.PermActOnApplications)
	admin.GET("", s.adminDashboard)
	admin.GET("/applications", s.adminPipeline)
	admin.GET("/applications.csv", s.adminPipelineCSV)
	admin.GET("/applications/:id", s.adminApplication)
	admin.POST("/applications/:id/reveal", s.adminReveal, requirePermission(lending.PermRevealPII))
	admin.POST("/applications/:id/actions/:action", s.adminAction, act)
	admin.POST("/applications/:id/approve", s.adminApprove, act)
	admin.POST("/applications/:id/deny", s.adminDeny, act)
	admin.GET("/review", s.adminReviewQueue)
	admin.GET("/officers", s.adminOfficers, requirePermission(lending.PermManageOfficers))
	admin.POST("/officers", s.adminCreateOfficer, requirePermission(lending.PermManageOfficers))

	// admin: partners (approve, suspend, reinstate), their API keys and usage.
	// Admins only: keys are billing credentials, so the admin-only permission
	// guards them; only here can a key get the operator scope.
	manageKeys := requirePermission(lending.PermManageOfficers)
	admin.GET("/api-keys", s.adminAPIKeys, manageKeys)
	admin.POST("/api-keys", s.adminCreateAPIKey, manageKeys)
	admin.POST("/api-keys/:id/rotate", s.adminRotateAPIKey, manageKeys)
	admin.POST("/api-keys/:id/revoke", s.adminRevokeAPIKey, manageKeys)
	admin.GET("/partners", s.adminPartners, manageKeys)
	admin.POST("/partners/:id/:action", s.adminPartnerAction, manageKeys)
}

// mountSandbox serves the embedded stage platform at /sandbox (stage only),
// behind the middleware above; the portal itself still reaches it over HTTP.
func (s *Server) mountSandbox(e *echo.Echo) {
	if s.cfg.Sandbox != nil {
		e.Any(sandboxRoute, echo.WrapHandler(http.StripPrefix("/sandbox", s.cfg.Sandbox)))
	}
}
