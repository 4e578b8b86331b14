package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

// The test binary doubles as xgo: with XGO_TEST_AS_XGO=1 it runs xgo's main
// on its arguments, so that tests can start real xgo processes without
// building the binary.
func init() {
	if os.Getenv("XGO_TEST_AS_XGO") == "1" {
		os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
}

// xgoProcess runs xgo as a separate process.
func xgoProcess(ctx context.Context, env []string, args ...string) (stdout, stderr string, code int, err error) {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "XGO_TEST_AS_XGO=1"), env...)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode(), nil
	}
	return o.String(), e.String(), 0, err
}

// simEnvDeps returns test deps whose environment has only XGO_SIM=path.
func simEnvDeps(t *testing.T, path string) deps {
	d := testDeps(t)
	d.Getenv = func(k string) string {
		if k == simEnvVar {
			return path
		}
		return ""
	}
	return d
}

func TestSimInitShowReset(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "host.yaml")
	d := simEnvDeps(t, path)

	// show before init: only sim init makes a host (issue #19, item 7).
	r := runXgo(t, d, "sim", "show")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no simulated host at "+path) {
		t.Fatalf("show before init: %+v", r)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("sim show wrote the state file")
	}

	// A dry run writes nothing.
	if r := runXgo(t, d, "-N", "sim", "init", "--lab"); r.code != 0 || !strings.HasPrefix(r.stdout, "would boot a simulated Xen 4.17.7 host from the lab spec: 4 pCPUs (1 socket × 4 cores × 1 thread, 1 NUMA node)") {
		t.Fatalf("-N sim init --lab: %+v", r)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("sim init -N wrote the state file")
	}

	r = runXgo(t, d, "sim", "init", "--lab")
	want := "booted a simulated Xen 4.17.7 host from the lab spec: 4 pCPUs (1 socket × 4 cores × 1 thread, 1 NUMA node), 1 cpupool, 2 domains; state in " + path + "\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("sim init --lab: %+v\nwant stdout %q", r, want)
	}

	// Change it through ordinary commands, selected by XGO_SIM.
	for _, args := range [][]string{
		{"cpupool-create", "name=rt", "sched=credit"},
		{"cpupool-cpu-move", "3", "rt"},
		{"pcpu-offline", "2"},
	} {
		if r := runXgo(t, d, args...); r.code != 0 {
			t.Fatalf("xgo %q: %+v", args, r)
		}
	}
	r = runXgo(t, d, "sim", "show", "-o", "json")
	var sum SimShowOutput
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || r.code != 0 {
		t.Fatalf("sim show -o json: %v\n%+v", err, r)
	}
	if !sum.Saved || sum.Path != path || sum.CPUs.Online != "0-1,3" || sum.CPUs.Offline != "2" || len(sum.Pools) != 2 ||
		sum.Pools[1].Name != "rt" || sum.Pools[1].CPUs != "3" || sum.SchemaVersion != 1 {
		t.Errorf("sim show -o json after changes: %+v", sum)
	}
	r = runXgo(t, d, "sim", "show")
	for _, want := range []string{
		"State file  " + path + "\n",
		"online 0-1,3, offline 2, free none",
		"POOL  NAME    SCHED    CPUS  DOMAINS\n0     Pool-0  credit2  0-1   2\n1     rt      credit   3     0\n",
		"DOMID  NAME      POOL    VCPUS  MEMORY_MIB\n0      Domain-0  Pool-0  2      768\n1      domu      Pool-0  1      128\n",
		"No faults pending.\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("sim show lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := runXgo(t, d, "sim", "show", "-o", "yaml"); r.code != 0 || !strings.Contains(r.stdout, "schemaVersion: 1\n") || !strings.Contains(r.stdout, "saved: true\n") {
		t.Errorf("sim show -o yaml: %+v", r)
	}

	// reset: back to the lab host, not the default one.
	r = runXgo(t, d, "sim", "reset")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "booted a simulated Xen 4.17.7 host from its spec: 4 pCPUs") {
		t.Fatalf("sim reset: %+v", r)
	}
	r = runXgo(t, d, "sim", "show", "-o", "json")
	sum = SimShowOutput{}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.CPUs.Online != "0-3" || len(sum.Pools) != 1 {
		t.Errorf("after reset: %v %+v", err, sum)
	}
}

