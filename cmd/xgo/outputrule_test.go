package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// outputRuleSamples is one command line per leaf command, on the
// cpupoolSpec host (mutating ones with -N): TestQuietRule and
// TestJSONRule run each with -q, -o json and -o yaml. A new command must
// be added here or to outputRuleSkip.
var outputRuleSamples = map[string][]string{
	"version":                   {},
	"info":                      {},
	"pcpu-list":                 {},
	"pcpu-online":               {"-N", "3"},
	"pcpu-offline":              {"-N", "6"},
	"topology":                  {},
	"xenstore ls":               {"/local/pool"},
	"xenstore read":             {"/local/pool/0/name"},
	"xenstore write":            {"-N", "/tool/x", "y"},
	"xenstore rm":               {"-N", "/local/pool/1/name"},
	"xenstore mkdir":            {"-N", "/tool/y"},
	"xenstore perms":            {"/local/pool/0/name"},
	"xenstore chmod":            {"-N", "/local/pool/0/name", "n0"},
	"sim init":                  {"-N"},
	"sim reset":                 {"-N"},
	"sim show":                  {},
	"sim fault op":              {"-N", "rmcpu", "EBUSY"},
	"sim fault xenstore-commit": {"-N"},
	"sim fault clear":           {"-N", "cpu_online"},
	"sim fault list":            {},
	"cpupool-list":              {},
	"cpupool-create":            {"-N", "name=new"},
	"cpupool-destroy":           {"-N", "spare"},
	"cpupool-rename":            {"-N", "spare", "other"},
	"cpupool-cpu-add":           {"-N", "spare", "6"},
	"cpupool-cpu-remove":        {"-N", "rt", "7"},
	"cpupool-cpu-move":          {"-N", "6", "spare"},
	"cpupool-migrate":           {"-N", "web", "a-rather-long-pool-name"},
	"cpupool-numa-split":        {"-N"},
	"cpupool-set-sched":         {"-N", "spare", "credit"},
	"sched-credit":              {"-p", "a-rather-long-pool-name"},
	"sched-credit2":             {"-s"},
	"sched-rtds":                {"-d", "rt1"},
	"vsnd-attach":               {"-N", "web", "PCM, name=x", "STREAM, unique-id=null, type=p"},
	"vsnd-list":                 {"web"},
	"vsnd-detach":               {"-N", "web", "0"},
	"batch plan":                {"{batch}"},
	"batch run":                 {"-N", "{batch}"},
	"export":                    {},
	"diff":                      {"{layout}"},
	"apply":                     {"-N", "{layout}"},
}

// outputRuleSkip are the leaf commands the rule tests do not run, and why.
var outputRuleSkip = map[string]string{
	"help":           "prints help text",
	"completion":     "prints a shell script",
	"__man":          "hidden, in the man-page generator only (-tags manpages)",
	"pcpu-watch":     "streams events until interrupted (TestPCPUWatchSim)",
	"xenstore watch": "streams events until interrupted",
	"xenstored":      "serves until interrupted",
	"vsnd-backend":   "serves until interrupted",
}

