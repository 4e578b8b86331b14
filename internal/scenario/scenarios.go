package scenario

import (
	"fmt"
	"syscall"
	"time"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

const (
	credit   = hypercall.SchedCredit
	credit2  = hypercall.SchedCredit2
	rtds     = hypercall.SchedRTDS
	null     = hypercall.SchedNull
	arinc653 = hypercall.SchedARINC653
)

// DomHome is the pool the domU was in at the start.
var DomHome = Pool{"the domU's pool", func(c *C) uint32 { return c.start.domain(c.env.DomU).Cpupool }}

// spareSched is the scheduler of the pools a scenario moves CPUs into when
// the scheduler is not what it checks: credit2. On Xen 4.17 under QEMU,
// adding a pCPU to a credit pool can crash the hypervisor (csched_tick
// runs before its per-CPU data is set up: docs/xen-behaviour.md), a race
// real Xen loses at random, so the lab keeps such additions to the
// scenarios that test credit itself.
const spareSched = credit2

// withPool creates pool name with sched and moves spare i into it.
func withPool(name string, sched hypercall.Scheduler, spare int) []Step {
	return []Step{Create(name, sched), Move(Spare(spare), Pool0, Named(name))}
}

func steps(parts ...any) []Step {
	var out []Step
	for _, p := range parts {
		switch v := p.(type) {
		case Step:
			out = append(out, v)
		case []Step:
			out = append(out, v...)
		default:
			panic(fmt.Sprintf("steps: %T", p))
		}
	}
	return out
}

// SetDomF writes parameters computed when the step runs.
func SetDomF(d Dom, what string, params func(c *C) hypercall.DomainSchedParams) Step {
	return Step{What: "set parameters of " + d.name + ": " + what, Do: func(c *C) error {
		return c.hv.SetDomainSchedParams(d.id(c), params(c))
	}}
}

func domUVCPUs(c *C) uint16 { return uint16(c.start.domain(c.env.DomU).MaxVCPUID + 1) }

// All returns every scenario, in the order Run runs them.
func All() []Scenario {
	var all []Scenario
	all = append(all, hotplugScenarios()...)
	all = append(all, pcpuScenarios()...)
	all = append(all, cpupoolScenarios()...)
	all = append(all, schedScenarios()...)
	all = append(all, domainScenarios()...)
	return all
}

// perPath makes one scenario per hotplug path.
func perPath(name, rule, source string, needs Needs, mk func(p Path) []Step) []Scenario {
	var out []Scenario
	for _, p := range Paths {
		out = append(out, Scenario{Name: name + "/" + p.String(), Rule: rule, Source: source, Needs: needs, Steps: mk(p)})
	}
	return out
}

// byPath picks the errno of a path.
func byPath(p Path, platform, sysctl syscall.Errno) syscall.Errno {
	if p == Platform {
		return platform
	}
	return sysctl
}

// want sets a step's expected errno, 0 meaning success.
func want(s Step, e syscall.Errno) Step {
	if e == 0 {
		return s
	}
	return s.Fails(e)
}

// strandsCPU is why a scenario that makes Xen refuse an offline must not
// run in the lab.
const strandsCPU = "a refused offline strands the CPU on Xen 4.17 until a reboot (docs/xen-behaviour.md); the lab host must stay usable"

const (
	srcPfOnline  = "xen/arch/x86/platform_hypercall.c XENPF_cpu_online"
	srcPfOffline = "xen/arch/x86/platform_hypercall.c XENPF_cpu_offline"
	srcCPUUp     = "xen/common/cpu.c cpu_up, xen/arch/x86/smp.c cpu_up_helper"
	srcCPUDown   = "xen/common/cpu.c cpu_down, xen/arch/x86/smp.c cpu_down_helper"
	srcPoolAdd   = "xen/common/sched/cpupool.c cpupool_cpu_add (CPU_ONLINE)"
	srcPrologue  = "xen/common/sched/cpupool.c cpupool_cpu_remove_prologue (CPU_DOWN_PREPARE)"
	srcSysctl    = "xen/common/sched/cpupool.c cpupool_do_sysctl"
)

func hotplugScenarios() []Scenario {
	var out []Scenario
	add := func(s ...Scenario) { out = append(out, s...) }

	add(perPath("hotplug/offline-cpu0",
		"CPU 0 cannot go offline: EOPNOTSUPP on the platform path, EINVAL on the sysctl path",
		srcPfOffline+"; "+srcCPUDown, Needs{},
		func(p Path) []Step {
			return steps(want(Offline(p, CPU0), byPath(p, EOPNOTSUPP, EINVAL)), IsOnline(CPU0, true), InPool(CPU0, Pool0), NrCPUs(0))
		})...)

	add(perPath("hotplug/beyond-nr-cpu-ids",
		"a CPU id at or beyond nr_cpu_ids is EINVAL for online and offline on both paths",
		srcPfOnline+"; "+srcPfOffline+"; "+srcCPUUp+"; "+srcCPUDown, Needs{},
		func(p Path) []Step {
			return steps(
				Online(p, Beyond).Fails(EINVAL), Offline(p, Beyond).Fails(EINVAL),
				Online(p, AllOnes).Fails(EINVAL), Offline(p, AllOnes).Fails(EINVAL),
				NrCPUs(0))
		})...)

	add(perPath("hotplug/online-online-cpu",
		"onlining an online CPU is a no-op (0) on the platform path and EEXIST on the sysctl path",
		srcPfOnline+"; "+srcCPUUp, Needs{Spares: 1},
		func(p Path) []Step {
			return steps(want(Online(p, Spare(0)), byPath(p, 0, EEXIST)), want(Online(p, CPU0), byPath(p, 0, EEXIST)),
				InPool(Spare(0), Pool0), NrCPUs(0))
		})...)

	add(perPath("hotplug/offline-offline-cpu",
		"offlining an offline CPU is a no-op (0) on the platform path and EEXIST on the sysctl path",
		srcPfOffline+"; "+srcCPUDown, Needs{Spares: 1},
		func(p Path) []Step {
			return steps(Offline(p, Spare(0)), want(Offline(p, Spare(0)), byPath(p, 0, EEXIST)), IsOnline(Spare(0), false), NrCPUs(-1))
		})...)

	add(perPath("hotplug/pool0-cpu-round-trip",
		"a CPU of Pool-0 can go offline (it leaves Pool-0, is not free, nr_cpus drops) and joins Pool-0 when onlined",
		srcPrologue+"; "+srcPoolAdd, Needs{Spares: 1},
		func(p Path) []Step {
			return steps(
				Offline(p, Spare(0)), IsOnline(Spare(0), false), Nowhere(Spare(0)), PoolCPUs(Pool0, -1), NrCPUs(-1),
				Online(p, Spare(0)), IsOnline(Spare(0), true), InPool(Spare(0), Pool0), PoolCPUs(Pool0, 0), NrCPUs(0))
		})...)

	add(perPath("hotplug/offline-cpu-of-other-pool",
		"offlining a CPU that is in a pool other than Pool-0 fails with ENODEV; the CPU stays online in its pool "+
			"but stranded (still in cpupool_locked_cpus): offline again is EBUSY, online is 0/EEXIST, "+
			"it can leave its pool, and ADDCPU of it into any pool is ENODEV",
		srcPrologue+"; cpu_callback (no CPU_DOWN_FAILED for the failing notifier); "+srcSysctl+" ADDCPU",
		Needs{Spares: 1, Faults: true, SimOnly: strandsCPU},
		func(p Path) []Step {
			return steps(withPool("a", credit, 0),
				Offline(p, Spare(0)).Fails(ENODEV), IsOnline(Spare(0), true), InPool(Spare(0), Named("a")), NrCPUs(0),
				Offline(p, Spare(0)).Fails(EBUSY), want(Online(p, Spare(0)), byPath(p, 0, EEXIST)),
				InPool(Spare(0), Named("a")), Remove(Named("a"), Spare(0)), IsFree(Spare(0)),
				Add(Pool0, Spare(0)).Fails(ENODEV), Add(Named("a"), Spare(0)).Fails(ENODEV),
				Add(Named("a"), AnyCPU).Fails(ENODEV), Offline(p, Spare(0)).Fails(EBUSY), IsFree(Spare(0)))
		})...)

	add(perPath("hotplug/offline-free-cpu",
		"a free CPU can go offline (and leaves the free set); onlined again it joins Pool-0",
		srcPrologue+"; "+srcPoolAdd, Needs{Spares: 1},
		func(p Path) []Step {
			return steps(Remove(Pool0, Spare(0)), IsFree(Spare(0)),
				Offline(p, Spare(0)), Nowhere(Spare(0)), NrCPUs(-1),
				Online(p, Spare(0)), InPool(Spare(0), Pool0))
		})...)

	add(perPath("hotplug/online-joins-pool0-not-previous-pool",
		"an onlined CPU joins Pool-0, never the pool it was in before it went offline",
		srcPoolAdd, Needs{Spares: 1},
		func(p Path) []Step {
			return steps(withPool("a", spareSched, 0), Remove(Named("a"), Spare(0)),
				Offline(p, Spare(0)), Online(p, Spare(0)),
				InPool(Spare(0), Pool0), PoolIs(Named("a"), spareSched, 0, 0))
		})...)

	add(perPath("hotplug/addcpu-offline-cpu",
		"ADDCPU of an offline CPU fails with ENODEV (Xen 4.17.4 and later), into any pool",
		srcSysctl+" ADDCPU", Needs{Spares: 1},
		func(p Path) []Step {
			return steps(Create("a", credit), Offline(p, Spare(0)),
				Add(Named("a"), Spare(0)).Fails(ENODEV), Add(Pool0, Spare(0)).Fails(ENODEV),
				Nowhere(Spare(0)), PoolIs(Named("a"), credit, 0, 0))
		})...)

	add(perPath("hotplug/rmcpu-offline-cpu",
		"RMCPU of an offline CPU fails with EINVAL",
		srcSysctl+" RMCPU, cpupool_unassign_cpu", Needs{Spares: 1},
		func(p Path) []Step {
			return steps(Offline(p, Spare(0)), Remove(Pool0, Spare(0)).Fails(EINVAL), Nowhere(Spare(0)))
		})...)

	add(perPath("hotplug/physinfo-follows-online-cpus",
		"physinfo's nr_cpus counts online CPUs; threads_per_core and cores_per_socket come from CPU 0's sibling and core masks, which hold online CPUs only",
		"xen/common/sysctl.c XEN_SYSCTL_physinfo; xen/arch/x86/smpboot.c remove_siblinginfo", Needs{Spares: 1},
		func(p Path) []Step {
			return steps(Offline(p, Spare(0)), physinfoMatches(), Online(p, Spare(0)), physinfoMatches())
		})...)

	add(perPath("hotplug/absent-cpu",
		"a non-present CPU below nr_cpu_ids: online is EINVAL on both paths; offline is EINVAL on the platform path and EEXIST on the sysctl path (cpu_down only checks nr_cpu_ids and cpu 0, then !cpu_online)",
		srcPfOnline+"; "+srcPfOffline+"; "+srcCPUUp+"; "+srcCPUDown, Needs{Absent: true},
		func(p Path) []Step {
			return steps(Online(p, Absent).Fails(EINVAL), want(Offline(p, Absent), byPath(p, EINVAL, EEXIST)), NrCPUs(0))
		})...)

	add(Scenario{
		Name: "hotplug/bad-op", Rule: "an unknown XEN_SYSCTL_cpu_hotplug op fails with EOPNOTSUPP",
		Source: "xen/arch/x86/sysctl.c arch_do_sysctl",
		Steps:  steps(Hotplug(hypercall.HotplugOp(99), Spare(0)).Fails(EOPNOTSUPP)),
		Needs:  Needs{Spares: 1},
	})
	add(Scenario{
		Name: "hotplug/smt-without-ht", Rule: "SMT enable/disable without hyper-threading fails with EOPNOTSUPP",
		Source: "xen/arch/x86/sysctl.c arch_do_sysctl",
		Needs:  Needs{NoSMT: true, SimOnly: "whether the lab's QEMU CPU reports x86_num_siblings ≥ 2 is unknown, and a successful SMT disable would offline CPUs"},
		Steps: steps(Hotplug(hypercall.HotplugSMTDisable, CPU0).Fails(EOPNOTSUPP), Hotplug(hypercall.HotplugSMTEnable, CPU0).Fails(EOPNOTSUPP),
			NrCPUs(0)),
	})
	add(Scenario{
		Name: "hotplug/smt-disable-enable", Rule: "SMT disable takes every secondary thread offline, SMT enable brings them back into Pool-0",
		Source: "xen/arch/x86/sysctl.c smt_up_down_helper",
		Needs:  Needs{SMT: true, SimOnly: "offlines half of the host's CPUs"},
		Steps: steps(
			Hotplug(hypercall.HotplugSMTDisable, CPU0),
			Expect("every secondary thread (APIC id & (threads-1) ≠ 0) is offline", func(c *C) error {
				mask := c.start.physinfo.ThreadsPerCore - 1
				for i, ci := range c.start.cpus {
					if ci.Invalid || !ci.Online {
						continue
					}
					now, err := c.hv.PCPUInfo(uint32(i))
					if err != nil {
						return err
					}
					if secondary := ci.APICID&mask != 0; now.Online == secondary {
						return fmt.Errorf("cpu %d (APIC id %d) online=%v after SMT disable", i, ci.APICID, now.Online)
					}
				}
				p, err := c.hv.Physinfo()
				if err == nil && p.ThreadsPerCore != 1 {
					err = fmt.Errorf("threads_per_core %d after SMT disable", p.ThreadsPerCore)
				}
				return err
			}),
			Hotplug(hypercall.HotplugSMTEnable, CPU0), NrCPUs(0), PoolCPUs(Pool0, 0)),
	})
	return out
}

// physinfoMatches checks physinfo against the online CPUs and the
// topology at the start.
func physinfoMatches() Step {
	return Expect("physinfo matches the online CPUs", func(c *C) error {
		p, err := c.hv.Physinfo()
		if err != nil {
			return err
		}
		cpus, err := hypercall.ListPCPUs(c.hv)
		if err != nil {
			return err
		}
		t0 := c.start.topo[0]
		var online, siblings, core uint32
		for i, ci := range cpus {
			if !ci.Online {
				continue
			}
			online++
			if i < len(c.start.topo) && c.start.topo[i].Socket == t0.Socket {
				core++
				if c.start.topo[i].Core == t0.Core {
					siblings++
				}
			}
		}
		if p.NrCPUs != online || p.ThreadsPerCore != siblings || p.CoresPerSocket != core/siblings {
			return fmt.Errorf("physinfo nr_cpus %d threads_per_core %d cores_per_socket %d, want %d %d %d",
				p.NrCPUs, p.ThreadsPerCore, p.CoresPerSocket, online, siblings, core/siblings)
		}
		if p.MaxCPUID != c.start.physinfo.MaxCPUID {
			return fmt.Errorf("max_cpu_id changed to %d", p.MaxCPUID)
		}
		return nil
	})
}

func pcpuScenarios() []Scenario {
	return []Scenario{
		{
			Name:   "pcpu/get-cpuinfo-invalid",
			Rule:   "XENPF_get_cpuinfo does not fail for absent CPUs or ids beyond nr_cpu_ids: they come back INVALID, with max_present filled",
			Source: "xen/arch/x86/platform_hypercall.c XENPF_get_cpuinfo",
			Steps: steps(Expect("absent ids are INVALID", func(c *C) error {
				ids := []uint32{c.start.physinfo.MaxCPUID + 1, 4095, 0xFFFFFFFF}
				if c.start.absent >= 0 {
					ids = append(ids, uint32(c.start.absent))
				}
				last := c.start.cpus[0].MaxPresent
				for _, id := range ids {
					i, err := c.hv.PCPUInfo(id)
					if err != nil {
						return fmt.Errorf("cpu %d: %v", id, err)
					}
					if !i.Invalid || i.Online || i.MaxPresent != last {
						return fmt.Errorf("cpu %d: %+v", id, i)
					}
				}
				return nil
			})),
		},
		{
			Name:   "pcpu/enumeration",
			Rule:   "CPUs are enumerated 0..max_present; max_cpu_id (nr_cpu_ids-1) is at least max_present; cputopoinfo covers the same ids and agrees on presence; nr_cpus counts the online ones",
			Source: "platform_hypercall.c XENPF_get_cpuinfo; xen/common/sysctl.c XEN_SYSCTL_cputopoinfo, XEN_SYSCTL_physinfo",
			Steps: steps(Expect("cpuinfo, cputopoinfo and physinfo agree", func(c *C) error {
				cpus, topo, p := c.start.cpus, c.start.topo, c.start.physinfo
				if len(topo) != len(cpus) {
					return fmt.Errorf("cputopoinfo has %d entries, get_cpuinfo max_present+1 is %d", len(topo), len(cpus))
				}
				if p.MaxCPUID < cpus[0].MaxPresent {
					return fmt.Errorf("max_cpu_id %d below max_present %d", p.MaxCPUID, cpus[0].MaxPresent)
				}
				online := uint32(0)
				for i, ci := range cpus {
					if ci.Online {
						online++
						if !topo[i].Present() {
							return fmt.Errorf("online cpu %d has no topology: %+v", i, topo[i])
						}
					}
					if ci.Invalid && topo[i].Present() {
						return fmt.Errorf("absent cpu %d has topology %+v", i, topo[i])
					}
				}
				if online != p.NrCPUs {
					return fmt.Errorf("%d online cpus, nr_cpus %d", online, p.NrCPUs)
				}
				if !cpus[0].Online {
					return fmt.Errorf("cpu 0 is offline")
				}
				return nil
			}), physinfoMatches()),
		},
		{
			Name:   "pcpu/boot-scheduler",
			Rule:   "XEN_SYSCTL_sched_id is the boot scheduler, Pool-0's",
			Source: "xen/common/sched/core.c sched_id",
			Steps: steps(Expect("sched_id is Pool-0's scheduler", func(c *C) error {
				id, err := c.hv.SchedulerID()
				if err != nil {
					return err
				}
				if p0 := c.start.pool(0); id != p0.Scheduler {
					return fmt.Errorf("sched_id %s, Pool-0 runs %s", id, p0.Scheduler)
				}
				return nil
			})),
		},
	}
}

// highest is the highest pool id at the start.
func highest(c *C) uint32 { return c.start.pools[len(c.start.pools)-1].ID }

func cpupoolScenarios() []Scenario {
	return []Scenario{
		{
			Name: "cpupool/create-unbuilt-scheduler", Rule: "CREATE with a scheduler that is not built (or the removed SEDF, id 4) fails with ENOENT",
			Source: srcSysctl + " CREATE, cpupool_create; xen/common/sched/core.c scheduler_alloc",
			Steps: steps(Step{What: "create a pool of every unbuilt scheduler", Do: func(c *C) error {
				for _, s := range []hypercall.Scheduler{credit, credit2, arinc653, rtds, null, 4} {
					if contains(c.env.built(), s) {
						continue
					}
					if _, err := c.hv.CpupoolCreate(hypercall.PoolAny, s); Errno(err) != ENOENT {
						return fmt.Errorf("create with %s: %v, want ENOENT", s, err)
					}
				}
				return nil
			}}, Expect("no pool was created", func(c *C) error {
				pools, err := hypercall.ListCpupools(c.hv)
				if err == nil && len(pools) != len(c.start.pools) {
					err = fmt.Errorf("%d pools, was %d", len(pools), len(c.start.pools))
				}
				return err
			})),
		},
		{
			Name: "cpupool/create-id-in-use", Rule: "CREATE with an explicit id that is in use fails with EEXIST",
			Source: srcSysctl + " CREATE, cpupool_create",
			Steps: steps(CreateIn(Pool0, credit).Fails(EEXIST), Create("a", credit2), CreateIn(Named("a"), credit).Fails(EEXIST),
				PoolIs(Named("a"), credit2, 0, 0)),
		},
		{
			Name: "cpupool/create-any", Rule: "CREATE with PAR_ANY takes (highest id)+1; the new pool has the scheduler asked for, no CPUs and no domains",
			Source: srcSysctl + " CREATE, cpupool_create",
			Steps: steps(Create("a", credit), PoolID("a", func(c *C) uint32 { return highest(c) + 1 }, "the highest id + 1"),
				PoolIs(Named("a"), credit, 0, 0), Create("b", credit2), PoolID("b", func(c *C) uint32 { return highest(c) + 2 }, "the highest id + 2"),
				PoolIs(Named("b"), credit2, 0, 0)),
		},
		{
			Name: "cpupool/id-not-reused-below-highest", Rule: "pool ids are (highest)+1, so a destroyed pool's id is not reused while a higher one exists",
			Source: srcSysctl + " CREATE, cpupool_create",
			Steps: steps(Create("a", credit), Create("b", credit), Destroy(Named("a")), NoSuchPool(Named("a")),
				Create("c", credit), PoolID("c", func(c *C) uint32 { return c.pools["b"] + 1 }, "b's id + 1")),
		},
		{
			Name: "cpupool/create-explicit-id", Rule: "CREATE with a free explicit id uses it; PAR_ANY then continues above it",
			Source: srcSysctl + " CREATE, cpupool_create",
			Steps: steps(CreateID("a", func(c *C) uint32 { return highest(c) + 5 }, credit),
				PoolID("a", func(c *C) uint32 { return highest(c) + 5 }, "the id asked for"),
				Create("b", credit), PoolID("b", func(c *C) uint32 { return highest(c) + 6 }, "a's id + 1")),
		},
		{
			Name: "cpupool/id-wrap-first-gap", Rule: "when the highest pool id is 0xFFFFFFFE, PAR_ANY takes the first gap",
			Source: srcSysctl + " CREATE, cpupool_create (\"In case of wrap search for first free id\")",
			Steps: steps(CreateID("top", func(*C) uint32 { return 0xFFFFFFFE }, credit), Create("gap", credit),
				PoolID("gap", firstGap, "the first gap")),
		},
		{
			Name: "cpupool/too-many-pools", Rule: "CREATE fails with ENOSPC once 2×nr_cpu_ids pools exist, before the EEXIST check",
			Source: srcSysctl + " CREATE, cpupool_create",
			Steps: steps(Step{What: "create pools up to 2×nr_cpu_ids", Do: func(c *C) error {
				n := 2*int(c.start.physinfo.MaxCPUID+1) - len(c.start.pools)
				for i := 0; i < n; i++ {
					if _, err := c.hv.CpupoolCreate(hypercall.PoolAny, credit); err != nil {
						return fmt.Errorf("pool %d of %d: %w", i+1, n, err)
					}
				}
				return nil
			}}, Create("one-too-many", credit).Fails(ENOSPC), CreateIn(Pool0, credit).Fails(ENOSPC)),
		},
		{
			Name: "cpupool/destroy-missing", Rule: "DESTROY of a pool that does not exist fails with ENOENT",
			Source: srcSysctl + " DESTROY",
			Steps:  steps(Destroy(NoPool).Fails(ENOENT)),
		},
		{
			Name: "cpupool/destroy-with-cpu", Rule: "DESTROY of a pool that still has a CPU fails with EBUSY; empty, it succeeds",
			Source: srcSysctl + " DESTROY, cpupool_destroy",
			Needs:  Needs{Spares: 1},
			Steps: steps(withPool("a", spareSched, 0), Destroy(Named("a")).Fails(EBUSY), PoolIs(Named("a"), spareSched, 1, 0),
				Move(Spare(0), Named("a"), Pool0), Destroy(Named("a")), NoSuchPool(Named("a"))),
		},
		{
			Name: "cpupool/destroy-with-domain", Rule: "DESTROY of a pool that has a domain fails with EBUSY",
			Source: srcSysctl + " DESTROY, cpupool_destroy",
			Needs:  Needs{Spares: 1, DomU: true},
			Steps: steps(withPool("a", spareSched, 0), MoveDom(DomU, Named("a")), Destroy(Named("a")).Fails(EBUSY),
				PoolIs(Named("a"), spareSched, 1, 1)),
		},
		{
			Name: "cpupool/destroy-pool0", Rule: "Pool-0 cannot be destroyed: it always holds CPU 0 (EBUSY)",
			Source: srcSysctl + " DESTROY, cpupool_destroy",
			Steps:  steps(Destroy(Pool0).Fails(EBUSY), InPool(CPU0, Pool0)),
		},
		{
			Name: "cpupool/info-enumeration", Rule: "INFO returns the pool with the smallest id ≥ the one asked for, and ENOENT past the last pool",
			Source: srcSysctl + " INFO, cpupool_get_next_by_id",
			Steps: steps(
				CreateID("a", func(c *C) uint32 { return highest(c) + 3 }, credit),
				CreateID("b", func(c *C) uint32 { return highest(c) + 7 }, credit2),
				Expect("INFO finds the next pool", func(c *C) error {
					h := highest(c)
					for ask, want := range map[uint32]uint32{0: c.start.pools[0].ID, h + 1: h + 3, h + 3: h + 3, h + 4: h + 7, h + 7: h + 7} {
						info, err := c.hv.CpupoolInfo(ask)
						if err != nil {
							return fmt.Errorf("info(%d): %v", ask, err)
						}
						if info.ID != want {
							return fmt.Errorf("info(%d) = pool %d, want %d", ask, info.ID, want)
						}
					}
					if _, err := c.hv.CpupoolInfo(h + 8); Errno(err) != ENOENT {
						return fmt.Errorf("info past the last pool: %v, want ENOENT", err)
					}
					pools, err := hypercall.ListCpupools(c.hv)
					if err == nil && len(pools) != len(c.start.pools)+2 {
						err = fmt.Errorf("ListCpupools found %d pools, want %d", len(pools), len(c.start.pools)+2)
					}
					return err
				})),
		},
		{
			Name: "cpupool/addcpu-missing-pool", Rule: "ADDCPU to a pool that does not exist fails with ENOENT",
			Source: srcSysctl + " ADDCPU", Needs: Needs{Spares: 1},
			Steps: steps(Remove(Pool0, Spare(0)), Add(NoPool, Spare(0)).Fails(ENOENT), IsFree(Spare(0))),
		},
		{
			Name: "cpupool/addcpu-beyond-nr-cpu-ids", Rule: "ADDCPU of a CPU id at or beyond nr_cpu_ids fails with EINVAL",
			Source: srcSysctl + " ADDCPU",
			Steps:  steps(Create("a", credit), Add(Named("a"), Beyond).Fails(EINVAL), PoolIs(Named("a"), credit, 0, 0)),
		},
		{
			Name: "cpupool/addcpu-busy-cpu", Rule: "ADDCPU of a CPU that is not free (in Pool-0 or another pool) fails with ENODEV",
			Source: srcSysctl + " ADDCPU", Needs: Needs{Spares: 2},
			Steps: steps(Create("a", spareSched), Add(Named("a"), Spare(0)).Fails(ENODEV), Add(Pool0, Spare(0)).Fails(ENODEV),
				Add(Named("a"), CPU0).Fails(ENODEV), Move(Spare(1), Pool0, Named("a")), Add(Named("a"), Spare(1)).Fails(ENODEV),
				Add(Pool0, Spare(1)).Fails(ENODEV), InPool(Spare(1), Named("a")), InPool(Spare(0), Pool0)),
		},
		{
			Name: "cpupool/addcpu-any", Rule: "ADDCPU with PAR_ANY takes the first free CPU, and fails with ENODEV when none is free",
			Source: srcSysctl + " ADDCPU", Needs: Needs{Spares: 2},
			Steps: steps(Create("a", spareSched), Expect("ADDCPU of any cpu with none free is ENODEV (if none is free at the start)", func(c *C) error {
				if c.start.free.Len() != 0 {
					return nil
				}
				return wantErrno(c.hv.CpupoolAddCPU(c.pools["a"], hypercall.PoolAny), ENODEV)
			}),
				Remove(Pool0, Spare(0)), Remove(Pool0, Spare(1)), Add(Named("a"), AnyCPU),
				Expect("the lowest free cpu joined pool a", func(c *C) error {
					lowest := c.start.spares[1]
					if f := cpuIDs(c.start.free); len(f) > 0 && f[0] < lowest {
						lowest = f[0]
					}
					info, err := c.hv.CpupoolInfo(c.pools["a"])
					if err == nil && (info.CPUs.Len() != 1 || !info.CPUs.Has(int(lowest))) {
						err = fmt.Errorf("pool a has %v, want cpu %d", info.CPUs, lowest)
					}
					return err
				})),
		},
		{
			Name: "cpupool/rmcpu-missing-pool", Rule: "RMCPU from a pool that does not exist fails with ENOENT",
			Source: srcSysctl + " RMCPU", Needs: Needs{Spares: 1},
			Steps: steps(Remove(NoPool, Spare(0)).Fails(ENOENT), InPool(Spare(0), Pool0)),
		},
		{
			Name: "cpupool/rmcpu-cpu0", Rule: "CPU 0 never leaves Pool-0: RMCPU of it fails with EINVAL",
			Source: srcSysctl + " RMCPU, cpupool_unassign_cpu",
			Steps:  steps(Remove(Pool0, CPU0).Fails(EINVAL), InPool(CPU0, Pool0)),
		},
		{
			Name: "cpupool/rmcpu-beyond-nr-cpu-ids", Rule: "RMCPU of a CPU id at or beyond nr_cpu_ids fails with EINVAL",
			Source: srcSysctl + " RMCPU",
			Steps:  steps(Remove(Pool0, Beyond).Fails(EINVAL)),
		},
		{
			Name: "cpupool/rmcpu-not-member", Rule: "RMCPU of a CPU that is not in that pool fails with EADDRNOTAVAIL (not the ENODEV the header comment says)",
			Source: srcSysctl + " RMCPU, cpupool_unassign_cpu_start", Needs: Needs{Spares: 2},
			Steps: steps(withPool("a", spareSched, 0), Remove(Named("a"), Spare(1)).Fails(EADDRNOTAVAIL),
				Remove(Pool0, Spare(0)).Fails(EADDRNOTAVAIL), Remove(Named("a"), CPU0).Fails(EADDRNOTAVAIL),
				Remove(Pool0, Spare(1)), Remove(Pool0, Spare(1)).Fails(EADDRNOTAVAIL), IsFree(Spare(1))),
		},
		{
			Name: "cpupool/rmcpu-last-cpu-with-domain", Rule: "RMCPU of a pool's last CPU while the pool has a domain fails with EBUSY; without the domain it succeeds",
			Source: srcSysctl + " RMCPU, cpupool_unassign_cpu_start", Needs: Needs{Spares: 2, DomU: true},
			Steps: steps(withPool("a", credit2, 0), Move(Spare(1), Pool0, Named("a")), MoveDom(DomU, Named("a")),
				Remove(Named("a"), Spare(1)), Remove(Named("a"), Spare(0)).Fails(EBUSY), InPool(Spare(0), Named("a")),
				MoveDom(DomU, DomHome), Remove(Named("a"), Spare(0)), IsFree(Spare(0))),
		},
		{
			Name: "cpupool/rmcpu-makes-cpu-free", Rule: "a removed CPU becomes free; it does not go back to Pool-0",
			Source: srcSysctl + " RMCPU, cpupool_unassign_cpu_finish", Needs: Needs{Spares: 1},
			Steps: steps(withPool("a", spareSched, 0), Remove(Named("a"), Spare(0)), IsFree(Spare(0)), PoolCPUs(Pool0, -1),
				PoolIs(Named("a"), spareSched, 0, 0)),
		},
		{
			Name: "cpupool/rmcpu-any", Rule: "RMCPU with PAR_ANY removes the pool's last CPU; on an empty pool it fails with EINVAL",
			Source: srcSysctl + " RMCPU", Needs: Needs{Spares: 1},
			Steps: steps(Create("a", credit), Remove(Named("a"), AnyCPU).Fails(EINVAL), Remove(Pool0, AnyCPU),
				Expect("the highest cpu of Pool-0 was removed", func(c *C) error {
					last := cpuIDs(c.start.pool(0).CPUs)
					w, err := c.where(last[len(last)-1])
					if err == nil && w != "free" {
						err = fmt.Errorf("cpu %d is in %s, want free", last[len(last)-1], w)
					}
					return err
				})),
		},
		{
			Name: "cpupool/movedomain-missing-domain", Rule: "MOVEDOMAIN of a domain that does not exist fails with ESRCH",
			Source: srcSysctl + " MOVEDOMAIN, rcu_lock_remote_domain_by_id",
			Steps:  steps(MoveDom(NoDom, Pool0).Fails(ESRCH)),
		},
		{
			Name: "cpupool/movedomain-dom0", Rule: "dom0 cannot move itself: MOVEDOMAIN of the caller fails with EPERM, even into its own pool",
			Source: srcSysctl + " MOVEDOMAIN, rcu_lock_remote_domain_by_id", Needs: Needs{Spares: 1},
			Steps: steps(withPool("a", spareSched, 0), MoveDom(Dom0, Named("a")).Fails(EPERM), MoveDom(Dom0, Pool0).Fails(EPERM),
				DomIn(Dom0, Pool0), NDom(Named("a"), 0)),
		},
		{
			Name: "cpupool/movedomain-no-cpus-or-no-pool", Rule: "MOVEDOMAIN into a pool that does not exist or has no CPUs fails with ENOENT",
			Source: srcSysctl + " MOVEDOMAIN", Needs: Needs{DomU: true},
			Steps: steps(Create("empty", credit), MoveDom(DomU, Named("empty")).Fails(ENOENT), MoveDom(DomU, NoPool).Fails(ENOENT),
				DomIn(DomU, DomHome), PoolIs(Named("empty"), credit, 0, 0)),
		},
		{
			Name: "cpupool/movedomain-same-pool", Rule: "MOVEDOMAIN into the pool the domain is in succeeds and changes nothing",
			Source: srcSysctl + " MOVEDOMAIN", Needs: Needs{DomU: true},
			Steps: steps(MoveDom(DomU, DomHome), DomIn(DomU, DomHome), NDom(DomHome, 0)),
		},
		{
			Name: "cpupool/movedomain-round-trip", Rule: "MOVEDOMAIN moves a domain between pools; both pools' n_dom and the domain's cpupool follow",
			Source: srcSysctl + " MOVEDOMAIN, cpupool_move_domain_locked", Needs: Needs{Spares: 1, DomU: true},
			Steps: steps(withPool("a", spareSched, 0), MoveDom(DomU, Named("a")), DomIn(DomU, Named("a")), NDom(DomHome, -1),
				PoolIs(Named("a"), spareSched, 1, 1), MoveDom(DomU, DomHome), DomIn(DomU, DomHome), NDom(DomHome, 0),
				PoolIs(Named("a"), spareSched, 1, 0)),
		},
		{
			Name: "cpupool/movedomain-resets-sched-params", Rule: "a domain moved to another pool gets the new scheduler's default parameters (weight 256, cap 0)",
			Source: "xen/common/sched/core.c sched_move_domain (sched_alloc_domdata); credit.c, credit2.c alloc_domdata",
			Needs:  Needs{Spares: 2, DomU: true, Schedulers: []hypercall.Scheduler{credit, credit2}},
			Steps: steps(withPool("c2", credit2, 0), withPool("c1", credit, 1), MoveDom(DomU, Named("c2")),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 256}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 512, Cap: 50}),
				MoveDom(DomU, Named("c1")), DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 256}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 1024, Cap: 30}),
				MoveDom(DomU, Named("c2")), DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 256})),
		},
		{
			Name: "cpupool/freeinfo", Rule: "FREEINFO lists exactly the online CPUs in no pool",
			Source: srcSysctl + " FREEINFO", Needs: Needs{Spares: 2},
			Steps: steps(Remove(Pool0, Spare(0)), Remove(Pool0, Spare(1)), Offline(Sysctl, Spare(1)),
				Expect("free = the start's free CPUs + spare0", func(c *C) error {
					free, err := c.hv.CpupoolFreeCPUs()
					if err != nil {
						return err
					}
					want := append(cpuIDs(c.start.free), c.start.spares[0])
					if free.Len() != len(want) {
						return fmt.Errorf("free %v, want %v", free, want)
					}
					for _, w := range want {
						if !free.Has(int(w)) {
							return fmt.Errorf("free %v, want %v", free, want)
						}
					}
					return nil
				})),
		},
		{
			Name: "cpupool/interrupted-rmcpu", Rule: "after an RMCPU stopped with EAGAIN the CPU is free but still moving: adding it to another pool is EADDRNOTAVAIL, removing another CPU is EADDRNOTAVAIL, adding it back to its pool repairs it; a few EAGAINs are retried away",
			Source: srcSysctl + " RMCPU/ADDCPU, cpupool_unassign_cpu_finish, cpupool_assign_cpu_locked; tools/libs/ctrl do_sysctl_save",
			Needs:  Needs{Spares: 3, Faults: true, SimOnly: "needs injected EAGAIN"},
			Steps: steps(withPool("a", credit, 0), withPool("b", credit, 1),
				Inject(xensim.OpPoolRmCPU, EAGAIN, 3), Remove(Named("a"), Spare(0)), IsFree(Spare(0)), Add(Named("a"), Spare(0)),
				InjectAlways(xensim.OpPoolRmCPU, EAGAIN), Remove(Named("a"), Spare(0)).Fails(EAGAIN), ClearFaults(),
				IsFree(Spare(0)), Add(Named("b"), Spare(0)).Fails(EADDRNOTAVAIL), Remove(Pool0, Spare(2)).Fails(EADDRNOTAVAIL),
				Add(Named("a"), Spare(0)), InPool(Spare(0), Named("a")), Move(Spare(2), Pool0, Named("b"))),
		},
		{
			Name: "cpupool/numa-split", Rule: "the CPUs of one NUMA node move into a new pool (what xl cpupool-numa-split does with these operations)",
			Source: srcSysctl + " ADDCPU/RMCPU",
			Needs:  Needs{Nodes: 2, Spares: 4},
			Steps: steps(Create("node1", credit2), Step{What: "move node 1's CPUs", Do: func(c *C) error {
				for i, t := range c.start.topo {
					if t.Node == 1 && c.start.online(uint32(i)) && c.start.pool(0).CPUs.Has(i) {
						if err := c.hv.CpupoolRemoveCPU(0, uint32(i)); err != nil {
							return err
						}
						if err := c.hv.CpupoolAddCPU(c.pools["node1"], uint32(i)); err != nil {
							return err
						}
					}
				}
				return nil
			}}, Expect("node 1 is in its own pool", func(c *C) error {
				info, err := c.hv.CpupoolInfo(c.pools["node1"])
				if err != nil {
					return err
				}
				for _, cpu := range cpuIDs(info.CPUs) {
					if c.start.topo[cpu].Node != 1 {
						return fmt.Errorf("cpu %d of node %d in the node-1 pool", cpu, c.start.topo[cpu].Node)
					}
				}
				if info.CPUs.Len() == 0 {
					return fmt.Errorf("no CPU moved")
				}
				return nil
			})),
		},
	}
}

