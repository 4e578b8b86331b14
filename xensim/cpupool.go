package xensim

import (
	"strconv"
	"syscall"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// The cpupool operations mirror cpupool_do_sysctl and its helpers in
// xen/common/sched/cpupool.c (Xen 4.17.4 and later, with sched-gran=cpu:
// each CPU is its own scheduling resource).

// CpupoolCreate implements hypercall.Hypervisor (XEN_SYSCTL_CPUPOOL_OP_CREATE,
// cpupool_create): -ENOSPC once 2×nr_cpu_ids pools exist; an explicit id
// already in use is -EEXIST; PoolAny takes (highest id)+1, or the first
// gap when the highest id is 0xFFFFFFFE; a scheduler that is not built is
// -ENOENT (scheduler_alloc). The new pool has no CPUs and no domains.
func (h *Host) CpupoolCreate(id uint32, sched hypercall.Scheduler) (uint32, error) {
	var out uint32
	target := func() string { return poolTarget(id) + ", " + sched.String() }
	err := h.call(OpPoolCreate, target, plain(func() syscall.Errno {
		if len(h.pools) >= 2*int(h.hw.nrCPUIDs) {
			return eNOSPC
		}
		newID := id
		if id != poolAny {
			if h.findPool(id) != nil {
				return eEXIST
			}
		} else {
			last := h.pools[len(h.pools)-1].id
			newID = last + 1
			if last == poolAny-1 {
				// "In case of wrap search for first free id."
				for i := 0; i+1 < len(h.pools); i++ {
					if h.pools[i].id+1 != h.pools[i+1].id {
						newID = h.pools[i].id + 1
						break
					}
				}
			}
		}
		if !h.hw.isBuilt(sched) {
			return eNOENT
		}
		h.insertPool(h.newPool(newID, sched))
		out = newID
		return 0
	}))
	return out, err
}

// CpupoolDestroy implements hypercall.Hypervisor (OP_DESTROY,
// cpupool_destroy): -ENOENT for an unknown pool, -EBUSY while it has
// domains or any CPU. Pool-0 always holds CPU 0, so it is never
// destroyed.
func (h *Host) CpupoolDestroy(id uint32) error {
	return h.call(OpPoolDestroy, func() string { return poolTarget(id) }, plain(func() syscall.Errno {
		p := h.findPool(id)
		if p == nil {
			return eNOENT
		}
		if p.ndom != 0 || p.ncpus != 0 {
			return eBUSY
		}
		h.removePool(p)
		return 0
	}))
}

// CpupoolInfo implements hypercall.Hypervisor (OP_INFO,
// cpupool_get_next_by_id): the pool with the smallest id ≥ id, -ENOENT
// past the last one.
func (h *Host) CpupoolInfo(id uint32) (hypercall.CpupoolInfo, error) {
	var out hypercall.CpupoolInfo
	target := func() string { return "pool ≥ " + strconv.FormatUint(uint64(id), 10) }
	err := h.call(OpPoolInfo, target, plain(func() syscall.Errno {
		p := h.nextPool(id)
		if p == nil {
			return eNOENT
		}
		out = hypercall.CpupoolInfo{ID: p.id, Scheduler: p.sched, NDom: uint32(p.ndom), CPUs: p.cpus.toSet()}
		return 0
	}))
	return out, err
}

// CpupoolAddCPU implements hypercall.Hypervisor (OP_ADDCPU): -ENOENT for
// an unknown pool; PoolAny picks the first free CPU (-ENODEV if there is
// none); -EINVAL for an id beyond nr_cpu_ids; -ENODEV for an offline CPU
// (4.17.4+), one that is not free, or one a failed offline stranded
// (cpupool_locked_cpus; PoolAny may pick it and fail so); -EADDRNOTAVAIL
// when the CPU is the one an interrupted RMCPU left "moving" from another
// pool (cpupool_assign_cpu_locked). Adding that CPU back to its pool
// repairs the state.
func (h *Host) CpupoolAddCPU(id, cpu uint32) error {
	target := func() string { return poolTarget(id) + ", " + poolCPUTarget(cpu) }
	return h.call(OpPoolAddCPU, target, plain(func() syscall.Errno {
		p := h.findPool(id)
		if p == nil {
			return eNOENT
		}
		c := cpu
		if c == poolAny {
			f, ok := h.free.first()
			if !ok {
				return eNODEV
			}
			c = f
		}
		if c >= h.hw.nrCPUIDs {
			return eINVAL
		}
		if !h.online.has(c) {
			return eNODEV
		}
		if !h.free.has(c) || h.locked.has(c) {
			return eNODEV
		}
		if h.movingCPU == int64(c) && p != h.movingPool {
			return eADDRNOTAVAIL
		}
		h.assign(p, c)
		return 0
	}))
}

// assign is the success path of cpupool_assign_cpu_locked.
func (h *Host) assign(p *pool, cpu uint32) {
	h.free.clear(cpu)
	if h.movingCPU == int64(cpu) {
		h.movingCPU, h.movingPool = -1, nil
	}
	p.cpus.set(cpu)
	p.ncpus++
	h.cpuPool[cpu] = p
}

// CpupoolRemoveCPU implements hypercall.Hypervisor (OP_RMCPU,
// cpupool_unassign_cpu): -ENOENT for an unknown pool; PoolAny means the
// pool's last CPU; -EINVAL beyond nr_cpu_ids, for CPU 0 of Pool-0 and for
// an offline CPU; -EADDRNOTAVAIL for a CPU not in the pool, or while
// another removal is pending; -EBUSY for the pool's last CPU while the
// pool has domains. The removed CPU becomes free; it does not go back to
// Pool-0.
//
// An injected EAGAIN or EADDRINUSE fails where Xen's do: in
// cpu_disable_scheduler, after cpupool_unassign_cpu_start. The CPU is then
// out of the pool and in the free mask but still "moving": removing it
// again completes the removal, adding it to another pool is
// -EADDRNOTAVAIL, adding it back to its pool repairs it
// (cpupool_unassign_cpu_finish). Other injected errnos fail the call
// before it changes anything.
func (h *Host) CpupoolRemoveCPU(id, cpu uint32) error {
	target := func() string { return poolTarget(id) + ", " + poolCPUTarget(cpu) }
	return h.call(OpPoolRmCPU, target, func(injected syscall.Errno) syscall.Errno {
		midway := injected == eAGAIN || injected == eADDRINUSE
		if injected != 0 && !midway {
			return injected
		}
		p := h.findPool(id)
		if p == nil {
			return eNOENT
		}
		c := cpu
		if c == poolAny {
			l, ok := p.cpus.last()
			if !ok {
				return eINVAL // cpumask_last of an empty mask is nr_cpu_ids
			}
			c = l
		}
		if c >= h.hw.nrCPUIDs {
			return eINVAL
		}
		// "Cpu0 must remain in cpupool0"
		if (p.id == 0 && c == 0) || !h.online.has(c) {
			return eINVAL
		}
		if e := h.unassignStart(p, c); e != 0 {
			return e
		}
		if midway {
			// cpu_disable_scheduler failed: the CPU is already in the
			// free mask, the removal stays pending.
			h.free.set(c)
			return injected
		}
		h.unassignFinish()
		return 0
	})
}

// unassignStart is cpupool_unassign_cpu_start.
func (h *Host) unassignStart(p *pool, cpu uint32) syscall.Errno {
	moving := h.movingCPU == int64(cpu)
	if (h.movingCPU != -1 || !p.cpus.has(cpu)) && !moving {
		return eADDRNOTAVAIL
	}
	// The last CPU of a pool with domains: every simulated domain is
	// alive (not dying), so the removal is refused.
	if p.ndom > 0 && p.ncpus == 1 && !moving {
		return eBUSY
	}
	h.movingCPU, h.movingPool = int64(cpu), p
	if p.cpus.has(cpu) {
		p.cpus.clear(cpu)
		p.ncpus--
		h.cpuPool[cpu] = nil
	}
	return 0
}

// unassignFinish is the success path of cpupool_unassign_cpu_finish.
func (h *Host) unassignFinish() {
	h.free.set(uint32(h.movingCPU))
	h.movingCPU, h.movingPool = -1, nil
}

// CpupoolMoveDomain implements hypercall.Hypervisor (OP_MOVEDOMAIN):
// -ESRCH for an unknown domain; -EPERM for the caller itself, dom0
// (rcu_lock_remote_domain_by_id); 0 when the domain is in that pool
// already; -ENOENT when the target pool does not exist or has no CPUs.
// The domain gets the target scheduler's default parameters
// (sched_move_domain allocates new scheduler data).
func (h *Host) CpupoolMoveDomain(id uint32, domid uint16) error {
	target := func() string { return poolTarget(id) + ", " + domTarget(domid) }
	return h.call(OpPoolMoveDomain, target, plain(func() syscall.Errno {
		d := h.doms[domid]
		if d == nil {
			return eSRCH
		}
		if domid == 0 {
			return ePERM
		}
		if d.pool == nil {
			return eINVAL
		}
		if d.pool.id == id {
			return 0
		}
		p := h.findPool(id)
		if p == nil || p.ncpus == 0 {
			return eNOENT
		}
		d.pool.ndom--
		p.ndom++
		d.pool = p
		d.resetSched()
		return 0
	}))
}

// CpupoolFreeCPUs implements hypercall.Hypervisor (OP_FREEINFO): the CPUs
// in no pool (cpupool_free_cpus).
func (h *Host) CpupoolFreeCPUs() (cpuset.Set, error) {
	var out cpuset.Set
	err := h.call(OpPoolFreeInfo, noTarget, plain(func() syscall.Errno {
		out = h.free.toSet()
		return 0
	}))
	return out, err
}
