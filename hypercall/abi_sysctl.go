package hypercall

import (
	"structs"
	"unsafe"
)

// This file mirrors the parts of Xen's xen/include/public/sysctl.h that
// xgo uses. Every layout was checked against the header at tags
// RELEASE-4.16.0 … RELEASE-4.22.0 (XEN_SYSCTL_INTERFACE_VERSION 0x14,
// 0x15 and 0x16) by compiling it with gcc on x86_64 (-D__XEN_TOOLS__);
// the numbers are recorded in abi_test.go and in xen-abi.md §2.3. Only
// physinfo differs inside that range (see sysctlPhysinfoV14).

// XEN_SYSCTL_* commands (sysctl.h).
const (
	sysctlCmdPhysinfo          = 3
	sysctlCmdSchedID           = 4
	sysctlCmdGetdomaininfolist = 6
	sysctlCmdCPUHotplug        = 11
	sysctlCmdCputopoinfo       = 16
	sysctlCmdNumainfo          = 17
	sysctlCmdCpupoolOp         = 18
	sysctlCmdSchedulerOp       = 19
	sysctlCmdPcitopoinfo       = 22
)

// sysctlOp mirrors struct xen_sysctl (sysctl.h; 0x14–0x16): 136 bytes.
// U is the union of the per-command structs, reached through the typed
// accessors below.
type sysctlOp struct {
	_                structs.HostLayout
	_                [0]uint64 // the union contains uint64_aligned_t members
	Cmd              uint32    // XEN_SYSCTL_*
	InterfaceVersion uint32    // XEN_SYSCTL_INTERFACE_VERSION
	U                [128]byte // union { …; uint8_t pad[128]; } u
}

func (s *sysctlOp) physinfo() *sysctlPhysinfo {
	return (*sysctlPhysinfo)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) physinfoV14() *sysctlPhysinfoV14 {
	return (*sysctlPhysinfoV14)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) schedID() *sysctlSchedIDOp { return (*sysctlSchedIDOp)(unsafe.Pointer(&s.U)) }
func (s *sysctlOp) cpuHotplug() *sysctlCPUHotplugOp {
	return (*sysctlCPUHotplugOp)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) cputopoinfo() *sysctlCputopoinfoOp {
	return (*sysctlCputopoinfoOp)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) numainfo() *sysctlNumainfoOp {
	return (*sysctlNumainfoOp)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) pcitopoinfo() *sysctlPcitopoinfoOp {
	return (*sysctlPcitopoinfoOp)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) cpupoolOp() *sysctlCpupoolOp {
	return (*sysctlCpupoolOp)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) schedulerOp() *sysctlSchedulerOp {
	return (*sysctlSchedulerOp)(unsafe.Pointer(&s.U))
}
func (s *sysctlOp) getdomaininfolist() *sysctlGetdomaininfolistOp {
	return (*sysctlGetdomaininfolistOp)(unsafe.Pointer(&s.U))
}

// sysctlPhysinfo mirrors struct xen_sysctl_physinfo as of
// XEN_SYSCTL_INTERFACE_VERSION 0x15 (Xen 4.17) and unchanged in 0x16
// (4.21, 4.22): 112 bytes.
type sysctlPhysinfo struct {
	_                structs.HostLayout
	ThreadsPerCore   uint32    // @0
	CoresPerSocket   uint32    // @4
	NrCPUs           uint32    // @8: online CPUs
	MaxCPUID         uint32    // @12: nr_cpu_ids - 1
	NrNodes          uint32    // @16
	MaxNodeID        uint32    // @20
	CPUkHz           uint32    // @24
	Capabilities     uint32    // @28: XEN_SYSCTL_PHYSCAP_*
	ArchCapabilities uint32    // @32: XEN_SYSCTL_PHYSCAP_{X86,ARM}_*
	Pad              uint32    // @36: uint32_t pad
	TotalPages       uint64    // @40
	FreePages        uint64    // @48
	ScrubPages       uint64    // @56
	OutstandingPages uint64    // @64
	MaxMFN           uint64    // @72
	HWCap            [8]uint32 // @80
}

// sysctlPhysinfoV14 mirrors struct xen_sysctl_physinfo as of
// XEN_SYSCTL_INTERFACE_VERSION 0x14 (Xen 4.16): no arch_capabilities and
// no pad, so total_pages sits at 32 and the struct is 104 bytes.
type sysctlPhysinfoV14 struct {
	_                structs.HostLayout
	ThreadsPerCore   uint32    // @0
	CoresPerSocket   uint32    // @4
	NrCPUs           uint32    // @8
	MaxCPUID         uint32    // @12
	NrNodes          uint32    // @16
	MaxNodeID        uint32    // @20
	CPUkHz           uint32    // @24
	Capabilities     uint32    // @28
	TotalPages       uint64    // @32
	FreePages        uint64    // @40
	ScrubPages       uint64    // @48
	OutstandingPages uint64    // @56
	MaxMFN           uint64    // @64
	HWCap            [8]uint32 // @72
}

