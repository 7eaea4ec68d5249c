package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
)

// access is who may use a route.
type access int

const (
	accessPublic   access = iota // anyone
	accessBorrower               // the borrower session the application is bound to; anyone else: 404
	accessOfficer                // a signed-in officer of any role; anonymous: sign-in
	accessAdmin                  // an admin; anonymous: sign-in; an officer: 403
	accessStage                  // stage only; production: 404
	accessCallback               // the platform: path token and signature, else 401
	accessAPI                    // a partner's API key, else 401
	accessPartner                // a signed-in partner (its own keys only); anonymous: developers' sign-in
	accessJourney                // a headless borrower's session token (its own journeys only), else 401
)

// routeAccess classifies every route of the route table. A route added to
// routes.go without a line here fails TestEveryRouteIsClassified. Each GET
// route's HEAD is classified like it (withHEAD), so a GET route without HEAD
// fails it too.
var routeAccess = withHEAD(map[string]access{
	"GET /":                        accessPublic,
	"GET /apply":                   accessPublic,
	"POST /apply":                  accessPublic,
	"POST /apply/validate":         accessPublic,
	"GET /healthz":                 accessPublic,
	"GET /readyz":                  accessPublic,
	"GET /metrics":                 accessPublic,
	"GET /static/*":                accessPublic,
	"GET /admin/signin":            accessPublic,
	"POST /admin/signin":           accessPublic,
	"POST /admin/signout":          accessPublic,
	"GET /applications/:id":        accessBorrower,
	"GET /applications/:id/status": accessBorrower,
	"POST /applications/:id/offers/:productId/select":           accessBorrower,
	"POST /applications/:id/retry":                              accessBorrower,
	"GET /resume":                                               accessPublic,
	"POST /resume":                                              accessPublic,
	"GET /resume/:token":                                        accessPublic, // the token is the credential (resume_test.go)
	"POST /resume/:token":                                       accessPublic,
	"POST /callbacks/platform/:token":                           accessCallback,
	"POST /api/v1/decision":                                     accessAPI,
	"POST /api/v1/score":                                        accessAPI,
	"GET /api/v1/usage":                                         accessAPI,
	"GET /qa":                                                   accessStage,
	"GET /qa/scenarios.json":                                    accessStage,
	"POST /qa/controls":                                         accessStage,
	"POST /qa/controls/reset":                                   accessStage,
	"GET /qa/applications/:id":                                  accessStage,
	"GET /qa/mail":                                              accessStage,
	"GET /qa/mail.json":                                         accessStage,
	"POST /qa/mail/controls":                                    accessStage,
	"GET /qa/mail/:id":                                          accessStage,
	"GET /qa/mail/:id/html":                                     accessStage,
	"GET /admin":                                                accessOfficer,
	"GET /admin/applications":                                   accessOfficer,
	"GET /admin/applications.csv":                               accessOfficer,
	"GET /admin/applications/:id":                               accessOfficer,
	"POST /admin/applications/:id/reveal":                       accessOfficer,
	"POST /admin/applications/:id/actions/:action":              accessOfficer,
	"POST /admin/applications/:id/approve":                      accessOfficer,
	"POST /admin/applications/:id/deny":                         accessOfficer,
	"GET /admin/review":                                         accessOfficer,
	"GET /admin/officers":                                       accessAdmin,
	"POST /admin/officers":                                      accessAdmin,
	"GET /admin/api-keys":                                       accessAdmin,
	"POST /admin/api-keys":                                      accessAdmin,
	"POST /admin/api-keys/:id/rotate":                           accessAdmin,
	"POST /admin/api-keys/:id/revoke":                           accessAdmin,
	"GET /admin/partners":                                       accessAdmin,
	"POST /admin/partners/:id/:action":                          accessAdmin,
	"GET /api/openapi.json":                                     accessPublic,
	"GET /register":                                             accessPublic,
	"GET /developers/register":                                  accessPublic,
	"POST /developers/register":                                 accessPublic,
	"GET /developers/signin":                                    accessPublic,
	"POST /developers/signin":                                   accessPublic,
	"POST /developers/signout":                                  accessPublic,
	"GET /developers/docs":                                      accessPublic,
	"GET /developers":                                           accessPartner,
	"POST /developers/keys":                                     accessPartner,
	"POST /developers/keys/:id/rotate":                          accessPartner,
	"POST /developers/keys/:id/revoke":                          accessPartner,
	"GET /admin/webhooks":                                       accessAdmin,
	"GET /admin/webhooks/:id":                                   accessAdmin,
	"POST /developers/webhooks":                                 accessPartner,
	"GET /developers/webhooks/:id":                              accessPartner,
	"POST /developers/webhooks/:id/test":                        accessPartner,
	"POST /developers/webhooks/:id/rotate":                      accessPartner,
	"POST /developers/webhooks/:id/delete":                      accessPartner,
	"POST /developers/webhooks/:id/replay-failed":               accessPartner,
	"POST /developers/webhooks/:id/deliveries/:delivery/replay": accessPartner,

	// Headless journeys (seed 001): the partner's backend, then the borrower's app.
	"POST /api/v1/headless/sessions":                             accessAPI,
	"POST /api/v1/headless/sessions/refresh":                     accessAPI,
	"GET /api/v1/headless/journeys":                              accessJourney,
	"POST /api/v1/headless/journeys":                             accessJourney,
	"GET /api/v1/headless/journeys/:id":                          accessJourney,
	"GET /api/v1/headless/journeys/:id/state":                    accessJourney,
	"PUT /api/v1/headless/journeys/:id/profile":                  accessJourney,
	"POST /api/v1/headless/journeys/:id/submit":                  accessJourney,
	"GET /api/v1/headless/journeys/:id/offers":                   accessJourney,
	"POST /api/v1/headless/journeys/:id/offers/:offerId/proceed": accessJourney,
	"PATCH /api/v1/headless/journeys/:id/resume":                 accessJourney,
	"POST /api/v1/headless/journeys/:id/cancel":                  accessJourney,
})

