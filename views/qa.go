package views

import (
	"fmt"
	"strings"
	"time"

	"prequal/lending"
	"prequal/stage"
)

// QAView is the /qa page: the scenario catalogue and the stage controls.
type QAView struct {
	Page
	Scenarios          []stage.Scenario
	Controls           stage.Controls
	ControlsError      string
	LeadTimeout        time.Duration
	DefaultLeadTimeout time.Duration
	Errors             map[string]string
	Saved              bool
}

// QAApplicationView is the QA "what happened" page of one application.
type QAApplicationView struct {
	Page
	App      lending.Application
	Rows     []QARow
	LogError string
}

// QARow is one thing that happened, on the portal's side or the platform's.
type QARow struct {
	At        time.Time
	Side      string // portal | platform
	Kind      string
	Status    string
	Detail    string
	Failed    bool // a failed attempt (bad signature, non-2xx, error)
	HTTPCode  int
	Signature string // for callback attempts: "valid" or "deliberately invalid"
}

// QARowFromStageLog turns a stage platform log entry into a row.
func QARowFromStageLog(e stage.LogEntry) QARow {
	r := QARow{At: e.Time, Side: "platform", Kind: e.Kind, Status: e.LeadStatus, HTTPCode: e.ResponseStatus}
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if e.Outcome != "" {
		add("%s", e.Outcome)
	}
	switch e.Kind {
	case "callback_attempt":
		r.Signature = "valid"
		if e.BadSignature {
			r.Signature = "deliberately invalid"
		}
		add("attempt %d, webhook %s, signature %s", e.Attempt, e.WebhookID, r.Signature)
		r.Failed = e.BadSignature || e.Error != "" || e.ResponseStatus < 200 || e.ResponseStatus > 299
	case "lead_submit":
		add("idempotency key %s", e.IdempotencyKey)
		if l, ok := e.SubmittedLead(); ok {
			add("borrower %s %s, %s, $%d", l.Borrower.FirstName, l.Borrower.LastName, l.Borrower.Email, l.RequestedLoanAmount)
		}
	case "status_change":
		add("%s → %s", e.FromStatus, e.LeadStatus)
	case "lender_visit":
		add("product %s", e.ProductID)
	}
	if e.Error != "" {
		add("error: %s", e.Error)
	}
	if e.Note != "" {
		add("%s", e.Note)
	}
	r.Detail = strings.Join(parts, "; ")
	return r
}

func seconds(d time.Duration) string { return fmt.Sprint(int64(d / time.Second)) }

func checkedIf(b bool) bool { return b }

func qaApplyURL(id string) string { return "/apply?scenario=" + id }

func rowClass(r QARow) string {
	if r.Failed {
		return "failed"
	}
	return ""
}

func httpCode(n int) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

func formatTime(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// QAMailView is the /qa/mail list.
type QAMailView struct {
	Page
	Catching bool   // the portal catches its own mail (stage, no PORTAL_SMTP_URL)
	Relay    string // where the portal sends mail
	Refusing bool
	Saved    bool
	Messages []QAMail
	Error    string
}

// QAMail is one caught email for QA's eyes.
type QAMail struct {
	ID       string
	CaughtAt time.Time
	To       string
	Subject  string
	Headers  [][2]string // in order
	Text     string
	HasHTML  bool
	Links    []string
}

// QAMailMessageView is one caught email's page.
type QAMailMessageView struct {
	Page
	Msg QAMail
}
