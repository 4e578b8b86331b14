package cpupool

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// The errnos Xen's cpupool code returns (xen-abi.md §6.2,
// xen/common/sched/cpupool.c).
var (
	errENOENT        error = syscall.ENOENT
	errEINVAL        error = syscall.EINVAL
	errENODEV        error = syscall.ENODEV
	errEBUSY         error = syscall.EBUSY
	errEAGAIN        error = syscall.EAGAIN
	errEADDRINUSE    error = syscall.EADDRINUSE
	errEADDRNOTAVAIL error = syscall.EADDRNOTAVAIL
	errEEXIST        error = syscall.EEXIST
	errENOSPC        error = syscall.ENOSPC
	errENOMEM        error = syscall.ENOMEM
	errESRCH         error = syscall.ESRCH
	errEPERM         error = syscall.EPERM
)

// xenErr wraps err with an admin-level message.
func xenErr(err error, format string, args ...any) error {
	return &XenError{Msg: fmt.Sprintf(format, args...), Err: err}
}

// fresh reads the host again to explain an error; nil if that fails too.
func (m *Manager) fresh(ctx context.Context, withDomains bool) *host {
	h, err := m.readHost(ctx)
	if err != nil {
		return nil
	}
	if withDomains {
		_ = h.loadDomains(ctx, m)
	}
	return h
}

// cpuRangeText names the host's present cpus for "does not exist" errors
// (not 0-max_cpu_id: ids up to max_cpu_id need not be present).
func (m *Manager) cpuRangeText() string {
	infos, err := hypercall.ListPCPUs(m.hv)
	if err != nil {
		return ""
	}
	var present cpuset.Set
	for _, in := range infos {
		if !in.Invalid {
			present = present.Add(int(in.CPU))
		}
	}
	if present.IsEmpty() {
		return ""
	}
	return fmt.Sprintf(" (this host has cpus %s)", present.Text())
}

// cpuProblem says why cpu cannot be used, if it is absent or offline.
func (m *Manager) cpuProblem(cpu int) string {
	info, err := m.hv.PCPUInfo(uint32(cpu))
	switch {
	case err != nil:
		return ""
	case info.Invalid:
		return fmt.Sprintf("cpu %d does not exist%s", cpu, m.cpuRangeText())
	case !info.Online:
		return fmt.Sprintf("cpu %d is offline", cpu)
	}
	return ""
}

func (m *Manager) explainCreate(_ context.Context, ref *PoolRef, s hypercall.Scheduler, err error) error {
	switch {
	case errors.Is(err, errENOENT):
		return xenErr(err, "cannot create cpupool %s: the %s scheduler is not built into this Xen", ref.label(), s)
	case errors.Is(err, errENOSPC):
		return xenErr(err, "cannot create cpupool %s: Xen allows no more cpupools (at most two per cpu id)", ref.label())
	case errors.Is(err, errEEXIST):
		return xenErr(err, "cannot create cpupool %s: cpupool id %d is already in use", ref.label(), ref.ID)
	case errors.Is(err, errENOMEM):
		return xenErr(err, "cannot create cpupool %s: Xen is out of memory", ref.label())
	}
	return xenErr(err, "creating cpupool %s: %v", ref.label(), err)
}

func (m *Manager) explainDestroy(ctx context.Context, ref *PoolRef, err error) error {
	switch {
	case errors.Is(err, errENOENT):
		return xenErr(err, "cpupool %s (id %d) does not exist", ref.label(), ref.ID)
	case errors.Is(err, errEBUSY):
		if h := m.fresh(ctx, true); h != nil {
			if p, ok := h.poolByID(ref.ID); ok {
				if doms := h.domainsIn(ref.ID); len(doms) > 0 {
					return xenErr(err, "cpupool %s still has domains: %s", ref.label(), domainLabels(doms))
				}
				if !p.CPUs.IsEmpty() {
					return xenErr(err, "cpupool %s still has cpus %s", ref.label(), p.CPUs.Text())
				}
			}
		}
		return xenErr(err, "cpupool %s still has domains or cpus", ref.label())
	}
	return xenErr(err, "destroying cpupool %s: %v", ref.label(), err)
}