// firstGap is the id cpupool_create picks on wrap: after the first pool
// whose successor's id is not its id + 1.
func firstGap(c *C) uint32 {
	ids := []uint32{}
	for _, p := range c.start.pools {
		ids = append(ids, p.ID)
	}
	ids = append(ids, 0xFFFFFFFE)
	for i := 0; i+1 < len(ids); i++ {
		if ids[i]+1 != ids[i+1] {
			return ids[i] + 1
		}
	}
	return 0
}

func contains(s []hypercall.Scheduler, x hypercall.Scheduler) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func creditP(ts, rl, md uint32) hypercall.PoolSchedParams {
	return hypercall.PoolSchedParams{Scheduler: credit, TsliceMS: ts, RatelimitUS: rl, MigrationDelayUS: md}
}

func credit2P(rl uint32) hypercall.PoolSchedParams {
	return hypercall.PoolSchedParams{Scheduler: credit2, RatelimitUS: rl}
}

func schedScenarios() []Scenario {
	type rangeCase struct {
		p    hypercall.PoolSchedParams
		want syscall.Errno
	}
	putAll := func(p Pool, cases []rangeCase) Step {
		return Step{What: fmt.Sprintf("putinfo %d parameter sets on %s", len(cases), p.name), Do: func(c *C) error {
			for _, rc := range cases {
				err := c.hv.SetPoolSchedParams(p.id(c), rc.p)
				if e := wantErrno(err, rc.want); e != nil {
					return fmt.Errorf("%s: %v", poolParamString(rc.p), e)
				}
			}
			return nil
		}}
	}
	return []Scenario{
		{
			Name: "sched/credit-pool-defaults", Rule: "a new credit pool has tslice 30 ms, ratelimit 1000 µs, migration delay 0",
			Source: "xen/common/sched/credit.c csched_init, csched_sys_cntl; core.c sched_ratelimit_us",
			Needs:  Needs{Schedulers: []hypercall.Scheduler{credit}},
			Steps:  steps(Create("a", credit), PoolParams(Named("a"), creditP(30, 1000, 0))),
		},
		{
			Name: "sched/credit2-pool-defaults", Rule: "a new credit2 pool has ratelimit 1000 µs",
			Source: "xen/common/sched/credit2.c csched2_init, csched2_sys_cntl",
			Needs:  Needs{Schedulers: []hypercall.Scheduler{credit2}},
			Steps:  steps(Create("a", credit2), PoolParams(Named("a"), credit2P(1000))),
		},
		{
			Name: "sched/credit-pool-ranges", Rule: "credit putinfo: tslice 1–1000 ms, ratelimit 0 or 100–500000 µs and not above the tslice, migration delay ≤ 100000 µs, else EINVAL and nothing changes",
			Source: "xen/common/sched/credit.c csched_sys_cntl",
			Needs:  Needs{Schedulers: []hypercall.Scheduler{credit}},
			Steps: steps(Create("a", credit), putAll(Named("a"), []rangeCase{
				{creditP(0, 0, 0), EINVAL},
				{creditP(1, 0, 0), 0},
				{creditP(1000, 1000, 0), 0},
				{creditP(1001, 1000, 0), EINVAL},
				{creditP(30, 99, 0), EINVAL},
				{creditP(30, 100, 0), 0},
				{creditP(30, 30000, 0), 0},
				{creditP(30, 30001, 0), EINVAL},
				{creditP(1000, 500000, 0), 0},
				{creditP(1000, 500001, 0), EINVAL},
				{creditP(30, 1000, 100000), 0},
				{creditP(10, 2000, 100001), EINVAL},
			}), PoolParams(Named("a"), creditP(30, 1000, 100000))),
		},
		{
			Name: "sched/credit2-pool-ranges", Rule: "credit2 putinfo: ratelimit 0 or 100–500000 µs, else EINVAL and nothing changes",
			Source: "xen/common/sched/credit2.c csched2_sys_cntl",
			Needs:  Needs{Schedulers: []hypercall.Scheduler{credit2}},
			Steps: steps(Create("a", credit2), putAll(Named("a"), []rangeCase{
				{credit2P(0), 0}, {credit2P(99), EINVAL}, {credit2P(100), 0}, {credit2P(500000), 0},
				{credit2P(500001), EINVAL}, {credit2P(2500), 0}, {credit2P(1), EINVAL},
			}), PoolParams(Named("a"), credit2P(2500))),
		},
		{
			Name: "sched/pool-params-wrong-scheduler", Rule: "pool parameters with a scheduler other than the pool's fail with EINVAL",
			Source: "xen/common/sched/core.c sched_adjust_global",
			Needs:  Needs{Schedulers: []hypercall.Scheduler{credit, credit2}},
			Steps: steps(Create("c1", credit), Create("c2", credit2), GetPool(Named("c1"), credit2).Fails(EINVAL),
				GetPool(Named("c2"), credit).Fails(EINVAL), SetPool(Named("c1"), credit2P(1000)).Fails(EINVAL),
				SetPool(Named("c2"), creditP(30, 1000, 0)).Fails(EINVAL), PoolParams(Named("c1"), creditP(30, 1000, 0))),
		},
		{
			Name: "sched/pool-params-missing-pool", Rule: "pool parameters of a pool that does not exist fail with ESRCH (not ENOENT)",
			Source: "xen/common/sched/core.c sched_adjust_global",
			Steps:  steps(GetPool(NoPool, credit2).Fails(ESRCH), SetPool(NoPool, credit2P(1000)).Fails(ESRCH), GetPool(NoPool, credit).Fails(ESRCH)),
		},
		{
			Name: "sched/credit2-domain-params", Rule: "credit2 putinfo: weight 0 keeps the weight; a cap above 100 × vCPUs is EINVAL after the weight was set; cap 0 removes the cap; defaults are weight 256, cap 0",
			Source: "xen/common/sched/credit2.c csched2_dom_cntl",
			Needs:  Needs{Spares: 1, DomU: true, Schedulers: []hypercall.Scheduler{credit2}},
			Steps: steps(withPool("c2", credit2, 0), MoveDom(DomU, Named("c2")),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 256}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 512, Cap: 50}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Cap: 60}),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 512, Cap: 60}),
				SetDomF(DomU, "weight 700, cap 100 × vCPUs + 1", func(c *C) hypercall.DomainSchedParams {
					return hypercall.DomainSchedParams{Scheduler: credit2, Weight: 700, Cap: 100*domUVCPUs(c) + 1}
				}).Fails(EINVAL),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 700, Cap: 60}),
				SetDomF(DomU, "cap 100 × vCPUs", func(c *C) hypercall.DomainSchedParams {
					return hypercall.DomainSchedParams{Scheduler: credit2, Cap: 100 * domUVCPUs(c)}
				}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 1}),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 1}),
			),
		},
		{
			Name: "sched/credit-domain-params", Rule: "credit putinfo: weight 0 and cap 0xFFFF keep the values; any other weight and cap are taken unchecked (the limits are libxl's); defaults are weight 256, cap 0",
			Source: "xen/common/sched/credit.c csched_dom_cntl",
			Needs:  Needs{Spares: 1, DomU: true, Schedulers: []hypercall.Scheduler{credit}},
			Steps: steps(withPool("c1", credit, 0), MoveDom(DomU, Named("c1")),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 256}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 65535, Cap: 5000}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 0, Cap: 0xFFFF}),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 65535, Cap: 5000}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 1, Cap: 0}),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 1})),
		},
		{
			Name: "sched/domain-params-wrong-scheduler", Rule: "domain parameters with a scheduler other than its pool's fail with EINVAL",
			Source: "xen/common/sched/core.c sched_adjust",
			Needs:  Needs{Spares: 1, DomU: true, Schedulers: []hypercall.Scheduler{credit, credit2}},
			Steps: steps(withPool("c1", credit, 0), MoveDom(DomU, Named("c1")), GetDom(DomU, credit2).Fails(EINVAL),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: credit2, Weight: 300}).Fails(EINVAL),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: credit, Weight: 256}),
				Step{What: "read dom0's parameters with a scheduler that is not Pool-0's", Do: func(c *C) error {
					other := credit
					if c.start.pool(0).Scheduler == credit {
						other = credit2
					}
					_, err := c.hv.DomainSchedParams(0, other)
					return err
				}, Want: EINVAL}),
		},
		{
			Name: "sched/domain-params-missing-domain", Rule: "domain parameters of a domain that does not exist fail with ESRCH",
			Source: "xen/common/domctl.c do_domctl",
			Steps: steps(Step{What: "read and write a missing domain's parameters", Do: func(c *C) error {
				s := c.start.pool(0).Scheduler
				d := NoDom.id(c)
				if _, err := c.hv.DomainSchedParams(d, s); Errno(err) != ESRCH {
					return fmt.Errorf("getinfo: %v, want ESRCH", err)
				}
				return c.hv.SetDomainSchedParams(d, hypercall.DomainSchedParams{Scheduler: s, Weight: 300})
			}, Want: ESRCH}),
		},
		{
			Name: "sched/vcpu-params-credit", Rule: "per-vCPU parameters are an rtds feature: credit and credit2 refuse them with EINVAL",
			Source: "xen/common/sched/credit.c csched_dom_cntl, credit2.c csched2_dom_cntl",
			Needs:  Needs{Spares: 2, DomU: true, Schedulers: []hypercall.Scheduler{credit, credit2}},
			Steps: steps(withPool("c1", credit, 0), withPool("c2", credit2, 1), MoveDom(DomU, Named("c1")),
				GetVCPU(DomU, credit, 0).Fails(EINVAL), SetVCPU(DomU, credit, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 100, BudgetUS: 50}).Fails(EINVAL),
				MoveDom(DomU, Named("c2")),
				GetVCPU(DomU, credit2, 0).Fails(EINVAL), SetVCPU(DomU, credit2, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 100, BudgetUS: 50}).Fails(EINVAL)),
		},
		{
			Name: "sched/rtds", Rule: "rtds: vCPUs start with period 10000 µs, budget 4000 µs, extratime; putinfo refuses a 0 period or budget and sets every vCPU unchecked; getinfo reports the defaults; putvcpuinfo needs 10 µs ≤ budget ≤ period and an existing vCPU, applying the entries before a bad one",
			Source: "xen/common/sched/rt.c rt_alloc_udata, rt_dom_cntl",
			Needs:  Needs{Spares: 1, DomU: true, Schedulers: []hypercall.Scheduler{rtds}},
			Steps: steps(withPool("rt", rtds, 0), MoveDom(DomU, Named("rt")),
				VCPUParams(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 10000, BudgetUS: 4000, Extratime: true}),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: rtds, PeriodUS: 0, BudgetUS: 100}).Fails(EINVAL),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: rtds, PeriodUS: 100, BudgetUS: 0}).Fails(EINVAL),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: rtds, PeriodUS: 2000, BudgetUS: 3000}),
				DomParams(DomU, hypercall.DomainSchedParams{Scheduler: rtds, PeriodUS: 10000, BudgetUS: 4000}),
				VCPUParams(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 2000, BudgetUS: 3000, Extratime: true}),
				SetVCPU(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 1000, BudgetUS: 500},
					hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 1000, BudgetUS: 5}).Fails(EINVAL),
				VCPUParams(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 1000, BudgetUS: 500}),
				SetVCPU(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 9, BudgetUS: 9}).Fails(EINVAL),
				SetVCPU(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 100, BudgetUS: 101}).Fails(EINVAL),
				SetVCPU(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 4095, PeriodUS: 100, BudgetUS: 50}).Fails(EINVAL),
				GetVCPU(DomU, rtds, 4095).Fails(EINVAL),
				SetVCPU(DomU, rtds, hypercall.VCPUSchedParams{VCPU: 0, PeriodUS: 10, BudgetUS: 10, Extratime: true}),
				SetPool(Named("rt"), hypercall.PoolSchedParams{Scheduler: rtds})),
		},
		{
			Name: "sched/null", Rule: "null has no adjust hooks: domain and pool parameter calls succeed and change nothing",
			Source: "xen/common/sched/core.c sched_adjust, sched_adjust_global; private.h sched_adjust_dom, sched_adjust_cpupool",
			Needs:  Needs{Spares: 1, DomU: true, Schedulers: []hypercall.Scheduler{null}},
			Steps: steps(withPool("n", null, 0), MoveDom(DomU, Named("n")),
				SetDom(DomU, hypercall.DomainSchedParams{Scheduler: null, Weight: 7}), DomParams(DomU, hypercall.DomainSchedParams{Scheduler: null}),
				GetVCPU(DomU, null, 0), SetPool(Named("n"), hypercall.PoolSchedParams{Scheduler: null}), GetDom(DomU, credit2).Fails(EINVAL)),
		},
		{
			Name: "sched/arinc653", Rule: "arinc653: a new pool has an empty schedule; putinfo needs 1–64 entries with positive runtimes within a positive major frame",
			Source: "xen/common/sched/arinc653.c a653sched_adjust_global, arinc653_sched_set",
			Needs:  Needs{Schedulers: []hypercall.Scheduler{arinc653}},
			Steps: steps(Create("a", arinc653), Expect("the schedule is empty", func(c *C) error {
				p, err := c.hv.PoolSchedParams(c.pools["a"], arinc653)
				if err == nil && (p.ARINC653 == nil || p.ARINC653.MajorFrame != 0 || len(p.ARINC653.Entries) != 0) {
					err = fmt.Errorf("schedule %+v", p.ARINC653)
				}
				return err
			}),
				SetPool(Named("a"), a653(0, 10)).Fails(EINVAL), SetPool(Named("a"), a653(100)).Fails(EINVAL),
				SetPool(Named("a"), a653(100, 60, 50)).Fails(EINVAL), SetPool(Named("a"), a653(100, 60, 0)).Fails(EINVAL),
				SetPool(Named("a"), a653(100, 60, 40)),
				Expect("the schedule was set", func(c *C) error {
					p, err := c.hv.PoolSchedParams(c.pools["a"], arinc653)
					if err == nil && (p.ARINC653.MajorFrame != 100 || len(p.ARINC653.Entries) != 2) {
						err = fmt.Errorf("schedule %+v", p.ARINC653)
					}
					return err
				})),
		},
	}
}

