//go:build linux

package hypercall

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeDev is the test double behind the device seam. Its memory is real
// anonymous mappings, like the kernel's hypercall buffers; every guest
// handle Xen would follow is resolved through mem, which records a
// violation for an address outside the memory fakeDev handed out. Each
// hypercall is recorded with a copy of its request bytes as issued, then
// answered by a small model of Xen (fakeXen), unless force says otherwise.
type fakeDev struct {
	t    testing.TB
	page int

	mu         sync.Mutex
	regions    map[uintptr][]byte // live allocations by base address
	allocs     int
	frees      int
	calls      []fakeCall
	violations []string
	closed     bool

	// force, if set, may return an errno for a call before the model
	// sees it (0: let the model answer).
	force func(c fakeCall) syscall.Errno
	xen   *fakeXen
}

// fakeCall is one recorded hypercall.
type fakeCall struct {
	op   uint64    // __HYPERVISOR_*
	arg  [5]uint64 // as issued
	cmd  uint32    // sysctl/domctl/platform cmd, or XENVER_* for xen_version
	sub  uint32    // cpupool op or scheduler cmd, where there is one
	req  []byte    // the top-level request struct as issued
	errn syscall.Errno
}

func newFakeDev(t testing.TB, xen *fakeXen) *fakeDev {
	return &fakeDev{t: t, page: unix.Getpagesize(), regions: map[uintptr][]byte{}, xen: xen}
}

func (f *fakeDev) alloc(n int) ([]byte, error) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.regions[uintptr(unsafe.Pointer(&b[0]))] = b
	f.allocs++
	return b, nil
}

func (f *fakeDev) free(b []byte) error {
	f.mu.Lock()
	base := uintptr(unsafe.Pointer(&b[0]))
	if _, ok := f.regions[base]; !ok {
		f.mu.Unlock()
		f.t.Errorf("free of memory not from alloc at %#x", base)
		return unix.EINVAL
	}
	delete(f.regions, base)
	f.frees++
	f.mu.Unlock()
	return unix.Munmap(b)
}

func (f *fakeDev) pageSize() int { return f.page }

func (f *fakeDev) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// mem returns the n bytes at guest address addr, or nil (recording a
// violation) if they are not inside one live allocation. Callers hold
// f.mu.
func (f *fakeDev) mem(addr uint64, n int, what string) []byte {
	for base, b := range f.regions {
		if uint64(base) <= addr && addr+uint64(n) <= uint64(base)+uint64(len(b)) {
			off := int(addr - uint64(base))
			return b[off : off+n]
		}
	}
	f.violations = append(f.violations, fmt.Sprintf("%s: %d bytes at %#x are not hypercall memory", what, n, addr))
	return nil
}

func (f *fakeDev) hypercall(h *privcmdHypercall) (uintptr, syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, unix.EBADF
	}
	c := fakeCall{op: h.Op, arg: h.Arg}
	var reqLen int
	switch h.Op {
	case hypervisorSysctl:
		reqLen = sizeOf[sysctlOp]()
	case hypervisorDomctl:
		reqLen = sizeOf[domctlOp]()
	case hypervisorPlatformOp:
		reqLen = sizeOf[platformOp]()
	case hypervisorXenVersion, hypervisorMemoryOp, hypervisorHypfsOp:
		c.cmd = uint32(h.Arg[0])
	}
	var req []byte
	if reqLen > 0 {
		req = f.mem(h.Arg[0], reqLen, "request")
		if req == nil {
			c.errn = unix.EFAULT
			f.calls = append(f.calls, c)
			return 0, unix.EFAULT
		}
		c.req = bytes.Clone(req)
		c.cmd = *(*uint32)(unsafe.Pointer(&req[0]))
		switch {
		case h.Op == hypervisorSysctl && c.cmd == sysctlCmdCpupoolOp:
			c.sub = view[sysctlOp](req).cpupoolOp().Op
		case h.Op == hypervisorSysctl && c.cmd == sysctlCmdSchedulerOp:
			c.sub = view[sysctlOp](req).schedulerOp().Cmd
		case h.Op == hypervisorDomctl && c.cmd == domctlCmdSchedulerOp:
			c.sub = view[domctlOp](req).schedulerOp().Cmd
		}
	}
	if f.force != nil {
		if e := f.force(c); e != 0 {
			c.errn = e
			f.calls = append(f.calls, c)
			return ^uintptr(0), e
		}
	}
	r, e := f.xen.handle(f, h, req)
	c.errn = e
	f.calls = append(f.calls, c)
	if e != 0 {
		return ^uintptr(0), e
	}
	return r, 0
}

