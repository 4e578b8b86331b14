package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"syscall"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

// Scenario is one conformance check: a sequence of Hypervisor operations
// with their expected results, run from the host's current state, which
// the runner restores afterwards.
type Scenario struct {
	// Name is "area/case" or "area/case/path", e.g. "hotplug/cpu0/sysctl".
	Name string
	// Rule is what is checked, in the words of xen-abi.md §6.
	Rule string
	// Source names the Xen function(s) implementing the rule.
	Source string
	Needs  Needs
	Steps  []Step
}

// Step is one operation and what must follow from it.
type Step struct {
	What string
	// Do performs the operation; its error must carry Want (0: success).
	Do   func(c *C) error
	Want syscall.Errno
	// Check, if set, verifies the state afterwards.
	Check func(c *C) error
}

// Fails returns the step expecting errno.
func (s Step) Fails(errno syscall.Errno) Step {
	s.Want = errno
	s.What += " → " + errnoName(errno)
	return s
}

// --- references resolved when the scenario runs ---

// CPU names a CPU relative to the host.
type CPU struct {
	name string
	id   func(c *C) uint32
}

func (r CPU) String() string { return r.name }

// Spare(i) is the i-th online CPU of Pool-0 other than CPU 0 at the
// start, counting from the highest.
func Spare(i int) CPU {
	return CPU{"spare" + strconv.Itoa(i), func(c *C) uint32 { return c.start.spares[i] }}
}

var (
	CPU0 = CPU{"cpu 0", func(*C) uint32 { return 0 }}
	// Beyond is the first id past nr_cpu_ids.
	Beyond = CPU{"cpu max_cpu_id+1", func(c *C) uint32 { return c.start.physinfo.MaxCPUID + 1 }}
	// AllOnes is 0xFFFFFFFF as a CPU id (not PoolAny in hotplug calls).
	AllOnes = CPU{"cpu 0xFFFFFFFF", func(*C) uint32 { return 0xFFFFFFFF }}
	// Absent is a non-present id below nr_cpu_ids (Needs.Absent).
	Absent = CPU{"an absent cpu", func(c *C) uint32 { return uint32(c.start.absent) }}
	// AnyCPU is XEN_SYSCTL_CPUPOOL_PAR_ANY for ADDCPU and RMCPU.
	AnyCPU = CPU{"any cpu", func(*C) uint32 { return hypercall.PoolAny }}
)

// Pool names a cpupool.
type Pool struct {
	name string
	id   func(c *C) uint32
}

func (p Pool) String() string { return p.name }

var (
	Pool0 = Pool{"Pool-0", func(*C) uint32 { return 0 }}
	// NoPool is an id no pool has: 1000 above the highest at the start.
	NoPool = Pool{"a missing pool", func(c *C) uint32 { return c.start.pools[len(c.start.pools)-1].ID + 1000 }}
)

// Named is a pool the scenario created with Create under that name.
func Named(name string) Pool {
	return Pool{"pool " + name, func(c *C) uint32 {
		id, ok := c.pools[name]
		if !ok {
			panic("scenario uses pool " + name + " before creating it")
		}
		return id
	}}
}

// Dom names a domain.
type Dom struct {
	name string
	id   func(c *C) uint16
}

var (
	Dom0 = Dom{"Domain-0", func(*C) uint16 { return 0 }}
	DomU = Dom{"the domU", func(c *C) uint16 { return c.env.DomU }}
	// NoDom is a domid no domain has.
	NoDom = Dom{"a missing domain", func(c *C) uint16 {
		return c.start.domains[len(c.start.domains)-1].Domid + 100
	}}
)

// --- operations ---

// Path is one of the two pCPU hotplug interfaces.
type Path int

const (
	// Platform is XENPF_cpu_online/offline, what Linux's xen_cpu sysfs
	// files use.
	Platform Path = iota
	// Sysctl is XEN_SYSCTL_cpu_hotplug, what xen-hptool uses.
	Sysctl
)

