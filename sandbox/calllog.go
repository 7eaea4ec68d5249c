package sandbox

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"prequal/platform"
	"prequal/stage"
)

// Kinds of call-log entries.
const (
	LogToken           = "token"            // a token request and its outcome
	LogLeadSubmit      = "lead_submit"      // POST /personal/v1/leads, whatever the answer
	LogLeadPoll        = "lead_poll"        // GET /personal/v1/leads/{uuid}
	LogStatusChange    = "status_change"    // the lead moved to a new status
	LogCallbackAttempt = "callback_attempt" // one delivery attempt of a callback
	LogCallbackSkipped = "callback_skipped" // a callback that was deliberately not sent
	LogLenderVisit     = "lender_visit"     // a lenderOfferUrl was opened
	LogLenderOutcome   = "lender_outcome"   // QA played the lender's decision on the selected offer
	LogControls        = "controls"         // QA changed or reset the stage controls
)

const (
	maxLoggedErrorText = 300   // bytes of an error message kept in the log
	maskedPlaceholder  = "***" // what a fully masked value shows
	logLeadQueryParam  = "lead"
	logPartnerParam    = "partnerLeadId"
)

// LogEntry is one line of the sandbox's call log (the stage contract's type): what QA's "what happened" view
// shows for a lead. Borrower data in Request is masked (see maskLead); no entry
// ever holds a token, a secret, an SSN or a full date of birth.
type LogEntry = stage.LogEntry

// LeadSummary is one element of GET /leads.
type LeadSummary = stage.LeadSummary

// maskLead returns a copy of the lead safe for the call log: names become an
// initial, the email a***@domain, phone and SSN their last four digits, the date
// of birth its year, the street address is hidden.
func maskLead(req platform.LeadRequest) platform.LeadRequest {
	m := req
	m.Borrower.FirstName = initial(req.Borrower.FirstName)
	m.Borrower.LastName = initial(req.Borrower.LastName)
	m.Borrower.Email = maskEmail(req.Borrower.Email)
	m.Borrower.Phone = lastFour(req.Borrower.Phone)
	m.Borrower.SSN = lastFour(req.Borrower.SSN)
	if len(req.Borrower.DOB) >= 4 {
		m.Borrower.DOB = req.Borrower.DOB[:4]
	} else if req.Borrower.DOB != "" {
		m.Borrower.DOB = maskedPlaceholder
	}
	if req.Address.Street != "" {
		m.Address.Street = maskedPlaceholder
	}
	if co := req.CoApplicant; co != nil {
		mc := *co
		mc.FirstName, mc.LastName = initial(co.FirstName), initial(co.LastName)
		mc.Email, mc.SSN = maskEmail(co.Email), lastFour(co.SSN)
		if len(co.DOB) >= 4 {
			mc.DOB = co.DOB[:4]
		} else if co.DOB != "" {
			mc.DOB = maskedPlaceholder
		}
		m.CoApplicant = &mc
	}
	return m
}

func initial(name string) string {
	r, size := utf8.DecodeRuneInString(strings.TrimSpace(name))
	if size == 0 || r == utf8.RuneError {
		return ""
	}
	return string(r) + "."
}

func maskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		if email == "" {
			return ""
		}
		return maskedPlaceholder
	}
	first, size := utf8.DecodeRuneInString(email)
	if at == 0 || first == utf8.RuneError || size > at {
		return maskedPlaceholder + email[at:]
	}
	return string(first) + maskedPlaceholder + email[at:]
}

// lastFour keeps the last four characters of a value of digits, masking the rest.
func lastFour(v string) string {
	if v == "" {
		return ""
	}
	if len(v) <= 4 {
		return maskedPlaceholder
	}
	return strings.Repeat("*", len(v)-4) + v[len(v)-4:]
}

// truncate keeps error text short in the log.
func truncate(s string) string {
	if len(s) <= maxLoggedErrorText {
		return s
	}
	cut := maxLoggedErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// handleLog serves GET /log?lead={uuid} or ?partnerLeadId=….
func (s *Sandbox) handleLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	entries, err := s.st.logEntries(r.Context(), q.Get(logLeadQueryParam), q.Get(logPartnerParam))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, entries)
}

// handleListLeads serves GET /leads?partnerLeadId=…: which leads exist, so tests
// can prove that no lead was created twice.
func (s *Sandbox) handleListLeads(w http.ResponseWriter, r *http.Request) {
	leads, err := s.st.listLeads(r.Context(), r.URL.Query().Get(logPartnerParam))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := make([]LeadSummary, 0, len(leads))
	for _, l := range leads {
		if l.ClientID != clientFrom(r.Context()) {
			continue
		}
		out = append(out, LeadSummary{UUID: l.UUID, PartnerLeadID: l.PartnerLeadID, Status: l.Status,
			Scenario: l.Scenario, CreatedAt: l.CreatedAt})
	}
	writeJSON(w, http.StatusOK, out)
}
