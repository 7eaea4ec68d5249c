package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

// The headless journeys API over real HTTP: sessions and their tokens, every
// authorization boundary, the profile's validation and the submit's
// idempotency. The whole journey against the stage platform, scenario by
// scenario, is cmd/portal's TestHeadlessJourneysDriveEveryScenario.

var idemSeq int

// idem is a fresh Idempotency-Key header pair.
func idem() []string {
	idemSeq++
	return []string{HeaderIdempotencyKey, "test-" + time.Now().Format("150405.000000") + "-" + string(rune('a'+idemSeq%26)) + strings.Repeat("x", idemSeq%7)}
}

func bearer(token string, more ...string) []string {
	return append([]string{"Authorization", "Bearer " + token}, more...)
}

func decode[T any](t *testing.T, r apiResponse) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("answer %d is not the JSON expected: %v\n%s", r.status, err, r.body)
	}
	return v
}

// openSession opens a session for ref with key and returns it.
func openSession(t *testing.T, p *testAPI, key, ref string) sessionResponse {
	t.Helper()
	r := p.call(http.MethodPost, "/api/v1/headless/sessions", key, `{"externalRef":"`+ref+`"}`, idem()...)
	if r.status != http.StatusCreated {
		t.Fatalf("open session: %d %s", r.status, r.body)
	}
	return decode[sessionResponse](t, r)
}

func TestHeadlessSessionsRotateAndDetectReuse(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)

	if r := p.call(http.MethodPost, "/api/v1/headless/sessions", key, `{"externalRef":"user-1"}`); r.status != http.StatusBadRequest {
		t.Fatalf("no Idempotency-Key: %d", r.status)
	} else {
		assertProblem(t, r, "idempotency-key-required")
	}
	if r := p.call(http.MethodPost, "/api/v1/headless/sessions", key, `{"externalRef":""}`, idem()...); r.status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.body), `"/externalRef"`) {
		t.Fatalf("empty reference: %d %s", r.status, r.body)
	}

	s1 := openSession(t, p, key, "user-1")
	if !strings.HasPrefix(s1.SessionToken, "bst_") || !strings.HasPrefix(s1.RefreshToken, "brt_") ||
		!s1.SessionExpiresAt.After(time.Now()) || !s1.RefreshExpiresAt.After(s1.SessionExpiresAt) || len(s1.Journeys) != 0 {
		t.Fatalf("session %+v", s1)
	}
	if r := p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(s1.SessionToken)...); r.status != http.StatusOK {
		t.Fatalf("session token refused: %d %s", r.status, r.body)
	}

	// The same reference is the same borrower, with their journeys.
	if r := p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(s1.SessionToken, idem()...)...); r.status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	again := openSession(t, p, key, "user-1")
	if again.BorrowerID != s1.BorrowerID || len(again.Journeys) != 1 || again.Journeys[0].State.Status != lending.JourneyStarted {
		t.Fatalf("second session of the same borrower: %+v", again)
	}

	// Rotation: each refresh token is good once.
	r := p.call(http.MethodPost, "/api/v1/headless/sessions/refresh", key, `{"refreshToken":"`+s1.RefreshToken+`"}`, idem()...)
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	s2 := decode[sessionResponse](t, r)
	if s2.RefreshToken == s1.RefreshToken || s2.SessionToken == s1.SessionToken || s2.BorrowerID != s1.BorrowerID {
		t.Fatalf("refresh did not rotate: %+v", s2)
	}
	if r := p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(s2.SessionToken)...); r.status != http.StatusOK {
		t.Fatalf("refreshed token refused: %d", r.status)
	}

	// Reuse of the spent token revokes the family: the newest tokens too.
	r = p.call(http.MethodPost, "/api/v1/headless/sessions/refresh", key, `{"refreshToken":"`+s1.RefreshToken+`"}`, idem()...)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("reused refresh token: %d %s", r.status, r.body)
	}
	assertProblem(t, r, "refresh-token-invalid")
	if r := p.call(http.MethodPost, "/api/v1/headless/sessions/refresh", key, `{"refreshToken":"`+s2.RefreshToken+`"}`, idem()...); r.status != http.StatusUnauthorized {
		t.Fatalf("the family's newest refresh token after reuse: %d", r.status)
	}
	for _, tok := range []string{s1.SessionToken, s2.SessionToken} {
		if r := p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(tok)...); r.status != http.StatusUnauthorized {
			t.Fatalf("session token of a revoked family: %d", r.status)
		}
	}
	// Another family of the same borrower is not affected.
	if r := p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(again.SessionToken)...); r.status != http.StatusOK {
		t.Fatalf("another session of the borrower: %d", r.status)
	}
}

