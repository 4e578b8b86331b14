package scenario

import (
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

// Xen's errno values (xen/include/public/errno.h), as package hypercall
// reports them on every GOOS.
const (
	EPERM         = syscall.Errno(1)
	ENOENT        = syscall.Errno(2)
	ESRCH         = syscall.Errno(3)
	EAGAIN        = syscall.Errno(11)
	EBUSY         = syscall.Errno(16)
	EEXIST        = syscall.Errno(17)
	ENODEV        = syscall.Errno(19)
	EINVAL        = syscall.Errno(22)
	ENOSPC        = syscall.Errno(28)
	EOPNOTSUPP    = syscall.Errno(95)
	EADDRNOTAVAIL = syscall.Errno(99)
)

// Env describes the host the scenarios run on.
type Env struct {
	// Name labels the run in messages, e.g. "xensim lab" or "xen lab".
	Name string
	// DomU is the domid of a guest the scenarios may move between pools
	// and whose scheduler parameters they may change (they restore both).
	// 0 means there is none: scenarios that need one are skipped.
	DomU uint16
	// Schedulers are the schedulers built into the hypervisor. Nil means
	// credit and credit2, Xen's release default and the lab's.
	Schedulers []hypercall.Scheduler
	// Faults injects failures; the simulator's *xensim.Host implements
	// it. Nil on real Xen: scenarios that need it are skipped.
	Faults Faults
	// Sim is true on the simulator. Scenarios marked SimOnly (those that
	// would be unsafe or meaningless on real Xen) run only then.
	Sim bool
}

// Faults is the simulator's test control: fault injection, and undoing
// what only a reboot undoes on real Xen.
type Faults interface {
	FailNext(op xensim.Op, errno syscall.Errno, n int) error
	FailAlways(op xensim.Op, errno syscall.Errno) error
	ClearFaults(ops ...xensim.Op)
	// ReleaseStrandedCPUs frees the CPUs a refused offline stranded and
	// returns them.
	ReleaseStrandedCPUs() []uint32
}

// SimEnv returns the Env of a simulated host.
func SimEnv(name string, h *xensim.Host, domU uint16) Env {
	return Env{Name: name, DomU: domU, Schedulers: h.Schedulers(), Faults: h, Sim: true}
}

func (e Env) built() []hypercall.Scheduler {
	if e.Schedulers == nil {
		return []hypercall.Scheduler{hypercall.SchedCredit, hypercall.SchedCredit2}
	}
	return e.Schedulers
}

// Reporter receives the results; testing.TB implements it.
type Reporter interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
}

// Result lists the scenarios by outcome.
type Result struct {
	Passed, Failed, Skipped []string
	// Aborted is set when restoring a scenario's starting state failed:
	// the scenarios after it were not run.
	Aborted bool
}

// Run runs every scenario against hv, each starting from and restoring
// the host's state, reporting failures to r. It stops early only when a
// starting state cannot be restored.
func Run(r Reporter, hv hypercall.Hypervisor, env Env) Result {
	r.Helper()
	var res Result
	for _, s := range All() {
		out := runOne(r, hv, env, s)
		switch out {
		case outPass:
			res.Passed = append(res.Passed, s.Name)
		case outSkip:
			res.Skipped = append(res.Skipped, s.Name)
		case outFail:
			res.Failed = append(res.Failed, s.Name)
		case outAbort:
			res.Failed = append(res.Failed, s.Name)
			res.Aborted = true
			return res
		}
	}
	r.Logf("%s: %d scenarios passed, %d failed, %d skipped", env.Name, len(res.Passed), len(res.Failed), len(res.Skipped))
	return res
}

