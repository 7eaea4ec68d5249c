package main

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// notes is the part of BENCHMARKS.md that is not measured: how to read the
// figures, the durability trade, and the before/after record of every fix. It
// lives here so that overwriting the report each run keeps it.
//
//go:embed notes.md
var notes string

// figure is one measured line of the report; info marks one without a target.
type figure struct {
	num, what, value, ratio, target string
	pass, info                      bool
}

func (f figure) verdict() string {
	if f.info {
		return "INFO"
	}
	if f.pass {
		return "PASS"
	}
	return "MISS"
}

// add records a figure and prints its line at once.
func (b *bench) add(f figure) {
	b.figures = append(b.figures, f)
	ratio := f.ratio
	if ratio != "" {
		ratio = " = " + ratio
	}
	fmt.Fprintf(b.out, "%-3s %s: %s%s (target %s) %s\n", f.num, f.what, f.value, ratio, f.target, f.verdict())
}

// writeReport overwrites BENCHMARKS.md with the machine, the command and the figures.
func (b *bench) writeReport(ctx context.Context, args []string) error {
	var sb strings.Builder
	cmd := "go run ./cmd/bench"
	if len(args) > 0 {
		cmd += " " + strings.Join(args, " ")
	}
	fmt.Fprintf(&sb, "# Benchmarks\n\nWritten by `%s` on %s (it overwrites this file; `make bench` runs it).\n\n",
		cmd, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	sb.WriteString("| machine | |\n|---|---|\n")
	fmt.Fprintf(&sb, "| CPU | %s, `nproc` = %d |\n", cpuModel(), runtime.NumCPU())
	fmt.Fprintf(&sb, "| memory | %s |\n", memTotal())
	fmt.Fprintf(&sb, "| Go | %s %s/%s |\n", goVersion(ctx), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&sb, "| data dir | %s (%s) |\n", os.TempDir(), fsType(os.TempDir()))
	fmt.Fprintf(&sb, "| run | %s in all; wrk figures: `wrk -t%d -c%d`, %d slices of %s of each server, alternating, after a 2 s warm-up of each; Go-client figures %s after a %s warm-up; crowd %s |\n",
		b.took.Round(time.Second), b.o.wrkThreads, b.o.wrkConns, b.o.wrkRounds, b.o.wrkSlice, b.o.runFor, warmup, b.o.crowdFor)
	fmt.Fprintf(&sb, "| load | the machine's load average when the run ended: %s (other work shares these cores) |\n\n", loadAverage())
	sb.WriteString("| # | figure | measured | ratio | target | |\n|---|---|---|---|---|---|\n")
	for _, f := range b.figures {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | **%s** |\n", f.num, f.what,
			strings.ReplaceAll(f.value, "|", "\\|"), f.ratio, f.target, f.verdict())
	}
	if len(b.notes) > 0 {
		sb.WriteString("\nFrom the portals' logs (stderr) in this run:\n\n")
		for _, n := range b.notes {
			fmt.Fprintf(&sb, "- %s\n", n)
		}
	}
	sb.WriteString("\n" + notes)
	return os.WriteFile(b.o.out, []byte(sb.String()), 0o644)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	return "unknown"
}

func goVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

// fsType names the file system the data dirs are on (fsync cost depends on it).
func fsType(dir string) string {
	out, err := exec.Command("df", "--output=fstype,source", dir).Output()
	if err != nil {
		return "unknown file system"
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(strings.Fields(lines[len(lines)-1]), " on ")
}

func thousands(v float64) string {
	n := int64(v + 0.5)
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// pct is measured as a percentage of a ceiling target.
func pct(measured, target time.Duration) string {
	return fmt.Sprintf("%.0f %% of target", 100*float64(measured)/float64(target))
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

func decodeKey(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("stage data key: %w", err)
	}
	return b, nil
}
