package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"xgo.dev/xgo/xensim"
)

// cpupoolSpec is the simulated host of the cpupool and sched command
// tests: two nodes, a credit pool with a long name and a domain whose name
// is longer than xl's 33 columns, an empty credit2 pool, an rtds pool.
const cpupoolSpec = `
xen: {version: "4.17", extraversion: ".5"}
cpus: {sockets: 2, coresPerSocket: 4, threadsPerCore: 1, nodes: 2}
memory: {nodeMiB: [4096, 4096]}
schedulers: {built: [credit, credit2, rtds], default: credit2}
pools:
  - {id: 1, name: a-rather-long-pool-name, scheduler: credit, cpus: "4-5"}
  - {id: 2, name: spare, scheduler: credit2}
  - {id: 3, name: rt, scheduler: rtds, cpus: "7"}
domains:
  - {name: Domain-0, domid: 0, vcpus: 2, memoryMiB: 1024}
  - {name: web, domid: 1, vcpus: 2, memoryMiB: 256, weight: 512, cap: 50}
  - {name: a-guest-whose-name-is-longer-than-33, domid: 2, vcpus: 1, memoryMiB: 256, pool: 1, weight: 128}
  - {name: rt1, domid: 3, vcpus: 2, memoryMiB: 256, pool: 3}
`

// simState writes a fresh simulated host from spec and returns the
// --sim=STATE flag for it.
func simState(t *testing.T, spec string) string {
	t.Helper()
	s, err := xensim.ParseSpec([]byte(spec), "spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sim.yaml")
	if err := xensim.Init(path, s); err != nil {
		t.Fatal(err)
	}
	return "--sim=" + path
}

