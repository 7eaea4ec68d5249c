package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// Seed 003's example requests, as written (ids and key substituted).
const (
	seed003CreateOnboarding = `{
"data": {
"type": "createOnboardingCustomerCreditApplication",
"attributes": {},
"relationships": {
"application": {
"data": {
"type": "application",
"id": "10002"
}
},
"lendingProgram": {
"data": {
"type": "lendingProgram",
"id": "1"
}
}
}
}
}`
	seed003CreateExisting = `{
"data": {
"type": "createExistingCustomerCreditApplication",
"attributes": {
"annualIncome": 1,
"numberOfEmployees": "One",
"yearsInBusiness": 4,
"additionalUnderwritingData": {
"dad": "dada"
}
},
"relationships": {
"customer": {
"data": {
"type": "customer",
"id": "10002"
}
},
"lendingProgram": {
"data": {
"type": "lendingProgram",
"id": "1"
}
}
}
}
}`
	seed003Patch = `{
"data": {
"type": "patchCreditApplication",
"attributes": {
"numberOfEmployees": "Between2And5"
}
}
}`
)

var jsonAPIHeaders = []string{"Content-Type", "application/vnd.api+json"}

// creditDoc is the answer's shape, as the seed's example responses have it.
type creditDoc struct {
	Data  creditRes         `json:"data"`
	Links map[string]string `json:"links"`
}

type creditRes struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	Attributes struct {
		CreatedAt                  string            `json:"createdAt"`
		Status                     string            `json:"status"`
		AggregatorAccessTokens     []string          `json:"aggregatorAccessTokens"`
		AnnualIncome               *int64            `json:"annualIncome"`
		NumberOfEmployees          *string           `json:"numberOfEmployees"`
		YearsInBusiness            *int              `json:"yearsInBusiness"`
		AdditionalUnderwritingData map[string]string `json:"additionalUnderwritingData"`
		ApprovedCreditLimit        *int64            `json:"approvedCreditLimit"`
	} `json:"attributes"`
	Relationships map[string]struct {
		Data struct{ Type, ID string } `json:"data"`
	} `json:"relationships"`
	Links map[string]string `json:"links"`
}

func (p *testAPI) jsonAPI(method, path, key, body string, header ...string) apiResponse {
	p.t.Helper()
	return p.call(method, path, "", body, append([]string{"Authorization", "Bearer " + key, "Content-Type", "application/vnd.api+json"}, header...)...)
}

