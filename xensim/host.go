package xensim

import (
	"sort"
	"sync"
	"syscall"

	"xgo.dev/xgo/hypercall"
)

const (
	// poolAny is XEN_SYSCTL_CPUPOOL_PAR_ANY (and CPUPOOLID_NONE).
	poolAny = hypercall.PoolAny
	// domidFirstReserved is DOMID_FIRST_RESERVED (xen.h).
	domidFirstReserved = 0x7FF0
	// maxNodeID is MAX_NUMNODES-1 on x86 (NODES_SHIFT 6), what physinfo
	// reports as max_node_id.
	maxNodeID = 63
)

// XEN_DOMINF_* flags of getdomaininfo (domctl.h).
const (
	dominfHVMGuest = 1 << 1
	dominfBlocked  = 1 << 4
	dominfRunning  = 1 << 5
	dominfHAP      = 1 << 8
)

// Host is a simulated Xen 4.17 hypervisor as seen from dom0. It implements
// hypercall.Hypervisor with the rules and errnos of Xen's sources (see
// docs/sim.md and the comment of each operation for the Xen function it
// mirrors), behind the same retry rules *hypercall.Xen applies. Its methods
// are safe for concurrent use; each operation is atomic, as Xen's locks
// make them.
//
// The simulated caller is dom0: a domain cannot move itself between
// pools, so moving domain 0 fails with EPERM as it does for xl.
type Host struct {
	mu sync.Mutex
	hw *hardware

	smt     bool // opt_smt: changed by SMT enable/disable
	online  bitset
	free    bitset  // cpupool_free_cpus
	cpuPool []*pool // per CPU id: its pool, nil when free or offline
	pools   []*pool // cpupool_list: sorted by id

	// cpupool_moving_cpu and cpupool_cpu_moving: a CPU whose removal
	// from a pool stopped midway (RMCPU failed with EAGAIN or EADDRINUSE).
	movingCPU  int64
	movingPool *pool

	// locked is cpupool_locked_cpus: set by every offline attempt
	// (cpupool_cpu_remove_prologue) and cleared only when the CPU comes
	// online again (cpupool_cpu_add). An offline that the prologue itself
	// refuses leaves an online CPU in it, stranded until a reboot.
	locked bitset

	domains []*domain // sorted by domid
	doms    map[uint16]*domain

	faults faultSet
	calls  uint64
}

var _ hypercall.Hypervisor = (*Host)(nil)

type pool struct {
	id    uint32
	sched hypercall.Scheduler
	cpus  bitset // cpu_valid
	ncpus int    // cpumask_weight(cpu_valid)
	ndom  int
	// scheduler-global parameters (adjust_global)
	credit  creditParams
	credit2 uint32 // ratelimit_us
	a653    hypercall.ARINC653Schedule
}

type domain struct {
	domid   uint16
	name    string
	uuid    [16]byte
	hvm     bool
	vcpus   uint32
	memKB   uint64
	maxKB   uint64
	cpuTime uint64 // ns
	pool    *pool
	// scheduler-private data (alloc_domdata / alloc_udata)
	weight, cap uint16
	rt          []rtParams
}

// NewHost boots a simulated host from spec.
func NewHost(spec *Spec) (*Host, error) {
	hw, err := spec.expand()
	if err != nil {
		return nil, err
	}
	return newHost(hw), nil
}

func newHost(hw *hardware) *Host {
	h := &Host{
		hw:        hw,
		smt:       hw.smt,
		online:    newBitset(hw.nrCPUIDs),
		free:      newBitset(hw.nrCPUIDs),
		locked:    newBitset(hw.nrCPUIDs),
		cpuPool:   make([]*pool, hw.nrCPUIDs),
		movingCPU: -1,
		doms:      map[uint16]*domain{},
		faults:    faultSet{},
	}
	for id, c := range hw.cpus {
		if c.online {
			h.online.set(uint32(id))
		}
	}
	for _, hp := range hw.pools {
		p := h.newPool(hp.id, hp.sched)
		if hp.params != nil {
			switch hp.sched {
			case hypercall.SchedCredit:
				p.credit.apply(hp.params)
			case hypercall.SchedCredit2:
				if hp.params.RatelimitUS != nil {
					p.credit2 = *hp.params.RatelimitUS
				}
			}
		}
		for _, id := range hp.cpus.IDs() {
			p.cpus.set(uint32(id))
			p.ncpus++
			h.cpuPool[id] = p
		}
		h.insertPool(p)
	}
	for _, d := range hw.domains {
		dom := &domain{
			domid:   d.Domid,
			name:    d.Name,
			uuid:    d.uuid,
			hvm:     d.hvm,
			vcpus:   d.VCPUs,
			memKB:   d.memKB,
			maxKB:   d.maxKB,
			cpuTime: uint64(d.CPUTimeSec * 1e9),
		}
		p := h.findPool(d.Pool)
		dom.pool = p
		p.ndom++
		dom.resetSched()
		if d.Weight != nil {
			dom.weight = *d.Weight
		}
		if d.Cap != nil {
			dom.cap = *d.Cap
		}
		h.insertDomain(dom)
	}
	return h
}

