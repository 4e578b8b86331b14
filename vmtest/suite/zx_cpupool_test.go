//go:build xenlab

// This file's name makes its tests run after every other test but the
// quirks (zz_quirks_test.go): they bounce pCPUs between pools hundreds of
// times and deliberately interrupt RMCPU (EADDRINUSE), and a dom0 process
// killed by the emulated lab's memory corruption in the middle of a move
// can leave Xen with a removal pending (cpupool_moving_cpu), which later
// RMCPUs see as EADDRNOTAVAIL. Running them late keeps the other tests,
// the simulator's conformance scenarios above all, on a clean host.

package suite

// Lab checks of xgo's cpupool and scheduler commands against xl in the
// same boot: byte-identical text in many host states, pools made by one
// tool seen and destroyed by the other, cpupool-cpu-move bouncing cpus
// between a credit and a credit2 pool under load, a move that Xen refuses
// midway rolled back exactly, and cpupool-set-sched switching a pool with
// a running domU. Every test leaves the lab as it booted: Pool-0
// (credit2) with cpus 0-3.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// labCPUs are the lab's pCPUs (QEMU -smp 4).
var labCPUs = []int{0, 1, 2, 3}

// poolLayout parses `xl cpupool-list -c` into pool name -> cpus.
func poolLayout(t *testing.T) (map[string][]int, string) {
	t.Helper()
	out := MustRun(t, "xl", "cpupool-list", "-c")
	pools := map[string][]int{}
	for _, line := range strings.Split(out, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		var cpus []int
		if len(f) > 1 {
			for _, c := range strings.Split(f[1], ",") {
				n, err := strconv.Atoi(c)
				if err != nil {
					t.Fatalf("xl cpupool-list -c: bad cpu %q in %q", c, line)
				}
				cpus = append(cpus, n)
			}
		}
		pools[f[0]] = cpus
	}
	return pools, out
}

