package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"prequal/stage"
	"prequal/store"
)

// Aims of the wrk figures (issue 18).
const (
	aimPollRatio    = 0.50 // status poll requests/s vs bare Echo
	aimPollP99Ratio = 3.0  // status poll p99 vs bare Echo's p99, at most
	aimAPIRatio     = 0.60 // Decision API requests/s vs bare Echo
	// wrkAPIKeys is how many real keys the Decision API figure spreads its calls
	// over: each allows 10,000 calls a minute, and the figure sends some 10,000
	// a second, so one key would spend most of the run answering 429.
	wrkAPIKeys = 128
)

// browserHeaders are what a browser's htmx request sends besides the cookie.
var browserHeaders = map[string]string{
	"HX-Request":      "true",
	"Accept":          "*/*",
	"Accept-Encoding": "gzip, deflate, br, zstd",
	"Accept-Language": "en-US,en;q=0.9",
	"User-Agent":      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}

// pollTarget starts a portal from bin and makes its wrk script: the
// checking-rates poll of wrkConns real borrower sessions, each with a pending
// lead, round robin, with a browser's headers.
func (b *bench) pollTarget(ctx context.Context, bin, name string) (wrkTarget, error) {
	p, err := b.startPortalBin(ctx, bin, name)
	if err != nil {
		return wrkTarget{}, err
	}
	n := b.o.wrkConns
	brs, ids, err := b.borrowers(ctx, p.URL, newClient(16), n, 16, stage.ScenarioTimeout)
	if err != nil {
		return wrkTarget{proc: p}, err
	}
	reqs := make([]wrkRequest, n)
	for i := range n {
		h := map[string]string{"Cookie": brs[i].cookie, "HX-Current-URL": p.URL + "/applications/" + ids[i], "HX-Target": "status-poll"}
		for k, v := range browserHeaders {
			h[k] = v
		}
		reqs[i] = wrkRequest{method: http.MethodGet, path: "/applications/" + ids[i] + "/status", headers: h}
	}
	dir, err := os.MkdirTemp(b.work, name+"-")
	if err != nil {
		return wrkTarget{proc: p}, err
	}
	script, out, err := wrkScript(dir, "poll", reqs)
	return wrkTarget{proc: p, script: script, out: out}, err
}

// apiTarget starts a portal from bin with wrkAPIKeys real keys and makes its
// wrk script: POST /api/v1/decision round robin over the keys (every call is
// billed: its usage is committed before its 200) and a few applicants.
func (b *bench) apiTarget(ctx context.Context, bin, name string) (wrkTarget, error) {
	p, err := b.startPortalBin(ctx, bin, name)
	if err != nil {
		return wrkTarget{}, err
	}
	keys, err := createAPIKeys(ctx, p.DataDir, wrkAPIKeys)
	if err != nil {
		return wrkTarget{proc: p}, err
	}
	bodies := apiBodies()
	reqs := make([]wrkRequest, len(keys))
	for i, k := range keys {
		h := map[string]string{"x-api-key": k}
		for k, v := range partnerHeaders {
			h[k] = v
		}
		reqs[i] = wrkRequest{method: http.MethodPost, path: "/api/v1/decision", headers: h, body: bodies[i%len(bodies)]}
	}
	dir, err := os.MkdirTemp(b.work, name+"-")
	if err != nil {
		return wrkTarget{proc: p}, err
	}
	script, out, err := wrkScript(dir, "decision", reqs)
	return wrkTarget{proc: p, script: script, out: out}, err
}

// partnerHeaders are what a partner's server sends with an API call, besides its key.
var partnerHeaders = map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "partner-backend/1.0"}

// helloTarget starts the bare Echo hello server with a script sending the
// given headers, the same kind of script as the portal's.
func (b *bench) helloTarget(ctx context.Context, headers map[string]string) (wrkTarget, error) {
	hello, err := startHello(ctx)
	if err != nil {
		return wrkTarget{}, err
	}
	dir, err := os.MkdirTemp(b.work, "hello-")
	if err != nil {
		return wrkTarget{proc: hello}, err
	}
	script, out, err := wrkScript(dir, "hello", []wrkRequest{{method: http.MethodGet, path: "/hello", headers: headers}})
	return wrkTarget{proc: hello, script: script, out: out}, err
}

