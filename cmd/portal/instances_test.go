package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"prequal/lending"
	"prequal/store"
)

// Several portal instances on one PostgreSQL database, as separate processes
// behind a load balancer, with the stage platform as a process of its own.

// postgresForTest returns the URL of a fresh schema on the test PostgreSQL
// server (PORTAL_TEST_DATABASE_URL), dropped when the test ends. Without the
// server the test is skipped — except under CI=true, where that fails it.
func postgresForTest(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PORTAL_TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but PORTAL_TEST_DATABASE_URL is not set: this test needs PostgreSQL (.ci/run starts one)")
		}
		t.Skip("PORTAL_TEST_DATABASE_URL is not set: this test needs PostgreSQL")
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	schema := "portal_" + store.NewID()[:16]
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db := stdlib.OpenDB(*cfg)
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// startSandboxProcess runs `portal sandbox` on addr (the stage platform alone,
// with the stage secrets of dataDir) and waits until it answers.
func startSandboxProcess(t *testing.T, dataDir, addr string, env ...string) *portalLogs {
	t.Helper()
	cmd := exec.Command(portalBinary(t), "sandbox", "--addr", addr)
	cmd.Env = append(append(os.Environ(), "PORTAL_DATA_DIR="+dataDir, "PORTAL_ENV=stage", "PLATFORM_BASE_URL="), env...)
	logs := &portalLogs{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stage platform did not listen within 30s\n%s", logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// balancer is the load balancer in front of the instances: it sends each
// request to the next instance in turn, and to the other one when that one does
// not answer (a dead instance), as a load balancer's health check would.
type balancer struct {
	*httptest.Server
	backends  []string
	next      atomic.Int64
	callbacks []atomic.Int64 // callbacks each instance answered
}

func newBalancer(t *testing.T, backends ...string) *balancer {
	b := &balancer{backends: backends, callbacks: make([]atomic.Int64, len(backends))}
	client := &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		first := int(b.next.Add(1))
		for try := range len(b.backends) {
			i := (first + try) % len(b.backends)
			req, _ := http.NewRequestWithContext(r.Context(), r.Method, b.backends[i]+r.URL.RequestURI(), bytes.NewReader(body))
			req.Header = r.Header.Clone()
			resp, err := client.Do(req)
			if err != nil {
				continue // that instance is down: the next one
			}
			if strings.HasPrefix(r.URL.Path, "/callbacks/") {
				b.callbacks[i].Add(1)
			}
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			resp.Body.Close()
			return
		}
		http.Error(w, "no instance answers", http.StatusBadGateway)
	}))
	t.Cleanup(b.Close)
	return b
}