// RunT runs every scenario as a subtest of t, for go test on the host and
// in the lab:
//
//	scenario.RunT(t, hv, scenario.Env{Name: "xen lab", DomU: domid})
func RunT(t *testing.T, hv hypercall.Hypervisor, env Env) {
	t.Helper()
	aborted := false
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			if aborted {
				t.Skip("an earlier scenario left the host in a state that could not be restored")
			}
			switch runOne(t, hv, env, s) {
			case outSkip:
				t.SkipNow()
			case outAbort:
				aborted = true
			}
		})
	}
}

type outcome int

const (
	outPass outcome = iota
	outSkip
	outFail
	outAbort
)

// runOne runs one scenario: needs, snapshot, steps, invariants, restore.
func runOne(r Reporter, hv hypercall.Hypervisor, env Env, s Scenario) (out outcome) {
	r.Helper()
	start, err := takeSnapshot(hv)
	if err != nil {
		r.Errorf("%s: reading the starting state: %v", s.Name, err)
		return outAbort
	}
	if why := s.Needs.unmet(env, start); why != "" {
		r.Logf("%s: skipped: %s", s.Name, why)
		return outSkip
	}
	c := &C{hv: hv, env: env, start: start, pools: map[string]uint32{}}
	failed := false
	defer func() {
		if p := recover(); p != nil {
			r.Errorf("%s: panic: %v\n%s", s.Name, p, debug.Stack())
			failed = true
		}
		if env.Faults != nil {
			env.Faults.ClearFaults()
			// A stranded CPU would stay unusable on real Xen: only a
			// scenario that never runs there may strand one.
			if cpus := env.Faults.ReleaseStrandedCPUs(); len(cpus) > 0 && s.Needs.SimOnly == "" {
				r.Errorf("%s: it stranded cpu %v (a refused offline), which on real Xen stays unusable until a reboot: give it Needs.SimOnly", s.Name, cpus)
				failed = true
			}
		}
		if err := restore(hv, start); err != nil {
			r.Errorf("%s: restoring the starting state: %v", s.Name, err)
			out = outAbort
			return
		}
		if failed {
			out = outFail
		} else {
			out = outPass
		}
	}()
	for i, st := range s.Steps {
		if err := c.do(st); err != nil {
			r.Errorf("%s: step %d (%s): %v\n\trule: %s\n\tXen: %s", s.Name, i+1, st.What, err, s.Rule, s.Source)
			failed = true
			break
		}
	}
	if err := checkInvariants(hv); err != nil {
		r.Errorf("%s: after the steps: %v", s.Name, err)
		failed = true
	}
	return outPass
}

// C is the state of one running scenario.
type C struct {
	hv    hypercall.Hypervisor
	env   Env
	start *snapshot
	pools map[string]uint32 // pools the scenario created, by name
}

// do runs one step: the operation, its errno, then the check.
func (c *C) do(st Step) error {
	if st.Do != nil {
		err := st.Do(c)
		if err := wantErrno(err, st.Want); err != nil {
			return err
		}
	}
	if st.Check != nil {
		return st.Check(c)
	}
	return nil
}

// Errno returns the errno in err, 0 for nil.
func Errno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}

func wantErrno(err error, want syscall.Errno) error {
	switch {
	case want == 0 && err != nil:
		return fmt.Errorf("got %v, want success", err)
	case want != 0 && err == nil:
		return fmt.Errorf("succeeded, want %s", errnoName(want))
	case want != 0 && !errors.Is(err, want):
		return fmt.Errorf("got %v, want %s", err, errnoName(want))
	}
	if err != nil {
		var oe *hypercall.OpError
		if !errors.As(err, &oe) {
			return fmt.Errorf("%v (%T) is not a *hypercall.OpError", err, err)
		}
	}
	return nil
}

func errnoName(e syscall.Errno) string { return xensim.ErrnoName(e) }

