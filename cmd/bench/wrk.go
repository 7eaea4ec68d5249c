package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wrkRequest is one request a wrk script sends, round robin with the others.
type wrkRequest struct {
	method, path string
	headers      map[string]string
	body         string
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	requests int64         // responses received
	duration time.Duration // wrk's own measured duration
	// statusErrors are responses that were not 2xx or 3xx; socketErrors are
	// connect, read, write errors and timeouts.
	statusErrors, socketErrors int64
	// quantiles are the latency's quantile function sampled at wrkQuantileSteps
	// evenly spaced points (the (i+1)/wrkQuantileSteps quantiles); merging runs'
	// samples, each weighted by its run's requests, approximates the quantiles of
	// all of them together.
	quantiles []time.Duration
	// serverCPU is the CPU time (user and system) the server process used
	// during the run: per response, it is much less sensitive to the other
	// load on a shared machine than requests per second are.
	serverCPU time.Duration
}

// wrkQuantileSteps is the resolution of the quantile samples: 0.1 %.
const wrkQuantileSteps = 1000

func (r wrkResult) rate() float64 {
	if r.duration <= 0 {
		return 0
	}
	return float64(r.requests) / r.duration.Seconds()
}

// wrkTotal adds up wrk runs of one target.
type wrkTotal struct {
	runs []wrkResult
}

func (t *wrkTotal) add(r wrkResult) { t.runs = append(t.runs, r) }

func (t wrkTotal) requests() (n int64) {
	for _, r := range t.runs {
		n += r.requests
	}
	return n
}

func (t wrkTotal) errors() (status, socket int64) {
	for _, r := range t.runs {
		status += r.statusErrors
		socket += r.socketErrors
	}
	return status, socket
}

// rate is all responses over all the runs' time.
func (t wrkTotal) rate() float64 {
	var d time.Duration
	for _, r := range t.runs {
		d += r.duration
	}
	if d <= 0 {
		return 0
	}
	return float64(t.requests()) / d.Seconds()
}

// cpuPerRequest is the server's CPU time per response over all the runs.
func (t wrkTotal) cpuPerRequest() time.Duration {
	var cpu time.Duration
	for _, r := range t.runs {
		cpu += r.serverCPU
	}
	if n := t.requests(); n > 0 {
		return cpu / time.Duration(n)
	}
	return 0
}

// quantile merges the runs' quantile samples, each sample standing for
// requests/wrkQuantileSteps responses of its run, and returns the q-quantile.
func (t wrkTotal) quantile(q float64) time.Duration {
	type sample struct {
		v time.Duration
		w float64
	}
	var all []sample
	var total float64
	for _, r := range t.runs {
		w := float64(r.requests) / float64(len(r.quantiles))
		for _, v := range r.quantiles {
			all = append(all, sample{v, w})
			total += w
		}
	}
	if len(all) == 0 {
		return 0
	}
	slices.SortFunc(all, func(a, b sample) int { return cmp.Compare(a.v, b.v) })
	var acc float64
	for _, s := range all {
		acc += s.w
		if acc >= q*total-1e-9 {
			return s.v
		}
	}
	return all[len(all)-1].v
}

// wrkScript writes a wrk Lua script that sends reqs round robin and, when wrk
// is done, writes its figures to out: the response count, the duration, the
// errors and the latency's quantile samples. Every target gets the same kind of
// script, so wrk does the same work per request for the portal and for the
// bare server.
func wrkScript(dir, name string, reqs []wrkRequest) (script, out string, err error) {
	script = filepath.Join(dir, name+".lua")
	out = filepath.Join(dir, name+".out")
	var sb strings.Builder
	// The requests are formatted in init: wrk sets the Host header just before.
	sb.WriteString("local reqs = {}\ninit = function(args)\n")
	for _, r := range reqs {
		sb.WriteString("do\n  local h = {}\n")
		keys := make([]string, 0, len(r.headers))
		for k := range r.headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&sb, "  h[%s] = %s\n", luaString(k), luaString(r.headers[k]))
		}
		body := "nil"
		if r.body != "" {
			body = luaString(r.body)
		}
		fmt.Fprintf(&sb, "  reqs[#reqs + 1] = wrk.format(%s, %s, h, %s)\nend\n", luaString(r.method), luaString(r.path), body)
	}
	fmt.Fprintf(&sb, `end
local i = 0
request = function()
  i = i %% #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  local f = assert(io.open(%s, "w"))
  local e = summary.errors
  f:write(string.format("requests %%d\nduration_us %%d\nstatus_errors %%d\nsocket_errors %%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
  for k = 1, %d - 1 do
    f:write(string.format("q %%d\n", latency:percentile(100 * k / %d)))
  end
  f:write(string.format("q %%d\n", latency.max)) -- wrk's percentile(100) is 0
  f:close()
end
`, luaString(out), wrkQuantileSteps, wrkQuantileSteps)
	return script, out, os.WriteFile(script, []byte(sb.String()), 0o644)
}