// TestTwoInstancesOnOnePostgreSQL: two `portal serve` processes on one
// PostgreSQL database, the stage platform as a third process, a load balancer
// in front. A key's rate limit holds across both (N, not 2N). Borrowers go to
// both in turn — each submits on one and polls on the other — the platform's
// callbacks land on either, and an officer signed in on one approves held
// applications on either. One instance is SIGKILLed mid-stream; the borrowers
// carry on with the survivor (resending what got no answer with the same
// idempotency key). Every accepted application exists, reaches a final state
// through the survivor, and has exactly one lead at the platform.
func TestTwoInstancesOnOnePostgreSQL(t *testing.T) {
	dbURL := postgresForTest(t)
	dataDir := t.TempDir()
	addrs := []string{freeLoopbackAddr(t), freeLoopbackAddr(t)}
	platformAddr := freeLoopbackAddr(t)
	lb := newBalancer(t, "http://"+addrs[0], "http://"+addrs[1])
	// The stage platform first: it writes the stage secrets every process shares.
	platformLogs := startSandboxProcess(t, dataDir, platformAddr, "PORTAL_BASE_URL="+lb.URL)
	env := []string{"PORTAL_DATABASE_URL=" + dbURL, "PORTAL_BASE_URL=" + lb.URL,
		"PLATFORM_BASE_URL=http://" + platformAddr + "/sandbox",
		"PORTAL_JOB_LEASE=1s", "PORTAL_POLL_AFTER=1s", "PORTAL_POLL_EVERY=1s", "PORTAL_LEAD_TIMEOUT=90s"}
	instances := []*portalProcess{startPortalProcess(t, dataDir, addrs[0], env...), startPortalProcess(t, dataDir, addrs[1], env...)}
	var dead atomic.Int64 // 1 + the index of the killed instance
	// alive returns the URL of instance i, or of the survivor when i is dead.
	alive := func(i int) string {
		i %= 2
		if int(dead.Load()) == i+1 {
			i = 1 - i
		}
		return instances[i].URL
	}

	t.Run("a rate limit holds across both instances", func(t *testing.T) {
		testRateLimitAcrossInstances(t, instances[0].URL, instances[1].URL)
	})

	cfg := processConfig(t, dataDir)
	st, err := store.OpenPostgres(context.Background(), dbURL, cfg.dataKey)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const applications, clients, killAt = 120, 8, 60
	var (
		mu        sync.Mutex
		got       []accepted
		noAnswers atomic.Int64
		next      atomic.Int64
		pollsOK   atomic.Int64
	)
	var wg sync.WaitGroup
	for range clients {
		b := newProcessBorrower("")
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= applications {
					return
				}
				form := durabilityForm(t, n)
				if n%10 == 9 {
					// The persona's SSN under another name, from the mailbox of
					// application n-5 (the same persona under its own name):
					// whichever of the two comes second is held for an officer
					// (lending.Screen: the same applicant's SSN under another
					// identity), so holds come all through the run.
					form.Set("firstName", "Morgan")
					form.Set("email", durabilityForm(t, n-len(durabilityScenarios)).Get("email"))
				}
				key, id := "", ""
				for deadline := time.Now().Add(45 * time.Second); ; {
					if time.Now().After(deadline) {
						t.Errorf("application %d: no 303 within 45s", n)
						return
					}
					b.base = alive(n)
					var err error
					if key == "" {
						if key, err = b.formKey(); err != nil {
							key = ""
							time.Sleep(20 * time.Millisecond)
							continue
						}
					}
					var code int
					id, code, err = b.post(form, key)
					if errors.Is(err, errNoAnswer) {
						noAnswers.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue // the same form, the same key, to whichever instance answers
					}
					if err != nil {
						t.Errorf("application %d: %v (status %d)", n, err, code)
						return
					}
					break
				}
				// The checking-rates screen polls the other instance.
				b.base = alive(n + 1)
				for range 2 {
					if code, err := b.pollStatus(id); err == nil && code == http.StatusOK {
						pollsOK.Add(1)
					}
				}
				mu.Lock()
				got = append(got, accepted{borrower: b, id: id, key: key})
				mu.Unlock()
			}
		})
	}

	// An officer signed in on the first instance approves the applications
	// held for review, on each instance in turn.
	officer := newProcessBorrower(instances[0].URL)
	officer.signIn(t, "officer@stage.test", cfg.demoOfficerPassword)
	approvedOn := make([]atomic.Int64, 2)
	var lastRefusal atomic.Value
	officerDone := make(chan struct{})
	borrowersDone := make(chan struct{})
	go func() {
		defer close(officerDone)
		tries := 0 // approvals tried: they alternate between the instances
		for {
			queue, err := st.ReviewQueue(context.Background(), 500)
			if err != nil {
				t.Error(err)
				return
			}
			for _, app := range queue {
				id := app.ID
				i := tries % 2
				tries++
				if int(dead.Load()) == i+1 {
					i = 1 - i
				}
				officer.base = instances[i].URL
				code, err := officer.postForm("/admin/applications/"+id+"/approve", url.Values{"note": {"Identity checked by phone."}})
				if err != nil || code != http.StatusSeeOther {
					app, _ := st.Application(context.Background(), id)
					lastRefusal.Store(fmt.Sprintf("approve %s on instance %d: %d %v (review %s, lead %s)", id, i, code, err, app.Review.Status, app.Lead.Status))
					continue // the instance just died: next turn
				}
				approvedOn[i].Add(1)
			}
			select {
			case <-borrowersDone:
				if len(queue) == 0 {
					return
				}
			default:
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	// SIGKILL the first instance when half the applications are in.
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= killAt || t.Failed() {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	instances[0].Kill()
	dead.Store(1)
	wg.Wait()
	close(borrowersDone)
	select {
	case <-officerDone:
	case <-time.After(60 * time.Second):
		t.Fatalf("the officer could not approve every held application within 60s; last refusal: %v", lastRefusal.Load())
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d applications accepted (held and approved: %d on the first instance, %d on the second); "+
		"%d requests got no answer around the kill; %d polls answered by the other instance",
		len(got), approvedOn[0].Load(), approvedOn[1].Load(), noAnswers.Load(), pollsOK.Load())
	if len(got) != applications {
		t.Fatalf("%d applications accepted, want %d", len(got), applications)
	}
	if approvedOn[0].Load() == 0 || approvedOn[1].Load() == 0 {
		t.Errorf("approvals by instance: %d and %d; want the officer acting on both", approvedOn[0].Load(), approvedOn[1].Load())
	}
	if pollsOK.Load() == 0 {
		t.Error("no borrower's poll was answered by the other instance")
	}

	// Every 303 exists, for its own borrower, on the survivor.
	ids := map[string]bool{}
	for _, a := range got {
		if ids[a.id] {
			t.Errorf("two 303s named application %s", a.id)
		}
		ids[a.id] = true
		a.borrower.base = alive(0)
		code, _, err := a.borrower.pageStatus(a.id)
		if err != nil || code != http.StatusOK {
			t.Errorf("application %s: page %d on the survivor (%v)", a.id, code, err)
		}
	}

	// Every one reaches a final state through the survivor.
	ctx := context.Background()
	pending := make([]string, 0, len(got))
	for _, a := range got {
		pending = append(pending, a.id)
	}
	for deadline := time.Now().Add(60 * time.Second); len(pending) > 0; {
		var still []string
		for _, id := range pending {
			app, err := st.Application(ctx, id)
			if err != nil {
				t.Fatalf("application %s: %v", id, err)
			}
			if !app.Lead.Status.Terminal() && app.Lead.Status != lending.LeadProductSelected {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 && time.Now().After(deadline) {
			app, _ := st.Application(ctx, pending[0])
			t.Fatalf("%d applications not final 60s after the kill, e.g. %s at %s (review %s)\n%s", len(pending), app.ID,
				app.Lead.Status, app.Review.Status, tail(instances[1].Logs.String(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Exactly one lead at the platform for each, the one the portal recorded.
	pc := stagePlatform(t, "http://"+platformAddr, dataDir)
	for _, a := range got {
		app, err := st.Application(ctx, a.id)
		if err != nil {
			t.Fatal(err)
		}
		leads, err := pc.StageLeads(ctx, app.PartnerLeadID)
		if err != nil {
			t.Fatal(err)
		}
		if len(leads) != 1 || leads[0].UUID != app.Lead.UUID {
			t.Errorf("application %s: the platform holds %d leads (%+v), the portal recorded %s", a.id, len(leads), leads, app.Lead.UUID)
		}
	}
	if open := countOpenSubmitJobs(t, st, got); open != 0 {
		t.Errorf("%d submit jobs still open", open)
	}
	if lb.callbacks[0].Load() == 0 || lb.callbacks[1].Load() == 0 {
		t.Errorf("callbacks answered by instance: %d and %d; want both", lb.callbacks[0].Load(), lb.callbacks[1].Load())
	}
	t.Logf("callbacks answered: %d by the first instance, %d by the second", lb.callbacks[0].Load(), lb.callbacks[1].Load())
	if t.Failed() {
		t.Logf("stage platform log:\n%s", tail(platformLogs.String(), 30))
	}
}

// testRateLimitAcrossInstances sends requests with the stage demo key (1,000 a
// minute) to both instances in turn, eight at a time: exactly 1,000 of them are
// answered, the rest refused with 429, by both instances.
func testRateLimitAcrossInstances(t *testing.T, urls ...string) {
	const limit, requests = 1000, 1200
	body := `{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000,"yearsAtJob":5,"openCreditLines":1}`
	var ok, refused atomic.Int64
	refusedBy := make([]atomic.Int64, len(urls))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= requests {
					return
				}
				i := n % len(urls)
				req, _ := http.NewRequest(http.MethodPost, urls[i]+"/api/v1/decision", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("x-api-key", "demo-key-123")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					refused.Add(1)
					refusedBy[i].Add(1)
					if resp.Header.Get("Retry-After") == "" {
						t.Error("a 429 without Retry-After")
					}
				default:
					t.Errorf("request %d: status %d", n, resp.StatusCode)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != limit || refused.Load() != requests-limit {
		t.Errorf("%d answered and %d refused of %d requests over two instances; want %d answered (the key's limit, not twice it)",
			ok.Load(), refused.Load(), requests, limit)
	}
	for i := range urls {
		if refusedBy[i].Load() == 0 {
			t.Errorf("instance %d refused nothing: the limit is not shared", i)
		}
	}
}

// pollStatus asks for the checking-rates fragment, as the page's htmx does.
func (b *processBorrower) pollStatus(id string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, b.base+"/applications/"+id+"/status", nil)
	req.Header.Set("HX-Request", "true")
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// postForm posts a form as the browser would (same-origin) and returns the status.
func (b *processBorrower) postForm(path string, form url.Values) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errNoAnswer, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// signIn signs an officer in (the cookie lands in the jar).
func (b *processBorrower) signIn(t *testing.T, email, password string) {
	t.Helper()
	code, err := b.postForm("/admin/signin", url.Values{"email": {email}, "password": {password}})
	if err != nil || code != http.StatusSeeOther {
		t.Fatalf("officer sign-in: %d %v", code, err)
	}
}