func TestSimInitSpec(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	body := strings.Replace(string(xensim.DefaultSpecYAML()), "coresPerSocket: 4", "coresPerSocket: 8", 1)
	if err := os.WriteFile(spec, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	state := "--sim=" + filepath.Join(dir, "s.yaml")
	r := runXgo(t, testDeps(t), state, "sim", "init", "--spec", spec, "-q")
	if r.code != 0 || r.stdout != filepath.Join(dir, "s.yaml")+"\n" {
		t.Fatalf("sim init --spec -q: %+v", r)
	}
	if r := runXgo(t, testDeps(t), state, "pcpu-list", "-q"); r.code != 0 || strings.Count(r.stdout, "\n") != 32 {
		t.Errorf("pcpu-list of the 32-cpu spec: %+v", r)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(body, "sockets: 2", "sockets: 2\n  bogus: 1", 1)), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sim", "init", "--spec", bad}, "xgo: " + bad + ":"},
		{[]string{"sim", "init", "--spec", spec, "--lab"}, `xgo: sim init: --spec "` + spec + `" and --lab both choose the host: give one`},
		{[]string{"sim", "init", "extra"}, `xgo: sim init: unexpected argument "extra"`},
		{[]string{"sim", "fault", "op", "nosuchop", "EBUSY"}, `xgo: sim fault op: unknown operation "nosuchop"`},
		{[]string{"sim", "fault", "op", "rmcpu", "EWHAT"}, `xgo: sim fault op: unknown errno "EWHAT"`},
		{[]string{"sim", "fault", "op", "rmcpu", "EBUSY", "-n", "2", "--always"}, "xgo: sim fault op: -n 2 and --always both say how often: give one"},
		{[]string{"sim", "fault", "op", "rmcpu", "EBUSY", "-n", "0"}, "xgo: sim fault op: -n 0: the count must be at least 1"},
		{[]string{"sim", "fault", "clear", "bogus"}, `xgo: sim fault clear: unknown operation "bogus"`},
		{[]string{"sim", "bogus"}, `xgo: unknown command "bogus" for "xgo sim"`},
	}
	for _, tt := range tests {
		r := runXgo(t, testDeps(t), append([]string{state}, tt.args...)...)
		if r.code != exitUsage || !strings.HasPrefix(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("xgo %q: %+v\nwant exit 2 and a line starting %q", tt.args, r, tt.want)
		}
	}
}

func TestSimFaults(t *testing.T) {
	t.Parallel()
	state := "--sim=" + filepath.Join(t.TempDir(), "s.yaml")
	run := func(args ...string) result {
		t.Helper()
		return runXgo(t, testDeps(t), append([]string{state}, args...)...)
	}
	if r := run("sim", "init", "--lab"); r.code != 0 {
		t.Fatal(r)
	}
	r := run("sim", "fault", "op", "rmcpu", "EBUSY", "-n", "2")
	if r.code != 0 || r.stdout != "FAULT                    ERRNO  WHEN\nsysctl cpupool_op rmcpu  EBUSY  next 2 attempts\n" {
		t.Errorf("fault op: %+v", r)
	}
	if r := run("-N", "sim", "fault", "op", "physinfo", "EACCES", "--always"); r.code != 0 || !strings.HasPrefix(r.stdout, "dry run: the faults would be:\n") ||
		!strings.Contains(r.stdout, "sysctl physinfo          EACCES  always") {
		t.Errorf("-N fault op: %+v", r)
	}
	if r := run("sim", "fault", "xenstore-commit", "-n", "3"); r.code != 0 || !strings.Contains(r.stdout, "xenstore transaction commit  EAGAIN  next 3 commits") ||
		strings.Contains(r.stdout, "physinfo") {
		t.Errorf("fault xenstore-commit (after a dry run): %+v", r)
	}
	// The injected EBUSY reaches the command: RMCPU has no EBUSY retry.
	if r := run("cpupool-cpu-remove", "Pool-0", "3"); r.code != exitFailure || !strings.Contains(r.stderr, "(none done)") {
		t.Errorf("cpu-remove with an EBUSY fault: %+v", r)
	}
	r = run("sim", "fault", "list", "-o", "json")
	var out SimFaultsOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Faults) != 1 || out.Faults[0].Count != 1 ||
		out.Faults[0].ErrnoName != "EBUSY" || out.XenstoreCommitFailures != 3 {
		t.Errorf("fault list -o json: %v %+v", err, r)
	}
	if r := run("sim", "fault", "clear", "rmcpu"); r.code != 0 || r.stdout != "FAULT                        ERRNO   WHEN\nxenstore transaction commit  EAGAIN  next 3 commits\n" {
		t.Errorf("fault clear rmcpu: %+v", r)
	}
	if r := run("sim", "fault", "op", "addcpu", "ENODEV", "--always"); r.code != 0 {
		t.Error(r)
	}
	if r := run("sim", "fault", "clear"); r.code != 0 || r.stdout != "No faults pending.\n" {
		t.Errorf("fault clear: %+v", r)
	}
	if r := run("sim", "fault", "list", "--ops", "-q"); r.code != 0 || strings.Count(r.stdout, "\n") != len(xensim.Ops) {
		t.Errorf("fault list --ops: %+v", r)
	}
}