// snapshot returns the recorded calls.
func (f *fakeDev) snapshot() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

func (f *fakeDev) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// checkClean fails the test on placement violations or leaked memory
// beyond the buffer cache.
func (f *fakeDev) checkClean(t testing.TB) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.violations {
		t.Errorf("placement violation: %s", v)
	}
	if live := len(f.regions); f.closed && live != 0 {
		t.Errorf("%d hypercall buffers still mapped after Close", live)
	}
}

// fakePool is a cpupool of the model.
type fakePool struct {
	sched   Scheduler
	cpus    map[uint32]bool
	ndom    uint32
	credit  sysctlCreditSchedule
	credit2 sysctlCredit2Schedule
	a653    sysctlARINC653Schedule
}

// fakeDomain is a domain of the model.
type fakeDomain struct {
	info  domctlGetdomaininfo
	wc    domctlSchedCredit
	vcpus []domctlSchedRTDS
}

// fakeXen models just enough of Xen 4.17 (or another release) to answer
// every operation of the package the way the hypervisor's code does.
type fakeXen struct {
	major, minor          int
	extra, cmdline        string
	buildID               []byte
	sysctlV, domctlV, pfV uint32
	physinfoV14           bool
	present               []bool // index: cpu id
	online                map[uint32]bool
	topo                  []sysctlCputopo
	nodes                 []sysctlMeminfo
	pools                 map[uint32]*fakePool
	domains               map[uint16]*fakeDomain
	preGetdomaininfoESRCH bool // ≤4.17: getdomaininfo returns the next domain
	vcpuBatch             int  // how many vCPUs one scheduler_op processes (0: all)
	physinfo              sysctlPhysinfo
	build                 XenBuildInfo
	sharing               MemSharing
	// pciDevs are the sysfs names of dom0's PCI devices (openFake makes
	// the directory); pciNode is the node Xen reports for each device it
	// knows (missing: XEN_INVALID_DEV); pciBatch is how many devices one
	// pcitopoinfo processes before Xen "is preempted" (0: all).
	pciDevs  []string
	pciNode  map[PCIDevice]uint32
	pciBatch int
	// hypfs are the nodes of the hypervisor file system by path; nil:
	// built without CONFIG_HYPFS (ENOSYS).
	hypfs map[string]HypfsEntry
}

// newFakeXen returns a 4.17 host with ncpu present CPUs (all online, all
// in credit2 Pool-0), two NUMA nodes, and dom0 plus domain 5.
func newFakeXen(ncpu int) *fakeXen {
	x := &fakeXen{
		major: 4, minor: 17, extra: ".3", cmdline: "dom0_mem=2G sched=credit2",
		buildID: []byte{0xde, 0xad, 0xbe, 0xef},
		sysctlV: 0x15, domctlV: 0x15, pfV: xenpfInterfaceVersion,
		online:  map[uint32]bool{},
		pools:   map[uint32]*fakePool{},
		domains: map[uint16]*fakeDomain{},
	}
	x.present = make([]bool, ncpu)
	p0 := &fakePool{sched: SchedCredit2, cpus: map[uint32]bool{}, ndom: 2, credit2: sysctlCredit2Schedule{RatelimitUS: 1000}}
	for i := 0; i < ncpu; i++ {
		x.present[i] = true
		x.online[uint32(i)] = true
		p0.cpus[uint32(i)] = true
		x.topo = append(x.topo, sysctlCputopo{Core: uint32(i / 2), Socket: uint32(i / (ncpu/2 + 1)), Node: uint32(i * 2 / ncpu)})
	}
	x.build = XenBuildInfo{
		Capabilities: "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ",
		Changeset:    "Tue Oct 3 10:00:00 2023 +0200 git:0123456789",
		VirtStart:    0xffff800000000000,
		Compiler:     "gcc (GCC) 12.2.0", CompileBy: "builder", CompileDomain: "example.org",
		CompileDate: "Wed Nov  4 16:52:28 UTC 2026",
	}
	x.sharing = MemSharing{FreedPages: 256, SharedPages: 512}
	x.pciDevs = []string{"0000:00:1f.3", "0000:00:00.0", "0000:03:00.1"}
	x.pciNode = map[PCIDevice]uint32{{0, 0, 0}: 0, {0, 0, 0x1f<<3 | 3}: xenInvalidNodeID}
	x.pools[0] = p0
	x.nodes = []sysctlMeminfo{{Memsize: 8 << 30, Memfree: 5 << 30}, {Memsize: 8 << 30, Memfree: 7 << 30}}
	x.physinfo = sysctlPhysinfo{ThreadsPerCore: 2, CoresPerSocket: uint32(ncpu / 2), NrCPUs: uint32(ncpu),
		MaxCPUID: 255, NrNodes: 2, MaxNodeID: 63, CPUkHz: 2_400_000, Capabilities: 0x3cf,
		TotalPages: 4 << 20, FreePages: 3 << 20, MaxMFN: 1 << 22, HWCap: [8]uint32{1, 2, 3, 4, 5, 6, 7, 8}}
	x.addDomain(0, 0, 4)
	x.addDomain(5, 0, 2)
	return x
}

