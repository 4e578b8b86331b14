//go:build !arm64

package hypercall

import "structs"

// archDomainConfig mirrors struct xen_arch_domainconfig from Xen's
// xen/include/public/arch-x86/xen.h (XEN_DOMCTL_INTERFACE_VERSION
// 0x14–0x18; misc_flags exists since 4.16): 8 bytes. Hosts other than
// arm64 use the x86 layout; x86_64 is the only one Xen runs dom0 on.
type archDomainConfig struct {
	_              structs.HostLayout
	EmulationFlags uint32 // XEN_X86_EMU_*
	MiscFlags      uint32 // XEN_X86_MSR_RELAXED
}
