package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildPortal compiles ./cmd/portal into dir and returns the binary's path.
func buildPortal(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "portal")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "prequal/cmd/portal")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/portal: %w", err)
	}
	return bin, nil
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// process is a server the bench started: the portal or the bare hello server.
type process struct {
	name    string
	cmd     *exec.Cmd
	URL     string
	DataDir string
	// pprofURL is the portal's profiler (PORTAL_PPROF_ADDR), "" when off.
	pprofURL string
	log      *logScan
	exited   chan struct{}
	waitErr  error
}

// startPortal runs `portal serve` in stage with the embedded stage platform on a
// fresh data dir under work, and waits until it answers /readyz.
func startPortal(ctx context.Context, bin, work, name string, env ...string) (*process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(work, name+"-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(),
		"PORTAL_ADDR="+addr, "PORTAL_DATA_DIR="+dir, "PORTAL_ENV=stage", "PLATFORM_BASE_URL=",
		"PORTAL_LEAD_TIMEOUT=10m") // the poll figures keep their leads pending throughout
	cmd.Env = append(cmd.Env, env...)
	p := &process{name: name, cmd: cmd, URL: "http://" + addr, DataDir: dir}
	return p, p.start(ctx, "/readyz")
}

// startHello runs this very program as the bare Echo hello server.
func startHello(ctx context.Context) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &process{name: "hello", cmd: exec.Command(self, "-serve-hello", addr), URL: "http://" + addr}
	return p, p.start(ctx, "/hello")
}

func (p *process) start(ctx context.Context, probe string) error {
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return err
	}
	p.cmd.Stdout = io.Discard
	p.log = &logScan{}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	scanned := make(chan struct{})
	go func() { p.log.scan(stderr); close(scanned) }()
	p.exited = make(chan struct{})
	go func() { <-scanned; p.waitErr = p.cmd.Wait(); close(p.exited) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.URL + probe)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited at start-up: %v\n%s", p.name, p.waitErr, p.log.tail())
		case <-ctx.Done():
			p.stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("%s did not answer %s within 30 s", p.name, probe)
		}
	}
}

// stop ends the process with SIGTERM (graceful shutdown), or SIGKILL after 20 s.
func (p *process) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within 20 s of SIGTERM", p.name)
	}
	if p.waitErr != nil {
		return fmt.Errorf("%s: %w\n%s", p.name, p.waitErr, p.log.tail())
	}
	return nil
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes.
func (p *process) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// logScan reads a process's log as it is written, counting what the figures
// report and keeping the last lines for error messages.
type logScan struct {
	mu                    sync.Mutex
	lines, busy, errLines int
	last                  []string
}

func (l *logScan) scan(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		l.mu.Lock()
		l.lines++
		if strings.Contains(line, "SQLITE_BUSY") || strings.Contains(line, "database is locked") {
			l.busy++
		}
		if strings.Contains(line, "level=ERROR") {
			l.errLines++
		}
		if len(l.last) == 20 {
			l.last = l.last[1:]
		}
		l.last = append(l.last, line)
		l.mu.Unlock()
	}
}

// counts returns how many lines, SQLITE_BUSY lines and error lines were logged.
func (l *logScan) counts() (lines, busy, errLines int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines, l.busy, l.errLines
}

func (l *logScan) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.last, "\n")
}

// cpuProfile saves the process's CPU profile over the next d to path.
func (p *process) cpuProfile(ctx context.Context, d time.Duration, path string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.pprofURL, int(d/time.Second)), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errStatus{"GET", "/debug/pprof/profile", resp.StatusCode}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU times:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime is the CPU time (user and system) the process has used so far.
func (p *process) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces; the
	// fields after it are plain numbers: utime and stime are the 14th and 15th.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected %q", p.cmd.Process.Pid, b)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
