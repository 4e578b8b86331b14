package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/xensim"
)

// exitRuleArgs gives, for every command that takes a cpu list, a pool, a
// domain or a device, a command line on the cpupoolSpec host where each
// such argument is a {placeholder}. TestExitCodeRule replaces one
// placeholder at a time with a value that is well formed but names
// nothing on this host (exit 1) or a value that is malformed (exit 2),
// and runs each line with and without -N. A new command with such a
// placeholder in its usage must be added here.
var exitRuleArgs = map[string][][]string{
	"pcpu-list":          {{"{cpu-list}"}},
	"pcpu-online":        {{"{cpu-list}"}},
	"pcpu-offline":       {{"{cpu-list}"}},
	"cpupool-list":       {{"{pool}"}},
	"cpupool-destroy":    {{"{pool}"}},
	"cpupool-rename":     {{"{pool}", "newname"}},
	"cpupool-cpu-add":    {{"{pool}", "{cpu-list}"}},
	"cpupool-cpu-remove": {{"{pool}", "{cpu-list}"}},
	"cpupool-cpu-move":   {{"{cpu-list}", "{pool}"}},
	"cpupool-migrate":    {{"{domain}", "{pool}"}},
	"cpupool-set-sched":  {{"{pool}", "credit"}},
	"cpupool-create":     {{"name=new", "cpus={cpu-list}"}},
	"sched-credit":       {{"-d", "{domain}", "-w", "300"}},
	"sched-credit2":      {{"-d", "{domain}", "-w", "300"}, {"-d", "web", "-c", "{cap}"}},
	"sched-rtds":         {{"-d", "{domain}"}, {"-d", "rt1", "-v", "{vcpu}", "-p", "100", "-b", "50", "-e", "1"}},
	"vsnd-attach":        {{"{domain}", "PCM, name=x", "STREAM, unique-id=null, type=p"}},
	"vsnd-list":          {{"{domain}"}},
	"vsnd-detach":        {{"{domain}", "{devid}"}},
}

// evenCPUs is a long cpu list: 0,2,4,...,3000.
var evenCPUs = func() string {
	var b strings.Builder
	for i := 0; i <= 3000; i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, i)
	}
	return b.String()
}()

// Values per placeholder: well formed but absent from the host, and
// malformed whatever the host.
var (
	absentValues = map[string][]string{
		"cpu-list": {"99", "12", "node:7", "1,node:5", "6,200", "0-65535", evenCPUs},
		"pool":     {"nosuch", "77"},
		"domain":   {"nosuch", "77"},
		"devid":    {"9"},
		"cap":      {"201", "65534"}, // web has 2 vCPUs: at most 200
		"vcpu":     {"2", "77"},      // rt1 has vCPUs 0-1
	}
	malformedValues = map[string][]string{
		"cpu-list": {"1-x", "3-1", "^", "node:", "^3", evenCPUs + ",x"},
		"devid":    {"x", "-1"},
		"cap":      {"x", "-1", "65536"},
		"vcpu":     {"x", "-1"},
	}
	// defaults fill the other placeholders of a line.
	exitRuleDefaults = map[string]string{"cpu-list": "6", "pool": "spare", "domain": "web", "devid": "0"}
)

// TestExitCodeRule enforces docs/cli.md's rule: exit 2 for a command line
// that is wrong on any host, exit 1 for one that this host cannot do,
// whatever the command and whether or not -N is given.
//
// It runs alone (not in parallel): its hundreds of command lines would
// slow the timing-sensitive parallel tests (vsnd-backend's turns).
func TestExitCodeRule(t *testing.T) {
	app := newApp(testDeps(t))
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			for _, p := range []string{"<cpu-list>", "<pool>", "<domain>", "<devid>"} {
				if strings.Contains(c.ArgsUsage, p) && exitRuleArgs[name] == nil {
					t.Errorf("%s takes %s but has no line in exitRuleArgs", name, p)
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)

	sim := simState(t, cpupoolSpec)
	before := simFile(t, sim)
	d := testDeps(t)
	for cmd, lines := range exitRuleArgs {
		for _, line := range lines {
			for i, arg := range line {
				ph, ok := placeholderIn(arg)
				if !ok {
					continue
				}
				try := func(value string, want int) {
					args := []string{cmd}
					for j, a := range line {
						if q, ok := placeholderIn(a); ok {
							v := exitRuleDefaults[q]
							if j == i {
								v = value
							}
							a = strings.Replace(a, "{"+q+"}", v, 1)
						}
						args = append(args, a)
					}
					for _, dry := range []bool{false, true} {
						full := append([]string{sim}, args...)
						if dry {
							full = append([]string{sim, "-N"}, args...)
						}
						r := runXgo(t, d, full...)
						// One short line, whatever the length of the input.
						if r.code != want || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "xgo: ") || len(r.stderr) > 512 {
							t.Errorf("xgo %q: exit %d, stderr %q; want exit %d and one line", full[1:], r.code, r.stderr, want)
						}
					}
				}
				for _, v := range absentValues[ph] {
					try(v, exitFailure)
				}
				for _, v := range malformedValues[ph] {
					try(v, exitUsage)
				}
			}
		}
	}
	if after := simFile(t, sim); !bytes.Equal(before, after) {
		t.Error("a refused command changed the simulated host")
	}
}