func (x *fakeXen) addDomain(id uint16, pool uint32, vcpus int) {
	d := &fakeDomain{wc: domctlSchedCredit{Weight: 256}}
	d.info.Domain = id
	d.info.Flags = dominfRunning
	d.info.TotPages = 1000 + uint64(id)
	d.info.CPUTime = 123456789
	d.info.NrOnlineVCPUs = uint32(vcpus)
	d.info.MaxVCPUID = uint32(vcpus - 1)
	d.info.Handle[15] = byte(id)
	d.info.Cpupool = pool
	for i := 0; i < vcpus; i++ {
		d.vcpus = append(d.vcpus, domctlSchedRTDS{Period: 10000, Budget: 4000})
	}
	x.domains[id] = d
}

func (x *fakeXen) nrCPUIDs() uint32 { return 256 }

func (x *fakeXen) lastPresent() uint32 {
	for i := len(x.present) - 1; i >= 0; i-- {
		if x.present[i] {
			return uint32(i)
		}
	}
	return 0
}

func (x *fakeXen) freeCPUs() map[uint32]bool {
	free := map[uint32]bool{}
	for cpu, on := range x.online {
		if !on {
			continue
		}
		inPool := false
		for _, p := range x.pools {
			if p.cpus[cpu] {
				inPool = true
			}
		}
		if !inPool {
			free[cpu] = true
		}
	}
	return free
}

// writeBitmap fills a xenctl_bitmap as bitmap_to_xenctl_bitmap does.
func (x *fakeXen) writeBitmap(f *fakeDev, bm *xenctlBitmap, cpus map[uint32]bool) syscall.Errno {
	n := int(bm.NrBits+7) / 8
	b := f.mem(uint64(bm.Bitmap), n, "cpumap")
	if b == nil {
		return unix.EFAULT
	}
	clear(b)
	for cpu, in := range cpus {
		if in && int(cpu/8) < n {
			b[cpu/8] |= 1 << (cpu % 8)
		}
	}
	return 0
}

func (x *fakeXen) handle(f *fakeDev, h *privcmdHypercall, req []byte) (uintptr, syscall.Errno) {
	switch h.Op {
	case hypervisorXenVersion:
		return x.xenVersion(f, h)
	case hypervisorHypfsOp:
		return x.hypfsOp(f, h)
	case hypervisorMemoryOp:
		switch h.Arg[0] {
		case xenmemGetSharingFreedPages:
			return uintptr(x.sharing.FreedPages), 0
		case xenmemGetSharingSharedPages:
			return uintptr(x.sharing.SharedPages), 0
		}
		return 0, unix.ENOSYS
	case hypervisorPlatformOp:
		p := view[platformOp](req)
		if p.InterfaceVersion != x.pfV {
			return 0, unix.EACCES
		}
		return 0, x.platform(p)
	case hypervisorSysctl:
		s := view[sysctlOp](req)
		if s.InterfaceVersion != x.sysctlV {
			return 0, unix.EACCES
		}
		return 0, x.sysctl(f, s)
	case hypervisorDomctl:
		d := view[domctlOp](req)
		if d.InterfaceVersion != x.domctlV {
			return 0, unix.EACCES
		}
		return 0, x.domctl(f, d)
	}
	return 0, unix.ENOSYS
}