// checkEveryCPUOnce fails unless every lab cpu is in exactly one pool or
// free (xl info free_cpus counts those).
func checkEveryCPUOnce(t *testing.T) {
	t.Helper()
	pools, out := poolLayout(t)
	seen := map[int]int{}
	for _, cpus := range pools {
		for _, c := range cpus {
			seen[c]++
		}
	}
	free := 0
	for _, l := range strings.Split(MustRun(t, "xl", "info"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "free_cpus" {
			free, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	inPools := 0
	for _, c := range labCPUs {
		if seen[c] > 1 {
			t.Errorf("cpu %d is in %d pools:\n%s", c, seen[c], out)
		}
		inPools += seen[c]
	}
	if inPools+free != len(labCPUs) {
		t.Errorf("%d cpus in pools + %d free != %d:\n%s", inPools, free, len(labCPUs), out)
	}
}

// restoreLab puts the cpupools back as the lab boots, with xl only: every
// other pool's domains go to Pool-0, the pools are destroyed, and every
// free cpu returns to Pool-0.
func restoreLab(t *testing.T) {
	t.Helper()
	run := func(args ...string) {
		if r := Run(t, "xl", args...); r.ExitCode != 0 {
			t.Logf("restore: %s", r)
		}
	}
	// xl list -c: Name ID Mem VCPUs State Time(s) Cpupool
	for _, l := range strings.Split(MustRun(t, "xl", "list", "-c"), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) >= 7 && f[1] != "0" && f[len(f)-1] != "Pool-0" {
			run("cpupool-migrate", f[1], "Pool-0")
		}
	}
	pools, _ := poolLayout(t)
	for name := range pools {
		if name != "Pool-0" {
			run("cpupool-destroy", name)
		}
	}
	pools, _ = poolLayout(t)
	if _, ok := pools["Pool-0"]; !ok {
		// A test renamed Pool-0 (numa-split): name it back.
		for name := range pools {
			run("cpupool-rename", name, "Pool-0")
		}
		pools, _ = poolLayout(t)
	}
	have := map[int]bool{}
	for _, c := range pools["Pool-0"] {
		have[c] = true
	}
	for _, c := range labCPUs {
		if !have[c] {
			run("cpupool-cpu-add", "Pool-0", strconv.Itoa(c))
		}
	}
	if pools, out := poolLayout(t); len(pools) != 1 || len(pools["Pool-0"]) != len(labCPUs) {
		t.Errorf("could not restore the lab's cpupools:\n%s", out)
	}
}

// labStart registers the restore and checks the lab is as it boots.
func labStart(t *testing.T) string {
	t.Helper()
	xgo := XgoPath(t)
	t.Cleanup(func() { restoreLab(t) })
	pools, out := poolLayout(t)
	if len(pools) != 1 || len(pools["Pool-0"]) != len(labCPUs) {
		t.Logf("the lab is not as it boots; restoring first:\n%s", out)
		restoreLab(t)
	}
	return xgo
}

func mustXgo(t *testing.T, args ...string) Result {
	t.Helper()
	r := Xgo(t, args...)
	if r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	return r
}

func mustXl(t *testing.T, args ...string) {
	t.Helper()
	if r := Run(t, "xl", args...); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
}

// compareState compares xgo's and xl's text in the current state:
// cpupool-list and cpupool-list -c, sched-credit and sched-credit2 without
// options, with -p pool and with -d dom. xl and xgo run side by side (dom0
// has two vCPUs); all of them only read.
func compareState(t *testing.T, state, pool, dom string) int {
	t.Helper()
	return compareForms(t, state, [][]string{
		{"cpupool-list"}, {"cpupool-list", "-c"},
		{"sched-credit"}, {"sched-credit2"},
		{"sched-credit", "-p", pool}, {"sched-credit2", "-p", pool},
		{"sched-credit", "-d", dom}, {"sched-credit2", "-d", dom},
	})
}

// compareForms runs each form with xl and with xgo, side by side, and
// reports any difference in stdout or exit status.
func compareForms(t *testing.T, state string, forms [][]string) int {
	t.Helper()
	xgo := XgoPath(t)
	type pair struct{ xl, xgo Result }
	results := make([]pair, len(forms))
	// One form at a time, xl and xgo side by side. Starting every form at
	// once (16 processes on dom0's two vCPUs, a domU in Pool-0 beside
	// them) was followed by permuted pool names in one xgo output and
	// then by xl and xgo both hanging, in a lab boot: the emulation's
	// hazards (docs/xen-behaviour.md) grow with the load, and the load
	// bought no time under TCG.
	for i, f := range forms {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); results[i].xl = Run(t, "xl", f...) }()
		go func() { defer wg.Done(); results[i].xgo = Run(t, xgo, f...) }()
		wg.Wait()
	}
	for i, f := range forms {
		x, g := results[i].xl, results[i].xgo
		if x.Stdout == g.Stdout && x.ExitCode == g.ExitCode {
			continue
		}
		// The emulated lab corrupts dom0 processes' memory now and then
		// when vCPUs share Pool-0's pCPUs (docs/xen-behaviour.md; seen
		// with xl alone). A difference is therefore run again, one
		// command at a time: it fails the test only if it persists, and
		// the first run is logged either way.
		x2, g2 := Run(t, "xl", f...), Run(t, xgo, f...)
		if x2.Stdout != g2.Stdout || x2.ExitCode != g2.ExitCode {
			t.Errorf("state %q: %q differs from xl\n--- xl ---\n%s\n--- xgo ---\n%s", state, strings.Join(f, " "), x2, g2)
			continue
		}
		t.Logf("LAB HAZARD? state %q: %q differed from xl in the parallel run but agrees when run again alone; first run:\n--- xl ---\n%s\n--- xgo ---\n%s",
			state, strings.Join(f, " "), x, g)
	}
	return len(forms)
}