func TestSeed003ExamplesRunAsWritten(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("fintech", lending.ScopeCreditApplicationsRead, lending.ScopeCreditApplicationsWrite)
	app := p.newPortalApplication("fintech", "onboard@example.com")
	approved, customer := p.newCustomer("fintech", "existing@example.com")

	// Create Onboarding Credit Application.
	r := p.jsonAPI(http.MethodPost, "/api/credit-applications", key, sub(seed003CreateOnboarding, "10002", app.ID))
	var onb creditDoc
	decodeJSON(t, r, &onb)
	if r.status != http.StatusCreated || r.header.Get("Content-Type") != JSONAPIMediaType ||
		onb.Data.Type != "onboardingCustomerCreditApplication" || onb.Data.ID == "" || onb.Data.Attributes.Status != "Created" ||
		onb.Data.Attributes.AggregatorAccessTokens == nil || len(onb.Data.Attributes.AggregatorAccessTokens) != 0 ||
		onb.Data.Attributes.AnnualIncome != nil || onb.Data.Attributes.NumberOfEmployees != nil || onb.Data.Attributes.YearsInBusiness != nil ||
		onb.Data.Relationships["application"].Data.ID != app.ID || onb.Data.Relationships["lendingProgram"].Data.ID != "1" {
		t.Fatalf("onboarding: %d %s", r.status, r.body)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z", onb.Data.Attributes.CreatedAt); err != nil {
		t.Errorf("createdAt %q", onb.Data.Attributes.CreatedAt)
	}
	for _, field := range []string{`"annualIncome":null`, `"numberOfEmployees":null`, `"yearsInBusiness":null`, `"additionalUnderwritingData":null`, `"aggregatorAccessTokens":[]`} {
		if !strings.Contains(string(r.body), field) {
			t.Errorf("onboarding answer lacks %s: %s", field, r.body)
		}
	}

	// Create Existing Credit Application.
	r = p.jsonAPI(http.MethodPost, "/api/credit-applications", key, sub(seed003CreateExisting, "10002", customer))
	var ex creditDoc
	decodeJSON(t, r, &ex)
	a := ex.Data.Attributes
	if r.status != http.StatusCreated || ex.Data.Type != "existingCustomerCreditApplication" || a.Status != "Pending" ||
		a.AnnualIncome == nil || *a.AnnualIncome != 1 || a.NumberOfEmployees == nil || *a.NumberOfEmployees != "One" ||
		a.YearsInBusiness == nil || *a.YearsInBusiness != 4 || a.AdditionalUnderwritingData["dad"] != "dada" ||
		ex.Data.Relationships["customer"].Data.ID != customer || ex.Data.Relationships["customer"].Data.Type != "customer" ||
		ex.Data.Relationships["lendingProgram"].Data.ID != "1" {
		t.Fatalf("existing: %d %s", r.status, r.body)
	}

	// Update.
	r = p.jsonAPI(http.MethodPatch, "/api/credit-applications/"+ex.Data.ID, key, seed003Patch)
	var patched creditDoc
	decodeJSON(t, r, &patched)
	if r.status != http.StatusOK || *patched.Data.Attributes.NumberOfEmployees != "Between2And5" ||
		*patched.Data.Attributes.AnnualIncome != 1 || patched.Data.Attributes.Status != "Pending" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}

	// Get by Id (the seed's curl sends no Content-Type).
	r = p.call(http.MethodGet, "/api/credit-applications/"+ex.Data.ID, "", "", "Authorization", "Bearer "+key, "Content-Type", "")
	var got creditDoc
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Data.ID != ex.Data.ID || got.Data.Links["self"] != "/api/credit-applications/"+ex.Data.ID {
		t.Fatalf("get: %d %s", r.status, r.body)
	}

	// List with page[limit]=20.
	r = p.call(http.MethodGet, "/api/credit-applications?page[limit]=20", "", "", "Authorization", "Bearer "+key, "Content-Type", "")
	var list struct {
		Data  []creditRes       `json:"data"`
		Links map[string]string `json:"links"`
	}
	decodeJSON(t, r, &list)
	if r.status != http.StatusOK || len(list.Data) != 2 || list.Data[0].ID != onb.Data.ID || list.Links["next"] != "" {
		t.Fatalf("list: %d %s", r.status, r.body)
	}

	// Cancel before a decision; not after.
	r = p.jsonAPI(http.MethodPost, "/api/credit-applications/"+onb.Data.ID+"/cancel", key, "")
	decodeJSON(t, r, &got)
	if r.status != http.StatusOK || got.Data.Attributes.Status != "Canceled" {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	r = p.jsonAPI(http.MethodPost, "/api/credit-applications/"+onb.Data.ID+"/cancel", key, "")
	assertJSONAPIError(t, r, http.StatusConflict, "")
	r = p.jsonAPI(http.MethodPatch, "/api/credit-applications/"+onb.Data.ID, key, seed003Patch)
	assertJSONAPIError(t, r, http.StatusConflict, "")

	// Events: creditApplication.* in seed 003's naming, in the same transaction as each change.
	if types := p.eventTypes(app.ID); !slices.Contains(types, "creditApplication.created") || !slices.Contains(types, "creditApplication.canceled") {
		t.Errorf("events of the onboarding application: %v", types)
	}
	if types := p.eventTypes(approved.ID); !slices.Contains(types, "creditApplication.pending") {
		t.Errorf("events of the customer's application: %v", types)
	}
}

