//go:build xenlab

package suite

// Lab checks of xgo's pCPU commands (pcpu-list, pcpu-online/-offline,
// pcpu-watch, info, topology) against xl, xenpm, xen-hptool and the
// kernel's xen_cpu sysfs in the same boot. The tests use pCPU 3 and leave
// it online in Pool-0, as the lab boots.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const pcpuTestCPU = "3"

// pcpuJSON is the part of `xgo pcpu-list -o json` the tests read.
type pcpuJSON struct {
	CPUs []struct {
		CPU    uint32  `json:"cpu"`
		Online bool    `json:"online"`
		Core   *uint32 `json:"core"`
		Socket *uint32 `json:"socket"`
		Node   *uint32 `json:"node"`
		Pool   *struct {
			ID   uint32 `json:"id"`
			Name string `json:"name"`
		} `json:"pool"`
		Scheduler string `json:"scheduler"`
	} `json:"cpus"`
}

func pcpuXgoList(t *testing.T) pcpuJSON {
	t.Helper()
	r := Xgo(t, "pcpu-list", "-o", "json")
	if r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	var out pcpuJSON
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		t.Fatalf("pcpu-list -o json: %v\n%s", err, r)
	}
	return out
}

// pcpuHostView is what xl and xenpm show of the pCPUs: the snapshot two
// hotplug tools must leave identical.
type pcpuHostView struct {
	Pools    string // xl cpupool-list -c
	Info     string // the CPU lines of xl info
	Topology string // xenpm get-cpu-topology
}

func (v pcpuHostView) String() string {
	return "xl cpupool-list -c:\n" + v.Pools + "\nxl info:\n" + v.Info + "\nxenpm get-cpu-topology:\n" + v.Topology
}

func pcpuViewHost(t *testing.T) pcpuHostView {
	t.Helper()
	var info []string
	for _, l := range strings.Split(MustRun(t, "xl", "info"), "\n") {
		for _, k := range []string{"nr_cpus ", "max_cpu_id ", "cores_per_socket ", "threads_per_core ", "free_cpus "} {
			if strings.HasPrefix(l, k) {
				info = append(info, l)
			}
		}
	}
	return pcpuHostView{
		Pools:    MustRun(t, "xl", "cpupool-list", "-c"),
		Info:     strings.Join(info, "\n"),
		Topology: MustRun(t, "xenpm", "get-cpu-topology"),
	}
}

// pcpuRestore puts pCPU 3 back online into Pool-0 and removes the test's
// pool, whatever state a failed test left them in.
func pcpuRestore(t *testing.T, pool string) {
	t.Helper()
	if pool != "" {
		_ = exec.Command("xl", "cpupool-cpu-remove", pool, pcpuTestCPU).Run()
		_ = exec.Command("xl", "cpupool-destroy", pool).Run()
	}
	_ = exec.Command("xen-hptool", "cpu-online", pcpuTestCPU).Run()
	_ = exec.Command("xl", "cpupool-cpu-add", "Pool-0", pcpuTestCPU).Run()
}

// pcpuNeedCPU3InPool0 fails the test unless pCPU 3 is online in Pool-0, the
// state every test here starts from and leaves.
func pcpuNeedCPU3InPool0(t *testing.T) {
	t.Helper()
	pools := MustRun(t, "xl", "cpupool-list", "-c")
	if !regexp.MustCompile(`(?m)^Pool-0\s+(\S+,)?` + pcpuTestCPU + `(,\S+)?\s*$`).MatchString(pools) {
		t.Fatalf("pCPU %s is not in Pool-0 (a previous test did not clean up?):\n%s", pcpuTestCPU, pools)
	}
}