// TestXenCpupoolOutputMatchesXl walks the lab through 13 host states,
// made alternately with xl and xgo, and compares xgo's text with xl's in
// each. Pools made by xgo are listed and destroyed by xl, and the other
// way round.
func TestXenCpupoolOutputMatchesXl(t *testing.T) {
	labStart(t)
	t0 := time.Now()
	cmps := 0
	state := func(name, pool, dom string) {
		t.Helper()
		cmps += compareState(t, name, pool, dom)
		checkEveryCPUOnce(t)
	}
	state("boot", "Pool-0", "Domain-0")
	// Errors: nothing (or only the header) on stdout, status 1.
	cmps += compareForms(t, "boot", [][]string{
		{"cpupool-list", "nope"}, {"cpupool-destroy", "nope"},
		{"sched-credit", "-p", "nope"}, {"sched-credit2", "-d", "99"},
		{"sched-credit2", "-d", "nope"}, {"cpupool-migrate", "nope", "Pool-0"},
	})

	mustXl(t, "cpupool-cpu-remove", "Pool-0", "3")
	state("cpu 3 free (xl)", "0", "0")

	// xl's dry run and xgo's first four lines agree, default scheduler
	// included.
	x := Run(t, "xl", "cpupool-create", "-n", `name="xgo-lab-c"`, `cpus="3"`)
	g := Xgo(t, "cpupool-create", "-N", "name=xgo-lab-c", "cpus=3")
	if x.ExitCode != 0 || g.ExitCode != 0 || !strings.HasPrefix(g.Stdout, x.Stdout) {
		t.Errorf("create dry run differs:\n%s\n%s", x, g)
	}
	mustXgo(t, "cpupool-create", "name=xgo-lab-c", "sched=credit", "cpus=3")
	state("credit pool by xgo", "xgo-lab-c", "Domain-0")

	mustXgo(t, "cpupool-cpu-remove", "Pool-0", "2")
	state("cpu 2 free (xgo)", "Pool-0", "0")

	mustXl(t, "cpupool-create", `name="xgo-lab-c2"`, `sched="credit2"`, `cpus="2"`)
	state("credit2 pool by xl", "xgo-lab-c2", "Domain-0")

	d := StartDomU(t, DomUOptions{Name: "xgo-lab-pooldom"})
	state("domU in Pool-0", "Pool-0", d.Name)

	mustXgo(t, "cpupool-migrate", d.Name, "xgo-lab-c")
	state("domU in the credit pool (xgo)", "xgo-lab-c", d.Name)

	mustXgo(t, "sched-credit", "-d", d.Name, "-w", "512", "-c", "50")
	mustXl(t, "sched-credit", "-s", "-p", "xgo-lab-c", "-t", "10", "-r", "500")
	state("credit params set by xgo and xl", "xgo-lab-c", d.Name)

	mustXl(t, "cpupool-migrate", d.Name, "xgo-lab-c2")
	mustXl(t, "sched-credit2", "-d", d.Name, "-w", "300")
	state("domU in the credit2 pool (xl)", "xgo-lab-c2", d.Name)

	mustXgo(t, "cpupool-create", "name=xgo-lab-e", "sched=credit")
	mustXgo(t, "cpupool-rename", "xgo-lab-e", "xgo-lab-e2")
	state("empty pool by xgo, renamed", "xgo-lab-e2", d.Name)

	mustXgo(t, "cpupool-cpu-move", "3", "xgo-lab-c2")
	state("cpu 3 moved to the credit2 pool (xgo)", "xgo-lab-c2", d.Name)

	mustXl(t, "cpupool-destroy", "xgo-lab-c")
	mustXgo(t, "cpupool-migrate", d.Name, "Pool-0")
	mustXgo(t, "cpupool-destroy", "xgo-lab-c2")
	state("xgo's pool destroyed by xl, xl's by xgo", "xgo-lab-e2", d.Name)

	mustXl(t, "cpupool-destroy", "xgo-lab-e2")
	mustXgo(t, "cpupool-cpu-add", "Pool-0", "2-3")
	state("back to the boot layout", "Pool-0", d.Name)
	t.Logf("%d commands compared with xl in 13 states in %s", cmps, time.Since(t0).Round(time.Millisecond))
}

// TestXenCpupoolNumaSplit compares xgo's numa-split with xl's on the
// lab's single node: both rename Pool-0 to Pool-node0 and change nothing
// else.
func TestXenCpupoolNumaSplit(t *testing.T) {
	labStart(t)
	mustXl(t, "cpupool-numa-split")
	_, xl := poolLayout(t)
	mustXl(t, "cpupool-rename", "Pool-node0", "Pool-0")
	mustXgo(t, "cpupool-numa-split")
	_, xg := poolLayout(t)
	if xl != xg {
		t.Errorf("numa-split: xl left\n%s\nxgo left\n%s", xl, xg)
	}
	mustXl(t, "cpupool-rename", "Pool-node0", "Pool-0")
}