func placeholderIn(arg string) (string, bool) {
	i := strings.Index(arg, "{")
	j := strings.Index(arg, "}")
	if i < 0 || j < i {
		return "", false
	}
	return arg[i+1 : j], true
}

// TestInputFileErrors: a file named on the command line that cannot be
// read is a usage error (exit 2) for every command that reads one, and
// the message names the file without internal prefixes.
func TestInputFileErrors(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	const missing = "/nonexistent/input"
	for _, args := range [][]string{
		{"batch", "plan", missing},
		{"batch", "run", missing},
		{"cpupool-create", missing},
		{"cpupool-create", "-f", missing},
		{"sim", "init", "--spec", missing},
		{"vsnd-attach", "web", "--file", missing},
	} {
		for _, dry := range []bool{false, true} {
			full := append([]string{sim}, args...)
			if dry {
				full = append([]string{sim, "-N"}, args...)
			}
			r := runXgo(t, testDeps(t), full...)
			if r.code != exitUsage || !strings.Contains(r.stderr, missing) || strings.Count(r.stderr, "\n") != 1 ||
				strings.Contains(r.stderr, "xensim:") || strings.Contains(r.stderr, "xgo: xgo") {
				t.Errorf("xgo %q: exit %d, stderr %q; want exit 2 and one line naming %s", full[1:], r.code, r.stderr, missing)
			}
		}
	}
}

// TestExitFiveForEveryCommand: a command that fails part-way and leaves
// the host partly changed exits 5, whichever command it is: a cpupool
// move whose rollback fails, a best-effort cpupool-cpu-add or
// pcpu-offline that did some of its cpus. Undone cleanly, it exits 1.
func TestExitFiveForEveryCommand(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		setup [][]string
		run   []string
		want  int
	}{
		{[][]string{{"sim", "fault", "op", "rmcpu", "EBUSY", "--after", "1", "--always"}}, []string{"cpupool-cpu-move", "2-3", "spare"}, exitRollback},
		{[][]string{{"sim", "fault", "op", "addcpu", "EBUSY", "--after", "1"}}, []string{"cpupool-cpu-move", "2-3", "spare"}, exitFailure},
		{[][]string{{"cpupool-cpu-remove", "Pool-0", "2-3"}, {"sim", "fault", "op", "addcpu", "EBUSY", "--after", "1"}}, []string{"cpupool-cpu-add", "spare", "2-3"}, exitRollback},
		{[][]string{{"cpupool-cpu-remove", "Pool-0", "2-3"}, {"sim", "fault", "op", "addcpu", "EBUSY"}}, []string{"cpupool-cpu-add", "spare", "2"}, exitFailure},
		{[][]string{{"cpupool-cpu-remove", "Pool-0", "2-3"}, {"sim", "fault", "op", "sysctl cpu_hotplug offline", "ENODEV", "--after", "1"}}, []string{"pcpu-offline", "2-3"}, exitRollback},
	} {
		sim := simState(t, cpupoolSpec)
		for _, s := range tt.setup {
			if r := runXgo(t, testDeps(t), append([]string{sim}, s...)...); r.code != 0 {
				t.Fatalf("xgo %q: %+v", s, r)
			}
		}
		r := runXgo(t, testDeps(t), append([]string{sim}, tt.run...)...)
		if r.code != tt.want {
			t.Errorf("after %q, xgo %q: exit %d, want %d; %s", tt.setup, tt.run, r.code, tt.want, r.stderr)
		}
	}
}

// TestAbsentCPUMessage: a cpu the host does not have is explained with
// the cpus it has (0-15), not 0-max_cpu_id (0-31 on the default host,
// whose ids 16-31 are not present).
func TestAbsentCPUMessage(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sim.yaml")
	if err := xensim.Init(path, nil); err != nil { // the default host: 16 cpus, max_cpu_id 31
		t.Fatal(err)
	}
	sim := "--sim=" + path
	for _, args := range [][]string{{"cpupool-cpu-move", "16", "Pool-0"}, {"cpupool-create", "name=x", "cpus=16"}} {
		r := runXgo(t, testDeps(t), append([]string{sim, "-N"}, args...)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "cpu 16 does not exist (this host has cpus 0-15)") {
			t.Errorf("xgo %q: %+v", args, r)
		}
	}
}