// TestSimSelection: --sim=STATE wins over XGO_SIM; without either, the
// default state file under XDG_STATE_HOME.
func TestSimSelection(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_STATE_HOME", dir)
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	d := simEnvDeps(t, a)
	if r := runXgo(t, d, "sim", "init", "--lab"); r.code != 0 || !strings.HasSuffix(r.stdout, "state in "+a+"\n") {
		t.Fatalf("XGO_SIM: %+v", r)
	}
	if r := runXgo(t, d, "--sim="+b, "sim", "init", "-q"); r.code != 0 || r.stdout != b+"\n" {
		t.Fatalf("--sim=FILE with XGO_SIM set: %+v", r)
	}
	if r := runXgo(t, testDeps(t), "--sim", "sim", "init", "-q"); r.code != 0 || r.stdout != filepath.Join(dir, "xgo", "sim.yaml")+"\n" {
		t.Fatalf("--sim: %+v", r)
	}
	// XGO_SIM selects the host for every command, as --sim does.
	if r := runXgo(t, d, "pcpu-list", "-q"); r.code != 0 || r.stdout != "0\n1\n2\n3\n" {
		t.Errorf("pcpu-list with XGO_SIM: %+v", r)
	}
	// A bare --sim with XGO_SIM set acts on XGO_SIM's host, not on the
	// default one: the lab host a (4 cpus), not the 16 of the default.
	for _, line := range [][]string{{"--sim", "pcpu-list", "-q"}, {"pcpu-list", "--sim", "-q"}} {
		if r := runXgo(t, d, line...); r.code != 0 || r.stdout != "0\n1\n2\n3\n" {
			t.Errorf("xgo %q with XGO_SIM: %+v", line, r)
		}
	}
	if r := runXgo(t, d, "--sim", "sim", "init", "-q"); r.code != 0 || r.stdout != a+"\n" {
		t.Errorf("--sim sim init with XGO_SIM: %+v", r)
	}
}

// TestNoXenOneLine: without --sim on a machine with no Xen, every command
// that needs the host says so in one line, with how to use --sim, and
// exits 3.
func TestNoXenOneLine(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/xen/privcmd"); err == nil {
		t.Skip("this machine has a privcmd device")
	}
	if _, err := os.Stat("/dev/xen"); err == nil {
		t.Skip("this machine has /dev/xen")
	}
	const want = "xgo: this machine is not a Xen dom0 (no /dev/xen/privcmd): run xgo in dom0 as root, " +
		"or try it on a simulated host with --sim (xgo --sim pcpu-list) or XGO_SIM=FILE\n"
	for _, args := range [][]string{{"pcpu-list"}, {"info"}, {"cpupool-list"}, {"xenstore", "ls"}, {"sched-credit2"}, {"pcpu-offline", "3"}} {
		_, stderr, code, err := xgoProcess(context.Background(), []string{"XENSTORED_PATH="}, args...)
		if err != nil {
			t.Fatal(err)
		}
		if code != exitPermission || stderr != want {
			t.Errorf("xgo %q: exit %d, stderr %q\nwant exit 3 and %q", args, code, stderr, want)
		}
	}
}

