package lending

import (
	"strings"
	"testing"
)

func TestNextLenderOutcome(t *testing.T) {
	tests := []struct {
		from, to LenderOutcomeStatus
		want     bool
	}{
		{"", LenderApproved, true}, {"", LenderDeclined, true}, {"", LenderFunded, true}, {"", "", false},
		{LenderApproved, LenderFunded, true}, {LenderApproved, LenderDeclined, true}, {LenderApproved, LenderApproved, false},
		{LenderDeclined, LenderFunded, false}, {LenderFunded, LenderDeclined, false}, {LenderFunded, LenderApproved, false},
	}
	for _, tt := range tests {
		if got := NextLenderOutcome(tt.from, tt.to); got != tt.want {
			t.Errorf("%q → %q: %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
	if _, err := ParseLenderOutcomeStatus("repossessed"); err == nil {
		t.Error("an unknown outcome parsed")
	}
}

func TestCleanLenderOutcomeReasons(t *testing.T) {
	got := CleanLenderOutcomeReasons([]string{" a  b ", "", "bad\u202ereason", strings.Repeat("x", 300), "c", "d", "e"})
	if len(got) != MaxLenderOutcomeReasons || got[0] != "a b" || len([]rune(got[1])) != MaxLenderOutcomeReasonLength || got[3] != "d" {
		t.Errorf("cleaned %q", got)
	}
}