func outputRuleLines(t *testing.T) map[string][]string {
	t.Helper()
	app := newApp(testDeps(t))
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			if len(c.Subcommands) > 0 {
				walk(name, c.Subcommands)
				continue
			}
			if _, ok := outputRuleSamples[name]; !ok && outputRuleSkip[name] == "" {
				t.Errorf("%s is neither in outputRuleSamples nor in outputRuleSkip", name)
			}
		}
	}
	walk("", app.Commands)
	file := filepath.Join(t.TempDir(), "b.yaml")
	if err := os.WriteFile(file, []byte("version: 1\nsteps:\n  - cpupool-create: {name: new}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	layoutFile := filepath.Join(t.TempDir(), "l.yaml")
	if err := os.WriteFile(layoutFile, []byte("version: 1\npools: [{name: new, sched: credit2, cpus: 6}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := map[string][]string{}
	for name, args := range outputRuleSamples {
		line := strings.Fields(name)
		for _, a := range args {
			line = append(line, strings.NewReplacer("{batch}", file, "{layout}", layoutFile).Replace(a))
		}
		lines[name] = line
	}
	return lines
}

// outputRuleSim is the cpupoolSpec host with cpu 3 offline and cpu 6
// free, and a pending fault on an operation no sample uses.
func outputRuleSim(t *testing.T) string {
	t.Helper()
	sim := simState(t, cpupoolSpec)
	for _, line := range [][]string{
		{"cpupool-cpu-remove", "Pool-0", "3,6"},
		{"pcpu-offline", "3"},
		{"sim", "fault", "op", "smt-enable", "EBUSY"},
	} {
		if r := runXgo(t, testDeps(t), append([]string{sim}, line...)...); r.code != 0 {
			t.Fatalf("xgo %q: %+v", line, r)
		}
	}
	return sim
}

// TestGroupsNeedASubcommand: a command that only groups others exits 2
// with one line naming its subcommands, with no subcommand as with an
// unknown one, so that a typo in a script does not pass as success.
func TestGroupsNeedASubcommand(t *testing.T) {
	t.Parallel()
	app := newApp(testDeps(t))
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			if len(c.Subcommands) == 0 {
				continue
			}
			for _, extra := range [][]string{nil, {"bogus"}} {
				r := runXgo(t, testDeps(t), append(strings.Fields(name), extra...)...)
				if r.code != exitUsage || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("xgo %s %v: %+v, want exit 2 and one line on stderr", name, extra, r)
				}
				for _, sc := range c.Subcommands {
					if !sc.Hidden && !strings.Contains(r.stderr, sc.Name) {
						t.Errorf("xgo %s %v: %q does not name %s", name, extra, r.stderr, sc.Name)
					}
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
}

// TestQuietRule enforces docs/cli.md's rule for -q on every command: when
// the command prints something, -q prints its identifiers (one per line,
// non-empty) or, for a command whose output has none, exits 2 with one
// line and prints nothing. It never prints nothing with status 0 where
// the command prints data.
//
// It runs alone, as TestExitCodeRule does.
func TestQuietRule(t *testing.T) {
	for name, line := range outputRuleLines(t) {
		sim := outputRuleSim(t)
		d := testDeps(t)
		p := runXgo(t, d, append([]string{sim}, line...)...)
		q := runXgo(t, d, append([]string{sim, "-q"}, line...)...)
		if p.code != 0 || p.stdout == "" {
			if q.code != p.code {
				t.Errorf("%s: exit %d, with -q %d", name, p.code, q.code)
			}
			continue
		}
		switch {
		case q.code == 0 && q.stdout != "":
			for _, l := range strings.Split(strings.TrimSuffix(q.stdout, "\n"), "\n") {
				if l == "" {
					t.Errorf("%s -q: empty line in %q", name, q.stdout)
				}
			}
		case q.code == exitUsage && q.stdout == "" && strings.Contains(q.stderr, "-q") && strings.Count(q.stderr, "\n") == 1:
			if _, mutates := mutatingCommands[name]; mutates {
				t.Errorf("%s changes the host, so -q must print what it changed: %+v", name, q)
			}
		default:
			t.Errorf("%s -q: %+v; want identifiers, or exit 2 saying -q has none (plain output: %q)", name, q, p.stdout)
		}
	}
}

// TestJSONRule enforces docs/cli.md's rule for -o json and -o yaml on
// every command: success prints one document with schemaVersion 1 on
// stdout; failure prints nothing on stdout, and its last stderr line is
// {"schemaVersion":1,"error":{"status":N,"message":...}} with N the exit
// status.
//
// It runs alone, as TestExitCodeRule does.
func TestJSONRule(t *testing.T) {
	lines := outputRuleLines(t)
	// And some that fail, at each stage of the command line.
	lines["unknown command"] = []string{"bogus"}
	lines["unknown flag"] = []string{"cpupool-list", "--bogus"}
	lines["group without command"] = []string{"sim", "fault"}
	lines["unknown pool"] = []string{"cpupool-destroy", "nosuch"}
	lines["cpu not on host"] = []string{"-N", "pcpu-offline", "99"}
	lines["missing file"] = []string{"batch", "plan", "/nonexistent/b.yaml"}
	lines["quiet refused"] = []string{"-q", "info"}
	for name, line := range lines {
		sim := outputRuleSim(t)
		for _, format := range []string{"json", "yaml"} {
			r := runXgo(t, testDeps(t), append([]string{sim, "-o", format}, line...)...)
			if name == "quiet refused" {
				// -q with -o json is itself refused, as a JSON error.
				r = runXgo(t, testDeps(t), sim, "-o", format, "-q", "info")
			}
			if r.code == 0 {
				var doc map[string]any
				var err error
				if format == "json" {
					err = json.Unmarshal([]byte(r.stdout), &doc)
				} else {
					err = yaml.Unmarshal([]byte(r.stdout), &doc)
				}
				if err != nil || fmt.Sprint(doc["schemaVersion"]) != "1" {
					t.Errorf("%s -o %s: not one document with schemaVersion 1 (%v): %q", name, format, err, r.stdout)
				}
				continue
			}
			errLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			var eo ErrorOutput
			if err := json.Unmarshal([]byte(errLines[len(errLines)-1]), &eo); err != nil || eo.SchemaVersion != 1 || eo.Error.Status != r.code || eo.Error.Message == "" || r.stdout != "" {
				t.Errorf("%s -o %s: exit %d, stdout %q, stderr %q: want a JSON error line with the status", name, format, r.code, r.stdout, r.stderr)
			}
		}
	}
}

// TestGroupHelpListsSubcommands: help for every group lists its
// subcommands, as its man page does, whichever way it is asked for.
func TestGroupHelpListsSubcommands(t *testing.T) {
	t.Parallel()
	app := newApp(testDeps(t))
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := append(append([]string{}, prefix...), c.Name)
			if len(c.Subcommands) == 0 {
				continue
			}
			for _, line := range [][]string{append([]string{"help"}, path...), append(append([]string{}, path...), "--help"), append(append([]string{}, path...), "-h")} {
				r := runXgo(t, testDeps(t), line...)
				_, list, ok := strings.Cut(r.stdout, "\nCOMMANDS:\n")
				if r.code != 0 || !ok {
					t.Errorf("xgo %q: exit %d, no COMMANDS section:\n%s", line, r.code, r.stdout)
					continue
				}
				for _, sc := range c.Subcommands {
					if !sc.Hidden && !strings.Contains(list, "   "+sc.Name+" ") {
						t.Errorf("xgo %q does not list %s:\n%s", line, sc.Name, list)
					}
				}
			}
			walk(path, c.Subcommands)
		}
	}
	walk(nil, app.Commands)
}
