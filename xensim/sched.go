package xensim

import (
	"fmt"
	"syscall"
	"time"

	"xgo.dev/xgo/hypercall"
)

// Scheduler limits and defaults (xen/include/public/sysctl.h,
// xen/common/sched/{private.h,credit.c,credit2.c,rt.c}).
const (
	ratelimitMinUS      = 100    // XEN_SYSCTL_SCHED_RATELIMIT_MIN
	ratelimitMaxUS      = 500000 // XEN_SYSCTL_SCHED_RATELIMIT_MAX
	tsliceMinMS         = 1      // XEN_SYSCTL_CSCHED_TSLICE_MIN
	tsliceMaxMS         = 1000   // XEN_SYSCTL_CSCHED_TSLICE_MAX
	migrDelayMaxUS      = 100000 // XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US
	defaultRatelimitUS  = 1000   // SCHED_DEFAULT_RATELIMIT_US (sched_ratelimit_us)
	defaultTsliceMS     = 30     // CSCHED_DEFAULT_TSLICE_MS
	defaultWeight       = 256    // CSCHED_DEFAULT_WEIGHT, CSCHED2_DEFAULT_WEIGHT
	rtdsDefaultPeriodUS = 10000  // RTDS_DEFAULT_PERIOD
	rtdsDefaultBudgetUS = 4000   // RTDS_DEFAULT_BUDGET
	rtdsMinUS           = 10     // RTDS_MIN_PERIOD, RTDS_MIN_BUDGET
	arinc653MaxEntries  = 64     // ARINC653_MAX_DOMAINS_PER_SCHEDULE
	maxVCPUBatch        = 4096   // hypercall's per-call vCPU bound
)

// creditParams is the credit scheduler's csched_private as sysctl sees it.
type creditParams struct {
	tsliceMS, ratelimitUS, migrDelayUS uint32
}

func defaultCreditParams() creditParams {
	return creditParams{tsliceMS: defaultTsliceMS, ratelimitUS: defaultRatelimitUS}
}

func (c *creditParams) apply(p *PoolParams) {
	if p.TsliceMS != nil {
		c.tsliceMS = *p.TsliceMS
	}
	if p.RatelimitUS != nil {
		c.ratelimitUS = *p.RatelimitUS
	}
	if p.MigrationDelayUS != nil {
		c.migrDelayUS = *p.MigrationDelayUS
	}
}

// check is the putinfo range check of csched_sys_cntl.
func (c creditParams) check() syscall.Errno {
	if c.tsliceMS > tsliceMaxMS || c.tsliceMS < tsliceMinMS ||
		!ratelimitOK(c.ratelimitUS) ||
		uint64(c.ratelimitUS)*1000 > uint64(c.tsliceMS)*1000000 ||
		c.migrDelayUS > migrDelayMaxUS {
		return eINVAL
	}
	return 0
}

func ratelimitOK(us uint32) bool {
	return us == 0 || us >= ratelimitMinUS && us <= ratelimitMaxUS
}

// rtParams is one vCPU's rt_unit.
type rtParams struct {
	periodUS, budgetUS uint32
	extratime          bool
}

// resetSched gives the domain its scheduler's fresh data, as
// sched_alloc_domdata / alloc_udata do at creation and on a pool move.
func (d *domain) resetSched() {
	d.weight, d.cap, d.rt = 0, 0, nil
	switch d.pool.sched {
	case hypercall.SchedCredit, hypercall.SchedCredit2:
		d.weight = defaultWeight
	case hypercall.SchedRTDS:
		d.rt = make([]rtParams, d.vcpus)
		for i := range d.rt {
			// rt_alloc_udata: default period and budget, extratime set.
			d.rt[i] = rtParams{rtdsDefaultPeriodUS, rtdsDefaultBudgetUS, true}
		}
	}
}

// PoolSchedParams implements hypercall.Hypervisor (XEN_SYSCTL_scheduler_op
// getinfo, sched_adjust_global in xen/common/sched/core.c): -ESRCH for an
// unknown pool, -EINVAL when sched is not the pool's scheduler.
func (h *Host) PoolSchedParams(id uint32, sched hypercall.Scheduler) (hypercall.PoolSchedParams, error) {
	out := hypercall.PoolSchedParams{Scheduler: sched}
	target := func() string { return poolTarget(id) + ", " + sched.String() }
	err := h.call(OpPoolSchedGet, target, plain(func() syscall.Errno {
		p := h.findPool(id)
		if p == nil {
			return eSRCH
		}
		if p.sched != sched {
			return eINVAL
		}
		out = p.params()
		return 0
	}))
	return out, err
}

