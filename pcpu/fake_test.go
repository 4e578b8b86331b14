package pcpu

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"syscall"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// fakeXen is a small model of a Xen host for the unit tests: the rules
// and errnos of xen-abi.md §6.1 and §6.2 that pcpu relies on, plus
// injected errnos. Methods it does not model panic through the nil
// embedded interface.
type fakeXen struct {
	hypercall.Hypervisor

	mu       sync.Mutex
	maxCPUID uint32
	cpus     map[uint32]*fakeCPU // present CPUs
	pools    []*fakePool
	park     bool // keep topology of offline CPUs (Intel)
	faults   map[string][]syscall.Errno
	calls    []string
	// pci is what PCITopology answers; pciErr, if set, its error.
	pci    []hypercall.PCITopology
	pciErr error
}

type fakeCPU struct {
	online             bool
	apic, acpi         uint32
	core, socket, node uint32
}

type fakePool struct {
	id    uint32
	sched hypercall.Scheduler
	ndom  uint32
	cpus  cpuset.Set
}

// newFakeXen makes a host with CPUs 0..n-1 present and online, two cores
// per socket, all in Pool-0 (credit2) with one domain, and max_cpu_id 15.
func newFakeXen(n int) *fakeXen {
	f := &fakeXen{maxCPUID: 15, cpus: map[uint32]*fakeCPU{}, faults: map[string][]syscall.Errno{}}
	var all cpuset.Set
	for i := range n {
		id := uint32(i)
		f.cpus[id] = &fakeCPU{online: true, apic: id * 2, acpi: id + 1, core: id % 2, socket: id / 2, node: id / 4}
		all = all.Add(i)
	}
	f.pools = []*fakePool{{id: 0, sched: hypercall.SchedCredit2, ndom: 1, cpus: all}}
	return f
}

// addPool moves cpus from Pool-0 into a new pool.
func (f *fakeXen) addPool(id uint32, ndom uint32, cpus ...int) {
	s := cpuset.Of(cpus...)
	f.pools[0].cpus = f.pools[0].cpus.Diff(s)
	f.pools = append(f.pools, &fakePool{id: id, sched: hypercall.SchedCredit, ndom: ndom, cpus: s})
}

// fail makes the next calls of op fail with the errnos, in order.
func (f *fakeXen) fail(op string, errnos ...syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[op] = append(f.faults[op], errnos...)
}

func (f *fakeXen) fault(op string) syscall.Errno {
	q := f.faults[op]
	if len(q) == 0 {
		return 0
	}
	f.faults[op] = q[1:]
	return q[0]
}

func (f *fakeXen) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// mutations returns the calls that change something.
func (f *fakeXen) mutations() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if !strings.HasPrefix(c, "get") {
			out = append(out, c)
		}
	}
	return strings.Join(out, " ")
}

func (f *fakeXen) poolOf(cpu uint32) *fakePool {
	for _, p := range f.pools {
		if p.cpus.Has(int(cpu)) {
			return p
		}
	}
	return nil
}

func opErr(op hypercall.Op, cpu uint32, e syscall.Errno) error {
	return hypercall.NewOpError(op, fmt.Sprintf("cpu %d", cpu), e)
}

func (f *fakeXen) PCPUInfo(cpu uint32) (hypercall.PCPUInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("get_cpuinfo %d", cpu)
	if e := f.fault("get_cpuinfo"); e != 0 {
		return hypercall.PCPUInfo{}, opErr(hypercall.OpPCPUInfo, cpu, e)
	}
	out := hypercall.PCPUInfo{CPU: cpu, MaxPresent: f.maxPresent()}
	c, ok := f.cpus[cpu]
	if !ok {
		out.Invalid = true
		return out, nil
	}
	out.Online, out.APICID, out.ACPIID = c.online, c.apic, c.acpi
	return out, nil
}

func (f *fakeXen) maxPresent() uint32 {
	m := uint32(0)
	for id := range f.cpus {
		m = max(m, id)
	}
	return m
}

func (f *fakeXen) CPUTopology() ([]hypercall.CPUTopology, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("get_topology")
	out := make([]hypercall.CPUTopology, f.maxPresent()+1)
	for i := range out {
		id := uint32(i)
		out[i] = hypercall.CPUTopology{CPU: id, Core: hypercall.InvalidID, Socket: hypercall.InvalidID, Node: hypercall.InvalidID}
		if c, ok := f.cpus[id]; ok && (c.online || f.park) {
			out[i].Core, out[i].Socket, out[i].Node = c.core, c.socket, c.node
		}
	}
	return out, nil
}