// Paths lists both.
var Paths = []Path{Platform, Sysctl}

func (p Path) String() string {
	if p == Platform {
		return "platform"
	}
	return "sysctl"
}

// Online brings a CPU up through path.
func Online(p Path, cpu CPU) Step {
	return Step{What: "online " + cpu.name + " via " + p.String(), Do: func(c *C) error {
		if p == Platform {
			return c.hv.PlatformCPUOnline(cpu.id(c))
		}
		return c.hv.CPUHotplug(hypercall.HotplugOnline, cpu.id(c))
	}}
}

// Offline takes a CPU down through path.
func Offline(p Path, cpu CPU) Step {
	return Step{What: "offline " + cpu.name + " via " + p.String(), Do: func(c *C) error {
		if p == Platform {
			return c.hv.PlatformCPUOffline(cpu.id(c))
		}
		return c.hv.CPUHotplug(hypercall.HotplugOffline, cpu.id(c))
	}}
}

// Hotplug issues XEN_SYSCTL_cpu_hotplug with any op.
func Hotplug(op hypercall.HotplugOp, cpu CPU) Step {
	return Step{What: "cpu_hotplug " + op.String() + " " + cpu.name, Do: func(c *C) error {
		return c.hv.CPUHotplug(op, cpu.id(c))
	}}
}

// Create makes a pool with any id and binds it to name.
func Create(name string, sched hypercall.Scheduler) Step {
	return Step{What: "create " + sched.String() + " pool " + name, Do: func(c *C) error {
		id, err := c.hv.CpupoolCreate(hypercall.PoolAny, sched)
		if err == nil {
			c.pools[name] = id
		}
		return err
	}}
}

// CreateID makes a pool with an explicit id and binds it to name.
func CreateID(name string, id func(c *C) uint32, sched hypercall.Scheduler) Step {
	return Step{What: "create " + sched.String() + " pool " + name + " with an explicit id", Do: func(c *C) error {
		got, err := c.hv.CpupoolCreate(id(c), sched)
		if err == nil {
			c.pools[name] = got
		}
		return err
	}}
}

// CreateIn asks for a pool with the id of an existing pool.
func CreateIn(p Pool, sched hypercall.Scheduler) Step {
	return Step{What: "create a pool with the id of " + p.name, Do: func(c *C) error {
		_, err := c.hv.CpupoolCreate(p.id(c), sched)
		return err
	}}
}

// Destroy destroys a pool.
func Destroy(p Pool) Step {
	return Step{What: "destroy " + p.name, Do: func(c *C) error { return c.hv.CpupoolDestroy(p.id(c)) }}
}

// Add adds a CPU to a pool.
func Add(p Pool, cpu CPU) Step {
	return Step{What: "add " + cpu.name + " to " + p.name, Do: func(c *C) error {
		return c.hv.CpupoolAddCPU(p.id(c), cpu.id(c))
	}}
}

// Remove removes a CPU from a pool.
func Remove(p Pool, cpu CPU) Step {
	return Step{What: "remove " + cpu.name + " from " + p.name, Do: func(c *C) error {
		return c.hv.CpupoolRemoveCPU(p.id(c), cpu.id(c))
	}}
}

// Move moves a CPU from one pool to another (RMCPU then ADDCPU).
func Move(cpu CPU, from, to Pool) Step {
	return Step{What: "move " + cpu.name + " from " + from.name + " to " + to.name, Do: func(c *C) error {
		if err := c.hv.CpupoolRemoveCPU(from.id(c), cpu.id(c)); err != nil {
			return err
		}
		return c.hv.CpupoolAddCPU(to.id(c), cpu.id(c))
	}}
}

// MoveDom moves a domain into a pool.
func MoveDom(d Dom, p Pool) Step {
	return Step{What: "move " + d.name + " to " + p.name, Do: func(c *C) error {
		return c.hv.CpupoolMoveDomain(p.id(c), d.id(c))
	}}
}

