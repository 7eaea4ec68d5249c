package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"prequal/lending"
)

// Seed 004's example requests, as written (ids and key substituted).
const (
	seed004Create = `
  {
    "type": "LINE_OF_CREDIT",
    "customer_id": "{CUSTOMER_UUID}",
    "application_details": {
      "fico_score": 700,
      "annual_salary": 93600
    },
    "applicants": [
      {
        "credit_score": { "score": 700, "type": "FICO" },
        "customer_id": "{CUSTOMER_UUID}",
        "financial_status": {
          "debt_to_income_ratio": 30,
          "employment_status": "EMPLOYED",
          "income": [
            { "amount": 7800, "frequency": "MONTHLY", "type": "PRIMARY" }
          ],
          "monthly_rent_mortgage": 1000
        },
        "is_primary": true
      }
    ],
    ],
  "application_details": {
    "annual_salary": 93600,
    "fico_score": 700
  },
  "review_details": {
    "adverse_action_notice_time": "2020-05-19T21:10:27.434964Z",
    "application_submitted_time": "2022-05-19T21:10:27.434964Z"
  },
  "status": "SUBMITTED",
  "type": "LINE_OF_CREDIT",
  "creation_time": "2022-09-07T18:50:51.181391Z",
  "id": "{APPLICATION_UUID}",
  "last_updated_time": "2022-09-07T18:50:51.181391Z"
  }`
	seed004Approve  = `{ "status": "CREDIT_APPROVED" }`
	seed004Details  = `{ "application_details": { "fico_score": 900, "annual_salary": 70000 } }`
	seed004Accept   = `{ "status": "CREDIT_ACCEPTED_BY_CUSTOMER" }`
	seed004Deny     = `{ "status": "CREDIT_DENIED" }`
	seed004AANotice = `{ "review_details": { "adverse_action_reason_code": "DELINQUENT_CREDIT_HISTORY" } }`
)

// seed004CreateFixed is the seed's create example with its one stray "]," (a
// JSON syntax error in the seed) removed; nothing else changed.
var seed004CreateFixed = strings.Replace(seed004Create, "    ],\n    ],", "    ],", 1)

// locApp is the answer's shape, as the seed's sample responses have it.
type locApp struct {
	Applicants []struct {
		CreditScore struct {
			Score int    `json:"score"`
			Type  string `json:"type"`
		} `json:"credit_score"`
		CustomerID      string `json:"customer_id"`
		FinancialStatus struct {
			DebtToIncomeRatio float64 `json:"debt_to_income_ratio"`
			EmploymentStatus  string  `json:"employment_status"`
			Income            []struct {
				Amount    float64 `json:"amount"`
				Frequency string  `json:"frequency"`
				Type      string  `json:"type"`
			} `json:"income"`
			MonthlyRentMortgage float64 `json:"monthly_rent_mortgage"`
		} `json:"financial_status"`
		IsPrimary bool `json:"is_primary"`
	} `json:"applicants"`
	ApplicationDetails struct {
		AnnualSalary float64 `json:"annual_salary"`
		FicoScore    int     `json:"fico_score"`
	} `json:"application_details"`
	ReviewDetails struct {
		AdverseActionNoticeTime  string   `json:"adverse_action_notice_time"`
		ApplicationSubmittedTime string   `json:"application_submitted_time"`
		AdverseActionReasonCode  string   `json:"adverse_action_reason_code"`
		AdverseActionReasonCodes []string `json:"adverse_action_reason_codes"`
	} `json:"review_details"`
	Status          string `json:"status"`
	Type            string `json:"type"`
	CreationTime    string `json:"creation_time"`
	ID              string `json:"id"`
	LastUpdatedTime string `json:"last_updated_time"`
}