// sysctlSchedIDOp mirrors struct xen_sysctl_sched_id (0x14–0x16): 4 bytes.
type sysctlSchedIDOp struct {
	_       structs.HostLayout
	SchedID uint32 // OUT: XEN_SCHEDULER_* of the boot default scheduler
}

// XEN_SYSCTL_CPU_HOTPLUG_* (sysctl.h).
const (
	cpuHotplugOnline     = 0
	cpuHotplugOffline    = 1
	cpuHotplugSMTEnable  = 2
	cpuHotplugSMTDisable = 3
)

// sysctlCPUHotplugOp mirrors struct xen_sysctl_cpu_hotplug (0x14–0x16):
// 8 bytes.
type sysctlCPUHotplugOp struct {
	_   structs.HostLayout
	CPU uint32 // IN: ignored for the SMT ops
	Op  uint32 // IN: XEN_SYSCTL_CPU_HOTPLUG_*
}

// Markers for absent topology data (sysctl.h).
const (
	xenInvalidCoreID   = ^uint32(0) // XEN_INVALID_CORE_ID
	xenInvalidSocketID = ^uint32(0) // XEN_INVALID_SOCKET_ID
	xenInvalidNodeID   = ^uint32(0) // XEN_INVALID_NODE_ID
	xenInvalidDev      = ^uint32(1) // XEN_INVALID_DEV is (XEN_INVALID_NODE_ID - 1)
	xenInvalidMemSize  = 0xFFFFFFFF // XEN_INVALID_MEM_SZ is (~0U), zero-extended into a uint64_t
	xenInvalidNodeDist = ^uint32(0) // XEN_INVALID_NODE_DIST
)

// sysctlCputopoinfoOp mirrors struct xen_sysctl_cputopoinfo (0x14–0x16):
// 16 bytes. A null handle asks for the number of entries (last present
// CPU + 1); otherwise Xen fills min(NumCPUs, that number) entries and
// returns how many it wrote.
type sysctlCputopoinfoOp struct {
	_       structs.HostLayout
	NumCPUs uint32      // IN/OUT
	Pad0    [4]byte     // alignment of the handle
	Cputopo guestHandle // XEN_GUEST_HANDLE_64(xen_sysctl_cputopo_t)
}

// sysctlCputopo mirrors struct xen_sysctl_cputopo (0x14–0x16): 12 bytes.
type sysctlCputopo struct {
	_      structs.HostLayout
	Core   uint32
	Socket uint32
	Node   uint32
}

// sysctlNumainfoOp mirrors struct xen_sysctl_numainfo (0x14–0x16): 24
// bytes. Both handles null asks for the node count; otherwise meminfo gets
// NumNodes entries and distance NumNodes² entries, row i at i*NumNodes.
type sysctlNumainfoOp struct {
	_        structs.HostLayout
	NumNodes uint32      // IN/OUT
	Pad0     [4]byte     // alignment of the handles
	Meminfo  guestHandle // XEN_GUEST_HANDLE_64(xen_sysctl_meminfo_t)
	Distance guestHandle // XEN_GUEST_HANDLE_64(uint32)
}

// sysctlPcitopoinfoOp mirrors struct xen_sysctl_pcitopoinfo (0x14–0x16):
// 24 bytes. Devs holds NumDevs physdev_pci_device entries (IN), Nodes
// gets as many uint32 node ids (OUT): a node, XEN_INVALID_NODE_ID when Xen
// knows the device but not its node, XEN_INVALID_DEV when Xen does not
// know the device. Xen may stop early (it checks for preemption after
// every 64 devices) and then writes back in NumDevs how many it did;
// both handles must be non-null (EINVAL otherwise).
type sysctlPcitopoinfoOp struct {
	_       structs.HostLayout
	NumDevs uint32      // IN/OUT
	Pad0    [4]byte     // alignment of the handles
	Devs    guestHandle // XEN_GUEST_HANDLE_64(physdev_pci_device_t)
	Nodes   guestHandle // XEN_GUEST_HANDLE_64(uint32)
}

// sysctlMeminfo mirrors struct xen_sysctl_meminfo (0x14–0x16): 16 bytes,
// sizes in bytes.
type sysctlMeminfo struct {
	_       structs.HostLayout
	Memsize uint64
	Memfree uint64
}

// sysctlGetdomaininfolistOp mirrors struct xen_sysctl_getdomaininfolist
// (0x14–0x16): 24 bytes. Buffer holds MaxDomains domctlGetdomaininfo
// entries.
type sysctlGetdomaininfolistOp struct {
	_           structs.HostLayout
	FirstDomain uint16      // IN: domid_t first_domain
	Pad0        [2]byte     // alignment of max_domains
	MaxDomains  uint32      // IN
	Buffer      guestHandle // XEN_GUEST_HANDLE_64(xen_domctl_getdomaininfo_t)
	NumDomains  uint32      // OUT
	Pad1        [4]byte     // tail padding
}

