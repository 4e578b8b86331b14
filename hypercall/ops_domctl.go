package hypercall

import (
	"fmt"
	"syscall"
)

// errnoInval is EINVAL for errors xgo detects before calling Xen.
var errnoInval = syscall.Errno(xenEINVAL)

// domctl issues one __HYPERVISOR_domctl whose request is in req.
func (x *Xen) domctl(req []byte, cmd uint32, domid uint16, kind Op, op, target string) error {
	d := view[domctlOp](req)
	d.Cmd = cmd
	d.InterfaceVersion = x.abi.Domctl
	d.Domain = domid
	return x.doReq(hypervisorDomctl, req, kind, op, target, nil)
}

// DomainInfo implements Hypervisor with XEN_DOMCTL_getdomaininfo. Before
// Xen 4.18 that call returns the next domain at or above domid; xgo turns
// a different domain into ESRCH so every release behaves like 4.18+.
func (x *Xen) DomainInfo(domid uint16) (DomainInfo, error) {
	const op = "domctl getdomaininfo"
	var out DomainInfo
	err := x.run(op, sizeOf[domctlOp](), func(a *arena) error {
		req := a.take(sizeOf[domctlOp]())
		if err := x.domctl(req, domctlCmdGetdomaininfo, domid, OpDomainInfo, op, domTarget(domid)); err != nil {
			return err
		}
		info := view[domctlOp](req).getdomaininfo()
		if info.Domain != domid {
			return newOpError(OpDomainInfo, op, domTarget(domid), syscall.Errno(xenESRCH))
		}
		out = decodeDomainInfo(info)
		return nil
	})
	return out, err
}

// DomainSchedParams implements Hypervisor with XEN_DOMCTL_scheduler_op
// getinfo.
func (x *Xen) DomainSchedParams(domid uint16, sched Scheduler) (DomainSchedParams, error) {
	return x.domSched(domid, DomainSchedParams{Scheduler: sched}, domctlSchedopGetinfo)
}

// SetDomainSchedParams implements Hypervisor with XEN_DOMCTL_scheduler_op
// putinfo.
func (x *Xen) SetDomainSchedParams(domid uint16, p DomainSchedParams) error {
	_, err := x.domSched(domid, p, domctlSchedopPutinfo)
	return err
}

func (x *Xen) domSched(domid uint16, p DomainSchedParams, cmd uint32) (DomainSchedParams, error) {
	op := "domctl scheduler_op getinfo"
	if cmd == domctlSchedopPutinfo {
		op = "domctl scheduler_op putinfo"
	}
	out := DomainSchedParams{Scheduler: p.Scheduler}
	err := x.run(op, sizeOf[domctlOp](), func(a *arena) error {
		req := a.take(sizeOf[domctlOp]())
		so := view[domctlOp](req).schedulerOp()
		so.SchedID = uint32(p.Scheduler)
		so.Cmd = cmd
		if cmd == domctlSchedopPutinfo {
			switch p.Scheduler {
			case SchedCredit, SchedCredit2:
				so.credit().Weight, so.credit().Cap = p.Weight, p.Cap
			case SchedRTDS:
				so.rtds().Period, so.rtds().Budget = p.PeriodUS, p.BudgetUS
			}
		}
		if err := x.domctl(req, domctlCmdSchedulerOp, domid, OpDomainSchedParams, op, domTarget(domid)+", "+p.Scheduler.String()); err != nil {
			return err
		}
		switch p.Scheduler {
		case SchedCredit, SchedCredit2:
			out.Weight, out.Cap = so.credit().Weight, so.credit().Cap
		case SchedRTDS:
			out.PeriodUS, out.BudgetUS = so.rtds().Period, so.rtds().Budget
		}
		return nil
	})
	return out, err
}

// VCPUSchedParams implements Hypervisor with XEN_DOMCTL_SCHEDOP_getvcpuinfo.
func (x *Xen) VCPUSchedParams(domid uint16, sched Scheduler, vcpus []uint32) ([]VCPUSchedParams, error) {
	in := make([]VCPUSchedParams, len(vcpus))
	for i, v := range vcpus {
		in[i].VCPU = v
	}
	return x.vcpuSched(domid, sched, in, domctlSchedopGetvcpuinfo)
}

// SetVCPUSchedParams implements Hypervisor with
// XEN_DOMCTL_SCHEDOP_putvcpuinfo.
func (x *Xen) SetVCPUSchedParams(domid uint16, sched Scheduler, params []VCPUSchedParams) error {
	_, err := x.vcpuSched(domid, sched, params, domctlSchedopPutvcpuinfo)
	return err
}

// maxVCPUBatch bounds the per-vCPU array of one call. Xen may process
// fewer (it stops after 64 when it must preempt) and reports how many, so
// xgo loops over the rest like libxc does.
const maxVCPUBatch = 4096

func (x *Xen) vcpuSched(domid uint16, sched Scheduler, params []VCPUSchedParams, cmd uint32) ([]VCPUSchedParams, error) {
	op := "domctl scheduler_op getvcpuinfo"
	if cmd == domctlSchedopPutvcpuinfo {
		op = "domctl scheduler_op putvcpuinfo"
	}
	target := domTarget(domid) + ", " + sched.String()
	if len(params) == 0 {
		return nil, nil
	}
	if len(params) > maxVCPUBatch {
		return nil, &OpError{Op: op, Target: target, Meaning: fmt.Sprintf("%d vCPUs requested, at most %d supported", len(params), maxVCPUBatch), Err: errnoInval}
	}
	elem := sizeOf[domctlSchedparamVCPU]()
	out := make([]VCPUSchedParams, len(params))
	err := x.run(op, arenaSize(sizeOf[domctlOp](), len(params)*elem), func(a *arena) error {
		req := a.take(sizeOf[domctlOp]())
		arr := a.take(len(params) * elem)
		entries := viewSlice[domctlSchedparamVCPU](arr, len(params))
		for i, p := range params {
			e := &entries[i]
			e.VCPUID = p.VCPU
			if cmd == domctlSchedopPutvcpuinfo && sched == SchedRTDS {
				r := e.rtds()
				r.Period, r.Budget = p.PeriodUS, p.BudgetUS
				if p.Extratime {
					r.Flags = domctlSchedRTExtra
				}
			}
		}
		for done := 0; done < len(params); {
			clear(req)
			so := view[domctlOp](req).schedulerOp()
			so.SchedID = uint32(sched)
			so.Cmd = cmd
			v := so.vcpus()
			v.VCPUs = addrOf(arr[done*elem:])
			v.NrVCPUs = uint32(len(params) - done)
			if err := x.domctl(req, domctlCmdSchedulerOp, domid, OpDomainSchedParams, op, target); err != nil {
				return err
			}
			n := int(v.NrVCPUs)
			if n <= 0 || n > len(params)-done {
				return &OpError{Op: op, Target: target, Meaning: fmt.Sprintf("Xen reported %d of %d vCPUs processed", n, len(params)-done), Err: syscall.Errno(xenEIO)}
			}
			done += n
		}
		for i := range entries {
			e := &entries[i]
			out[i] = VCPUSchedParams{VCPU: e.VCPUID}
			if sched == SchedRTDS {
				r := e.rtds()
				out[i].PeriodUS, out[i].BudgetUS = r.Period, r.Budget
				out[i].Extratime = r.Flags&domctlSchedRTExtra != 0
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
