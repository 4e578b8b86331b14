package hypercall

import "xgo.dev/xgo/cpuset"

// Hypervisor is the typed set of Xen operations xgo's domain packages
// (pcpu, cpupool, sched) are written against. *Xen implements it with real
// hypercalls; package xensim implements it with a simulated host. Each
// method is one Xen operation (plus the count-then-fill pairs that Xen's
// protocol needs), named after it, with Go types in and out.
//
// Errors are *OpError values that match the errno with errors.Is (for
// example unix.EADDRNOTAVAIL from CpupoolRemoveCPU) and, where one
// applies, a package sentinel (ErrNotSupported, ErrPermission). An
// implementation other than *Xen should return errors of the same shape
// for the same conditions.
//
// CPU ids and pool ids are Xen's; domids are domid_t. Implementations
// must be safe for concurrent use.
type Hypervisor interface {
	// XenVersion returns the hypervisor's version, extraversion, command
	// line and build id (__HYPERVISOR_xen_version).
	XenVersion() (XenVersion, error)
	// XenBuildInfo returns the capabilities, changeset, platform
	// parameters and compile information (__HYPERVISOR_xen_version
	// XENVER_capabilities, _changeset, _platform_parameters,
	// _compile_info).
	XenBuildInfo() (XenBuildInfo, error)
	// MemSharing returns the page counts of memory sharing
	// (__HYPERVISOR_memory_op XENMEM_get_sharing_freed_pages and
	// XENMEM_get_sharing_shared_pages).
	MemSharing() (MemSharing, error)

	// Physinfo returns the host's CPU and memory summary
	// (XEN_SYSCTL_physinfo).
	Physinfo() (Physinfo, error)
	// SchedulerID returns the boot default scheduler, the one Pool-0 got
	// (XEN_SYSCTL_sched_id).
	SchedulerID() (Scheduler, error)
	// BuiltSchedulers returns the schedulers compiled into the
	// hypervisor, from its build configuration (hypfs
	// /buildinfo/config; Xen has no hypercall listing them). When that
	// cannot be read (no hypfs, built without CONFIG_HYPFS_CONFIG, XSM)
	// the error matches ErrUnknown: callers must treat the list as
	// unknown, never guess it.
	BuiltSchedulers() ([]Scheduler, error)
	// CPUTopology returns core, socket and node of every CPU id up to the
	// last present one; index i is CPU i (XEN_SYSCTL_cputopoinfo).
	CPUTopology() ([]CPUTopology, error)
	// NUMAInfo returns memory and distances of every node id up to the
	// last online one; index i is node i (XEN_SYSCTL_numainfo).
	NUMAInfo() ([]NUMANode, error)
	// PCITopology returns the node of every PCI device of the host, in
	// the order libxl lists them (XEN_SYSCTL_pcitopoinfo over the
	// devices dom0 sees: *Xen reads them from /sys/bus/pci/devices, in
	// directory order, as libxl does). No devices is not an error.
	PCITopology() ([]PCITopology, error)

	// PCPUInfo returns one physical CPU's state (XENPF_get_cpuinfo). It
	// does not fail for absent CPUs: they come back with Invalid set.
	PCPUInfo(cpu uint32) (PCPUInfo, error)
	// PlatformCPUOnline and PlatformCPUOffline change a CPU's state the
	// way Linux's xen_cpu sysfs files do (XENPF_cpu_online/offline):
	// already being in the requested state is not an error, and offlining
	// CPU 0 fails with EOPNOTSUPP.
	PlatformCPUOnline(cpu uint32) error
	PlatformCPUOffline(cpu uint32) error
	// CPUHotplug changes a CPU's or the SMT state the way xen-hptool does
	// (XEN_SYSCTL_cpu_hotplug): already being in the requested state is
	// EEXIST; cpu is ignored for the SMT operations.
	CPUHotplug(op HotplugOp, cpu uint32) error

	// CpupoolCreate creates an empty pool with the given id (PoolAny: the
	// next free one) and scheduler, and returns its id.
	CpupoolCreate(id uint32, sched Scheduler) (uint32, error)
	// CpupoolDestroy destroys an empty pool.
	CpupoolDestroy(id uint32) error
	// CpupoolInfo returns the pool with the smallest id ≥ id; it fails
	// with ENOENT past the last pool. See ListCpupools.
	CpupoolInfo(id uint32) (CpupoolInfo, error)
	// CpupoolAddCPU moves a free CPU into a pool (cpu PoolAny: any free
	// one).
	CpupoolAddCPU(id, cpu uint32) error
	// CpupoolRemoveCPU makes a CPU of the pool free (cpu PoolAny: the
	// pool's last CPU).
	CpupoolRemoveCPU(id, cpu uint32) error
	// CpupoolMoveDomain moves a domain into a pool.
	CpupoolMoveDomain(id uint32, domid uint16) error
	// CpupoolFreeCPUs returns the CPUs that are in no pool.
	CpupoolFreeCPUs() (cpuset.Set, error)

	// PoolSchedParams reads a pool's scheduler parameters; sched must be
	// the pool's scheduler (XEN_SYSCTL_scheduler_op getinfo).
	PoolSchedParams(pool uint32, sched Scheduler) (PoolSchedParams, error)
	// SetPoolSchedParams writes them (putinfo); p.Scheduler must be the
	// pool's scheduler.
	SetPoolSchedParams(pool uint32, p PoolSchedParams) error

	// DomainInfo returns one domain's state (XEN_DOMCTL_getdomaininfo);
	// ESRCH if it does not exist.
	DomainInfo(domid uint16) (DomainInfo, error)
	// DomainInfoList returns up to max domains with domid ≥ first, in
	// domid order (XEN_SYSCTL_getdomaininfolist). See ListDomains.
	DomainInfoList(first uint16, max uint32) ([]DomainInfo, error)
	// DomainSchedParams reads a domain's scheduler parameters; sched must
	// be the scheduler of the domain's pool (XEN_DOMCTL_scheduler_op
	// getinfo).
	DomainSchedParams(domid uint16, sched Scheduler) (DomainSchedParams, error)
	// SetDomainSchedParams writes them (putinfo).
	SetDomainSchedParams(domid uint16, p DomainSchedParams) error
	// VCPUSchedParams reads the parameters of the given vCPUs
	// (getvcpuinfo; rtds only).
	VCPUSchedParams(domid uint16, sched Scheduler, vcpus []uint32) ([]VCPUSchedParams, error)
	// SetVCPUSchedParams writes per-vCPU parameters (putvcpuinfo; rtds
	// only).
	SetVCPUSchedParams(domid uint16, sched Scheduler, params []VCPUSchedParams) error
}