// withHEAD adds "HEAD path" for every "GET path", with the same access: HEAD
// runs the same handler and middleware (routes.go registers them together).
func withHEAD(m map[string]access) map[string]access {
	for key, a := range m {
		if path, ok := strings.CutPrefix(key, "GET "); ok {
			m["HEAD "+path] = a
		}
	}
	return m
}

// routeKeys lists the routes an Echo app registered, as "METHOD /path".
func routeKeys(t *testing.T, cfg Config, p *testPortal) map[string]bool {
	t.Helper()
	e, err := New(cfg, p.store)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method == "echo_route_not_found" { // Echo's own catch-all of a group
			continue
		}
		keys[r.Method+" "+r.Path] = true
	}
	return keys
}

func TestEveryRouteIsClassified(t *testing.T) {
	p := newTestPortal(t)
	stage := routeKeys(t, p.cfg, p)
	for key := range stage {
		if _, ok := routeAccess[key]; !ok {
			t.Errorf("route %s is not in routeAccess: say who may use it", key)
		}
	}
	for key := range routeAccess {
		if !stage[key] {
			t.Errorf("routeAccess names %s, which the route table does not have", key)
		}
	}
	prodCfg := p.cfg
	prodCfg.Production, prodCfg.Stage = true, nil
	for key := range routeKeys(t, prodCfg, p) {
		if routeAccess[key] == accessStage {
			t.Errorf("production registers the stage-only route %s", key)
		}
	}
}

// fill puts concrete values into a route pattern.
func fill(pattern string, params map[string]string) string {
	parts := strings.Split(pattern, "/")
	for i, part := range parts {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			parts[i] = params[name]
		}
		if part == "*" {
			parts[i] = "app.css"
		}
	}
	return strings.Join(parts, "/")
}

