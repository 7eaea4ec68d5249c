package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"prequal/platform"
	"prequal/stage"
)

func TestLeadValidation(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	tests := []struct {
		name   string
		change func(*platform.LeadRequest)
		field  string
	}{
		{"partner lead id missing", func(l *platform.LeadRequest) { l.PartnerLeadID = "" }, "partnerLeadId"},
		{"amount too small", func(l *platform.LeadRequest) { l.RequestedLoanAmount = 999 }, "requestedLoanAmount"},
		{"amount too large", func(l *platform.LeadRequest) { l.RequestedLoanAmount = 100_001 }, "requestedLoanAmount"},
		{"unknown purpose", func(l *platform.LeadRequest) { l.LoanPurpose = "yacht" }, "loanPurpose"},
		{"unknown rating", func(l *platform.LeadRequest) { l.CreditRating = "superb" }, "creditRating"},
		{"first name digits", func(l *platform.LeadRequest) { l.Borrower.FirstName = "R2D2" }, "borrower.firstName"},
		{"last name too long", func(l *platform.LeadRequest) { l.Borrower.LastName = strings.Repeat("a", 51) }, "borrower.lastName"},
		{"email without domain", func(l *platform.LeadRequest) { l.Borrower.Email = "alex@" }, "borrower.email"},
		{"email with display name", func(l *platform.LeadRequest) { l.Borrower.Email = "Alex <alex@example.com>" }, "borrower.email"},
		{"phone with dashes", func(l *platform.LeadRequest) { l.Borrower.Phone = "202-555-0143" }, "borrower.phone"},
		{"phone area code 1", func(l *platform.LeadRequest) { l.Borrower.Phone = "1025550143" }, "borrower.phone"},
		{"dob format", func(l *platform.LeadRequest) { l.Borrower.DOB = "03/14/1984" }, "borrower.dob"},
		{"too young", func(l *platform.LeadRequest) { l.Borrower.DOB = time.Now().AddDate(-17, 0, 0).Format(time.DateOnly) }, "borrower.dob"},
		{"ssn with dashes", func(l *platform.LeadRequest) { l.Borrower.SSN = "512-44-1011" }, "borrower.ssn"},
		{"ssn area 666", func(l *platform.LeadRequest) { l.Borrower.SSN = "666441011" }, "borrower.ssn"},
		{"ssn serial 0000", func(l *platform.LeadRequest) { l.Borrower.SSN = "512440000" }, "borrower.ssn"},
		{"street missing", func(l *platform.LeadRequest) { l.Address.Street = "" }, "address.street"},
		{"unit too long", func(l *platform.LeadRequest) { l.Address.Unit = strings.Repeat("9", 21) }, "address.unit"},
		{"state unknown", func(l *platform.LeadRequest) { l.Address.State = "XX" }, "address.state"},
		{"zip short", func(l *platform.LeadRequest) { l.Address.Zipcode = "1234" }, "address.zipcode"},
		{"employment unknown", func(l *platform.LeadRequest) { l.Employment.Status = "astronaut" }, "employment.status"},
		{"income negative", func(l *platform.LeadRequest) { l.Employment.IncomeYearly = -1 }, "employment.incomeYearly"},
		{"housing unknown", func(l *platform.LeadRequest) { l.Housing.Type = "castle" }, "housing.type"},
		{"housing payment too large", func(l *platform.LeadRequest) { l.Housing.MonthlyPayment = 100_001 }, "housing.monthlyPayment"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lead := plainLead(t, "val-"+strings.ReplaceAll(tc.name, " ", "-"))
			tc.change(&lead)
			status, _, body := h.submit(tok, "val-"+strings.ReplaceAll(tc.name, " ", "-"), lead)
			if status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400: %s", status, body)
			}
			var e platform.ErrorBody
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			if e.Error != "validation failed" || len(e.FieldErrors[tc.field]) == 0 {
				t.Fatalf("want a field error on %s, got %+v", tc.field, e)
			}
			if len(e.FieldErrors) != 1 {
				t.Errorf("only %s is wrong, got errors on %v", tc.field, e.FieldErrors)
			}
		})
	}

	t.Run("every scenario form is valid", func(t *testing.T) {
		for _, sc := range stage.Scenarios() {
			if fe := validateLead(leadFromForm(t, sc.Form, "p-"+sc.ID), time.Now()); len(fe) > 0 {
				t.Errorf("%s: %v", sc.ID, fe)
			}
		}
	})

	raw := func(t *testing.T, body string) (int, platform.ErrorBody) {
		status, _, b := h.do(http.MethodPost, "/personal/v1/leads", tok, map[string]string{"Idempotency-Key": "raw-" + t.Name()}, []byte(body))
		var e platform.ErrorBody
		_ = json.Unmarshal(b, &e)
		return status, e
	}
	valid, _ := json.Marshal(plainLead(t, "raw"))
	t.Run("unknown field", func(t *testing.T) {
		body := strings.Replace(string(valid), `{`, `{"favouriteColour":"blue",`, 1)
		if status, e := raw(t, body); status != 400 || !strings.Contains(e.Error, "favouriteColour") {
			t.Fatalf("%d %+v", status, e)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		body := strings.Replace(string(valid), `"requestedLoanAmount":15000`, `"requestedLoanAmount":"15000"`, 1)
		if status, e := raw(t, body); status != 400 || len(e.FieldErrors["requestedLoanAmount"]) == 0 {
			t.Fatalf("%d %+v", status, e)
		}
	})
	t.Run("trailing data", func(t *testing.T) {
		if status, _ := raw(t, string(valid)+`{}`); status != 400 {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("not an object", func(t *testing.T) {
		if status, _ := raw(t, `[]`); status != 400 {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("too large", func(t *testing.T) {
		body := strings.Replace(string(valid), `"city":"`, `"city":"`+strings.Repeat("x", maxLeadBodyBytes), 1)
		if status, _ := raw(t, body); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", status)
		}
	})
	if n := len(leadsOf(t, h, tok, "")); n != 0 {
		t.Errorf("%d leads created by invalid submits", n)
	}
}

func TestIdempotency(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	lead := plainLead(t, "idem-1")

	status, hdr, body := h.submit(tok, "idem-key", lead)
	if status != http.StatusCreated {
		t.Fatalf("first submit: %d %s", status, body)
	}
	var first platform.LeadCreated
	if err := json.Unmarshal(body, &first); err != nil {
		t.Fatal(err)
	}
	if first.UUID == "" || first.Status != platform.StatusCreated || first.PartnerLeadID != "idem-1" {
		t.Fatalf("created = %+v", first)
	}
	if got := hdr.Get("X-Correlation-ID"); got != "corr-idem-key" {
		t.Errorf("X-Correlation-ID echoed as %q", got)
	}

	t.Run("same key, same body: same lead", func(t *testing.T) {
		status, hdr, body := h.submit(tok, "idem-key", lead)
		var again platform.LeadCreated
		_ = json.Unmarshal(body, &again)
		if status != http.StatusCreated || again.UUID != first.UUID {
			t.Fatalf("replay: %d %+v, want 201 with uuid %s", status, again, first.UUID)
		}
		if hdr.Get("Idempotent-Replayed") != "true" {
			t.Error("replay is not marked Idempotent-Replayed")
		}
	})
	t.Run("same key, different body: 422", func(t *testing.T) {
		other := lead
		other.RequestedLoanAmount = 16000
		if status, _, body := h.submit(tok, "idem-key", other); status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	t.Run("missing key: 400", func(t *testing.T) {
		b, _ := json.Marshal(lead)
		if status, _, body := h.do(http.MethodPost, "/personal/v1/leads", tok, nil, b); status != http.StatusBadRequest {
			t.Fatalf("status %d: %s", status, body)
		}
	})
	t.Run("parallel replays create one lead", func(t *testing.T) {
		l := plainLead(t, "idem-parallel")
		uuids := make(chan string, 8)
		for range 8 {
			go func() {
				b, _ := json.Marshal(l)
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/personal/v1/leads", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Idempotency-Key", "idem-parallel")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					uuids <- "error: " + err.Error()
					return
				}
				defer resp.Body.Close()
				var c platform.LeadCreated
				_ = json.NewDecoder(resp.Body).Decode(&c)
				uuids <- c.UUID
			}()
		}
		seen := map[string]bool{}
		for range 8 {
			seen[<-uuids] = true
		}
		if len(seen) != 1 {
			t.Fatalf("parallel submits returned %v", seen)
		}
		if n := len(leadsOf(t, h, tok, "idem-parallel")); n != 1 {
			t.Fatalf("%d leads for one idempotency key", n)
		}
	})

	if got := leadsOf(t, h, tok, "idem-1"); len(got) != 1 || got[0].UUID != first.UUID {
		t.Fatalf("GET /leads?partnerLeadId=idem-1 = %+v", got)
	}
	// The log has the submit outcomes in order.
	var outcomes []string
	for _, e := range h.callLog(tok, "partnerLeadId=idem-1") {
		if e.Kind == LogLeadSubmit {
			outcomes = append(outcomes, e.Outcome)
		}
	}
	if strings.Join(outcomes, ",") != "created,replayed,conflict" {
		t.Errorf("submit outcomes = %v", outcomes)
	}
}

func TestGetLead(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	uuid := h.create(tok, plainLead(t, "get-1"))
	l := h.lead(tok, uuid)
	if l.UUID != uuid || l.PartnerLeadID != "get-1" || l.Products == nil {
		t.Fatalf("lead = %+v", l)
	}
	// products is always an array, even before any offer.
	_, _, body := h.do(http.MethodGet, "/personal/v1/leads/"+uuid, tok, nil, nil)
	if !bytes.Contains(body, []byte(`"products":[`)) {
		t.Errorf("products is not an array: %s", body)
	}
	if status, _, _ := h.do(http.MethodGet, "/personal/v1/leads/00000000-0000-4000-8000-000000000000", tok, nil, nil); status != 404 {
		t.Errorf("unknown lead: status %d", status)
	}
	h.waitStatus(tok, uuid, platform.StatusOffersFound)
	polls := 0
	for _, e := range h.callLog(tok, "lead="+uuid) {
		if e.Kind == LogLeadPoll {
			polls++
		}
	}
	if polls < 3 {
		t.Errorf("%d polls in the log", polls)
	}
}

// TestPIINeverStoredOrLogged checks the call log masks the borrower, and that
// neither the database file nor the logs ever hold the SSN or the date of birth.
func TestPIINeverStoredOrLogged(t *testing.T) {
	h := newHarness(t)
	tok := h.token()
	lead := scenarioLead(t, stage.ScenarioUnderwritingApprove, "pii-1")
	uuid := h.create(tok, lead)
	h.waitStatus(tok, uuid, platform.StatusOffersFound)
	waitFor(t, "the callback", func() bool { return len(h.recv.accepted(uuid)) > 0 })

	var submit *LogEntry
	for _, e := range h.callLog(tok, "lead="+uuid) {
		if e.Kind == LogLeadSubmit {
			submit = &e
		}
	}
	var logged platform.LeadRequest
	if submit == nil || json.Unmarshal(submit.Request, &logged) != nil {
		t.Fatal("no submit with its request in the log")
	}
	b := logged.Borrower
	if b.FirstName != "K." || b.LastName != "O." || b.Email != "k***@example.com" || b.Phone != "******0111" ||
		b.SSN != "*****1011" || b.DOB != "1984" || logged.Address.Street != "***" {
		t.Errorf("masked borrower = %+v, street %q", b, logged.Address.Street)
	}
	if submit.IdempotencyKey != "key-pii-1" || submit.CorrelationID != "corr-key-pii-1" || submit.ResponseStatus != 201 {
		t.Errorf("submit entry = %+v", submit)
	}

	if err := h.sb.Close(); err != nil { // flush the WAL into the file
		t.Fatal(err)
	}
	files, _ := filepath.Glob(h.cfg.DBPath + "*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(lead.Borrower.SSN)) {
			t.Errorf("%s holds the SSN", filepath.Base(f))
		}
	}
	logs := h.logs.String()
	for _, secret := range []string{lead.Borrower.SSN, lead.Borrower.DOB, tok, testClientSecret, string(h.cfg.WebhookSecret)} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, "correlation_id=corr-key-pii-1") {
		t.Error("the logs do not carry the correlation id")
	}
}
