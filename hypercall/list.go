package hypercall

import (
	"errors"
	"syscall"
)

// ListPCPUs returns PCPUInfo for every CPU id from 0 to the last present
// one, the way Linux's xen-pcpu driver enumerates them: one call for CPU 0
// tells MaxPresent, then one call per further CPU, N calls for N ids.
// Non-present ids come back with Invalid set.
func ListPCPUs(h Hypervisor) ([]PCPUInfo, error) {
	first, err := h.PCPUInfo(0)
	if err != nil {
		return nil, err
	}
	out := make([]PCPUInfo, 0, int(first.MaxPresent)+1)
	out = append(out, first)
	for cpu := uint32(1); cpu <= first.MaxPresent; cpu++ {
		info, err := h.PCPUInfo(cpu)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// ListCpupools returns every cpupool in id order by asking CpupoolInfo
// for the next pool until ENOENT: pools+1 calls.
func ListCpupools(h Hypervisor) ([]CpupoolInfo, error) {
	var out []CpupoolInfo
	for id := uint32(0); ; {
		info, err := h.CpupoolInfo(id)
		if errors.Is(err, syscall.Errno(xenENOENT)) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
		if info.ID < id || info.ID >= PoolAny-1 {
			return out, nil
		}
		id = info.ID + 1
	}
}

// listDomainsBatch is how many domains ListDomains asks for per call.
const listDomainsBatch = getdomaininfoMaxList

// ListDomains returns every domain in domid order.
func ListDomains(h Hypervisor) ([]DomainInfo, error) {
	var out []DomainInfo
	for first := uint16(0); first < domidFirstReserved; {
		batch, err := h.DomainInfoList(first, listDomainsBatch)
		if err != nil {
			return nil, err
		}
		out = append(out, batch...)
		if len(batch) < listDomainsBatch {
			break
		}
		last := batch[len(batch)-1].Domid
		if last < first {
			break
		}
		first = last + 1
	}
	return out, nil
}
