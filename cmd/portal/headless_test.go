package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
	"prequal/stage"
	"prequal/store"
)

// headlessClient is a partner's backend and its borrower's app in one: it
// talks to the portal over real HTTP, JSON only, as a partner's systems do.
type headlessClient struct {
	t      *testing.T
	base   string
	http   *http.Client
	apiKey string
	token  string // the borrower session token
	seq    atomic.Int64
}

type jsonAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (c *headlessClient) do(method, path, credential string, body any, header ...string) jsonAnswer {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+credential)
	if method != http.MethodGet {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d-%d", c.t.Name(), time.Now().UnixNano(), c.seq.Add(1)))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return jsonAnswer{resp.StatusCode, resp.Header, b}
}

func (c *headlessClient) borrower(method, path string, body any, header ...string) jsonAnswer {
	c.t.Helper()
	return c.do(method, "/api/v1/headless"+path, c.token, body, header...)
}

func mustJSON[T any](t *testing.T, a jsonAnswer, status int) T {
	t.Helper()
	var v T
	if a.status != status {
		t.Fatalf("answer %d, want %d: %s", a.status, status, a.body)
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a.body)
	}
	return v
}

// The public shapes, as a partner's client reads them.
type (
	hlState struct {
		JourneyID      string `json:"journeyId"`
		Status         string `json:"status"`
		NextAction     string `json:"nextAction"`
		ActionRequired bool   `json:"actionRequired"`
		Resource       struct {
			Kind, Href, URL string
		} `json:"resource"`
		Diagnostics struct {
			WaitingFor       string    `json:"waitingFor"`
			Since            time.Time `json:"since"`
			PollAfterSeconds int       `json:"pollAfterSeconds"`
		} `json:"diagnostics"`
	}
	hlJourney struct {
		ID            string  `json:"id"`
		ApplicationID string  `json:"applicationId"`
		State         hlState `json:"state"`
	}
	hlOffers struct {
		Fallback        bool   `json:"fallback"`
		FallbackReason  string `json:"fallbackReason"`
		SelectedOfferID string `json:"selectedOfferId"`
		Locked          bool   `json:"locked"`
		Groups          []struct {
			AmountRange string `json:"amountRange"`
			Offers      []struct {
				ID string `json:"id"`
			} `json:"offers"`
		} `json:"groups"`
		Notice *struct {
			HTML string `json:"html"`
		} `json:"notice"`
	}
)

// journeyOutcome is the journey state each scenario's expected lead status leads to.
var journeyOutcome = map[string]string{
	string(lending.LeadOffersFound): string(lending.JourneyOffersAvailable),
	string(lending.LeadNoOffers):    string(lending.JourneyRejected),
	string(lending.LeadTimedOut):    string(lending.JourneyExpired),
}