func (h *Host) newPool(id uint32, sched hypercall.Scheduler) *pool {
	return &pool{
		id:      id,
		sched:   sched,
		cpus:    newBitset(h.hw.nrCPUIDs),
		credit:  defaultCreditParams(),
		credit2: defaultRatelimitUS,
	}
}

// findPool is cpupool_find_by_id: the pool with exactly this id, or nil.
func (h *Host) findPool(id uint32) *pool {
	i := sort.Search(len(h.pools), func(i int) bool { return h.pools[i].id >= id })
	if i < len(h.pools) && h.pools[i].id == id {
		return h.pools[i]
	}
	return nil
}

// nextPool is __cpupool_find_by_id(id, false): the first pool whose id is
// id or larger.
func (h *Host) nextPool(id uint32) *pool {
	i := sort.Search(len(h.pools), func(i int) bool { return h.pools[i].id >= id })
	if i < len(h.pools) {
		return h.pools[i]
	}
	return nil
}

func (h *Host) insertPool(p *pool) {
	i := sort.Search(len(h.pools), func(i int) bool { return h.pools[i].id >= p.id })
	h.pools = append(h.pools, nil)
	copy(h.pools[i+1:], h.pools[i:])
	h.pools[i] = p
}

func (h *Host) removePool(p *pool) {
	i := sort.Search(len(h.pools), func(i int) bool { return h.pools[i].id >= p.id })
	h.pools = append(h.pools[:i], h.pools[i+1:]...)
}

func (h *Host) insertDomain(d *domain) {
	i := sort.Search(len(h.domains), func(i int) bool { return h.domains[i].domid >= d.domid })
	h.domains = append(h.domains, nil)
	copy(h.domains[i+1:], h.domains[i:])
	h.domains[i] = d
	h.doms[d.domid] = d
}

// pool0 is cpupool0, which always exists (CPU 0 never leaves it).
func (h *Host) pool0() *pool { return h.findPool(0) }

func (h *Host) present(cpu uint32) bool {
	return cpu < h.hw.nrCPUIDs && h.hw.cpus[cpu].present
}

// maxPresent is cpumask_last(&cpu_present_map).
func (h *Host) maxPresent() uint32 {
	for i := len(h.hw.cpus) - 1; i >= 0; i-- {
		if h.hw.cpus[i].present {
			return uint32(i)
		}
	}
	return 0
}

// Hypercalls returns how many hypercalls the host has answered, including
// the retries hypercall's rules make, as *hypercall.Xen's Hypercalls does.
func (h *Host) Hypercalls() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

// Schedulers returns the schedulers built into the hypervisor.
func (h *Host) Schedulers() []hypercall.Scheduler {
	return append([]hypercall.Scheduler(nil), h.hw.built...)
}

// XenVersion implements hypercall.Hypervisor: four hypercalls (version,
// extraversion, command line, build id), like *hypercall.Xen.
func (h *Host) XenVersion() (hypercall.XenVersion, error) {
	v := hypercall.XenVersion{
		Major:       h.hw.major,
		Minor:       h.hw.minor,
		Extra:       h.hw.extra,
		CommandLine: h.hw.cmdline,
		BuildID:     append([]byte(nil), h.hw.buildID...),
	}
	for _, sub := range []string{"version", "extraversion", "commandline", "build_id"} {
		if err := h.callAs(OpXenVersion, "xen_version "+sub, noTarget, plain(ok)); err != nil {
			return hypercall.XenVersion{}, err
		}
	}
	if len(v.BuildID) == 0 {
		v.BuildID = nil
	}
	return v, nil
}