func (p *pool) params() hypercall.PoolSchedParams {
	out := hypercall.PoolSchedParams{Scheduler: p.sched}
	switch p.sched {
	case hypercall.SchedCredit:
		out.TsliceMS, out.RatelimitUS, out.MigrationDelayUS = p.credit.tsliceMS, p.credit.ratelimitUS, p.credit.migrDelayUS
	case hypercall.SchedCredit2:
		out.RatelimitUS = p.credit2
	case hypercall.SchedARINC653:
		s := p.a653
		s.Entries = append([]hypercall.ARINC653Entry(nil), s.Entries...)
		out.ARINC653 = &s
	}
	return out
}

// SetPoolSchedParams implements hypercall.Hypervisor (scheduler_op
// putinfo): the pool and scheduler checks of sched_adjust_global, then
// the scheduler's own: csched_sys_cntl (tslice 1–1000 ms, ratelimit 0 or
// 100–500000 µs and not above the tslice, migration delay ≤ 100000 µs),
// csched2_sys_cntl (ratelimit 0 or 100–500000 µs), arinc653_sched_set
// (1–64 entries, positive runtimes within a positive major frame). RTDS
// and null have no adjust_global: putinfo succeeds and changes nothing.
func (h *Host) SetPoolSchedParams(id uint32, p hypercall.PoolSchedParams) error {
	target := func() string { return poolTarget(id) + ", " + p.Scheduler.String() }
	if p.Scheduler == hypercall.SchedARINC653 {
		if p.ARINC653 == nil {
			return invalidArg(OpPoolSchedPut, target(), "no ARINC653 schedule given")
		}
		if len(p.ARINC653.Entries) > arinc653MaxEntries {
			return invalidArg(OpPoolSchedPut, target(), fmt.Sprintf("ARINC653 schedule has %d entries, at most %d fit", len(p.ARINC653.Entries), arinc653MaxEntries))
		}
	}
	return h.call(OpPoolSchedPut, target, plain(func() syscall.Errno {
		pl := h.findPool(id)
		if pl == nil {
			return eSRCH
		}
		if pl.sched != p.Scheduler {
			return eINVAL
		}
		switch pl.sched {
		case hypercall.SchedCredit:
			c := creditParams{p.TsliceMS, p.RatelimitUS, p.MigrationDelayUS}
			if e := c.check(); e != 0 {
				return e
			}
			pl.credit = c
		case hypercall.SchedCredit2:
			if !ratelimitOK(p.RatelimitUS) {
				return eINVAL
			}
			pl.credit2 = p.RatelimitUS
		case hypercall.SchedARINC653:
			s := p.ARINC653
			if s.MajorFrame <= 0 || len(s.Entries) < 1 {
				return eINVAL
			}
			var total time.Duration
			for _, e := range s.Entries {
				if e.Runtime <= 0 {
					return eINVAL
				}
				total += e.Runtime
			}
			if total > s.MajorFrame {
				return eINVAL
			}
			pl.a653 = hypercall.ARINC653Schedule{MajorFrame: s.MajorFrame, Entries: append([]hypercall.ARINC653Entry(nil), s.Entries...)}
		}
		return 0
	}))
}

// domSchedCheck is the common part of sched_adjust
// (xen/common/sched/core.c) reached through do_domctl: -ESRCH for an
// unknown domain, -EINVAL when sched is not its pool's scheduler.
func (h *Host) domSchedCheck(domid uint16, sched hypercall.Scheduler) (*domain, syscall.Errno) {
	d := h.doms[domid]
	if d == nil {
		return nil, eSRCH
	}
	if d.pool.sched != sched {
		return nil, eINVAL
	}
	return d, 0
}

// DomainSchedParams implements hypercall.Hypervisor (XEN_DOMCTL_scheduler_op
// getinfo): credit and credit2 report weight and cap (csched_dom_cntl,
// csched2_dom_cntl); rtds reports the default period and budget, not the
// domain's (rt_dom_cntl); null and arinc653 have no adjust hook and
// report nothing.
func (h *Host) DomainSchedParams(domid uint16, sched hypercall.Scheduler) (hypercall.DomainSchedParams, error) {
	out := hypercall.DomainSchedParams{Scheduler: sched}
	target := func() string { return domTarget(domid) + ", " + sched.String() }
	err := h.call(OpDomSchedGet, target, plain(func() syscall.Errno {
		d, e := h.domSchedCheck(domid, sched)
		if e != 0 {
			return e
		}
		switch sched {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			out.Weight, out.Cap = d.weight, d.cap
		case hypercall.SchedRTDS:
			out.PeriodUS, out.BudgetUS = rtdsDefaultPeriodUS, rtdsDefaultBudgetUS
		}
		return 0
	}))
	return out, err
}