func TestSeed004ExamplesRunAsWritten(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("bank", lending.ScopeApplicationsRead, lending.ScopeApplicationsWrite)
	app, customer := p.newCustomer("bank", "loc@example.com")
	bearer := []string{"Authorization", "Bearer " + key}

	// The seed's create example has a stray "]," and is not JSON: a 400 that says where.
	r := p.call(http.MethodPost, "/api/v1/applications", "", sub(seed004Create, "{CUSTOMER_UUID}", customer), bearer...)
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "not valid JSON at byte") {
		t.Fatalf("the seed's malformed example: %d %s", r.status, r.body)
	}
	// 1. Application Submitted.
	r = p.call(http.MethodPost, "/api/v1/applications", "", sub(seed004CreateFixed, "{CUSTOMER_UUID}", customer), bearer...)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var got locApp
	decodeJSON(t, r, &got)
	a := got.Applicants
	if got.Status != "SUBMITTED" || got.Type != "LINE_OF_CREDIT" || got.ID == "" || got.ID == "{APPLICATION_UUID}" ||
		len(a) != 1 || !a[0].IsPrimary || a[0].CreditScore.Score != 700 || a[0].CreditScore.Type != "FICO" ||
		a[0].CustomerID != customer || a[0].FinancialStatus.DebtToIncomeRatio != 30 || a[0].FinancialStatus.EmploymentStatus != "EMPLOYED" ||
		len(a[0].FinancialStatus.Income) != 1 || a[0].FinancialStatus.Income[0].Amount != 7800 || a[0].FinancialStatus.MonthlyRentMortgage != 1000 ||
		got.ApplicationDetails.AnnualSalary != 93600 || got.ApplicationDetails.FicoScore != 700 ||
		got.ReviewDetails.ApplicationSubmittedTime != "2022-05-19T21:10:27.434000Z" ||
		got.ReviewDetails.AdverseActionNoticeTime != "2020-05-19T21:10:27.434000Z" || got.CreationTime == "" || got.LastUpdatedTime == "" {
		t.Errorf("create answered %s", r.body)
	}
	if r.header.Get("Location") != "/api/v1/applications/"+got.ID {
		t.Errorf("Location %q", r.header.Get("Location"))
	}
	id := got.ID
	path := "/api/v1/applications/" + id

	// 2. Credit Approved.
	r = p.call(http.MethodPatch, path, "", seed004Approve, bearer...)
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Status != "CREDIT_APPROVED" || got.ApplicationDetails.FicoScore != 700 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	// 3. Application details updated.
	r = p.call(http.MethodPatch, path, "", seed004Details, bearer...)
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Status != "CREDIT_APPROVED" || got.ApplicationDetails.FicoScore != 900 || got.ApplicationDetails.AnnualSalary != 70000 {
		t.Fatalf("details: %d %s", r.status, r.body)
	}
	// 4. Customer accepts.
	r = p.call(http.MethodPatch, path, "", seed004Accept, bearer...)
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Status != "CREDIT_ACCEPTED_BY_CUSTOMER" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	// Final: an illegal move answers the allowed ones (none) and changes nothing.
	r = p.call(http.MethodPatch, path, "", seed004Deny, bearer...)
	assertProblem(t, r, "illegal-transition")
	if !strings.Contains(string(r.body), "final") {
		t.Errorf("refusal %s", r.body)
	}
	r = p.call(http.MethodGet, path, "", "", bearer...)
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Status != "CREDIT_ACCEPTED_BY_CUSTOMER" {
		t.Errorf("get after a refused move: %d %s", r.status, r.body)
	}
	types := p.eventTypes(app.ID)
	for _, want := range []string{"application.SUBMITTED", "application.CREDIT_APPROVED", "application.CREDIT_ACCEPTED_BY_CUSTOMER",
		"creditApplication.pending", "creditApplication.approved"} {
		if !slices.Contains(types, want) {
			t.Errorf("events %v lack %s", types, want)
		}
	}
}

