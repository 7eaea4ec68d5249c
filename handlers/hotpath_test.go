package handlers

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// The tests of what the status-poll and callback paths do to be fast: the
// session's JSON serializer and its cache, the quiet poll log line, and a
// callback waiting for its lead to be recorded.

func TestSessionSerializerRoundTripsAndReadsOldGobCookies(t *testing.T) {
	var sz sessionSerializer
	in := map[any]any{"bid": "abc234"}
	b, err := sz.Serialize(in)
	if err != nil || !bytes.HasPrefix(b, sessionJSONPrefix) {
		t.Fatalf("Serialize = %q, %v", b, err)
	}
	out := map[any]any{}
	if err := sz.Deserialize(b, &out); err != nil || out["bid"] != "abc234" || len(out) != 1 {
		t.Fatalf("Deserialize = %v, %v", out, err)
	}

	var old bytes.Buffer // what gorilla's default GobEncoder wrote before
	if err := gob.NewEncoder(&old).Encode(map[any]any{"bid": "old-session"}); err != nil {
		t.Fatal(err)
	}
	out = map[any]any{}
	if err := sz.Deserialize(old.Bytes(), &out); err != nil || out["bid"] != "old-session" {
		t.Fatalf("gob cookie: %v, %v", out, err)
	}

	for _, bad := range []map[any]any{{"bid": 7}, {1: "x"}} {
		if _, err := sz.Serialize(bad); err == nil {
			t.Errorf("Serialize(%v) accepted a non-string", bad)
		}
	}
	for _, junk := range [][]byte{[]byte("j1{"), []byte("j1[1]"), {0xff, 0x00}, nil} {
		if err := sz.Deserialize(junk, &out); err == nil && len(junk) > 0 {
			t.Errorf("Deserialize(%q) accepted junk", junk)
		}
	}
}

// A borrower keeps the session across the change of serializer: a cookie the
// gob codec wrote still opens the application it is bound to.
func TestBorrowerCookieWrittenWithGobStillWorks(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("gob@example.com"))
	// The session id, read with the portal's own codecs.
	codecs := securecookie.CodecsFromPairs(p.cfg.SessionKeys...)
	for _, cd := range codecs {
		cd.(*securecookie.SecureCookie).SetSerializer(sessionSerializer{})
	}
	u, _ := url.Parse(p.srv.URL)
	var sid string
	for _, c := range p.client.Jar.Cookies(u) {
		if c.Name == borrowerCookie {
			v := map[any]any{}
			if err := securecookie.DecodeMulti(borrowerCookie, c.Value, &v, codecs...); err != nil {
				t.Fatal(err)
			}
			sid, _ = v[borrowerIDKey].(string)
		}
	}
	// The same session as gorilla's default (gob) codecs wrote it before.
	gobCookie, err := securecookie.EncodeMulti(borrowerCookie, map[any]any{borrowerIDKey: sid},
		securecookie.CodecsFromPairs(p.cfg.SessionKeys...)...)
	if err != nil || sid == "" {
		t.Fatalf("encode gob cookie for %q: %v", sid, err)
	}
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/applications/"+id, nil)
	req.AddCookie(&http.Cookie{Name: borrowerCookie, Value: gobCookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the application with a gob cookie: %d, want 200", resp.StatusCode)
	}
}

func TestSessionCache(t *testing.T) {
	c := newSessionCache()
	now := time.Now()
	if _, ok := c.get("v", now); ok {
		t.Fatal("empty cache hit")
	}
	c.put("v", "sid", now)
	if id, ok := c.get("v", now.Add(sessionCacheTTL-time.Second)); !ok || id != "sid" {
		t.Errorf("within the TTL: %q %v", id, ok)
	}
	if _, ok := c.get("v", now.Add(sessionCacheTTL+time.Second)); ok {
		t.Error("hit after the TTL")
	}
	for i := range sessionCacheMax + 1 {
		c.put(strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), "s", now)
	}
	if n := len(c.entries); n > sessionCacheMax {
		t.Errorf("the cache holds %d entries, more than %d", n, sessionCacheMax)
	}
}

// A forged or tampered cookie is never served from the cache: only values that
// decoded are kept, so a tampered copy of a cached value still fails.
func TestSessionCacheNeverAcceptsATamperedCookie(t *testing.T) {
	p := newTestPortal(t)
	id := p.submit(p.client, validFormValues("cache@example.com"))
	if resp, _ := p.get(p.client, "/applications/"+id+"/status"); resp.StatusCode != http.StatusOK {
		t.Fatalf("own poll: %d", resp.StatusCode) // now cached
	}
	u, _ := url.Parse(p.srv.URL)
	var value string
	for _, c := range p.client.Jar.Cookies(u) {
		if c.Name == borrowerCookie {
			value = c.Value
		}
	}
	tampered := value[:len(value)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(value, "AA")]
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+"/applications/"+id+"/status", nil)
	req.AddCookie(&http.Cookie{Name: borrowerCookie, Value: tampered})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("tampered cookie: %d, want 404", resp.StatusCode)
	}
}