// cpuLoad keeps dom0's vCPUs busy until the test ends.
func cpuLoad(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		cmd := exec.Command("sh", "-c", "while :; do :; done")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
}

// envCrash reports whether a command died of the lab's memory corruption
// rather than failing: killed by a signal, a Go runtime fatal error or
// panic (xgo reports its own failures as one "xgo: ..." line), xgo's
// recovered internal error, or a dynamic-loader failure. Under CPU load,
// with dom0's two vCPUs on one pCPU, this lab's dom0 corrupts the memory of
// random processes, xl as much as xgo (see TestXenCpupoolCPUMoveBounce).
func envCrash(r Result) bool {
	switch {
	case r.ExitCode < 0, r.ExitCode == 127:
		return true
	case strings.Contains(r.Stderr, "fatal error:"), strings.Contains(r.Stderr, "panic:"),
		strings.Contains(r.Stderr, "unexpected return pc"), strings.Contains(r.Stderr, "xgo: internal error:"):
		return true
	}
	return false
}

// TestXenCpupoolCPUMoveBounce moves cpus 2-3 between two credit2 pools 200
// times with cpupool-cpu-move, while dom0 runs a busy loop and a domU
// lives in the first pool: every move out of it makes Xen migrate the
// domU's vCPU. Then it moves them 10 times between that pool and a credit
// pool, so Xen switches each cpu's scheduler as it moves. Xen must stay
// up, every cpu be accounted for once, and every move succeed.
//
// The cross-scheduler part is short on purpose: under QEMU TCG, Xen
// 4.17.7 was seen to crash in csched_tick when a cpu joins a credit pool
// (docs/xen-behaviour.md), twice in the lab boots of one day when this test
// made 100 such moves; session 1's 200 credit/credit2 bounces are in
// docs/perf.md.
//
// The first pool keeps cpu 1 for its domU, so Pool-0 has cpu 0 only, and
// dom0 runs with one vCPU meanwhile: in this lab (QEMU TCG, PV dom0) two
// dom0 vCPUs sharing a pCPU corrupt the memory of random dom0 processes,
// xl's as much as xgo's (even "xgo version", which makes no hypercall,
// dies). Should a process still die that way (envCrash), the layout is
// checked and the move run again; more than a third of them dying fails
// the test.
func TestXenCpupoolCPUMoveBounce(t *testing.T) {
	labStart(t)
	setDom0VCPUs(t, 1)
	mustXgo(t, "cpupool-create", "name=xgo-bounce-a", "sched=credit2")
	mustXgo(t, "cpupool-cpu-move", "1-3", "xgo-bounce-a")
	mustXgo(t, "cpupool-create", "name=xgo-bounce-b", "sched=credit2")
	mustXgo(t, "cpupool-create", "name=xgo-bounce-c", "sched=credit")
	d := StartDomU(t, DomUOptions{Name: "xgo-bounce-dom", Pool: "xgo-bounce-a"})
	cpuLoad(t, 1)

	const sameSched, crossSched = 200, 10
	const bounces = sameSched + crossSched
	var times []time.Duration
	crashes := 0
	t0 := time.Now()
	for i := 0; i < bounces; i++ {
		to := "xgo-bounce-b"
		if i >= sameSched {
			to = "xgo-bounce-c"
		}
		if i%2 == 1 {
			to = "xgo-bounce-a"
		}
		for {
			s := time.Now()
			r := Xgo(t, "cpupool-cpu-move", "2-3", to)
			if r.ExitCode == 0 {
				times = append(times, time.Since(s))
				break
			}
			if !envCrash(r) {
				t.Fatalf("bounce %d: %s", i, r)
			}
			crashes++
			t.Logf("bounce %d: the xgo process died (lab memory corruption), running it again: %.200q", i, r.Stderr)
			checkEveryCPUOnce(t)
			if crashes > bounces/3 {
				t.Fatalf("%d of %d xgo processes died: the lab is too broken to tell", crashes, i+1)
			}
		}
		if i%25 == 24 {
			checkEveryCPUOnce(t)
			pools, out := poolLayout(t)
			if want := map[string]string{"xgo-bounce-b": "[2 3]", "xgo-bounce-c": "[2 3]", "xgo-bounce-a": "[1 2 3]"}[to]; fmt.Sprint(pools[to]) != want {
				t.Fatalf("bounce %d: cpus 2-3 are not in %s:\n%s", i, to, out)
			}
		}
	}
	total := time.Since(t0)
	checkEveryCPUOnce(t)
	pools, out := poolLayout(t)
	if fmt.Sprint(pools["xgo-bounce-a"]) != "[1 2 3]" || len(pools["xgo-bounce-b"]) != 0 || len(pools["xgo-bounce-c"]) != 0 {
		t.Errorf("after %d bounces:\n%s", bounces, out)
	}
	if st := domState(t, d.Name); strings.ContainsAny(st, "cd") {
		t.Errorf("domU %s is in state %q after the bounces", d.Name, st)
	}
	t.Logf("%d cpupool-cpu-move runs in %s (median %s, max %s); %d processes died of the lab's memory corruption and were run again",
		bounces, total.Round(time.Millisecond), median(times), maxDur(times), crashes)
}