func TestSeed004DenialReachesTheBorrower(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("bank", lending.ScopeApplicationsRead, lending.ScopeApplicationsWrite)
	app, customer := p.newCustomer("bank", "deny@example.com")
	r := p.call(http.MethodPost, "/api/v1/applications", key, sub(seed004CreateFixed, "{CUSTOMER_UUID}", customer))
	var got locApp
	decodeJSON(t, r, &got)
	path := "/api/v1/applications/" + got.ID
	mailsBefore, _ := p.store.Mails(context.Background(), app.ID)

	// Illegal from SUBMITTED: names the allowed ones, changes nothing.
	r = p.call(http.MethodPatch, path, key, seed004Accept)
	assertProblem(t, r, "illegal-transition")
	if !strings.Contains(string(r.body), "CREDIT_APPROVED, CREDIT_DENIED") {
		t.Errorf("the refusal must name the allowed statuses: %s", r.body)
	}
	// Reasons without a denial are refused too.
	assertProblem(t, p.call(http.MethodPatch, path, key, seed004AANotice), "illegal-transition")

	// Alternative flow: 1. Credit is Denied.
	r = p.call(http.MethodPatch, path, key, seed004Deny)
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Status != "CREDIT_DENIED" {
		t.Fatalf("deny: %d %s", r.status, r.body)
	}
	// 2. The adverse action notice: the reason code, mapped to Regulation B.
	r = p.call(http.MethodPatch, path, key, seed004AANotice)
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Status != "CREDIT_DENIED" || got.ReviewDetails.AdverseActionReasonCode != "DELINQUENT_CREDIT_HISTORY" ||
		!slices.Equal(got.ReviewDetails.AdverseActionReasonCodes, []string{"DELINQUENT_CREDIT_HISTORY"}) ||
		got.ReviewDetails.AdverseActionNoticeTime == "2020-05-19T21:10:27.434000Z" {
		t.Fatalf("notice: %d %s", r.status, r.body)
	}
	mails, err := p.store.Mails(context.Background(), app.ID)
	if err != nil || len(mails) != len(mailsBefore)+1 || mails[len(mails)-1].Kind != lending.MailDenied {
		t.Errorf("the sponsor bank's denial did not queue the borrower's notice: %+v (%v)", mails, err)
	}
	events, _ := p.store.Events(context.Background(), app.ID)
	if last := events[len(events)-1]; last.Kind != lending.EventCreditApplicationChanged || !strings.Contains(last.Detail, "delinquent_obligations") {
		t.Errorf("timeline %+v", last)
	}
	// Up to four codes in adverse_action_reason_codes; more, or unknown ones, are a 422 naming the field.
	assertProblem(t, p.call(http.MethodPatch, path, key, `{"review_details":{"adverse_action_reason_codes":["BANKRUPTCY","NO_CREDIT_FILE","INSUFFICIENT_INCOME","OTHER","TEMPORARY_RESIDENCE"]}}`), "validation")
	r = p.call(http.MethodPatch, path, key, `{"review_details":{"adverse_action_reason_code":"NOT_A_CODE"}}`)
	assertProblem(t, r, "validation")
	if !strings.Contains(string(r.body), "/review_details/adverse_action_reason_code") {
		t.Errorf("pointer missing: %s", r.body)
	}
}

