package sched

import (
	"xgo.dev/xgo/hypercall"
)

// PoolParams reads the parameters of pool p for scheduler s (which should
// be p's; Xen refuses another with EINVAL).
func PoolParams(hv hypercall.Hypervisor, p Pool, s hypercall.Scheduler) (hypercall.PoolSchedParams, error) {
	got, err := hv.PoolSchedParams(p.ID, s)
	return got, explainPool(err, p, s, false)
}

// SetPoolParams writes complete parameters after CheckPoolParams.
func SetPoolParams(hv hypercall.Hypervisor, p Pool, params hypercall.PoolSchedParams) error {
	if err := CheckPoolParams(params); err != nil {
		return err
	}
	return explainPool(hv.SetPoolSchedParams(p.ID, params), p, params.Scheduler, true)
}

// ChangePoolParams reads pool p's parameters, applies c and writes the
// result, as `xl sched-credit -s -t ...` does. It returns what was written.
func ChangePoolParams(hv hypercall.Hypervisor, p Pool, s hypercall.Scheduler, c PoolChange) (hypercall.PoolSchedParams, error) {
	if err := c.Check(s); err != nil {
		return hypercall.PoolSchedParams{}, err
	}
	cur, err := PoolParams(hv, p, s)
	if err != nil {
		return cur, err
	}
	next, err := c.Apply(cur)
	if err != nil {
		return cur, err
	}
	return next, SetPoolParams(hv, p, next)
}

// DomainParams reads domain d's parameters for scheduler s (which should
// be the scheduler of d's pool).
func DomainParams(hv hypercall.Hypervisor, d Domain, s hypercall.Scheduler) (hypercall.DomainSchedParams, error) {
	got, err := hv.DomainSchedParams(d.ID, s)
	if err == nil {
		got.Scheduler = s
	}
	return got, explainDomain(err, d, s, false)
}

// SetDomainParams writes a credit or credit2 domain's weight and cap
// after checking them (DomainChange.Check).
func SetDomainParams(hv hypercall.Hypervisor, d Domain, p hypercall.DomainSchedParams) error {
	c := DomainChange{Weight: ptr(int64(p.Weight)), Cap: ptr(int64(p.Cap))}
	if err := c.Check(p.Scheduler, d); err != nil {
		return err
	}
	return explainDomain(hv.SetDomainSchedParams(d.ID, p), d, p.Scheduler, true)
}

// ChangeDomainParams reads d's weight and cap, applies c and writes them
// back, as libxl_domain_sched_params_set does. It returns what was
// written.
func ChangeDomainParams(hv hypercall.Hypervisor, d Domain, s hypercall.Scheduler, c DomainChange) (hypercall.DomainSchedParams, error) {
	if err := c.Check(s, d); err != nil {
		return hypercall.DomainSchedParams{}, err
	}
	cur, err := DomainParams(hv, d, s)
	if err != nil {
		return cur, err
	}
	next, err := c.Apply(cur, d)
	if err != nil {
		return cur, err
	}
	return next, explainDomain(hv.SetDomainSchedParams(d.ID, next), d, s, true)
}

// VCPUParams reads the rtds parameters of the given vCPUs of d, or of
// every vCPU when vcpus is nil.
func VCPUParams(hv hypercall.Hypervisor, d Domain, s hypercall.Scheduler, vcpus []uint32) ([]hypercall.VCPUSchedParams, error) {
	if vcpus == nil {
		vcpus = make([]uint32, d.MaxVCPUID+1)
		for i := range vcpus {
			vcpus[i] = uint32(i)
		}
	}
	for _, v := range vcpus {
		if v > d.MaxVCPUID {
			return nil, refused("vcpu", v, "%s has vCPUs 0-%d", d, d.MaxVCPUID)
		}
	}
	got, err := hv.VCPUSchedParams(d.ID, s, vcpus)
	return got, explainDomain(err, d, s, false)
}

// SetVCPUParams checks and writes per-vCPU rtds parameters. A change with
// VCPU < 0 applies to every vCPU of d. Nothing is written unless every
// change is valid.
func SetVCPUParams(hv hypercall.Hypervisor, d Domain, s hypercall.Scheduler, changes []VCPUChange) ([]hypercall.VCPUSchedParams, error) {
	var out []hypercall.VCPUSchedParams
	for _, c := range changes {
		if err := c.Check(d); err != nil {
			return nil, err
		}
		if c.VCPU < 0 {
			for v := uint32(0); v <= d.MaxVCPUID; v++ {
				out = append(out, hypercall.VCPUSchedParams{VCPU: v, PeriodUS: uint32(c.PeriodUS), BudgetUS: uint32(c.BudgetUS), Extratime: c.Extratime})
			}
			continue
		}
		out = append(out, hypercall.VCPUSchedParams{VCPU: uint32(c.VCPU), PeriodUS: uint32(c.PeriodUS), BudgetUS: uint32(c.BudgetUS), Extratime: c.Extratime})
	}
	if len(out) == 0 {
		return nil, &InvalidError{Param: "vcpu", Reason: "no vCPU given"}
	}
	return out, explainDomain(hv.SetVCPUSchedParams(d.ID, s, out), d, s, true)
}

func ptr[T any](v T) *T { return &v }