func simFile(t *testing.T, flag string) []byte {
	t.Helper()
	b, err := os.ReadFile(strings.TrimPrefix(flag, "--sim="))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCpupoolTextGolden checks the xl text forms of the listing commands,
// and their json, yaml and -q forms, against testdata/cpupool.
func TestCpupoolTextGolden(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	tests := []struct {
		golden string
		args   []string
	}{
		{"list.golden", []string{"cpupool-list"}},
		{"list-c.golden", []string{"cpupool-list", "-c"}},
		{"list-pool.golden", []string{"cpupool-list", "a-rather-long-pool-name"}},
		{"list-c-id.golden", []string{"cpupool-list", "--cpus", "2"}},
		{"list.json.golden", []string{"cpupool-list", "-o", "json"}},
		{"list.yaml.golden", []string{"cpupool-list", "-o", "yaml"}},
		{"list-q.golden", []string{"cpupool-list", "-q"}},
		{"sched-credit.golden", []string{"sched-credit"}},
		{"sched-credit-s.golden", []string{"sched-credit", "-s", "-p", "1"}},
		{"sched-credit-s-unavailable.golden", []string{"sched-credit", "-s"}},
		{"sched-credit-d.golden", []string{"sched-credit", "-d", "2"}},
		{"sched-credit.json.golden", []string{"sched-credit", "-o", "json"}},
		{"sched-credit2.golden", []string{"sched-credit2"}},
		{"sched-credit2-p.golden", []string{"sched-credit2", "-p", "spare"}},
		{"sched-credit2-s.golden", []string{"sched-credit2", "-s"}},
		{"sched-credit2-d.golden", []string{"sched-credit2", "-d", "web"}},
		{"sched-rtds.golden", []string{"sched-rtds"}},
		{"sched-rtds-d.golden", []string{"sched-rtds", "-d", "rt1"}},
		{"sched-rtds-v.golden", []string{"sched-rtds", "-d", "rt1", "-v", "all"}}, // xl's spelling
		{"sched-rtds-v.golden", []string{"sched-rtds", "-d", "rt1", "--vcpuid", "all"}},
		{"sched-rtds-v1.golden", []string{"sched-rtds", "-d", "rt1", "--vcpuid", "1"}},
		{"sched-rtds-v1.golden", []string{"-v", "sched-rtds", "-d", "rt1", "-v", "1"}}, // global -v first
		{"sched-rtds-all.golden", []string{"sched-rtds", "--vcpuid", "all"}},
		{"sched-rtds-pool.golden", []string{"sched-rtds", "--cpupool=rt"}},
	}
	for _, tt := range tests {
		r := runXgo(t, testDeps(t), append([]string{sim}, tt.args...)...)
		if r.code != 0 {
			t.Errorf("xgo %q: exit %d, stderr %q", tt.args, r.code, r.stderr)
			continue
		}
		golden(t, filepath.Join("cpupool", tt.golden), r.stdout)
	}
}

// TestCpupoolXlFormats pins the xl layouts independently of the goldens:
// cpupool-list's columns and sched-credit's table are printf formats.
func TestCpupoolXlFormats(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	got := runXgo(t, testDeps(t), sim, "cpupool-list").stdout
	want := "Name               CPUs   Sched     Active   Domain count\n" +
		"Pool-0               5   credit2       y          2\n" +
		"a-rather-long-pool-name  2    credit       y          1\n" +
		"spare                0   credit2       y          0\n" +
		"rt                   1      rtds       y          1\n"
	if got != want {
		t.Errorf("cpupool-list:\n%q\nwant\n%q", got, want)
	}
	got = runXgo(t, testDeps(t), sim, "sched-credit").stdout
	want = "Cpupool a-rather-long-pool-name: tslice=30ms ratelimit=1000us migration-delay=0us\n" +
		"Name                                ID Weight  Cap\n" +
		"a-guest-whose-name-is-longer-than-33    2    128    0\n"
	if got != want {
		t.Errorf("sched-credit:\n%q\nwant\n%q", got, want)
	}
}

func TestCpupoolCommandsOnSim(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	d := testDeps(t)
	run := func(want int, args ...string) result {
		t.Helper()
		r := runXgo(t, d, append([]string{sim}, args...)...)
		if r.code != want {
			t.Fatalf("xgo %q: exit %d (want %d), stdout %q, stderr %q", args, r.code, want, r.stdout, r.stderr)
		}
		return r
	}
	run(0, "cpupool-cpu-remove", "Pool-0", "2-3")
	r := run(0, "cpupool-create", "name=batch", `sched="credit"`, "cpus=2")
	if r.stdout != "Using config file \"command line\"\ncpupool name:   batch\nscheduler:      credit\nnumber of cpus: 1\n" {
		t.Errorf("create printed %q", r.stdout)
	}
	r = run(0, "cpupool-create", "name=empty")
	if !strings.Contains(r.stderr, "xgo: note: cpupool 'empty' is created without cpus") {
		t.Errorf("create empty: stderr %q", r.stderr)
	}
	run(0, "cpupool-cpu-move", "3,6", "batch")
	run(0, "cpupool-migrate", "web", "batch")
	if out := run(0, "cpupool-list", "-c", "batch").stdout; out != "Name               CPU list\nbatch              2,3,6\n" {
		t.Errorf("batch: %q", out)
	}
	r = run(0, "cpupool-set-sched", "batch", "credit2", "ratelimit=500")
	if !strings.Contains(r.stdout, "cpupool 'batch' now uses the credit2 scheduler; its id changed from 4 to 6") {
		t.Errorf("set-sched: %q / %q", r.stdout, r.stderr)
	}
	if out := run(0, "sched-credit2", "-p", "batch").stdout; out != "Cpupool batch: ratelimit=500us\n"+
		"Name                                ID Weight  Cap\n"+
		"web                                  1    256    0\n" {
		t.Errorf("sched-credit2 -p batch: %q", out)
	}
	run(0, "sched-credit2", "-d", "web", "-w", "700")
	run(0, "cpupool-rename", "batch", "batch2")
	r = run(1, "cpupool-destroy", "batch2")
	if r.stderr != "xgo: cannot destroy cpupool 'batch2': it still has domains: 'web' (1); move them to another cpupool first (cpupool-migrate)\n" {
		t.Errorf("destroy: %q", r.stderr)
	}
	run(0, "cpupool-migrate", "1", "0")
	run(0, "cpupool-destroy", "batch2")
	run(0, "cpupool-destroy", "empty")
	if out := run(0, "cpupool-list", "-q").stdout; out != "Pool-0\na-rather-long-pool-name\nspare\nrt\n" {
		t.Errorf("pools left: %q", out)
	}
	// rtds per-vCPU changes.
	run(0, "sched-rtds", "-d", "rt1", "-v", "1", "-p", "20000", "-b", "5000", "-e", "0")
	if out := run(0, "sched-rtds", "-d", "rt1", "--vcpuid", "1").stdout; !strings.HasSuffix(out, "rt1                                  3    1     20000      5000         no\n") {
		t.Errorf("rtds vcpu 1: %q", out)
	}
}

// TestCpupoolDryRunChangesNothing runs every mutating command with -N and
// checks that the simulated host's state file is unchanged and that the
// plan is printed.
func TestCpupoolDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	d := testDeps(t)
	if r := runXgo(t, d, sim, "cpupool-cpu-remove", "Pool-0", "3"); r.code != 0 {
		t.Fatal(r)
	}
	before := simFile(t, sim)
	for _, args := range [][]string{
		{"cpupool-create", "name=x", "cpus=3"},
		{"cpupool-create", "-n", "name=x", "cpus=3"},
		{"cpupool-destroy", "spare"},
		{"cpupool-rename", "spare", "s2"},
		{"cpupool-cpu-add", "spare", "3"},
		{"cpupool-cpu-remove", "Pool-0", "2"},
		{"cpupool-cpu-move", "2-3", "spare"},
		{"cpupool-migrate", "web", "a-rather-long-pool-name"},
		{"cpupool-set-sched", "a-rather-long-pool-name", "credit2"},
		{"sched-credit", "-d", "2", "-w", "300"},
		{"sched-credit", "-s", "-p", "1", "-t", "10"},
		{"sched-credit2", "-s", "-r", "200"},
		{"sched-rtds", "-d", "rt1", "--vcpuid", "all", "-p", "20000", "-b", "1000", "-e", "1"},
	} {
		for _, format := range []string{"table", "json"} {
			r := runXgo(t, d, append([]string{sim, "-N", "-o", format}, args...)...)
			if r.code != 0 {
				t.Errorf("xgo -N %q: exit %d, stderr %q", args, r.code, r.stderr)
				continue
			}
			if format == "table" && !strings.Contains(r.stdout, "would: ") {
				t.Errorf("xgo -N %q printed no plan: %q", args, r.stdout)
			}
			if format == "json" {
				var o CpupoolChangeOutput
				if err := json.Unmarshal([]byte(r.stdout), &o); err != nil || !o.DryRun || len(o.Steps) == 0 {
					t.Errorf("xgo -N -o json %q: %v %+v", args, err, o)
				}
			}
		}
	}
	if after := simFile(t, sim); !bytes.Equal(before, after) {
		t.Error("a dry run changed the simulated host")
	}
}

var regexpUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestCpupoolDryRunGolden pins the text of a few plans.
func TestCpupoolDryRunGolden(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	d := testDeps(t)
	r := runXgo(t, d, sim, "-N", "cpupool-set-sched", "a-rather-long-pool-name", "credit2", "ratelimit=200")
	// The uuid of the new pool is random.
	out := regexpUUID.ReplaceAllString(r.stdout, "UUID")
	golden(t, "cpupool/dry-set-sched.golden", out)
	r = runXgo(t, d, sim, "-N", "cpupool-cpu-move", "3,5", "spare")
	golden(t, "cpupool/dry-cpu-move.golden", r.stdout)
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestCpupoolBadInput(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	tests := []struct {
		args []string
		code int
		want string // the stderr line
	}{
		{[]string{"cpupool-list", "nope"}, 1, "xgo: Pool 'nope' does not exist"},
		{[]string{"cpupool-list", "a", "b"}, 2, `xgo: cpupool-list: unexpected argument "b"`},
		{[]string{"cpupool-destroy", "nope"}, 1, "xgo: unknown cpupool 'nope'"},
		{[]string{"cpupool-destroy", "Pool-0"}, 1, "xgo: cannot destroy cpupool 'Pool-0': Pool-0 can never be destroyed: cpu 0 and Domain-0 can never leave it"},
		{[]string{"cpupool-destroy"}, 2, "xgo: cpupool-destroy: missing argument (usage: xgo cpupool-destroy <pool>)"},
		{[]string{"cpupool-rename", "spare", "rt"}, 1, "xgo: cannot rename cpupool 'spare' to 'rt': the name is already used by cpupool 3"},
		{[]string{"cpupool-rename", "spare", "12"}, 2, `xgo: cpupool-rename: cpupool name "12" is all digits: it would be read as a pool id`},
		{[]string{"cpupool-cpu-add", "spare", "2-"}, 2, `xgo: cpupool-cpu-add: invalid cpu list "2-": missing number`},
		{[]string{"cpupool-cpu-add", "spare", "2-3"}, 1, "xgo: cannot add cpu(s) 2,3 to cpupool 'spare': cpus 2,3 are not free (they are in 'Pool-0'); remove them from there first, or use cpupool-cpu-move"},
		{[]string{"cpupool-cpu-add", "spare", "node:3"}, 1, `xgo: cpupool-cpu-add: cpu list "node:3": this host has no NUMA node 3 (it has 2)`},
		{[]string{"cpupool-cpu-remove", "Pool-0", "0"}, 1, "xgo: cannot remove cpu(s) 0 from cpupool 'Pool-0': cpu 0 can never leave Pool-0"},
		{[]string{"cpupool-cpu-move", "4-5", "spare"}, 1, "xgo: cannot move cpu(s) 4,5 to cpupool 'spare': cpupool 'a-rather-long-pool-name' has domains ('a-guest-whose-name-is-longer-than-33' (2)) and would be left without cpus; keep at least one"},
		{[]string{"cpupool-migrate", "Domain-0", "spare"}, 1, "xgo: cannot move domain 'Domain-0' (0) to cpupool 'spare': Domain-0 cannot be moved: Xen does not let a domain move itself between cpupools, and xgo runs in Domain-0"},
		{[]string{"cpupool-migrate", "ghost", "spare"}, 1, "xgo: unknown domain 'ghost'"},
		{[]string{"cpupool-create", "sched=credit"}, 2, "xgo: cpupool-create: missing cpupool name: give name=NAME or a config file"},
		{[]string{"cpupool-create", "name=x", "colour=red"}, 2, `xgo: cpupool-create: command line: unknown cpupool setting "colour" (want name, sched, cpus or nodes)`},
		{[]string{"cpupool-create", "/nonexistent/pool.cfg"}, 2, `xgo: cpupool-create: cannot read config file "/nonexistent/pool.cfg": no such file or directory`},
		{[]string{"cpupool-create", "name=x", "sched=rtds2"}, 2, `xgo: cpupool-create: unknown scheduler "rtds2" (want credit, credit2, rtds, null or arinc653)`},
		{[]string{"cpupool-set-sched", "Pool-0", "credit"}, 1, "xgo: cannot switch cpupool 'Pool-0' to the credit scheduler: Pool-0 cannot change its scheduler: Domain-0 runs in it and Xen does not let a domain move itself out, and cpu 0 can never leave it (choose Pool-0's scheduler with Xen's sched= boot option)"},
		{[]string{"cpupool-set-sched", "spare"}, 2, "xgo: cpupool-set-sched: missing argument (usage: xgo cpupool-set-sched <pool> <scheduler> [<param>=<value>...])"},
		{[]string{"cpupool-set-sched", "spare", "credit", "tslice=2000"}, 2, "xgo: cpupool-set-sched: invalid tslice 2000ms: must be between 1 and 1000 ms"},
		{[]string{"sched-credit", "-p", "spare", "-d", "web"}, 2, "xgo: sched-credit: Specifying a cpupool or schedparam is not allowed with domain options."},
		{[]string{"sched-credit", "-w", "5"}, 2, "xgo: sched-credit: Must specify a domain."},
		{[]string{"sched-credit", "-t", "5"}, 2, "xgo: sched-credit: Must specify schedparam to set schedule parameter values."},
		{[]string{"sched-credit", "-d", "2", "-w", "x"}, 2, `xgo: sched-credit: invalid value "x" for --weight: not a number`},
		{[]string{"sched-credit", "-d", "2", "-c", "101"}, 1, "xgo: sched-credit: invalid cap 101: must be between 0 and 100 for domain 'a-guest-whose-name-is-longer-than-33' (2) with 1 vCPUs (0: no cap)"},
		{[]string{"sched-credit", "-s", "-t", "1", "-r", "2000"}, 1, "xgo: cpupool 'Pool-0' uses the credit2 scheduler, not credit"},
		{[]string{"sched-credit", "-s", "-p", "1", "-t", "1", "-r", "2000"}, 2, "xgo: sched-credit: invalid ratelimit 2000us: must not be longer than the time slice (1ms)"},
		{[]string{"sched-credit", "-p", "nope"}, 1, "xgo: unknown cpupool 'nope'"},
		{[]string{"sched-credit2", "-p", "spare", "-w", "3"}, 2, "xgo: sched-credit2: Specifying a cpupool is not allowed with other options."},
		{[]string{"sched-credit2", "-r", "300"}, 2, "xgo: sched-credit2: Must specify schedparam to set schedule parameter values."},
		{[]string{"sched-credit2", "-d", "web", "-w", "70000"}, 2, "xgo: sched-credit2: invalid weight 70000: must be between 1 and 65535"},
		{[]string{"sched-credit2", "-d", "ghost"}, 1, "xgo: unknown domain 'ghost'"},
		{[]string{"sched-rtds", "-c"}, 2, `xgo: sched-rtds: -c takes no value in xl and selects no pool (xl ignores "-c POOL"); write --cpupool=POOL`},
		{[]string{"sched-rtds", "--cpupool=rt", "-d", "rt1"}, 2, "xgo: sched-rtds: Specifying a cpupool is not allowed with other options."},
		{[]string{"sched-rtds", "-p", "100"}, 2, "xgo: sched-rtds: Missing parameters."},
		{[]string{"sched-rtds", "-d", "rt1", "-p", "100", "-b", "50", "-e", "1"}, 2, "xgo: sched-rtds: Must specify VCPU."},
		{[]string{"sched-rtds", "-d", "rt1", "--vcpuid", "0", "--vcpuid", "all"}, 2, "xgo: sched-rtds: Incorrect VCPU IDs."},
		{[]string{"sched-rtds", "-d", "rt1", "--vcpuid", "0", "-p", "100", "-b", "50"}, 2, "xgo: sched-rtds: Incorrect number of period, budget and extratime"},
		{[]string{"sched-rtds", "-d", "rt1", "--vcpuid", "0", "-p", "100", "-b", "50", "-e", "2"}, 2, `xgo: sched-rtds: Invalid extratime "2" (want 1 or 0).`},
		{[]string{"sched-rtds", "-d", "rt1", "--vcpuid", "0", "-p", "100", "-b", "500", "-e", "1"}, 2, "xgo: sched-rtds: invalid budget 500us: must not be longer than the period (100us)"},
		{[]string{"sched-rtds", "-d", "rt1", "--vcpuid", "5", "-p", "100", "-b", "50", "-e", "1"}, 1, "xgo: sched-rtds: invalid vcpu 5: domain 'rt1' (3) has vCPUs 0-1"},
		{[]string{"sched-rtds", "-d", "web", "--vcpuid", "0", "-p", "100", "-b", "50", "-e", "1"}, 1, "xgo: domain 'web' (1) is in cpupool 'Pool-0', which uses the credit2 scheduler, not rtds: per-vCPU parameters are rtds only"},
	}
	d := testDeps(t)
	before := simFile(t, sim)
	for _, tt := range tests {
		r := runXgo(t, d, append([]string{sim}, tt.args...)...)
		if r.code != tt.code || r.stderr != tt.want+"\n" {
			t.Errorf("xgo %q:\n got exit %d, stderr %q\nwant exit %d, stderr %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
	if after := simFile(t, sim); !bytes.Equal(before, after) {
		t.Error("a refused command changed the simulated host")
	}
}

// TestSchedDomainOtherScheduler: like xl, -d prints the header and then
// fails when the domain's pool uses another scheduler.
func TestSchedDomainOtherScheduler(t *testing.T) {
	t.Parallel()
	sim := simState(t, cpupoolSpec)
	r := runXgo(t, testDeps(t), sim, "sched-credit", "-d", "web")
	if r.code != 1 || r.stdout != "Name                                ID Weight  Cap\n" ||
		r.stderr != "xgo: domain 'web' (1) is in cpupool 'Pool-0', which uses the credit2 scheduler, not credit\n" {
		t.Errorf("sched-credit -d web: %+v", r)
	}
	r = runXgo(t, testDeps(t), sim, "sched-credit", "-d", "ghost")
	if r.code != 1 || r.stdout != "" || r.stderr != "xgo: unknown domain 'ghost'\n" {
		t.Errorf("sched-credit -d ghost: %+v", r)
	}
	r = runXgo(t, testDeps(t), sim, "sched-credit", "-d", "42")
	if r.code != 1 || r.stdout != "Name                                ID Weight  Cap\n" || r.stderr != "xgo: domain 42 does not exist\n" {
		t.Errorf("sched-credit -d 42: %+v", r)
	}
}

// TestCpupoolNames: spaces around "=" and a bare value are not part of
// it; new names that would break xl's table, XenStore paths or later
// command lines are refused, a name differing only in case is warned
// about, and pools that already have such names stay usable.
func TestCpupoolNames(t *testing.T) {
	t.Parallel()
	sim := simState(t, strings.Replace(cpupoolSpec, "domains:", "  - {id: 9, name: \"old name/x\", scheduler: credit2}\ndomains:", 1))
	d := testDeps(t)
	for _, args := range [][]string{{"name = rt3"}, {"name=rt4 "}, {" name =rt5", "sched = credit"}} {
		r := runXgo(t, d, append([]string{sim, "-o", "json", "cpupool-create"}, args...)...)
		var out struct {
			NewPool struct{ Name string } `json:"newPool"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || strings.TrimSpace(out.NewPool.Name) != out.NewPool.Name || out.NewPool.Name == "" {
			t.Errorf("cpupool-create %q: %+v (name %q)", args, r, out.NewPool.Name)
		}
	}
	for _, name := range []string{"a b", "a\tb", "a/b", "-x", strings.Repeat("a", 3000), "x\\y", "ünï'"} {
		for _, args := range [][]string{{"cpupool-create", "name=" + name}, {"cpupool-rename", "spare", name}} {
			r := runXgo(t, d, append([]string{sim, "-N"}, args...)...)
			if r.code != exitUsage || strings.Count(r.stderr, "\n") != 1 || len(r.stderr) > 300 {
				t.Errorf("xgo %q: %+v, want exit 2 and one short line", args, r)
			}
		}
	}
	r := runXgo(t, d, sim, "-N", "cpupool-create", "name=pool-0")
	if r.code != 0 || !strings.Contains(r.stderr, "xgo: note: cpupool name 'pool-0' differs only in case from cpupool 'Pool-0' (id 0)") {
		t.Errorf("pool-0 next to Pool-0: %+v", r)
	}
	// A pool xl named "old name/x" is still listed, renamed, destroyed.
	for _, args := range [][]string{
		{"cpupool-list", "old name/x"},
		{"cpupool-rename", "old name/x", "newer"},
		{"cpupool-rename", "newer", "old name/x"}, // refused: a new name is checked
		{"cpupool-destroy", "old name/x"},
	} {
		r := runXgo(t, d, append([]string{sim}, args...)...)
		want := 0
		if args[0] == "cpupool-rename" && args[2] == "old name/x" {
			want = exitUsage
		}
		if args[0] == "cpupool-destroy" {
			args[1] = "newer"
			r = runXgo(t, d, append([]string{sim}, args...)...)
		}
		if r.code != want {
			t.Errorf("xgo %q: %+v, want exit %d", args, r, want)
		}
	}
}