func (x *fakeXen) xenVersion(f *fakeDev, h *privcmdHypercall) (uintptr, syscall.Errno) {
	switch h.Arg[0] {
	case xenverVersion:
		return uintptr(x.major<<16 | x.minor), 0
	case xenverExtraversion:
		b := f.mem(h.Arg[1], xenExtraversionLen, "extraversion")
		if b == nil {
			return 0, unix.EFAULT
		}
		copy(b, x.extra+"\x00")
		return 0, 0
	case xenverCompileInfo:
		b := f.mem(h.Arg[1], sizeOf[xenCompileInfo](), "compile_info")
		if b == nil {
			return 0, unix.EFAULT
		}
		ci := view[xenCompileInfo](b)
		copy(ci.Compiler[:], x.build.Compiler+"\x00")
		copy(ci.CompileBy[:], x.build.CompileBy+"\x00")
		copy(ci.CompileDomain[:], x.build.CompileDomain+"\x00")
		copy(ci.CompileDate[:], x.build.CompileDate+"\x00")
		return 0, 0
	case xenverCapabilities, xenverChangeset:
		n, v := xenCapabilitiesLen, x.build.Capabilities
		if h.Arg[0] == xenverChangeset {
			n, v = xenChangesetLen, x.build.Changeset
		}
		b := f.mem(h.Arg[1], n, "capabilities/changeset")
		if b == nil {
			return 0, unix.EFAULT
		}
		copy(b, v+"\x00")
		return 0, 0
	case xenverPlatformParm:
		b := f.mem(h.Arg[1], 8, "platform_parameters")
		if b == nil {
			return 0, unix.EFAULT
		}
		view[xenPlatformParameters](b).VirtStart = x.build.VirtStart
		return 0, 0
	case xenverCommandline:
		b := f.mem(h.Arg[1], xenCommandlineLen, "commandline")
		if b == nil {
			return 0, unix.EFAULT
		}
		copy(b, x.cmdline+"\x00")
		return 0, 0
	case xenverBuildID:
		if x.buildID == nil {
			return 0, unix.ENODATA
		}
		hdr := f.mem(h.Arg[1], 4, "build_id")
		if hdr == nil {
			return 0, unix.EFAULT
		}
		l := view[xenBuildIDHeader](hdr).Len
		if int(l) < len(x.buildID) {
			return 0, unix.ENOBUFS
		}
		b := f.mem(h.Arg[1]+4, int(l), "build_id buf")
		if b == nil {
			return 0, unix.EFAULT
		}
		return uintptr(copy(b, x.buildID)), 0
	}
	return 0, unix.ENOSYS
}

func (x *fakeXen) platform(p *platformOp) syscall.Errno {
	switch p.Cmd {
	case xenpfGetCPUInfo:
		pi := p.pcpuInfo()
		if int(pi.XenCPUID) >= len(x.present) || !x.present[pi.XenCPUID] {
			pi.Flags = xenPCPUFlagsInvalid
		} else {
			pi.APICID = pi.XenCPUID * 2
			pi.ACPIID = pi.XenCPUID + 100
			pi.Flags = 0
			if x.online[pi.XenCPUID] {
				pi.Flags |= xenPCPUFlagsOnline
			}
		}
		pi.MaxPresent = x.lastPresent()
		return 0
	case xenpfCPUOnline:
		cpu := p.cpuOL().CPUID
		if int(cpu) >= len(x.present) || !x.present[cpu] {
			return unix.EINVAL
		}
		if !x.online[cpu] {
			x.online[cpu] = true
			x.pools[0].cpus[cpu] = true
		}
		return 0
	case xenpfCPUOffline:
		cpu := p.cpuOL().CPUID
		if cpu == 0 {
			return unix.EOPNOTSUPP
		}
		if int(cpu) >= len(x.present) || !x.present[cpu] {
			return unix.EINVAL
		}
		return x.offline(cpu, false)
	}
	return unix.ENOSYS
}

