package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"prequal/store"
)

// seedRequest and seedDecision are the example request and response of seed 002's
// POST /api/v1/decision, copied verbatim (whitespace aside).
const seedRequest = `{
"age": 30,
"income": 65000,
"existingDebt": 4500,
"requestedAmount": 12000,
"yearsAtJob": 5,
"openCreditLines": 1
}`

const seedDecision = `{
"success": true,
"payload": {
"applicant": {
"age": 30, "income": 65000, "existingDebt": 4500,
"requestedAmount": 12000, "yearsAtJob": 5, "openCreditLines": 1
},
"decision": {
"score": 760,
"riskLevel": "low",
"approved": true,
"approvalReason": "Low debt-to-income ratio (6.9%) with income that comfortably supports the requested amount.",
"declineReason": null,
"nextSteps": ["Offer competitive APR", "Enable instant funding"],
"factors": {
"incomeScore": 40, "debtScore": 27.9, "amountPressure": 3.7,
"ageScore": 6, "tenureScore": 7.5, "openLineScore": 8.5,
"debtRatio": 0.069,
"estimatedFields": []
}
},
"pricing": {
"perCall": 0.05,
"currency": "USD",
"description": "Usage-based credit decision call"
}
}
}`

// seedScore is the seed's POST /api/v1/score example response.
const seedScore = `{
"success": true,
"result": {
"score": 760,
"riskLevel": "low",
"approved": true,
"approvalReason": "Low debt-to-income ratio (6.9%) with income that comfortably supports the requested amount.",
"declineReason": null,
"nextSteps": ["Offer competitive APR", "Enable instant funding"],
"factors": {
"incomeScore": 40, "debtScore": 27.9, "amountPressure": 3.7,
"ageScore": 6, "tenureScore": 7.5, "openLineScore": 8.5,
"debtRatio": 0.069,
"estimatedFields": []
}
}
}`

// seedUsage is the seed's GET /api/v1/usage example response.
const seedUsage = `{
"success": true,
"usage": {
"tenantId": "abc123",
"calls": 142,
"callsThisMonth": 38,
"createdAt": "2026-01-15T09:00:00.000Z"
}
}`

const (
	bodyUnauthorized = `{"error": "Invalid or missing API key."}`
	bodyRateLimited  = `{"error": "Too many requests, please try again later."}`
	bodyInternal     = `{"error": "Internal server error."}`
)

