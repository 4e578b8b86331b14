package hypercall

import (
	"fmt"
	"time"
)

// durationNS converts a Xen nanosecond count.
func durationNS(ns uint64) time.Duration {
	if ns > uint64(1<<63-1) {
		return time.Duration(1<<63 - 1)
	}
	return time.Duration(ns)
}

// PoolSchedParams implements Hypervisor with XEN_SYSCTL_scheduler_op
// getinfo.
func (x *Xen) PoolSchedParams(pool uint32, sched Scheduler) (PoolSchedParams, error) {
	return x.poolSched(pool, PoolSchedParams{Scheduler: sched}, sysctlSchedopGetinfo)
}

// SetPoolSchedParams implements Hypervisor with XEN_SYSCTL_scheduler_op
// putinfo.
func (x *Xen) SetPoolSchedParams(pool uint32, p PoolSchedParams) error {
	_, err := x.poolSched(pool, p, sysctlSchedopPutinfo)
	return err
}

func (x *Xen) poolSched(pool uint32, p PoolSchedParams, cmd uint32) (PoolSchedParams, error) {
	op := "sysctl scheduler_op getinfo"
	if cmd == sysctlSchedopPutinfo {
		op = "sysctl scheduler_op putinfo"
	}
	target := poolTarget(pool) + ", " + p.Scheduler.String()
	schedSz := 0
	if p.Scheduler == SchedARINC653 {
		schedSz = sizeOf[sysctlARINC653Schedule]()
		if cmd == sysctlSchedopPutinfo {
			if p.ARINC653 == nil {
				return p, &OpError{Op: op, Target: target, Meaning: "no ARINC653 schedule given", Err: errnoInval}
			}
			if len(p.ARINC653.Entries) > arinc653MaxDomainsPerSchedule {
				return p, &OpError{Op: op, Target: target, Meaning: fmt.Sprintf("ARINC653 schedule has %d entries, at most %d fit", len(p.ARINC653.Entries), arinc653MaxDomainsPerSchedule), Err: errnoInval}
			}
		}
	}
	out := PoolSchedParams{Scheduler: p.Scheduler}
	err := x.run(op, arenaSize(sizeOf[sysctlOp](), schedSz), func(a *arena) error {
		req := a.take(sizeOf[sysctlOp]())
		so := view[sysctlOp](req).schedulerOp()
		so.CpupoolID = pool
		so.SchedID = uint32(p.Scheduler)
		so.Cmd = cmd
		var sched []byte
		switch p.Scheduler {
		case SchedCredit:
			if cmd == sysctlSchedopPutinfo {
				c := so.credit()
				c.TsliceMS, c.RatelimitUS, c.VCPUMigrDelayUS = p.TsliceMS, p.RatelimitUS, p.MigrationDelayUS
			}
		case SchedCredit2:
			if cmd == sysctlSchedopPutinfo {
				so.credit2().RatelimitUS = p.RatelimitUS
			}
		case SchedARINC653:
			sched = a.take(schedSz)
			so.arinc653().Schedule = addrOf(sched)
			if cmd == sysctlSchedopPutinfo {
				encodeARINC653(view[sysctlARINC653Schedule](sched), p.ARINC653)
			}
		}
		if err := x.sysctl(req, sysctlCmdSchedulerOp, OpPoolSchedParams, op, target); err != nil {
			return err
		}
		switch p.Scheduler {
		case SchedCredit:
			c := so.credit()
			out.TsliceMS, out.RatelimitUS, out.MigrationDelayUS = c.TsliceMS, c.RatelimitUS, c.VCPUMigrDelayUS
		case SchedCredit2:
			out.RatelimitUS = so.credit2().RatelimitUS
		case SchedARINC653:
			if cmd == sysctlSchedopGetinfo {
				out.ARINC653 = decodeARINC653(view[sysctlARINC653Schedule](sched))
			} else {
				out.ARINC653 = p.ARINC653
			}
		}
		return nil
	})
	return out, err
}

func encodeARINC653(dst *sysctlARINC653Schedule, s *ARINC653Schedule) {
	dst.MajorFrame = uint64(s.MajorFrame)
	dst.NumSchedEntries = uint8(len(s.Entries))
	for i, e := range s.Entries {
		dst.SchedEntries[i] = sysctlARINC653Entry{DomHandle: e.DomainHandle, VCPUID: e.VCPU, Runtime: uint64(e.Runtime)}
	}
}

func decodeARINC653(src *sysctlARINC653Schedule) *ARINC653Schedule {
	s := &ARINC653Schedule{MajorFrame: durationNS(src.MajorFrame)}
	n := min(int(src.NumSchedEntries), arinc653MaxDomainsPerSchedule)
	for _, e := range src.SchedEntries[:n] {
		s.Entries = append(s.Entries, ARINC653Entry{DomainHandle: e.DomHandle, VCPU: e.VCPUID, Runtime: durationNS(e.Runtime)})
	}
	return s
}
