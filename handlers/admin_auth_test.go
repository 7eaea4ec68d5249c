package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/store"
)

func TestAdminAnonymousIsSentToSignIn(t *testing.T) {
	p := newAdminPortal(t)
	anon := newBrowserClient()
	for _, path := range []string{"/admin", "/admin/applications?leadStatus=no_offers&page=2", "/admin/applications.csv",
		"/admin/applications/aaaaaaaaaaaaaaaaaaaaaaaaaa", "/admin/review", "/admin/officers", "/admin/unknown"} {
		t.Run("GET "+path, func(t *testing.T) {
			resp, _ := p.get(anon, path)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusSeeOther || loc.Path != "/admin/signin" || loc.Query().Get("next") != path {
				t.Errorf("%d → %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	for _, path := range []string{"/admin/applications/aaaaaaaaaaaaaaaaaaaaaaaaaa/deny", "/admin/officers",
		"/admin/applications/aaaaaaaaaaaaaaaaaaaaaaaaaa/actions/repoll"} {
		t.Run("POST "+path, func(t *testing.T) {
			resp, _ := p.postForm(anon, path, url.Values{"note": {"x"}})
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/signin?next=%2Fadmin") {
				t.Errorf("%d → %q", resp.StatusCode, resp.Header.Get("Location"))
			}
		})
	}
	t.Run("htmx", func(t *testing.T) {
		resp, _ := p.htmxGet(anon, "/admin/applications")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("HX-Redirect"), "/admin/signin") {
			t.Errorf("%d HX-Redirect %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
		}
	})
}

func TestAdminRoles(t *testing.T) {
	p := newAdminPortal(t)
	officer := p.officer("olive@bank.example", lending.RoleOfficer)
	admin := p.officer("adam@bank.example", lending.RoleAdmin)
	cases := []struct {
		name   string
		client *http.Client
		method string
		path   string
		want   int
	}{
		{"officer sees the dashboard", officer, http.MethodGet, "/admin", http.StatusOK},
		{"officer sees the pipeline", officer, http.MethodGet, "/admin/applications", http.StatusOK},
		{"officer sees the review queue", officer, http.MethodGet, "/admin/review", http.StatusOK},
		{"officer may not list officers", officer, http.MethodGet, "/admin/officers", http.StatusForbidden},
		{"officer may not create officers", officer, http.MethodPost, "/admin/officers", http.StatusForbidden},
		{"admin lists officers", admin, http.MethodGet, "/admin/officers", http.StatusOK},
		{"admin sees the pipeline", admin, http.MethodGet, "/admin/applications", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var resp *http.Response
			var body string
			if c.method == http.MethodGet {
				resp, body = p.get(c.client, c.path)
			} else {
				resp, body = p.postForm(c.client, c.path, url.Values{"email": {"new@bank.example"}, "role": {"admin"}})
			}
			if resp.StatusCode != c.want {
				t.Fatalf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.want)
			}
			if c.want == http.StatusForbidden && strings.Contains(body, "new@bank.example") {
				t.Error("a refused request did something")
			}
		})
	}
	// The Officers link shows for admins only.
	_, officerPage := p.get(officer, "/admin")
	_, adminPage := p.get(admin, "/admin")
	if strings.Contains(officerPage, `href="/admin/officers"`) || !strings.Contains(adminPage, `href="/admin/officers"`) {
		t.Error("the Officers link should show for admins only")
	}
	if list, _ := p.store.Officers(t.Context()); len(list) != 2 {
		t.Errorf("%d officers, want 2 (the officer's POST must have been refused)", len(list))
	}
}

func TestSignInRotatesTheSession(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	first := p.cookie(client)
	if first == "" {
		t.Fatal("no officer cookie after sign-in")
	}
	// Signing in again with the session cookie still present issues a new one
	// and kills the old.
	if resp := p.signIn(client, "olive@bank.example", admPassword); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/admin/applications" {
		t.Fatalf("second sign-in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	second := p.cookie(client)
	if second == "" || second == first {
		t.Fatalf("session not rotated: %q → %q", first, second)
	}
	replay := newBrowserClient()
	u, _ := url.Parse(p.srv.URL + "/admin/")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: officerCookie, Value: first, Path: "/admin"}})
	if resp, _ := p.get(replay, "/admin/applications"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the pre-rotation cookie still works: %d", resp.StatusCode)
	}

	// A token planted before sign-in (session fixation) is never adopted.
	planted := newBrowserClient()
	planted.Jar.SetCookies(u, []*http.Cookie{{Name: officerCookie, Value: "attacker-chosen-token", Path: "/admin"}})
	p.signIn(planted, "olive@bank.example", admPassword)
	if got := p.cookie(planted); got == "attacker-chosen-token" || got == "" {
		t.Errorf("cookie after sign-in %q", got)
	}

	// The cookie carries nothing but the token, with safe attributes.
	resp := p.signIn(newBrowserClient(), "olive@bank.example", admPassword)
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == officerCookie {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.Path != "/admin" || ck.SameSite != http.SameSiteLaxMode || len(ck.Value) != 43 ||
		ck.MaxAge != int(lending.OfficerSessionAbsolute/time.Second) {
		t.Errorf("cookie %+v", ck)
	}
}

