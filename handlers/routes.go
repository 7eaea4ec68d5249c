package handlers

import (
	"github.com/labstack/echo/v4"

	"prequal/lending"
)

// routes is the portal's one route table: every route, its method and its
// middleware, top to bottom.
func (s *Server) routes(e *echo.Echo) {
	e.Use(recoverPanics, s.requestLog, securityHeaders, crossOrigin())

	e.GET("/static/*", echo.WrapHandler(s.cfg.Static))
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metrics)

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
	// api/routes.go (today the Credit Decision API, seed 002, at /api/v1/...).
	// Only API keys authenticate there, never a cookie; errors render as the
	// API's JSON (errors.go hands every /api/ path to api.WriteError).
	s.api.Mount(e.Group("/api"))

	// QA (stage only: in production these routes do not exist)
	if !s.cfg.Production {
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

	// admin: Credit Decision API keys and their usage. Admins only: keys are
	// billing credentials, so the admin-only permission guards them.
	manageKeys := requirePermission(lending.PermManageOfficers)
	admin.GET("/api-keys", s.adminAPIKeys, manageKeys)
	admin.POST("/api-keys", s.adminCreateAPIKey, manageKeys)
	admin.POST("/api-keys/:id/rotate", s.adminRotateAPIKey, manageKeys)
	admin.POST("/api-keys/:id/revoke", s.adminRevokeAPIKey, manageKeys)
}