func TestHeadlessSessionTokensExpire(t *testing.T) {
	clock := time.Now()
	p := newTestAPI(t, func(c *Config) {
		c.Now = func() time.Time { return clock }
		c.Journeys.TTL = store.HeadlessTTL{Access: 10 * time.Minute, Refresh: time.Hour}
	})
	p.store.SetClock(func() time.Time { return clock })
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)
	s := openSession(t, p, key, "user-1")
	if got := s.SessionExpiresAt.Sub(clock); got < 9*time.Minute || got > 10*time.Minute {
		t.Errorf("session token lives %v", got)
	}
	clock = clock.Add(10*time.Minute + time.Second)
	if r := p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(s.SessionToken)...); r.status != http.StatusUnauthorized {
		t.Fatalf("expired session token: %d", r.status)
	} else {
		assertProblem(t, r, "unauthorized")
	}
	r := p.call(http.MethodPost, "/api/v1/headless/sessions/refresh", key, `{"refreshToken":"`+s.RefreshToken+`"}`, idem()...)
	if r.status != http.StatusOK {
		t.Fatalf("refresh within its life: %d %s", r.status, r.body)
	}
	s2 := decode[sessionResponse](t, r)
	clock = clock.Add(time.Hour + time.Second)
	if r := p.call(http.MethodPost, "/api/v1/headless/sessions/refresh", key, `{"refreshToken":"`+s2.RefreshToken+`"}`, idem()...); r.status != http.StatusUnauthorized {
		t.Fatalf("expired refresh token: %d", r.status)
	}
}

