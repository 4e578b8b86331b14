//go:build xenlab

package suite

// Lab checks of xgo batch files on real Xen: the acceptance
// scenario (a batch whose last step fails because xl changed the host
// between plan and run ends with the host exactly as before), a bad step
// 7 rejected before step 1 runs, and 200 cpu moves as one batch against
// the same moves as xl commands in a shell loop.
//
// Pools here use credit2, never credit: adding cpus to a credit1 pool
// crashes Xen under QEMU TCG (docs/xen-behaviour.md). Pool-0 always keeps
// two pCPUs (dom0 memory corruption otherwise, same document), and no
// CPU makes round trips through Pool-0 in the timing loop.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostState is what must be identical before and after a rolled-back
// batch: the pools with their cpus, the domains (name, id, memory,
// vCPUs: not their CPU time), the credit2 weights and caps, and the
// domains' XenStore trees with permissions.
func hostState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(MustRun(t, "xl", "cpupool-list", "-c") + "\n")
	for _, l := range strings.Split(MustRun(t, "xl", "list"), "\n") {
		f := strings.Fields(l)
		if len(f) >= 4 {
			b.WriteString(strings.Join(f[:4], " ") + "\n")
		}
	}
	b.WriteString(MustRun(t, "xl", "sched-credit2") + "\n")
	b.WriteString(MustRun(t, "xenstore-ls", "-fp", "/local/domain") + "\n")
	return b.String()
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := map[string]int{}
	for _, l := range bl {
		in[l]++
	}
	var out strings.Builder
	for _, l := range al {
		if in[l] > 0 {
			in[l]--
			continue
		}
		out.WriteString("- " + l + "\n")
	}
	seen := map[string]int{}
	for _, l := range al {
		seen[l]++
	}
	for _, l := range bl {
		if seen[l] > 0 {
			seen[l]--
			continue
		}
		out.WriteString("+ " + l + "\n")
	}
	return out.String()
}

func TestXenBatchRollsBackOnRealXen(t *testing.T) {
	xgo := XgoPath(t)
	t.Cleanup(func() {
		// Whatever happened, leave the lab as it booted.
		for _, c := range [][]string{
			{"xl", "cpupool-destroy", "xgobt-final"},
			{"xl", "cpupool-destroy", "xgobt"},
			{"xen-hptool", "cpu-online", "3"},
		} {
			_ = exec.Command(c[0], c[1:]...).Run()
		}
	})
	d := StartDomU(t, DomUOptions{})
	dir := t.TempDir()

	// A bad step 7 is rejected, with its position, before step 1 runs.
	bad := "version: 1\nsteps:\n" +
		"  - cpupool-create: {name: xgobt, sched: credit2}\n" +
		strings.Repeat("  - xenstore-write: {path: /tool/xgobt, value: x}\n", 5) +
		"  - cpupool-cpu-move: {cpus: 2, pool: xgobt, now: yes}\n"
	badFile := filepath.Join(dir, "bad.yaml")
	must(t, os.WriteFile(badFile, []byte(bad), 0o644))
	before := hostState(t)
	for _, cmd := range []string{"plan", "run"} {
		r := Run(t, xgo, "batch", cmd, badFile)
		want := badFile + ":9:46: step 7 (cpupool-cpu-move): unknown argument \"now\""
		if r.ExitCode != 2 || !strings.Contains(r.Stderr, want) {
			t.Errorf("batch %s of a bad step 7: exit %d, want 2 and %q\n%s", cmd, r.ExitCode, want, r)
		}
	}
	if after := hostState(t); after != before {
		t.Fatalf("a rejected batch changed the host:\n%s", diffLines(before, after))
	}

	// The acceptance batch: offline a cpu, create a credit2 pool, move a
	// cpu into it, migrate the domU there, set its weight, give it a vsnd
	// card, then rename the pool to a name xl takes between plan and run.
	batch := fmt.Sprintf(`version: 1
steps:
  - pcpu-offline: {cpus: 3}
  - cpupool-create: {name: xgobt, sched: credit2}
  - cpupool-cpu-move: {cpus: [2], pool: xgobt}
  - cpupool-migrate: {domain: %[1]s, pool: xgobt}
  - sched-credit2: {domain: %[1]s, weight: 512}
  - vsnd-attach:
      domain: %[1]s
      card:
        short-name: xgobt
        sample-rates: [48000]
        pcms:
          - name: Analog
            streams:
              - {unique-id: "alsa<hw:0;0>", type: p}
  - cpupool-rename: {pool: xgobt, name: xgobt-final}
`, d.Name)
	file := filepath.Join(dir, "accept.yaml")
	must(t, os.WriteFile(file, []byte(batch), 0o644))

	cmd := exec.Command(xgo, "batch", "run", "--confirm", "-o", "json", file)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	must(t, cmd.Start())
	for !strings.Contains(stderr.String(), "Type yes") {
		if time.Since(start) > CommandTimeout {
			_ = cmd.Process.Kill()
			t.Fatalf("no confirmation prompt\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	planned := time.Since(start)
	if !strings.Contains(stdout.String(), `"status": "ok"`) || strings.Contains(stdout.String(), "would fail") {
		t.Errorf("the plan should pass:\n%s", stdout.String())
	}
	// Between plan and run, xl takes the name the last step wants.
	MustRun(t, "xl", "cpupool-create", `name="xgobt-final"`, `sched="credit2"`)
	before = hostState(t)
	_, _ = stdin.Write([]byte("yes\n"))
	_ = stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * CommandTimeout):
		_ = cmd.Process.Kill()
		t.Fatalf("batch run hangs\n%s", stderr.String())
	}
	ran := time.Since(start) - planned
	t.Logf("plan (with reading the host) %s; run and roll back %s", planned.Round(time.Millisecond), ran.Round(time.Millisecond))
	out := stdout.String()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1 (failed, rolled back)\n%s\n%s", code, out, stderr.String())
	}
	if !strings.Contains(stderr.String(), "step 7 (cpupool-rename): failed") || !strings.Contains(stderr.String(), "the steps done were rolled back") {
		t.Errorf("stderr: %s", stderr.String())
	}
	if n := strings.Count(out, `"status": "rolled back"`); n != 6 || !strings.Contains(out, `"rolledBack": true`) {
		t.Errorf("want 6 steps rolled back:\n%s", out)
	}
	if after := hostState(t); after != before {
		t.Errorf("the host is not as before the run:\n%s", diffLines(before, after))
	}
	MustRun(t, "xl", "cpupool-destroy", "xgobt-final")
}