func TestAPISeedExamples(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	tests := []struct {
		path, want string
	}{
		{"/api/v1/decision", seedDecision},
		{"/api/v1/score", seedScore},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := p.call(http.MethodPost, tt.path, key, seedRequest)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			assertSameJSONBytes(t, r.body, tt.want)
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestAPIDecisionEchoesNameAndOmitsAbsentOptionalFields(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	r := p.call(http.MethodPost, "/api/v1/decision", key,
		`{"name": "Ada Lovelace", "age": 30, "income": 65000, "existingDebt": 4500, "requestedAmount": 12000}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got struct {
		Payload struct {
			Applicant map[string]any `json:"applicant"`
			Decision  struct {
				Factors struct {
					EstimatedFields []string `json:"estimatedFields"`
				} `json:"factors"`
			} `json:"decision"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	wantApplicant := map[string]any{"name": "Ada Lovelace", "age": 30.0, "income": 65000.0, "existingDebt": 4500.0, "requestedAmount": 12000.0}
	if !reflect.DeepEqual(got.Payload.Applicant, wantApplicant) {
		t.Errorf("applicant = %v, want %v", got.Payload.Applicant, wantApplicant)
	}
	if est := strings.Join(got.Payload.Decision.Factors.EstimatedFields, ","); est != "yearsAtJob,openCreditLines" {
		t.Errorf("estimatedFields = %q, want yearsAtJob,openCreditLines", est)
	}
	if !bytes.Contains(r.body, []byte(`"applicant":{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000,"name":"Ada Lovelace"}`)) {
		t.Errorf("applicant echo not in field order: %s", r.body)
	}
}

func TestAPITierBoundaries(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	// Every other condition is comfortably met, so each case moves only its boundary.
	// The score cases were found with decision.Evaluate (decision's tier tests prove
	// the ratios are inside the tier).
	tests := []struct {
		name      string
		body      string
		wantScore int // 0: not checked
		wantRisk  string
	}{
		{"score 700 is low", `{"age":38,"income":28350,"existingDebt":0,"requestedAmount":2835,"yearsAtJob":7,"openCreditLines":3}`, 700, "low"},
		{"score 699 is medium", `{"age":38,"income":28050,"existingDebt":0,"requestedAmount":2805,"yearsAtJob":7,"openCreditLines":3}`, 699, "medium"},
		{"score 620 is medium", `{"age":24,"income":20400,"existingDebt":0,"requestedAmount":2040,"yearsAtJob":7,"openCreditLines":3}`, 620, "medium"},
		{"score 619 is high", `{"age":24,"income":20100,"existingDebt":0,"requestedAmount":2010,"yearsAtJob":7,"openCreditLines":3}`, 619, "high"},
		{"DTI just below 35% is low", strong(34999, 50000), 0, "low"},
		{"DTI at 35% is medium", strong(35000, 50000), 0, "medium"},
		{"DTI just below 45% is medium", strong(44999, 10000), 0, "medium"},
		{"DTI at 45% is high", strong(45000, 10000), 0, "high"},
		{"amount at 50% of income is low", strong(0, 50000), 0, "low"},
		{"amount just above 50% is medium", strong(0, 50001), 0, "medium"},
		{"amount at 65% of income is medium", strong(0, 65000), 0, "medium"},
		{"amount just above 65% is high", strong(0, 65001), 0, "high"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.call(http.MethodPost, "/api/v1/score", key, tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var got struct {
				Result struct {
					Score          int     `json:"score"`
					RiskLevel      string  `json:"riskLevel"`
					Approved       bool    `json:"approved"`
					ApprovalReason *string `json:"approvalReason"`
					DeclineReason  *string `json:"declineReason"`
				} `json:"result"`
			}
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatal(err)
			}
			res := got.Result
			if tt.wantScore != 0 && res.Score != tt.wantScore {
				t.Errorf("score = %d, want %d", res.Score, tt.wantScore)
			}
			if res.RiskLevel != tt.wantRisk || res.Approved != (tt.wantRisk != "high") {
				t.Errorf("riskLevel %q approved %v, want %q", res.RiskLevel, res.Approved, tt.wantRisk)
			}
			if res.Approved != (res.ApprovalReason != nil) || res.Approved == (res.DeclineReason != nil) {
				t.Errorf("approved %v with approvalReason %v and declineReason %v", res.Approved, res.ApprovalReason, res.DeclineReason)
			}
		})
	}
}

// strong is an applicant with $100,000 income and full marks elsewhere, so only
// debt and amount move the tier.
func strong(debt, amount int) string {
	return `{"age":38,"income":100000,"existingDebt":` + strconv.Itoa(debt) + `,"requestedAmount":` + strconv.Itoa(amount) +
		`,"yearsAtJob":7,"openCreditLines":3}`
}

func TestAPIValidationErrors(t *testing.T) {
	p := newTestAPI(t)
	k, key := p.newAPIKey("acme")
	valid := func(field, value string) string {
		fields := map[string]string{"age": "30", "income": "65000", "existingDebt": "4500", "requestedAmount": "12000"}
		fields[field] = value
		var b strings.Builder
		b.WriteString("{")
		sep := ""
		for _, f := range []string{"age", "income", "existingDebt", "requestedAmount", "yearsAtJob", "openCreditLines", "name", "extra"} {
			if v, ok := fields[f]; ok {
				b.WriteString(sep + `"` + f + `":` + v)
				sep = ","
			}
		}
		return b.String() + "}"
	}
	fieldErr := func(fields string) string { return `{"error":{"formErrors":[],"fieldErrors":` + fields + `}}` }
	formErr := func(msg string) string { return `{"error":{"formErrors":["` + msg + `"],"fieldErrors":{}}}` }
	tests := []struct {
		name, body, want string
	}{
		{"age under 18", valid("age", "17"), fieldErr(`{"age":["Number must be greater than or equal to 18"]}`)},
		{"negative income", valid("income", "-1"), fieldErr(`{"income":["Number must be greater than or equal to 0"]}`)},
		{"negative existingDebt", valid("existingDebt", "-0.01"), fieldErr(`{"existingDebt":["Number must be greater than or equal to 0"]}`)},
		{"requestedAmount zero", valid("requestedAmount", "0"), fieldErr(`{"requestedAmount":["Number must be greater than 0"]}`)},
		{"requestedAmount negative", valid("requestedAmount", "-100"), fieldErr(`{"requestedAmount":["Number must be greater than 0"]}`)},
		{"negative yearsAtJob", valid("yearsAtJob", "-1"), fieldErr(`{"yearsAtJob":["Number must be greater than or equal to 0"]}`)},
		{"negative openCreditLines", valid("openCreditLines", "-2"), fieldErr(`{"openCreditLines":["Number must be greater than or equal to 0"]}`)},
		{"age as a string", valid("age", `"30"`), fieldErr(`{"age":["Expected number, received string"]}`)},
		{"income null", valid("income", "null"), fieldErr(`{"income":["Expected number, received null"]}`)},
		{"existingDebt boolean", valid("existingDebt", "true"), fieldErr(`{"existingDebt":["Expected number, received boolean"]}`)},
		{"requestedAmount array", valid("requestedAmount", "[12000]"), fieldErr(`{"requestedAmount":["Expected number, received array"]}`)},
		{"yearsAtJob object", valid("yearsAtJob", "{}"), fieldErr(`{"yearsAtJob":["Expected number, received object"]}`)},
		{"fractional age", valid("age", "30.5"), fieldErr(`{"age":["Expected integer, received float"]}`)},
		{"fractional age under 18", valid("age", "17.5"), fieldErr(`{"age":["Expected integer, received float","Number must be greater than or equal to 18"]}`)},
		{"fractional openCreditLines", valid("openCreditLines", "1.5"), fieldErr(`{"openCreditLines":["Expected integer, received float"]}`)},
		{"unsafe integer", valid("age", "1e16"), fieldErr(`{"age":["Number must be less than or equal to 9007199254740991"]}`)},
		{"overflowing number", valid("income", "1e400"), fieldErr(`{"income":["Number must be finite"]}`)},
		{"name not a string", valid("name", "42"), fieldErr(`{"name":["Expected string, received number"]}`)},
		{"required fields missing", `{"yearsAtJob": 2}`, fieldErr(`{"age":["Required"],"income":["Required"],"existingDebt":["Required"],"requestedAmount":["Required"]}`)},
		{"empty body", ``, fieldErr(`{"age":["Required"],"income":["Required"],"existingDebt":["Required"],"requestedAmount":["Required"]}`)},
		{"several fields at once", `{"age":"x","income":-5,"existingDebt":0,"requestedAmount":0}`,
			fieldErr(`{"age":["Expected number, received string"],"income":["Number must be greater than or equal to 0"],"requestedAmount":["Number must be greater than 0"]}`)},
		{"unknown field", valid("extra", "1"), formErr(`Unrecognized key(s) in object: 'extra'`)},
		{"unknown field with a field error", `{"age":10,"income":1,"existingDebt":0,"requestedAmount":1,"zeta":1,"alpha":2}`,
			`{"error":{"formErrors":["Unrecognized key(s) in object: 'alpha', 'zeta'"],"fieldErrors":{"age":["Number must be greater than or equal to 18"]}}}`},
		{"malformed JSON", `{"age": 30,`, formErr("Malformed JSON in request body")},
		{"trailing garbage", seedRequest + `x`, formErr("Malformed JSON in request body")},
		{"not JSON at all", `age=30`, formErr("Malformed JSON in request body")},
		{"array body", `[1,2]`, formErr("Expected object, received array")},
		{"null body", `null`, formErr("Expected object, received null")},
	}
	for _, path := range []string{"/api/v1/decision", "/api/v1/score"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				r := p.call(http.MethodPost, path, key, tt.body)
				if r.status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", r.status, r.body)
				}
				assertSameJSON(t, r.body, tt.want)
				if r.header.Get("RateLimit-Remaining") == "" {
					t.Error("an authenticated 400 carries no RateLimit-Remaining")
				}
			})
		}
	}
	// A body over the cap is not a validation error but a 413 in the seed's
	// error shape (the portal's route table refuses most of them before, by
	// their Content-Length; handlers tests that).
	t.Run("oversize body without Content-Length", func(t *testing.T) {
		body := valid("name", `"`+strings.Repeat("a", MaxBodyBytes)+`"`)
		req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/api/v1/decision", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("x-api-key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		assertSameJSON(t, b, `{"error": "Request body must not be larger than 16384 bytes."}`)
	})
	u, err := p.store.APIKeyUsage(context.Background(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Calls != 0 {
		t.Errorf("invalid calls were billed: %d calls", u.Calls)
	}
}

func TestAPIUnauthorized(t *testing.T) {
	p := newTestAPI(t)
	k, key := p.newAPIKey("acme")
	_, revokedKey := p.newAPIKey("gone")
	revoked, err := p.store.APIKeyBySecret(context.Background(), revokedKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.store.RevokeAPIKey(context.Background(), revoked.ID, store.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if r := p.call(http.MethodPost, "/api/v1/decision", key, seedRequest); r.status != http.StatusOK {
		t.Fatalf("before rotation: status %d", r.status)
	}
	_, newKey, err := p.store.RotateAPIKey(context.Background(), k.ID, false, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}

	// (That a browser session's cookies never stand in for a key either is
	// tested where the portal mounts the API, in handlers.)
	tests := []struct {
		name   string
		key    string
		header []string
	}{
		{"missing key", "", nil},
		{"wrong key", "pqk_" + strings.Repeat("A", 43), nil},
		{"rotated key", key, nil},
		{"revoked key", revokedKey, nil},
		{"rotated key as a bearer token", "", []string{"Authorization", "Bearer " + key}},
		{"key under another scheme", "", []string{"Authorization", "Basic " + newKey}},
		{"key in another header", "", []string{"X-Api-Token", newKey}},
		{"key as a cookie", "", []string{"Cookie", "x-api-key=" + newKey + "; apiKey=" + newKey}},
	}
	for _, tt := range tests {
		for _, path := range []string{"/api/v1/decision", "/api/v1/score", "/api/v1/usage"} {
			t.Run(tt.name+path, func(t *testing.T) {
				method := http.MethodPost
				if strings.HasSuffix(path, "usage") {
					method = http.MethodGet
				}
				r := p.call(method, path, tt.key, seedRequest, tt.header...)
				if r.status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401: %s", r.status, r.body)
				}
				assertSameJSON(t, r.body, bodyUnauthorized)
				if r.header.Get("RateLimit-Limit") != "" {
					t.Error("a 401 carries RateLimit headers (there is no key whose budget they describe)")
				}
			})
		}
	}
	t.Run("new key after rotation works", func(t *testing.T) {
		r := p.call(http.MethodPost, "/api/v1/decision", newKey, seedRequest)
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}

func TestAPIDemoKey(t *testing.T) {
	t.Run("stage answers the seed's sample whatever the body", func(t *testing.T) {
		p := newTestAPI(t)
		for _, tt := range []struct {
			method, path, body, want string
		}{
			{http.MethodPost, "/api/v1/decision", seedRequest, seedDecision},
			{http.MethodPost, "/api/v1/decision", `{"age": 5, "bogus": true}`, seedDecision},
			{http.MethodPost, "/api/v1/score", `not json`, seedScore},
			{http.MethodGet, "/api/v1/usage", "", seedUsage},
		} {
			r := p.call(tt.method, tt.path, "demo-key-123", tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("%s %s: status %d: %s", tt.method, tt.path, r.status, r.body)
			}
			assertSameJSONBytes(t, r.body, tt.want)
			if r.header.Get("RateLimit-Limit") != "1000" {
				t.Errorf("demo RateLimit-Limit %q, want 1000", r.header.Get("RateLimit-Limit"))
			}
		}
	})
	t.Run("production refuses it", func(t *testing.T) {
		p := newTestAPI(t, func(c *Config) { c.Production = true })
		for _, path := range []string{"/api/v1/decision", "/api/v1/score"} {
			r := p.call(http.MethodPost, path, "demo-key-123", seedRequest)
			if r.status != http.StatusUnauthorized {
				t.Fatalf("%s: status %d, want 401", path, r.status)
			}
			assertSameJSON(t, r.body, bodyUnauthorized)
		}
		_, key := p.newAPIKey("acme")
		if r := p.call(http.MethodPost, "/api/v1/decision", key, seedRequest); r.status != http.StatusOK {
			t.Errorf("a real key in production: status %d", r.status)
		}
	})
}

// fakeClock is a settable clock for the rate limiter.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The per-key limits and their headers, counted in this process's memory (one
// instance) and in the database (SharedRateLimiter: several instances on
// PostgreSQL; here on the test's SQLite file), which must answer alike.
func TestAPIRateLimit(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "shared"}[shared], func(t *testing.T) {
			testAPIRateLimit(t, shared)
		})
	}
}

func testAPIRateLimit(t *testing.T, shared bool) {
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	p := newTestAPI(t, func(c *Config) {
		c.Limits = Limits{APIKeyPerMinute: 3, DemoKeyPerMinute: 2}
		c.Now = clock.now
	})
	if shared {
		p.store.SetClock(clock.now)
		p.api.limiter = SharedRateLimiter(store.NewRateLimiter(p.store))
	}
	_, key := p.newAPIKey("acme")
	_, other := p.newAPIKey("other")

	call := func(key string) apiResponse { return p.call(http.MethodPost, "/api/v1/score", key, seedRequest) }
	for i, wantRemaining := range []string{"2", "1", "0"} {
		clock.add(10 * time.Second)
		r := call(key)
		if r.status != http.StatusOK {
			t.Fatalf("call %d: status %d", i+1, r.status)
		}
		if got := r.header.Get("RateLimit-Remaining"); got != wantRemaining {
			t.Errorf("call %d: RateLimit-Remaining %q, want %s", i+1, got, wantRemaining)
		}
		if got := r.header.Get("RateLimit-Limit"); got != "3" {
			t.Errorf("call %d: RateLimit-Limit %q, want 3", i+1, got)
		}
		// The window opened with the first call, 10 s in: it resets 60 s later.
		if got, want := r.header.Get("RateLimit-Reset"), strconv.Itoa(60-10*i); got != want {
			t.Errorf("call %d: RateLimit-Reset %q, want %s", i+1, got, want)
		}
	}
	r := call(key)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("call over the limit: status %d, want 429", r.status)
	}
	assertSameJSON(t, r.body, bodyRateLimited)
	if r.header.Get("Retry-After") != "40" || r.header.Get("RateLimit-Remaining") != "0" || r.header.Get("RateLimit-Reset") != "40" {
		t.Errorf("429 headers: Retry-After %q, Remaining %q, Reset %q; want 40, 0, 40",
			r.header.Get("Retry-After"), r.header.Get("RateLimit-Remaining"), r.header.Get("RateLimit-Reset"))
	}
	if r := p.call(http.MethodGet, "/api/v1/usage", key, ""); r.status != http.StatusTooManyRequests {
		t.Errorf("usage over the limit: status %d, want 429 (the limit is per key, not per route)", r.status)
	}
	if r := call(other); r.status != http.StatusOK || r.header.Get("RateLimit-Remaining") != "2" {
		t.Errorf("another key: status %d, remaining %q; want its own budget", r.status, r.header.Get("RateLimit-Remaining"))
	}
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		if r := call("demo-key-123"); r.status != want {
			t.Errorf("demo call %d: status %d, want %d (demo limit 2)", i+1, r.status, want)
		}
	}

	clock.add(40 * time.Second) // the first key's window ends
	r = call(key)
	if r.status != http.StatusOK || r.header.Get("RateLimit-Remaining") != "2" || r.header.Get("RateLimit-Reset") != "60" {
		t.Errorf("after the window: status %d, remaining %q, reset %q; want 200, 2, 60",
			r.status, r.header.Get("RateLimit-Remaining"), r.header.Get("RateLimit-Reset"))
	}
}

