package main

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The dom0 init writes "XGO-LAB: EVENT key=value ... uptime=SECONDS" lines
// on the test channel (dom0's ttyS1) between the go test output.
const labPrefix = "XGO-LAB: "

// Lab events, in boot order.
const (
	evDom0Up      = "dom0-up"     // dom0's /init started: the boot reached dom0
	evXenstoreUp  = "xenstore-up" // the XenStore daemon answers
	evXenReady    = "xen-ready"   // xen-init-dom0 and xenconsoled done
	evSuiteStart  = "suite-start" // suite.test started
	evSuiteExit   = "suite-exit"  // suite.test exited: rc=N
	evDone        = "done"        // about to power off: rc=N
	evLabError    = "lab-error"   // dom0 setup failed: the rest of the line says why
	statusPass    = "PASS"
	statusFail    = "FAIL"
	statusSkip    = "SKIP"
	statusNoEnd   = "NORESULT" // started, never finished (crash, timeout, hang)
	statusMissing = "-"
)

// labEvent is one parsed XGO-LAB line.
type labEvent struct {
	Name   string
	Fields map[string]string
	Text   string        // the whole line after the prefix
	Host   time.Duration // when the host saw it, since QEMU started
}

func parseLabLine(line string) (labEvent, bool) {
	rest, ok := strings.CutPrefix(line, labPrefix)
	if !ok {
		return labEvent{}, false
	}
	ev := labEvent{Fields: map[string]string{}, Text: rest}
	words := strings.Fields(rest)
	if len(words) == 0 {
		return labEvent{}, false
	}
	ev.Name = words[0]
	for _, w := range words[1:] {
		if k, v, ok := strings.Cut(w, "="); ok {
			ev.Fields[k] = v
		}
	}
	return ev, true
}

// testResult is the outcome of one test (or subtest) in one boot.
type testResult struct {
	Name    string
	Status  string
	Elapsed time.Duration
	Output  []string // lines printed while it was the running test
}

// suiteParser reads `go test -v` output line by line.
type suiteParser struct {
	order   []string
	results map[string]*testResult
	current string
	Summary string // the binary's last word: PASS or FAIL, if it got that far
	Panic   bool
}

func newSuiteParser() *suiteParser {
	return &suiteParser{results: map[string]*testResult{}}
}

var (
	reRun    = regexp.MustCompile(`^=== (RUN|CONT|PAUSE|NAME)\s+(\S+)`)
	reResult = regexp.MustCompile(`^\s*--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)`)
)

func (p *suiteParser) get(name string) *testResult {
	r, ok := p.results[name]
	if !ok {
		r = &testResult{Name: name, Status: statusNoEnd}
		p.results[name] = r
		p.order = append(p.order, name)
	}
	return r
}

// Line feeds one line of output (without its newline).
func (p *suiteParser) Line(line string) {
	if m := reRun.FindStringSubmatch(line); m != nil {
		p.get(m[2])
		p.current = m[2]
		return
	}
	if m := reResult.FindStringSubmatch(line); m != nil {
		r := p.get(m[2])
		r.Status = m[1]
		if s, err := strconv.ParseFloat(m[3], 64); err == nil {
			r.Elapsed = time.Duration(s * float64(time.Second))
		}
		p.current = m[2]
		return
	}
	switch strings.TrimSpace(line) {
	case "PASS", "FAIL":
		p.Summary = strings.TrimSpace(line)
		p.current = ""
		return
	}
	if strings.HasPrefix(line, "panic: ") {
		p.Panic = true
	}
	if p.current != "" {
		r := p.results[p.current]
		r.Output = append(r.Output, line)
	}
}

// Results returns the tests in the order they first appeared.
func (p *suiteParser) Results() []*testResult {
	out := make([]*testResult, 0, len(p.order))
	for _, n := range p.order {
		out = append(out, p.results[n])
	}
	return out
}
