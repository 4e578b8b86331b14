//go:build arm64

package hypercall

import "structs"

// archDomainConfig mirrors struct xen_arch_domainconfig from Xen's
// xen/include/public/arch-arm.h. Its size grew from 12 bytes (4.16–4.20:
// gic_version, [sve_vl since 4.19,] tee_type, nr_spis, clock_frequency) to
// 16 (4.21: arm_sci_type; 4.22: v8r_el1_msa and pad), but inside
// xen_domctl_getdomaininfo it always ends at offset 120 because the
// struct is padded to 8 bytes; xgo only needs the stride, so it keeps the
// 4.22 form.
type archDomainConfig struct {
	_              structs.HostLayout
	GICVersion     uint8
	SVEVL          uint8
	TEEType        uint16
	NrSPIs         uint32
	ClockFrequency uint32
	ARMSCIType     uint8
	V8REL1MSA      uint8
	Pad            uint16
}
