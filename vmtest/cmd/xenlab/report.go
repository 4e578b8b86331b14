package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

type timings struct {
	base, build, total time.Duration
}

// verdict says whether one daemon's boot passed, and if not, why.
func (b *bootRun) verdict() (ok bool, why string) {
	a := b.last()
	switch {
	case b.Err != nil:
		return false, b.Err.Error()
	case a == nil:
		return false, "did not boot"
	case a.Err != nil:
		return false, a.Err.Error()
	}
	ev, ok := a.Events[evSuiteExit]
	if !ok {
		return false, "the suite never finished"
	}
	failed := 0
	ran := 0
	for _, r := range a.Parser.Results() {
		ran++
		if r.Status == statusFail || r.Status == statusNoEnd {
			failed++
		}
	}
	switch {
	case failed > 0:
		return false, fmt.Sprintf("%d test(s) failed", failed)
	case ev.Fields["rc"] != "0":
		return false, fmt.Sprintf("suite.test exited with status %s", ev.Fields["rc"])
	case ran == 0:
		return false, "no test ran (check -run)"
	}
	return true, ""
}

// report prints the results and returns the exit status.
func report(w io.Writer, boots []*bootRun, t timings) int {
	fmt.Fprintf(w, "\n==================== xenlab report ====================\n")

	// Failure details first, so the summary ends the output.
	allOK := true
	for _, b := range boots {
		ok, why := b.verdict()
		if ok {
			continue
		}
		allOK = false
		fmt.Fprintf(w, "\n---- %s: FAILED: %s\n", b.Daemon, why)
		a := b.last()
		if a == nil {
			continue
		}
		for _, r := range a.Parser.Results() {
			if r.Status != statusFail && r.Status != statusNoEnd {
				continue
			}
			fmt.Fprintf(w, "  %s %s; its output:\n", r.Name, statusWord(r.Status))
			out := r.Output
			if len(out) > 80 {
				fmt.Fprintf(w, "    ... (%d lines; all of it is in %s)\n", len(out)-80, a.TestLog)
				out = out[len(out)-80:]
			}
			for _, l := range out {
				fmt.Fprintf(w, "    | %s\n", l)
			}
		}
		labFailure := a.Err != nil || a.Parser.Panic || len(a.Parser.Results()) == 0
		if labFailure {
			fmt.Fprintf(w, "  last lines of the test channel (%s):\n", a.TestLog)
			for _, l := range lastLines(a.TestLog, 30) {
				fmt.Fprintf(w, "    | %s\n", l)
			}
			fmt.Fprintf(w, "  last lines of the Xen/dom0 serial console (%s):\n", a.ConsoleLog)
			for _, l := range lastLines(a.ConsoleLog, 120) {
				fmt.Fprintf(w, "    | %s\n", l)
			}
			if q := lastLines(a.QemuLog, 20); len(q) > 2 {
				// More than the command line: QEMU had something to say.
				fmt.Fprintf(w, "  QEMU's messages (%s):\n", a.QemuLog)
				for _, l := range q {
					fmt.Fprintf(w, "    | %s\n", l)
				}
			}
		} else if dump := dom0Dump(a.ConsoleLog); len(dump) > 0 {
			// Tests failed in a healthy boot: dom0's own state dump is
			// what helps, not the boot messages.
			fmt.Fprintf(w, "  dom0 after the suite (from %s):\n", a.ConsoleLog)
			for _, l := range dump {
				fmt.Fprintf(w, "    | %s\n", l)
			}
		}
	}

	// Per-test table: one column per daemon.
	var names []string
	seen := map[string]bool{}
	for _, b := range boots {
		if a := b.last(); a != nil {
			for _, r := range a.Parser.Results() {
				if !seen[r.Name] {
					seen[r.Name] = true
					names = append(names, r.Name)
				}
			}
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "TEST"
	for _, b := range boots {
		header += "\t" + b.Daemon
	}
	fmt.Fprintln(tw, header)
	var pass, fail, skip int
	for _, n := range names {
		row := n
		if strings.Contains(n, "/") {
			row = "  " + n
		}
		for _, b := range boots {
			r := lookup(b, n)
			cell := statusMissing
			if r != nil {
				cell = r.Status
				if r.Status != statusNoEnd {
					cell += " " + r.Elapsed.Round(10*time.Millisecond).String()
				}
				if !strings.Contains(n, "/") {
					switch r.Status {
					case statusPass:
						pass++
					case statusSkip:
						skip++
					default:
						fail++
					}
				}
			}
			row += "\t" + cell
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	// A boot that failed without a failing test (it broke, hung or ran
	// nothing) counts as one failure, so the closing line never reads
	// "0 failed" for a failed run.
	for _, b := range boots {
		if ok, _ := b.verdict(); !ok && !hasFailedTest(b) {
			fail++
		}
	}

	// Timings, one row per boot.
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DAEMON\tRESULT\tBOOTS\tQEMU START TO DOM0\tTHEN XENSTORE+CONSOLED\tSUITE\tBOOT TO RESULT\tQEMU TOTAL")
	for _, b := range boots {
		ok, _ := b.verdict()
		res := "ok"
		if !ok {
			res = "FAILED"
		}
		a := b.last()
		if a == nil {
			fmt.Fprintf(tw, "%s\t%s\t0\t-\t-\t-\t-\t-\n", b.Daemon, res)
			continue
		}
		dom0, okDom0 := a.event(evDom0Up)
		ready, okReady := a.event(evXenReady)
		start, okStart := a.event(evSuiteStart)
		exit, okExit := a.event(evSuiteExit)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", b.Daemon, res, len(b.Attempts),
			dur(dom0, okDom0), dur(ready-dom0, okReady && okDom0), dur(exit-start, okExit && okStart),
			dur(exit, okExit), round(a.Wall))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nbase image %s, go build %s, everything %s\n", round(t.base), round(t.build), round(t.total))
	verdict := "ok"
	if !allOK {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "vmtest %s\n", verdict)
	// The plain closing line CI reads.
	fmt.Fprintf(w, "vmtest: %d passed, %d failed, %d skipped\n", pass, fail, skip)
	if allOK && fail == 0 {
		return 0
	}
	return 1
}

func lookup(b *bootRun, name string) *testResult {
	if a := b.last(); a != nil {
		return a.Parser.results[name]
	}
	return nil
}

func statusWord(s string) string {
	if s == statusNoEnd {
		return "never finished (crash, panic or timeout)"
	}
	return "failed"
}

func dur(d time.Duration, ok bool) string {
	if !ok {
		return "-"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
}

// dom0Dump returns what dom0's init printed on the console after a failed
// suite (from its "xenlab: suite failed" line on), at most 80 lines.
func dom0Dump(consoleLog string) []string {
	lines := lastLines(consoleLog, 400)
	for i, l := range lines {
		if strings.HasPrefix(l, "xenlab: suite failed") {
			lines = lines[i:]
			if len(lines) > 80 {
				lines = lines[:80]
			}
			return lines
		}
	}
	return nil
}

func hasFailedTest(b *bootRun) bool {
	if a := b.last(); a != nil {
		for _, r := range a.Parser.Results() {
			if r.Status == statusFail || r.Status == statusNoEnd {
				return true
			}
		}
	}
	return false
}