func (f *fakeXen) Physinfo() (hypercall.Physinfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("get_physinfo")
	n := uint32(0)
	for _, c := range f.cpus {
		if c.online {
			n++
		}
	}
	return hypercall.Physinfo{
		ThreadsPerCore: 1, CoresPerSocket: 2, NrCPUs: n, MaxCPUID: f.maxCPUID,
		NrNodes: 1, MaxNodeID: 3, CPUkHz: 2394454,
		Capabilities: hypercall.PhysCapPV | hypercall.PhysCapShadow | hypercall.PhysCapGnttabV1,
		TotalPages:   2 << 18, FreePages: 1<<18 + 300, OutstandingPages: 256,
		HWCap: [8]uint32{0x178bfbff, 0xf6f83203, 0x2e500800, 0x000003f7, 0x0000000f, 0x219c01a9, 0x00400004, 0},
	}, nil
}

func (f *fakeXen) NUMAInfo() ([]hypercall.NUMANode, error) {
	f.record("get_numainfo")
	return []hypercall.NUMANode{
		{Node: 0, Online: true, MemSize: 2048 << 20, MemFree: 1030 << 20, Distances: []uint32{10, 20}},
		{Node: 1, Online: false, Distances: []uint32{hypercall.InvalidID, hypercall.InvalidID}},
	}, nil
}

func (f *fakeXen) XenVersion() (hypercall.XenVersion, error) {
	f.record("get_version")
	return hypercall.XenVersion{Major: 4, Minor: 17, Extra: ".5", CommandLine: "placeholder dom0_mem=768M", BuildID: []byte{0xde, 0xad, 0x01}}, nil
}

func (f *fakeXen) XenBuildInfo() (hypercall.XenBuildInfo, error) {
	f.record("get_buildinfo")
	return hypercall.XenBuildInfo{
		Capabilities: "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ",
		VirtStart:    0xffff800000000000,
		Compiler:     "x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0", CompileBy: "pkg-xen-devel",
		CompileDomain: "lists.alioth.debian.org", CompileDate: "Wed Nov  4 16:52:28 UTC 2026",
	}, nil
}

func (f *fakeXen) MemSharing() (hypercall.MemSharing, error) {
	f.record("get_sharing")
	return hypercall.MemSharing{FreedPages: 512, SharedPages: 256 + 255}, nil
}

func (f *fakeXen) PCITopology() ([]hypercall.PCITopology, error) {
	f.record("get_pcitopology")
	return f.pci, f.pciErr
}

func (f *fakeXen) SchedulerID() (hypercall.Scheduler, error) {
	f.record("get_schedid")
	return hypercall.SchedCredit2, nil
}

func (f *fakeXen) BuiltSchedulers() ([]hypercall.Scheduler, error) {
	f.record("hypfs_read /buildinfo/config")
	return []hypercall.Scheduler{hypercall.SchedCredit, hypercall.SchedCredit2}, nil
}

func (f *fakeXen) CpupoolInfo(id uint32) (hypercall.CpupoolInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("get_poolinfo %d", id)
	sort.Slice(f.pools, func(i, j int) bool { return f.pools[i].id < f.pools[j].id })
	for _, p := range f.pools {
		if p.id >= id {
			return hypercall.CpupoolInfo{ID: p.id, Scheduler: p.sched, NDom: p.ndom, CPUs: p.cpus}, nil
		}
	}
	return hypercall.CpupoolInfo{}, hypercall.NewOpError(hypercall.OpCpupoolInfo, "", syscall.ENOENT)
}

func (f *fakeXen) CpupoolFreeCPUs() (cpuset.Set, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("get_freeinfo")
	var out cpuset.Set
	for id, c := range f.cpus {
		if c.online && f.poolOf(id) == nil {
			out = out.Add(int(id))
		}
	}
	return out, nil
}

func (f *fakeXen) CpupoolRemoveCPU(id, cpu uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("rmcpu %d %d", id, cpu)
	if e := f.fault("rmcpu"); e != 0 {
		return hypercall.NewOpError(hypercall.OpCpupoolRemoveCPU, fmt.Sprintf("pool %d, cpu %d", id, cpu), e)
	}
	for _, p := range f.pools {
		if p.id != id {
			continue
		}
		if !p.cpus.Has(int(cpu)) {
			return hypercall.NewOpError(hypercall.OpCpupoolRemoveCPU, "", syscall.EADDRNOTAVAIL)
		}
		if p.cpus.Len() == 1 && p.ndom > 0 {
			return hypercall.NewOpError(hypercall.OpCpupoolRemoveCPU, "", syscall.EBUSY)
		}
		p.cpus = p.cpus.Remove(int(cpu))
		return nil
	}
	return hypercall.NewOpError(hypercall.OpCpupoolRemoveCPU, "", syscall.ENOENT)
}