// Needs are what a scenario requires of the host.
type Needs struct {
	// Spares is how many online CPUs of Pool-0 other than CPU 0 it uses.
	Spares int
	// DomU: it moves Env.DomU between pools.
	DomU bool
	// Schedulers must be built.
	Schedulers []hypercall.Scheduler
	// Absent: it needs a CPU id below nr_cpu_ids that is not present.
	Absent bool
	// SMT: it needs two threads per core; NoSMT one.
	SMT, NoSMT bool
	// Nodes is the number of NUMA nodes it needs.
	Nodes int
	// Faults: it injects failures (Env.Faults).
	Faults bool
	// SimOnly names why it must not run on real Xen, if it must not.
	SimOnly string
}

func (n Needs) unmet(env Env, s *snapshot) string {
	switch {
	case n.SimOnly != "" && !env.Sim:
		return "simulator only: " + n.SimOnly
	case n.Faults && env.Faults == nil:
		return "needs fault injection (the simulator)"
	case n.DomU && (env.DomU == 0 || s.domain(env.DomU) == nil):
		return "needs a domU (Env.DomU)"
	case n.Spares > len(s.spares):
		return fmt.Sprintf("needs %d online CPUs in Pool-0 besides CPU 0, the host has %d", n.Spares, len(s.spares))
	case n.Absent && s.absent < 0:
		return "needs a non-present CPU id below nr_cpu_ids"
	case n.SMT && s.physinfo.ThreadsPerCore < 2:
		return "needs SMT (two threads per core)"
	case n.NoSMT && s.physinfo.ThreadsPerCore > 1:
		return "needs a host without SMT"
	case n.Nodes > int(s.physinfo.NrNodes):
		return fmt.Sprintf("needs %d NUMA nodes", n.Nodes)
	}
	for _, want := range n.Schedulers {
		if !slices.Contains(env.built(), want) {
			return "needs the " + want.String() + " scheduler"
		}
	}
	return ""
}

// snapshot is the part of the host's state the scenarios change.
type snapshot struct {
	physinfo hypercall.Physinfo
	cpus     []hypercall.PCPUInfo
	topo     []hypercall.CPUTopology
	pools    []hypercall.CpupoolInfo
	free     cpuset.Set
	domains  []hypercall.DomainInfo
	// spares are the online CPUs of Pool-0 other than CPU 0, highest
	// first.
	spares []uint32
	// absent is a non-present CPU id below nr_cpu_ids, -1 if none.
	absent     int64
	poolParams map[uint32]hypercall.PoolSchedParams
	domParams  map[uint16]hypercall.DomainSchedParams
	vcpuParams map[uint16][]hypercall.VCPUSchedParams
}

func (s *snapshot) domain(domid uint16) *hypercall.DomainInfo {
	for i := range s.domains {
		if s.domains[i].Domid == domid {
			return &s.domains[i]
		}
	}
	return nil
}

func (s *snapshot) pool(id uint32) *hypercall.CpupoolInfo {
	for i := range s.pools {
		if s.pools[i].ID == id {
			return &s.pools[i]
		}
	}
	return nil
}

func (s *snapshot) online(cpu uint32) bool {
	return int(cpu) < len(s.cpus) && s.cpus[cpu].Online
}

// hasPoolParams tells the schedulers whose pool parameters are saved and
// restored.
func hasPoolParams(s hypercall.Scheduler) bool {
	return s == hypercall.SchedCredit || s == hypercall.SchedCredit2
}

