package hypercall

import (
	"structs"
	"unsafe"
)

// This file mirrors the parts of Xen's xen/include/public/domctl.h that
// xgo uses. Layouts were checked against the header at tags
// RELEASE-4.16.0 … RELEASE-4.22.0 (XEN_DOMCTL_INTERFACE_VERSION 0x14 to
// 0x18) with gcc on x86_64; none of the structs below changed in that
// range. The architecture-specific tail of getdomaininfo (struct
// xen_arch_domainconfig) lives in abi_arch_*.go.

// XEN_DOMCTL_* commands (domctl.h).
const (
	domctlCmdGetdomaininfo = 5
	domctlCmdSchedulerOp   = 16
)

// Scheduler identifies a Xen scheduler (XEN_SCHEDULER_*, domctl.h). The
// numbers are also the ones libxl uses; 0 means unknown.
type Scheduler uint32

// Scheduler ids (domctl.h). SEDF (4) was removed before 4.16.
const (
	SchedCredit   Scheduler = 5 // XEN_SCHEDULER_CREDIT
	SchedCredit2  Scheduler = 6 // XEN_SCHEDULER_CREDIT2
	SchedARINC653 Scheduler = 7 // XEN_SCHEDULER_ARINC653
	SchedRTDS     Scheduler = 8 // XEN_SCHEDULER_RTDS
	SchedNull     Scheduler = 9 // XEN_SCHEDULER_NULL
)

// domctlOp mirrors struct xen_domctl (domctl.h; 0x14–0x18): 144 bytes.
type domctlOp struct {
	_                structs.HostLayout
	_                [0]uint64 // the union contains uint64_aligned_t members
	Cmd              uint32    // XEN_DOMCTL_*
	InterfaceVersion uint32    // XEN_DOMCTL_INTERFACE_VERSION
	Domain           uint16    // domid_t domain (IN/OUT for getdomaininfo)
	Pad              [3]uint16 // uint16_t _pad[3]
	U                [128]byte // union { …; uint8_t pad[128]; } u
}

func (d *domctlOp) getdomaininfo() *domctlGetdomaininfo {
	return (*domctlGetdomaininfo)(unsafe.Pointer(&d.U))
}
func (d *domctlOp) schedulerOp() *domctlSchedulerOp {
	return (*domctlSchedulerOp)(unsafe.Pointer(&d.U))
}

// XEN_DOMINF_* bits of xen_domctl_getdomaininfo.flags (domctl.h).
const (
	dominfDying          = 1 << 0
	dominfHVMGuest       = 1 << 1
	dominfShutdown       = 1 << 2
	dominfPaused         = 1 << 3
	dominfBlocked        = 1 << 4
	dominfRunning        = 1 << 5
	dominfDebugged       = 1 << 6
	dominfXSDomain       = 1 << 7
	dominfHAP            = 1 << 8
	dominfShutdownMask   = 255 // XEN_DOMINF_shutdownmask
	dominfShutdownShift  = 16  // XEN_DOMINF_shutdownshift
	xenInvalidMaxVCPUID  = ^uint32(0)
	domidFirstReserved   = 0x7FF0 // DOMID_FIRST_RESERVED (xen.h)
	getdomaininfoMaxList = 256    // domains per getdomaininfolist batch (xgo's choice)
)

// domctlGetdomaininfo mirrors struct xen_domctl_getdomaininfo (domctl.h;
// 0x14–0x18). 112 bytes on x86_64, 120 on arm64: only the size of
// ArchConfig differs.
type domctlGetdomaininfo struct {
	_                structs.HostLayout
	Domain           uint16           // @0
	Pad1             uint16           // @2
	Flags            uint32           // @4: XEN_DOMINF_*
	TotPages         uint64           // @8
	MaxPages         uint64           // @16
	OutstandingPages uint64           // @24
	ShrPages         uint64           // @32
	PagedPages       uint64           // @40
	SharedInfoFrame  uint64           // @48
	CPUTime          uint64           // @56: ns
	NrOnlineVCPUs    uint32           // @64
	MaxVCPUID        uint32           // @68
	SSIDRef          uint32           // @72
	Handle           [16]byte         // @76: xen_domain_handle_t
	Cpupool          uint32           // @92
	GPAddrBits       uint8            // @96
	Pad2             [7]byte          // @97
	ArchConfig       archDomainConfig // @104: struct xen_arch_domainconfig
}

// XEN_DOMCTL_SCHEDOP_* (domctl.h).
const (
	domctlSchedopPutinfo     = 0
	domctlSchedopGetinfo     = 1
	domctlSchedopPutvcpuinfo = 2
	domctlSchedopGetvcpuinfo = 3
)

// domctlSchedulerOp mirrors struct xen_domctl_scheduler_op (domctl.h;
// 0x14–0x18): 24 bytes. U is the union {credit, credit2, rtds, v}.
type domctlSchedulerOp struct {
	_       structs.HostLayout
	SchedID uint32   // IN: XEN_SCHEDULER_*, must be the domain's
	Cmd     uint32   // IN: XEN_DOMCTL_SCHEDOP_*
	U       [16]byte // union
}

func (s *domctlSchedulerOp) credit() *domctlSchedCredit {
	return (*domctlSchedCredit)(unsafe.Pointer(&s.U))
}
func (s *domctlSchedulerOp) rtds() *domctlSchedRTDS {
	return (*domctlSchedRTDS)(unsafe.Pointer(&s.U))
}
func (s *domctlSchedulerOp) vcpus() *domctlSchedVCPUs {
	return (*domctlSchedVCPUs)(unsafe.Pointer(&s.U))
}

// domctlSchedCredit mirrors struct xen_domctl_sched_credit and struct
// xen_domctl_sched_credit2 (identical; 0x14–0x18): 4 bytes.
type domctlSchedCredit struct {
	_      structs.HostLayout
	Weight uint16
	Cap    uint16
}

// XEN_DOMCTL_SCHEDRT_extra: the flag bit of xen_domctl_sched_rtds.flags.
const domctlSchedRTExtra = 1 << 0

// domctlSchedRTDS mirrors struct xen_domctl_sched_rtds (0x14–0x18): 12
// bytes, times in µs.
type domctlSchedRTDS struct {
	_      structs.HostLayout
	Period uint32
	Budget uint32
	Flags  uint32 // XEN_DOMCTL_SCHEDRT_*
}

// domctlSchedVCPUs mirrors the v member of the xen_domctl_scheduler_op
// union (0x14–0x18): 16 bytes.
type domctlSchedVCPUs struct {
	_       structs.HostLayout
	VCPUs   guestHandle // XEN_GUEST_HANDLE_64(xen_domctl_schedparam_vcpu_t)
	NrVCPUs uint32      // IN: entries; OUT: entries processed
	Padding uint32
}

// domctlSchedparamVCPU mirrors struct xen_domctl_schedparam_vcpu
// (0x14–0x18): 16 bytes: the 12-byte union {credit, credit2, rtds}, then
// the vCPU id. Xen implements per-vCPU parameters for rtds only, so only
// that member has an accessor.
type domctlSchedparamVCPU struct {
	_      structs.HostLayout
	U      [12]byte // union { credit; credit2; rtds } u
	VCPUID uint32
}

func (p *domctlSchedparamVCPU) rtds() *domctlSchedRTDS {
	return (*domctlSchedRTDS)(unsafe.Pointer(&p.U))
}
