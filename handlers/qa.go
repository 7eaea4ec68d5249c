package handlers

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"prequal/lending"
	"prequal/stage"
	"prequal/views"
)

// stageCallTimeout bounds the QA pages' calls to the stage platform.
const stageCallTimeout = 5 * time.Second

// maxQALeadTimeout is the longest lead timeout QA may set.
const maxQALeadTimeout = 30 * time.Minute

// stageScenario returns the QA scenario with that id — in stage only.
func (s *Server) stageScenario(id string) (stage.Scenario, bool) {
	if s.cfg.Production || id == "" {
		return stage.Scenario{}, false
	}
	return stage.ScenarioByID(id)
}

// qaScenariosJSON is GET /qa/scenarios.json: the scenario table with a
// ready-to-submit form for each.
func (s *Server) qaScenariosJSON(c echo.Context) error {
	return c.JSON(http.StatusOK, stage.Scenarios())
}

func (s *Server) qaView(c echo.Context) views.QAView {
	v := views.QAView{
		Page:               s.page("QA scenarios"),
		Scenarios:          stage.Scenarios(),
		LeadTimeout:        s.leadTimeout(),
		DefaultLeadTimeout: s.cfg.LeadTimeout,
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), stageCallTimeout)
	defer cancel()
	if s.cfg.Stage == nil {
		v.ControlsError = "This portal uses an external platform: its stage controls are not reachable from here."
		return v
	}
	controls, err := s.cfg.Stage.StageControls(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "reading stage controls failed", "error", err)
		v.ControlsError = "The stage platform did not answer; try again in a moment."
	}
	v.Controls = controls
	return v
}

// qaPage is GET /qa: every scenario with what it shows and its expected outcome,
// and the stage controls.
func (s *Server) qaPage(c echo.Context) error {
	v := s.qaView(c)
	v.Saved = c.QueryParam("saved") != ""
	return render(c, http.StatusOK, views.QAPage(v))
}

// qaSetControls is POST /qa/controls: the stage platform's controls and the
// portal's lead timeout for new applications.
func (s *Server) qaSetControls(c echo.Context) error {
	errs := map[string]string{}
	intField := func(name string, min, max int64) int64 {
		n, err := strconv.ParseInt(c.FormValue(name), 10, 64)
		if err != nil || n < min || n > max {
			errs[name] = "Enter a whole number from " + strconv.FormatInt(min, 10) + " to " + strconv.FormatInt(max, 10)
		}
		return n
	}
	controls := stage.Controls{
		StepDelayMs:           intField("stepDelayMs", 0, 60_000),
		FailDeliveries:        int(intField("failDeliveries", 0, 10)),
		CallbacksEnabled:      c.FormValue("callbacksEnabled") == "yes",
		IntermediateCallbacks: c.FormValue("intermediateCallbacks") == "yes",
	}
	timeoutSeconds := intField("leadTimeoutSeconds", 1, int64(maxQALeadTimeout/time.Second))
	if len(errs) > 0 {
		v := s.qaView(c)
		v.Errors = errs
		return render(c, http.StatusUnprocessableEntity, views.QAPage(v))
	}
	if s.cfg.Stage != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), stageCallTimeout)
		defer cancel()
		if _, err := s.cfg.Stage.SetStageControls(ctx, controls); err != nil {
			return err
		}
	}
	s.qaLeadTimeout.Store(int64(time.Duration(timeoutSeconds) * time.Second))
	s.log.InfoContext(c.Request().Context(), "stage controls changed", "step_delay_ms", controls.StepDelayMs,
		"fail_deliveries", controls.FailDeliveries, "callbacks", controls.CallbacksEnabled, "lead_timeout_s", timeoutSeconds)
	return c.Redirect(http.StatusSeeOther, "/qa?saved=1")
}

// qaResetControls is POST /qa/controls/reset: everything back to the defaults.
func (s *Server) qaResetControls(c echo.Context) error {
	if s.cfg.Stage != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), stageCallTimeout)
		defer cancel()
		if _, err := s.cfg.Stage.ResetStageControls(ctx); err != nil {
			return err
		}
	}
	s.qaLeadTimeout.Store(0)
	s.log.InfoContext(c.Request().Context(), "stage controls reset")
	return c.Redirect(http.StatusSeeOther, "/qa?saved=1")
}

// qaApplication is GET /qa/applications/:id: what happened between the portal
// and the platform for one application, in time order, next to the borrower's
// status. Stage only; PII is masked on both sides.
func (s *Server) qaApplication(c echo.Context) error {
	id := c.Param("id")
	if !idPattern.MatchString(id) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	app, err := s.store.Application(c.Request().Context(), id)
	if err != nil {
		return err
	}
	events, err := s.store.Events(c.Request().Context(), id)
	if err != nil {
		return err
	}
	v := views.QAApplicationView{Page: s.page("QA: what happened"), App: app}
	for _, e := range events {
		v.Rows = append(v.Rows, views.QARow{At: e.At, Side: "portal", Kind: e.Kind, Status: e.StatusTo, Detail: portalEventDetail(e)})
	}
	if s.cfg.Stage != nil {
		ctx, cancel := context.WithTimeout(c.Request().Context(), stageCallTimeout)
		defer cancel()
		entries, err := s.cfg.Stage.StageLog(ctx, app.PartnerLeadID)
		if err != nil {
			s.log.WarnContext(ctx, "reading the stage call log failed", "error", err)
			v.LogError = "The stage platform's call log could not be read."
		}
		for _, e := range entries {
			v.Rows = append(v.Rows, views.QARowFromStageLog(e))
		}
	}
	sort.SliceStable(v.Rows, func(i, j int) bool { return v.Rows[i].At.Before(v.Rows[j].At) })
	return render(c, http.StatusOK, views.QAApplication(v))
}

func portalEventDetail(e lending.Event) string {
	d := e.Detail
	if e.StatusFrom != "" || e.StatusTo != "" {
		if d != "" {
			d = " — " + d
		}
		d = e.StatusFrom + " → " + e.StatusTo + d
	}
	return d
}