func TestSeed004CreateValidationAndCoApplicants(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("bank", lending.ScopeApplicationsRead, lending.ScopeApplicationsWrite)
	_, other := p.newAPIKey("other", lending.ScopeApplicationsRead, lending.ScopeApplicationsWrite)
	_, customer := p.newCustomer("bank", "co@example.com")
	pending := p.newPortalApplication("bank", "pending@example.com")

	body := `{"type":"LINE_OF_CREDIT","customer_id":"` + customer + `","applicants":[
		{"is_primary":true,"credit_score":{"score":700,"type":"FICO"}},
		{"is_primary":false,"credit_score":{"score":640,"type":"VANTAGE"},"financial_status":{"employment_status":"SELF_EMPLOYED",
		 "income":[{"amount":52000,"frequency":"ANNUALLY","type":"PRIMARY"}]}}]}`
	r := p.call(http.MethodPost, "/api/v1/applications", key, body)
	var got locApp
	decodeJSON(t, r, &got)
	if r.status != http.StatusCreated || len(got.Applicants) != 2 || got.Applicants[1].IsPrimary || got.Applicants[1].CreditScore.Type != "VANTAGE" {
		t.Fatalf("co-applicant: %d %s", r.status, r.body)
	}
	// Another partner neither sees it nor can use the customer.
	if r := p.call(http.MethodGet, "/api/v1/applications/"+got.ID, other, ""); r.status != http.StatusNotFound {
		t.Errorf("another partner's get: %d", r.status)
	}
	assertProblem(t, p.call(http.MethodPost, "/api/v1/applications", other, body), "validation")

	for name, c := range map[string]struct{ body, pointer string }{
		"no primary":       {`{"type":"LINE_OF_CREDIT","customer_id":"` + customer + `","applicants":[{"is_primary":false}]}`, "/applicants"},
		"two primaries":    {`{"type":"LINE_OF_CREDIT","customer_id":"` + customer + `","applicants":[{"is_primary":true},{"is_primary":true}]}`, "/applicants"},
		"bad score":        {`{"type":"LINE_OF_CREDIT","customer_id":"` + customer + `","applicants":[{"is_primary":true,"credit_score":{"score":901,"type":"FICO"}}]}`, "/applicants/0/credit_score/score"},
		"bad frequency":    {`{"type":"LINE_OF_CREDIT","customer_id":"` + customer + `","applicants":[{"is_primary":true,"financial_status":{"income":[{"amount":1,"frequency":"HOURLY","type":"PRIMARY"}]}}]}`, "/applicants/0/financial_status/income/0/frequency"},
		"wrong type":       {`{"type":"LOAN","customer_id":"` + customer + `","applicants":[{"is_primary":true}]}`, "/type"},
		"unknown customer": {`{"type":"LINE_OF_CREDIT","customer_id":"cus_nope","applicants":[{"is_primary":true}]}`, "/customer_id"},
		"not approved":     {`{"type":"LINE_OF_CREDIT","customer_id":"cus_` + pending.ID + `","applicants":[{"is_primary":true}]}`, "/customer_id"},
		"number as string": {`{"type":"LINE_OF_CREDIT","customer_id":"` + customer + `","applicants":[{"is_primary":true}],"application_details":{"fico_score":"700"}}`, "/application_details"},
	} {
		r := p.call(http.MethodPost, "/api/v1/applications", key, c.body)
		assertProblem(t, r, "validation")
		if !strings.Contains(string(r.body), `"pointer":"`+c.pointer+`"`) {
			t.Errorf("%s: want pointer %s in %s", name, c.pointer, r.body)
		}
	}
	// Scopes: read cannot write.
	_, readOnly := p.newAPIKey("bank", lending.ScopeApplicationsRead)
	assertProblem(t, p.call(http.MethodPost, "/api/v1/applications", readOnly, body), "missing-scope")

	// List: own only, paging edges.
	r = p.call(http.MethodGet, "/api/v1/applications?limit=1&offset=0", key, "")
	var list struct {
		Applications []locApp `json:"applications"`
	}
	decodeJSON(t, r, &list)
	if r.status != http.StatusOK || len(list.Applications) != 1 || list.Applications[0].ID != got.ID {
		t.Errorf("list: %d %s", r.status, r.body)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=-1", "limit=x", "offset=-1", "offset=x"} {
		r := p.call(http.MethodGet, "/api/v1/applications?"+q, key, "")
		assertProblem(t, r, "invalid-parameter")
		if name, _, _ := strings.Cut(q, "="); !strings.Contains(string(r.body), `"parameter":"`+name+`"`) {
			t.Errorf("%s: %s", q, r.body)
		}
	}
	if r := p.call(http.MethodGet, "/api/v1/applications?limit=1000", other, ""); r.status != http.StatusOK || !strings.Contains(string(r.body), `"applications":[]`) {
		t.Errorf("another partner's list: %s", r.body)
	}
}