// SetDomainSchedParams implements hypercall.Hypervisor (putinfo). credit
// (csched_dom_cntl): a weight of 0 and a cap of 0xFFFF leave the value,
// anything else is taken without a range check. credit2
// (csched2_dom_cntl): a weight of 0 leaves it; a cap above 100 × vCPUs is
// -EINVAL, after the weight was already changed; a cap of 0 removes the
// cap. rtds (rt_dom_cntl): a period or budget of 0 is -EINVAL, else both
// apply to every vCPU unchecked. null and arinc653: no-op.
func (h *Host) SetDomainSchedParams(domid uint16, p hypercall.DomainSchedParams) error {
	target := func() string { return domTarget(domid) + ", " + p.Scheduler.String() }
	return h.call(OpDomSchedPut, target, plain(func() syscall.Errno {
		d, e := h.domSchedCheck(domid, p.Scheduler)
		if e != 0 {
			return e
		}
		switch p.Scheduler {
		case hypercall.SchedCredit:
			if p.Weight != 0 {
				d.weight = p.Weight
			}
			if p.Cap != 0xFFFF {
				d.cap = p.Cap
			}
		case hypercall.SchedCredit2:
			if p.Weight != 0 {
				d.weight = p.Weight
			}
			if p.Cap != 0 && uint32(p.Cap) > 100*d.vcpus {
				return eINVAL
			}
			d.cap = p.Cap
		case hypercall.SchedRTDS:
			if p.PeriodUS == 0 || p.BudgetUS == 0 {
				return eINVAL
			}
			for i := range d.rt {
				d.rt[i].periodUS, d.rt[i].budgetUS = p.PeriodUS, p.BudgetUS
			}
		}
		return 0
	}))
}

// VCPUSchedParams implements hypercall.Hypervisor (getvcpuinfo). Only rtds
// implements it (rt_dom_cntl: -EINVAL for a vCPU id the domain lacks);
// credit and credit2 refuse it with -EINVAL; null and arinc653 have no
// adjust hook, so the call succeeds with nothing filled in.
func (h *Host) VCPUSchedParams(domid uint16, sched hypercall.Scheduler, vcpus []uint32) ([]hypercall.VCPUSchedParams, error) {
	target := func() string { return domTarget(domid) + ", " + sched.String() }
	if len(vcpus) == 0 {
		return nil, nil
	}
	if len(vcpus) > maxVCPUBatch {
		return nil, invalidArg(OpVCPUSchedGet, target(), fmt.Sprintf("%d vCPUs requested, at most %d supported", len(vcpus), maxVCPUBatch))
	}
	out := make([]hypercall.VCPUSchedParams, len(vcpus))
	err := h.call(OpVCPUSchedGet, target, plain(func() syscall.Errno {
		d, e := h.domSchedCheck(domid, sched)
		if e != 0 {
			return e
		}
		for i, v := range vcpus {
			out[i] = hypercall.VCPUSchedParams{VCPU: v}
		}
		switch sched {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			return eINVAL
		case hypercall.SchedRTDS:
			for i, v := range vcpus {
				if v >= d.vcpus {
					return eINVAL
				}
				r := d.rt[v]
				out[i].PeriodUS, out[i].BudgetUS, out[i].Extratime = r.periodUS, r.budgetUS, r.extratime
			}
		}
		return 0
	}))
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SetVCPUSchedParams implements hypercall.Hypervisor (putvcpuinfo): rtds
// only (rt_dom_cntl), entry by entry: a vCPU id the domain lacks, a
// budget below 10 µs or above the period, or a period below 10 µs is
// -EINVAL, and the entries before it stay applied.
func (h *Host) SetVCPUSchedParams(domid uint16, sched hypercall.Scheduler, params []hypercall.VCPUSchedParams) error {
	target := func() string { return domTarget(domid) + ", " + sched.String() }
	if len(params) == 0 {
		return nil
	}
	if len(params) > maxVCPUBatch {
		return invalidArg(OpVCPUSchedPut, target(), fmt.Sprintf("%d vCPUs requested, at most %d supported", len(params), maxVCPUBatch))
	}
	return h.call(OpVCPUSchedPut, target, plain(func() syscall.Errno {
		d, e := h.domSchedCheck(domid, sched)
		if e != 0 {
			return e
		}
		switch sched {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			return eINVAL
		case hypercall.SchedRTDS:
			for _, p := range params {
				if p.VCPU >= d.vcpus {
					return eINVAL
				}
				if p.BudgetUS < rtdsMinUS || p.BudgetUS > p.PeriodUS || p.PeriodUS < rtdsMinUS {
					return eINVAL
				}
				d.rt[p.VCPU] = rtParams{p.PeriodUS, p.BudgetUS, p.Extratime}
			}
		}
		return 0
	}))
}