// SetPool writes a pool's scheduler parameters.
func SetPool(p Pool, params hypercall.PoolSchedParams) Step {
	return Step{What: fmt.Sprintf("set %s parameters of %s to %s", params.Scheduler, p.name, poolParamString(params)), Do: func(c *C) error {
		return c.hv.SetPoolSchedParams(p.id(c), params)
	}}
}

// GetPool reads a pool's parameters with sched.
func GetPool(p Pool, sched hypercall.Scheduler) Step {
	return Step{What: "read " + sched.String() + " parameters of " + p.name, Do: func(c *C) error {
		_, err := c.hv.PoolSchedParams(p.id(c), sched)
		return err
	}}
}

// SetDom writes a domain's scheduler parameters.
func SetDom(d Dom, params hypercall.DomainSchedParams) Step {
	return Step{What: fmt.Sprintf("set %s parameters of %s to %+v", params.Scheduler, d.name, params), Do: func(c *C) error {
		return c.hv.SetDomainSchedParams(d.id(c), params)
	}}
}

// GetDom reads a domain's parameters with sched.
func GetDom(d Dom, sched hypercall.Scheduler) Step {
	return Step{What: "read " + sched.String() + " parameters of " + d.name, Do: func(c *C) error {
		_, err := c.hv.DomainSchedParams(d.id(c), sched)
		return err
	}}
}

// GetVCPU reads per-vCPU parameters.
func GetVCPU(d Dom, sched hypercall.Scheduler, vcpus ...uint32) Step {
	return Step{What: fmt.Sprintf("read %s parameters of vcpus %v of %s", sched, vcpus, d.name), Do: func(c *C) error {
		_, err := c.hv.VCPUSchedParams(d.id(c), sched, vcpus)
		return err
	}}
}

// SetVCPU writes per-vCPU parameters.
func SetVCPU(d Dom, sched hypercall.Scheduler, params ...hypercall.VCPUSchedParams) Step {
	return Step{What: fmt.Sprintf("set %s parameters %+v of %s", sched, params, d.name), Do: func(c *C) error {
		return c.hv.SetVCPUSchedParams(d.id(c), sched, params)
	}}
}

// Inject makes the simulator fail op with errno the next n times.
func Inject(op xensim.Op, errno syscall.Errno, n int) Step {
	return Step{What: fmt.Sprintf("inject %s into %s ×%d", errnoName(errno), op, n), Do: func(c *C) error {
		return c.env.Faults.FailNext(op, errno, n)
	}}
}

// InjectAlways makes the simulator fail op with errno until cleared.
func InjectAlways(op xensim.Op, errno syscall.Errno) Step {
	return Step{What: fmt.Sprintf("inject %s into every %s", errnoName(errno), op), Do: func(c *C) error {
		return c.env.Faults.FailAlways(op, errno)
	}}
}

// ClearFaults removes injected faults.
func ClearFaults() Step {
	return Step{What: "clear injected faults", Do: func(c *C) error {
		c.env.Faults.ClearFaults()
		return nil
	}}
}

func poolParamString(p hypercall.PoolSchedParams) string {
	switch p.Scheduler {
	case hypercall.SchedCredit:
		return fmt.Sprintf("tslice=%dms ratelimit=%dus migration-delay=%dus", p.TsliceMS, p.RatelimitUS, p.MigrationDelayUS)
	case hypercall.SchedCredit2:
		return fmt.Sprintf("ratelimit=%dus", p.RatelimitUS)
	case hypercall.SchedARINC653:
		if p.ARINC653 == nil {
			return "no schedule"
		}
		return fmt.Sprintf("major frame %v, %d entries", p.ARINC653.MajorFrame, len(p.ARINC653.Entries))
	}
	return "nothing"
}

// --- checks ---

// Expect is a check-only step.
func Expect(what string, check func(c *C) error) Step {
	return Step{What: what, Check: check}
}