func (m *Manager) explainAddCPU(ctx context.Context, ref *PoolRef, cpu int, err error) error {
	switch {
	case errors.Is(err, errENOENT):
		return xenErr(err, "cpupool %s (id %d) does not exist", ref.label(), ref.ID)
	case errors.Is(err, errEINVAL):
		return xenErr(err, "cpu %d does not exist%s", cpu, m.cpuRangeText())
	case errors.Is(err, errENODEV):
		if p := m.cpuProblem(cpu); p != "" {
			return xenErr(err, "cannot add cpu %d to %s: %s", cpu, ref.label(), p)
		}
		if h := m.fresh(ctx, false); h != nil {
			if p, ok := h.poolOf(cpu); ok {
				return xenErr(err, "cpu %d is not free (it is in %s); remove it from there first", cpu, p.Label())
			}
		}
		return xenErr(err, "cannot add cpu %d to %s: a cpu it shares a scheduling unit with (core or socket granularity) is not free", cpu, ref.label())
	case errors.Is(err, errEADDRNOTAVAIL):
		return xenErr(err, "cpu %d is still being moved out of another cpupool after an interrupted removal; add it back to that pool first", cpu)
	case errors.Is(err, errEBUSY):
		return xenErr(err, "cpu %d is busy in Xen; try again", cpu)
	}
	return xenErr(err, "adding cpu %d to %s: %v", cpu, ref.label(), err)
}

func (m *Manager) explainRmCPU(ctx context.Context, ref *PoolRef, cpu int, err error) error {
	switch {
	case errors.Is(err, errENOENT):
		return xenErr(err, "cpupool %s (id %d) does not exist", ref.label(), ref.ID)
	case errors.Is(err, errEINVAL):
		if cpu == 0 && ref.Known && ref.ID == 0 {
			return xenErr(err, "cpu 0 can never leave Pool-0")
		}
		if p := m.cpuProblem(cpu); p != "" {
			return xenErr(err, "cannot remove cpu %d from %s: %s", cpu, ref.label(), p)
		}
		return xenErr(err, "cpu %d does not exist%s", cpu, m.cpuRangeText())
	case errors.Is(err, errEADDRNOTAVAIL):
		if h := m.fresh(ctx, false); h != nil {
			if p, ok := h.poolOf(cpu); !ok || p.ID != ref.ID {
				return xenErr(err, "cpu %d is not in cpupool %s (%s)", cpu, ref.label(), h.where(cpu))
			}
		}
		return xenErr(err, "another cpu removal from cpupool %s is still pending; try again", ref.label())
	case errors.Is(err, errEBUSY):
		if h := m.fresh(ctx, true); h != nil {
			if doms := h.domainsIn(ref.ID); len(doms) > 0 {
				return xenErr(err, "cpu %d is the last cpu of cpupool %s, which still has domains: %s", cpu, ref.label(), domainLabels(doms))
			}
		}
		return xenErr(err, "cpu %d is the last cpu of cpupool %s, which still has domains", cpu, ref.label())
	case errors.Is(err, errEAGAIN):
		return xenErr(err, "cpu %d stayed busy in Xen while leaving cpupool %s, even after retrying; try again", cpu, ref.label())
	case errors.Is(err, errEADDRINUSE):
		return xenErr(err, "a vCPU stayed pinned to cpu %d while it was leaving cpupool %s, even after retrying; try again", cpu, ref.label())
	}
	return xenErr(err, "removing cpu %d from %s: %v", cpu, ref.label(), err)
}

func (m *Manager) explainMoveDomain(_ context.Context, ref *PoolRef, d Domain, err error) error {
	switch {
	case errors.Is(err, errESRCH):
		return xenErr(err, "domain %s does not exist", d.Label())
	case errors.Is(err, errEPERM):
		return xenErr(err, "domain %s cannot be moved: Xen does not let a domain move itself between cpupools, and xgo runs in it", d.Label())
	case errors.Is(err, errEINVAL):
		return xenErr(err, "domain %s is in no cpupool (it is being created or destroyed)", d.Label())
	case errors.Is(err, errENOENT):
		return xenErr(err, "cannot move domain %s: cpupool %s does not exist or has no cpus", d.Label(), ref.label())
	case errors.Is(err, errEBUSY):
		return xenErr(err, "a vCPU of domain %s has its affinity temporarily broken; try again", d.Label())
	}
	return xenErr(err, "moving domain %s to %s: %v", d.Label(), ref.label(), err)
}
