package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"prequal/lending"
	"prequal/stage"
	"prequal/store"
)

// Durability: the portal as a separate process, killed and stopped the way an
// operator or the kernel does it.

const (
	durabilityApplications = 500
	durabilityClients      = 16
)

// durabilityScenarios are the QA personas the borrowers rotate through: every
// one finishes on its own within a second or so.
var durabilityScenarios = []string{stage.ScenarioOffersAllRanges, stage.ScenarioOffersLowerOnly,
	stage.ScenarioNoOffersWithNotice, stage.ScenarioUnderwritingApprove, stage.ScenarioUnderwritingDecline}

// durabilityForm is the n-th borrower's form: a QA persona (test data, exempt
// from velocity holds) with its own email.
func durabilityForm(t *testing.T, n int) url.Values {
	sc := scenario(t, durabilityScenarios[n%len(durabilityScenarios)])
	form := url.Values{"scenario": {sc.ID}}
	for k, v := range sc.Form {
		form.Set(k, v)
	}
	local, domain, _ := strings.Cut(sc.Form["email"], "+")
	form.Set("email", fmt.Sprintf("%s.%d+%s", local, n, domain))
	return form
}

// accepted is an application a borrower got a 303 for.
type accepted struct {
	borrower *processBorrower
	id, key  string
}

