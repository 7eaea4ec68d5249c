package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// The stage platform's QA endpoints: not part of the Platform API partners use,
// but the contract between the portal's QA pages and the stage platform, which the
// portal, like every other call, reaches only over HTTP.
const (
	StageControlsPath      = "/controls"
	StageControlsResetPath = "/controls/reset"
	StageLogPath           = "/log"
	StageLeadsPath         = "/leads"
	// Call kinds for CallRecord.Kind.
	KindStage = "stage"
)

// StageControls steer the stage platform at run time (durations in milliseconds).
type StageControls struct {
	StepDelayMs           int64 `json:"stepDelayMs"`
	FailDeliveries        int   `json:"failDeliveries"`
	CallbacksEnabled      bool  `json:"callbacksEnabled"`
	IntermediateCallbacks bool  `json:"intermediateCallbacks"`
}

// StageLogEntry is one line of the stage platform's call log for a lead. Borrower
// data in Request is masked by the platform.
type StageLogEntry struct {
	ID             int64           `json:"id"`
	Time           time.Time       `json:"time"`
	Kind           string          `json:"kind"`
	LeadUUID       string          `json:"leadUuid,omitempty"`
	PartnerLeadID  string          `json:"partnerLeadId,omitempty"`
	CorrelationID  string          `json:"correlationId,omitempty"`
	Outcome        string          `json:"outcome,omitempty"`
	ClientID       string          `json:"clientId,omitempty"`
	IdempotencyKey string          `json:"idempotencyKey,omitempty"`
	ResponseStatus int             `json:"responseStatus,omitempty"`
	Request        *LeadRequest    `json:"request,omitempty"`
	Response       json.RawMessage `json:"response,omitempty"`
	LeadStatus     string          `json:"leadStatus,omitempty"`
	FromStatus     string          `json:"fromStatus,omitempty"`
	WebhookID      string          `json:"webhookId,omitempty"`
	Attempt        int             `json:"attempt,omitempty"`
	BadSignature   bool            `json:"badSignature,omitempty"`
	Error          string          `json:"error,omitempty"`
	NextAttemptAt  *time.Time      `json:"nextAttemptAt,omitempty"`
	ProductID      string          `json:"productId,omitempty"`
	Scenario       string          `json:"scenario,omitempty"`
	Note           string          `json:"note,omitempty"`
	Controls       *StageControls  `json:"controls,omitempty"`
}

// StageLeadSummary is one lead as GET /leads lists it.
type StageLeadSummary struct {
	UUID          string    `json:"uuid"`
	PartnerLeadID string    `json:"partnerLeadId"`
	Status        string    `json:"status"`
	Scenario      string    `json:"scenario,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
}

// StageControls reads the stage platform's controls.
func (c *Client) StageControls(ctx context.Context) (StageControls, error) {
	var out StageControls
	return out, c.stageJSON(ctx, http.MethodGet, StageControlsPath, nil, &out)
}

// SetStageControls replaces the stage platform's controls and returns them.
func (c *Client) SetStageControls(ctx context.Context, in StageControls) (StageControls, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return StageControls{}, err
	}
	var out StageControls
	return out, c.stageJSON(ctx, http.MethodPost, StageControlsPath, body, &out)
}

// ResetStageControls puts the stage platform's controls back to their defaults.
func (c *Client) ResetStageControls(ctx context.Context) (StageControls, error) {
	var out StageControls
	return out, c.stageJSON(ctx, http.MethodPost, StageControlsResetPath, []byte("{}"), &out)
}

// StageLog returns the stage platform's call log for a partnerLeadId, in time order.
func (c *Client) StageLog(ctx context.Context, partnerLeadID string) ([]StageLogEntry, error) {
	var out []StageLogEntry
	return out, c.stageJSON(ctx, http.MethodGet, StageLogPath+"?partnerLeadId="+url.QueryEscape(partnerLeadID), nil, &out)
}

// StageLeads lists the leads the stage platform holds for a partnerLeadId.
func (c *Client) StageLeads(ctx context.Context, partnerLeadID string) ([]StageLeadSummary, error) {
	var out []StageLeadSummary
	return out, c.stageJSON(ctx, http.MethodGet, StageLeadsPath+"?partnerLeadId="+url.QueryEscape(partnerLeadID), nil, &out)
}

func (c *Client) stageJSON(ctx context.Context, method, path string, body []byte, out any) error {
	res, err := c.do(ctx, request{kind: KindStage, method: method, path: path, body: body})
	if err != nil {
		return fmt.Errorf("platform: stage %s %s: %w", method, path, err)
	}
	if res.status != http.StatusOK {
		return fmt.Errorf("platform: stage %s %s: %w", method, path, res.apiError())
	}
	if err := json.Unmarshal(res.body, out); err != nil {
		return fmt.Errorf("platform: stage %s %s: decode: %w", method, path, err)
	}
	return nil
}