// offline takes a CPU down; strict is the sysctl path's EEXIST rule.
func (x *fakeXen) offline(cpu uint32, strict bool) syscall.Errno {
	if !x.online[cpu] {
		if strict {
			return unix.EEXIST
		}
		return 0
	}
	for id, p := range x.pools {
		if p.cpus[cpu] && id != 0 {
			return unix.ENODEV
		}
	}
	delete(x.pools[0].cpus, cpu)
	x.online[cpu] = false
	return 0
}

func (x *fakeXen) sysctl(f *fakeDev, s *sysctlOp) syscall.Errno {
	switch s.Cmd {
	case sysctlCmdPhysinfo:
		if x.physinfoV14 {
			p := s.physinfoV14()
			q := x.physinfo
			*p = sysctlPhysinfoV14{ThreadsPerCore: q.ThreadsPerCore, CoresPerSocket: q.CoresPerSocket, NrCPUs: q.NrCPUs,
				MaxCPUID: q.MaxCPUID, NrNodes: q.NrNodes, MaxNodeID: q.MaxNodeID, CPUkHz: q.CPUkHz, Capabilities: q.Capabilities,
				TotalPages: q.TotalPages, FreePages: q.FreePages, ScrubPages: q.ScrubPages, OutstandingPages: q.OutstandingPages,
				MaxMFN: q.MaxMFN, HWCap: q.HWCap}
		} else {
			*s.physinfo() = x.physinfo
		}
		return 0
	case sysctlCmdSchedID:
		s.schedID().SchedID = uint32(SchedCredit2)
		return 0
	case sysctlCmdCPUHotplug:
		hp := s.cpuHotplug()
		switch hp.Op {
		case cpuHotplugOnline:
			if int(hp.CPU) >= len(x.present) || !x.present[hp.CPU] {
				return unix.EINVAL
			}
			if x.online[hp.CPU] {
				return unix.EEXIST
			}
			x.online[hp.CPU] = true
			x.pools[0].cpus[hp.CPU] = true
			return 0
		case cpuHotplugOffline:
			if hp.CPU == 0 || int(hp.CPU) >= len(x.present) {
				return unix.EINVAL
			}
			return x.offline(hp.CPU, true)
		case cpuHotplugSMTEnable, cpuHotplugSMTDisable:
			return unix.EOPNOTSUPP
		}
		return unix.EOPNOTSUPP
	case sysctlCmdCputopoinfo:
		t := s.cputopoinfo()
		n := x.lastPresent() + 1
		if t.Cputopo != 0 {
			n = min(n, t.NumCPUs)
			arr := f.mem(uint64(t.Cputopo), int(n)*12, "cputopo")
			if arr == nil {
				return unix.EFAULT
			}
			copy(viewSlice[sysctlCputopo](arr, int(n)), x.topo)
		}
		t.NumCPUs = n
		return 0
	case sysctlCmdPcitopoinfo:
		// xen/common/sysctl.c XEN_SYSCTL_pcitopoinfo
		t := s.pcitopoinfo()
		if t.Devs == 0 || t.Nodes == 0 {
			return unix.EINVAL
		}
		n := int(t.NumDevs)
		if x.pciBatch > 0 {
			n = min(n, x.pciBatch)
		}
		devs := f.mem(uint64(t.Devs), n*4, "pci devs")
		nodes := f.mem(uint64(t.Nodes), n*4, "pci nodes")
		if devs == nil || nodes == nil {
			return unix.EFAULT
		}
		out := viewSlice[uint32](nodes, n)
		for i, d := range viewSlice[physdevPCIDevice](devs, n) {
			node, ok := x.pciNode[PCIDevice{d.Seg, d.Bus, d.DevFn}]
			if !ok {
				node = xenInvalidDev
			}
			out[i] = node
		}
		t.NumDevs = uint32(n)
		return 0
	case sysctlCmdNumainfo:
		ni := s.numainfo()
		n := uint32(len(x.nodes))
		if ni.Meminfo != 0 || ni.Distance != 0 {
			n = min(n, ni.NumNodes)
			if ni.Meminfo != 0 {
				m := f.mem(uint64(ni.Meminfo), int(n)*16, "meminfo")
				if m == nil {
					return unix.EFAULT
				}
				copy(viewSlice[sysctlMeminfo](m, int(n)), x.nodes)
			}
			if ni.Distance != 0 {
				d := f.mem(uint64(ni.Distance), int(n*n)*4, "distance")
				if d == nil {
					return unix.EFAULT
				}
				ds := viewSlice[uint32](d, int(n*n))
				for i := uint32(0); i < n; i++ {
					for j := uint32(0); j < n; j++ {
						ds[i*n+j] = 10
						if i != j {
							ds[i*n+j] = 20 + i + j
						}
					}
				}
			}
		}
		ni.NumNodes = n
		return 0
	case sysctlCmdGetdomaininfolist:
		l := s.getdomaininfolist()
		var ids []int
		for id := range x.domains {
			if id >= l.FirstDomain {
				ids = append(ids, int(id))
			}
		}
		sort.Ints(ids)
		if len(ids) > int(l.MaxDomains) {
			ids = ids[:l.MaxDomains]
		}
		elem := sizeOf[domctlGetdomaininfo]()
		buf := f.mem(uint64(l.Buffer), len(ids)*elem, "domaininfo buffer")
		if buf == nil && len(ids) > 0 {
			return unix.EFAULT
		}
		for i, id := range ids {
			*view[domctlGetdomaininfo](buf[i*elem:]) = x.domains[uint16(id)].info
		}
		l.NumDomains = uint32(len(ids))
		return 0
	case sysctlCmdCpupoolOp:
		return x.cpupool(f, s.cpupoolOp())
	case sysctlCmdSchedulerOp:
		return x.schedGlobal(f, s.schedulerOp())
	}
	return unix.ENOSYS
}

