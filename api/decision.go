package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"prequal/decision"
	"prequal/lending"
	"prequal/store"
)

// The Credit Decision API (seed 002) answers partners' systems in JSON, for
// keys with the decision scope (and seed 002's demo key outside production).
const (
	// apiTimeLayout is the seed's createdAt format: UTC with milliseconds.
	apiTimeLayout = "2006-01-02T15:04:05.000Z"
)

// PricePerCall is what one billed call costs (seed 002, "pricing"); the admin
// pages bill usage at this price.
const PricePerCall lending.Cents = 5

// KeyFinder finds the active key of a secret (store.ErrNotFound if none).
type KeyFinder interface {
	APIKeyBySecret(ctx context.Context, secret string) (store.APIKey, error)
}

// UsageReader reads a key's billed calls.
type UsageReader interface {
	APIKeyUsage(ctx context.Context, id string) (store.APIUsage, error)
}

// UsageRecorder records a billed call, returning once it is committed (to the
// WAL: a crash of the portal cannot lose it; see store.RecordAPICalls).
type UsageRecorder interface {
	Record(ctx context.Context, keyID string) error
}

// decisionResponse is POST /api/v1/decision's 200 body, fields in the seed's order.
type decisionResponse struct {
	Success bool            `json:"success"`
	Payload decisionPayload `json:"payload"`
}

type decisionPayload struct {
	Applicant decision.Applicant `json:"applicant"`
	Decision  decision.Decision  `json:"decision"`
	Pricing   apiPricing         `json:"pricing"`
}

type apiPricing struct {
	PerCall     float64 `json:"perCall"`
	Currency    string  `json:"currency"`
	Description string  `json:"description"`
}

// scoreResponse is POST /api/v1/score's 200 body.
type scoreResponse struct {
	Success bool              `json:"success"`
	Result  decision.Decision `json:"result"`
}

// usageResponse is GET /api/v1/usage's 200 body.
type usageResponse struct {
	Success bool      `json:"success"`
	Usage   usageBody `json:"usage"`
}

type usageBody struct {
	TenantID       string `json:"tenantId"`
	Calls          int64  `json:"calls"`
	CallsThisMonth int64  `json:"callsThisMonth"`
	CreatedAt      string `json:"createdAt"`
}

// validationResponse is the seed's 400 body.
type validationResponse struct {
	Error *validationProblem `json:"error"`
}

func newDecisionResponse(a decision.Applicant, d decision.Decision) decisionResponse {
	return decisionResponse{Success: true, Payload: decisionPayload{
		Applicant: a,
		Decision:  d,
		Pricing:   apiPricing{PerCall: PricePerCall.Dollars(), Currency: "USD", Description: "Usage-based credit decision call"},
	}}
}

// decision is POST /api/v1/decision: the full decision, billed.
func (a *API) decision(c echo.Context) error {
	if PrincipalOf(c).Demo {
		return writeJSON(c, http.StatusOK, a.demo.decision)
	}
	app, d, ok, err := a.evaluate(c)
	if !ok || err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, newDecisionResponse(app, d))
}

// score is POST /api/v1/score: the score and factors, billed.
func (a *API) score(c echo.Context) error {
	if PrincipalOf(c).Demo {
		return writeJSON(c, http.StatusOK, a.demo.score)
	}
	_, d, ok, err := a.evaluate(c)
	if !ok || err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, scoreResponse{Success: true, Result: d})
}

// evaluate reads and validates the applicant, decides, and records the billed
// call before anything is answered: a 200 is only ever sent for a call that is
// committed to the bill. When ok is false the 400 has been written (or err is set).
func (a *API) evaluate(c echo.Context) (decision.Applicant, decision.Decision, bool, error) {
	buf := bodyBuffers.Get().(*[]byte)
	body, problem, err := readAPIBodyTo(c, (*buf)[:0])
	if err != nil {
		bodyBuffers.Put(buf)
		return decision.Applicant{}, decision.Decision{}, false, err
	}
	var app decision.Applicant
	if problem == nil {
		app, problem = decodeApplicant(body) // copies what it keeps
	}
	*buf = body
	bodyBuffers.Put(buf)
	if problem != nil {
		return decision.Applicant{}, decision.Decision{}, false, a.invalid(c, problem)
	}
	d := decision.Evaluate(app)
	if err := a.usage.Record(c.Request().Context(), PrincipalOf(c).KeyID); err != nil {
		return decision.Applicant{}, decision.Decision{}, false, fmt.Errorf("api: record usage: %w", err)
	}
	return app, d, true, nil
}

// invalid answers the seed's 400 and logs which fields failed (names only:
// values may be personal data).
func (a *API) invalid(c echo.Context, p *validationProblem) error {
	fields := make([]string, 0, len(p.FieldErrors))
	for f := range p.FieldErrors {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	a.log.LogAttrs(c.Request().Context(), slog.LevelWarn, "api request invalid",
		slog.String("route", c.Path()), slog.Any("fields", fields), slog.Int("form_errors", len(p.FormErrors)))
	return c.JSON(http.StatusBadRequest, validationResponse{Error: p})
}

// usageStats is GET /api/v1/usage: the authenticated key's billed calls. It is
// not billed itself.
func (a *API) usageStats(c echo.Context) error {
	p := PrincipalOf(c)
	if p.Demo {
		return c.JSON(http.StatusOK, a.demo.usage)
	}
	u, err := a.stats.APIKeyUsage(c.Request().Context(), p.KeyID)
	if err != nil {
		return fmt.Errorf("api: usage: %w", err)
	}
	return c.JSON(http.StatusOK, usageResponse{Success: true, Usage: usageBody{
		TenantID:       p.PartnerID,
		Calls:          u.Calls,
		CallsThisMonth: u.CallsThisMonth,
		CreatedAt:      p.KeyCreatedAt.UTC().Format(apiTimeLayout),
	}})
}

// demoApplicant is the seed's sample applicant. The demo key's answers are its
// decision, computed by the engine (not copied from the seed) once at start-up,
// so they can never drift from what a real key gets for the same body.
func demoApplicant() decision.Applicant {
	years, lines := 5, 1
	return decision.Applicant{Age: 30, Income: 65000, ExistingDebt: 4500, RequestedAmount: 12000, YearsAtJob: &years, OpenCreditLines: &lines}
}

// demoResponses are the demo key's canned answers.
type demoResponses struct {
	decision decisionResponse
	score    scoreResponse
	usage    usageResponse
}

func newDemoResponses() demoResponses {
	app := demoApplicant()
	d := decision.Evaluate(app)
	return demoResponses{
		decision: newDecisionResponse(app, d),
		score:    scoreResponse{Success: true, Result: d},
		// The seed's sample usage: the demo key has no tenant or bill of its own.
		usage: usageResponse{Success: true, Usage: usageBody{
			TenantID: "abc123", Calls: 142, CallsThisMonth: 38, CreatedAt: "2026-01-15T09:00:00.000Z",
		}},
	}
}