// where tells where a CPU is: a pool id, "free", or "nowhere".
func (c *C) where(cpu uint32) (string, error) {
	pools, err := hypercall.ListCpupools(c.hv)
	if err != nil {
		return "", err
	}
	free, err := c.hv.CpupoolFreeCPUs()
	if err != nil {
		return "", err
	}
	var in []string
	for _, p := range pools {
		if p.CPUs.Has(int(cpu)) {
			in = append(in, "pool "+strconv.FormatUint(uint64(p.ID), 10))
		}
	}
	if free.Has(int(cpu)) {
		in = append(in, "free")
	}
	switch len(in) {
	case 0:
		return "nowhere", nil
	case 1:
		return in[0], nil
	}
	return fmt.Sprint(in), nil
}

func poolWhere(id uint32) string { return "pool " + strconv.FormatUint(uint64(id), 10) }

// InPool checks that a CPU is in exactly that pool and not free.
func InPool(cpu CPU, p Pool) Step {
	return Expect(cpu.name+" is in "+p.name, func(c *C) error {
		w, err := c.where(cpu.id(c))
		if err != nil {
			return err
		}
		if want := poolWhere(p.id(c)); w != want {
			return fmt.Errorf("cpu %d is in %s, want %s", cpu.id(c), w, want)
		}
		return nil
	})
}

// IsFree checks that a CPU is in no pool and in the free set.
func IsFree(cpu CPU) Step {
	return Expect(cpu.name+" is free", func(c *C) error {
		w, err := c.where(cpu.id(c))
		if err != nil {
			return err
		}
		if w != "free" {
			return fmt.Errorf("cpu %d is in %s, want free", cpu.id(c), w)
		}
		return nil
	})
}

// Nowhere checks that a CPU is in no pool and not free (it is offline).
func Nowhere(cpu CPU) Step {
	return Expect(cpu.name+" is in no pool and not free", func(c *C) error {
		w, err := c.where(cpu.id(c))
		if err != nil {
			return err
		}
		if w != "nowhere" {
			return fmt.Errorf("cpu %d is in %s, want nowhere", cpu.id(c), w)
		}
		return nil
	})
}

// IsOnline checks get_cpuinfo's online flag.
func IsOnline(cpu CPU, online bool) Step {
	return Expect(fmt.Sprintf("%s online=%v", cpu.name, online), func(c *C) error {
		i, err := c.hv.PCPUInfo(cpu.id(c))
		if err != nil {
			return err
		}
		if i.Online != online || i.Invalid {
			return fmt.Errorf("cpu %d: %+v, want online=%v", cpu.id(c), i, online)
		}
		return nil
	})
}

// NrCPUs checks physinfo's nr_cpus against the start.
func NrCPUs(delta int) Step {
	return Expect(fmt.Sprintf("nr_cpus is %+d from the start", delta), func(c *C) error {
		p, err := c.hv.Physinfo()
		if err != nil {
			return err
		}
		if want := int(c.start.physinfo.NrCPUs) + delta; int(p.NrCPUs) != want {
			return fmt.Errorf("nr_cpus %d, want %d", p.NrCPUs, want)
		}
		return nil
	})
}

// PoolIs checks a pool's scheduler, CPU count and n_dom.
func PoolIs(p Pool, sched hypercall.Scheduler, ncpus int, ndom uint32) Step {
	return Expect(fmt.Sprintf("%s is %s with %d cpus and %d domains", p.name, sched, ncpus, ndom), func(c *C) error {
		id := p.id(c)
		info, err := c.hv.CpupoolInfo(id)
		if err != nil {
			return err
		}
		if info.ID != id || info.Scheduler != sched || info.CPUs.Len() != ncpus || info.NDom != ndom {
			return fmt.Errorf("pool %d: %+v", id, info)
		}
		return nil
	})
}

