package main

import (
	"strings"
	"testing"
	"time"
)

const sampleOutput = `XGO-LAB: suite-start uptime=11.81
=== RUN   TestXenA
=== RUN   TestXenA/sub
    a_test.go:10: log line
--- PASS: TestXenA (1.50s)
    --- PASS: TestXenA/sub (0.25s)
=== RUN   TestXenB
    b_test.go:3: want 1, got 2
--- FAIL: TestXenB (0.01s)
=== RUN   TestXenC
    c_test.go:5: no xgo binary
--- SKIP: TestXenC (0.00s)
=== RUN   TestXenD
panic: test timed out after 3m0s
FAIL
XGO-LAB: suite-exit rc=1 uptime=20.5
`

func TestSuiteParser(t *testing.T) {
	p := newSuiteParser()
	var events []labEvent
	for _, l := range strings.Split(sampleOutput, "\n") {
		if ev, ok := parseLabLine(l); ok {
			events = append(events, ev)
			continue
		}
		p.Line(l)
	}
	want := []struct {
		name, status string
		elapsed      time.Duration
	}{
		{"TestXenA", statusPass, 1500 * time.Millisecond},
		{"TestXenA/sub", statusPass, 250 * time.Millisecond},
		{"TestXenB", statusFail, 10 * time.Millisecond},
		{"TestXenC", statusSkip, 0},
		{"TestXenD", statusNoEnd, 0},
	}
	got := p.Results()
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Status != w.status || got[i].Elapsed != w.elapsed {
			t.Errorf("result %d = %s %s %s, want %s %s %s", i,
				got[i].Name, got[i].Status, got[i].Elapsed, w.name, w.status, w.elapsed)
		}
	}
	if out := strings.Join(p.results["TestXenB"].Output, "\n"); !strings.Contains(out, "want 1, got 2") {
		t.Errorf("TestXenB output = %q, want its log line", out)
	}
	if !p.Panic || p.Summary != "FAIL" {
		t.Errorf("Panic = %v, Summary = %q; want true, FAIL", p.Panic, p.Summary)
	}
	if len(events) != 2 || events[1].Name != evSuiteExit || events[1].Fields["rc"] != "1" {
		t.Errorf("lab events = %+v", events)
	}
}

func TestVerdict(t *testing.T) {
	mk := func(lines ...string) *bootRun {
		a := &attempt{Events: map[string]labEvent{}, Parser: newSuiteParser(), ReachedDom0: true}
		for _, l := range lines {
			if ev, ok := parseLabLine(l); ok {
				a.Events[ev.Name] = ev
			} else {
				a.Parser.Line(l)
			}
		}
		return &bootRun{Daemon: "xenstored", Attempts: []*attempt{a}}
	}
	cases := []struct {
		name string
		boot *bootRun
		ok   bool
	}{
		{"pass", mk("--- PASS: TestXenA (0.10s)", "PASS", "XGO-LAB: suite-exit rc=0"), true},
		{"skip only", mk("--- SKIP: TestXenA (0.00s)", "PASS", "XGO-LAB: suite-exit rc=0"), true},
		{"failing test", mk("--- FAIL: TestXenA (0.10s)", "FAIL", "XGO-LAB: suite-exit rc=1"), false},
		{"crash after pass", mk("--- PASS: TestXenA (0.10s)", "XGO-LAB: suite-exit rc=2"), false},
		{"never finished", mk("--- PASS: TestXenA (0.10s)"), false},
		{"no tests", mk("PASS", "XGO-LAB: suite-exit rc=0"), false},
	}
	for _, c := range cases {
		if ok, why := c.boot.verdict(); ok != c.ok {
			t.Errorf("%s: verdict = %v (%s), want %v", c.name, ok, why, c.ok)
		}
		var sb strings.Builder
		if code := report(&sb, []*bootRun{c.boot}, timings{}); (code == 0) != c.ok {
			t.Errorf("%s: report exit code %d\n%s", c.name, code, sb.String())
		}
	}
}

func TestQemuArgsEscapesCommas(t *testing.T) {
	img := imageAt("/cache/base-1")
	args := qemuArgs(img, "/out/a,b/initrd.cpio", "/out/console.log", "/out/test.out", false)
	var initrd string
	for i, a := range args {
		if a == "-initrd" {
			initrd = args[i+1]
		}
	}
	want := "/cache/base-1/vmlinux " + dom0Cmdline + ",/out/a,,b/initrd.cpio"
	if initrd != want {
		t.Errorf("-initrd %q, want %q", initrd, want)
	}
}