// Issue 14's end-to-end test: every QA scenario of /qa/scenarios.json, run
// through the headless journeys API alone (no HTML) against the embedded
// stage platform, polling on the intervals the state's diagnostics name.
func TestHeadlessJourneysDriveEveryScenario(t *testing.T) {
	p := startPortal(t, withEnv("PORTAL_LEAD_TIMEOUT", "8s", "PORTAL_POLL_AFTER", "2s", "PORTAL_POLL_EVERY", "500ms"))
	ctx := context.Background()
	_, key, err := p.App.store.CreateAPIKey(ctx, store.NewAPIKey{PartnerID: "acme-bank", Scopes: lending.Scopes{lending.ScopeJourneys}}, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	plain := &http.Client{Timeout: 10 * time.Second, Transport: publicHost(p.Cfg.BaseURL)}

	resp, err := plain.Get(p.URL + "/qa/scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	var scenarios []stage.Scenario
	err = json.NewDecoder(resp.Body).Decode(&scenarios)
	resp.Body.Close()
	if err != nil || len(scenarios) == 0 {
		t.Fatalf("scenarios: %v (%d)", err, len(scenarios))
	}

	t.Run("scenarios", func(t *testing.T) {
		for _, sc := range scenarios {
			t.Run(sc.ID, func(t *testing.T) {
				t.Parallel()
				c := &headlessClient{t: t, base: p.URL, http: plain, apiKey: key}
				// The partner's backend opens the borrower's session.
				sess := mustJSON[struct {
					SessionToken string `json:"sessionToken"`
				}](t, c.do(http.MethodPost, "/api/v1/headless/sessions", key, map[string]string{"externalRef": "qa-" + sc.ID}), http.StatusCreated)
				c.token = sess.SessionToken

				// The borrower's app: start, profile, submit.
				j := mustJSON[hlJourney](t, c.borrower(http.MethodPost, "/journeys", nil), http.StatusCreated)
				path := "/journeys/" + j.ID
				profile := headlessProfile(sc.Form)
				mustJSON[hlJourney](t, c.borrower(http.MethodPut, path+"/profile", profile), http.StatusOK)
				corr := "qa-headless-" + strings.ReplaceAll(sc.ID, "-", "")
				if len(corr) > 64 {
					corr = corr[:64]
				}
				j = mustJSON[hlJourney](t, c.borrower(http.MethodPost, path+"/submit", nil, "X-Correlation-ID", corr), http.StatusOK)

				// Poll the state on the interval diagnostics name until the
				// journey stops waiting.
				st := j.State
				deadline := time.Now().Add(60 * time.Second)
				for st.Diagnostics.PollAfterSeconds > 0 {
					if time.Now().After(deadline) {
						t.Fatalf("still %s/%s after a minute", st.Status, st.NextAction)
					}
					switch st.Diagnostics.WaitingFor {
					case string(lending.WaitingForSubmission), string(lending.WaitingForLenders):
						if n := st.Diagnostics.PollAfterSeconds; n < 2 || n > 5 {
							t.Errorf("poll after %d s while %s: outside seed 001's 2–5 s", n, st.Diagnostics.WaitingFor)
						}
					default:
						t.Errorf("waiting for %s in a QA scenario", st.Diagnostics.WaitingFor)
					}
					time.Sleep(time.Duration(st.Diagnostics.PollAfterSeconds) * time.Second)
					st = mustJSON[hlState](t, c.borrower(http.MethodGet, path+"/state", nil), http.StatusOK)
				}
				if want := journeyOutcome[sc.ExpectedStatus]; st.Status != want {
					t.Fatalf("journey ended %s/%s, want %s (lead %s)", st.Status, st.NextAction, want, sc.ExpectedStatus)
				}

				// One model: the journey is an application like any other.
				app := p.Application(j.ApplicationID)
				if app.Channel != lending.ChannelHeadlessJourney || app.PartnerID != "acme-bank" || !app.IsTest ||
					string(app.Lead.Status) != sc.ExpectedStatus || app.CorrelationID != corr {
					t.Errorf("application: channel %s partner %q test %v lead %s correlation %q",
						app.Channel, app.PartnerID, app.IsTest, app.Lead.Status, app.CorrelationID)
				}
				if withCo := sc.Form[lending.FieldCoApplicant] == lending.Checked; withCo != (app.CoApplicant != nil) ||
					withCo && (app.CoApplicant.FirstName != sc.Form[lending.FieldCoFirstName] || app.CoApplicant.SSN != "") {
					t.Errorf("co-applicant in the form %v, stored %+v", withCo, app.CoApplicant)
				}
				if page, err := p.App.store.Pipeline(ctx, store.PipelineFilter{Query: app.ID}); err != nil || len(page.Rows) != 1 ||
					page.Rows[0].Channel != lending.ChannelHeadlessJourney {
					t.Errorf("officers' pipeline: %v %+v", err, page.Rows)
				}
				if leads := p.StageLeads(app.PartnerLeadID); len(leads) != 1 {
					t.Errorf("the stage platform's call log holds %d leads", len(leads))
				}
				for _, leak := range []string{app.Lead.UUID, app.PartnerLeadID} {
					if leak != "" && strings.Contains(string(c.borrower(http.MethodGet, path, nil).body), leak) {
						t.Errorf("the journey exposes a platform internal %q", leak)
					}
				}

				offers := mustJSON[hlOffers](t, c.borrower(http.MethodGet, path+"/offers", nil), http.StatusOK)
				switch st.Status {
				case string(lending.JourneyOffersAvailable):
					proceedAndLock(t, c, path, offers, app)
					if sc.ID == stage.ScenarioOffersLowerOnly && (!offers.Fallback || offers.FallbackReason == "" ||
						offers.Groups[0].AmountRange != string(lending.RangeLower)) {
						t.Errorf("lower-only offers: fallback %v %q first %s", offers.Fallback, offers.FallbackReason, offers.Groups[0].AmountRange)
					}
					if sc.ID == stage.ScenarioOffersAllRanges && (offers.Fallback || len(offers.Groups) != 3 ||
						offers.Groups[0].AmountRange != string(lending.RangeRequested)) {
						t.Errorf("all-ranges offers: fallback %v, %d groups", offers.Fallback, len(offers.Groups))
					}
				case string(lending.JourneyRejected):
					if offers.Notice == nil || len(offers.Groups) != 0 {
						t.Fatalf("rejected journey's offers answer: %+v", offers)
					}
					if strings.Contains(offers.Notice.HTML, "<script") || strings.Contains(offers.Notice.HTML, "onerror") {
						t.Errorf("notice not sanitized: %s", offers.Notice.HTML)
					}
					if sc.ID == stage.ScenarioNoOffersWithNotice && offers.Notice.HTML == "" {
						t.Error("no notice")
					}
				case string(lending.JourneyExpired):
					// Resume starts a fresh search; cancel closes it.
					r := mustJSON[hlJourney](t, c.borrower(http.MethodPatch, path+"/resume", nil), http.StatusOK)
					if r.State.NextAction != string(lending.ActionWaitForOffers) || r.State.Diagnostics.PollAfterSeconds != 2 {
						t.Errorf("resumed expired journey: %+v", r.State)
					}
					if p.Application(j.ApplicationID).Lead.Attempt != 2 {
						t.Error("resume started no new attempt")
					}
					cl := mustJSON[hlJourney](t, c.borrower(http.MethodPost, path+"/cancel", nil), http.StatusOK)
					if cl.State.Status != string(lending.JourneyClosed) || p.Application(j.ApplicationID).Review.Status != lending.ReviewCanceled {
						t.Errorf("canceled journey: %+v", cl.State)
					}
					st = cl.State
				}

				// Every state change reached the outbox; the last is the journey's state.
				events, err := p.App.store.JourneyEvents(ctx, j.ID)
				if err != nil || len(events) < 4 {
					t.Fatalf("%d journey.snapshot events (%v)", len(events), err)
				}
				var last store.JourneySnapshotPayload
				if err := json.Unmarshal(events[len(events)-1].Payload, &last); err != nil {
					t.Fatal(err)
				}
				now := mustJSON[hlState](t, c.borrower(http.MethodGet, path+"/state", nil), http.StatusOK)
				if last.Status != now.Status || last.NextAction != now.NextAction {
					t.Errorf("last snapshot %s/%s, state %s/%s", last.Status, last.NextAction, now.Status, now.NextAction)
				}
				if logs := p.Logs.String(); strings.Contains(logs, c.token) || strings.Contains(logs, sc.Form[lending.FieldSSN]) {
					t.Error("the logs hold the session token or the SSN")
				}
			})
		}
	})
}

// proceedAndLock chooses the first offer, replays the choice, and checks the
// other offers are locked.
func proceedAndLock(t *testing.T, c *headlessClient, path string, offers hlOffers, app lending.Application) {
	t.Helper()
	var ids []string
	for _, g := range offers.Groups {
		for _, o := range g.Offers {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) < 2 {
		t.Fatalf("%d offers", len(ids))
	}
	type step struct {
		Step struct {
			Kind, URL string
		} `json:"step"`
		State hlState `json:"state"`
	}
	idem := "proceed-" + app.ID
	first := c.borrower(http.MethodPost, path+"/offers/"+ids[0]+"/proceed", nil, "Idempotency-Key", idem)
	s := mustJSON[step](t, first, http.StatusOK)
	if s.Step.Kind != string(lending.ResourceLenderRedirect) || !strings.Contains(s.Step.URL, "/lenders/") ||
		s.State.Status != string(lending.JourneyOfferSelected) || s.State.NextAction != string(lending.ActionContinueToLender) ||
		s.State.Resource.URL != s.Step.URL {
		t.Errorf("proceed: %+v", s)
	}
	replay := c.borrower(http.MethodPost, path+"/offers/"+ids[0]+"/proceed", nil, "Idempotency-Key", idem)
	if replay.status != http.StatusOK || replay.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay.body, first.body) {
		t.Errorf("replayed proceed: %d %q", replay.status, replay.header.Get("Idempotent-Replayed"))
	}
	if again := mustJSON[step](t, c.borrower(http.MethodPost, path+"/offers/"+ids[0]+"/proceed", nil), http.StatusOK); again.Step.URL != s.Step.URL {
		t.Errorf("the same offer again: %+v", again)
	}
	if other := c.borrower(http.MethodPost, path+"/offers/"+ids[1]+"/proceed", nil); other.status != http.StatusConflict {
		t.Errorf("another offer after proceeding: %d %s", other.status, other.body)
	}
	if cancel := c.borrower(http.MethodPost, path+"/cancel", nil); cancel.status != http.StatusConflict {
		t.Errorf("cancel after proceeding: %d", cancel.status)
	}
	locked := mustJSON[hlOffers](t, c.borrower(http.MethodGet, path+"/offers", nil), http.StatusOK)
	if !locked.Locked || locked.SelectedOfferID != ids[0] {
		t.Errorf("offers after proceeding: locked %v selected %q", locked.Locked, locked.SelectedOfferID)
	}
}

// headlessProfile is a QA scenario's web form as the profile object: the
// borrower's fields as they are, the co-applicant's (when the form's box is
// ticked) in the nested "coApplicant" object named as the borrower's own
// (coFirstName → firstName).
func headlessProfile(form map[string]string) map[string]any {
	profile := map[string]any{}
	co := map[string]string{}
	for k, v := range form {
		switch {
		case k == lending.FieldCoApplicant:
		case slices.Contains(lending.CoApplicantFields, k):
			member := strings.TrimPrefix(k, "co")
			co[strings.ToLower(member[:1])+member[1:]] = v
		default:
			profile[k] = v
		}
	}
	if form[lending.FieldCoApplicant] == lending.Checked {
		profile["coApplicant"] = co
	}
	return profile
}