// TestXenPCPUListMatchesSysfsAndXenpm: every present CPU, its state, its
// topology and its pool as the kernel, xenpm and xl report them.
func TestXenPCPUListMatchesSysfsAndXenpm(t *testing.T) {
	list := pcpuXgoList(t)

	// The kernel's xen_cpu devices are exactly the present CPUs.
	dirs, err := filepath.Glob("/sys/devices/system/xen_cpu/xen_cpu*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no xen_cpu devices: %v", err)
	}
	sysfs := map[uint32]string{}
	for _, d := range dirs {
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "xen_cpu"))
		if err != nil {
			continue
		}
		state := "1" // xen_cpu0 has no online file
		if b, err := os.ReadFile(filepath.Join(d, "online")); err == nil {
			state = strings.TrimSpace(string(b))
		} else if n != 0 {
			t.Errorf("%s/online: %v", d, err)
		}
		sysfs[uint32(n)] = state
	}
	if len(list.CPUs) != len(sysfs) {
		t.Errorf("xgo lists %d CPUs, sysfs has %d devices", len(list.CPUs), len(sysfs))
	}
	for _, c := range list.CPUs {
		state, ok := sysfs[c.CPU]
		if !ok {
			t.Errorf("cpu %d: listed by xgo, no xen_cpu%d in sysfs", c.CPU, c.CPU)
			continue
		}
		if want := map[bool]string{true: "1", false: "0"}[c.Online]; state != want {
			t.Errorf("cpu %d: xgo online=%v, sysfs online=%s", c.CPU, c.Online, state)
		}
	}

	// Topology: xenpm's rows are the CPUs whose core xgo knows.
	var ours []string
	for _, c := range list.CPUs {
		if c.Core == nil {
			continue
		}
		node := -1
		if c.Node != nil {
			node = int(*c.Node)
		}
		ours = append(ours, fmt.Sprintf("CPU%d\t %d\t %d\t %d", c.CPU, *c.Core, *c.Socket, node))
	}
	xenpm := strings.Split(MustRun(t, "xenpm", "get-cpu-topology"), "\n")[1:]
	if strings.Join(ours, "\n") != strings.Join(xenpm, "\n") {
		t.Errorf("topology:\nxenpm:\n%s\nxgo:\n%s", strings.Join(xenpm, "\n"), strings.Join(ours, "\n"))
	}

	// Pools: xl cpupool-list -c, "Name  0,1,2,3".
	xlPools := map[string]string{}
	for _, l := range strings.Split(MustRun(t, "xl", "cpupool-list", "-c"), "\n")[1:] {
		if f := strings.Fields(l); len(f) == 2 {
			xlPools[f[0]] = f[1]
		} else if len(f) == 1 {
			xlPools[f[0]] = ""
		}
	}
	ourPools := map[string][]string{}
	for _, c := range list.CPUs {
		if c.Pool != nil {
			ourPools[c.Pool.Name] = append(ourPools[c.Pool.Name], strconv.Itoa(int(c.CPU)))
		}
	}
	for name, cpus := range ourPools {
		if xlPools[name] != strings.Join(cpus, ",") {
			t.Errorf("pool %s: xl %q, xgo %q", name, xlPools[name], strings.Join(cpus, ","))
		}
	}
	for name, cpus := range xlPools {
		if cpus != "" && ourPools[name] == nil {
			t.Errorf("pool %s (cpus %s) has no CPU in xgo pcpu-list", name, cpus)
		}
	}
	if r := Xgo(t, "pcpu-list"); r.ExitCode != 0 || !strings.HasPrefix(r.Stdout, "CPU  STATE") {
		t.Errorf("table:\n%s", r)
	}
}

// TestXenPCPUTopologyMatchesXenpm: byte for byte.
func TestXenPCPUTopologyMatchesXenpm(t *testing.T) {
	want := Run(t, "xenpm", "get-cpu-topology")
	got := Xgo(t, "topology")
	if got.ExitCode != 0 || want.ExitCode != 0 || got.Stdout != want.Stdout {
		t.Errorf("xenpm:\n%q\nxgo:\n%q\n%s", want.Stdout, got.Stdout, got)
	}
}

// pcpuEventually retries check (free memory moves while Xen scrubs what a
// destroyed domU left) and fails with its last complaint.
func pcpuEventually(t *testing.T, what string, check func() string) {
	t.Helper()
	var msg string
	for i := 0; i < 5; i++ {
		if msg = check(); msg == "" {
			return
		}
		time.Sleep(time.Second)
	}
	t.Errorf("%s: %s", what, msg)
}

