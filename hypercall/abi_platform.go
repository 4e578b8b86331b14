package hypercall

import (
	"structs"
	"unsafe"
)

// This file mirrors the parts of Xen's xen/include/public/platform.h that
// xgo uses, checked at tags RELEASE-4.16.0 … RELEASE-4.22.0
// (XENPF_INTERFACE_VERSION 0x03000001 in all of them) with gcc on x86_64.
// The CPU operations exist on x86 only (xen/arch/x86/platform_hypercall.c).

// xenpfInterfaceVersion is XENPF_INTERFACE_VERSION; do_platform_op
// returns -EACCES unless it matches exactly.
const xenpfInterfaceVersion = 0x03000001

// XENPF_* commands (platform.h).
const (
	xenpfGetCPUInfo = 55 // XENPF_get_cpuinfo
	xenpfCPUOnline  = 56 // XENPF_cpu_online
	xenpfCPUOffline = 57 // XENPF_cpu_offline
)

// platformOp mirrors struct xen_platform_op (platform.h, 0x03000001): 136
// bytes.
type platformOp struct {
	_                structs.HostLayout
	_                [0]uint64 // the union contains uint64_aligned_t members
	Cmd              uint32    // XENPF_*
	InterfaceVersion uint32    // XENPF_INTERFACE_VERSION
	U                [128]byte // union { …; uint8_t pad[128]; } u
}

func (p *platformOp) pcpuInfo() *xenpfPCPUInfo { return (*xenpfPCPUInfo)(unsafe.Pointer(&p.U)) }
func (p *platformOp) cpuOL() *xenpfCPUOL       { return (*xenpfCPUOL)(unsafe.Pointer(&p.U)) }

// XEN_PCPU_FLAGS_* bits of xenpf_pcpuinfo.flags (platform.h).
const (
	xenPCPUFlagsOnline  = 1 // XEN_PCPU_FLAGS_ONLINE
	xenPCPUFlagsInvalid = 2 // XEN_PCPU_FLAGS_INVALID: not present or out of range
)

// xenpfPCPUInfo mirrors struct xenpf_pcpuinfo (platform.h, 0x03000001):
// 20 bytes.
type xenpfPCPUInfo struct {
	_          structs.HostLayout
	XenCPUID   uint32 // IN
	MaxPresent uint32 // OUT: last present CPU id
	Flags      uint32 // OUT: XEN_PCPU_FLAGS_*
	APICID     uint32 // OUT (left untouched when INVALID)
	ACPIID     uint32 // OUT (left untouched when INVALID)
}

// xenpfCPUOL mirrors struct xenpf_cpu_ol (platform.h, 0x03000001): 4
// bytes.
type xenpfCPUOL struct {
	_     structs.HostLayout
	CPUID uint32
}