func TestHeadlessAuthorizationBoundaries(t *testing.T) {
	p := newTestAPI(t)
	_, keyA := p.newAPIKey("acme", lending.ScopeJourneys)
	_, keyB := p.newAPIKey("birch", lending.ScopeJourneys)
	_, decisionOnly := p.newAPIKey("acme", lending.ScopeDecision)
	_, operator := p.newAPIKey("ops", lending.ScopeJourneys, lending.ScopeOperator)

	owner := openSession(t, p, keyA, "user-1")
	sameP := openSession(t, p, keyA, "user-2")
	otherP := openSession(t, p, keyB, "user-1") // the same reference at another partner is another borrower
	opsB := openSession(t, p, operator, "user-1")
	r := p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(owner.SessionToken, idem()...)...)
	if r.status != http.StatusCreated {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	j := decode[journeyResponse](t, r)
	if r.header.Get("Location") != "/api/v1/headless/journeys/"+j.ID {
		t.Errorf("Location %q", r.header.Get("Location"))
	}

	unknown := p.call(http.MethodGet, "/api/v1/headless/journeys/"+strings.Repeat("a", 26), "", "", bearer(owner.SessionToken)...)
	if unknown.status != http.StatusNotFound {
		t.Fatalf("unknown journey: %d", unknown.status)
	}
	paths := []struct{ method, path, body string }{
		{http.MethodGet, "", ""}, {http.MethodGet, "/state", ""}, {http.MethodGet, "/offers", ""},
		{http.MethodPut, "/profile", `{"firstName":"Eve"}`}, {http.MethodPost, "/submit", ""},
		{http.MethodPost, "/offers/p-1/proceed", ""}, {http.MethodPatch, "/resume", ""}, {http.MethodPost, "/cancel", ""},
	}
	for _, who := range []struct {
		name  string
		token string
	}{{"another borrower of the partner", sameP.SessionToken}, {"another partner's borrower", otherP.SessionToken},
		{"an operator partner's borrower", opsB.SessionToken}} {
		for _, c := range paths {
			r := p.call(c.method, "/api/v1/headless/journeys/"+j.ID+c.path, "", c.body, bearer(who.token, idem()...)...)
			if r.status != http.StatusNotFound || string(r.body) != strings.Replace(string(unknown.body), unknownCorrelation(t, unknown), unknownCorrelation(t, r), 1) {
				t.Errorf("%s: %s %s → %d %s; want the unknown journey's 404", who.name, c.method, c.path, r.status, r.body)
			}
		}
		list := decode[struct{ Journeys []journeyResponse }](t, p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(who.token)...))
		if len(list.Journeys) != 0 {
			t.Errorf("%s lists %d journeys", who.name, len(list.Journeys))
		}
	}
	// Nothing happened to the journey.
	if got := decode[journeyResponse](t, p.call(http.MethodGet, "/api/v1/headless/journeys/"+j.ID, "", "", bearer(owner.SessionToken)...)); got.State.Status != lending.JourneyStarted {
		t.Errorf("journey after others' calls: %+v", got.State)
	}

	// A partner's key on borrower routes, a borrower's token on partner routes.
	if r := p.call(http.MethodGet, "/api/v1/headless/journeys/"+j.ID, keyA, ""); r.status != http.StatusUnauthorized {
		t.Errorf("partner key (x-api-key) on a borrower route: %d", r.status)
	}
	if r := p.call(http.MethodGet, "/api/v1/headless/journeys", "", "", bearer(keyA)...); r.status != http.StatusUnauthorized {
		t.Errorf("partner key (Bearer) on a borrower route: %d", r.status)
	}
	if r := p.call(http.MethodPost, "/api/v1/headless/sessions", "", `{"externalRef":"x"}`, bearer(owner.SessionToken, idem()...)...); r.status != http.StatusUnauthorized {
		t.Errorf("borrower token on a partner route: %d", r.status)
	}
	if r := p.call(http.MethodPost, "/api/v1/decision", "", `{}`, bearer(owner.SessionToken)...); r.status != http.StatusUnauthorized {
		t.Errorf("borrower token on the decision API: %d", r.status)
	}
	if r := p.call(http.MethodPost, "/api/v1/headless/sessions", decisionOnly, `{"externalRef":"x"}`, idem()...); r.status != http.StatusForbidden {
		t.Errorf("key without the journeys scope: %d", r.status)
	} else {
		assertProblem(t, r, "missing-scope")
	}
	// Another partner cannot spend a partner's refresh token.
	if r := p.call(http.MethodPost, "/api/v1/headless/sessions/refresh", keyB, `{"refreshToken":"`+owner.RefreshToken+`"}`, idem()...); r.status != http.StatusUnauthorized {
		t.Errorf("another partner's refresh token: %d", r.status)
	}
}

// unknownCorrelation is the correlationId member of a problem (it differs per request).
func unknownCorrelation(t *testing.T, r apiResponse) string {
	t.Helper()
	var doc problemDocument
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("not a problem: %s", r.body)
	}
	return doc.CorrelationID
}