func (x *fakeXen) cpupool(f *fakeDev, c *sysctlCpupoolOp) syscall.Errno {
	switch c.Op {
	case cpupoolOpCreate:
		if c.SchedID != uint32(SchedCredit) && c.SchedID != uint32(SchedCredit2) {
			return unix.ENOENT
		}
		id := c.CpupoolID
		if id == cpupoolParAny {
			id = 0
			for k := range x.pools {
				id = max(id, k+1)
			}
		} else if x.pools[id] != nil {
			return unix.EEXIST
		}
		x.pools[id] = &fakePool{sched: Scheduler(c.SchedID), cpus: map[uint32]bool{}}
		c.CpupoolID = id
		return 0
	case cpupoolOpDestroy:
		p := x.pools[c.CpupoolID]
		if p == nil {
			return unix.ENOENT
		}
		if p.ndom != 0 || len(p.cpus) != 0 {
			return unix.EBUSY
		}
		delete(x.pools, c.CpupoolID)
		return 0
	case cpupoolOpInfo:
		best := int64(-1)
		for id := range x.pools {
			if id >= c.CpupoolID && (best < 0 || int64(id) < best) {
				best = int64(id)
			}
		}
		if best < 0 {
			return unix.ENOENT
		}
		p := x.pools[uint32(best)]
		c.CpupoolID = uint32(best)
		c.SchedID = uint32(p.sched)
		c.NDom = p.ndom
		return x.writeBitmap(f, &c.Cpumap, p.cpus)
	case cpupoolOpAddCPU:
		p := x.pools[c.CpupoolID]
		if p == nil {
			return unix.ENOENT
		}
		cpu := c.CPU
		free := x.freeCPUs()
		if cpu == cpupoolParAny {
			found := false
			for k := uint32(0); k < x.nrCPUIDs(); k++ {
				if free[k] {
					cpu, found = k, true
					break
				}
			}
			if !found {
				return unix.ENODEV
			}
		}
		if cpu >= x.nrCPUIDs() {
			return unix.EINVAL
		}
		if !free[cpu] {
			return unix.ENODEV
		}
		p.cpus[cpu] = true
		return 0
	case cpupoolOpRmCPU:
		p := x.pools[c.CpupoolID]
		if p == nil {
			return unix.ENOENT
		}
		cpu := c.CPU
		if cpu >= x.nrCPUIDs() || (c.CpupoolID == 0 && cpu == 0) || !x.online[cpu] {
			return unix.EINVAL
		}
		if !p.cpus[cpu] {
			return unix.EADDRNOTAVAIL
		}
		if len(p.cpus) == 1 && p.ndom > 0 {
			return unix.EBUSY
		}
		delete(p.cpus, cpu)
		return 0
	case cpupoolOpMoveDomain:
		d := x.domains[uint16(c.Domid)]
		if d == nil {
			return unix.ESRCH
		}
		if c.Domid == 0 {
			return unix.EPERM
		}
		if d.info.Cpupool == c.CpupoolID {
			return 0
		}
		p := x.pools[c.CpupoolID]
		if p == nil || len(p.cpus) == 0 {
			return unix.ENOENT
		}
		x.pools[d.info.Cpupool].ndom--
		p.ndom++
		d.info.Cpupool = c.CpupoolID
		return 0
	case cpupoolOpFreeInfo:
		return x.writeBitmap(f, &c.Cpumap, x.freeCPUs())
	}
	return unix.ENOSYS
}