// setDom0VCPUs takes dom0's vCPUs from n on offline through the kernel's
// /sys/devices/system/cpu/cpuN/online (xl vcpu-set only offers them: this
// dom0 has no udev to online them again), and waits until Xen counts n
// online. They come back at cleanup, after the lab's pools are restored.
func setDom0VCPUs(t *testing.T, n int) {
	t.Helper()
	set := func(n int) error {
		for c := 1; c < 2; c++ { // the lab's dom0 has vCPUs 0 and 1
			v := "1"
			if c >= n {
				v = "0"
			}
			if err := os.WriteFile(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/online", c), []byte(v), 0); err != nil {
				return err
			}
		}
		for i := 0; i < 100; i++ {
			f := strings.Fields(strings.Split(MustRun(t, "xl", "list", "Domain-0"), "\n")[1])
			if len(f) > 3 && f[3] == strconv.Itoa(n) {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("Domain-0 did not get to %d online vCPUs", n)
	}
	t.Cleanup(func() {
		restoreLab(t)
		if err := set(2); err != nil {
			t.Error(err)
		}
	})
	if err := set(n); err != nil {
		t.Fatal(err)
	}
}

// domState returns the domain's state letters from xl list (r, b, p, s,
// c, d).
func domState(t *testing.T, name string) string {
	t.Helper()
	out := MustRun(t, "xl", "list", name)
	lines := strings.Split(out, "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) < 5 {
		t.Fatalf("xl list %s: %q", name, out)
	}
	return strings.Trim(f[4], "-")
}

// pinDom0VCPU pins dom0's vCPU 1 to pCPU pcpu with SCHEDOP_pin_override,
// as the dom0 kernel does for firmware calls, and returns the function
// that unpins it. While a vCPU is pinned there, Xen refuses to take the
// pCPU out of its pool: cpu_disable_scheduler returns EADDRINUSE
// (xen/common/sched/core.c), and keeps doing so through libxc's and xgo's
// retries.
func pinDom0VCPU(t *testing.T, pcpu int32) func() {
	t.Helper()
	type req struct{ done chan error }
	reqs := make(chan req)
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		var set unix.CPUSet
		set.Set(1)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			started <- err
			return
		}
		privcmd, err := os.OpenFile("/dev/xen/privcmd", os.O_RDWR, 0)
		if err != nil {
			started <- err
			return
		}
		defer privcmd.Close()
		hc, err := os.OpenFile("/dev/xen/hypercall", os.O_RDWR, 0)
		if err != nil {
			started <- err
			return
		}
		defer hc.Close()
		buf, err := unix.Mmap(int(hc.Fd()), 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			started <- err
			return
		}
		defer unix.Munmap(buf)
		call := func(cpu int32) error {
			*(*int32)(unsafe.Pointer(&buf[0])) = cpu // struct sched_pin_override
			// privcmd_hypercall{op: __HYPERVISOR_sched_op (29),
			// arg: SCHEDOP_pin_override (7), &override}
			hcall := [6]uint64{29, 7, uint64(uintptr(unsafe.Pointer(&buf[0])))}
			_, _, errno := unix.Syscall(unix.SYS_IOCTL, privcmd.Fd(), 0x305000, uintptr(unsafe.Pointer(&hcall[0])))
			runtime.KeepAlive(&hcall)
			if errno != 0 {
				return fmt.Errorf("SCHEDOP_pin_override(%d): %w", cpu, errno)
			}
			return nil
		}
		started <- call(pcpu)
		r := <-reqs
		r.done <- call(-1)
	}()
	if err := <-started; err != nil {
		t.Fatalf("pinning dom0's vCPU 1 to pCPU %d: %v", pcpu, err)
	}
	unpinned := false
	unpin := func() {
		if unpinned {
			return
		}
		unpinned = true
		done := make(chan error)
		reqs <- req{done: done}
		if err := <-done; err != nil {
			t.Errorf("unpinning: %v", err)
		}
	}
	t.Cleanup(unpin)
	return unpin
}