func TestHeadlessProfileValidationAndSubmit(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)
	s := openSession(t, p, key, "user-1")
	tok := s.SessionToken
	j := decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(tok, idem()...)...))
	if j.State.Status != lending.JourneyStarted || j.State.NextAction != lending.ActionCompleteProfile || !j.State.ActionRequired ||
		j.State.Resource.Href != "/api/v1/headless/journeys/"+j.ID+"/profile" || j.State.Diagnostics.PollAfterSeconds != 0 {
		t.Fatalf("started journey %+v", j.State)
	}
	path := "/api/v1/headless/journeys/" + j.ID

	if r := p.call(http.MethodPut, path+"/profile", "", `{}`, bearer(tok)...); r.status != http.StatusBadRequest {
		t.Errorf("profile without Idempotency-Key: %d", r.status)
	}
	if r := p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, idem()...)...); r.status != http.StatusUnprocessableEntity {
		t.Errorf("submit without a profile: %d %s", r.status, r.body)
	}

	bad := `{"requestedLoanAmount":"50","firstName":"","email":"nope","ssn":"078-05-112","dob":"1990-04-12","consentTerms":true,"favouriteColour":"red","phone":7}`
	r := p.call(http.MethodPut, path+"/profile", "", bad, bearer(tok, idem()...)...)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid profile: %d %s", r.status, r.body)
	}
	assertProblem(t, r, "validation")
	if strings.Contains(string(r.body), "078-05-112") || strings.Contains(string(r.body), "07805112") {
		t.Errorf("the SSN is echoed: %s", r.body)
	}
	var doc problemDocument
	_ = json.Unmarshal(r.body, &doc)
	got := map[string]bool{}
	for _, f := range doc.Errors {
		got[f.Pointer] = true
	}
	for _, want := range []string{"/requestedLoanAmount", "/firstName", "/lastName", "/email", "/ssn", "/street", "/consentSoftPull",
		"/consentEsign", "/favouriteColour", "/phone", "/creditRating"} {
		if !got[want] {
			t.Errorf("no error for %s in %s", want, r.body)
		}
	}
	if got["/dob"] || got["/consentTerms"] {
		t.Errorf("errors for valid fields: %s", r.body)
	}
	st := decode[stateResponse](t, p.call(http.MethodGet, path+"/state", "", "", bearer(tok)...))
	if st.Status != lending.JourneyProfileRequired || st.NextAction != lending.ActionCompleteProfile {
		t.Errorf("after an invalid profile: %+v", st)
	}

	good := `{"requestedLoanAmount":"15000","loanPurpose":"debt_consolidation","firstName":"Alex","lastName":"Rivera",
		"email":"alex@example.com","phone":"202-555-0143","dob":"1990-04-12","ssn":"123-45-6789","street":"1 Main St",
		"city":"Springfield","state":"IL","zipcode":"62701","employmentStatus":"employed","incomeYearly":"85000",
		"housingType":"rent","housingMonthlyPayment":"1400","creditRating":"good",
		"consentSoftPull":"yes","consentTerms":true,"consentEsign":"yes"}`
	r = p.call(http.MethodPut, path+"/profile", "", good, bearer(tok, idem()...)...)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "6789") {
		t.Fatalf("valid profile: %d %s", r.status, r.body)
	}
	if j := decode[journeyResponse](t, r); j.State.Status != lending.JourneyProfileSubmitted || j.State.NextAction != lending.ActionSubmitProfile {
		t.Fatalf("after a valid profile: %+v", j.State)
	}

	submitKey := idem()
	r = p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, submitKey...)...)
	if r.status != http.StatusOK {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	sub := decode[journeyResponse](t, r)
	if sub.ApplicationID == "" || sub.State.Status != lending.JourneyProfileSubmitted || sub.State.NextAction != lending.ActionWaitForOffers ||
		sub.State.Diagnostics.WaitingFor != lending.WaitingForSubmission || sub.State.Diagnostics.PollAfterSeconds != 2 {
		t.Fatalf("submitted: %+v", sub)
	}
	replay := p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, submitKey...)...)
	if replay.status != http.StatusOK || replay.header.Get(HeaderIdempotentReplayed) != "true" || string(replay.body) != string(r.body) {
		t.Errorf("replayed submit: %d %q %s", replay.status, replay.header.Get(HeaderIdempotentReplayed), replay.body)
	}
	if again := decode[journeyResponse](t, p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, idem()...)...)); again.ApplicationID != sub.ApplicationID {
		t.Errorf("a second submit made another application: %s", again.ApplicationID)
	}
	if r := p.call(http.MethodPut, path+"/profile", "", good, bearer(tok, idem()...)...); r.status != http.StatusConflict {
		t.Errorf("profile after submission: %d", r.status)
	}

	app, err := p.store.Application(t.Context(), sub.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if app.Channel != lending.ChannelHeadlessJourney || app.PartnerID != "acme" || app.SSNLast4 != "6789" {
		t.Errorf("application %s %q %s", app.Channel, app.PartnerID, app.SSNLast4)
	}

	// Cancel while waiting: CLOSED, and a second cancel is refused.
	r = p.call(http.MethodPost, path+"/cancel", "", "", bearer(tok, idem()...)...)
	if c := decode[journeyResponse](t, r); r.status != http.StatusOK || c.State.Status != lending.JourneyClosed {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := p.call(http.MethodPost, path+"/cancel", "", "", bearer(tok, idem()...)...); r.status != http.StatusConflict {
		t.Errorf("cancel of a closed journey: %d", r.status)
	}

	// Every state change wrote a journey.snapshot, in order.
	events, err := p.store.JourneyEvents(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, e := range events {
		var pl store.JourneySnapshotPayload
		_ = json.Unmarshal(e.Payload, &pl)
		statuses = append(statuses, pl.Status+"/"+pl.NextAction)
		if e.PartnerID != "acme" {
			t.Errorf("event of partner %q", e.PartnerID)
		}
	}
	want := "STARTED/COMPLETE_PROFILE PROFILE_REQUIRED/COMPLETE_PROFILE PROFILE_SUBMITTED/SUBMIT_PROFILE PROFILE_SUBMITTED/WAIT_FOR_OFFERS CLOSED/NONE"
	if strings.Join(statuses, " ") != want {
		t.Errorf("snapshots\n got %s\nwant %s", strings.Join(statuses, " "), want)
	}
}

func TestHeadlessResumeSpendsAResumeLinkOfTheJourney(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)
	s := openSession(t, p, key, "user-1")
	tok := s.SessionToken
	j := decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(tok, idem()...)...))
	path := "/api/v1/headless/journeys/" + j.ID
	if r := p.call(http.MethodPatch, path+"/resume", "", `{"resumeToken":"x"}`, bearer(tok, idem()...)...); r.status != http.StatusUnprocessableEntity {
		t.Errorf("resume token of a draft: %d", r.status)
	}
	profile := `{"requestedLoanAmount":"15000","loanPurpose":"debt_consolidation","firstName":"Alex","lastName":"Rivera",
		"email":"alex@example.com","phone":"202-555-0143","dob":"1990-04-12","ssn":"123-45-6789","street":"1 Main St",
		"city":"Springfield","state":"IL","zipcode":"62701","employmentStatus":"employed","incomeYearly":"85000",
		"housingType":"rent","housingMonthlyPayment":"1400","creditRating":"good",
		"consentSoftPull":"yes","consentTerms":"yes","consentEsign":"yes"}`
	if r := p.call(http.MethodPut, path+"/profile", "", profile, bearer(tok, idem()...)...); r.status != http.StatusOK {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	sub := decode[journeyResponse](t, p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, idem()...)...))
	link, err := p.store.IssueResumeToken(t.Context(), sub.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.call(http.MethodPatch, path+"/resume", "", `{"resumeToken":"`+link+`"}`, bearer(tok, idem()...)...); r.status != http.StatusOK {
		t.Fatalf("resume with the journey's link: %d %s", r.status, r.body)
	}
	if app, _ := p.store.Application(t.Context(), sub.ApplicationID); app.EmailConfirmedAt.IsZero() {
		t.Error("the email address is not confirmed")
	}
	r := p.call(http.MethodPatch, path+"/resume", "", `{"resumeToken":"`+link+`"}`, bearer(tok, idem()...)...)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), "already used") {
		t.Errorf("a spent link: %d %s", r.status, r.body)
	}
	if r := p.call(http.MethodPatch, path+"/resume", "", ``, bearer(tok, idem()...)...); r.status != http.StatusOK {
		t.Errorf("resume without a body: %d %s", r.status, r.body)
	}
}

