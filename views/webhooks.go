package views

import (
	"fmt"
	"strings"
	"time"

	"prequal/store"
)

// WebhooksSection is the dashboard's webhook endpoints section: the partner's
// endpoints and the form that adds one.
type WebhooksSection struct {
	Endpoints  []store.WebhookEndpoint
	EventTypes []string // the types an endpoint may subscribe to
	Production bool
	Form       WebhookEndpointForm
	// Revealed is a new endpoint's secret, shown in this response only.
	Revealed *RevealedWebhookSecret
}

// WebhookEndpointForm is the add-an-endpoint form, kept on an error.
type WebhookEndpointForm struct {
	URL    string
	Types  map[string]bool
	Error  string
	Active bool // the partner may add endpoints
}

// RevealedWebhookSecret is a signing secret shown once.
type RevealedWebhookSecret struct {
	EndpointID string
	Secret     string
	Rotated    bool
	OldUntil   time.Time
}

// WebhookEndpointView is one endpoint's page: its deliveries and actions, for
// its partner (/developers) or an admin (/admin, read only).
type WebhookEndpointView struct {
	DeveloperPage DeveloperPage
	AdminPage     AdminPage
	Admin         bool
	PartnerName   string
	Endpoint      store.WebhookEndpoint
	Deliveries    []store.WebhookDelivery
	Revealed      *RevealedWebhookSecret
	Flash         string
	Error         string
	Now           time.Time
}

// AdminWebhooksView lists every partner's endpoints for admins.
type AdminWebhooksView struct {
	AdminPage
	Endpoints    []store.WebhookEndpoint
	PartnerNames map[string]string
}

func eventTypesText(types []string) string { return strings.Join(types, ", ") }

func endpointStatus(e store.WebhookEndpoint) string {
	if e.Failing() {
		return "failing"
	}
	return "healthy"
}

func endpointStatusText(e store.WebhookEndpoint) string {
	if e.Failing() {
		return "Failing since " + adminTime(e.FailingSince)
	}
	return "Healthy"
}

func deliveryStatusText(d store.WebhookDelivery) string {
	switch d.Status {
	case store.DeliveryDelivered:
		return "Delivered"
	case store.DeliveryFailed:
		return "Failed"
	}
	if d.LastAttemptAt.IsZero() {
		return "Queued"
	}
	return "Retrying"
}

func statusCodeText(n int) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

func latencyText(d store.WebhookDelivery) string {
	if d.LastAttemptAt.IsZero() {
		return "—"
	}
	return fmt.Sprintf("%d ms", d.Latency.Milliseconds())
}