// TestXenCpupoolMoveRollback makes Xen refuse a cpupool-cpu-move midway:
// cpu 2 leaves Pool-0 for the target, then Xen refuses to take cpu 3 out
// of Pool-0 because a dom0 vCPU is pinned there (EADDRINUSE, also after the
// retries). xgo must put cpu 3 back (Xen left it "moving"), move cpu 2
// back, and exit 1 naming cpu 3: the layout is exactly the previous one,
// and the same move works once the pin is gone.
func TestXenCpupoolMoveRollback(t *testing.T) {
	labStart(t)
	mustXgo(t, "cpupool-create", "name=xgo-rb", "sched=credit2")
	_, before := poolLayout(t)
	unpin := pinDom0VCPU(t, 3)

	r := Xgo(t, "cpupool-cpu-move", "2-3", "xgo-rb")
	if r.ExitCode != 1 || !strings.Contains(r.Stderr, "cpu 3") || !strings.Contains(r.Stderr, "pinned") {
		t.Errorf("the move did not fail on cpu 3 as expected:\n%s", r)
	}
	if !strings.Contains(r.Stderr, "rolled back") {
		t.Errorf("no rollback reported:\n%s", r)
	}
	_, after := poolLayout(t)
	if after != before {
		t.Errorf("the failed move left\n%s\nwant\n%s", after, before)
	}
	checkEveryCPUOnce(t)

	unpin()
	mustXgo(t, "cpupool-cpu-move", "2-3", "xgo-rb")
	if pools, out := poolLayout(t); fmt.Sprint(pools["xgo-rb"]) != "[2 3]" {
		t.Errorf("after unpinning, the move did not happen:\n%s", out)
	}
}

// poolID returns a pool's id from xgo cpupool-list -o json.
func poolID(t *testing.T, name string) (uint32, string) {
	t.Helper()
	var out struct {
		Pools []struct {
			ID        uint32 `json:"id"`
			Name      string `json:"name"`
			Scheduler string `json:"scheduler"`
		} `json:"pools"`
	}
	r := mustXgo(t, "cpupool-list", "-o", "json", name)
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil || len(out.Pools) != 1 {
		t.Fatalf("cpupool-list -o json %s: %v\n%s", name, err, r)
	}
	return out.Pools[0].ID, out.Pools[0].Scheduler
}

var xlListPool = regexp.MustCompile(`\s(\S+)\s*$`)

// domPool returns the cpupool xl list -c shows for a domain.
func domPool(t *testing.T, name string) string {
	t.Helper()
	out := MustRun(t, "xl", "list", "-c", name)
	lines := strings.Split(out, "\n")
	m := xlListPool.FindStringSubmatch(lines[len(lines)-1])
	if m == nil {
		t.Fatalf("xl list -c %s: %q", name, out)
	}
	return m[1]
}