// The poll renders from the progress read exactly what the whole application
// would show, and never borrower data.
func TestStatusPollShowsNoBorrowerData(t *testing.T) {
	p := newTestPortal(t)
	form := validFormValues("quiet@example.com")
	id := p.submit(p.client, form)
	resp, body := p.get(p.client, "/applications/"+id+"/status")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="application-status"`) {
		t.Fatalf("poll: %d\n%s", resp.StatusCode, body)
	}
	for _, field := range []string{"firstName", "lastName", "email", "street", "city"} {
		if v := form.Get(field); strings.Contains(body, v) {
			t.Errorf("the poll shows the borrower's %s", field)
		}
	}
}

func TestRequestLogLevel(t *testing.T) {
	for _, tt := range []struct {
		route  string
		status int
		want   slog.Level
	}{
		{statusPollRoute, http.StatusOK, slog.LevelDebug},
		{statusPollRoute, statusStopPolling, slog.LevelInfo},
		{statusPollRoute, http.StatusSeeOther, slog.LevelInfo},
		{"/applications/:id", http.StatusOK, slog.LevelInfo},
		{"/apply", http.StatusSeeOther, slog.LevelInfo},
	} {
		if got := requestLogLevel(tt.route, tt.status); got != tt.want {
			t.Errorf("requestLogLevel(%s, %d) = %v, want %v", tt.route, tt.status, got, tt.want)
		}
	}
	// The constant is the route the table registers.
	p := newTestPortal(t)
	e, err := New(p.cfg, p.store)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range e.Routes() {
		found = found || (r.Method == http.MethodGet && r.Path == statusPollRoute)
	}
	if !found {
		t.Errorf("no GET %s in the route table", statusPollRoute)
	}
}

// A callback that overtakes our worker (the lead's uuid is not recorded yet) is
// held briefly and applied once the uuid lands, not sent away to retry.
func TestCallbackWaitsBrieflyForItsLeadToBeRecorded(t *testing.T) {
	p := newCallbackPortal(t)
	ctx := context.Background()
	app, _, err := p.store.CreateApplication(ctx, store.NewApplication{SessionID: "s", IdempotencyKey: store.NewID(),
		Applicant: lending.Applicant{RequestedAmount: 15000_00, LoanPurpose: "car", FirstName: "Fast", LastName: "Platform",
			Email: "fast@example.com", Phone: "2025550198", DOB: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), SSN: "300000002",
			Street: "3 Main St", City: "Springfield", State: "IL", Zipcode: "62701", EmploymentStatus: "employed",
			IncomeYearly: 90000_00, HousingType: "rent", HousingMonthly: 1000_00, CreditRating: "good"}, LeadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	job, err := p.store.ClaimSubmitJob(ctx, "test", time.Minute)
	if err != nil || job.ApplicationID != app.ID {
		t.Fatalf("claim: %+v %v", job, err)
	}
	body, _ := json.Marshal(platform.Callback{Type: platform.CallbackEventType, Timestamp: time.Now().UTC(),
		Data: platform.Lead{UUID: "lead-fast", PartnerLeadID: app.PartnerLeadID, Status: platform.StatusInProgress}})
	go func() {
		time.Sleep(3 * recordWaitStep) // the worker records the uuid while the callback waits
		if err := p.store.RecordLeadCreated(ctx, store.LeadCreated{Job: job, Attempt: 1, UUID: "lead-fast",
			Status: lending.LeadCreated, FirstPoll: time.Now().Add(time.Minute)}); err != nil {
			t.Error(err)
		}
	}()
	if code, _ := p.send("m_fast", body); code != http.StatusNoContent {
		t.Fatalf("callback answered %d, want 204 once the lead was recorded", code)
	}
	got, err := p.store.Application(ctx, app.ID)
	if err != nil || got.Lead.Status != lending.LeadInProgress {
		t.Errorf("status %s (%v), want in_progress", got.Lead.Status, err)
	}
}

// A new application wakes the worker at once; a repeated submit of the same
// form (nothing new to send) does not.
func TestSubmitWakesTheWorker(t *testing.T) {
	var woken atomic.Int32
	p := newTestPortal(t, func(c *Config) { c.WakeWorker = func() { woken.Add(1) } })
	form := validFormValues("wake@example.com")
	form.Set(lending.FieldIdempotencyKey, p.startForm(p.client))
	p.submit(p.client, form)
	if n := woken.Load(); n != 1 {
		t.Fatalf("woken %d times by a new application, want 1", n)
	}
	p.submit(p.client, form)
	if n := woken.Load(); n != 1 {
		t.Errorf("woken %d times after a repeated submit, want still 1", n)
	}
}
