package hypercall

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"xgo.dev/xgo/cpuset"
)

// PageSize is the size of the pages Xen counts in physinfo and domain
// info (XC_PAGE_SIZE), on x86 and arm alike.
const PageSize = 4096

// PoolAny is XEN_SYSCTL_CPUPOOL_PAR_ANY: "any free id" for CpupoolCreate,
// "any free cpu" for CpupoolAddCPU and "the pool's last cpu" for
// CpupoolRemoveCPU.
const PoolAny uint32 = 0xFFFFFFFF

// InvalidID marks absent topology data: the core, socket or node of a
// CPU that is not present, or a CPU without a NUMA node
// (XEN_INVALID_{CORE,SOCKET,NODE}_ID).
const InvalidID = ^uint32(0)

// String returns the scheduler's name as xl prints it: credit, credit2,
// arinc653, rtds, null; or "scheduler(N)" for an unknown id.
func (s Scheduler) String() string {
	switch s {
	case SchedCredit:
		return "credit"
	case SchedCredit2:
		return "credit2"
	case SchedARINC653:
		return "arinc653"
	case SchedRTDS:
		return "rtds"
	case SchedNull:
		return "null"
	}
	return "scheduler(" + strconv.FormatUint(uint64(s), 10) + ")"
}

// ParseScheduler returns the scheduler with the given xl name.
func ParseScheduler(name string) (Scheduler, error) {
	for _, s := range []Scheduler{SchedCredit, SchedCredit2, SchedARINC653, SchedRTDS, SchedNull} {
		if s.String() == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown scheduler %q (want credit, credit2, arinc653, rtds or null)", name)
}

// XenVersion is what XENVER_version, XENVER_extraversion,
// XENVER_commandline and XENVER_build_id report.
type XenVersion struct {
	Major, Minor int
	// Extra is the extraversion, e.g. ".3" or "-unstable" (xl info
	// xen_extra).
	Extra string
	// CommandLine is the hypervisor's boot command line.
	CommandLine string
	// BuildID is the build id, nil if the hypervisor has none.
	BuildID []byte
}

// String returns e.g. "4.17.3".
func (v XenVersion) String() string {
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + v.Extra
}

// PhysCaps are the XEN_SYSCTL_PHYSCAP_* bits of Physinfo.Capabilities.
type PhysCaps uint32

// Physinfo capability bits (sysctl.h).
const (
	PhysCapHVM               PhysCaps = 1 << 0
	PhysCapPV                PhysCaps = 1 << 1
	PhysCapDirectIO          PhysCaps = 1 << 2
	PhysCapHAP               PhysCaps = 1 << 3
	PhysCapShadow            PhysCaps = 1 << 4
	PhysCapIOMMUHAPPTShare   PhysCaps = 1 << 5
	PhysCapVMTrace           PhysCaps = 1 << 6
	PhysCapVPMU              PhysCaps = 1 << 7
	PhysCapGnttabV1          PhysCaps = 1 << 8
	PhysCapGnttabV2          PhysCaps = 1 << 9
	physCapKnown                      = 1<<10 - 1
	physCapDirectIOXLHVMName          = "hvm_directio"
)

// String returns the capabilities as the words of xl info's virt_caps,
// in xl's order: pv hvm hvm_directio pv_directio hap shadow
// iommu_hap_pt_share vmtrace vpmu gnttab-v1 gnttab-v2. Unknown bits
// follow as hex.
func (c PhysCaps) String() string {
	var w []string
	add := func(bit PhysCaps, name string) {
		if c&bit != 0 {
			w = append(w, name)
		}
	}
	add(PhysCapPV, "pv")
	add(PhysCapHVM, "hvm")
	if c&PhysCapDirectIO != 0 {
		if c&PhysCapHVM != 0 {
			w = append(w, "hvm_directio")
		}
		if c&PhysCapPV != 0 {
			w = append(w, "pv_directio")
		}
	}
	add(PhysCapHAP, "hap")
	add(PhysCapShadow, "shadow")
	add(PhysCapIOMMUHAPPTShare, "iommu_hap_pt_share")
	add(PhysCapVMTrace, "vmtrace")
	add(PhysCapVPMU, "vpmu")
	add(PhysCapGnttabV1, "gnttab-v1")
	add(PhysCapGnttabV2, "gnttab-v2")
	if rest := c &^ physCapKnown; rest != 0 {
		w = append(w, fmt.Sprintf("%#x", uint32(rest)))
	}
	return strings.Join(w, " ")
}

// Physinfo is XEN_SYSCTL_physinfo: the host's CPUs and memory.
type Physinfo struct {
	// ThreadsPerCore and CoresPerSocket are taken from CPU 0 by Xen.
	ThreadsPerCore, CoresPerSocket uint32
	// NrCPUs is the number of online CPUs.
	NrCPUs uint32
	// MaxCPUID is nr_cpu_ids-1: the highest CPU id Xen can ever use.
	MaxCPUID uint32
	// NrNodes is the number of online NUMA nodes; MaxNodeID the highest
	// possible node id.
	NrNodes, MaxNodeID uint32
	CPUkHz             uint32
	Capabilities       PhysCaps
	// ArchCapabilities is 0 on Xen 4.16, which lacks the field.
	ArchCapabilities uint32
	// Memory in pages of PageSize bytes.
	TotalPages, FreePages, ScrubPages, OutstandingPages uint64
	MaxMFN                                              uint64
	HWCap                                               [8]uint32
}

// TotalBytes returns TotalPages in bytes.
func (p Physinfo) TotalBytes() uint64 { return p.TotalPages * PageSize }

// FreeBytes returns FreePages in bytes.
func (p Physinfo) FreeBytes() uint64 { return p.FreePages * PageSize }

// HotplugOp is a XEN_SYSCTL_cpu_hotplug operation.
type HotplugOp uint32

// Hotplug operations (XEN_SYSCTL_CPU_HOTPLUG_*).
const (
	HotplugOnline     HotplugOp = cpuHotplugOnline
	HotplugOffline    HotplugOp = cpuHotplugOffline
	HotplugSMTEnable  HotplugOp = cpuHotplugSMTEnable
	HotplugSMTDisable HotplugOp = cpuHotplugSMTDisable
)

func (o HotplugOp) String() string {
	switch o {
	case HotplugOnline:
		return "online"
	case HotplugOffline:
		return "offline"
	case HotplugSMTEnable:
		return "smt-enable"
	case HotplugSMTDisable:
		return "smt-disable"
	}
	return "hotplug-op(" + strconv.FormatUint(uint64(o), 10) + ")"
}

// PCPUInfo is XENPF_get_cpuinfo for one physical CPU.
type PCPUInfo struct {
	CPU uint32
	// MaxPresent is the id of the last present CPU; enumerate 0..MaxPresent.
	MaxPresent uint32
	// Online: the CPU is online. Invalid: it is not present (or out of
	// range); then APICID and ACPIID are 0.
	Online, Invalid bool
	APICID, ACPIID  uint32
}

// CPUTopology is one entry of XEN_SYSCTL_cputopoinfo; the slice index is
// the CPU id.
type CPUTopology struct {
	CPU                uint32
	Core, Socket, Node uint32 // InvalidID when not present / no node
}

// Present reports whether the CPU is present (xl and xenpm skip the
// others).
func (t CPUTopology) Present() bool { return t.Core != InvalidID }

// InvalidDev is the node XEN_SYSCTL_pcitopoinfo reports for a PCI
// device the hypervisor does not know (XEN_INVALID_DEV). A device Xen
// knows but places on no node gets InvalidID.
const InvalidDev = ^uint32(1)

// PCIDevice names a PCI function: segment, bus and devfn (device<<3 |
// function), as struct physdev_pci_device does.
type PCIDevice struct {
	Seg   uint16
	Bus   uint8
	DevFn uint8
}

// String returns the device as xl info -n prints it, e.g. "0000:00:1f.3".
func (d PCIDevice) String() string {
	return fmt.Sprintf("%04x:%02x:%02x.%01x", d.Seg, d.Bus, d.DevFn>>3&0x1f, d.DevFn&7)
}

// ParsePCIDevice parses a Linux PCI device name, "SSSS:BB:DD.F" in hex
// (as in /sys/bus/pci/devices), the way libxl does (sscanf
// "%x:%x:%x.%d"; the device number keeps its low 5 bits and the function
// its low 3).
func ParsePCIDevice(s string) (PCIDevice, error) {
	bad := func() (PCIDevice, error) {
		return PCIDevice{}, fmt.Errorf("%q is not a PCI device name (want SSSS:BB:DD.F)", s)
	}
	seg, rest, ok1 := strings.Cut(s, ":")
	bus, rest, ok2 := strings.Cut(rest, ":")
	dev, fn, ok3 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	sv, err1 := strconv.ParseUint(seg, 16, 16)
	bv, err2 := strconv.ParseUint(bus, 16, 8)
	dv, err3 := strconv.ParseUint(dev, 16, 8)
	fv, err4 := strconv.ParseUint(fn, 10, 8)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return bad()
	}
	return PCIDevice{Seg: uint16(sv), Bus: uint8(bv), DevFn: uint8(dv&0x1f)<<3 | uint8(fv&7)}, nil
}