// do sends one request as client (nil: anonymous) with a same-origin browser's
// headers, and returns the status and the Location.
func (p *testPortal) do(client *http.Client, method, path string) (int, string) {
	p.t.Helper()
	if client == nil {
		client = newBrowserClient()
	}
	req, _ := http.NewRequest(method, p.srv.URL+path, strings.NewReader(url.Values{"note": {"authz"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := client.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func routesOf(kind access) []string {
	var out []string
	for key, a := range routeAccess {
		if a == kind {
			out = append(out, key)
		}
	}
	return out
}

// Each borrower route with another session's application id, or none: 404,
// exactly as for an id that does not exist, and nothing changes.
func TestBorrowerRoutesAreBoundToTheirSession(t *testing.T) {
	p := newTestPortal(t)
	owner := p.client
	id := p.submit(owner, validFormValues("owner@example.com"))
	uuid := p.leadFor(id)
	p.update(uuid, lending.LeadOffersFound, testOffers("https://lender.example/"), nil)
	params := map[string]string{"id": id, "productId": "p-req-1"}
	before, err := p.store.Application(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	intruder := newBrowserClient()
	p.startForm(intruder) // a session of its own
	for _, key := range routesOf(accessBorrower) {
		method, pattern, _ := strings.Cut(key, " ")
		path := fill(pattern, params)
		t.Run(key, func(t *testing.T) {
			for who, client := range map[string]*http.Client{"another session": intruder, "no session": nil} {
				if code, _ := p.do(client, method, path); code != http.StatusNotFound {
					t.Errorf("%s: %d, want 404", who, code)
				}
			}
			if code, _ := p.do(intruder, method, fill(pattern, map[string]string{"id": "aaaaaaaaaaaaaaaaaaaaaaaaaa", "productId": "p-req-1"})); code != http.StatusNotFound {
				t.Errorf("unknown id: %d, want 404", code)
			}
		})
	}
	after, err := p.store.Application(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lead.Status != before.Lead.Status || after.Lead.SelectedProductID != "" || after.Lead.Attempt != before.Lead.Attempt {
		t.Errorf("another session changed the application: %+v → %+v", before.Lead, after.Lead)
	}
	// The owner does get through (the 404s above are not a broken route).
	if code, _ := p.do(owner, http.MethodGet, "/applications/"+id); code != http.StatusOK {
		t.Errorf("the owner: %d", code)
	}
}

// Admin routes: anonymous → the sign-in page; an officer on an admin-only route
// → 403; the right role gets through.
func TestAdminRoutesNeedASignedInOfficerWithTheRole(t *testing.T) {
	p := newAdminPortal(t)
	app := p.create(admApplicant(), false)
	key, _ := p.newAPIKey("tenant-authz")
	params := map[string]string{"id": app.ID, "action": "repoll"}
	officer := p.officer("officer@bank.example", lending.RoleOfficer)
	admin := p.officer("admin@bank.example", lending.RoleAdmin)

	for _, kind := range []access{accessOfficer, accessAdmin} {
		for _, k := range routesOf(kind) {
			method, pattern, _ := strings.Cut(k, " ")
			ps := params
			if strings.Contains(pattern, "/api-keys/") {
				ps = map[string]string{"id": key.ID}
			}
			path := fill(pattern, ps)
			t.Run(k, func(t *testing.T) {
				code, loc := p.do(nil, method, path)
				if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/signin") {
					t.Errorf("anonymous: %d → %q, want 303 to the sign-in page", code, loc)
				}
				code, loc = p.do(officer, method, path)
				switch {
				case kind == accessAdmin && code != http.StatusForbidden:
					t.Errorf("officer on an admin route: %d, want 403", code)
				case kind == accessOfficer && (code == http.StatusForbidden || strings.HasPrefix(loc, "/admin/signin") || code >= 500):
					t.Errorf("officer: %d → %q", code, loc)
				}
				if code, loc := p.do(admin, method, path); code == http.StatusForbidden || strings.HasPrefix(loc, "/admin/signin") || code >= 500 {
					t.Errorf("admin: %d → %q", code, loc)
				}
			})
		}
	}
}

// Developer dashboard routes: anonymous → the developers' sign-in page; a
// partner acting on another partner's key → 404, and the key is unchanged.
func TestDeveloperRoutesNeedASignedInPartner(t *testing.T) {
	p := newTestPortal(t)
	other, _ := p.newAPIKey("other-partner")
	partner := p.partner("dev@acme.example")
	for _, k := range routesOf(accessPartner) {
		method, pattern, _ := strings.Cut(k, " ")
		path := fill(pattern, map[string]string{"id": other.ID})
		t.Run(k, func(t *testing.T) {
			code, loc := p.do(nil, method, path)
			if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/developers/signin") {
				t.Errorf("anonymous: %d → %q, want 303 to the developers' sign-in", code, loc)
			}
			code, loc = p.do(partner, method, path)
			switch {
			case strings.Contains(pattern, ":id") && code != http.StatusNotFound:
				t.Errorf("another partner's key: %d, want 404", code)
			case !strings.Contains(pattern, ":id") && (code >= 500 || strings.HasPrefix(loc, "/developers/signin")):
				t.Errorf("partner: %d → %q", code, loc)
			}
		})
	}
	k, err := p.store.APIKey(context.Background(), other.ID)
	if err != nil || !k.Active() || !k.RotatedAt.IsZero() {
		t.Errorf("another partner's key changed: %+v (%v)", k, err)
	}
}

// Stage-only routes do not exist in production: 404, as any unknown path.
func TestStageRoutesAre404InProduction(t *testing.T) {
	prod := newTestPortal(t, func(c *Config) { c.Production, c.Stage = true, nil })
	stage := newTestPortal(t)
	id := prod.submit(prod.client, validFormValues("prod@example.com"))
	for _, k := range routesOf(accessStage) {
		method, pattern, _ := strings.Cut(k, " ")
		path := fill(pattern, map[string]string{"id": id})
		if code, _ := prod.do(prod.client, method, path); code != http.StatusNotFound {
			t.Errorf("production %s: %d, want 404", k, code)
		}
		if method == http.MethodGet && !strings.Contains(pattern, ":id") {
			if code, _ := stage.do(nil, method, path); code != http.StatusOK {
				t.Errorf("stage %s: %d, want 200", k, code)
			}
		}
	}
	for _, path := range []string{"/sandbox/controls", "/sandbox/oauth2/token", "/sandbox/personal/v1/leads"} {
		if code, _ := prod.do(nil, http.MethodGet, path); code != http.StatusNotFound {
			t.Errorf("production GET %s: %d, want 404", path, code)
		}
	}
}

// A callback with a wrong path token, a bad signature or a stale timestamp is
// 401 and changes nothing.
func TestCallbackRefusalsChangeNothing(t *testing.T) {
	p := newCallbackPortal(t)
	body := p.callbackBody("lead-1", platform.StatusOffersFound, cbProduct("p1"))
	other := platform.NewWebhookSecret()
	for _, tt := range []struct {
		name string
		req  func() *http.Request
	}{
		{"wrong token", func() *http.Request {
			return signedRequest(t, "/callbacks/platform/not-the-token", p.secret, "m1", time.Now(), body)
		}},
		{"no token", func() *http.Request {
			return signedRequest(t, "/callbacks/platform/", p.secret, "m2", time.Now(), body)
		}},
		{"signed with another secret", func() *http.Request { return signedRequest(t, p.path(), other, "m3", time.Now(), body) }},
		{"body changed after signing", func() *http.Request {
			r := signedRequest(t, p.path(), p.secret, "m4", time.Now(), body)
			r.Body = http.NoBody
			return r
		}},
		{"stale timestamp", func() *http.Request {
			return signedRequest(t, p.path(), p.secret, "m5", time.Now().Add(-platform.SignatureTolerance-time.Minute), body)
		}},
		{"from the future", func() *http.Request {
			return signedRequest(t, p.path(), p.secret, "m6", time.Now().Add(platform.SignatureTolerance+time.Minute), body)
		}},
		{"no signature", func() *http.Request {
			r := signedRequest(t, p.path(), p.secret, "m7", time.Now(), body)
			r.Header.Del(platform.HeaderWebhookSignature)
			return r
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := p.serve(tt.req())
			if code != http.StatusUnauthorized && !(tt.name == "no token" && code == http.StatusNotFound) {
				t.Errorf("answer %d, want 401", code)
			}
			if out != "" {
				t.Errorf("answer body %q", out)
			}
			if got := p.status(); got != lending.LeadCreated {
				t.Errorf("the lead moved to %s", got)
			}
			if len(p.events(lending.EventCallbackAccepted)) != 0 {
				t.Error("a refused callback was recorded as accepted")
			}
		})
	}
}

// The partners' API takes nothing without a valid key, and the headless
// journeys' borrower routes nothing without a borrower session token.
func TestAPIRoutesNeedAKey(t *testing.T) {
	p := newTestPortal(t)
	for _, k := range append(routesOf(accessAPI), routesOf(accessJourney)...) {
		method, path, _ := strings.Cut(k, " ")
		for _, key := range []string{"", "pk_live_not-a-real-key", "bst_not-a-real-token"} {
			req, _ := http.NewRequest(method, p.srv.URL+path, strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("x-api-key", key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s with key %q: %d, want 401", k, key, resp.StatusCode)
			}
		}
	}
}