// assertJSONAPIError checks a JSON:API error answer, and its pointer when given.
func assertJSONAPIError(t *testing.T, r apiResponse, status int, pointer string) {
	t.Helper()
	if r.status != status || r.header.Get("Content-Type") != JSONAPIMediaType {
		t.Fatalf("want %d %s, got %d %s: %s", status, JSONAPIMediaType, r.status, r.header.Get("Content-Type"), r.body)
	}
	var doc struct {
		Errors []struct {
			Status string `json:"status"`
			Title  string `json:"title"`
			Source *struct {
				Pointer   string `json:"pointer"`
				Parameter string `json:"parameter"`
			} `json:"source"`
		} `json:"errors"`
	}
	decodeJSON(t, r, &doc)
	if len(doc.Errors) == 0 || doc.Errors[0].Title == "" {
		t.Fatalf("no JSON:API errors: %s", r.body)
	}
	if pointer == "" {
		return
	}
	for _, e := range doc.Errors {
		if e.Source != nil && (e.Source.Pointer == pointer || e.Source.Parameter == pointer) {
			return
		}
	}
	t.Errorf("no error at %s: %s", pointer, r.body)
}

func TestCreditApplicationsContentNegotiation(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("fintech", lending.ScopeCreditApplicationsRead, lending.ScopeCreditApplicationsWrite)
	app := p.newPortalApplication("fintech", "neg@example.com")
	body := sub(seed003CreateOnboarding, "10002", app.ID)
	for _, ct := range []string{"application/json", "application/vnd.api+json; charset=utf-8", `application/vnd.api+json; ext="https://example.com/ext"`, "text/plain"} {
		r := p.call(http.MethodPost, "/api/credit-applications", "", body, "Authorization", "Bearer "+key, "Content-Type", ct)
		assertJSONAPIError(t, r, http.StatusUnsupportedMediaType, "")
	}
	for _, accept := range []string{"application/vnd.api+json; charset=utf-8", `application/vnd.api+json; ext="x", application/vnd.api+json; q=0.5`} {
		r := p.jsonAPI(http.MethodGet, "/api/credit-applications", key, "", "Accept", accept)
		assertJSONAPIError(t, r, http.StatusNotAcceptable, "")
	}
	for _, accept := range []string{"application/vnd.api+json", `application/vnd.api+json; profile="https://example.com/p"`,
		"application/vnd.api+json; charset=utf-8, application/vnd.api+json", "*/*", "application/json"} {
		if r := p.jsonAPI(http.MethodGet, "/api/credit-applications", key, "", "Accept", accept); r.status != http.StatusOK {
			t.Errorf("Accept %q: %d", accept, r.status)
		}
	}
	// A profile is no extension: accepted.
	r := p.call(http.MethodPost, "/api/credit-applications", "", body, "Authorization", "Bearer "+key, "Content-Type", `application/vnd.api+json; profile="https://example.com/p"`)
	if r.status != http.StatusCreated {
		t.Errorf("with a profile: %d %s", r.status, r.body)
	}
}