func takeSnapshot(hv hypercall.Hypervisor) (*snapshot, error) {
	s := &snapshot{
		absent:     -1,
		poolParams: map[uint32]hypercall.PoolSchedParams{},
		domParams:  map[uint16]hypercall.DomainSchedParams{},
		vcpuParams: map[uint16][]hypercall.VCPUSchedParams{},
	}
	var err error
	if s.physinfo, err = hv.Physinfo(); err != nil {
		return nil, err
	}
	if s.cpus, err = hypercall.ListPCPUs(hv); err != nil {
		return nil, err
	}
	if s.topo, err = hv.CPUTopology(); err != nil {
		return nil, err
	}
	if s.pools, err = hypercall.ListCpupools(hv); err != nil {
		return nil, err
	}
	if s.free, err = hv.CpupoolFreeCPUs(); err != nil {
		return nil, err
	}
	if s.domains, err = hypercall.ListDomains(hv); err != nil {
		return nil, err
	}
	for i, c := range s.cpus {
		if c.Invalid && s.absent < 0 && uint32(i) <= s.physinfo.MaxCPUID {
			s.absent = int64(i)
		}
	}
	if s.absent < 0 && s.physinfo.MaxCPUID > uint32(len(s.cpus)-1) {
		s.absent = int64(len(s.cpus)) // beyond the last present CPU
	}
	if p0 := s.pool(0); p0 != nil {
		cpus := cpuIDs(p0.CPUs)
		for i := len(cpus) - 1; i >= 0; i-- {
			if cpus[i] != 0 && s.online(cpus[i]) {
				s.spares = append(s.spares, cpus[i])
			}
		}
	}
	for _, p := range s.pools {
		if hasPoolParams(p.Scheduler) {
			pp, err := hv.PoolSchedParams(p.ID, p.Scheduler)
			if err != nil {
				return nil, err
			}
			s.poolParams[p.ID] = pp
		}
	}
	for _, d := range s.domains {
		p := s.pool(d.Cpupool)
		if p == nil {
			continue
		}
		switch p.Scheduler {
		case hypercall.SchedCredit, hypercall.SchedCredit2:
			dp, err := hv.DomainSchedParams(d.Domid, p.Scheduler)
			if err != nil {
				return nil, err
			}
			s.domParams[d.Domid] = dp
		case hypercall.SchedRTDS:
			ids := make([]uint32, d.MaxVCPUID+1)
			for i := range ids {
				ids[i] = uint32(i)
			}
			vp, err := hv.VCPUSchedParams(d.Domid, p.Scheduler, ids)
			if err != nil {
				return nil, err
			}
			s.vcpuParams[d.Domid] = vp
		}
	}
	return s, nil
}

