//go:build xenlab

package suite

// Lab checks of package hypercall against the real Xen 4.17 tools in dom0.
// Each test compares what xgo reads through its own privcmd hypercalls with
// what xl, xenpm, xenstore-read or sysfs print for the same host. Helpers
// here carry an hc prefix; they use only the standard library so this file
// does not depend on lab_test.go.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// hcRun runs a command and returns its stdout, failing the test if it
// fails.
func hcRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// hcXLInfo parses `xl info` ("key<pad>: value").
func hcXLInfo(t *testing.T) map[string]string {
	t.Helper()
	info := map[string]string{}
	for _, line := range strings.Split(hcRun(t, "xl", "info"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			info[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return info
}

// hcOpen opens the hypervisor; in the lab's dom0 as root this must work.
func hcOpen(t *testing.T) *hypercall.Xen {
	t.Helper()
	x, err := hypercall.Open()
	if err != nil {
		t.Fatalf("hypercall.Open: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func hcAtoi(t *testing.T, what, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatalf("%s: %q is not a number", what, s)
	}
	return v
}

func TestXenHypercallOpen(t *testing.T) {
	x := hcOpen(t)
	a := x.ABI()
	t.Logf("ABI: %v", a)
	// Each release's interface versions, as seen in the lab: the domctl
	// version moved (0x16 in 4.18, 0x17 from 4.19), sysctl did not.
	want := map[string]struct{ minor, sysctl, domctl uint32 }{
		"4.17": {17, 0x15, 0x15},
		"4.20": {20, 0x15, 0x17},
	}[labXen()]
	if a.Major != 4 || uint32(a.Minor) != want.minor || uint32(a.Sysctl) != want.sysctl ||
		uint32(a.Domctl) != want.domctl || a.Platform != 0x03000001 {
		t.Errorf("ABI = %+v, want Xen 4.%d with sysctl %#x, domctl %#x", a, want.minor, want.sysctl, want.domctl)
	}
}

func TestXenHypercallVersion(t *testing.T) {
	x := hcOpen(t)
	v, err := x.XenVersion()
	if err != nil {
		t.Fatal(err)
	}
	info := hcXLInfo(t)
	check := func(key, got string) {
		t.Helper()
		if info[key] != got {
			t.Errorf("%s: xl info %q, hypercall %q", key, info[key], got)
		}
	}
	check("xen_major", strconv.Itoa(v.Major))
	check("xen_minor", strconv.Itoa(v.Minor))
	check("xen_extra", v.Extra)
	check("xen_version", v.String())
	check("xen_commandline", v.CommandLine)
	check("build_id", fmt.Sprintf("%x", v.BuildID))
}

func TestXenHypercallPhysinfo(t *testing.T) {
	x := hcOpen(t)
	p, err := x.Physinfo()
	if err != nil {
		t.Fatal(err)
	}
	free, err := x.CpupoolFreeCPUs()
	if err != nil {
		t.Fatal(err)
	}
	info := hcXLInfo(t)
	check := func(key, got string) {
		t.Helper()
		if info[key] != got {
			t.Errorf("%s: xl info %q, hypercall %q", key, info[key], got)
		}
	}
	check("nr_cpus", strconv.Itoa(int(p.NrCPUs)))
	check("max_cpu_id", strconv.Itoa(int(p.MaxCPUID)))
	check("nr_nodes", strconv.Itoa(int(p.NrNodes)))
	check("cores_per_socket", strconv.Itoa(int(p.CoresPerSocket)))
	check("threads_per_core", strconv.Itoa(int(p.ThreadsPerCore)))
	check("cpu_mhz", fmt.Sprintf("%d.%03d", p.CPUkHz/1000, p.CPUkHz%1000))
	var hw []string
	for _, w := range p.HWCap {
		hw = append(hw, fmt.Sprintf("%08x", w))
	}
	check("hw_caps", strings.Join(hw, ":"))
	check("virt_caps", p.Capabilities.String())
	check("total_memory", strconv.FormatUint(p.TotalPages/256, 10))
	check("free_cpus", strconv.Itoa(free.Len()))
	// Free memory moves; allow 64 MiB between the two reads.
	xlFree := hcAtoi(t, "free_memory", info["free_memory"])
	ours := (p.FreePages - p.OutstandingPages) / 256
	if d := int64(xlFree) - int64(ours); d > 64 || d < -64 {
		t.Errorf("free_memory: xl info %d MiB, hypercall %d MiB", xlFree, ours)
	}
}

func TestXenHypercallCPUTopology(t *testing.T) {
	x := hcOpen(t)
	topo, err := x.CPUTopology()
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, c := range topo {
		if c.Present() {
			ours = append(ours, fmt.Sprintf("CPU%d\t %d\t %d\t %d", c.CPU, c.Core, c.Socket, c.Node))
		}
	}
	var theirs []string
	for _, line := range strings.Split(hcRun(t, "xenpm", "get-cpu-topology"), "\n") {
		if strings.HasPrefix(line, "CPU") && !strings.HasPrefix(line, "CPU\t") {
			theirs = append(theirs, strings.TrimRight(line, " "))
		}
	}
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("xenpm get-cpu-topology:\n%s\nhypercall:\n%s", strings.Join(theirs, "\n"), strings.Join(ours, "\n"))
	}
}

func TestXenHypercallNUMAInfo(t *testing.T) {
	x := hcOpen(t)
	nodes, err := x.NUMAInfo()
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.Physinfo()
	if err != nil {
		t.Fatal(err)
	}
	online := 0
	for _, n := range nodes {
		if n.Online {
			online++
			if n.MemSize == 0 || n.MemFree > n.MemSize || len(n.Distances) != len(nodes) {
				t.Errorf("node %d: %+v", n.Node, n)
			}
		}
	}
	if online != int(p.NrNodes) {
		t.Errorf("%d online nodes, physinfo nr_nodes %d", online, p.NrNodes)
	}
}

func TestXenHypercallCpupools(t *testing.T) {
	x := hcOpen(t)
	pools, err := hypercall.ListCpupools(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(pools) == 0 || pools[0].ID != 0 {
		t.Fatalf("pools = %+v, want Pool-0 first", pools)
	}
	// xl cpupool-list -c: name padded to 19, then the CPUs joined with ','.
	xl := map[string]string{}
	for _, line := range strings.Split(hcRun(t, "xl", "cpupool-list", "-c"), "\n")[1:] {
		f := strings.Fields(line)
		switch len(f) {
		case 1:
			xl[f[0]] = ""
		case 2:
			xl[f[0]] = f[1]
		}
	}
	if len(xl) != len(pools) {
		t.Errorf("xl lists %d pools, hypercall %d", len(xl), len(pools))
	}
	for _, p := range pools {
		name := strings.TrimSpace(hcRun(t, "xenstore-read", fmt.Sprintf("/local/pool/%d/name", p.ID)))
		var cpus []string
		for _, c := range cpuIDs(p.CPUs) {
			cpus = append(cpus, strconv.Itoa(int(c)))
		}
		if got, ok := xl[name]; !ok || got != strings.Join(cpus, ",") {
			t.Errorf("pool %d (%s): xl %q, hypercall %q", p.ID, name, got, strings.Join(cpus, ","))
		}
	}
	// The scheduler and domain count of each pool, from plain cpupool-list.
	rows := regexp.MustCompile(`(?m)^(\S+)\s+(\d+)\s+(\S+)\s+y\s+(\d+)\s*$`).FindAllStringSubmatch(hcRun(t, "xl", "cpupool-list"), -1)
	byName := map[string][]string{}
	for _, r := range rows {
		byName[r[1]] = r[2:]
	}
	for _, p := range pools {
		name := strings.TrimSpace(hcRun(t, "xenstore-read", fmt.Sprintf("/local/pool/%d/name", p.ID)))
		r := byName[name]
		if r == nil || r[0] != strconv.Itoa(p.CPUs.Len()) || r[1] != p.Scheduler.String() || r[2] != strconv.Itoa(int(p.NDom)) {
			t.Errorf("pool %s: xl %v, hypercall %d cpus %s %d domains", name, r, p.CPUs.Len(), p.Scheduler, p.NDom)
		}
	}
	// Past the last pool INFO answers ENOENT.
	last := pools[len(pools)-1].ID
	if _, err := x.CpupoolInfo(last + 1); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("CpupoolInfo(%d) = %v, want ENOENT", last+1, err)
	}
}

func TestXenHypercallSchedParams(t *testing.T) {
	x := hcOpen(t)
	pool0, err := x.CpupoolInfo(0)
	if err != nil {
		t.Fatal(err)
	}
	def, err := x.SchedulerID()
	if err != nil {
		t.Fatal(err)
	}
	if def != pool0.Scheduler {
		t.Errorf("sched_id %v, Pool-0 runs %v", def, pool0.Scheduler)
	}
	if pool0.Scheduler != hypercall.SchedCredit2 {
		t.Skipf("Pool-0 runs %v; the lab expects credit2", pool0.Scheduler)
	}
	p, err := x.PoolSchedParams(0, hypercall.SchedCredit2)
	if err != nil {
		t.Fatal(err)
	}
	out := hcRun(t, "xl", "sched-credit2", "-s", "-p", "Pool-0")
	want := fmt.Sprintf("Cpupool Pool-0: ratelimit=%dus", p.RatelimitUS)
	if !strings.Contains(out, want) {
		t.Errorf("xl sched-credit2 -s:\n%s\nwant a line %q", out, want)
	}
	// Dom0's weight and cap, as xl sched-credit2 -d 0 prints them.
	d, err := x.DomainSchedParams(0, hypercall.SchedCredit2)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^Domain-0\s+0\s+(\d+)\s+(\d+)\s*$`).FindStringSubmatch(hcRun(t, "xl", "sched-credit2", "-d", "0"))
	if row == nil || row[1] != strconv.Itoa(int(d.Weight)) || row[2] != strconv.Itoa(int(d.Cap)) {
		t.Errorf("xl sched-credit2 -d 0: %v, hypercall weight %d cap %d", row, d.Weight, d.Cap)
	}
	// Asking with the wrong scheduler is EINVAL, as sched_adjust_global says.
	if _, err := x.PoolSchedParams(0, hypercall.SchedCredit); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("credit params of a credit2 pool: %v, want EINVAL", err)
	}
}

func TestXenHypercallDomains(t *testing.T) {
	x := hcOpen(t)
	doms, err := hypercall.ListDomains(x)
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ id, vcpus string }
	var ours, theirs []row
	for _, d := range doms {
		ours = append(ours, row{strconv.Itoa(int(d.Domid)), strconv.Itoa(int(d.OnlineVCPUs))})
	}
	// xl list: Name ID Mem VCPUs State Time(s)
	for _, line := range strings.Split(hcRun(t, "xl", "list"), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) >= 6 {
			n := len(f)
			theirs = append(theirs, row{f[n-5], f[n-3]})
		}
	}
	sort.Slice(theirs, func(i, j int) bool { return hcAtoi(t, "id", theirs[i].id) < hcAtoi(t, "id", theirs[j].id) })
	if fmt.Sprint(ours) != fmt.Sprint(theirs) {
		t.Errorf("xl list (id, vcpus) %v, hypercall %v", theirs, ours)
	}
	d0, err := x.DomainInfo(0)
	if err != nil || d0.Domid != 0 || d0.Cpupool != 0 {
		t.Errorf("DomainInfo(0) = %+v, %v", d0, err)
	}
	// A domid that does not exist: ESRCH on 4.17 too (xgo checks the echo).
	if _, err := x.DomainInfo(0x7000); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("DomainInfo(0x7000) = %v, want ESRCH", err)
	}
}

func TestXenHypercallPCPUInfo(t *testing.T) {
	x := hcOpen(t)
	before := x.Hypercalls()
	cpus, err := hypercall.ListPCPUs(x)
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Hypercalls() - before; got != uint64(len(cpus)) {
		t.Errorf("%d hypercalls for %d CPU ids", got, len(cpus))
	}
	for _, c := range cpus {
		dir := filepath.Join("/sys/devices/system/xen_cpu", fmt.Sprintf("xen_cpu%d", c.CPU))
		_, statErr := os.Stat(dir)
		if c.Invalid {
			if statErr == nil {
				t.Errorf("cpu %d: INVALID, but %s exists", c.CPU, dir)
			}
			continue
		}
		if statErr != nil {
			t.Errorf("cpu %d: present, but %v", c.CPU, statErr)
			continue
		}
		if c.CPU == 0 {
			continue // xen_cpu0 has no online file
		}
		b, err := os.ReadFile(filepath.Join(dir, "online"))
		if err != nil {
			t.Errorf("cpu %d: %v", c.CPU, err)
			continue
		}
		want := "0"
		if c.Online {
			want = "1"
		}
		if strings.TrimSpace(string(b)) != want {
			t.Errorf("cpu %d: sysfs online %q, get_cpuinfo online %v", c.CPU, strings.TrimSpace(string(b)), c.Online)
		}
	}
}

// TestXenHypercallErrnos checks the errno claims of xen-abi.md §6 that are
// safe to provoke on the lab host.
func TestXenHypercallErrnos(t *testing.T) {
	x := hcOpen(t)
	cases := []struct {
		name  string
		err   error
		errno syscall.Errno
	}{
		{"offline cpu 0 via platform_op", x.PlatformCPUOffline(0), syscall.EOPNOTSUPP},
		{"offline cpu 0 via sysctl", x.CPUHotplug(hypercall.HotplugOffline, 0), syscall.EINVAL},
		{"online an online cpu via sysctl", x.CPUHotplug(hypercall.HotplugOnline, 0), syscall.EEXIST},
		{"remove cpu 0 from Pool-0", x.CpupoolRemoveCPU(0, 0), syscall.EINVAL},
		{"move Domain-0", x.CpupoolMoveDomain(1, 0), syscall.EPERM},
		{"destroy Pool-0", x.CpupoolDestroy(0), syscall.EBUSY},
	}
	for _, c := range cases {
		if c.errno == 0 {
			if c.err != nil {
				t.Errorf("%s: %v, want success", c.name, c.err)
			}
			continue
		}
		if !errors.Is(c.err, c.errno) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.errno)
		}
	}
	// Onlining an online CPU through platform_op is a no-op, unless the
	// clocksource is TSC (then EINVAL before anything else).
	if err := x.PlatformCPUOnline(0); err != nil && !errors.Is(err, syscall.EINVAL) {
		t.Errorf("platform_op online of an online cpu: %v, want success", err)
	} else if err != nil {
		t.Logf("platform_op cpu_online refused: %v (clocksource=tsc?)", err)
	}
	// Binding VIRQ_PCPU_STATE again: the kernel's xen-pcpu driver holds it.
	e, err := hypercall.OpenEvtchn()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.BindVIRQ(hypercall.VIRQPCPUState); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("bind VIRQ_PCPU_STATE: %v, want EEXIST", err)
	}
	port, err := e.BindUnboundPort(0)
	if err != nil {
		t.Fatalf("bind unbound port: %v", err)
	}
	if err := e.Unbind(port); err != nil {
		t.Errorf("unbind %d: %v", port, err)
	}
}

// TestXenHypercallCpupoolRoundTrip creates a pool, moves the last CPU in
// and out, and destroys it, comparing with xl cpupool-list -c on the way.
func TestXenHypercallCpupoolRoundTrip(t *testing.T) {
	x := hcOpen(t)
	pool0, err := x.CpupoolInfo(0)
	if err != nil {
		t.Fatal(err)
	}
	cpus := cpuIDs(pool0.CPUs)
	if len(cpus) < 2 {
		t.Skipf("Pool-0 has %d CPUs", len(cpus))
	}
	cpu := cpus[len(cpus)-1]
	id, err := x.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit2)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("xgo-hc-%d", id)
	hcRun(t, "xenstore-write", fmt.Sprintf("/local/pool/%d/name", id), name)
	t.Cleanup(func() {
		x.CpupoolRemoveCPU(id, cpu)
		x.CpupoolAddCPU(0, cpu)
		x.CpupoolDestroy(id)
		exec.Command("xenstore-rm", fmt.Sprintf("/local/pool/%d", id)).Run()
	})
	if err := x.CpupoolRemoveCPU(0, cpu); err != nil {
		t.Fatal(err)
	}
	free, err := x.CpupoolFreeCPUs()
	if err != nil || !free.Has(int(cpu)) {
		t.Fatalf("free cpus %v, %v; want %d", free, err, cpu)
	}
	if err := x.CpupoolRemoveCPU(id, cpu); !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Errorf("remove a cpu that is not in the pool: %v, want EADDRNOTAVAIL", err)
	}
	if err := x.CpupoolAddCPU(id, cpu); err != nil {
		t.Fatal(err)
	}
	// Offlining a CPU of another pool fails with ENODEV, but on Xen 4.17
	// the failed attempt strands the CPU for the rest of the boot
	// (docs/xen-behaviour.md), so it is checked last, in
	// zz_quirks_test.go, not here.
	out := hcRun(t, "xl", "cpupool-list", "-c", name)
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+` + strconv.Itoa(int(cpu)) + `\s*$`).MatchString(out) {
		t.Errorf("xl cpupool-list -c %s:\n%s\nwant cpu %d", name, out, cpu)
	}
	if err := x.CpupoolDestroy(id); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("destroy a pool with a cpu: %v, want EBUSY", err)
	}
	if err := x.CpupoolRemoveCPU(id, cpu); err != nil {
		t.Fatal(err)
	}
	if err := x.CpupoolAddCPU(0, cpu); err != nil {
		t.Fatal(err)
	}
	if err := x.CpupoolDestroy(id); err != nil {
		t.Fatal(err)
	}
	// RTDS is not built into release builds: ENOENT, which is also
	// ErrNotSupported.
	rt, err := x.CpupoolCreate(hypercall.PoolAny, hypercall.SchedRTDS)
	switch {
	case err == nil:
		t.Log("this Xen has RTDS built in")
		x.CpupoolDestroy(rt)
	case !errors.Is(err, syscall.ENOENT) || !errors.Is(err, hypercall.ErrNotSupported):
		t.Errorf("create an rtds pool: %v, want ENOENT / ErrNotSupported", err)
	}
}

// cpuIDs lists s in Xen's id type, the one the Hypervisor methods take.
func cpuIDs(s cpuset.Set) []uint32 {
	out := make([]uint32, 0, s.Len())
	for _, id := range s.IDs() {
		out = append(out, uint32(id))
	}
	return out
}