// PCITopology is one device of XEN_SYSCTL_pcitopoinfo and its node: a
// node id, InvalidID (Xen knows the device but not its node) or
// InvalidDev (Xen does not know the device).
type PCITopology struct {
	Device PCIDevice
	Node   uint32
}

// HasNode reports whether Xen gave the device a node (xl info -n lists
// only those).
func (t PCITopology) HasNode() bool { return t.Node != InvalidID && t.Node != InvalidDev }

// XenBuildInfo is what XENVER_capabilities, XENVER_changeset,
// XENVER_platform_parameters and XENVER_compile_info report: xl info's
// xen_caps, xen_changeset, platform_params and cc_* lines.
type XenBuildInfo struct {
	// Capabilities lists the guest ABIs the hypervisor runs, each
	// followed by a space as Xen writes it, e.g. "xen-3.0-x86_64
	// hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 ".
	Capabilities string
	// Changeset is the source revision the build recorded; empty for
	// builds from a release tarball (Debian's).
	Changeset string
	// VirtStart is the start of the hypervisor's virtual address range
	// as seen by the caller (HYPERVISOR_VIRT_START on x86_64).
	VirtStart uint64
	// Compiler, CompileBy, CompileDomain and CompileDate describe the
	// build: e.g. "x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1)
	// 12.2.0", "pkg-xen-devel", "lists.alioth.debian.org", "Wed Nov  4
	// 16:52:28 UTC 2026".
	Compiler, CompileBy, CompileDomain, CompileDate string
}

