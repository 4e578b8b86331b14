package hypercall

import "strconv"

// sysctl issues one __HYPERVISOR_sysctl whose request is in req.
func (x *Xen) sysctl(req []byte, cmd uint32, kind Op, op, target string, retry ...retryRule) error {
	s := view[sysctlOp](req)
	s.Cmd = cmd
	s.InterfaceVersion = x.abi.Sysctl
	return x.doReq(hypervisorSysctl, req, kind, op, target, retry)
}

// Physinfo implements Hypervisor with XEN_SYSCTL_physinfo, decoding the
// 4.16 layout when the ABI is 4.16's.
func (x *Xen) Physinfo() (Physinfo, error) {
	const op = "sysctl physinfo"
	var out Physinfo
	err := x.run(op, sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		if err := x.sysctl(req, sysctlCmdPhysinfo, OpPhysinfo, op, ""); err != nil {
			return err
		}
		s := view[sysctlOp](req)
		if x.abi.physinfoV14() {
			p := s.physinfoV14()
			out = Physinfo{
				ThreadsPerCore: p.ThreadsPerCore, CoresPerSocket: p.CoresPerSocket,
				NrCPUs: p.NrCPUs, MaxCPUID: p.MaxCPUID,
				NrNodes: p.NrNodes, MaxNodeID: p.MaxNodeID,
				CPUkHz: p.CPUkHz, Capabilities: PhysCaps(p.Capabilities),
				TotalPages: p.TotalPages, FreePages: p.FreePages,
				ScrubPages: p.ScrubPages, OutstandingPages: p.OutstandingPages,
				MaxMFN: p.MaxMFN, HWCap: p.HWCap,
			}
			return nil
		}
		p := s.physinfo()
		out = Physinfo{
			ThreadsPerCore: p.ThreadsPerCore, CoresPerSocket: p.CoresPerSocket,
			NrCPUs: p.NrCPUs, MaxCPUID: p.MaxCPUID,
			NrNodes: p.NrNodes, MaxNodeID: p.MaxNodeID,
			CPUkHz: p.CPUkHz, Capabilities: PhysCaps(p.Capabilities),
			ArchCapabilities: p.ArchCapabilities,
			TotalPages:       p.TotalPages, FreePages: p.FreePages,
			ScrubPages: p.ScrubPages, OutstandingPages: p.OutstandingPages,
			MaxMFN: p.MaxMFN, HWCap: p.HWCap,
		}
		return nil
	})
	return out, err
}

// SchedulerID implements Hypervisor with XEN_SYSCTL_sched_id.
func (x *Xen) SchedulerID() (Scheduler, error) {
	const op = "sysctl sched_id"
	var out Scheduler
	err := x.run(op, sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		if err := x.sysctl(req, sysctlCmdSchedID, OpSchedulerID, op, ""); err != nil {
			return err
		}
		out = Scheduler(view[sysctlOp](req).schedID().SchedID)
		return nil
	})
	return out, err
}

// CPUHotplug implements Hypervisor with XEN_SYSCTL_cpu_hotplug.
func (x *Xen) CPUHotplug(hop HotplugOp, cpu uint32) error {
	op := "sysctl cpu_hotplug " + hop.String()
	kind, target := OpCPUHotplugOnline, cpuTarget(cpu)
	switch hop {
	case HotplugOffline:
		kind = OpCPUHotplugOffline
	case HotplugSMTEnable, HotplugSMTDisable:
		kind, target = OpCPUHotplugSMT, ""
	}
	return x.run(op, sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		h := view[sysctlOp](req).cpuHotplug()
		h.CPU = cpu
		h.Op = uint32(hop)
		return x.sysctl(req, sysctlCmdCPUHotplug, kind, op, target)
	})
}

// CPUTopology implements Hypervisor with XEN_SYSCTL_cputopoinfo: one call
// with a null handle for the count, one to fill the array.
func (x *Xen) CPUTopology() ([]CPUTopology, error) {
	const op = "sysctl cputopoinfo"
	var n uint32
	err := x.run(op, sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		if err := x.sysctl(req, sysctlCmdCputopoinfo, OpCPUTopology, op, "count"); err != nil {
			return err
		}
		n = view[sysctlOp](req).cputopoinfo().NumCPUs
		return nil
	})
	if err != nil || n == 0 {
		return nil, err
	}
	var out []CPUTopology
	elem := sizeOf[sysctlCputopo]()
	err = x.run(op, arenaSize(sizeOf[sysctlOp](), int(n)*elem), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		arr := a.take(int(n) * elem)
		t := view[sysctlOp](req).cputopoinfo()
		t.NumCPUs = n
		t.Cputopo = addrOf(arr)
		if err := x.sysctl(req, sysctlCmdCputopoinfo, OpCPUTopology, op, "fill"); err != nil {
			return err
		}
		got := min(t.NumCPUs, n)
		out = make([]CPUTopology, got)
		for i, e := range viewSlice[sysctlCputopo](arr, int(got)) {
			out[i] = CPUTopology{CPU: uint32(i), Core: e.Core, Socket: e.Socket, Node: e.Node}
		}
		return nil
	})
	return out, err
}

