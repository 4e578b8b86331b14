package hypercall

import "strconv"

// platformOp issues one __HYPERVISOR_platform_op whose request is in req.
func (x *Xen) platform(req []byte, cmd uint32, kind Op, op, target string, retry ...retryRule) error {
	p := view[platformOp](req)
	p.Cmd = cmd
	p.InterfaceVersion = x.abi.Platform
	return x.doReq(hypervisorPlatformOp, req, kind, op, target, retry)
}

// PCPUInfo implements Hypervisor with XENPF_get_cpuinfo.
func (x *Xen) PCPUInfo(cpu uint32) (PCPUInfo, error) {
	const op = "platform_op get_cpuinfo"
	var out PCPUInfo
	err := x.run(op, sizeOf[platformOp](), func(a *arena) error {
		req := a.take(sizeOf[platformOp]())
		p := view[platformOp](req)
		p.pcpuInfo().XenCPUID = cpu
		if err := x.platform(req, xenpfGetCPUInfo, OpPCPUInfo, op, cpuTarget(cpu), retryEBUSY); err != nil {
			return err
		}
		pi := p.pcpuInfo()
		out = PCPUInfo{
			CPU:        cpu,
			MaxPresent: pi.MaxPresent,
			Online:     pi.Flags&xenPCPUFlagsOnline != 0,
			Invalid:    pi.Flags&xenPCPUFlagsInvalid != 0,
			APICID:     pi.APICID,
			ACPIID:     pi.ACPIID,
		}
		return nil
	})
	return out, err
}

// PlatformCPUOnline implements Hypervisor with XENPF_cpu_online.
func (x *Xen) PlatformCPUOnline(cpu uint32) error {
	return x.platformCPUOL(xenpfCPUOnline, OpPlatformCPUOnline, "platform_op cpu_online", cpu)
}

// PlatformCPUOffline implements Hypervisor with XENPF_cpu_offline.
func (x *Xen) PlatformCPUOffline(cpu uint32) error {
	return x.platformCPUOL(xenpfCPUOffline, OpPlatformCPUOffline, "platform_op cpu_offline", cpu)
}

func (x *Xen) platformCPUOL(cmd uint32, kind Op, op string, cpu uint32) error {
	return x.run(op, sizeOf[platformOp](), func(a *arena) error {
		req := a.take(sizeOf[platformOp]())
		view[platformOp](req).cpuOL().CPUID = cpu
		return x.platform(req, cmd, kind, op, cpuTarget(cpu))
	})
}

func cpuTarget(cpu uint32) string {
	return "cpu " + strconv.FormatUint(uint64(cpu), 10)
}

func poolTarget(id uint32) string {
	if id == PoolAny {
		return "any pool"
	}
	return "pool " + strconv.FormatUint(uint64(id), 10)
}

func domTarget(domid uint16) string {
	return "domain " + strconv.FormatUint(uint64(domid), 10)
}