// 200 cpu moves as one batch against the same 200 moves as xl commands
// (cpupool-cpu-remove + cpupool-cpu-add) in a shell loop, in the same
// dom0: cpu 2 goes back and forth between two credit2 pools, Pool-0
// keeps cpus 0, 1 and 3.
func TestXenBatchVersusXLLoop(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("xenstored's boot times the batch against xl (85 s of xl)")
	}
	xgo := XgoPath(t)
	const moves = 200
	t.Cleanup(func() {
		for _, c := range [][]string{
			{"xl", "cpupool-cpu-remove", "xgobenchA", "2"},
			{"xl", "cpupool-cpu-remove", "xgobenchB", "2"},
			{"xl", "cpupool-destroy", "xgobenchA"},
			{"xl", "cpupool-destroy", "xgobenchB"},
			{"xl", "cpupool-cpu-add", "Pool-0", "2"},
		} {
			_ = exec.Command(c[0], c[1:]...).Run()
		}
	})
	MustRun(t, "xl", "cpupool-create", `name="xgobenchA"`, `sched="credit2"`)
	MustRun(t, "xl", "cpupool-create", `name="xgobenchB"`, `sched="credit2"`)
	MustRun(t, "xl", "cpupool-cpu-remove", "Pool-0", "2")
	MustRun(t, "xl", "cpupool-cpu-add", "xgobenchA", "2")

	var b strings.Builder
	b.WriteString("version: 1\nsteps:\n")
	for i := range moves {
		to := "xgobenchB"
		if i%2 == 1 {
			to = "xgobenchA"
		}
		fmt.Fprintf(&b, "  - cpupool-cpu-move: {cpus: 2, pool: %s}\n", to)
	}
	file := filepath.Join(t.TempDir(), "moves.yaml")
	must(t, os.WriteFile(file, []byte(b.String()), 0o644))
	start := time.Now()
	r := RunWithTimeout(t, 5*time.Minute, xgo, "batch", "run", "-q", file)
	batchTime := time.Since(start)
	if r.ExitCode != 0 {
		t.Fatalf("batch run\n%s", r)
	}
	if pools, out := poolLayout(t); len(pools["xgobenchA"]) != 1 || pools["xgobenchA"][0] != 2 {
		t.Fatalf("after %d moves cpu 2 should be back in xgobenchA:\n%s", moves, out)
	}

	loop := fmt.Sprintf(`for i in $(seq %d); do
  xl cpupool-cpu-remove xgobenchA 2 && xl cpupool-cpu-add xgobenchB 2 &&
  xl cpupool-cpu-remove xgobenchB 2 && xl cpupool-cpu-add xgobenchA 2 || exit 1
done`, moves/2)
	start = time.Now()
	r = RunWithTimeout(t, 5*time.Minute, "sh", "-c", loop)
	xlTime := time.Since(start)
	if r.ExitCode != 0 {
		t.Fatalf("xl loop\n%s", r)
	}
	t.Logf("PERF batch %d cpu moves: %s (%s a move); xl loop: %s (%s a move); %.1fx",
		moves, batchTime.Round(time.Millisecond), (batchTime / moves).Round(10*time.Microsecond),
		xlTime.Round(time.Millisecond), (xlTime / moves).Round(10*time.Microsecond), float64(xlTime)/float64(batchTime))
	// The ratio is a measurement (docs/perf.md records it: 23.7x on an
	// idle lab host), not a pass mark: under TCG on a loaded 2-core
	// machine it was seen as low as 7.4x, because both sides slow down by
	// different amounts. Only a collapse that no load explains fails.
	if xlTime < 3*batchTime {
		t.Errorf("the batch (%s) is not even 3x faster than the xl loop (%s)", batchTime, xlTime)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
