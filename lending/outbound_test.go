package lending

import "testing"

func TestOutboundURLAllowed(t *testing.T) {
	const stage = "http://127.0.0.1:8080/sandbox/lenders/"
	tests := []struct {
		url, prefix string
		want        bool
	}{
		{"https://lender.example/offer/1", "", true},
		{"http://lender.example/offer/1", "", false},
		{"javascript:alert(1)", stage, false},
		{"data:text/html,hi", stage, false},
		{"//evil.example/x", stage, false},
		{"/relative", stage, false},
		{"https://user:pw@lender.example/", "", false},
		{"http://127.0.0.1:8080/sandbox/lenders/acme/offers/p1", stage, true},
		{"http://127.0.0.1:8080/sandbox/lenders/acme/offers/p1", "", false},
		{"http://127.0.0.1:8080/sandbox/lenders/../../admin", stage, false},
		{"http://127.0.0.1:8080/sandbox/oauth2/token", stage, false},
		{"http://127.0.0.1:8080/sandbox/lenders.evil.example/", stage, false},
	}
	for _, tt := range tests {
		if got := OutboundURLAllowed(tt.url, tt.prefix); got != tt.want {
			t.Errorf("OutboundURLAllowed(%q, %q) = %v, want %v", tt.url, tt.prefix, got, tt.want)
		}
	}
}