// Screening holds a journey's application for an officer exactly as it holds
// a web application: the same borrower giving the same SSN under another
// name. The state waits for REVIEW, polling in the passive band.
func TestHeadlessReviewHoldAsOnTheWeb(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)
	tok := openSession(t, p, key, "user-1").SessionToken
	submit := func(first string) journeyResponse {
		t.Helper()
		j := decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(tok, idem()...)...))
		profile := `{"requestedLoanAmount":"15000","loanPurpose":"debt_consolidation","firstName":"` + first + `","lastName":"Rivera",
			"email":"alex@example.com","phone":"202-555-0143","dob":"1990-04-12","ssn":"123-45-6789","street":"1 Main St",
			"city":"Springfield","state":"IL","zipcode":"62701","employmentStatus":"employed","incomeYearly":"85000",
			"housingType":"rent","housingMonthlyPayment":"1400","creditRating":"good",
			"consentSoftPull":"yes","consentTerms":"yes","consentEsign":"yes"}`
		if r := p.call(http.MethodPut, "/api/v1/headless/journeys/"+j.ID+"/profile", "", profile, bearer(tok, idem()...)...); r.status != http.StatusOK {
			t.Fatalf("profile: %d %s", r.status, r.body)
		}
		return decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys/"+j.ID+"/submit", "", "", bearer(tok, idem()...)...))
	}
	if first := submit("Alex"); first.State.NextAction != lending.ActionWaitForOffers {
		t.Fatalf("first journey: %+v", first.State)
	}
	held := submit("Jordan")
	if held.State.Status != lending.JourneyOffersPending || held.State.NextAction != lending.ActionWaitForReview ||
		held.State.Diagnostics.WaitingFor != lending.WaitingForReview || held.State.Diagnostics.PollAfterSeconds != 15 {
		t.Fatalf("held journey: %+v", held.State)
	}
	if app, _ := p.store.Application(t.Context(), held.ApplicationID); app.Review.Status != lending.ReviewManualReview {
		t.Errorf("review status %s", app.Review.Status)
	}
	r := p.call(http.MethodPost, "/api/v1/headless/journeys/"+held.ID+"/cancel", "", "", bearer(tok, idem()...)...)
	if c := decode[journeyResponse](t, r); c.State.Status != lending.JourneyClosed {
		t.Errorf("canceled held journey: %+v", c.State)
	}
}

