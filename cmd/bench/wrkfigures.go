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

	"prequal/platform"
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

// helloScript is the bare server's script: the same headers, one request.
func (b *bench) helloScript(dir string, headers map[string]string) (string, string, error) {
	return wrkScript(dir, "hello", []wrkRequest{{method: http.MethodGet, path: "/hello", headers: headers}})
}

// wrkStatusPoll is the headline poll figure: wrk (-t2 -c64) sends the
// checking-rates poll of 64 real borrower sessions, each with a pending lead,
// round robin, with a browser's headers, in slices alternating with the bare
// Echo hello server.
func (b *bench) wrkStatusPoll(ctx context.Context) error {
	p, err := b.startPortal(ctx, "wrk-poll")
	if err != nil {
		return err
	}
	defer b.stopPortal(p)
	hello, err := startHello(ctx)
	if err != nil {
		return err
	}
	defer hello.stop()

	n := b.o.wrkConns
	brs, ids, err := b.borrowers(ctx, p.URL, newClient(16), n, 16, platform.ScenarioTimeout)
	if err != nil {
		return err
	}
	reqs := make([]wrkRequest, n)
	for i := range n {
		h := map[string]string{"Cookie": brs[i].cookie, "HX-Current-URL": p.URL + "/applications/" + ids[i], "HX-Target": "status-poll"}
		for k, v := range browserHeaders {
			h[k] = v
		}
		reqs[i] = wrkRequest{method: http.MethodGet, path: "/applications/" + ids[i] + "/status", headers: h}
	}
	dir, err := os.MkdirTemp(b.work, "wrk-poll-")
	if err != nil {
		return err
	}
	script, out, err := wrkScript(dir, "poll", reqs)
	if err != nil {
		return err
	}
	hs, hout, err := b.helloScript(dir, browserHeaders)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "wrk: status poll vs bare Echo, %d rounds of %s slices…\n", b.o.wrkRounds, b.o.wrkSlice)
	pair, err := wrkSideBySide(ctx, b.o, wrkTarget{p, script, out}, wrkTarget{hello, hs, hout}, b.profiler(ctx, p))
	if err != nil {
		return err
	}
	if err := wrkFailed("status poll", pair.target); err != nil {
		return err
	}
	if err := wrkFailed("bare hello", pair.bare); err != nil {
		return err
	}
	ratio := pair.target.rate() / pair.bare.rate()
	p99, bareP99 := pair.target.quantile(0.99), pair.bare.quantile(0.99)
	p99Ratio := float64(p99) / float64(bareP99)
	b.add(figure{num: "1a", what: fmt.Sprintf("status poll (wrk -t%d -c%d), requests/s", b.o.wrkThreads, b.o.wrkConns),
		value: fmt.Sprintf("%s/s vs bare Echo %s/s (rounds: %s); server CPU per request %s vs %s",
			thousands(pair.target.rate()), thousands(pair.bare.rate()), roundRatios(pair), us(pair.target.cpuPerRequest()), us(pair.bare.cpuPerRequest())),
		ratio: fmt.Sprintf("%.2f×", ratio), target: fmt.Sprintf("≥ %.2f×", aimPollRatio), pass: ratio >= aimPollRatio})
	b.add(figure{num: "1b", what: "status poll (wrk), p50 and p99 latency",
		value: fmt.Sprintf("p50 %s, p99 %s; bare Echo p50 %s, p99 %s", ms(pair.target.quantile(0.5)), ms(p99), ms(pair.bare.quantile(0.5)), ms(bareP99)),
		ratio: fmt.Sprintf("p99 %.1f×", p99Ratio), target: fmt.Sprintf("p99 ≤ %.0f× bare's", aimPollP99Ratio), pass: p99Ratio <= aimPollP99Ratio})
	return nil
}

// wrkDecisionAPI is the headline Decision API figure: wrk (-t2 -c64) sends
// POST /api/v1/decision with real keys (so every call is billed: its usage is
// committed before its 200), round robin over wrkAPIKeys keys, in slices
// alternating with the bare Echo hello server.
func (b *bench) wrkDecisionAPI(ctx context.Context) error {
	p, err := b.startPortal(ctx, "wrk-api")
	if err != nil {
		return err
	}
	defer b.stopPortal(p)
	hello, err := startHello(ctx)
	if err != nil {
		return err
	}
	defer hello.stop()

	keys, err := createAPIKeys(ctx, p.DataDir, wrkAPIKeys)
	if err != nil {
		return err
	}
	bodies := apiBodies()
	headers := map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "partner-backend/1.0"}
	reqs := make([]wrkRequest, len(keys))
	for i, k := range keys {
		h := map[string]string{"x-api-key": k}
		for k, v := range headers {
			h[k] = v
		}
		reqs[i] = wrkRequest{method: http.MethodPost, path: "/api/v1/decision", headers: h, body: bodies[i%len(bodies)]}
	}
	dir, err := os.MkdirTemp(b.work, "wrk-api-")
	if err != nil {
		return err
	}
	script, out, err := wrkScript(dir, "decision", reqs)
	if err != nil {
		return err
	}
	hs, hout, err := b.helloScript(dir, map[string]string{"Accept": "application/json", "User-Agent": "partner-backend/1.0"})
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "wrk: Decision API vs bare Echo, %d rounds of %s slices…\n", b.o.wrkRounds, b.o.wrkSlice)
	pair, err := wrkSideBySide(ctx, b.o, wrkTarget{p, script, out}, wrkTarget{hello, hs, hout}, b.profiler(ctx, p))
	if err != nil {
		return err
	}
	if err := wrkFailed("Decision API", pair.target); err != nil {
		return err
	}
	if err := wrkFailed("bare hello", pair.bare); err != nil {
		return err
	}
	billed, err := billedCalls(ctx, p.DataDir)
	if err != nil {
		return err
	}
	ratio := pair.target.rate() / pair.bare.rate()
	b.add(figure{num: "2a", what: fmt.Sprintf("Decision API, real keys, billed (wrk -t%d -c%d): requests/s", b.o.wrkThreads, b.o.wrkConns),
		value: fmt.Sprintf("%s/s vs bare Echo %s/s (rounds: %s); server CPU per request %s vs %s",
			thousands(pair.target.rate()), thousands(pair.bare.rate()), roundRatios(pair), us(pair.target.cpuPerRequest()), us(pair.bare.cpuPerRequest())),
		ratio: fmt.Sprintf("%.2f×", ratio), target: fmt.Sprintf("≥ %.2f×", aimAPIRatio), pass: ratio >= aimAPIRatio})
	b.add(figure{num: "2b", what: "Decision API (wrk): p50 and p99 latency; calls on the bill",
		value: fmt.Sprintf("p50 %s, p99 %s; bare Echo p50 %s, p99 %s; %s calls billed",
			ms(pair.target.quantile(0.5)), ms(pair.target.quantile(0.99)), ms(pair.bare.quantile(0.5)), ms(pair.bare.quantile(0.99)), thousands(float64(billed))),
		target: "none (information)", info: true})
	return nil
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
		_, secret, err := st.CreateAPIKey(ctx, fmt.Sprintf("bench-%d", i), store.AuditEntry{Note: "bench"})
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