func TestCreditApplicationsValidationIdempotencyAndVisibility(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("fintech", lending.ScopeCreditApplicationsRead, lending.ScopeCreditApplicationsWrite)
	_, other := p.newAPIKey("rival", lending.ScopeCreditApplicationsRead, lending.ScopeCreditApplicationsWrite)
	_, operator := p.newAPIKey("ops", lending.ScopeCreditApplicationsRead, lending.ScopeOperator)
	app := p.newPortalApplication("fintech", "val@example.com")
	pending := p.newPortalApplication("fintech", "notyet@example.com")
	body := sub(seed003CreateOnboarding, "10002", app.ID)

	for name, c := range map[string]struct{ body, pointer string }{
		"type":              {strings.Replace(body, "createOnboardingCustomerCreditApplication", "creditApplication", 1), "/data/type"},
		"no data":           {`{}`, "/data"},
		"other's app":       {sub(seed003CreateOnboarding, "10002", "nope"), "/data/relationships/application/data/id"},
		"program":           {strings.Replace(body, `"id": "1"`, `"id": "2"`, 1), "/data/relationships/lendingProgram/data/id"},
		"employees":         {strings.Replace(body, `"attributes": {}`, `"attributes": {"numberOfEmployees": "Lots"}`, 1), "/data/attributes/numberOfEmployees"},
		"income type":       {strings.Replace(body, `"attributes": {}`, `"attributes": {"annualIncome": "1"}`, 1), "/data/attributes/annualIncome"},
		"customer pending":  {sub(seed003CreateExisting, "10002", store.CustomerPrefix+pending.ID), "/data/relationships/customer/data/id"},
		"no lendingProgram": {strings.Replace(body, `"lendingProgram"`, `"program"`, 1), "/data/relationships/lendingProgram"},
	} {
		r := p.jsonAPI(http.MethodPost, "/api/credit-applications", key, c.body)
		if r.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, r.status, r.body)
			continue
		}
		assertJSONAPIError(t, r, http.StatusUnprocessableEntity, c.pointer)
	}
	if r := p.jsonAPI(http.MethodPost, "/api/credit-applications", key, `{"data": [}`); r.status != http.StatusBadRequest {
		t.Errorf("malformed: %d", r.status)
	}

	// Idempotent by attribute: the same key answers the same credit application.
	withKey := strings.Replace(body, `"attributes": {}`, `"attributes": {"idempotencyKey": "ca-1"}`, 1)
	var first, again creditDoc
	decodeJSON(t, p.jsonAPI(http.MethodPost, "/api/credit-applications", key, withKey), &first)
	decodeJSON(t, p.jsonAPI(http.MethodPost, "/api/credit-applications", key, withKey), &again)
	if first.Data.ID == "" || first.Data.ID != again.Data.ID {
		t.Errorf("idempotencyKey attribute: %s then %s", first.Data.ID, again.Data.ID)
	}
	// And by header.
	r1 := p.jsonAPI(http.MethodPost, "/api/credit-applications", key, body, "Idempotency-Key", "hdr-1")
	r2 := p.jsonAPI(http.MethodPost, "/api/credit-applications", key, body, "Idempotency-Key", "hdr-1")
	var h1, h2 creditDoc
	decodeJSON(t, r1, &h1)
	decodeJSON(t, r2, &h2)
	if r2.header.Get("Idempotent-Replayed") != "true" || h1.Data.ID != h2.Data.ID || r2.header.Get("Content-Type") != JSONAPIMediaType {
		t.Errorf("Idempotency-Key: %s %s replayed=%q", h1.Data.ID, h2.Data.ID, r2.header.Get("Idempotent-Replayed"))
	}

	// Visibility: another partner sees none of them, an operator all.
	if r := p.jsonAPI(http.MethodGet, "/api/credit-applications/"+first.Data.ID, other, ""); r.status != http.StatusNotFound {
		t.Errorf("another partner's get: %d", r.status)
	}
	assertJSONAPIError(t, p.jsonAPI(http.MethodPost, "/api/credit-applications/"+first.Data.ID+"/cancel", other, ""), http.StatusNotFound, "")
	var opList struct{ Data []creditRes }
	decodeJSON(t, p.jsonAPI(http.MethodGet, "/api/credit-applications?filter[orgId]=fintech", operator, ""), &opList)
	if len(opList.Data) != 2 {
		t.Errorf("operator sees %d", len(opList.Data))
	}
	assertJSONAPIError(t, p.jsonAPI(http.MethodPost, "/api/credit-applications", operator, body), http.StatusForbidden, "")
}

