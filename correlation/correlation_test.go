package correlation

import (
	"strings"
	"testing"
)

func TestUsable(t *testing.T) {
	for id, want := range map[string]bool{
		"":                      false,
		"abc1234":               false, // 7: too short
		"abc12345":              true,
		"partner-corr-42":       true,
		"A.b_c-D.9":             true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 65): false,
		"has space1":            false,
		"new\nline99":           false,
		"quote\"inside":         false,
		"semi;colon1":           false,
		"ünïcode-id":            false,
		"slash/not/ok":          false,
		"percent%20x":           false,
		"tab\there12":           false,
		"equals=sign":           false,
	} {
		if got := Usable(id); got != want {
			t.Errorf("Usable(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestNewIsUsableAndFresh(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := New()
		if len(id) != 24 || !Usable(id) || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("New() = %q: want 24 lower-case hex digits", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}
