package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"prequal/lending"
	"prequal/platform"
	"prequal/store"
)

// The separate-process harness: the portal binary built once per test run and
// started with os/exec, so a test can SIGKILL or SIGTERM it as an operator (or
// the kernel) would.

var (
	binaryDir   string
	buildBinary = sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binaryDir, "portal")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go build: %v\n%s", err, out)
		}
		return bin, nil
	})
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "portal-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binaryDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// portalBinary returns the portal built from this package (once per run).
func portalBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// freeLoopbackAddr returns 127.0.0.1:port with a port free right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// portalProcess is `portal serve` running as a child process.
type portalProcess struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string
	DataDir string
	Logs    *portalLogs // its stderr
	exited  chan struct{}
	waitErr error
}

// startPortalProcess runs `portal serve` on addr with dataDir (stage, embedded
// stage platform) and waits for /readyz. Its stderr is kept and scanned for
// secrets when the test ends, like every in-process portal's log.
func startPortalProcess(t *testing.T, dataDir, addr string, env ...string) *portalProcess {
	t.Helper()
	cmd := exec.Command(portalBinary(t), "serve")
	cmd.Env = append(os.Environ(), "PORTAL_ADDR="+addr, "PORTAL_DATA_DIR="+dataDir, "PORTAL_ENV=stage",
		"PLATFORM_BASE_URL=", "PORTAL_BASE_URL=")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &portalProcess{t: t, cmd: cmd, URL: "http://" + addr, DataDir: dataDir, Logs: &portalLogs{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(p.Logs, stderr); close(copied) }()
	go func() { <-copied; p.waitErr = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
		assertLogsClean(t, processConfig(t, dataDir), p.Logs.String())
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("the portal exited at start-up: %v\n%s", p.waitErr, p.Logs.String())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the portal did not get ready within 30s\n%s", p.Logs.String())
		}
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (p *portalProcess) Kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-p.exited
}

// Terminate sends SIGTERM and returns the exit error (nil: exit status 0) and how
// long the process took to exit; it fails the test after within.
func (p *portalProcess) Terminate(within time.Duration) (error, time.Duration) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
		return p.waitErr, time.Since(start)
	case <-time.After(within):
		p.t.Fatalf("the portal did not exit within %v of SIGTERM\n%s", within, tail(p.Logs.String(), 30))
		return nil, 0
	}
}

// processConfig loads the configuration a portal on dataDir runs with (its
// stage secrets included), as `portal serve` would.
func processConfig(t *testing.T, dataDir string) *config {
	t.Helper()
	cfg, err := parseConfig("serve", nil, func(name string) string {
		if name == "PORTAL_DATA_DIR" {
			return dataDir
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openProcessStore opens the database of a portal on dataDir for the test to
// read (the portal may still be running: WAL lets readers in).
func openProcessStore(t *testing.T, dataDir string) *store.Store {
	t.Helper()
	cfg := processConfig(t, dataDir)
	st, err := store.Open(context.Background(), cfg.dbPath(), cfg.dataKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// stagePlatform is a client of the embedded stage platform of a portal on
// dataDir, with the portal's own credentials.
func stagePlatform(t *testing.T, base, dataDir string) *platform.Client {
	t.Helper()
	cfg := processConfig(t, dataDir)
	return platform.NewClient(platform.Config{BaseURL: base + "/sandbox", ClientID: cfg.ClientID,
		ClientSecret: cfg.ClientSecret, Logger: newLogger(io.Discard)})
}

// processBorrower is one browser (its own cookie jar) submitting to a portal
// that may go away and come back.
type processBorrower struct {
	client *http.Client
	base   string
}

func newProcessBorrower(base string) *processBorrower {
	jar, _ := cookiejar.New(nil)
	return &processBorrower{base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// formKey opens the form and returns its idempotency key.
func (b *processBorrower) formKey() (string, error) {
	resp, err := b.client.Get(b.base + "/apply")
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := idempotencyKeyInput.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		return "", fmt.Errorf("GET /apply: %d", resp.StatusCode)
	}
	return string(m[1]) + string(m[2]), nil
}

// errNoAnswer means the request got no HTTP answer (the portal was down or went
// down mid-request): whether it was stored is unknown until it is sent again.
var errNoAnswer = errors.New("no answer")

// post submits form with key; it returns the application id of a 303.
func (b *processBorrower) post(form url.Values, key string) (string, int, error) {
	form.Set(lending.FieldIdempotencyKey, key)
	req, _ := http.NewRequest(http.MethodPost, b.base+"/apply", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	resp, err := b.client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %v", errNoAnswer, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	id, ok := strings.CutPrefix(resp.Header.Get("Location"), "/applications/")
	if resp.StatusCode != http.StatusSeeOther || !ok {
		return "", resp.StatusCode, fmt.Errorf("POST /apply: %d", resp.StatusCode)
	}
	return id, resp.StatusCode, nil
}

// pageStatus opens the application's page with the borrower's own session and
// returns its HTTP status and the lead status it shows.
func (b *processBorrower) pageStatus(id string) (int, string, error) {
	resp, err := b.client.Get(b.base + "/applications/" + id)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, `data-testid="application-status"`); i >= 0 {
			_, rest, _ := strings.Cut(line[i:], `data-status="`)
			status, _, _ := strings.Cut(rest, `"`)
			return resp.StatusCode, status, nil
		}
	}
	return resp.StatusCode, "", nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
