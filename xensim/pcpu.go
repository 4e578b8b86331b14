package xensim

import (
	"syscall"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// PCPUInfo implements hypercall.Hypervisor (XENPF_get_cpuinfo,
// xen/arch/x86/platform_hypercall.c): it never fails for a bad id; CPUs
// at or beyond nr_cpu_ids and non-present ones come back INVALID, and
// max_present is always the last present CPU.
func (h *Host) PCPUInfo(cpu uint32) (hypercall.PCPUInfo, error) {
	var out hypercall.PCPUInfo
	err := h.call(OpGetCPUInfo, func() string { return cpuTarget(cpu) }, plain(func() syscall.Errno {
		out = hypercall.PCPUInfo{CPU: cpu, MaxPresent: h.maxPresent()}
		if !h.present(cpu) {
			out.Invalid = true
			return 0
		}
		c := h.hw.cpus[cpu]
		out.APICID, out.ACPIID = c.apicID, c.acpiID
		out.Online = h.online.has(cpu)
		return 0
	}))
	return out, err
}

// PlatformCPUOnline implements hypercall.Hypervisor (XENPF_cpu_online,
// platform_hypercall.c): -EINVAL for an id beyond nr_cpu_ids or a CPU that
// is not present, 0 if the CPU is online already, else cpu_up_helper.
// (The -EINVAL Xen gives while the clocksource is the TSC is not
// modelled: the lab's Xen does not run on it.)
func (h *Host) PlatformCPUOnline(cpu uint32) error {
	return h.call(OpPfCPUOnline, func() string { return cpuTarget(cpu) }, plain(func() syscall.Errno {
		if !h.present(cpu) {
			return eINVAL
		}
		if h.online.has(cpu) {
			return 0
		}
		return h.cpuUpHelper(cpu)
	}))
}

// PlatformCPUOffline implements hypercall.Hypervisor (XENPF_cpu_offline,
// platform_hypercall.c): -EOPNOTSUPP for CPU 0, -EINVAL beyond nr_cpu_ids
// or not present, 0 if already offline, else cpu_down_helper.
func (h *Host) PlatformCPUOffline(cpu uint32) error {
	return h.call(OpPfCPUOffline, func() string { return cpuTarget(cpu) }, plain(func() syscall.Errno {
		if cpu == 0 {
			return eOPNOTSUPP
		}
		if !h.present(cpu) {
			return eINVAL
		}
		if !h.online.has(cpu) {
			return 0
		}
		return h.cpuDown(cpu)
	}))
}

// CPUHotplug implements hypercall.Hypervisor (XEN_SYSCTL_cpu_hotplug,
// xen/arch/x86/sysctl.c arch_do_sysctl): ONLINE is cpu_up_helper,
// OFFLINE cpu_down_helper (so an already online or offline CPU gives
// -EEXIST, and offlining CPU 0 -EINVAL); SMT_ENABLE/DISABLE need
// hyper-threading (-EOPNOTSUPP otherwise); any other op is -EOPNOTSUPP.
func (h *Host) CPUHotplug(op hypercall.HotplugOp, cpu uint32) error {
	o, target := OpHotplugOnline, func() string { return cpuTarget(cpu) }
	switch op {
	case hypercall.HotplugOffline:
		o = OpHotplugOffline
	case hypercall.HotplugSMTEnable:
		o, target = OpHotplugSMTEnable, noTarget
	case hypercall.HotplugSMTDisable:
		o, target = OpHotplugSMTDisable, noTarget
	case hypercall.HotplugOnline:
	default:
		o = Op("sysctl cpu_hotplug " + op.String())
	}
	return h.call(o, target, plain(func() syscall.Errno {
		switch op {
		case hypercall.HotplugOnline:
			return h.cpuUpHelper(cpu)
		case hypercall.HotplugOffline:
			return h.cpuDown(cpu)
		case hypercall.HotplugSMTEnable, hypercall.HotplugSMTDisable:
			// !cpu_has_htt || boot_cpu_data.x86_num_siblings < 2
			if h.hw.threadsPerCore < 2 {
				return eOPNOTSUPP
			}
			return h.smtUpDown(op == hypercall.HotplugSMTEnable)
		}
		return eOPNOTSUPP
	}))
}

// cpuUpHelper is cpu_up_helper (xen/arch/x86/smp.c): cpu_up, and with
// smt=0 a CPU that has an online sibling thread is taken down again and
// -EPERM returned.
func (h *Host) cpuUpHelper(cpu uint32) syscall.Errno {
	if e := h.cpuUp(cpu); e != 0 {
		return e
	}
	if !h.smt && h.onlineSiblings(cpu) > 1 {
		if e := h.cpuDown(cpu); e != 0 {
			return e // "Could not re-offline CPU"
		}
		return ePERM
	}
	return 0
}

// onlineSiblings is the weight of cpu's sibling mask: the online threads
// of its core, itself included.
func (h *Host) onlineSiblings(cpu uint32) int {
	n, key := 0, h.hw.cpus[cpu].coreKey
	h.online.each(func(i uint32) {
		if h.hw.cpus[i].coreKey == key {
			n++
		}
	})
	return n
}

// cpuUp is cpu_up (xen/common/cpu.c) with the CPU_ONLINE notifier of
// cpupool.c (cpupool_cpu_add): the CPU becomes free and is then assigned
// to Pool-0, never to the pool it was in before it went offline.
func (h *Host) cpuUp(cpu uint32) syscall.Errno {
	if !h.present(cpu) {
		return eINVAL
	}
	if h.online.has(cpu) {
		return eEXIST
	}
	h.online.set(cpu)
	h.free.set(cpu)
	h.locked.clear(cpu)
	// cpupool_assign_cpu_locked(cpupool0, cpu). If the CPU is the one left
	// "moving" by an interrupted removal from another pool, Xen's
	// assignment fails with -EADDRNOTAVAIL inside a notifier that must not
	// fail (BUG_ON in cpu_notifier_call_chain); the simulator leaves the
	// CPU free instead of crashing.
	if h.movingCPU == int64(cpu) && h.movingPool != h.pool0() {
		return 0
	}
	h.assign(h.pool0(), cpu)
	return 0
}

// cpuDown is cpu_down (xen/common/cpu.c) with the CPU_DOWN_PREPARE and
// CPU_DYING notifiers of cpupool.c: cpupool_cpu_remove_prologue lets a
// Pool-0 CPU go (unassigning it first, -EBUSY if it is Pool-0's last CPU
// while domains remain) and a free CPU go, and refuses a CPU of any other
// pool with -ENODEV.
//
// The prologue puts the CPU in cpupool_locked_cpus before it decides, and
// a notifier that fails is not sent CPU_DOWN_FAILED (notifier_call_chain
// stops before it), so a refused CPU stays locked: it keeps its pool and
// can leave it, but ADDCPU refuses it with -ENODEV and every later offline
// with -EBUSY until a reboot (docs/xen-behaviour.md; seen on Xen 4.17.7).
func (h *Host) cpuDown(cpu uint32) syscall.Errno {
	if cpu >= h.hw.nrCPUIDs || cpu == 0 {
		return eINVAL
	}
	// A CPU that is not present is not online either: Xen's cpu_down
	// answers -EEXIST for it.
	if !h.online.has(cpu) {
		return eEXIST
	}
	if h.locked.has(cpu) {
		return eBUSY
	}
	h.locked.set(cpu)
	p0 := h.pool0()
	switch {
	case p0.cpus.has(cpu):
		if e := h.unassignStart(p0, cpu); e != 0 {
			return e
		}
		h.unassignFinish()
	case !h.free.has(cpu):
		return eNODEV
	}
	// cpupool_cpu_remove: the CPU leaves the free mask.
	h.free.clear(cpu)
	h.online.clear(cpu)
	return 0
}

// smtUpDown is smt_up_down_helper (xen/arch/x86/sysctl.c): set opt_smt,
// then bring every present secondary thread up or down, ignoring -EEXIST
// and stopping at the first other error.
func (h *Host) smtUpDown(up bool) syscall.Errno {
	h.smt = up
	for id, c := range h.hw.cpus {
		if !c.present || c.thread == 0 {
			continue
		}
		var e syscall.Errno
		if up {
			e = h.cpuUpHelper(uint32(id))
		} else {
			e = h.cpuDown(uint32(id))
		}
		if e != 0 && e != eEXIST {
			return e
		}
	}
	return 0
}

// StrandedCPUs returns the online CPUs a refused offline left in
// cpupool_locked_cpus (see cpuDown): Xen will not add them to any pool
// (-ENODEV) or offline them (-EBUSY) until the host reboots.
func (h *Host) StrandedCPUs() cpuset.Set {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.strandedLocked().toSet()
}

func (h *Host) strandedLocked() bitset {
	b := newBitset(h.hw.nrCPUIDs)
	h.locked.each(func(i uint32) {
		if h.online.has(i) {
			b.set(i)
		}
	})
	return b
}

// ReleaseStrandedCPUs frees the stranded CPUs as only a reboot does on
// real Xen, leaving everything else as it is, and returns them. Tests
// use it to undo a stranding they caused on purpose.
func (h *Host) ReleaseStrandedCPUs() []uint32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []uint32
	h.strandedLocked().each(func(i uint32) {
		out = append(out, i)
		h.locked.clear(i)
	})
	return out
}