func a653(major time.Duration, runtimes ...time.Duration) hypercall.PoolSchedParams {
	s := &hypercall.ARINC653Schedule{MajorFrame: major}
	for _, r := range runtimes {
		s.Entries = append(s.Entries, hypercall.ARINC653Entry{Runtime: r})
	}
	return hypercall.PoolSchedParams{Scheduler: arinc653, ARINC653: s}
}

func domainScenarios() []Scenario {
	return []Scenario{
		{
			Name: "domain/info-missing", Rule: "getdomaininfo of a domain that does not exist fails with ESRCH",
			Source: "xen/common/domctl.c XEN_DOMCTL_getdomaininfo",
			Steps: steps(Step{What: "getdomaininfo of a missing domain", Do: func(c *C) error {
				_, err := c.hv.DomainInfo(NoDom.id(c))
				return err
			}, Want: ESRCH}),
		},
		{
			Name: "domain/list", Rule: "getdomaininfolist lists domains in domid order from first_domain, up to max_domains; dom0 is in Pool-0; each domain's cpupool exists and the pools' n_dom add up",
			Source: "xen/common/sysctl.c XEN_SYSCTL_getdomaininfolist; cpupool.c cpupool_add_domain",
			Steps: steps(Expect("the list is ordered and consistent", func(c *C) error {
				all := c.start.domains
				if len(all) == 0 || all[0].Domid != 0 || all[0].Cpupool != 0 {
					return fmt.Errorf("domains %+v: want Domain-0 first, in Pool-0", all)
				}
				for i := 1; i < len(all); i++ {
					if all[i].Domid <= all[i-1].Domid {
						return fmt.Errorf("domains out of order: %d after %d", all[i].Domid, all[i-1].Domid)
					}
				}
				if c.env.DomU != 0 && c.start.domain(c.env.DomU) == nil {
					return fmt.Errorf("domU %d not listed", c.env.DomU)
				}
				first, err := c.hv.DomainInfoList(1, 1)
				if err != nil {
					return err
				}
				if len(all) > 1 && (len(first) != 1 || first[0].Domid != all[1].Domid) {
					return fmt.Errorf("list from 1, max 1: %+v", first)
				}
				d0, err := c.hv.DomainInfo(0)
				if err != nil {
					return err
				}
				if d0.OnlineVCPUs == 0 || d0.MaxVCPUID+1 < d0.OnlineVCPUs {
					return fmt.Errorf("dom0 info %+v", d0)
				}
				return checkInvariants(c.hv)
			})),
		},
	}
}