func TestCreditApplicationsPagingAndFilters(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("fintech", lending.ScopeCreditApplicationsRead, lending.ScopeCreditApplicationsWrite)
	app := p.newPortalApplication("fintech", "page@example.com")
	other := p.newPortalApplication("fintech", "page2@example.com")
	var ids []string
	for i, a := range []string{app.ID, app.ID, other.ID} {
		var d creditDoc
		decodeJSON(t, p.jsonAPI(http.MethodPost, "/api/credit-applications", key, sub(seed003CreateOnboarding, "10002", a)), &d)
		ids = append(ids, d.Data.ID)
		_ = i
	}
	list := func(q string) (apiResponse, []string, map[string]string) {
		r := p.jsonAPI(http.MethodGet, "/api/credit-applications?"+q, key, "")
		var doc struct {
			Data  []creditRes       `json:"data"`
			Links map[string]string `json:"links"`
		}
		decodeJSON(t, r, &doc)
		var got []string
		for _, d := range doc.Data {
			got = append(got, d.ID)
		}
		return r, got, doc.Links
	}
	for _, q := range []string{"page[limit]=0", "page[limit]=1001", "page[limit]=-1", "page[limit]=ten", "page[offset]=-1", "page[offset]=x", "page[limit]=1.5"} {
		r := p.jsonAPI(http.MethodGet, "/api/credit-applications?"+q, key, "")
		name, _, _ := strings.Cut(q, "=")
		assertJSONAPIError(t, r, http.StatusBadRequest, name)
	}
	if r, got, links := list("page[limit]=1"); r.status != http.StatusOK || !slices.Equal(got, ids[:1]) || links["next"] == "" || links["prev"] != "" {
		t.Errorf("limit 1: %v %v", got, links)
	}
	if _, got, links := list("page[limit]=1&page[offset]=1"); !slices.Equal(got, ids[1:2]) || links["prev"] == "" || links["next"] == "" {
		t.Errorf("offset 1: %v %v", got, links)
	}
	if _, got, links := list("page[limit]=1000"); !slices.Equal(got, ids) || links["next"] != "" {
		t.Errorf("limit 1000: %v %v", got, links)
	}
	if _, got, _ := list("page[offset]=3"); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}
	if _, got, _ := list(""); !slices.Equal(got, ids) {
		t.Errorf("default: %v", got)
	}
	// The next link runs as given and keeps the filters.
	_, _, links := list("page[limit]=1&filter[applicationId]=" + app.ID)
	r := p.jsonAPI(http.MethodGet, strings.TrimPrefix(links["next"], ""), key, "")
	var next struct{ Data []creditRes }
	decodeJSON(t, r, &next)
	if len(next.Data) != 1 || next.Data[0].ID != ids[1] || !strings.Contains(links["next"], "filter%5BapplicationId%5D") {
		t.Errorf("next link %s: %s", links["next"], r.body)
	}
	for q, want := range map[string][]string{
		"filter[applicationId]=" + other.ID: ids[2:],
		"filter[lendingProgramId]=1":        ids,
		"filter[lendingProgramId]=2":        nil,
		"filter[bankId]=1":                  ids,
		"filter[bankId]=9":                  nil,
		"filter[orgId]=fintech":             ids,
		"filter[orgId]=rival":               nil,
		"filter[customerId]=cus_x":          nil,
	} {
		if _, got, _ := list(q); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
}

// TestCreditApplicationFollowsItsApplication: an onboarding credit
// application's status is its application's evaluation (one status model),
// the customer appears once it is approved, and events follow.
func TestCreditApplicationFollowsItsApplication(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("fintech", lending.ScopeCreditApplicationsRead, lending.ScopeCreditApplicationsWrite)
	app := p.newPortalApplication("fintech", "follow@example.com")
	var d creditDoc
	decodeJSON(t, p.jsonAPI(http.MethodPost, "/api/credit-applications", key, sub(seed003CreateOnboarding, "10002", app.ID)), &d)
	if _, err := p.store.DecideReview(context.Background(), store.ReviewDecision{ApplicationID: app.ID, To: lending.ReviewApproved,
		Note: "ok", LeadTimeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, p.jsonAPI(http.MethodGet, "/api/credit-applications/"+d.Data.ID, key, ""), &d)
	// Approved by the officer, no offers yet: the limit is the amount requested.
	if d.Data.Attributes.Status != "Approved" || d.Data.Relationships["customer"].Data.ID != store.CustomerPrefix+app.ID ||
		d.Data.Attributes.ApprovedCreditLimit == nil || *d.Data.Attributes.ApprovedCreditLimit != 15000_00 {
		t.Errorf("after the approval: %+v", d.Data)
	}
	types := p.eventTypes(app.ID)
	if n := strings.Count(strings.Join(types, " "), "creditApplication.approved"); n != 2 { // the application's and the credit application's
		t.Errorf("events %v", types)
	}
}