// TestDurabilitySIGKILLMidStream: 500 applications from 16 concurrent borrowers;
// the portal is SIGKILLed when half of them are in, and restarted on the same
// data dir and port while the borrowers keep going (resending what got no answer
// with the same idempotency key, as a browser's resubmit does). Every
// application that got a 303 exists and is the borrower's, reaches a terminal
// status, and the stage platform holds exactly one lead for each.
func TestDurabilitySIGKILLMidStream(t *testing.T) {
	dataDir, addr := t.TempDir(), freeLoopbackAddr(t)
	// A dead process's submit jobs are claimable again after a second; leads whose
	// callbacks the crash cut off are polled soon.
	env := []string{"PORTAL_JOB_LEASE=1s", "PORTAL_POLL_AFTER=1s", "PORTAL_POLL_EVERY=1s", "PORTAL_LEAD_TIMEOUT=60s"}
	first := startPortalProcess(t, dataDir, addr, env...)
	base := first.URL

	var (
		mu        sync.Mutex
		got       []accepted
		byKey     = map[string]string{}
		noAnswers atomic.Int64
		next      atomic.Int64
		killed    = make(chan struct{})
		restarted = make(chan struct{})
	)
	killAt := int64(durabilityApplications / 2)
	var wg sync.WaitGroup
	for range durabilityClients {
		b := newProcessBorrower(base)
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= durabilityApplications {
					return
				}
				form := durabilityForm(t, n)
				key, id := "", ""
				for deadline := time.Now().Add(30 * time.Second); ; {
					if time.Now().After(deadline) {
						t.Errorf("application %d: no 303 within 30s", n)
						return
					}
					var err error
					if key == "" {
						if key, err = b.formKey(); err != nil {
							key = ""
							time.Sleep(20 * time.Millisecond) // the portal is down; a borrower retries
							continue
						}
					}
					var code int
					id, code, err = b.post(form, key)
					if errors.Is(err, errNoAnswer) {
						noAnswers.Add(1)
						time.Sleep(20 * time.Millisecond)
						continue // send the same form with the same key again
					}
					if err != nil {
						t.Errorf("application %d: %v (status %d)", n, err, code)
						return
					}
					break
				}
				mu.Lock()
				if prev, seen := byKey[key]; seen && prev != id {
					t.Errorf("key %s gave applications %s and %s", key, prev, id)
				}
				byKey[key] = id
				got = append(got, accepted{borrower: b, id: id, key: key})
				mu.Unlock()
			}
		})
	}

	// Kill when half are in, mid-stream, and bring it back on the same port.
	var second *portalProcess
	go func() {
		defer close(restarted)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= int(killAt) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		first.Kill()
		close(killed)
		second = startPortalProcess(t, dataDir, addr, env...)
	}()
	wg.Wait()
	<-restarted
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d applications accepted; %d requests got no answer around the kill", len(got), noAnswers.Load())
	if len(got) != durabilityApplications {
		t.Fatalf("%d applications accepted, want %d", len(got), durabilityApplications)
	}
	select {
	case <-killed:
	default:
		t.Fatal("the portal was never killed")
	}

	// Every 303 exists, for its own borrower.
	ids := map[string]bool{}
	for _, a := range got {
		if ids[a.id] {
			t.Errorf("two 303s named application %s", a.id)
		}
		ids[a.id] = true
		code, _, err := a.borrower.pageStatus(a.id)
		if err != nil || code != http.StatusOK {
			t.Errorf("application %s: page %d (%v)", a.id, code, err)
		}
	}

	// Every one reaches a terminal status.
	st := openProcessStore(t, dataDir)
	ctx := context.Background()
	terminal := map[lending.LeadStatus]bool{lending.LeadOffersFound: true, lending.LeadNoOffers: true,
		lending.LeadTimedOut: true, lending.LeadProductSelected: true}
	pending := make([]string, 0, len(got))
	for _, a := range got {
		pending = append(pending, a.id)
	}
	deadline := time.Now().Add(40 * time.Second)
	for len(pending) > 0 {
		var still []string
		for _, id := range pending {
			app, err := st.Application(ctx, id)
			if err != nil {
				t.Fatalf("application %s: %v", id, err)
			}
			if !terminal[app.Lead.Status] {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 && time.Now().After(deadline) {
			app, _ := st.Application(ctx, pending[0])
			t.Fatalf("%d applications not terminal after the restart, e.g. %s at %s\n%s", len(pending), app.ID,
				app.Lead.Status, tail(second.Logs.String(), 20))
		}
		time.Sleep(100 * time.Millisecond)
	}

	// No lead was submitted twice: the stage platform holds exactly the one lead
	// the portal recorded for each application.
	pc := stagePlatform(t, base, dataDir)
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
}

func countOpenSubmitJobs(t *testing.T, st interface {
	OpenSubmitJobs(ctx context.Context, applicationID string) (int, error)
}, apps []accepted) int {
	t.Helper()
	n := 0
	for _, a := range apps {
		open, err := st.OpenSubmitJobs(context.Background(), a.id)
		if err != nil {
			t.Fatal(err)
		}
		n += open
	}
	return n
}

// TestDurabilityGracefulShutdown: SIGTERM under load. The portal stops taking
// connections, finishes the request in flight (one whose body is still
// arriving when the signal lands), lets the worker finish or hand back the jobs
// in hand, and exits 0 within its shutdown grace.
func TestDurabilityGracefulShutdown(t *testing.T) {
	dataDir, addr := t.TempDir(), freeLoopbackAddr(t)
	p := startPortalProcess(t, dataDir, addr, "PORTAL_LEAD_TIMEOUT=60s")
	// Slow platform steps, so leads are mid-flight when the signal lands.
	pc := stagePlatform(t, p.URL, dataDir)
	ctx := context.Background()
	if _, err := pc.SetStageControls(ctx, stage.Controls{StepDelayMs: 300, CallbacksEnabled: true}); err != nil {
		t.Fatal(err)
	}

	// Background load: borrowers submitting until the portal goes away.
	var (
		mu      sync.Mutex
		got     []accepted
		stop    atomic.Bool
		counter atomic.Int64
		wg      sync.WaitGroup
	)
	for range 8 {
		b := newProcessBorrower(p.URL)
		wg.Go(func() {
			for !stop.Load() {
				key, err := b.formKey()
				if err != nil {
					return // the portal stopped accepting
				}
				id, _, err := b.post(durabilityForm(t, int(counter.Add(1))), key)
				if err != nil {
					return
				}
				mu.Lock()
				got = append(got, accepted{borrower: b, id: id, key: key})
				mu.Unlock()
			}
		})
	}
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 40 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}

	// A request in flight: headers sent, the body still arriving.
	b := newProcessBorrower(p.URL)
	key, err := b.formKey()
	if err != nil {
		t.Fatal(err)
	}
	form := durabilityForm(t, 100_000)
	form.Set(lending.FieldIdempotencyKey, key)
	body := form.Encode()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/apply", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.URL)
	type answer struct {
		resp *http.Response
		err  error
	}
	// Its own connection: Shutdown closes idle keep-alive connections, and
	// this one must be seen as busy from its first byte.
	fresh := &http.Client{Jar: b.client.Jar, Transport: &http.Transport{},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	inFlight := make(chan answer, 1)
	go func() {
		resp, err := fresh.Do(req)
		inFlight <- answer{resp, err}
	}()
	if _, err := io.WriteString(pw, body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	// The half body has left; give the server a moment to accept the connection
	// and read the headers (nothing observable says it has).
	time.Sleep(200 * time.Millisecond)

	exited := make(chan struct{})
	var exitErr error
	var took time.Duration
	go func() {
		exitErr, took = p.Terminate(20 * time.Second)
		close(exited)
	}()
	// New connections are refused soon after the signal.
	refused := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		conn, err := (&http.Client{Timeout: time.Second}).Get(p.URL + "/healthz")
		if err != nil {
			refused = true
			break
		}
		conn.Body.Close()
	}
	if !refused {
		t.Error("the portal still took new connections 5s after SIGTERM")
	}
	if _, err := io.WriteString(pw, body[len(body)/2:]); err != nil {
		t.Fatalf("finishing the in-flight body: %v", err)
	}
	pw.Close()
	a := <-inFlight
	if a.err != nil {
		t.Fatalf("the request in flight at SIGTERM failed: %v", a.err)
	}
	a.resp.Body.Close()
	if a.resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the request in flight at SIGTERM: %d, want 303", a.resp.StatusCode)
	}
	id, _ := strings.CutPrefix(a.resp.Header.Get("Location"), "/applications/")

	<-exited
	stop.Store(true)
	wg.Wait()
	if exitErr != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0\n%s", exitErr, tail(p.Logs.String(), 20))
	}
	if took > shutdownGrace+5*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	logs := p.Logs.String()
	if !strings.Contains(logs, "worker stopped") {
		t.Errorf("no 'worker stopped' in the log:\n%s", tail(logs, 20))
	}
	t.Logf("exited 0 in %v with %d applications accepted under load", took.Round(time.Millisecond), len(got))

	// Everything accepted is stored, and no job is left under the stopped
	// worker's lease (30 s): five seconds on — past any early retry's backoff,
	// well before a lease runs out — every open job is claimable.
	st := openProcessStore(t, dataDir)
	st.SetClock(func() time.Time { return time.Now().Add(5 * time.Second) })
	got = append(got, accepted{borrower: b, id: id, key: key})
	for _, a := range got {
		if _, err := st.Application(ctx, a.id); err != nil {
			t.Errorf("accepted application %s: %v", a.id, err)
		}
	}
	open := countOpenSubmitJobs(t, st, got)
	claimed, err := st.ClaimSubmitJobs(ctx, "next-process", time.Minute, open+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != open {
		t.Errorf("%d submit jobs open, %d claimable: the rest are held by a process that is gone", open, len(claimed))
	}
}