// wrkStatusPoll is the headline poll figure: the poll (pollTarget) in slices
// alternating with the bare Echo hello server. With -against OLD, the other
// side is a portal built from OLD instead (a before/after of a change).
func (b *bench) wrkStatusPoll(ctx context.Context) error {
	t, err := b.pollTarget(ctx, b.bin, "wrk-poll")
	if t.proc != nil {
		defer b.stopPortal(t.proc)
	}
	if err != nil {
		return err
	}
	var other wrkTarget
	if b.o.against != "" {
		other, err = b.pollTarget(ctx, b.o.against, "wrk-poll-against")
		if other.proc != nil {
			defer b.stopPortal(other.proc)
		}
	} else {
		other, err = b.helloTarget(ctx, browserHeaders)
		if other.proc != nil {
			defer other.proc.stop()
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "wrk: status poll vs %s, %d rounds of %s slices…\n", b.otherName(), b.o.wrkRounds, b.o.wrkSlice)
	pair, err := wrkSideBySide(ctx, b.o, &t, &other, b.profiler(ctx, t.proc))
	if err != nil {
		return err
	}
	if err := wrkFailed("status poll", pair.target); err != nil {
		return err
	}
	if err := wrkFailed(b.otherName(), pair.bare); err != nil {
		return err
	}
	ratio := pair.target.rate() / pair.bare.rate()
	p99, bareP99 := pair.target.quantile(0.99), pair.bare.quantile(0.99)
	p99Ratio := float64(p99) / float64(bareP99)
	b.add(figure{num: "1a", what: fmt.Sprintf("status poll (wrk -t%d -c%d), requests/s", b.o.wrkThreads, b.o.wrkConns),
		value: fmt.Sprintf("%s/s vs %s %s/s (rounds: %s); server CPU per request %s vs %s",
			thousands(pair.target.rate()), b.otherName(), thousands(pair.bare.rate()), roundRatios(pair), us(pair.target.cpuPerRequest()), us(pair.bare.cpuPerRequest())),
		ratio: fmt.Sprintf("%.2f×", ratio), target: fmt.Sprintf("≥ %.2f×", aimPollRatio), pass: ratio >= aimPollRatio})
	b.add(figure{num: "1b", what: "status poll (wrk), p50 and p99 latency",
		value: fmt.Sprintf("p50 %s, p99 %s; %s p50 %s, p99 %s", ms(pair.target.quantile(0.5)), ms(p99), b.otherName(), ms(pair.bare.quantile(0.5)), ms(bareP99)),
		ratio: fmt.Sprintf("p99 %.1f×", p99Ratio), target: fmt.Sprintf("p99 ≤ %.0f× bare's", aimPollP99Ratio), pass: p99Ratio <= aimPollP99Ratio})
	return nil
}

// wrkDecisionAPI is the headline Decision API figure: the Decision API
// (apiTarget) in slices alternating with the bare Echo hello server (or, with
// -against, a portal built from another tree).
func (b *bench) wrkDecisionAPI(ctx context.Context) error {
	t, err := b.apiTarget(ctx, b.bin, "wrk-api")
	if t.proc != nil {
		defer b.stopPortal(t.proc)
	}
	if err != nil {
		return err
	}
	var other wrkTarget
	if b.o.against != "" {
		other, err = b.apiTarget(ctx, b.o.against, "wrk-api-against")
		if other.proc != nil {
			defer b.stopPortal(other.proc)
		}
	} else {
		other, err = b.helloTarget(ctx, map[string]string{"Accept": "application/json", "User-Agent": "partner-backend/1.0"})
		if other.proc != nil {
			defer other.proc.stop()
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "wrk: Decision API vs %s, %d rounds of %s slices…\n", b.otherName(), b.o.wrkRounds, b.o.wrkSlice)
	pair, err := wrkSideBySide(ctx, b.o, &t, &other, b.profiler(ctx, t.proc))
	if err != nil {
		return err
	}
	if err := wrkFailed("Decision API", pair.target); err != nil {
		return err
	}
	if err := wrkFailed(b.otherName(), pair.bare); err != nil {
		return err
	}
	billed, err := billedCalls(ctx, t.proc.DataDir)
	if err != nil {
		return err
	}
	ratio := pair.target.rate() / pair.bare.rate()
	b.add(figure{num: "2a", what: fmt.Sprintf("Decision API, real keys, billed (wrk -t%d -c%d): requests/s", b.o.wrkThreads, b.o.wrkConns),
		value: fmt.Sprintf("%s/s vs %s %s/s (rounds: %s); server CPU per request %s vs %s",
			thousands(pair.target.rate()), b.otherName(), thousands(pair.bare.rate()), roundRatios(pair), us(pair.target.cpuPerRequest()), us(pair.bare.cpuPerRequest())),
		ratio: fmt.Sprintf("%.2f×", ratio), target: fmt.Sprintf("≥ %.2f×", aimAPIRatio), pass: ratio >= aimAPIRatio})
	b.add(figure{num: "2b", what: "Decision API (wrk): p50 and p99 latency; calls on the bill",
		value: fmt.Sprintf("p50 %s, p99 %s; %s p50 %s, p99 %s; %s calls billed, %s answered 200 (the difference: answers wrk stopped waiting for at the end of a slice)",
			ms(pair.target.quantile(0.5)), ms(pair.target.quantile(0.99)), b.otherName(), ms(pair.bare.quantile(0.5)), ms(pair.bare.quantile(0.99)),
			thousands(float64(billed)), thousands(float64(t.answered))),
		target: "none (information)", info: true})
	if billed < t.answered {
		return fmt.Errorf("Decision API: %d calls answered 200 but only %d on the bill", t.answered, billed)
	}
	return nil
}

// otherName names the other side of the wrk figures.
func (b *bench) otherName() string {
	if b.o.against != "" {
		return "the -against portal"
	}
	return "bare Echo"
}

// profiler returns what profiles p's first measured slice (-profile), or nil.
func (b *bench) profiler(ctx context.Context, p *process) func(time.Duration) error {
	if b.o.profileDir == "" {
		return nil
	}
	return func(d time.Duration) error {
		if err := os.MkdirAll(b.o.profileDir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(b.o.profileDir, p.name+".cpu.prof")
		fmt.Fprintf(b.out, "profiling %s into %s\n", p.name, path)
		return p.cpuProfile(ctx, d, path)
	}
}

// wrkFailed refuses a run with any error: a 429, 404 or 5xx answered instead
// of the work measured would make the figure mean something else.
func wrkFailed(what string, t wrkTotal) error {
	status, socket := t.errors()
	if t.requests() == 0 || status > 0 || socket > 0 {
		return fmt.Errorf("%s: %d responses, %d not 2xx/3xx, %d socket errors", what, t.requests(), status, socket)
	}
	return nil
}

// roundRatios lists each round's requests/s ratio, to show the spread.
func roundRatios(p wrkPair) string {
	s := ""
	for i := range p.target.runs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.2f", p.target.runs[i].rate()/p.bare.runs[i].rate())
	}
	return s
}

// createAPIKeys creates n real Credit Decision API keys in the portal's
// database, as `portal apikey add` would, and returns their secrets.
func createAPIKeys(ctx context.Context, dataDir string, n int) ([]string, error) {
	st, err := openPortalStore(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	secrets := make([]string, n)
	for i := range n {
		_, secret, err := st.CreateAPIKey(ctx, store.NewAPIKey{PartnerID: fmt.Sprintf("bench-%d", i), Name: "bench"}, store.AuditEntry{Note: "bench"})
		if err != nil {
			return nil, err
		}
		secrets[i] = secret
	}
	return secrets, nil
}

// billedCalls is every call on the bill of the portal's database.
func billedCalls(ctx context.Context, dataDir string) (int64, error) {
	st, err := openPortalStore(ctx, dataDir)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	usage, err := st.APIUsageByMonth(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, u := range usage {
		n += u.Calls
	}
	return n, nil
}

// openPortalStore opens a running portal's database with its stage data key.
func openPortalStore(ctx context.Context, dataDir string) (*store.Store, error) {
	var secrets struct {
		DataKey string `json:"dataKey"`
	}
	raw, err := os.ReadFile(filepath.Join(dataDir, "stage-secrets.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, &secrets); err != nil {
		return nil, err
	}
	key, err := decodeKey(secrets.DataKey)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, filepath.Join(dataDir, "portal.db"), key)
}

// apiBodies are a few valid applicants (seed 002's fields), so the engine
// does not answer the same question every time.
func apiBodies() []string {
	return []string{
		`{"age":30,"income":65000,"existingDebt":4500,"requestedAmount":12000,"yearsAtJob":5,"openCreditLines":1}`,
		`{"age":45,"income":120000,"existingDebt":30000,"requestedAmount":25000,"yearsAtJob":12,"openCreditLines":4}`,
		`{"age":23,"income":28000,"existingDebt":9000,"requestedAmount":8000,"yearsAtJob":1,"openCreditLines":2}`,
		`{"age":61,"income":54000,"existingDebt":0,"requestedAmount":5000}`,
	}
}

// ensureWrk fails early, with what to do, when wrk is missing (make bench
// installs it).
func ensureWrk() error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk is not installed: apt-get install -y wrk (make bench installs it under CI=true)")
	}
	return nil
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