// XenBuildInfo implements hypercall.Hypervisor: four xen_version
// hypercalls (compile_info, capabilities, changeset,
// platform_parameters), like *hypercall.Xen.
func (h *Host) XenBuildInfo() (hypercall.XenBuildInfo, error) {
	for _, sub := range []string{"compile_info", "capabilities", "changeset", "platform_parameters"} {
		if err := h.callAs(OpXenVersion, "xen_version "+sub, noTarget, plain(ok)); err != nil {
			return hypercall.XenBuildInfo{}, err
		}
	}
	return h.hw.build, nil
}

// MemSharing implements hypercall.Hypervisor: two memory_op hypercalls.
// The simulator shares no memory between guests, so the counts are the
// spec's boot values.
func (h *Host) MemSharing() (hypercall.MemSharing, error) {
	if err := h.call(OpSharingFreed, noTarget, plain(ok)); err != nil {
		return hypercall.MemSharing{}, err
	}
	if err := h.call(OpSharingShared, noTarget, plain(ok)); err != nil {
		return hypercall.MemSharing{}, err
	}
	return h.hw.sharing, nil
}

// PCITopology implements hypercall.Hypervisor: the spec's devices, one
// XEN_SYSCTL_pcitopoinfo hypercall for them (none when there are none,
// as *hypercall.Xen).
func (h *Host) PCITopology() ([]hypercall.PCITopology, error) {
	if len(h.hw.pci) == 0 {
		return nil, nil
	}
	if err := h.call(OpPcitopoinfo, noTarget, plain(ok)); err != nil {
		return nil, err
	}
	return append([]hypercall.PCITopology(nil), h.hw.pci...), nil
}

func noTarget() string        { return "" }
func ok() syscall.Errno       { return 0 }
func pagesOf(b uint64) uint64 { return b / hypercall.PageSize }

// Physinfo implements hypercall.Hypervisor (XEN_SYSCTL_physinfo,
// xen/common/sysctl.c): threads_per_core and cores_per_socket come from
// CPU 0's sibling and core masks, which hold only online CPUs
// (xen/arch/x86/smpboot.c remove_siblinginfo); nr_cpus counts online
// CPUs; max_cpu_id is nr_cpu_ids-1; max_node_id is MAX_NUMNODES-1.
func (h *Host) Physinfo() (hypercall.Physinfo, error) {
	var out hypercall.Physinfo
	err := h.call(OpPhysinfo, noTarget, plain(func() syscall.Errno {
		c0 := h.hw.cpus[0]
		var siblings, core uint32
		h.online.each(func(i uint32) {
			c := h.hw.cpus[i]
			if c.socket == c0.socket {
				core++
				if c.coreKey == c0.coreKey {
					siblings++
				}
			}
		})
		total := h.totalBytes()
		out = hypercall.Physinfo{
			ThreadsPerCore: siblings,
			CoresPerSocket: core / siblings,
			NrCPUs:         uint32(h.online.count()),
			MaxCPUID:       h.hw.nrCPUIDs - 1,
			NrNodes:        uint32(len(h.hw.nodes)),
			MaxNodeID:      maxNodeID,
			CPUkHz:         h.hw.cpuKHz,
			Capabilities:   h.hw.caps,
			TotalPages:     pagesOf(total),
			FreePages:      pagesOf(h.freeBytes()),
			MaxMFN:         h.maxMFN(),
			HWCap:          h.hw.hwCap,
		}
		return 0
	}))
	return out, err
}

func (h *Host) totalBytes() uint64 {
	var t uint64
	for _, n := range h.hw.nodes {
		t += n.memBytes
	}
	return t
}

// usedBytes is what Xen and the domains hold.
func (h *Host) usedBytes() uint64 {
	u := h.hw.hypervisorBytes
	for _, d := range h.domains {
		u += d.memKB << 10
	}
	return u
}

func (h *Host) freeBytes() uint64 {
	t, u := h.totalBytes(), h.usedBytes()
	if u > t {
		return 0
	}
	return t - u
}