func (x *fakeXen) schedGlobal(f *fakeDev, so *sysctlSchedulerOp) syscall.Errno {
	if so.Cmd != sysctlSchedopGetinfo && so.Cmd != sysctlSchedopPutinfo {
		return unix.EINVAL
	}
	p := x.pools[so.CpupoolID]
	if p == nil {
		return unix.ESRCH
	}
	if Scheduler(so.SchedID) != p.sched {
		return unix.EINVAL
	}
	put := so.Cmd == sysctlSchedopPutinfo
	switch p.sched {
	case SchedCredit:
		c := so.credit()
		if put {
			if c.TsliceMS < cschedTsliceMin || c.TsliceMS > cschedTsliceMax ||
				(c.RatelimitUS != 0 && (c.RatelimitUS < schedRatelimitMin || c.RatelimitUS > schedRatelimitMax)) ||
				c.RatelimitUS > c.TsliceMS*1000 || c.VCPUMigrDelayUS > cschedMigrDelayMax {
				return unix.EINVAL
			}
			p.credit = *c
		}
		*c = p.credit
	case SchedCredit2:
		c := so.credit2()
		if put {
			if c.RatelimitUS != 0 && (c.RatelimitUS < schedRatelimitMin || c.RatelimitUS > schedRatelimitMax) {
				return unix.EINVAL
			}
			p.credit2 = *c
		}
		*c = p.credit2
	case SchedARINC653:
		b := f.mem(uint64(so.arinc653().Schedule), sizeOf[sysctlARINC653Schedule](), "arinc653 schedule")
		if b == nil {
			return unix.EFAULT
		}
		if put {
			p.a653 = *view[sysctlARINC653Schedule](b)
		} else {
			*view[sysctlARINC653Schedule](b) = p.a653
		}
	default:
		return unix.EOPNOTSUPP
	}
	return 0
}

func (x *fakeXen) domctl(f *fakeDev, d *domctlOp) syscall.Errno {
	switch d.Cmd {
	case domctlCmdGetdomaininfo:
		dom := x.domains[d.Domain]
		if dom == nil && x.preGetdomaininfoESRCH {
			// Xen ≤ 4.17: the first domain with an id ≥ the requested one.
			var next *fakeDomain
			for id, c := range x.domains {
				if id >= d.Domain && (next == nil || id < next.info.Domain) {
					next = c
				}
			}
			dom = next
		}
		if dom == nil {
			return unix.ESRCH
		}
		*d.getdomaininfo() = dom.info
		d.Domain = dom.info.Domain
		return 0
	case domctlCmdSchedulerOp:
		dom := x.domains[d.Domain]
		if dom == nil {
			return unix.ESRCH
		}
		so := d.schedulerOp()
		pool := x.pools[dom.info.Cpupool]
		if Scheduler(so.SchedID) != pool.sched {
			return unix.EINVAL
		}
		switch so.Cmd {
		case domctlSchedopGetinfo:
			switch pool.sched {
			case SchedCredit, SchedCredit2:
				*so.credit() = dom.wc
			case SchedRTDS:
				*so.rtds() = domctlSchedRTDS{Period: 10000, Budget: 4000}
			}
			return 0
		case domctlSchedopPutinfo:
			switch pool.sched {
			case SchedCredit, SchedCredit2:
				if w := so.credit().Weight; w != 0 {
					dom.wc.Weight = w
				}
				dom.wc.Cap = so.credit().Cap
			case SchedRTDS:
				r := so.rtds()
				if r.Period == 0 || r.Budget == 0 {
					return unix.EINVAL
				}
				for i := range dom.vcpus {
					dom.vcpus[i].Period, dom.vcpus[i].Budget = r.Period, r.Budget
				}
			}
			return 0
		case domctlSchedopGetvcpuinfo, domctlSchedopPutvcpuinfo:
			if pool.sched != SchedRTDS {
				return unix.EINVAL
			}
			v := so.vcpus()
			n := int(v.NrVCPUs)
			if x.vcpuBatch > 0 {
				n = min(n, x.vcpuBatch)
			}
			arr := f.mem(uint64(v.VCPUs), n*16, "vcpu array")
			if arr == nil {
				return unix.EFAULT
			}
			for i, e := range viewSlice[domctlSchedparamVCPU](arr, n) {
				if int(e.VCPUID) >= len(dom.vcpus) {
					return unix.EINVAL
				}
				p := &viewSlice[domctlSchedparamVCPU](arr, n)[i]
				if so.Cmd == domctlSchedopGetvcpuinfo {
					*p.rtds() = dom.vcpus[e.VCPUID]
				} else {
					r := *p.rtds()
					if r.Budget > r.Period || r.Period < 10 || r.Budget < 10 {
						return unix.EINVAL
					}
					dom.vcpus[e.VCPUID] = r
				}
			}
			v.NrVCPUs = uint32(n)
			return 0
		}
		return unix.EINVAL
	}
	return unix.ENOSYS
}