// TestDurabilityBackupUnderLoadRestores: `portal backup` (its own process) takes
// a copy while borrowers keep submitting; a portal started on the copy is ready,
// holds every application accepted before the backup began, and takes new ones.
func TestDurabilityBackupUnderLoadRestores(t *testing.T) {
	dataDir, addr := t.TempDir(), freeLoopbackAddr(t)
	p := startPortalProcess(t, dataDir, addr, "PORTAL_LEAD_TIMEOUT=60s")
	var (
		mu      sync.Mutex
		got     []accepted
		stop    atomic.Bool
		counter atomic.Int64
		wg      sync.WaitGroup
	)
	for range 8 {
		b := newProcessBorrower(p.URL)
		wg.Go(func() {
			for !stop.Load() {
				key, err := b.formKey()
				if err == nil {
					var id string
					if id, _, err = b.post(durabilityForm(t, int(counter.Add(1))), key); err == nil {
						mu.Lock()
						got = append(got, accepted{borrower: b, id: id, key: key})
						mu.Unlock()
						continue
					}
				}
				t.Errorf("submit under backup: %v", err)
				return
			}
		})
	}
	for n := 0; n < 50; time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n = len(got)
		mu.Unlock()
	}
	mu.Lock()
	before := append([]accepted(nil), got...)
	mu.Unlock()

	restoredDir := t.TempDir()
	backup := exec.Command(portalBinary(t), "backup", "--to", filepath.Join(restoredDir, "portal.db"))
	backup.Env = append(os.Environ(), "PORTAL_DATA_DIR="+dataDir, "PORTAL_ENV=stage")
	out, err := backup.CombinedOutput()
	if err != nil {
		t.Fatalf("portal backup: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "integrity check ok") {
		t.Errorf("backup output: %s", out)
	}
	mu.Lock()
	during := len(got) - len(before)
	mu.Unlock()
	stop.Store(true)
	wg.Wait()
	t.Logf("%d applications before the backup, %d more while it ran", len(before), during)

	// Restore: the copy and the secrets that open it (the data key seals SSNs).
	secrets, err := os.ReadFile(filepath.Join(dataDir, stageSecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restoredDir, stageSecretsFile), secrets, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := startPortalProcess(t, restoredDir, freeLoopbackAddr(t), "PORTAL_LEAD_TIMEOUT=60s")
	st := openProcessStore(t, restoredDir)
	for _, a := range before {
		if _, err := st.Application(context.Background(), a.id); err != nil {
			t.Errorf("application %s accepted before the backup: %v", a.id, err)
		}
	}
	b := newProcessBorrower(restored.URL)
	key, err := b.formKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.post(durabilityForm(t, 200_000), key); err != nil {
		t.Errorf("the restored portal does not take applications: %v", err)
	}
}

// A decision answered 200 is on the bill even if the portal is killed the moment
// after: the usage record is committed before the answer is sent.
func TestDurabilityAPIUsageSurvivesSIGKILL(t *testing.T) {
	dataDir, addr := t.TempDir(), freeLoopbackAddr(t)
	p := startPortalProcess(t, dataDir, addr)
	ctx := context.Background()
	k, secret, err := openProcessStore(t, dataDir).CreateAPIKey(ctx, store.NewAPIKey{PartnerID: "durability"}, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}

	const clients, killAfter = 16, 2000
	var (
		answered atomic.Int64
		killed   = make(chan struct{})
		wg       sync.WaitGroup
	)
	body := `{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000}`
	for range clients {
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{}}
			for {
				req, _ := http.NewRequest(http.MethodPost, p.URL+"/api/v1/decision", strings.NewReader(body))
				req.Header.Set("x-api-key", secret)
				resp, err := client.Do(req)
				if err != nil {
					select {
					case <-killed:
						return // the portal is gone
					default:
						t.Errorf("before the kill: %v", err)
						return
					}
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("status %d", resp.StatusCode)
					return
				}
				if answered.Add(1) == killAfter {
					close(killed)
					p.Kill()
				}
			}
		})
	}
	wg.Wait()
	got := answered.Load()

	// Read the bill as the restarted portal would: a fresh Store on the file.
	u, err := openProcessStore(t, dataDir).APIKeyUsage(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d decisions answered 200 before the kill; %d calls billed", got, u.Calls)
	// Calls in flight at the kill may be billed without their answer arriving.
	if u.Calls < got || u.Calls > got+clients {
		t.Errorf("billed %d calls, want between the %d answered and %d", u.Calls, got, got+clients)
	}
}
