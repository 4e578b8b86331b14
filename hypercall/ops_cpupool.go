package hypercall

import (
	"strconv"

	"xgo.dev/xgo/cpuset"
)

// cpumapBits is the size of the cpumaps xgo offers Xen: 4096 CPUs, the
// largest NR_CPUS Xen's Kconfig allows (x86: 4095). Xen copies
// min(nr_bits, nr_cpu_ids) bits and zero-fills the rest.
const cpumapBits = 4096

// cpupool issues one XEN_SYSCTL_cpupool_op. Like libxc's do_sysctl_save it
// retries EAGAIN ("cpu busy in the hypervisor"), within bounds.
func (x *Xen) cpupool(req []byte, kind Op, sub, target string, retry ...retryRule) error {
	return x.sysctl(req, sysctlCmdCpupoolOp, kind, "sysctl cpupool_op "+sub, target, append([]retryRule{retryEAGAIN}, retry...)...)
}

// CpupoolCreate implements Hypervisor with XEN_SYSCTL_CPUPOOL_OP_CREATE.
func (x *Xen) CpupoolCreate(id uint32, sched Scheduler) (uint32, error) {
	var out uint32
	target := poolTarget(id) + ", " + sched.String()
	err := x.run("sysctl cpupool_op create", sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpCreate
		c.CpupoolID = id
		c.SchedID = uint32(sched)
		if err := x.cpupool(req, OpCpupoolCreate, "create", target); err != nil {
			return err
		}
		out = c.CpupoolID
		return nil
	})
	return out, err
}

// CpupoolDestroy implements Hypervisor with XEN_SYSCTL_CPUPOOL_OP_DESTROY.
func (x *Xen) CpupoolDestroy(id uint32) error {
	return x.run("sysctl cpupool_op destroy", sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpDestroy
		c.CpupoolID = id
		return x.cpupool(req, OpCpupoolDestroy, "destroy", poolTarget(id))
	})
}

// CpupoolInfo implements Hypervisor with XEN_SYSCTL_CPUPOOL_OP_INFO.
func (x *Xen) CpupoolInfo(id uint32) (CpupoolInfo, error) {
	var out CpupoolInfo
	err := x.run("sysctl cpupool_op info", arenaSize(sizeOf[sysctlOp](), cpumapBits/8), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		cpumap := a.take(cpumapBits / 8)
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpInfo
		c.CpupoolID = id
		c.Cpumap = xenctlBitmap{Bitmap: addrOf(cpumap), NrBits: cpumapBits}
		if err := x.cpupool(req, OpCpupoolInfo, "info", "pool ≥ "+strconv.FormatUint(uint64(id), 10)); err != nil {
			return err
		}
		out = CpupoolInfo{ID: c.CpupoolID, Scheduler: Scheduler(c.SchedID), NDom: c.NDom, CPUs: cpuset.FromBitmap(cpumap)}
		return nil
	})
	return out, err
}

// CpupoolAddCPU implements Hypervisor with XEN_SYSCTL_CPUPOOL_OP_ADDCPU.
func (x *Xen) CpupoolAddCPU(id, cpu uint32) error {
	return x.run("sysctl cpupool_op addcpu", sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpAddCPU
		c.CpupoolID = id
		c.CPU = cpu
		return x.cpupool(req, OpCpupoolAddCPU, "addcpu", poolTarget(id)+", "+poolCPUTarget(cpu))
	})
}

// CpupoolRemoveCPU implements Hypervisor with XEN_SYSCTL_CPUPOOL_OP_RMCPU.
// Like xc_cpupool_removecpu it retries EADDRINUSE (a vCPU temporarily
// pinned to the CPU) a few times.
func (x *Xen) CpupoolRemoveCPU(id, cpu uint32) error {
	return x.run("sysctl cpupool_op rmcpu", sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpRmCPU
		c.CpupoolID = id
		c.CPU = cpu
		return x.cpupool(req, OpCpupoolRemoveCPU, "rmcpu", poolTarget(id)+", "+poolCPUTarget(cpu), retryEADDRINUSE)
	})
}

// CpupoolMoveDomain implements Hypervisor with
// XEN_SYSCTL_CPUPOOL_OP_MOVEDOMAIN.
func (x *Xen) CpupoolMoveDomain(id uint32, domid uint16) error {
	return x.run("sysctl cpupool_op movedomain", sizeOf[sysctlOp](), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpMoveDomain
		c.CpupoolID = id
		c.Domid = uint32(domid)
		return x.cpupool(req, OpCpupoolMoveDomain, "movedomain", poolTarget(id)+", "+domTarget(domid))
	})
}

// CpupoolFreeCPUs implements Hypervisor with XEN_SYSCTL_CPUPOOL_OP_FREEINFO.
func (x *Xen) CpupoolFreeCPUs() (cpuset.Set, error) {
	var out cpuset.Set
	err := x.run("sysctl cpupool_op freeinfo", arenaSize(sizeOf[sysctlOp](), cpumapBits/8), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		cpumap := a.take(cpumapBits / 8)
		c := view[sysctlOp](req).cpupoolOp()
		c.Op = cpupoolOpFreeInfo
		c.Cpumap = xenctlBitmap{Bitmap: addrOf(cpumap), NrBits: cpumapBits}
		if err := x.cpupool(req, OpCpupoolFreeCPUs, "freeinfo", ""); err != nil {
			return err
		}
		out = cpuset.FromBitmap(cpumap)
		return nil
	})
	return out, err
}

func poolCPUTarget(cpu uint32) string {
	if cpu == PoolAny {
		return "any cpu"
	}
	return cpuTarget(cpu)
}