// MemSharing is what XENMEM_get_sharing_freed_pages and
// XENMEM_get_sharing_shared_pages report, in pages: the memory that page
// sharing saved, and the frames the shared pages occupy (xl info's
// sharing_freed_memory and sharing_used_memory).
type MemSharing struct {
	FreedPages, SharedPages uint64
}

// NUMANode is one entry of XEN_SYSCTL_numainfo.
type NUMANode struct {
	Node uint32
	// Online is false for a node id that is not online; its sizes are 0.
	Online bool
	// MemSize and MemFree are in bytes.
	MemSize, MemFree uint64
	// Distances[j] is the distance to node j; InvalidID where unknown.
	Distances []uint32
}

// CpupoolInfo is XEN_SYSCTL_CPUPOOL_OP_INFO for one pool.
type CpupoolInfo struct {
	ID        uint32
	Scheduler Scheduler
	NDom      uint32 // number of domains in the pool
	CPUs      cpuset.Set
}

// DomainInfo is xen_domctl_getdomaininfo: one domain's state.
type DomainInfo struct {
	Domid uint16
	// Flags holds XEN_DOMINF_*; use the methods.
	Flags                                uint32
	TotPages, MaxPages, OutstandingPages uint64
	ShrPages, PagedPages                 uint64
	SharedInfoFrame                      uint64
	CPUTime                              time.Duration
	OnlineVCPUs                          uint32
	MaxVCPUID                            uint32
	SSIDRef                              uint32
	Handle                               [16]byte // the domain's UUID
	Cpupool                              uint32
	GPAddrBits                           uint8
}