// luaString quotes s as a Lua string literal.
func luaString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, "\\%03d", c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// runWrk runs wrk against base with script for d and reads what the script wrote.
func runWrk(ctx context.Context, base, script, out string, threads, conns int, d time.Duration) (wrkResult, error) {
	_ = os.Remove(out)
	cmd := exec.CommandContext(ctx, "wrk", "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(conns),
		"-d"+strconv.Itoa(int(d/time.Second))+"s", "--latency", "-s", script, base)
	output, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, output)
	}
	r, err := readWrkOut(out)
	if err != nil {
		return wrkResult{}, fmt.Errorf("%w\nwrk said:\n%s", err, output)
	}
	return r, nil
}

// readWrkOut parses what the script's done function wrote.
func readWrkOut(path string) (wrkResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk's figures: %w", err)
	}
	defer f.Close()
	var r wrkResult
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return wrkResult{}, fmt.Errorf("wrk's figures: bad line %q", sc.Text())
		}
		switch k {
		case "requests":
			r.requests = n
		case "duration_us":
			r.duration = time.Duration(n) * time.Microsecond
		case "status_errors":
			r.statusErrors = n
		case "socket_errors":
			r.socketErrors = n
		case "q":
			r.quantiles = append(r.quantiles, time.Duration(n)*time.Microsecond)
		}
	}
	if err := sc.Err(); err != nil {
		return wrkResult{}, err
	}
	if r.duration == 0 || len(r.quantiles) != wrkQuantileSteps {
		return wrkResult{}, errors.New("wrk's figures are incomplete")
	}
	return r, nil
}

// wrkPair is a target measured against the bare server in alternating slices.
type wrkPair struct {
	target, bare wrkTotal
}

// wrkTarget is a server, its wrk script, and where the script writes its figures.
type wrkTarget struct {
	proc        *process
	script, out string
	// answered counts every response wrk received from it, warm-ups included.
	answered int64
}

// wrkSideBySide measures target and bare with wrk in alternating slices of
// o.wrkSlice each, after a warm-up of each, o.wrkRounds times; which of the two
// goes first alternates too, so neither always follows the other's load. With
// -profile, the target's first slice is also profiled (profile != nil).
func wrkSideBySide(ctx context.Context, o options, target, bare *wrkTarget, profile func(time.Duration) error) (wrkPair, error) {
	var p wrkPair
	warm := 2 * time.Second
	for _, t := range []*wrkTarget{bare, target} {
		r, err := runWrk(ctx, t.proc.URL, t.script, t.out, o.wrkThreads, o.wrkConns, warm)
		if err != nil {
			return p, err
		}
		t.answered += r.requests
	}
	for round := range o.wrkRounds {
		order := []bool{true, false}
		if round%2 == 1 {
			order = []bool{false, true}
		}
		for _, isTarget := range order {
			t, total := bare, &p.bare
			if isTarget {
				t, total = target, &p.target
			}
			var profiled chan error
			if isTarget && round == 0 && profile != nil {
				profiled = make(chan error, 1)
				go func() { profiled <- profile(o.wrkSlice) }()
			}
			cpu0, cpuErr := t.proc.cpuTime()
			r, err := runWrk(ctx, t.proc.URL, t.script, t.out, o.wrkThreads, o.wrkConns, o.wrkSlice)
			cpu1, cpuErr1 := t.proc.cpuTime()
			if profiled != nil {
				if perr := <-profiled; perr != nil && err == nil {
					err = fmt.Errorf("CPU profile: %w", perr)
				}
			}
			if err == nil {
				err = errors.Join(cpuErr, cpuErr1)
			}
			if err != nil {
				return p, err
			}
			r.serverCPU = cpu1 - cpu0
			total.add(r)
			t.answered += r.requests
		}
	}
	return p, nil
}
