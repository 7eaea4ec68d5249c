package lending

import (
	"errors"
	"testing"
)

var allLeadStatuses = []LeadStatus{
	LeadCreated, LeadInProgress, LeadFindingProducts,
	LeadOffersFound, LeadNoOffers, LeadTimedOut, LeadProductSelected,
}

func TestParseLeadStatus(t *testing.T) {
	for _, s := range allLeadStatuses {
		got, err := ParseLeadStatus(string(s))
		if err != nil || got != s {
			t.Errorf("ParseLeadStatus(%q) = %q, %v; want %q, nil", s, got, err, s)
		}
	}
	for _, bad := range []string{"", "OFFERS_FOUND", "offers found", " created", "selected"} {
		if _, err := ParseLeadStatus(bad); !errors.Is(err, ErrUnknownLeadStatus) {
			t.Errorf("ParseLeadStatus(%q) error = %v, want ErrUnknownLeadStatus", bad, err)
		}
	}
}

func TestLeadStatusTerminalAndPending(t *testing.T) {
	tests := []struct {
		s                 LeadStatus
		terminal, pending bool
	}{
		{LeadCreated, false, true},
		{LeadInProgress, false, true},
		{LeadFindingProducts, false, true},
		{LeadOffersFound, true, false},
		{LeadNoOffers, true, false},
		{LeadTimedOut, true, false},
		{LeadProductSelected, true, false},
		{"", false, false},
		{"bogus", false, false},
	}
	for _, tt := range tests {
		if got := tt.s.Terminal(); got != tt.terminal {
			t.Errorf("%q.Terminal() = %v, want %v", tt.s, got, tt.terminal)
		}
		if got := tt.s.Pending(); got != tt.pending {
			t.Errorf("%q.Pending() = %v, want %v", tt.s, got, tt.pending)
		}
	}
}

// TestNextLeadStatusTable spells out all 7×7 pairs. Each row is the current status;
// its columns follow allLeadStatuses. "=" keeps the current status (changed=false),
// "→" takes the incoming one (changed=true).
func TestNextLeadStatusTable(t *testing.T) {
	const keep, take = "=", "→"
	table := map[LeadStatus][7]string{
		//                     created in_prog finding offers no_off timed  selected
		LeadCreated:         {keep, take, take, take, take, take, keep},
		LeadInProgress:      {keep, keep, take, take, take, take, keep},
		LeadFindingProducts: {keep, keep, keep, take, take, take, keep},
		LeadOffersFound:     {keep, keep, keep, keep, keep, keep, take},
		LeadNoOffers:        {keep, keep, keep, keep, keep, keep, keep},
		LeadTimedOut:        {keep, keep, keep, take, take, keep, take},
		LeadProductSelected: {keep, keep, keep, keep, keep, keep, keep},
	}
	if len(table) != len(allLeadStatuses) {
		t.Fatalf("table has %d rows, want %d", len(table), len(allLeadStatuses))
	}
	for _, cur := range allLeadStatuses {
		for j, in := range allLeadStatuses {
			t.Run(string(cur)+"+"+string(in), func(t *testing.T) {
				wantNext, wantChanged := cur, false
				if table[cur][j] == take {
					wantNext, wantChanged = in, true
				}
				next, changed := NextLeadStatus(cur, in)
				if next != wantNext || changed != wantChanged {
					t.Errorf("NextLeadStatus(%q, %q) = %q, %v; want %q, %v", cur, in, next, changed, wantNext, wantChanged)
				}
			})
		}
	}
}

func TestNextLeadStatusEdgeValues(t *testing.T) {
	tests := []struct {
		name              string
		current, incoming LeadStatus
		next              LeadStatus
		changed           bool
	}{
		{"nothing recorded takes created", "", LeadCreated, LeadCreated, true},
		{"nothing recorded takes a terminal answer", "", LeadNoOffers, LeadNoOffers, true},
		{"nothing recorded refuses a selection", "", LeadProductSelected, "", false},
		{"unknown incoming ignored", LeadCreated, "approved", LeadCreated, false},
		{"empty incoming ignored", LeadInProgress, "", LeadInProgress, false},
		{"unknown current left alone", "bogus", LeadOffersFound, "bogus", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, changed := NextLeadStatus(tt.current, tt.incoming)
			if next != tt.next || changed != tt.changed {
				t.Errorf("NextLeadStatus(%q, %q) = %q, %v; want %q, %v", tt.current, tt.incoming, next, changed, tt.next, tt.changed)
			}
		})
	}
}

// A replayed, shuffled callback stream ends where the in-order stream ends.
func TestNextLeadStatusOutOfOrderStream(t *testing.T) {
	stream := []LeadStatus{LeadCreated, LeadFindingProducts, LeadOffersFound, LeadInProgress, LeadFindingProducts, LeadOffersFound, LeadNoOffers, LeadTimedOut}
	cur := LeadStatus("")
	var events int
	for _, in := range stream {
		var changed bool
		cur, changed = NextLeadStatus(cur, in)
		if changed {
			events++
		}
	}
	if cur != LeadOffersFound || events != 3 {
		t.Errorf("after stream: %q with %d changes, want offers_found with 3", cur, events)
	}
}

func TestCanRetry(t *testing.T) {
	for _, s := range allLeadStatuses {
		if got, want := CanRetry(s), s == LeadTimedOut; got != want {
			t.Errorf("CanRetry(%q) = %v, want %v", s, got, want)
		}
	}
}
