//go:build lighthouse

// The Lighthouse check runs with `make lighthouse` (go test -tags lighthouse):
// it needs Lighthouse from npm (lighthouse/package-lock.json, 146 packages,
// which make installs into lighthouse/node_modules) and takes about two
// minutes, so it is not part of make test. Without the tag it is not compiled;
// with it, nothing skips: a missing tool fails the run.

package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"prequal/lending"
)

// lighthouseSummary is what lighthouse/run.mjs prints.
type lighthouseSummary struct {
	BenchmarkIndex        float64 `json:"benchmarkIndex"`
	CPUSlowdownMultiplier float64 `json:"cpuSlowdownMultiplier"`
	Pages                 []struct {
		Name                 string    `json:"name"`
		URL                  string    `json:"url"`
		FinalURL             string    `json:"finalUrl"`
		Performance          float64   `json:"performance"`
		PerformanceRuns      []float64 `json:"performanceRuns"`
		PerformanceDefault4x float64   `json:"performanceDefault4x"`
		FailingDefault4x     []string  `json:"failingDefault4x"`
		Accessibility        float64   `json:"accessibility"`
		BestPractices        float64   `json:"bestPractices"`
		SEO                  float64   `json:"seo"`
		Failing              []string  `json:"failing"`
	} `json:"pages"`
}

// TestLighthouse runs Lighthouse (mobile) against a real portal — the whole
// portal on loopback HTTP with its embedded stage platform — on the form
// (/apply) and on an offers page (a borrower's application with offers in all
// three ranges, seen with that borrower's session cookie): performance at
// least 98 with the CPU slowdown calibrated to the host (the median of three
// runs; the score at Lighthouse's default 4x, one run, is logged with the
// audits it loses), accessibility, best practices and SEO 100. The reports
// land in artifacts/lighthouse/ (git-ignored).
func TestLighthouse(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed (make browser installs it under CI=true)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed")
	}
	toolDir, _ := filepath.Abs("../../lighthouse")
	if _, err := os.Stat(filepath.Join(toolDir, "node_modules", "lighthouse", "package.json")); err != nil {
		t.Fatal("Lighthouse is not installed in lighthouse/node_modules: run make lighthouse")
	}

	p := startPortal(t)
	p.SetStepDelay(0)
	id := p.SubmitScenario(scenario(t, "offers-all-ranges"))
	p.WaitStatus(id, 30*time.Second, lending.LeadOffersFound)
	base, _ := url.Parse(p.URL)
	var cookie string
	for _, c := range p.Client.Jar.Cookies(base) {
		if c.Name == "prequal_borrower" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatal("no borrower session cookie")
	}

	outDir, _ := filepath.Abs("../../artifacts/lighthouse")
	headers := map[string]string{"Cookie": cookie}
	job := map[string]any{
		"chromePath": chrome, "outDir": outDir, "runs": 3,
		"pages": []map[string]any{
			{"name": "apply", "url": p.URL + "/apply", "headers": headers},
			{"name": "offers", "url": p.URL + "/applications/" + id, "headers": headers},
		},
	}
	jobFile := filepath.Join(t.TempDir(), "job.json")
	raw, _ := json.Marshal(job)
	if err := os.WriteFile(jobFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "run.mjs", jobFile)
	cmd.Dir = toolDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("lighthouse: %v\n%s", err, stderr.String())
	}
	var s lighthouseSummary
	if err := json.Unmarshal(stdout.Bytes(), &s); err != nil {
		t.Fatalf("lighthouse summary: %v\n%s", err, stdout.String())
	}
	t.Logf("host benchmarkIndex %.0f: CPU slowdown %.1fx (Lighthouse's default 4x is for 1500-2000)", s.BenchmarkIndex, s.CPUSlowdownMultiplier)
	if len(s.Pages) != 2 {
		t.Fatalf("summary has %d pages", len(s.Pages))
	}
	for _, pg := range s.Pages {
		t.Logf("%-6s performance %.0f (runs %v; %.0f at the default 4x) accessibility %.0f best practices %.0f SEO %.0f",
			pg.Name, 100*pg.Performance, pg.PerformanceRuns, 100*pg.PerformanceDefault4x, 100*pg.Accessibility, 100*pg.BestPractices, 100*pg.SEO)
		if len(pg.Failing) > 0 {
			t.Logf("%-6s audits short of full marks: %s", pg.Name, strings.Join(pg.Failing, "; "))
		}
		if len(pg.FailingDefault4x) > 0 {
			t.Logf("%-6s audits short of full marks at 4x: %s", pg.Name, strings.Join(pg.FailingDefault4x, "; "))
		}
		if pg.FinalURL != pg.URL {
			t.Errorf("%s: Lighthouse ended on %s, not %s (a redirect: the session cookie was not taken)", pg.Name, pg.FinalURL, pg.URL)
		}
		// The default-4x score is reported, not asserted: on this 2-core host
		// it moves with the load by more than the margin (/apply: 96 on a quiet
		// host, 73-95 while other work runs), and /apply's remaining long tasks
		// at 4x are the browser's own (committing the navigation), the HTML
		// parser's and htmx's start-up, not the portal's waste (README).
		if pg.Performance < 0.98 || pg.Accessibility < 1 || pg.BestPractices < 1 || pg.SEO < 1 {
			t.Errorf("%s: performance %.0f (want ≥ 98), accessibility %.0f, best practices %.0f, SEO %.0f (want 100)",
				pg.Name, 100*pg.Performance, 100*pg.Accessibility, 100*pg.BestPractices, 100*pg.SEO)
		}
	}
}