func TestOfficerSessionIdleExpiry(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	p.clock.add(29 * time.Minute)
	if resp, _ := p.get(client, "/admin/applications"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after 29 idle minutes: %d", resp.StatusCode)
	}
	p.clock.add(lending.OfficerSessionIdle)
	resp, _ := p.get(client, "/admin/applications")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc.Path != "/admin/signin" || loc.Query().Get("expired") != "1" {
		t.Fatalf("after 30 idle minutes: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := p.get(client, resp.Header.Get("Location")); !strings.Contains(body, "Your session ended") {
		t.Error("the sign-in page does not say the session ended")
	}
}

func TestSignOutEndsTheSessionOnTheServer(t *testing.T) {
	p := newAdminPortal(t)
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	token := p.cookie(client)
	resp, _ := p.postForm(client, "/admin/signout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/signin?signedout=1" {
		t.Fatalf("sign out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if p.cookie(client) != "" {
		t.Error("the cookie was not cleared")
	}
	// A copy of the old cookie no longer signs anyone in.
	replay := newBrowserClient()
	u, _ := url.Parse(p.srv.URL + "/admin/")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: officerCookie, Value: token, Path: "/admin"}})
	resp, _ = p.get(replay, "/admin")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/signin") {
		t.Errorf("replayed cookie: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := p.audit("", store.AuditSignOut); len(got) != 1 || got[0].OfficerEmail != "olive@bank.example" {
		t.Errorf("sign-out audit %+v", got)
	}
}

func TestSignInFailuresAndThrottling(t *testing.T) {
	p := newAdminPortal(t)
	p.officer("olive@bank.example", lending.RoleOfficer)
	client := newBrowserClient()
	for i := range lending.SignInFreeFailures {
		resp, body := p.postForm(client, "/admin/signin", url.Values{"email": {"olive@bank.example"}, "password": {"wrong password " + string(rune('a'+i))}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "don&#39;t match") || strings.Contains(body, "wrong password") {
			t.Fatalf("failure %d: %d", i+1, resp.StatusCode)
		}
		if !strings.Contains(body, `value="olive@bank.example"`) {
			t.Error("the email was not kept in the form")
		}
	}
	resp, body := p.postForm(client, "/admin/signin", url.Values{"email": {"olive@bank.example"}, "password": {admPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "30" || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("sixth attempt: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if p.cookie(client) != "" {
		t.Error("a throttled attempt signed in")
	}
	p.clock.add(lending.SignInBaseDelay)
	if resp := p.signIn(client, "olive@bank.example", admPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the wait: %d", resp.StatusCode)
	}
	attempts := p.audit("", store.AuditSignIn)
	outcomes := map[string]int{}
	for _, a := range attempts {
		outcomes[a.Outcome]++
		if a.IP == "" || strings.Contains(a.Detail+a.Note, "password") {
			t.Errorf("attempt logged as %+v", a)
		}
	}
	// officer() signed in once, then 5 failures, 1 throttled, 1 success.
	if outcomes[store.OutcomeFailed] != 5 || outcomes[store.OutcomeThrottled] != 1 || outcomes[store.OutcomeOK] != 2 {
		t.Errorf("audit outcomes %v", outcomes)
	}
}

func TestSignInPage(t *testing.T) {
	p := newAdminPortal(t)
	resp, body := p.get(newBrowserClient(), "/admin/signin?next=/admin/review")
	d := doc(t, body)
	form := d.Find(`[data-testid="admin-signin-form"]`)
	if resp.StatusCode != http.StatusOK || form.Length() != 1 || form.Find(`input[name="next"]`).AttrOr("value", "") != "/admin/review" {
		t.Fatalf("%d form %d", resp.StatusCode, form.Length())
	}
	for _, id := range []string{"signin-email", "signin-password"} {
		if d.Find(`label[for="`+id+`"]`).Length() != 1 {
			t.Errorf("input %s has no label", id)
		}
	}
	// Already signed in: straight on.
	client := p.officer("olive@bank.example", lending.RoleOfficer)
	if resp, _ := p.get(client, "/admin/signin?next=/admin/review"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/review" {
		t.Errorf("signed in: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "/admin",
		"/admin":                           "/admin",
		"/admin/applications?q=x&page=2":   "/admin/applications?q=x&page=2",
		"/admin/review":                    "/admin/review",
		"https://evil.example/admin":       "/admin",
		"//evil.example/admin":             "/admin",
		"/\\evil.example":                  "/admin",
		"/apply":                           "/admin",
		"/administrator":                   "/admin",
		"/admin/signin?next=/admin":        "/admin",
		"javascript:alert(1)":              "/admin",
		"/admin/../apply":                  "/admin",
		"/admin/./review":                  "/admin/review",
		"/admin/applications#frag":         "/admin/applications",
		"http:/admin":                      "/admin",
		"/admin/signout":                   "/admin",
		"/admin/applications?x=%0d%0aSet:": "/admin/applications?x=%0d%0aSet:",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
