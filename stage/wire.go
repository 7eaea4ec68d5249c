// Package stage is what QA and the stage platform agree on: the scenario table
// (scenarios.go) and the wire contract of the stage platform's QA endpoints
// (wire.go). The portal (its QA pages, through platform.Client) and the stage
// platform (package sandbox) both speak it; it imports only lending, so the
// views can show it without importing the production platform client.
package stage

import (
	"encoding/json"
	"time"
)

// The stage platform's QA endpoints: not part of the Platform API partners use,
// but the contract between the portal's QA pages and the stage platform, which the
// portal, like every other call, reaches only over HTTP.
const (
	ControlsPath      = "/controls"
	ControlsResetPath = "/controls/reset"
	LogPath           = "/log"
	LeadsPath         = "/leads"
)

// Controls steer the stage platform at run time (durations in milliseconds).
type Controls struct {
	StepDelayMs           int64 `json:"stepDelayMs"`
	FailDeliveries        int   `json:"failDeliveries"`
	CallbacksEnabled      bool  `json:"callbacksEnabled"`
	IntermediateCallbacks bool  `json:"intermediateCallbacks"`
}

// LogEntry is one line of the stage platform's call log for a lead. Request is
// the lead submitted (the Platform API's lead request, borrower data masked by
// the stage platform) and Response the answer, both as JSON.
type LogEntry struct {
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
	Request        json.RawMessage `json:"request,omitempty"`
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
	Controls       *Controls       `json:"controls,omitempty"`
}

// SubmittedLead is what QA's "what happened" view shows of a logged lead
// submission: the amount and the borrower as the stage platform masked them.
type SubmittedLead struct {
	RequestedLoanAmount int64 `json:"requestedLoanAmount"`
	Borrower            struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
		Email     string `json:"email"`
	} `json:"borrower"`
}

// SubmittedLead reads the entry's Request (false when it has none, or none
// that parses).
func (e LogEntry) SubmittedLead() (SubmittedLead, bool) {
	var l SubmittedLead
	if len(e.Request) == 0 || json.Unmarshal(e.Request, &l) != nil {
		return SubmittedLead{}, false
	}
	return l, true
}

// LeadSummary is one lead as GET /leads lists it.
type LeadSummary struct {
	UUID          string    `json:"uuid"`
	PartnerLeadID string    `json:"partnerLeadId"`
	Status        string    `json:"status"`
	Scenario      string    `json:"scenario,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
}