// checkInvariants verifies what must hold after any sequence of
// operations: every online CPU is in exactly one pool or free, offline
// CPUs are in none, and each pool's n_dom counts its domains.
func checkInvariants(hv hypercall.Hypervisor) error {
	cpus, err := hypercall.ListPCPUs(hv)
	if err != nil {
		return err
	}
	pools, err := hypercall.ListCpupools(hv)
	if err != nil {
		return err
	}
	free, err := hv.CpupoolFreeCPUs()
	if err != nil {
		return err
	}
	doms, err := hypercall.ListDomains(hv)
	if err != nil {
		return err
	}
	var errs []string
	for i, c := range cpus {
		cpu := uint32(i)
		n := 0
		if free.Has(int(cpu)) {
			n++
		}
		for _, p := range pools {
			if p.CPUs.Has(int(cpu)) {
				n++
			}
		}
		switch {
		case c.Online && n != 1:
			errs = append(errs, fmt.Sprintf("online cpu %d is in %d pools or the free set", cpu, n))
		case !c.Online && n != 0:
			errs = append(errs, fmt.Sprintf("offline cpu %d is in a pool or the free set", cpu))
		}
	}
	ndom := map[uint32]uint32{}
	for _, d := range doms {
		ndom[d.Cpupool]++
	}
	for _, p := range pools {
		if p.NDom != ndom[p.ID] {
			errs = append(errs, fmt.Sprintf("pool %d reports n_dom %d, %d domains are in it", p.ID, p.NDom, ndom[p.ID]))
		}
		delete(ndom, p.ID)
	}
	for id, n := range ndom {
		errs = append(errs, fmt.Sprintf("%d domains are in pool %d, which does not exist", n, id))
	}
	if errs != nil {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// restore drives the host back to the snapshot: online CPUs, pools and
// their CPUs, domains' pools, offline CPUs, then scheduler parameters;
// and checks the result.
func restore(hv hypercall.Hypervisor, s *snapshot) error {
	var errs []string
	note := func(what string, err error) {
		if err != nil {
			errs = append(errs, what+": "+err.Error())
		}
	}
	// Only what changed is touched: on real Xen every hotplug call
	// synchronises all CPUs.
	now, err := hypercall.ListPCPUs(hv)
	if err != nil {
		return err
	}
	isOnline := func(cpu int) bool { return cpu < len(now) && now[cpu].Online }
	// 1. CPUs that were online. EPERM means SMT was disabled
	// (cpu_up_helper with opt_smt off): enable it first.
	smtEnabled := false
	for i, c := range s.cpus {
		if c.Online && !isOnline(i) {
			err := hv.CPUHotplug(hypercall.HotplugOnline, uint32(i))
			if Errno(err) == EPERM && !smtEnabled {
				smtEnabled = true
				hv.CPUHotplug(hypercall.HotplugSMTEnable, 0)
				err = hv.CPUHotplug(hypercall.HotplugOnline, uint32(i))
			}
			if err != nil && Errno(err) != EEXIST {
				note(fmt.Sprintf("online cpu %d", i), err)
			}
		}
	}
	// 2. Pools that were destroyed.
	for _, p := range s.pools {
		if info, err := hv.CpupoolInfo(p.ID); err == nil && info.ID == p.ID {
			continue
		}
		if _, err := hv.CpupoolCreate(p.ID, p.Scheduler); err != nil && Errno(err) != EEXIST {
			note(fmt.Sprintf("recreate pool %d", p.ID), err)
		}
	}
	wantPool := func(cpu uint32) (uint32, bool) {
		for _, p := range s.pools {
			if p.CPUs.Has(int(cpu)) {
				return p.ID, true
			}
		}
		return 0, false
	}
	moveDomains := func() {
		doms, err := hypercall.ListDomains(hv)
		if err != nil {
			note("list domains", err)
			return
		}
		for _, d := range doms {
			if d.Domid == 0 {
				continue
			}
			target := uint32(0)
			if o := s.domain(d.Domid); o != nil {
				target = o.Cpupool
			}
			if d.Cpupool != target {
				hv.CpupoolMoveDomain(target, d.Domid) // may need CPUs first; retried below
			}
		}
	}
	// 3. CPUs back into their pools (free ones first, then the others),
	// domains back, extra pools emptied; a few passes settle the order.
	for pass := 0; pass < 4; pass++ {
		pools, err := hypercall.ListCpupools(hv)
		if err != nil {
			return err
		}
		for _, p := range pools {
			if s.pool(p.ID) == nil {
				for _, d := range mustDomains(hv) {
					if d.Cpupool == p.ID {
						hv.CpupoolMoveDomain(0, d.Domid)
					}
				}
			}
		}
		free, _ := hv.CpupoolFreeCPUs()
		for _, cpu := range cpuIDs(free) {
			if id, ok := wantPool(cpu); ok {
				if err := hv.CpupoolAddCPU(id, cpu); Errno(err) == EADDRNOTAVAIL {
					// The CPU is still "moving" after an interrupted
					// RMCPU: adding it back to the pool it came from
					// repairs that; then it can go.
					for _, p := range pools {
						if hv.CpupoolAddCPU(p.ID, cpu) == nil {
							hv.CpupoolRemoveCPU(p.ID, cpu)
							break
						}
					}
					hv.CpupoolAddCPU(id, cpu)
				}
			}
		}
		moveDomains()
		pools, _ = hypercall.ListCpupools(hv)
		for _, p := range pools {
			for _, cpu := range cpuIDs(p.CPUs) {
				id, ok := wantPool(cpu)
				if ok && id == p.ID {
					continue
				}
				if err := hv.CpupoolRemoveCPU(p.ID, cpu); err == nil && ok {
					hv.CpupoolAddCPU(id, cpu)
				}
			}
		}
		moveDomains()
	}
	pools, err := hypercall.ListCpupools(hv)
	if err != nil {
		return err
	}
	for _, p := range pools {
		if s.pool(p.ID) == nil {
			note(fmt.Sprintf("destroy pool %d", p.ID), hv.CpupoolDestroy(p.ID))
		}
	}
	// 4. CPUs that were offline.
	now, err = hypercall.ListPCPUs(hv)
	if err != nil {
		return err
	}
	for i, c := range s.cpus {
		if !c.Invalid && !c.Online && isOnline(i) {
			if err := hv.CPUHotplug(hypercall.HotplugOffline, uint32(i)); err != nil && Errno(err) != EEXIST {
				note(fmt.Sprintf("offline cpu %d", i), err)
			}
		}
	}
	// 5. Scheduler parameters that differ.
	for id, pp := range s.poolParams {
		if got, err := hv.PoolSchedParams(id, pp.Scheduler); err != nil || fmt.Sprint(got) != fmt.Sprint(pp) {
			note(fmt.Sprintf("pool %d parameters", id), hv.SetPoolSchedParams(id, pp))
		}
	}
	for domid, dp := range s.domParams {
		if got, err := hv.DomainSchedParams(domid, dp.Scheduler); err != nil || got != dp {
			note(fmt.Sprintf("domain %d parameters", domid), hv.SetDomainSchedParams(domid, dp))
		}
	}
	for domid, vp := range s.vcpuParams {
		note(fmt.Sprintf("domain %d vcpu parameters", domid), hv.SetVCPUSchedParams(domid, hypercall.SchedRTDS, vp))
	}
	if errs != nil {
		return errors.New(strings.Join(errs, "; "))
	}
	return compare(hv, s)
}

func mustDomains(hv hypercall.Hypervisor) []hypercall.DomainInfo {
	d, _ := hypercall.ListDomains(hv)
	return d
}

// compare checks the host against the snapshot.
func compare(hv hypercall.Hypervisor, s *snapshot) error {
	now, err := takeSnapshot(hv)
	if err != nil {
		return err
	}
	var diffs []string
	diff := func(what string, a, b any) {
		if fmt.Sprint(a) != fmt.Sprint(b) {
			diffs = append(diffs, fmt.Sprintf("%s: %v, was %v", what, b, a))
		}
	}
	for i := range s.cpus {
		if i < len(now.cpus) {
			diff(fmt.Sprintf("cpu %d online", i), s.cpus[i].Online, now.cpus[i].Online)
		}
	}
	type poolKey struct {
		ID    uint32
		Sched hypercall.Scheduler
		CPUs  string
		NDom  uint32
	}
	key := func(ps []hypercall.CpupoolInfo) []poolKey {
		var out []poolKey
		for _, p := range ps {
			out = append(out, poolKey{p.ID, p.Scheduler, p.CPUs.String(), p.NDom})
		}
		return out
	}
	diff("pools", key(s.pools), key(now.pools))
	diff("free cpus", s.free.String(), now.free.String())
	for _, d := range s.domains {
		if n := now.domain(d.Domid); n != nil {
			diff(fmt.Sprintf("domain %d pool", d.Domid), d.Cpupool, n.Cpupool)
		}
	}
	diff("pool parameters", s.poolParams, now.poolParams)
	diff("domain parameters", s.domParams, now.domParams)
	diff("vcpu parameters", s.vcpuParams, now.vcpuParams)
	if diffs != nil {
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}

// cpuIDs lists s in Xen's id type, the one the Hypervisor methods take.
func cpuIDs(s cpuset.Set) []uint32 {
	out := make([]uint32, 0, s.Len())
	for _, id := range s.IDs() {
		out = append(out, uint32(id))
	}
	return out
}
