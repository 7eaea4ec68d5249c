// Package webhooks delivers the partner-event outbox to partners' endpoints:
// Standard Webhooks signing, a worker of its own with retries and backoff,
// replay, an SSRF guard, and a local receiver for developers.
package webhooks

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"prequal/platform"
	"prequal/store"
)

// Body is what every delivery of an event carries: the event's stored fields
// around its stored payload (data), so every attempt and replay of an event
// sends the same bytes.
type Body struct {
	ID             string          `json:"id"` // also the webhook-id header
	Type           string          `json:"type"`
	Timestamp      time.Time       `json:"timestamp"` // when the event occurred
	ApplicationID  string          `json:"applicationId,omitempty"`
	Sequence       int64           `json:"sequence"` // per application, from 1; 0 for an event about no application
	PayloadVersion int             `json:"payloadVersion"`
	Data           json.RawMessage `json:"data"`
}

// EncodeBody is the delivery body of e.
func EncodeBody(e store.PartnerEvent) ([]byte, error) {
	return json.Marshal(Body{ID: e.ID, Type: e.Type, Timestamp: e.OccurredAt.UTC(), ApplicationID: e.ApplicationID,
		Sequence: e.Sequence, PayloadVersion: e.PayloadVersion, Data: e.Payload})
}

// NewSecret returns a fresh whsec_ signing secret.
func NewSecret() string { return string(platform.NewWebhookSecret()) }

// SetHeaders sets the Standard Webhooks headers of one attempt: webhook-id
// (the event's id, the same on every attempt), webhook-timestamp (the
// attempt's time) and webhook-signature with one "v1,…" entry per secret.
func SetHeaders(h http.Header, secrets []string, id string, at time.Time, body []byte) error {
	var sigs []string
	for _, s := range secrets {
		sig, err := platform.Sign(platform.WebhookSecret(s), id, at, body)
		if err != nil {
			return err
		}
		sigs = append(sigs, sig)
	}
	if err := platform.SetSignedHeaders(h, platform.WebhookSecret(secrets[0]), id, at, body); err != nil {
		return err
	}
	h.Set(platform.HeaderWebhookSignature, strings.Join(sigs, " "))
	return nil
}
