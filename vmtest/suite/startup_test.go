//go:build xenlab

package suite

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestXenStartupRatios measures what issue #17 sets goals for, in this
// dom0, where every page fault and thread creation goes through Xen:
// each command against its reference (a static Go "hello", or the tool
// xgo replaces), the two run alternately, median of startupRuns, each
// through `sh -c` as an admin's shell would run it. Each ratio goes into
// the report as a PERF line; the test fails only well beyond the goal
// (see row.failAbove), so that emulation noise cannot make it flaky.
func TestXenStartupRatios(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("xenstored's boot measures start-up")
	}
	xgo := XgoPath(t)
	hello := "/xgo/bin/hello"
	if _, err := os.Stat(hello); err != nil {
		t.Skipf("no %s in this run", hello)
	}
	MustRun(t, "xenstore-write", "/tool/xgo-startup/a", "1")
	t.Cleanup(func() { Run(t, "xenstore-rm", "/tool/xgo-startup") })

	// Many operations in one process: 1000 paths to read.
	var paths []string
	for i := range 1000 {
		p := fmt.Sprintf("/tool/xgo-startup/n%d", i)
		paths = append(paths, p)
	}
	writes := make([]string, 0, 2000)
	for i, p := range paths {
		writes = append(writes, p, fmt.Sprint(i))
	}
	MustRun(t, xgo, append([]string{"xenstore", "write"}, writes...)...)
	readAll := strings.Join(paths, " ")

	// goal is the bound on xgo / reference. failAbove is where
	// the test fails: the goal times 1.6 once xgo meets it; until then
	// about twice today's ratio (two runs on a loaded lab host on
	// 2026-12-07 moved by up to 40% between them, docs/perf.md): a
	// regression such as a thread pool or a sleep at start-up fails it,
	// the noise of a busy host does not.
	type row struct {
		name            string
		ref, cmd        string
		reference       string
		goal, failAbove float64
		runs            int
	}
	rows := []row{
		{"xgo version", hello, xgo + " version", "static hello", 1.25, 4, startupRuns},
		{"cpupool-list", hello, xgo + " cpupool-list", "static hello", 1.25, 4, startupRuns},
		{"info", hello, xgo + " info", "static hello", 1.25, 4.5, startupRuns},
		{"topology", hello, xgo + " topology", "static hello", 1.25, 4, startupRuns},
		{"export", hello, xgo + " export", "static hello", 1.25, 6, startupRuns},
		{"xenstore read", "xenstore-read /tool/xgo-startup/a", xgo + " xenstore read /tool/xgo-startup/a", "xenstore-read", 1.0, 4.5, startupRuns},
		{"xenstore write", "xenstore-write /tool/xgo-startup/a 2", xgo + " xenstore write /tool/xgo-startup/a 2", "xenstore-write", 1.0, 5.5, startupRuns},
		{"cpupool-cpu-remove+add", "xl cpupool-cpu-remove Pool-0 3 && xl cpupool-cpu-add Pool-0 3",
			xgo + " cpupool-cpu-remove Pool-0 3 && " + xgo + " cpupool-cpu-add Pool-0 3", "xl", 0.6, 4.5, startupRuns},
		{"pcpu-offline+online", "xen-hptool cpu-offline 3 && xen-hptool cpu-online 3",
			xgo + " pcpu-offline 3 && " + xgo + " pcpu-online 3", "xen-hptool", 0.6, 5, startupRuns},
		// A thousand round trips take seconds under TCG: two runs.
		{"1000 xenstore reads", "xenstore-read " + readAll, xgo + " xenstore read " + readAll, "xenstore-read", 0.5, 2, 2},
	}
	var failed []string
	for _, r := range rows {
		ref, got := alternate(t, r.ref, r.cmd, r.runs)
		ratio := float64(got) / float64(ref)
		t.Logf("PERF startup %-24s %s %6s  xgo %6s  ratio %.2f (goal %.2f)", r.name, r.reference, ref.Round(time.Millisecond), got.Round(time.Millisecond), ratio, r.goal)
		if limit := max(r.failAbove, r.goal*startupSlack); ratio > limit {
			failed = append(failed, fmt.Sprintf("%s: %.2f× %s, above %.2f× (the goal is %.2f×)", r.name, ratio, r.reference, limit, r.goal))
		}
	}
	for _, f := range failed {
		t.Error(f)
	}
}

const (
	startupRuns = 5
	// startupSlack: a ratio fails the test only above goal × slack. The
	// issue asks for "failing only far beyond the goal, e.g. 1.6×".
	startupSlack = 1.6
)

// alternate runs a and b alternately through sh -c, runs times each
// after one warm-up, and returns their medians.
func alternate(t *testing.T, a, b string, runs int) (time.Duration, time.Duration) {
	t.Helper()
	once := func(cmd string) time.Duration {
		start := time.Now()
		out, err := exec.Command("sh", "-c", cmd+" >/dev/null").CombinedOutput()
		d := time.Since(start)
		if err != nil {
			t.Fatalf("sh -c %q: %v\n%s", cutCmd(cmd), err, out)
		}
		return d
	}
	once(a)
	once(b)
	var da, db []time.Duration
	for range runs {
		da = append(da, once(a))
		db = append(db, once(b))
	}
	return median(da), median(db)
}

func cutCmd(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