// maxMFN is the highest machine frame: RAM above 3 GiB is relocated
// above the 1 GiB MMIO hole below 4 GiB, as on PCs.
func (h *Host) maxMFN() uint64 {
	pages := pagesOf(h.totalBytes())
	if h.totalBytes() > 3<<30 {
		pages += pagesOf(1 << 30)
	}
	return pages - 1
}

// SchedulerID implements hypercall.Hypervisor (XEN_SYSCTL_sched_id,
// sched_id() in xen/common/sched/core.c): the boot scheduler.
func (h *Host) SchedulerID() (hypercall.Scheduler, error) {
	err := h.call(OpSchedID, noTarget, plain(ok))
	if err != nil {
		return 0, err
	}
	return h.hw.defaultSched, nil
}

// BuiltSchedulers implements hypercall.Hypervisor: the spec's
// schedulers.built, in *Xen's order. *Xen reads them from hypfs
// (/buildinfo/config: one read, as Debian's config is about 1 KB of
// gzip), so this costs one call too; a fault injected on
// "hypfs_op read" (ENOSYS: no hypfs, ENOENT: no config node) makes the
// list unknown, as it is on such a Xen.
func (h *Host) BuiltSchedulers() ([]hypercall.Scheduler, error) {
	target := func() string { return "path " + hypercall.BuildConfigPath }
	if err := h.call(OpHypfsRead, target, plain(ok)); err != nil {
		return nil, &hypercall.UnknownError{What: "built schedulers", Err: err}
	}
	var out []hypercall.Scheduler
	for _, s := range []hypercall.Scheduler{hypercall.SchedCredit, hypercall.SchedCredit2, hypercall.SchedRTDS, hypercall.SchedARINC653, hypercall.SchedNull} {
		if h.hw.isBuilt(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// CPUTopology implements hypercall.Hypervisor (XEN_SYSCTL_cputopoinfo,
// xen/common/sysctl.c): one entry per CPU id up to the last present one;
// non-present ids are all ~0. A CPU that went offline keeps its ids only
// where Xen parks offline CPUs (cpu_smpboot_free in
// xen/arch/x86/smpboot.c; the spec's parkOfflineCPUs). Two hypercalls,
// count then fill, like *hypercall.Xen.
func (h *Host) CPUTopology() ([]hypercall.CPUTopology, error) {
	if err := h.call(OpCputopoinfo, func() string { return "count" }, plain(ok)); err != nil {
		return nil, err
	}
	var out []hypercall.CPUTopology
	err := h.call(OpCputopoinfo, func() string { return "fill" }, plain(func() syscall.Errno {
		n := h.maxPresent() + 1
		out = make([]hypercall.CPUTopology, n)
		for i := range n {
			c := h.hw.cpus[i]
			t := hypercall.CPUTopology{CPU: i, Core: hypercall.InvalidID, Socket: hypercall.InvalidID, Node: hypercall.InvalidID}
			if c.present {
				t.Node = c.node
				if h.online.has(i) || h.hw.park {
					t.Core, t.Socket = c.core, c.socket
				}
			}
			out[i] = t
		}
		return 0
	}))
	return out, err
}

// NUMAInfo implements hypercall.Hypervisor (XEN_SYSCTL_numainfo,
// xen/common/sysctl.c): sizes in bytes; used memory is spread over the
// nodes in proportion to their size. Two hypercalls.
func (h *Host) NUMAInfo() ([]hypercall.NUMANode, error) {
	if err := h.call(OpNumainfo, func() string { return "count" }, plain(ok)); err != nil {
		return nil, err
	}
	var out []hypercall.NUMANode
	err := h.call(OpNumainfo, func() string { return "fill" }, plain(func() syscall.Errno {
		total, used := h.totalBytes(), h.usedBytes()
		out = make([]hypercall.NUMANode, len(h.hw.nodes))
		for i, n := range h.hw.nodes {
			share := uint64(float64(used) / float64(total) * float64(n.memBytes))
			free := uint64(0)
			if share < n.memBytes {
				free = n.memBytes - share
			}
			free = free &^ (hypercall.PageSize - 1)
			out[i] = hypercall.NUMANode{
				Node:      uint32(i),
				Online:    true,
				MemSize:   n.memBytes,
				MemFree:   free,
				Distances: append([]uint32(nil), n.distances...),
			}
		}
		return 0
	}))
	return out, err
}
