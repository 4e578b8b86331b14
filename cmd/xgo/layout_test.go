package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const layoutOK = `version: 1
offline-cpus: 15
pools:
  - {name: node0, id: 0, cpus: 0-11}
  - {name: rt, sched: credit, cpus: 12-14, params: {tslice_ms: 10}}
domains:
  - {name: domu1, pool: rt, weight: 512}
  - name: domu2
    vsnd:
      - card:
          short-name: Main
          pcms:
            - name: Analog
              streams:
                - {unique-id: "alsa<hw:0;0>", type: p}
  - {name: domu9, pool: rt}
`

func TestDiffApplyCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sim := filepath.Join(dir, "sim.yaml")
	d := simEnvDeps(t, sim)
	if r := runXgo(t, d, "sim", "init"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	file := writeFile(t, "host.yaml", layoutOK)
	before := runXgo(t, d, "sim", "show", "-o", "yaml").stdout

	r := runXgo(t, d, "diff", file)
	if r.code != 0 || !strings.Contains(r.stdout, "pool node0: rename name Pool-0 -> node0\n") || !strings.Contains(r.stdout, "domain domu1: migrate pool node0 -> rt\n") ||
		!strings.Contains(r.stdout, "vsnd domu2: attach card \"Main\"\n") || !strings.Contains(r.stderr, `domain "domu9" is not running: skipped`) {
		t.Fatalf("diff: %d %s %s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		InSync  bool
		Changes []struct {
			Kind, Name, Action string
			Step               int
		}
	}
	j := runXgo(t, d, "diff", "-o", "json", file)
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil || rep.InSync || len(rep.Changes) < 6 || rep.Changes[0].Step != 1 {
		t.Fatalf("diff -o json: %v %s", err, j.stdout)
	}
	c := runXgo(t, d, "apply", "--check", file)
	if c.code != exitWouldChange || !strings.Contains(c.stderr, "changes in") || !strings.Contains(c.stdout, ": ok\n") {
		t.Errorf("apply --check: %d %s %s", c.code, c.stdout, c.stderr)
	}
	if n := runXgo(t, d, "apply", "-N", file); n.code != 0 {
		t.Errorf("apply -N: %d %s", n.code, n.stderr)
	}
	if runXgo(t, d, "sim", "show", "-o", "yaml").stdout != before {
		t.Fatal("diff or apply --check changed the host")
	}
	if s := runXgo(t, d, "apply", "--strict", file); s.code != exitFailure || !strings.Contains(s.stderr, `domain "domu9" is not running`) {
		t.Errorf("apply --strict: %d %s", s.code, s.stderr)
	}

	a := runXgo(t, d, "apply", file)
	if a.code != 0 || !strings.Contains(a.stdout, "host.yaml: applied:") {
		t.Fatalf("apply: %d %s %s", a.code, a.stdout, a.stderr)
	}
	// In sync: nothing to do, exit 0, and no lock taken (a held lock
	// does not make it wait).
	lock := filepath.Join(dir, "held.lock")
	d2 := d
	d2.Getenv = func(k string) string {
		switch k {
		case simEnvVar:
			return sim
		case lockEnvVar:
			return lock
		case lockTimeoutEnvVar:
			return "0s"
		}
		return ""
	}
	held := &env{deps: d2}
	unlock, err := held.lockHost(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	for _, args := range [][]string{{"apply", file}, {"apply", "--check", file}} {
		if r := runXgo(t, d2, args...); r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
			t.Errorf("%v in sync: %d %s %s", args, r.code, r.stdout, r.stderr)
		}
	}
	if r := runXgo(t, d2, "apply", "--prune", "--lock-timeout", "0s", writeFile(t, "prune.yaml", "version: 1\npools: [{name: node0}]\n")); r.code != exitFailure || !strings.Contains(r.stderr, "another xgo job") {
		t.Errorf("apply with changes under a held lock: %d %s", r.code, r.stderr)
	}
	// The export is the layout, and diff against it is empty.
	exp := runXgo(t, d, "export")
	if exp.code != 0 || !strings.Contains(exp.stdout, "{name: node0, id: 0, sched: credit2, cpus: 0-11") {
		t.Fatalf("export: %s %s", exp.stdout, exp.stderr)
	}
	if r := runXgo(t, d, "diff", "--prune", writeFile(t, "exp.yaml", exp.stdout)); r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("diff of the export: %d %s", r.code, r.stdout)
	}
}

func TestLayoutBadFile(t *testing.T) {
	t.Parallel()
	d := simEnvDeps(t, filepath.Join(t.TempDir(), "sim.yaml"))
	if r := runXgo(t, d, "sim", "init"); r.code != 0 {
		t.Fatalf("sim init: %+v", r)
	}
	bad := writeFile(t, "bad.yaml", strings.Replace(layoutOK, "weight: 512", "wieght: 512", 1))
	for _, cmd := range []string{"diff", "apply"} {
		r := runXgo(t, d, cmd, bad)
		if r.code != exitUsage || !strings.Contains(r.stderr, `bad.yaml:7:29: domain 1: unknown key "wieght"`) {
			t.Errorf("%s: %d %q", cmd, r.code, r.stderr)
		}
	}
	twice := writeFile(t, "twice.yaml", "version: 1\noffline-cpus: 15\npools: [{name: Pool-0, cpus: 14-15}]\n")
	if r := runXgo(t, d, "apply", twice); r.code != exitUsage || !strings.Contains(r.stderr, "twice.yaml:3:30: pool \"Pool-0\": cpu 15 is in offline-cpus too") {
		t.Errorf("cpu twice: %d %q", r.code, r.stderr)
	}
}

// TestSystemdUnitApplies: the boot unit applies the layout file (batch
// files are not idempotent), and the man page it names exists.
func TestSystemdUnitApplies(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("../../packaging/systemd/xgo-host-layout.service")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(unit), "\nExecStart=/usr/sbin/xgo apply /etc/xgo/host.yaml\n") || !strings.Contains(string(unit), "man:xgo-apply(1)") {
		t.Errorf("the unit does not run xgo apply:\n%s", unit)
	}
	r := runXgo(t, testDeps(t), "help", "apply")
	if r.code != 0 || !strings.Contains(r.stdout, "--check") {
		t.Errorf("help apply: %d %s", r.code, r.stderr)
	}
}
