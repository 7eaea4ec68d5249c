package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"prequal/stage"
)

// KindStage is the CallRecord.Kind of a call to the stage platform's QA
// endpoints, whose contract is package stage's.
const KindStage = "stage"

// StageControls reads the stage platform's controls.
func (c *Client) StageControls(ctx context.Context) (stage.Controls, error) {
	var out stage.Controls
	return out, c.stageJSON(ctx, http.MethodGet, stage.ControlsPath, nil, &out)
}

// SetStageControls replaces the stage platform's controls and returns them.
func (c *Client) SetStageControls(ctx context.Context, in stage.Controls) (stage.Controls, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return stage.Controls{}, err
	}
	var out stage.Controls
	return out, c.stageJSON(ctx, http.MethodPost, stage.ControlsPath, body, &out)
}

// ResetStageControls puts the stage platform's controls back to their defaults.
func (c *Client) ResetStageControls(ctx context.Context) (stage.Controls, error) {
	var out stage.Controls
	return out, c.stageJSON(ctx, http.MethodPost, stage.ControlsResetPath, []byte("{}"), &out)
}

// StageLog returns the stage platform's call log for a partnerLeadId, in time order.
func (c *Client) StageLog(ctx context.Context, partnerLeadID string) ([]stage.LogEntry, error) {
	var out []stage.LogEntry
	return out, c.stageJSON(ctx, http.MethodGet, stage.LogPath+"?partnerLeadId="+url.QueryEscape(partnerLeadID), nil, &out)
}

// StageLeads lists the leads the stage platform holds for a partnerLeadId.
func (c *Client) StageLeads(ctx context.Context, partnerLeadID string) ([]stage.LeadSummary, error) {
	var out []stage.LeadSummary
	return out, c.stageJSON(ctx, http.MethodGet, stage.LeadsPath+"?partnerLeadId="+url.QueryEscape(partnerLeadID), nil, &out)
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