// XEN_SYSCTL_CPUPOOL_OP_* (sysctl.h).
const (
	cpupoolOpCreate     = 1
	cpupoolOpDestroy    = 2
	cpupoolOpInfo       = 3
	cpupoolOpAddCPU     = 4
	cpupoolOpRmCPU      = 5
	cpupoolOpMoveDomain = 6
	cpupoolOpFreeInfo   = 7
)

// sysctlCpupoolOp mirrors struct xen_sysctl_cpupool_op (0x14–0x16): 40
// bytes.
type sysctlCpupoolOp struct {
	_         structs.HostLayout
	Op        uint32       // IN: XEN_SYSCTL_CPUPOOL_OP_*
	CpupoolID uint32       // IN: CDIARM, OUT: CI
	SchedID   uint32       // IN: C, OUT: I
	Domid     uint32       // IN: M
	CPU       uint32       // IN: AR
	NDom      uint32       // OUT: I
	Cpumap    xenctlBitmap // OUT: IF
}

// XEN_SYSCTL_SCHEDOP_* (sysctl.h).
const (
	sysctlSchedopPutinfo = 0
	sysctlSchedopGetinfo = 1
)

// sysctlSchedulerOp mirrors struct xen_sysctl_scheduler_op (0x14–0x16):
// 32 bytes. U is the union of the per-scheduler parameter structs.
type sysctlSchedulerOp struct {
	_         structs.HostLayout
	CpupoolID uint32   // IN
	SchedID   uint32   // IN: XEN_SCHEDULER_*, must be the pool's
	Cmd       uint32   // IN: XEN_SYSCTL_SCHEDOP_*
	Pad0      [4]byte  // alignment of the union
	U         [16]byte // union { arinc653; credit; credit2 } u
}

func (s *sysctlSchedulerOp) credit() *sysctlCreditSchedule {
	return (*sysctlCreditSchedule)(unsafe.Pointer(&s.U))
}
func (s *sysctlSchedulerOp) credit2() *sysctlCredit2Schedule {
	return (*sysctlCredit2Schedule)(unsafe.Pointer(&s.U))
}
func (s *sysctlSchedulerOp) arinc653() *sysctlARINC653Handle {
	return (*sysctlARINC653Handle)(unsafe.Pointer(&s.U))
}

// sysctlCreditSchedule mirrors struct xen_sysctl_credit_schedule
// (0x14–0x16): 12 bytes.
type sysctlCreditSchedule struct {
	_               structs.HostLayout
	TsliceMS        uint32
	RatelimitUS     uint32
	VCPUMigrDelayUS uint32
}

// sysctlCredit2Schedule mirrors struct xen_sysctl_credit2_schedule
// (0x14–0x16): 4 bytes.
type sysctlCredit2Schedule struct {
	_           structs.HostLayout
	RatelimitUS uint32
}

// sysctlARINC653Handle mirrors the sched_arinc653 member of the
// xen_sysctl_scheduler_op union: one handle to a schedule.
type sysctlARINC653Handle struct {
	_        structs.HostLayout
	Schedule guestHandle // XEN_GUEST_HANDLE_64(xen_sysctl_arinc653_schedule_t)
}

// arinc653MaxDomainsPerSchedule is ARINC653_MAX_DOMAINS_PER_SCHEDULE.
const arinc653MaxDomainsPerSchedule = 64

// sysctlARINC653Schedule mirrors struct xen_sysctl_arinc653_schedule
// (0x14–0x16): 2064 bytes.
type sysctlARINC653Schedule struct {
	_               structs.HostLayout
	MajorFrame      uint64  // ns
	NumSchedEntries uint8   // valid entries in SchedEntries
	Pad0            [7]byte // alignment of the entries
	SchedEntries    [arinc653MaxDomainsPerSchedule]sysctlARINC653Entry
}

// sysctlARINC653Entry mirrors the anonymous element struct of
// xen_sysctl_arinc653_schedule.sched_entries (0x14–0x16): 32 bytes. (In
// 0x14 vcpu_id was spelled unsigned int; same size.)
type sysctlARINC653Entry struct {
	_         structs.HostLayout
	DomHandle [16]byte // xen_domain_handle_t: the domain's UUID
	VCPUID    uint32
	Pad0      [4]byte // alignment of runtime
	Runtime   uint64  // ns
}

// Limits of the scheduler parameters (sysctl.h).
const (
	schedRatelimitMax   = 500000     // XEN_SYSCTL_SCHED_RATELIMIT_MAX (µs)
	schedRatelimitMin   = 100        // XEN_SYSCTL_SCHED_RATELIMIT_MIN (µs)
	cschedTsliceMax     = 1000       // XEN_SYSCTL_CSCHED_TSLICE_MAX (ms)
	cschedTsliceMin     = 1          // XEN_SYSCTL_CSCHED_TSLICE_MIN (ms)
	cschedMigrDelayMax  = 100000     // XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US (µs)
	cpupoolParAny       = 0xFFFFFFFF // XEN_SYSCTL_CPUPOOL_PAR_ANY
	physinfoHWCapWords  = 8
	sysctlUnionSize     = 128
	domctlUnionSize     = 128
	platformOpUnionSize = 128
)