// openFake returns a handle on a fake host with the given model.
func openFake(t testing.TB, xen *fakeXen, env map[string]string) (*Xen, *fakeDev) {
	t.Helper()
	dev := newFakeDev(t, xen)
	x, err := newXen(dev, testOptions(env, nil))
	if err != nil {
		t.Fatalf("newXen: %v", err)
	}
	x.pciDir = filepath.Join(t.TempDir(), "devices")
	if err := os.Mkdir(x.pciDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range xen.pciDevs {
		if err := os.WriteFile(filepath.Join(x.pciDir, d), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		x.Close()
		dev.checkClean(t)
	})
	return x, dev
}

func testOptions(env map[string]string, stderr *bytes.Buffer) options {
	o := options{
		getenv: func(k string) string { return env[k] },
		sleep:  func(time.Duration) {},
	}
	if stderr != nil {
		o.stderr = stderr
	}
	return o
}

// hypfsOp is xen/common/hypfs.c do_hypfs_op and hypfs_read.
func (x *fakeXen) hypfsOp(f *fakeDev, h *privcmdHypercall) (uintptr, syscall.Errno) {
	if x.hypfs == nil {
		return 0, unix.ENOSYS
	}
	if h.Arg[0] == hypfsOpGetVersion {
		if h.Arg[1] != 0 || h.Arg[2] != 0 || h.Arg[3] != 0 || h.Arg[4] != 0 {
			return 0, unix.EINVAL
		}
		return hypfsVersion, 0
	}
	if h.Arg[2] == 0 || h.Arg[2] > hypfsMaxPathLen {
		return 0, unix.EINVAL
	}
	p := f.mem(h.Arg[1], int(h.Arg[2]), "hypfs path")
	if p == nil {
		return 0, unix.EFAULT
	}
	if bytes.IndexByte(p, 0) != len(p)-1 {
		return 0, unix.EINVAL
	}
	e, ok := x.hypfs[string(p[:len(p)-1])]
	if !ok {
		return 0, unix.ENOENT
	}
	if h.Arg[0] != hypfsOpRead {
		return 0, unix.EOPNOTSUPP
	}
	hdr := sizeOf[hypfsDirentry]()
	if h.Arg[4] < uint64(hdr) {
		return 0, unix.EINVAL
	}
	buf := f.mem(h.Arg[3], int(h.Arg[4]), "hypfs buffer")
	if buf == nil {
		return 0, unix.EFAULT
	}
	d := view[hypfsDirentry](buf)
	*d = hypfsDirentry{Type: uint8(e.Type), Encoding: uint8(e.Encoding), ContentLen: uint32(len(e.Content)), MaxWriteLen: e.MaxWriteLen}
	if len(buf) < hdr+len(e.Content) {
		return 0, unix.ENOBUFS
	}
	copy(buf[hdr:], e.Content)
	return 0, 0
}