// Dying, HVM, Shutdown, Paused, Blocked, Running, Debugged, XSDomain and
// HAP report the XEN_DOMINF_* flags of the same names (domctl.h).
func (d DomainInfo) Dying() bool    { return d.Flags&dominfDying != 0 }
func (d DomainInfo) HVM() bool      { return d.Flags&dominfHVMGuest != 0 }
func (d DomainInfo) Shutdown() bool { return d.Flags&dominfShutdown != 0 }
func (d DomainInfo) Paused() bool   { return d.Flags&dominfPaused != 0 }
func (d DomainInfo) Blocked() bool  { return d.Flags&dominfBlocked != 0 }
func (d DomainInfo) Running() bool  { return d.Flags&dominfRunning != 0 }
func (d DomainInfo) Debugged() bool { return d.Flags&dominfDebugged != 0 }
func (d DomainInfo) XSDomain() bool { return d.Flags&dominfXSDomain != 0 }
func (d DomainInfo) HAP() bool      { return d.Flags&dominfHAP != 0 }

// ShutdownReason is the guest's shutdown code (SHUTDOWN_*), meaningful
// when Shutdown is true.
func (d DomainInfo) ShutdownReason() uint32 {
	return d.Flags >> dominfShutdownShift & dominfShutdownMask
}

// UUID formats Handle as xl prints it.
func (d DomainInfo) UUID() string {
	h := d.Handle
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// PoolSchedParams are a cpupool's scheduler parameters
// (XEN_SYSCTL_scheduler_op). Which fields apply depends on Scheduler.
type PoolSchedParams struct {
	Scheduler Scheduler
	// TsliceMS (credit): time slice, 1–1000 ms.
	TsliceMS uint32
	// RatelimitUS (credit, credit2): context-switch rate limit,
	// 100–500000 µs, 0 disables; credit requires it ≤ the time slice.
	RatelimitUS uint32
	// MigrationDelayUS (credit): how long a vCPU stays cache-hot, ≤ 100000 µs.
	MigrationDelayUS uint32
	// ARINC653 (arinc653): the schedule.
	ARINC653 *ARINC653Schedule
}

// ARINC653Schedule is xen_sysctl_arinc653_schedule.
type ARINC653Schedule struct {
	MajorFrame time.Duration
	Entries    []ARINC653Entry // at most 64
}

// ARINC653Entry is one slot of an ARINC653 schedule.
type ARINC653Entry struct {
	DomainHandle [16]byte // the domain's UUID
	VCPU         uint32
	Runtime      time.Duration
}

// DomainSchedParams are a domain's scheduler parameters
// (XEN_DOMCTL_scheduler_op getinfo/putinfo). Which fields apply depends on
// Scheduler.
//
// Xen's put semantics are passed through unchanged: for credit a Weight of
// 0 and a Cap of 0xFFFF leave the value as it is; for credit2 a Weight of
// 0 leaves it and a Cap of 0 removes the cap; for rtds Period and Budget
// must be non-zero and apply to every vCPU. An rtds get returns Xen's
// default period and budget, not the domain's: use VCPUSchedParams.
type DomainSchedParams struct {
	Scheduler Scheduler
	Weight    uint16 // credit, credit2
	Cap       uint16 // credit, credit2: percent of one CPU
	PeriodUS  uint32 // rtds
	BudgetUS  uint32 // rtds
}

// VCPUSchedParams are one vCPU's scheduler parameters
// (XEN_DOMCTL_SCHEDOP_{get,put}vcpuinfo; only rtds implements them).
type VCPUSchedParams struct {
	VCPU      uint32
	PeriodUS  uint32
	BudgetUS  uint32
	Extratime bool
}
