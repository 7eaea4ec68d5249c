package stage

import (
	"encoding/json"
	"testing"
)

// The QA view reads a logged submission's amount and masked borrower out of
// the lead request the stage platform logged, whatever else the request holds.
func TestLogEntrySubmittedLead(t *testing.T) {
	line := `{"id":7,"kind":"lead_submit","request":{"partnerLeadId":"p-1","requestedLoanAmount":15000,
		"borrower":{"firstName":"K.","lastName":"O.","email":"k***@example.com","ssn":"*****1011"},
		"address":{"street":"***","city":"Philadelphia"}}}`
	var e LogEntry
	if err := json.Unmarshal([]byte(line), &e); err != nil {
		t.Fatal(err)
	}
	l, ok := e.SubmittedLead()
	if !ok || l.RequestedLoanAmount != 15000 || l.Borrower.FirstName != "K." || l.Borrower.LastName != "O." ||
		l.Borrower.Email != "k***@example.com" {
		t.Errorf("SubmittedLead() = %+v, %t", l, ok)
	}
	for _, e := range []LogEntry{{Kind: "lead_submit"}, {Kind: "lead_submit", Request: json.RawMessage(`"not a lead"`)}} {
		if _, ok := e.SubmittedLead(); ok {
			t.Errorf("a submitted lead read from request %s", e.Request)
		}
	}
}