// PoolCPUs checks a pool's CPU count against the start.
func PoolCPUs(p Pool, delta int) Step {
	return Expect(fmt.Sprintf("%s has %+d cpus from the start", p.name, delta), func(c *C) error {
		id := p.id(c)
		info, err := c.hv.CpupoolInfo(id)
		if err != nil {
			return err
		}
		was := 0
		if sp := c.start.pool(id); sp != nil {
			was = sp.CPUs.Len()
		}
		if info.CPUs.Len() != was+delta {
			return fmt.Errorf("pool %d has %d cpus (%v), want %d", id, info.CPUs.Len(), info.CPUs, was+delta)
		}
		return nil
	})
}

// NDom checks a pool's n_dom against the start.
func NDom(p Pool, delta int) Step {
	return Expect(fmt.Sprintf("%s has %+d domains from the start", p.name, delta), func(c *C) error {
		id := p.id(c)
		info, err := c.hv.CpupoolInfo(id)
		if err != nil {
			return err
		}
		was := 0
		if sp := c.start.pool(id); sp != nil {
			was = int(sp.NDom)
		}
		if int(info.NDom) != was+delta {
			return fmt.Errorf("pool %d has n_dom %d, want %d", id, info.NDom, was+delta)
		}
		return nil
	})
}

// DomIn checks a domain's pool.
func DomIn(d Dom, p Pool) Step {
	return Expect(d.name+" is in "+p.name, func(c *C) error {
		info, err := c.hv.DomainInfo(d.id(c))
		if err != nil {
			return err
		}
		if info.Cpupool != p.id(c) {
			return fmt.Errorf("domain %d is in pool %d, want %d", d.id(c), info.Cpupool, p.id(c))
		}
		return nil
	})
}

// NoSuchPool checks that INFO of the pool's id returns another pool or
// ENOENT.
func NoSuchPool(p Pool) Step {
	return Expect(p.name+" does not exist", func(c *C) error {
		id := p.id(c)
		info, err := c.hv.CpupoolInfo(id)
		if err == nil && info.ID == id {
			return fmt.Errorf("pool %d exists", id)
		}
		if err != nil && Errno(err) != ENOENT {
			return err
		}
		return nil
	})
}

// PoolID checks the id a named pool got.
func PoolID(name string, want func(c *C) uint32, what string) Step {
	return Expect("pool "+name+" got "+what, func(c *C) error {
		if got, w := c.pools[name], want(c); got != w {
			return fmt.Errorf("pool %s got id %d, want %d", name, got, w)
		}
		return nil
	})
}

// PoolParams checks a pool's parameters.
func PoolParams(p Pool, want hypercall.PoolSchedParams) Step {
	return Expect(fmt.Sprintf("%s parameters are %s", p.name, poolParamString(want)), func(c *C) error {
		got, err := c.hv.PoolSchedParams(p.id(c), want.Scheduler)
		if err != nil {
			return err
		}
		if got.TsliceMS != want.TsliceMS || got.RatelimitUS != want.RatelimitUS || got.MigrationDelayUS != want.MigrationDelayUS {
			return fmt.Errorf("parameters %s, want %s", poolParamString(got), poolParamString(want))
		}
		return nil
	})
}

// DomParams checks a domain's weight and cap, or rtds values.
func DomParams(d Dom, want hypercall.DomainSchedParams) Step {
	return Expect(fmt.Sprintf("%s parameters are %+v", d.name, want), func(c *C) error {
		got, err := c.hv.DomainSchedParams(d.id(c), want.Scheduler)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("parameters %+v, want %+v", got, want)
		}
		return nil
	})
}

// VCPUParams checks per-vCPU parameters.
func VCPUParams(d Dom, sched hypercall.Scheduler, want ...hypercall.VCPUSchedParams) Step {
	return Expect(fmt.Sprintf("%s vcpu parameters are %+v", d.name, want), func(c *C) error {
		ids := make([]uint32, len(want))
		for i, w := range want {
			ids[i] = w.VCPU
		}
		got, err := c.hv.VCPUSchedParams(d.id(c), sched, ids)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("vcpu parameters %+v, want %+v", got, want)
		}
		return nil
	})
}