// NUMAInfo implements Hypervisor with XEN_SYSCTL_numainfo: one call with
// null handles for the count, one to fill memory sizes and distances.
func (x *Xen) NUMAInfo() ([]NUMANode, error) {
	const op = "sysctl numainfo"
	var n uint32
	err := x.run(op, sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		if err := x.sysctl(req, sysctlCmdNumainfo, OpNUMAInfo, op, "count"); err != nil {
			return err
		}
		n = view[sysctlOp](req).numainfo().NumNodes
		return nil
	})
	if err != nil || n == 0 {
		return nil, err
	}
	var out []NUMANode
	memSz := int(n) * sizeOf[sysctlMeminfo]()
	distSz := int(n) * int(n) * 4
	err = x.run(op, arenaSize(sizeOf[sysctlOp](), memSz, distSz), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		mem := a.take(memSz)
		dist := a.take(distSz)
		ni := view[sysctlOp](req).numainfo()
		ni.NumNodes = n
		ni.Meminfo = addrOf(mem)
		ni.Distance = addrOf(dist)
		if err := x.sysctl(req, sysctlCmdNumainfo, OpNUMAInfo, op, "fill"); err != nil {
			return err
		}
		// Xen fills min(n, its count) nodes and stores row i of the
		// distances at i*that number.
		got := min(ni.NumNodes, n)
		mi := viewSlice[sysctlMeminfo](mem, int(got))
		di := viewSlice[uint32](dist, int(got)*int(got))
		out = make([]NUMANode, got)
		for i := range out {
			node := NUMANode{Node: uint32(i), Distances: append([]uint32(nil), di[i*int(got):(i+1)*int(got)]...)}
			if mi[i].Memsize != xenInvalidMemSize {
				node.Online = true
				node.MemSize, node.MemFree = mi[i].Memsize, mi[i].Memfree
			}
			out[i] = node
		}
		return nil
	})
	return out, err
}

// DomainInfoList implements Hypervisor with XEN_SYSCTL_getdomaininfolist.
func (x *Xen) DomainInfoList(first uint16, max uint32) ([]DomainInfo, error) {
	const op = "sysctl getdomaininfolist"
	if max == 0 {
		return nil, nil
	}
	elem := sizeOf[domctlGetdomaininfo]()
	var out []DomainInfo
	target := "from domain " + strconv.FormatUint(uint64(first), 10)
	err := x.run(op, arenaSize(sizeOf[sysctlOp](), int(max)*elem), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		buf := a.take(int(max) * elem)
		l := view[sysctlOp](req).getdomaininfolist()
		l.FirstDomain = first
		l.MaxDomains = max
		l.Buffer = addrOf(buf)
		if err := x.sysctl(req, sysctlCmdGetdomaininfolist, OpDomainInfoList, op, target); err != nil {
			return err
		}
		got := min(l.NumDomains, max)
		out = make([]DomainInfo, got)
		for i, d := range viewSlice[domctlGetdomaininfo](buf, int(got)) {
			out[i] = decodeDomainInfo(&d)
		}
		return nil
	})
	return out, err
}

// decodeDomainInfo converts xen_domctl_getdomaininfo.
func decodeDomainInfo(d *domctlGetdomaininfo) DomainInfo {
	return DomainInfo{
		Domid:            d.Domain,
		Flags:            d.Flags,
		TotPages:         d.TotPages,
		MaxPages:         d.MaxPages,
		OutstandingPages: d.OutstandingPages,
		ShrPages:         d.ShrPages,
		PagedPages:       d.PagedPages,
		SharedInfoFrame:  d.SharedInfoFrame,
		CPUTime:          durationNS(d.CPUTime),
		OnlineVCPUs:      d.NrOnlineVCPUs,
		MaxVCPUID:        d.MaxVCPUID,
		SSIDRef:          d.SSIDRef,
		Handle:           d.Handle,
		Cpupool:          d.Cpupool,
		GPAddrBits:       d.GPAddrBits,
	}
}

// PCITopology implements Hypervisor: it lists dom0's PCI devices (see
// ReadPCIDevices) and asks Xen for their nodes with
// XEN_SYSCTL_pcitopoinfo. One hypercall for up to 64 devices; Xen may
// stop after every 64 when it has other work, and the rest is asked for
// again, as xc_pcitopoinfo does. No devices costs no hypercall.
func (x *Xen) PCITopology() ([]PCITopology, error) {
	devs, err := ReadPCIDevices(x.pciDir)
	if err != nil {
		return nil, err
	}
	nodes, err := x.pciNodes(devs)
	if err != nil {
		return nil, err
	}
	out := make([]PCITopology, len(devs))
	for i, d := range devs {
		out[i] = PCITopology{Device: d, Node: nodes[i]}
	}
	return out, nil
}

// pciNodes issues XEN_SYSCTL_pcitopoinfo for devs and returns their nodes.
func (x *Xen) pciNodes(devs []PCIDevice) ([]uint32, error) {
	const op = "sysctl pcitopoinfo"
	n := len(devs)
	if n == 0 {
		return nil, nil
	}
	devSz, nodeSz := n*sizeOf[physdevPCIDevice](), n*4
	out := make([]uint32, n)
	err := x.run(op, arenaSize(sizeOf[sysctlOp](), devSz, nodeSz), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		devBuf := a.take(devSz)
		nodeBuf := a.take(nodeSz)
		in := viewSlice[physdevPCIDevice](devBuf, n)
		for i, d := range devs {
			in[i] = physdevPCIDevice{Seg: d.Seg, Bus: d.Bus, DevFn: d.DevFn}
		}
		nodes := viewSlice[uint32](nodeBuf, n)
		for done := 0; done < n; {
			clear(req)
			t := view[sysctlOp](req).pcitopoinfo()
			t.NumDevs = uint32(n - done)
			t.Devs = addrOf(devBuf[done*sizeOf[physdevPCIDevice]():])
			t.Nodes = addrOf(nodeBuf[done*4:])
			if err := x.sysctl(req, sysctlCmdPcitopoinfo, OpPCITopology, op, ""); err != nil {
				return err
			}
			got := int(view[sysctlOp](req).pcitopoinfo().NumDevs)
			if got == 0 || got > n-done {
				return &OpError{Op: op, Meaning: "Xen processed no device (or more than asked)"}
			}
			done += got
		}
		copy(out, nodes)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