func (f *fakeXen) CpupoolAddCPU(id, cpu uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("addcpu %d %d", id, cpu)
	if e := f.fault("addcpu"); e != 0 {
		return hypercall.NewOpError(hypercall.OpCpupoolAddCPU, "", e)
	}
	c, ok := f.cpus[cpu]
	if !ok || !c.online || f.poolOf(cpu) != nil {
		return hypercall.NewOpError(hypercall.OpCpupoolAddCPU, "", syscall.ENODEV)
	}
	for _, p := range f.pools {
		if p.id == id {
			p.cpus = p.cpus.Add(int(cpu))
			return nil
		}
	}
	return hypercall.NewOpError(hypercall.OpCpupoolAddCPU, "", syscall.ENOENT)
}

// cpuDown is cpu_down: EINVAL for cpu 0 or beyond nr_cpu_ids, EEXIST if
// not online (absent CPUs included), ENODEV in a pool other than Pool-0.
func (f *fakeXen) cpuDown(cpu uint32) syscall.Errno {
	if cpu == 0 || cpu > f.maxCPUID {
		return syscall.EINVAL
	}
	c, ok := f.cpus[cpu]
	if !ok || !c.online {
		return syscall.EEXIST
	}
	p := f.poolOf(cpu)
	if p != nil && p.id != 0 {
		return syscall.ENODEV
	}
	if p != nil {
		p.cpus = p.cpus.Remove(int(cpu))
	}
	c.online = false
	return 0
}

// cpuUp is cpu_up: EINVAL if not present, EEXIST if online; the CPU
// joins Pool-0.
func (f *fakeXen) cpuUp(cpu uint32) syscall.Errno {
	c, ok := f.cpus[cpu]
	if !ok || cpu > f.maxCPUID {
		return syscall.EINVAL
	}
	if c.online {
		return syscall.EEXIST
	}
	c.online = true
	f.pools[0].cpus = f.pools[0].cpus.Add(int(cpu))
	return 0
}

func (f *fakeXen) CPUHotplug(op hypercall.HotplugOp, cpu uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("hotplug %s %d", op, cpu)
	kind, name := hypercall.OpCPUHotplugOffline, "hotplug "+op.String()
	if op == hypercall.HotplugOnline {
		kind = hypercall.OpCPUHotplugOnline
	}
	if e := f.fault(name); e != 0 {
		return opErr(kind, cpu, e)
	}
	var e syscall.Errno
	if op == hypercall.HotplugOnline {
		e = f.cpuUp(cpu)
	} else {
		e = f.cpuDown(cpu)
	}
	if e != 0 {
		return opErr(kind, cpu, e)
	}
	return nil
}

func (f *fakeXen) PlatformCPUOffline(cpu uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("pf_offline %d", cpu)
	if e := f.fault("pf_offline"); e != 0 {
		return opErr(hypercall.OpPlatformCPUOffline, cpu, e)
	}
	if cpu == 0 {
		return opErr(hypercall.OpPlatformCPUOffline, cpu, syscall.EOPNOTSUPP)
	}
	c, ok := f.cpus[cpu]
	if !ok {
		return opErr(hypercall.OpPlatformCPUOffline, cpu, syscall.EINVAL)
	}
	if !c.online {
		return nil
	}
	if e := f.cpuDown(cpu); e != 0 {
		return opErr(hypercall.OpPlatformCPUOffline, cpu, e)
	}
	return nil
}

func (f *fakeXen) PlatformCPUOnline(cpu uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("pf_online %d", cpu)
	if e := f.fault("pf_online"); e != 0 {
		return opErr(hypercall.OpPlatformCPUOnline, cpu, e)
	}
	c, ok := f.cpus[cpu]
	if !ok {
		return opErr(hypercall.OpPlatformCPUOnline, cpu, syscall.EINVAL)
	}
	if c.online {
		return nil
	}
	if e := f.cpuUp(cpu); e != 0 {
		return opErr(hypercall.OpPlatformCPUOnline, cpu, e)
	}
	return nil
}

// fakeXS is a XenStore with pool names.
type fakeXS map[string]string

func (x fakeXS) Read(_ context.Context, path string) ([]byte, error) {
	v, ok := x[path]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	}
	return []byte(v), nil
}

var poolNames = fakeXS{"/local/pool/0/name": "Pool-0", "/local/pool/1/name": "rt", "/local/pool/2/name": "batch"}
