package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

const batchOK = `version: 1
steps:
  - pcpu-offline: {cpus: 15}
  - cpupool-create: {name: rt, sched: credit}
  - cpupool-cpu-move: {cpus: "12-14", pool: rt}
  - cpupool-migrate: {domain: domu1, pool: rt}
  - sched-credit: {domain: domu1, weight: 512, cap: 50}
  - vsnd-attach:
      domain: domu2
      card:
        short-name: Main
        sample-rates: [48000]
        pcms:
          - name: Analog
            streams:
              - {unique-id: "alsa<hw:0;0>", type: p}
  - xenstore-write: {path: /tool/batch, value: done}
`

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBatchPlanRunExport(t *testing.T) {
	t.Parallel()
	sim := filepath.Join(t.TempDir(), "sim.yaml")
	d := simEnvDeps(t, sim)
	if r := runXgo(t, d, "sim", "init"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	file := writeFile(t, "ok.yaml", batchOK)
	before := runXgo(t, d, "sim", "show", "-o", "yaml").stdout

	r := runXgo(t, d, "batch", "plan", file)
	if r.code != 0 || !strings.Contains(r.stdout, "step 3 (line 5): cpupool-cpu-move cpus=12-14 pool=rt: ok") ||
		!strings.Contains(r.stdout, "would: sysctl cpupool_op addcpu pool 1 'rt', cpu 13") || !strings.Contains(r.stdout, "all 7 steps would succeed") {
		t.Fatalf("plan: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if y := runXgo(t, d, "batch", "plan", "-o", "yaml", file); y.code != 0 || !strings.HasPrefix(y.stdout, "schemaVersion: 1\nfile: ") {
		t.Errorf("plan -o yaml: %d %s", y.code, y.stdout)
	}
	// batch run -N prints the same plan (but for the fresh pool uuid)
	// and changes nothing either.
	uuid := regexp.MustCompile(`uuid = "[0-9a-f-]+"`)
	if n := runXgo(t, d, "batch", "run", "-N", file); n.code != 0 || uuid.ReplaceAllString(n.stdout, "") != uuid.ReplaceAllString(r.stdout, "") {
		t.Errorf("run -N: %d, stdout differs from plan's:\n%s", n.code, n.stdout)
	}
	if after := runXgo(t, d, "sim", "show", "-o", "yaml").stdout; after != before {
		t.Fatal("batch plan or run -N changed the host")
	}
	r = runXgo(t, d, "batch", "run", "-o", "json", file)
	var rep struct {
		SchemaVersion int
		OK            bool
		Steps         []struct{ Status string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil || !rep.OK || len(rep.Steps) != 7 || rep.Steps[6].Status != "done" || rep.SchemaVersion != 1 {
		t.Fatalf("run: %d %v %s %s", r.code, err, r.stdout, r.stderr)
	}
	exp := runXgo(t, d, "export", "--batch")
	if exp.code != 0 || !strings.Contains(exp.stdout, "sched-credit: {domain: domu1, weight: 512, cap: 50}") {
		t.Fatalf("export: %d %s %s", exp.code, exp.stdout, exp.stderr)
	}
	// export, reset, run the export, export again: the same layout.
	if r := runXgo(t, d, "sim", "reset"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	expFile := writeFile(t, "export.yaml", exp.stdout)
	if r := runXgo(t, d, "batch", "run", "-q", expFile); r.code != 0 {
		t.Fatalf("run of the export: %s %s", r.stdout, r.stderr)
	}
	if again := runXgo(t, d, "export", "--batch").stdout; again != exp.stdout {
		t.Errorf("export after reset+run differs:\n%s\n---\n%s", again, exp.stdout)
	}
	if j := runXgo(t, d, "export", "--batch", "-o", "json"); j.code != 0 || !strings.Contains(j.stdout, `"cpupool-create": {`) {
		t.Errorf("export -o json: %s %s", j.stdout, j.stderr)
	}
}

func TestBatchBadFileAndFailingPlan(t *testing.T) {
	t.Parallel()
	sim := filepath.Join(t.TempDir(), "sim.yaml")
	d := simEnvDeps(t, sim)
	runXgo(t, d, "sim", "init")
	bad := writeFile(t, "bad.yaml", strings.Replace(batchOK, "  - xenstore-write: {path: /tool/batch, value: done}\n",
		"  - xenstore-write: {path: /tool/batch, valeu: done}\n", 1))
	before := runXgo(t, d, "sim", "show", "-o", "yaml").stdout
	r := runXgo(t, d, "batch", "run", bad)
	if r.code != exitUsage || !strings.Contains(r.stderr, "bad.yaml:17:41: step 7 (xenstore-write): unknown argument \"valeu\" (want path, value)") {
		t.Errorf("bad step 7: %d %q", r.code, r.stderr)
	}
	fails := writeFile(t, "fails.yaml", batchOK+"  - cpupool-destroy: {pool: Pool-0}\n")
	r = runXgo(t, d, "batch", "run", fails)
	if r.code != exitFailure || !strings.Contains(r.stderr, "step 8 (cpupool-destroy): would fail:") || !strings.Contains(r.stderr, "nothing was changed") ||
		!strings.Contains(r.stdout, "step 8 (line 18): cpupool-destroy pool=Pool-0: would fail") {
		t.Errorf("failing plan: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if after := runXgo(t, d, "sim", "show", "-o", "yaml").stdout; after != before {
		t.Error("a refused batch changed the host")
	}
	d.Stdin = strings.NewReader("no\n")
	r = runXgo(t, d, "batch", "run", "--confirm", writeFile(t, "ok.yaml", batchOK))
	if r.code != exitFailure || !strings.Contains(r.stderr, "not confirmed") {
		t.Errorf("--confirm no: %d %s", r.code, r.stderr)
	}
	if after := runXgo(t, d, "sim", "show", "-o", "yaml").stdout; after != before {
		t.Error("an unconfirmed batch changed the host")
	}
}

// A second xgo job waits for the lock, then gives up naming the holder;
// read-only commands do not wait.
func TestHostLock(t *testing.T) {
	t.Parallel()
	sim := filepath.Join(t.TempDir(), "sim.yaml")
	d := simEnvDeps(t, sim)
	d.Getenv = func(k string) string {
		switch k {
		case simEnvVar:
			return sim
		case lockTimeoutEnvVar:
			return "300ms"
		}
		return ""
	}
	runXgo(t, d, "sim", "init")
	e := &env{deps: d}
	e.global.Sim, e.global.SimState = true, sim
	unlock, err := e.lockHost(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := runXgo(t, d, "cpupool-create", "name=x")
	if r.code != exitFailure || !strings.Contains(r.stderr, "another xgo job is changing this host (pid ") || time.Since(start) < 300*time.Millisecond {
		t.Errorf("second job: %d %q after %s", r.code, r.stderr, time.Since(start))
	}
	r = runXgo(t, d, "batch", "run", "--lock-timeout", "100ms", writeFile(t, "ok.yaml", batchOK))
	if r.code != exitFailure || !strings.Contains(r.stderr, "gave up after 100ms") {
		t.Errorf("batch run: %d %q", r.code, r.stderr)
	}
	if r := runXgo(t, d, "cpupool-list"); r.code != 0 {
		t.Errorf("a read-only command waited or failed: %s", r.stderr)
	}
	if r := runXgo(t, d, "-N", "cpupool-create", "name=x"); r.code != 0 {
		t.Errorf("a dry run waited or failed: %s", r.stderr)
	}
	unlock()
	if r := runXgo(t, d, "cpupool-create", "name=x"); r.code != 0 {
		t.Errorf("after unlock: %s", r.stderr)
	}
}

// Ctrl-C during a run: the step under way finishes, then everything is
// rolled back.
func TestBatchRunSIGINTRollsBack(t *testing.T) {
	t.Parallel()
	sim := filepath.Join(t.TempDir(), "sim.yaml")
	env := []string{"XGO_SIM=" + sim}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, e, code, err := xgoProcess(ctx, env, "sim", "init"); code != 0 || err != nil {
		t.Fatal(e, err)
	}
	before, _, _, _ := xgoProcess(ctx, env, "sim", "show", "-o", "yaml")
	// Many steps, each quick: a SIGINT lands in the middle of the run.
	var b strings.Builder
	b.WriteString("version: 1\nsteps:\n  - cpupool-create: {name: rt}\n")
	for range 400 {
		b.WriteString("  - cpupool-cpu-move: {cpus: 5, pool: rt}\n  - cpupool-cpu-move: {cpus: 5, pool: Pool-0}\n")
	}
	file := writeFile(t, "long.yaml", b.String())
	cmd := xgoCommand(ctx, append(env, "XGO_TEST_AS_XGO=1"), "batch", "run", "-v", "-q", file)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(stderr.String(), "step 20 ") && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitFailure {
		t.Errorf("exit %d (%v): %s", code, err, tail(stderr.String()))
	}
	if !strings.Contains(stderr.String(), "interrupted") || !strings.Contains(stderr.String(), "rolled back") {
		t.Errorf("stderr: %s", tail(stderr.String()))
	}
	if after, _, _, _ := xgoProcess(ctx, env, "sim", "show", "-o", "yaml"); after != before {
		t.Errorf("host not restored after SIGINT")
	}
}

func xgoCommand(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func tail(s string) string {
	if len(s) > 600 {
		return "..." + s[len(s)-600:]
	}
	return s
}

// Every command the lock table names exists, so a renamed command cannot
// silently lose its lock.
func TestMutatingCommandsExist(t *testing.T) {
	t.Parallel()
	app := newApp(testDeps(t))
	found := map[string]bool{}
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			found[name] = true
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
	for name := range mutatingCommands {
		if !found[name] {
			t.Errorf("the lock table names %q, which is no command", name)
		}
	}
}

// TestBatchMidRunFault: sim fault op --after N --run-only makes a batch
// step fail midway in the run only, so the plan passes; when undoing
// fails too the run exits 5 and its report does not claim the host is
// as it was. The same fault without --run-only fails the plan, which
// exits 1 and does not say the host was left changed.
func TestBatchMidRunFault(t *testing.T) {
	t.Parallel()
	d := testDeps(t)
	file := writeFile(t, "b.yaml", "version: 1\nsteps:\n  - cpupool-cpu-move: {cpus: \"2-3\", pool: spare}\n")
	sim := simState(t, cpupoolSpec)
	if r := runXgo(t, d, sim, "sim", "fault", "op", "rmcpu", "EBUSY", "--after", "1", "--always", "--run-only"); r.code != 0 || !strings.Contains(r.stdout, "after 1 that succeed") {
		t.Fatalf("sim fault op: %+v", r)
	}
	if r := runXgo(t, d, sim, "batch", "plan", file); r.code != 0 {
		t.Errorf("plan with a run-only fault: %+v", r)
	}
	r := runXgo(t, d, sim, "batch", "run", file)
	if r.code != exitRollback || strings.Contains(r.stdout, "the host is as it was") || !strings.Contains(r.stdout, "undo failed") {
		t.Errorf("run with a failing rollback: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	sim = simState(t, cpupoolSpec)
	runXgo(t, d, sim, "sim", "fault", "op", "rmcpu", "EBUSY", "--after", "1", "--always")
	for _, cmd := range []string{"plan", "run"} {
		r := runXgo(t, d, sim, "batch", cmd, file)
		if r.code != exitFailure || strings.Contains(r.stderr, "left changed") || strings.Contains(r.stderr, "rolling back failed") {
			t.Errorf("batch %s with a fault in the plan: exit %d, stderr %q", cmd, r.code, r.stderr)
		}
	}
}

// TestBatchRunSIGINTInLastStep: a SIGINT while the last step runs gets
// the same treatment as one in any other step: the step is finished,
// then everything is rolled back (it used to report "all steps done").
// The last step is made slow by a run-only EBUSY fault its retries
// outlast.
func TestBatchRunSIGINTInLastStep(t *testing.T) {
	t.Parallel()
	sim := filepath.Join(t.TempDir(), "sim.yaml")
	env := []string{"XGO_SIM=" + sim}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, e, code, err := xgoProcess(ctx, env, "sim", "init"); code != 0 || err != nil {
		t.Fatal(e, err)
	}
	before, _, _, _ := xgoProcess(ctx, env, "sim", "show", "-o", "yaml")
	if _, e, code, _ := xgoProcess(ctx, env, "sim", "fault", "op", "sysctl cpu_hotplug offline", "EBUSY", "-n", "4", "--run-only"); code != 0 {
		t.Fatal(e)
	}
	file := writeFile(t, "last.yaml", "version: 1\nsteps:\n  - cpupool-create: {name: rt}\n  - pcpu-offline: {cpus: 5, timeout: 20s}\n")
	cmd := xgoCommand(ctx, append(env, "XGO_TEST_AS_XGO=1"), "batch", "run", "-v", file)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(stderr.String()+stdout.String(), "step 1 ") && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // step 2 retries for 1.5 s
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	out := stdout.String() + stderr.String()
	if code := cmd.ProcessState.ExitCode(); code != exitFailure || strings.Contains(out, "all 2 steps done") {
		t.Errorf("exit %d (%v): %s", code, err, tail(out))
	}
	if !strings.Contains(out, "interrupted") || !strings.Contains(out, "rolled back") {
		t.Errorf("output: %s", tail(out))
	}
	_, _, _, _ = xgoProcess(ctx, env, "sim", "fault", "clear")
	if after, _, _, _ := xgoProcess(ctx, env, "sim", "show", "-o", "yaml"); after != before {
		t.Errorf("host not restored after SIGINT in the last step:\n%s\nwas\n%s", after, before)
	}
}
