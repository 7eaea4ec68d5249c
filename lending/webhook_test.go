package lending

import (
	"testing"
	"time"
)

func TestWebhookRetryScheduleSpansADayAndMore(t *testing.T) {
	var total time.Duration
	prev := time.Duration(0)
	for attempt := 1; ; attempt++ {
		d, ok := WebhookRetryAfter(attempt, 0)
		if !ok {
			if attempt != WebhookMaxAttempts {
				t.Fatalf("the schedule ends after attempt %d, want %d", attempt, WebhookMaxAttempts)
			}
			break
		}
		if d < prev || d > 12*time.Hour {
			t.Errorf("wait after attempt %d = %v: not growing, or above the 12 h cap", attempt, d)
		}
		if j, _ := WebhookRetryAfter(attempt, 0.999); j < d || j > d+d/4 {
			t.Errorf("jitter stretched %v to %v, want at most +25 %%", d, j)
		}
		prev, total = d, total+d
	}
	if total < 24*time.Hour {
		t.Errorf("the schedule spans %v, want at least 24 h", total)
	}
	if total != 33*time.Hour+6*time.Minute+30*time.Second {
		t.Errorf("the schedule spans %v; README documents 33h6m30s", total)
	}
}

func TestWebhookEventTypes(t *testing.T) {
	if !WebhookWants([]string{"creditApplication.*"}, EventCreditApplicationDenied) || WebhookWants([]string{"creditApplication.*"}, EventJourneySnapshot) {
		t.Error("a family wildcard matches the wrong types")
	}
	if WebhookWants([]string{EventJourneySnapshot}, EventWebhookTest) {
		t.Error("the test event is subscribed to")
	}
	got, err := ValidateWebhookEventTypes([]string{EventJourneySnapshot, EventJourneySnapshot, "creditApplication.*"})
	if err != nil || len(got) != 2 {
		t.Errorf("ValidateWebhookEventTypes = %v, %v", got, err)
	}
	for _, bad := range [][]string{nil, {"journey.*x"}, {"nothing.*"}, {EventWebhookTest}} {
		if _, err := ValidateWebhookEventTypes(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestParseWebhookURL(t *testing.T) {
	for _, c := range []struct {
		url        string
		production bool
		ok         bool
	}{
		{"https://hooks.example.com/in", true, true},
		{"http://hooks.example.com/in", true, false},
		{"http://127.0.0.1:9000/in", true, false},
		{"http://127.0.0.1:9000/in", false, true},
		{"http://localhost:9000/in", false, true},
		{"http://[::1]:9000/in", false, true},
		{"http://hooks.example.com/in", false, false},
		{"https://u:p@hooks.example.com/", false, false},
		{"https://hooks.example.com/#x", false, false},
		{"ftp://hooks.example.com/", false, false},
		{"hooks.example.com/in", false, false},
	} {
		if _, err := ParseWebhookURL(c.url, c.production); (err == nil) != c.ok {
			t.Errorf("ParseWebhookURL(%q, production=%v) = %v, want ok=%v", c.url, c.production, err, c.ok)
		}
	}
}