// A profile may carry a co-applicant as a nested object, validated by the web
// form's co-applicant rules with errors at /coApplicant/…, their SSN never
// echoed; submitted, the co-applicant is stored with the application as the
// web form stores them.
func TestHeadlessProfileCarriesACoApplicant(t *testing.T) {
	p := newTestAPI(t)
	_, key := p.newAPIKey("acme", lending.ScopeJourneys)
	tok := openSession(t, p, key, "user-co").SessionToken
	j := decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(tok, idem()...)...))
	path := "/api/v1/headless/journeys/" + j.ID
	primary := `"requestedLoanAmount":"15000","loanPurpose":"debt_consolidation","firstName":"Alex","lastName":"Rivera",
		"email":"alex@example.com","phone":"202-555-0143","dob":"1990-04-12","ssn":"123-45-6789","street":"1 Main St",
		"city":"Springfield","state":"IL","zipcode":"62701","employmentStatus":"employed","incomeYearly":"85000",
		"housingType":"rent","housingMonthlyPayment":"1400","creditRating":"good",
		"consentSoftPull":"yes","consentTerms":true,"consentEsign":"yes"`

	for _, tc := range []struct{ name, co, pointer string }{
		{"not an object", `"yes"`, "/coApplicant"},
		{"unknown member", `{"nickname":"Sam"}`, "/coApplicant/nickname"},
	} {
		r := p.call(http.MethodPut, path+"/profile", "", `{`+primary+`,"coApplicant":`+tc.co+`}`, bearer(tok, idem()...)...)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.body), `"`+tc.pointer+`"`) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}

	bad := `{` + primary + `,"coApplicant":{"firstName":"Sam","email":"nope","dob":"1991-02-03","ssn":"123-45-6789",
		"relationship":"cousin","incomeYearly":"40000","consentTerms":true,"consentSoftPull":7}}`
	r := p.call(http.MethodPut, path+"/profile", "", bad, bearer(tok, idem()...)...)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid co-applicant: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "123-45-6789") || strings.Contains(string(r.body), "123456789") {
		t.Errorf("the SSN is echoed: %s", r.body)
	}
	var doc problemDocument
	_ = json.Unmarshal(r.body, &doc)
	got := map[string]string{}
	for _, f := range doc.Errors {
		got[f.Pointer] = f.Detail
	}
	for _, want := range []string{"/coApplicant/lastName", "/coApplicant/email", "/coApplicant/ssn", "/coApplicant/relationship",
		"/coApplicant/employmentStatus", "/coApplicant/consentSoftPull", "/coApplicant/consentEsign"} {
		if got[want] == "" {
			t.Errorf("no error for %s in %s", want, r.body)
		}
	}
	for _, valid := range []string{"/coApplicant/firstName", "/coApplicant/dob", "/coApplicant/incomeYearly", "/coApplicant/consentTerms", "/ssn", "/firstName"} {
		if got[valid] != "" {
			t.Errorf("error for the valid %s: %s", valid, got[valid])
		}
	}
	if !strings.Contains(got["/coApplicant/ssn"], "differ") {
		t.Errorf("the co-applicant's SSN equal to the borrower's: %q", got["/coApplicant/ssn"])
	}

	good := `{` + primary + `,"coApplicant":{"firstName":"Sam","lastName":"Rivera","email":"sam@example.com","dob":"1991-02-03",
		"ssn":"321-54-9876","relationship":"spouse","employmentStatus":"employed","incomeYearly":"40000",
		"housingMonthlyPayment":"600","consentSoftPull":true,"consentTerms":"yes","consentEsign":true}}`
	r = p.call(http.MethodPut, path+"/profile", "", good, bearer(tok, idem()...)...)
	if r.status != http.StatusOK || strings.Contains(string(r.body), "9876") {
		t.Fatalf("valid profile with a co-applicant: %d %s", r.status, r.body)
	}
	r = p.call(http.MethodPost, path+"/submit", "", "", bearer(tok, idem()...)...)
	if r.status != http.StatusOK {
		t.Fatalf("submit: %d %s", r.status, r.body)
	}
	app, err := p.store.Application(t.Context(), decode[journeyResponse](t, r).ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	co := app.CoApplicant
	if co == nil || co.FullName() != "Sam Rivera" || co.SSNLast4 != "9876" || co.SSN != "" || co.Relationship != "spouse" ||
		co.IncomeYearly != 40000_00 || co.HousingMonthly != 600_00 || app.HouseholdIncomeYearly() != 125000_00 {
		t.Errorf("stored co-applicant %+v", co)
	}

	// null is no co-applicant.
	j2 := decode[journeyResponse](t, p.call(http.MethodPost, "/api/v1/headless/journeys", "", "", bearer(tok, idem()...)...))
	r = p.call(http.MethodPut, "/api/v1/headless/journeys/"+j2.ID+"/profile", "", `{`+primary+`,"coApplicant":null}`, bearer(tok, idem()...)...)
	if r.status != http.StatusOK {
		t.Errorf("profile with coApplicant null: %d %s", r.status, r.body)
	}
}

// The document's co-applicant object names exactly the members the profile
// takes, and the relationships lending allows.
func TestOpenAPICoApplicantProfileMatchesTheForm(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				CoApplicantProfile struct {
					Properties map[string]struct {
						Enum []string `json:"enum"`
					} `json:"properties"`
				} `json:"CoApplicantProfile"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc.Components.Schemas.CoApplicantProfile.Properties
	if len(props) != len(lending.CoApplicantFields) {
		t.Errorf("documented %d co-applicant members, the form has %d fields", len(props), len(lending.CoApplicantFields))
	}
	for _, f := range lending.CoApplicantFields {
		if _, ok := props[coApplicantMember(f)]; !ok {
			t.Errorf("co-applicant member %s (field %s) is not documented", coApplicantMember(f), f)
		}
	}
	var rels []string
	for _, o := range lending.Relationships {
		rels = append(rels, o.Value)
	}
	if got := props["relationship"].Enum; strings.Join(got, ",") != strings.Join(rels, ",") {
		t.Errorf("documented relationships %v, lending allows %v", got, rels)
	}
}