// TestXenCpupoolSetSched switches a pool with a running domU from credit2
// to credit and back. The domU keeps running, stays in the pool of the
// old name, and keeps its weight; the pool's id changes each time.
func TestXenCpupoolSetSched(t *testing.T) {
	labStart(t)
	mustXgo(t, "cpupool-create", "name=xgo-ss", "sched=credit2")
	mustXgo(t, "cpupool-cpu-move", "2-3", "xgo-ss")
	d := StartDomU(t, DomUOptions{Name: "xgo-ss-dom", Pool: "xgo-ss"})
	mustXgo(t, "sched-credit2", "-d", d.Name, "-w", "700")
	id0, _ := poolID(t, "xgo-ss")

	for _, step := range []struct{ sched, check string }{{"credit", "sched-credit"}, {"credit2", "sched-credit2"}} {
		t0 := time.Now()
		r := mustXgo(t, "cpupool-set-sched", "xgo-ss", step.sched)
		took := time.Since(t0)
		id, sched := poolID(t, "xgo-ss")
		if sched != step.sched || id == id0 {
			t.Errorf("after set-sched %s: pool xgo-ss has id %d (was %d), scheduler %s", step.sched, id, id0, sched)
		}
		if !strings.Contains(r.Stdout, fmt.Sprintf("its id changed from %d to %d", id0, id)) {
			t.Errorf("set-sched did not say the id changed: %s", r)
		}
		id0 = id
		pools, out := poolLayout(t)
		if fmt.Sprint(pools["xgo-ss"]) != "[2 3]" || len(pools) != 2 {
			t.Errorf("after set-sched %s:\n%s", step.sched, out)
		}
		if p := domPool(t, d.Name); p != "xgo-ss" {
			t.Errorf("domU is in %s, want xgo-ss", p)
		}
		if st := domState(t, d.Name); strings.ContainsAny(st, "cdp") {
			t.Errorf("domU state %q after set-sched %s", st, step.sched)
		}
		if got := XenstoreRead(t, d.Path("data/xgo-state")); got != "ready" {
			t.Errorf("domU's data/xgo-state = %q", got)
		}
		x := MustRun(t, "xl", step.check, "-d", d.Name)
		if !strings.Contains(x, " 700 ") {
			t.Errorf("the domU lost its weight 700:\n%s", x)
		}
		compareState(t, "after set-sched "+step.sched, "xgo-ss", d.Name)
		checkEveryCPUOnce(t)
		t.Logf("set-sched %s took %s", step.sched, took.Round(time.Millisecond))
	}
}

// TestXenCpupoolVsXlTiming times xgo against xl in this dom0 (median of
// 7): cpupool-list, and cpupool-cpu-remove + cpupool-cpu-add of cpu 3.
func TestXenCpupoolVsXlTiming(t *testing.T) {
	xgo := labStart(t)
	const n = 7
	timeIt := func(cmds ...[]string) time.Duration {
		var ds []time.Duration
		for i := 0; i < n; i++ {
			s := time.Now()
			for _, c := range cmds {
				if r := Run(t, c[0], c[1:]...); r.ExitCode != 0 {
					t.Fatalf("%s", r)
				}
			}
			ds = append(ds, time.Since(s))
		}
		return median(ds)
	}
	xlList := timeIt([]string{"xl", "cpupool-list"})
	xgoList := timeIt([]string{xgo, "cpupool-list"})
	xlRmAdd := timeIt([]string{"xl", "cpupool-cpu-remove", "Pool-0", "3"}, []string{"xl", "cpupool-cpu-add", "Pool-0", "3"})
	xgoRmAdd := timeIt([]string{xgo, "cpupool-cpu-remove", "Pool-0", "3"}, []string{xgo, "cpupool-cpu-add", "Pool-0", "3"})
	t.Logf("median of %d, wall time per command line(s):", n)
	t.Logf("  cpupool-list:                    xl %8s   xgo %8s", xlList.Round(time.Microsecond), xgoList.Round(time.Microsecond))
	t.Logf("  cpu-remove + cpu-add (cpu 3):    xl %8s   xgo %8s", xlRmAdd.Round(time.Microsecond), xgoRmAdd.Round(time.Microsecond))
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Millisecond)
}

func maxDur(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		if d > m {
			m = d
		}
	}
	return m.Round(time.Millisecond)
}
