package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// artifactsDir is where browser tests leave screenshots (git-ignored).
const artifactsDir = "../../artifacts/browser"

// chromiumPath finds Debian's chromium. Under CI=true a missing browser fails
// the run loudly (make installs it); elsewhere the browser tests skip.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must install it (make browser)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); skipping browser tests")
	return ""
}

// hookScript runs before any page script: a hostile notice that manages to run
// script would call alert/confirm/prompt or write to the page; the test reads
// window.__xss afterwards.
const hookScript = `(() => {
  window.__xss = [];
  for (const name of ["alert", "confirm", "prompt"]) {
    window[name] = (...args) => { window.__xss.push(name + ":" + args.join(",")); };
  }
})();`

// tab is one headless Chromium tab driving the portal.
type tab struct {
	t       *testing.T
	ctx     context.Context
	base    string
	js      bool
	mu      sync.Mutex
	oddHost []string // requests to hosts other than the portal's
	dialogs []string
	shots   int
}

// newTab starts Chromium with the flags this machine needs and a fresh profile.
func newTab(t *testing.T, base string, js bool) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	tb := &tab{t: t, ctx: ctx, base: base, js: js}
	portal, _ := url.Parse(base)
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			tb.checkRequest(portal.Host, e.Request.URL)
		case network.EventRequestWillBeSent:
			tb.checkRequest(portal.Host, e.Request.URL)
		case *page.EventJavascriptDialogOpening:
			tb.noteDialog(e.Message)
		case page.EventJavascriptDialogOpening:
			tb.noteDialog(e.Message)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hookScript}); err != nil {
		t.Fatal(err)
	}
	if !js {
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

func (tb *tab) checkRequest(portalHost, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "data" || u.Scheme == "about" || u.Host == portalHost {
		return
	}
	tb.mu.Lock()
	tb.oddHost = append(tb.oddHost, raw)
	tb.mu.Unlock()
}

func (tb *tab) noteDialog(msg string) {
	tb.mu.Lock()
	tb.dialogs = append(tb.dialogs, msg)
	tb.mu.Unlock()
}

// do runs chromedp steps and fails the test on error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v (at %s)", err, tb.location())
	}
}

func (tb *tab) location() string {
	loc, _ := chromedp.Run(tb.ctx, chromedp.Location())
	return loc
}

// open navigates to a path of the portal and waits for the page.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// eval evaluates a JavaScript expression (with scripting disabled in the page
// too: DevTools evaluation is not page script).
func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("evaluate %q: %v", expr, err)
	}
	return v
}

// count returns how many elements match a CSS selector.
func (tb *tab) count(sel string) int {
	return evalJS[int](tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

// text returns the text of the first element matching sel ("" when none).
func (tb *tab) text(sel string) string {
	return evalJS[string](tb, fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent.trim()`, sel))
}

// waitFor polls a JavaScript condition until it is truthy or the time is up.
func (tb *tab) waitFor(what, expr string, within time.Duration) {
	tb.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			tb.screenshot("timeout-" + what)
			tb.t.Fatalf("waited %v for %s (at %s, status %q)", within, what, tb.location(), tb.status())
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// status is the lead status the page shows: the data-status attribute of
// data-testid="application-status" (its text is words for the borrower).
func (tb *tab) status() string {
	return evalJS[string](tb, `(document.querySelector('[data-testid="application-status"]')||{dataset:{}}).dataset.status||""`)
}

// waitStatus waits until the page shows one of the statuses.
func (tb *tab) waitStatus(within time.Duration, statuses ...string) string {
	tb.t.Helper()
	list, _ := json.Marshal(statuses)
	tb.waitFor("status "+strings.Join(statuses, "|"),
		fmt.Sprintf(`%s.includes((document.querySelector('[data-testid="application-status"]')||{dataset:{}}).dataset.status)`, list), within)
	return tb.status()
}

// screenshot saves the whole page as artifacts/browser/{test}-{n}-{name}.png.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	buf, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100)) // quality 100 gives PNG
	if err != nil {
		tb.t.Logf("screenshot %s: %v", name, err)
		return
	}
	tb.shots++
	mode := "js"
	if !tb.js {
		mode = "nojs"
	}
	file := strings.NewReplacer("/", "_", " ", "_", "|", "-").Replace(fmt.Sprintf("%s-%s-%02d-%s.png", tb.t.Name(), mode, tb.shots, name))
	if err := os.MkdirAll(artifactsDir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(artifactsDir, file), buf, 0o644)
	}
}

// axeViolation is one serious or critical accessibility problem axe found.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("../../node_modules/axe-core/axe.min.js")
	return string(b), err
})

// axe injects axe-core (from npm) and fails the test on any serious or critical
// violation on the current page.
func (tb *tab) axe(screen string) {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		tb.t.Fatalf("axe-core is not installed (npm ci): %v", err)
	}
	if !tb.js {
		// axe needs script in the page; the markup is the same with and without JS,
		// and the JavaScript runs check it.
		return
	}
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
		tb.t.Fatalf("inject axe: %v", err)
	}
	found, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
		 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("axe.run: %v", err)
	}
	for _, v := range found {
		tb.t.Errorf("axe on %s: %s (%s): %s — %v", screen, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// assertNoScriptRan fails when anything hostile executed or phoned home.
func (tb *tab) assertNoScriptRan(screen string) {
	tb.t.Helper()
	if tb.js {
		if xss := evalJS[[]string](tb, `window.__xss || []`); len(xss) > 0 {
			tb.t.Errorf("%s: script ran: %v", screen, xss)
		}
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.dialogs) > 0 {
		tb.t.Errorf("%s: dialogs opened: %v", screen, tb.dialogs)
	}
	if len(tb.oddHost) > 0 {
		tb.t.Errorf("%s: requests to other hosts: %v", screen, tb.oddHost)
	}
}