// TestSimConcurrentMoves starts 8 xgo processes at once, each moving its
// own CPUs between three pools of one simulated host ten times, so that
// the 80 commands contend for the one state file. Each command holds the
// host while it runs, so every move applies whole and none is lost: at the
// end every online CPU is in exactly one pool (or free), and each CPU is
// in the pool of the last move its process made.
func TestSimConcurrentMoves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 80 processes")
	}
	path := filepath.Join(t.TempDir(), "sim.yaml")
	env := []string{"XGO_SIM=" + path}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"sim", "init"}, // 16 CPUs
		{"cpupool-create", "name=a", "sched=credit"},
		{"cpupool-create", "name=b", "sched=credit2"},
	} {
		if _, stderr, code, err := xgoProcess(ctx, env, args...); err != nil || code != 0 {
			t.Fatalf("xgo %q: %v %d %s", args, err, code, stderr)
		}
	}
	const procs, moves = 8, 10
	pools := []string{"Pool-0", "a", "b"}
	var mu sync.Mutex
	last := map[uint32]string{} // CPU → the pool its last move named
	var wg sync.WaitGroup
	start := time.Now()
	for p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Process p owns CPUs p+1 and p+9 (CPU 0 stays in Pool-0).
			own := []uint32{uint32(p + 1)}
			if p+9 < 16 {
				own = append(own, uint32(p+9))
			}
			rng := rand.New(rand.NewPCG(uint64(p), 42))
			for range moves {
				cpus := own[:1+rng.IntN(len(own))]
				if rng.IntN(2) == 0 {
					cpus = own[len(own)-1:]
				}
				list := make([]string, len(cpus))
				for i, c := range cpus {
					list[i] = fmt.Sprint(c)
				}
				to := pools[rng.IntN(len(pools))]
				_, stderr, code, err := xgoProcess(ctx, env, "cpupool-cpu-move", strings.Join(list, ","), to)
				if err != nil || code != 0 {
					t.Errorf("cpupool-cpu-move %s %s: %v exit %d: %s", strings.Join(list, ","), to, err, code, stderr)
					return
				}
				mu.Lock()
				for _, c := range cpus {
					last[c] = to
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d processes × %d moves in %v", procs, moves, time.Since(start))

	s, err := xensim.Open(path)
	if err != nil {
		t.Fatalf("the state file after the moves: %v", err)
	}
	defer s.Discard()
	sum := s.Summary()
	h := s.Host()
	infos, err := hypercall.ListCpupools(h)
	if err != nil {
		t.Fatal(err)
	}
	free, _ := h.CpupoolFreeCPUs()
	cpus, _ := hypercall.ListPCPUs(h)
	name := map[uint32]string{}
	for _, p := range sum.Pools {
		name[p.ID] = p.Name
	}
	for i, c := range cpus {
		cpu := uint32(i)
		var in []string
		if free.Has(int(cpu)) {
			in = append(in, "free")
		}
		for _, p := range infos {
			if p.CPUs.Has(int(cpu)) {
				in = append(in, name[p.ID])
			}
		}
		if c.Online && len(in) != 1 {
			t.Errorf("cpu %d is in %q", i, in)
			continue
		}
		if want, ok := last[cpu]; ok && in[0] != want {
			t.Errorf("cpu %d is in %s, its last move was to %s", i, in[0], want)
		}
	}
	if len(infos) != 3 {
		t.Errorf("%d pools, want 3", len(infos))
	}
}

// TestSimShowStranded: sim show names a CPU a refused offline stranded,
// and sim reset frees it.
func TestSimShowStranded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := xensim.Init(path, xensim.LabSpec()); err != nil {
		t.Fatal(err)
	}
	s, err := xensim.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h := s.Host()
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	if err := errors.Join(h.CpupoolRemoveCPU(0, 3), h.CpupoolAddCPU(id, 3)); err != nil {
		t.Fatal(err)
	}
	if err := h.CPUHotplug(hypercall.HotplugOffline, 3); !errors.Is(err, syscall.Errno(19)) {
		t.Fatalf("offline cpu 3 of pool %d: %v, want ENODEV", id, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	d := simEnvDeps(t, path)
	if r := runXgo(t, d, "sim", "show"); r.code != 0 || !strings.Contains(r.stdout, "\n            stranded 3 (a refused offline, as on Xen 4.17:") {
		t.Errorf("sim show: %+v", r)
	}
	if r := runXgo(t, d, "sim", "show", "-o", "json"); !strings.Contains(r.stdout, `"stranded": "3"`) {
		t.Errorf("sim show -o json: %+v", r)
	}
	runXgo(t, d, "sim", "reset")
	if r := runXgo(t, d, "sim", "show", "-o", "json"); strings.Contains(r.stdout, `"stranded"`) {
		t.Errorf("after sim reset: %+v", r)
	}
}

// TestSimMissingStateWarns: a command on a state file that does not
// exist (a mistyped path, a failed "sim init --spec") says so, naming
// the file, once, instead of silently acting on a new default host.
func TestSimMissingStateRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	state := filepath.Join(dir, "typo.yaml")
	d := testDeps(t)
	if r := runXgo(t, d, "--sim="+state, "sim", "init", "--spec", filepath.Join(dir, "nosuch.yaml")); r.code != exitUsage {
		t.Fatalf("sim init --spec of a missing file: %+v", r)
	}
	want := "xgo: no simulated host at " + state + ": create one with \"xgo --sim=" + state + " sim init\"\n"
	for _, args := range [][]string{{"pcpu-list", "-q"}, {"-v", "cpupool-list"}, {"sim", "show"}, {"xenstore", "write", "/a", "1"}} {
		r := runXgo(t, d, append([]string{"--sim=" + state}, args...)...)
		if r.code != exitUsage || !strings.HasSuffix(r.stderr, want) || r.stdout != "" {
			t.Errorf("xgo %q on a missing state file: %+v", args, r)
		}
		if _, err := os.Stat(state); err == nil {
			t.Fatalf("xgo %q created the state file", args)
		}
	}
	if r := runXgo(t, d, "--sim="+state, "sim", "init"); r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Errorf("sim init: %+v", r)
	}
	if r := runXgo(t, d, "--sim="+state, "pcpu-list", "-q"); r.code != 0 || r.stderr != "" {
		t.Errorf("pcpu-list after sim init: %+v", r)
	}
}