func TestAPIUsageCountsBilledCalls(t *testing.T) {
	p := newTestAPI(t)
	now := time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	p.store.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	k, key := p.newAPIKey("abc123")
	_, otherKey := p.newAPIKey("other")

	const decisions, scores = 5, 3
	var wg sync.WaitGroup
	for i := range decisions + scores {
		path := "/api/v1/decision"
		if i >= decisions {
			path = "/api/v1/score"
		}
		wg.Go(func() {
			if r := p.call(http.MethodPost, path, key, seedRequest); r.status != http.StatusOK {
				t.Errorf("%s: status %d", path, r.status)
			}
		})
	}
	wg.Wait()
	// Not billed: invalid calls, unauthenticated calls, the demo key, usage itself, other keys.
	p.call(http.MethodPost, "/api/v1/decision", key, `{}`)
	p.call(http.MethodPost, "/api/v1/decision", "", seedRequest)
	p.call(http.MethodPost, "/api/v1/decision", "demo-key-123", seedRequest)
	p.call(http.MethodPost, "/api/v1/decision", otherKey, seedRequest)

	usage := func() apiResponse {
		t.Helper()
		r := p.call(http.MethodGet, "/api/v1/usage", key, "")
		if r.status != http.StatusOK {
			t.Fatalf("usage: status %d: %s", r.status, r.body)
		}
		return r
	}
	r := usage()
	want := `{"success":true,"usage":{"tenantId":"abc123","calls":8,"callsThisMonth":8,"createdAt":"2026-01-31T23:00:00.000Z"}}`
	assertSameJSONBytes(t, r.body, want)
	if k.CreatedAt.Format(apiTimeLayout) != "2026-01-31T23:00:00.000Z" {
		t.Errorf("key created %v", k.CreatedAt)
	}

	mu.Lock()
	now = now.Add(2 * time.Hour) // February: a new month
	mu.Unlock()
	if r := p.call(http.MethodPost, "/api/v1/decision", key, seedRequest); r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	assertSameJSONBytes(t, usage().body,
		`{"success":true,"usage":{"tenantId":"abc123","calls":9,"callsThisMonth":1,"createdAt":"2026-01-31T23:00:00.000Z"}}`)

	// Rotation keeps the key's usage: it is the same key with a new secret.
	_, rotated, err := p.store.RotateAPIKey(context.Background(), k.ID, false, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	r = p.call(http.MethodGet, "/api/v1/usage", rotated, "")
	assertSameJSONBytes(t, r.body,
		`{"success":true,"usage":{"tenantId":"abc123","calls":9,"callsThisMonth":1,"createdAt":"2026-01-31T23:00:00.000Z"}}`)
}

func TestAPIInternalErrorHidesDetails(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme")
	if err := p.store.Close(); err != nil {
		t.Fatal(err)
	}
	r := p.call(http.MethodPost, "/api/v1/decision", key, seedRequest)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", r.status)
	}
	assertSameJSONBytes(t, r.body, bodyInternal)
}
