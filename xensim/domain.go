package xensim

import (
	"strconv"
	"syscall"
	"time"

	"xgo.dev/xgo/hypercall"
)

// DomainInfo implements hypercall.Hypervisor (XEN_DOMCTL_getdomaininfo):
// -ESRCH for an unknown domain.
func (h *Host) DomainInfo(domid uint16) (hypercall.DomainInfo, error) {
	var out hypercall.DomainInfo
	err := h.call(OpDomainInfo, func() string { return domTarget(domid) }, plain(func() syscall.Errno {
		d := h.doms[domid]
		if d == nil {
			return eSRCH
		}
		out = h.info(d)
		return 0
	}))
	return out, err
}

// DomainInfoList implements hypercall.Hypervisor
// (XEN_SYSCTL_getdomaininfolist): up to max domains with domid ≥ first,
// in domid order. max 0 asks nothing, as in *hypercall.Xen.
func (h *Host) DomainInfoList(first uint16, max uint32) ([]hypercall.DomainInfo, error) {
	if max == 0 {
		return nil, nil
	}
	var out []hypercall.DomainInfo
	target := func() string { return "from domain " + strconv.FormatUint(uint64(first), 10) }
	err := h.call(OpDomainInfoList, target, plain(func() syscall.Errno {
		out = out[:0]
		for _, d := range h.domains {
			if d.domid < first {
				continue
			}
			if uint32(len(out)) >= max {
				break
			}
			out = append(out, h.info(d))
		}
		return 0
	}))
	return out, err
}

// info fills xen_domctl_getdomaininfo for d (getdomaininfo in
// xen/common/domctl.c): dom0 runs (it is the caller), the guests are idle
// and blocked.
func (h *Host) info(d *domain) hypercall.DomainInfo {
	flags := uint32(dominfBlocked)
	if d.domid == 0 {
		flags = dominfRunning
	}
	if d.hvm {
		flags |= dominfHVMGuest
		if h.hw.caps&hypercall.PhysCapHAP != 0 {
			flags |= dominfHAP
		}
	}
	// max_pages: dom0's is dom0_mem's max:; libxl__build_pre gives a
	// guest its memory target plus LIBXL_MAXMEM_CONSTANT (1 MiB on x86,
	// libxl__arch_extra_memory), whatever maxmem= says (seen in the lab:
	// a 128 MiB domU has 129 MiB of max_pages).
	maxKB := d.maxKB
	if d.domid != 0 {
		maxKB = d.memKB + libxlMaxmemConstantKB
	}
	return hypercall.DomainInfo{
		Domid:           d.domid,
		Flags:           flags,
		TotPages:        d.memKB / 4,
		MaxPages:        maxKB / 4,
		SharedInfoFrame: 0x100000 + uint64(d.domid)*0x1000,
		CPUTime:         time.Duration(d.cpuTime),
		OnlineVCPUs:     d.vcpus,
		MaxVCPUID:       d.vcpus - 1,
		Handle:          d.uuid,
		Cpupool:         d.pool.id,
		GPAddrBits:      h.hw.gpaddrBits,
	}
}

// libxlMaxmemConstantKB is LIBXL_MAXMEM_CONSTANT (libxl_internal.h): the
// slack libxl adds to a guest's max_pages on x86.
const libxlMaxmemConstantKB = 1024