// TestXenPCPUInfoMatchesXl: xgo info and xgo info -n print the whole
// output of xl info and xl info -n, line for line and byte for byte,
// except for the values that change between two runs of xl on an idle
// host (xlInfoFreeMemory, xlInfoNUMARow); xgo info KEY prints what xl
// info KEY prints.
func TestXenPCPUInfoMatchesXl(t *testing.T) {
	for _, args := range [][]string{{"info"}, {"info", "-n"}} {
		pcpuEventually(t, "xgo "+strings.Join(args, " "), func() string {
			xl := Run(t, "xl", args...)
			r := Xgo(t, args...)
			if xl.ExitCode != 0 || xl.Stderr != "" || r.ExitCode != 0 || r.Stderr != "" {
				return xl.String() + "\n" + r.String()
			}
			return infoDiff(xl.Stdout, r.Stdout)
		})
	}
	// A prefix selects several lines ("nr", "free", "xen_c", "cc_"); an
	// unknown key prints nothing; an empty value (xen_changeset) prints
	// an empty line.
	for _, key := range []string{"nr", "cpu_mhz", "hw_caps", "virt_caps", "total_memory", "free", "sharing",
		"outstanding", "xen_v", "xen_c", "xen_caps", "xen_changeset", "platform_params", "cc_", "cc_compile_date",
		"xen_commandline", "build_id", "xend_config_format", "host", "bogus"} {
		pcpuEventually(t, "xgo info "+key, func() string {
			want := Run(t, "xl", "info", key)
			got := Xgo(t, "info", key)
			if got.ExitCode != 0 || got.Stdout != want.Stdout {
				return fmt.Sprintf("xl %q, xgo %q\n%s", want.Stdout, got.Stdout, got)
			}
			return ""
		})
	}
	// The device topology as Xen reports it, for the record: xl prints
	// only the devices Xen gives a node.
	if r := Xgo(t, "info", "-n", "-o", "json"); r.ExitCode == 0 {
		var out struct {
			DeviceTopology []map[string]any `json:"deviceTopology"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
			t.Errorf("info -n -o json: %v\n%s", err, r.Stdout)
		}
		t.Logf("device topology: %v", out.DeviceTopology)
	}
}

// These are the lines of xl info whose value changes between two
// runs with nothing happening on the host: free_memory (Xen scrubs and
// frees pages in the background, and the lab's tests create and destroy
// domains) and, with -n, the memfree column of numa_info's rows. Their
// key and shape must match; their values must be within 64 MiB.
var (
	xlInfoFreeMemory = regexp.MustCompile(`^(free_memory +: )(\d+)()$`)
	xlInfoNUMARow    = regexp.MustCompile(`^( *\d+: +\d+ +)(\d+)( +[\d,]+)$`)
	xlInfoKey        = regexp.MustCompile(`^[a-z_ ]+ +:`)
)

// infoDiff compares xl's output with xgo's and describes the first
// difference ("" if none).
func infoDiff(xl, ours string) string {
	a, b := strings.Split(xl, "\n"), strings.Split(ours, "\n")
	if len(a) != len(b) {
		return fmt.Sprintf("xl prints %d lines, xgo %d:\nxl:\n%s\nxgo:\n%s", len(a), len(b), xl, ours)
	}
	inNUMA := false
	for i := range a {
		if xlInfoKey.MatchString(a[i]) {
			inNUMA = strings.HasPrefix(a[i], "numa_info ")
		}
		if a[i] == b[i] {
			continue
		}
		varies := xlInfoFreeMemory
		if inNUMA {
			varies = xlInfoNUMARow
		}
		ma, mb := varies.FindStringSubmatch(a[i]), varies.FindStringSubmatch(b[i])
		if ma != nil && mb != nil && ma[1]+ma[3] == mb[1]+mb[3] {
			na, _ := strconv.Atoi(ma[2])
			nb, _ := strconv.Atoi(mb[2])
			if na-nb <= 64 && nb-na <= 64 {
				continue
			}
		}
		return fmt.Sprintf("line %d:\nxl  %q\nxgo %q\nxl:\n%s\nxgo:\n%s", i+1, a[i], b[i], xl, ours)
	}
	return ""
}

// TestXenPCPUOfflineOnlineLikeHptool: xgo's offline and online of pCPU 3
// have exactly the effect of xen-hptool's, through both hotplug paths.
func TestXenPCPUOfflineOnlineLikeHptool(t *testing.T) {
	pcpuNeedCPU3InPool0(t)
	t.Cleanup(func() { pcpuRestore(t, "") })

	start := pcpuViewHost(t)
	if r := Run(t, "xen-hptool", "cpu-offline", pcpuTestCPU); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	offline := pcpuViewHost(t)
	if r := Run(t, "xen-hptool", "cpu-online", pcpuTestCPU); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	if back := pcpuViewHost(t); back != start {
		t.Fatalf("xen-hptool offline+online did not restore the host:\n%s\n---\n%s", start, back)
	}
	if offline == start {
		t.Fatalf("xen-hptool cpu-offline changed nothing:\n%s", offline)
	}

	for _, via := range []string{"hypercall", "sysfs"} {
		t.Run(via, func(t *testing.T) {
			r := Xgo(t, "pcpu-offline", pcpuTestCPU, "--via", via)
			if r.ExitCode != 0 || r.Stdout != "cpu 3: offlined\n" || r.Stderr != "" {
				t.Fatalf("%s", r)
			}
			if got := pcpuViewHost(t); got != offline {
				t.Errorf("after xgo pcpu-offline:\n%s\nafter xen-hptool cpu-offline:\n%s", got, offline)
			}
			if via == "sysfs" {
				pcpuWaitSysfsOnline(t, pcpuTestCPU, "0")
			}
			if r := Xgo(t, "pcpu-offline", pcpuTestCPU, "--via", via); r.ExitCode != 0 || r.Stdout != "cpu 3: already offline\n" {
				t.Errorf("again: %s", r)
			}
			r = Xgo(t, "pcpu-online", pcpuTestCPU, "--via", via)
			if r.ExitCode != 0 || r.Stdout != "cpu 3: onlined\n" || r.Stderr != "" {
				t.Fatalf("%s", r)
			}
			if got := pcpuViewHost(t); got != start {
				t.Errorf("after xgo pcpu-online:\n%s\nafter xen-hptool cpu-online:\n%s", got, start)
			}
			if via == "sysfs" {
				pcpuWaitSysfsOnline(t, pcpuTestCPU, "1")
			}
			if r := Xgo(t, "cpu-online", pcpuTestCPU, "--via", via); r.ExitCode != 0 || r.Stdout != "cpu 3: already online\n" {
				t.Errorf("again: %s", r)
			}
		})
	}
}

// pcpuWaitSysfsOnline waits for the kernel's cached state of a CPU, which it
// refreshes asynchronously after Xen's VIRQ_PCPU_STATE.
func pcpuWaitSysfsOnline(t *testing.T, cpu, want string) {
	t.Helper()
	path := "/sys/devices/system/xen_cpu/xen_cpu" + cpu + "/online"
	var got string
	for i := 0; i < 50; i++ {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got = strings.TrimSpace(string(b)); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("%s = %s, want %s", path, got, want)
}

// TestXenPCPURefusals: CPU 0, and a CPU in a second pool, are refused
// with the documented line and nothing changes; --evacuate takes the
// pool's CPU offline, and it comes back into Pool-0.
func TestXenPCPURefusals(t *testing.T) {
	pcpuNeedCPU3InPool0(t)
	const pool = "xgo-pcpu-rt"
	t.Cleanup(func() { pcpuRestore(t, pool) })

	start := pcpuViewHost(t)
	for _, via := range []string{"hypercall", "sysfs"} {
		r := Xgo(t, "pcpu-offline", "0", "--via", via)
		if r.ExitCode != 1 || r.Stdout != "" || r.Stderr != "xgo: cpu 0 cannot be taken offline: Xen never offlines its boot cpu\n" {
			t.Errorf("offline cpu 0 --via %s: %s", via, r)
		}
	}
	r := Xgo(t, "pcpu-offline", "9")
	if r.ExitCode != 1 || !strings.HasPrefix(r.Stderr, "xgo: cpu 9 is not present on this host (present: ") {
		t.Errorf("offline cpu 9: %s", r)
	}
	if got := pcpuViewHost(t); got != start {
		t.Fatalf("a refused request changed the host:\n%s\n---\n%s", start, got)
	}

	// A second pool with pCPU 3, made with xl. It runs credit2: adding a
	// CPU to a credit (credit1) pool can crash Xen 4.17 under the lab's
	// slow TCG (csched_tick finds no per-CPU data: schedule_cpu_add arms
	// the tick timer in init_pdata before it publishes sched_priv).
	MustRun(t, "xl", "cpupool-create", `name="`+pool+`"`, `sched="credit2"`)
	MustRun(t, "xl", "cpupool-cpu-remove", "Pool-0", pcpuTestCPU)
	MustRun(t, "xl", "cpupool-cpu-add", pool, pcpuTestCPU)
	inPool := pcpuViewHost(t)
	// Do NOT try xen-hptool cpu-offline here: Xen refuses it (ENODEV) but
	// leaves the CPU in cpupool_locked_cpus until it reboots, after which
	// the CPU can neither go offline (EBUSY for ever) nor, once out of
	// its pool, join any pool (ENODEV). Seen in this lab with Xen 4.17;
	// it would break every later test of the boot that uses pCPU 3.
	// xgo refuses before anything reaches Xen.
	for _, via := range []string{"hypercall", "sysfs"} {
		r := Xgo(t, "pcpu-offline", pcpuTestCPU, "--via", via)
		want := "xgo: cpu 3 is in cpupool '" + pool + "', not Pool-0: remove it first (xgo cpupool-cpu-remove " + pool + " 3) or use --evacuate\n"
		if r.ExitCode != 1 || r.Stdout != "" || r.Stderr != want {
			t.Errorf("offline a CPU of %s --via %s:\n%s\nwant stderr %q", pool, via, r, want)
		}
	}
	if got := pcpuViewHost(t); got != inPool {
		t.Fatalf("a refused request changed the host:\n%s\n---\n%s", inPool, got)
	}

	// --evacuate: out of the pool (it has no domain), then offline.
	r = Xgo(t, "pcpu-offline", pcpuTestCPU, "--evacuate")
	if r.ExitCode != 0 || r.Stdout != "cpu 3: removed from cpupool '"+pool+"', offlined\n" {
		t.Fatalf("%s", r)
	}
	pools := MustRun(t, "xl", "cpupool-list", "-c")
	if !regexp.MustCompile(`(?m)^` + pool + `\s*$`).MatchString(pools) {
		t.Errorf("%s still has CPUs:\n%s", pool, pools)
	}
	// Onlined, it joins Pool-0, not the pool it left (Xen's rule).
	if r := Xgo(t, "pcpu-online", pcpuTestCPU); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	MustRun(t, "xl", "cpupool-destroy", pool)
	if got := pcpuViewHost(t); got != start {
		t.Errorf("not back where it started:\n%s\n---\n%s", start, got)
	}
}

// TestXenPCPUWatch: pcpu-watch reports an offline and an online made by
// xen-hptool, from the kernel's uevents and by polling.
func TestXenPCPUWatch(t *testing.T) {
	pcpuNeedCPU3InPool0(t)
	t.Cleanup(func() { pcpuRestore(t, "") })
	for _, mode := range []struct {
		name  string
		args  []string
		ready string
	}{
		{"uevent", []string{"-o", "json"}, "watching physical CPUs (kernel xen_cpu uevents)"},
		{"poll", []string{"--poll", "--interval", "100ms"}, "watching physical CPUs (polling"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			args := append([]string{"-v", "pcpu-watch", "--count", "2"}, mode.args...)
			cmd := exec.CommandContext(ctx, XgoPath(t), args...)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			errLines := pcpuLines(stderr)
			outLines := pcpuLines(stdout)
			next := func(c <-chan string, what string) string {
				t.Helper()
				select {
				case l, ok := <-c:
					if !ok {
						t.Fatalf("pcpu-watch ended before %s", what)
					}
					return l
				case <-ctx.Done():
					t.Fatalf("no %s within the time limit", what)
				}
				return ""
			}
			if l := next(errLines, "ready line"); !strings.Contains(l, mode.ready) {
				t.Fatalf("stderr %q, want %q", l, mode.ready)
			}
			MustRun(t, "xen-hptool", "cpu-offline", pcpuTestCPU)
			first := next(outLines, "offline event")
			MustRun(t, "xen-hptool", "cpu-online", pcpuTestCPU)
			second := next(outLines, "online event")
			if err := cmd.Wait(); err != nil {
				t.Errorf("pcpu-watch: %v", err)
			}
			if mode.name == "uevent" {
				for i, l := range []string{first, second} {
					var ev struct {
						CPU    uint32 `json:"cpu"`
						Event  string `json:"event"`
						Source string `json:"source"`
						Time   string `json:"time"`
					}
					want := []string{"offline", "online"}[i]
					if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.CPU != 3 || ev.Event != want || ev.Source != "uevent" || ev.Time == "" {
						t.Errorf("event %d: %q (%v), want cpu 3 %s from uevent", i, l, err, want)
					}
				}
				return
			}
			re := regexp.MustCompile(`^\S+ cpu 3 (offline|online)$`)
			if m := re.FindStringSubmatch(first); m == nil || m[1] != "offline" {
				t.Errorf("first line %q", first)
			}
			if m := re.FindStringSubmatch(second); m == nil || m[1] != "online" {
				t.Errorf("second line %q", second)
			}
		})
	}
}

// pcpuLines sends each line read from r, and closes the channel at EOF.
func pcpuLines(r io.Reader) <-chan string {
	c := make(chan string, 16)
	go func() {
		defer close(c)
		s := bufio.NewScanner(r)
		for s.Scan() {
			c <- s.Text()
		}
	}()
	return c
}
