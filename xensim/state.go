package xensim

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// stateVersion is the schemaVersion of the state file.
const stateVersion = 1

// stateFile is the whole simulated host in one YAML document: the spec it
// booted from (the hardware, which never changes), what changed since
// (the hypervisor's dynamic state), pending faults and the XenStore tree.
type stateFile struct {
	SchemaVersion int        `yaml:"schemaVersion"`
	Spec          *Spec      `yaml:"spec"`
	Host          hostState  `yaml:"host"`
	Faults        []Fault    `yaml:"faults,omitempty"`
	XenStore      storeState `yaml:"xenstore"`
}

type hostState struct {
	SMT    bool         `yaml:"smt"`
	Online string       `yaml:"online"`
	Pools  []poolState  `yaml:"pools"`
	Moving *movingState `yaml:"moving,omitempty"`
	// Stranded are the online CPUs a refused offline left locked
	// (cpupool_locked_cpus) until a reboot.
	Stranded string        `yaml:"stranded,omitempty"`
	Domains  []domainState `yaml:"domains"`
}

type poolState struct {
	ID        uint32 `yaml:"id"`
	Scheduler string `yaml:"scheduler"`
	CPUs      string `yaml:"cpus,omitempty"`
	// credit
	TsliceMS         *uint32 `yaml:"tsliceMS,omitempty"`
	MigrationDelayUS *uint32 `yaml:"migrationDelayUS,omitempty"`
	// credit, credit2
	RatelimitUS *uint32 `yaml:"ratelimitUS,omitempty"`
	// arinc653
	ARINC653 *a653State `yaml:"arinc653,omitempty"`
}

type a653State struct {
	MajorFrameNS int64       `yaml:"majorFrameNS"`
	Entries      []a653Entry `yaml:"entries,omitempty"`
}

type a653Entry struct {
	Domain    string `yaml:"domain"` // UUID
	VCPU      uint32 `yaml:"vcpu"`
	RuntimeNS int64  `yaml:"runtimeNS"`
}

type movingState struct {
	CPU  uint32 `yaml:"cpu"`
	Pool uint32 `yaml:"pool"`
}

type domainState struct {
	Domid  uint16    `yaml:"domid"`
	Pool   uint32    `yaml:"pool"`
	Weight uint16    `yaml:"weight,omitempty"`
	Cap    uint16    `yaml:"cap,omitempty"`
	RTDS   []rtState `yaml:"rtds,omitempty,flow"`
}

type rtState struct {
	PeriodUS  uint32 `yaml:"period"`
	BudgetUS  uint32 `yaml:"budget"`
	Extratime bool   `yaml:"extratime"`
}

type storeState struct {
	FailNextCommits int      `yaml:"failNextCommits,omitempty"`
	Introduced      []uint32 `yaml:"introduced,flow"`
	// Nodes is the tree, one node per line (see formatNodes).
	Nodes string `yaml:"nodes"`
}

func u32p(v uint32) *uint32 { return &v }

// state captures the host's dynamic state.
func (h *Host) state() hostState {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := hostState{SMT: h.smt, Online: h.online.toSet().String()}
	for _, p := range h.pools {
		ps := poolState{ID: p.id, Scheduler: p.sched.String(), CPUs: p.cpus.toSet().String()}
		switch p.sched {
		case hypercall.SchedCredit:
			ps.TsliceMS, ps.RatelimitUS, ps.MigrationDelayUS = u32p(p.credit.tsliceMS), u32p(p.credit.ratelimitUS), u32p(p.credit.migrDelayUS)
		case hypercall.SchedCredit2:
			ps.RatelimitUS = u32p(p.credit2)
		case hypercall.SchedARINC653:
			a := &a653State{MajorFrameNS: int64(p.a653.MajorFrame)}
			for _, e := range p.a653.Entries {
				a.Entries = append(a.Entries, a653Entry{formatUUID(e.DomainHandle), e.VCPU, int64(e.Runtime)})
			}
			ps.ARINC653 = a
		}
		st.Pools = append(st.Pools, ps)
	}
	if h.movingCPU >= 0 {
		st.Moving = &movingState{CPU: uint32(h.movingCPU), Pool: h.movingPool.id}
	}
	st.Stranded = h.strandedLocked().toSet().String()
	for _, d := range h.domains {
		ds := domainState{Domid: d.domid, Pool: d.pool.id, Weight: d.weight, Cap: d.cap}
		for _, r := range d.rt {
			ds.RTDS = append(ds.RTDS, rtState{r.periodUS, r.budgetUS, r.extratime})
		}
		st.Domains = append(st.Domains, ds)
	}
	return st
}

// loadHost boots a host from the file's spec and applies its saved state,
// checking every invariant the operations maintain.
func loadHost(f *stateFile) (*Host, error) {
	if f.Spec == nil {
		return nil, fmt.Errorf("no spec")
	}
	hw, err := f.Spec.expand()
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	h := newHost(hw)
	st := f.Host
	n := hw.nrCPUIDs
	parse := func(what, list string) (bitset, error) {
		b := newBitset(n)
		if list == "" {
			return b, nil
		}
		s, err := cpuset.Parse(list, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if s.Max() >= int(n) {
			return nil, fmt.Errorf("%s: CPU %d beyond max_cpu_id %d", what, s.Max(), n-1)
		}
		return bitsetOf(n, s), nil
	}
	h.smt = st.SMT
	h.online, err = parse("online", st.Online)
	if err != nil {
		return nil, err
	}
	if !h.online.has(0) {
		return nil, fmt.Errorf("CPU 0 is offline")
	}
	var bad error
	h.online.each(func(i uint32) {
		if !hw.cpus[i].present && bad == nil {
			bad = fmt.Errorf("online CPU %d is not present", i)
		}
	})
	if bad != nil {
		return nil, bad
	}
	h.pools = nil
	h.cpuPool = make([]*pool, n)
	inPool := newBitset(n)
	for i, ps := range st.Pools {
		sched, err := hypercall.ParseScheduler(ps.Scheduler)
		if err != nil {
			return nil, fmt.Errorf("pool %d: %w", ps.ID, err)
		}
		if !hw.isBuilt(sched) {
			return nil, fmt.Errorf("pool %d: scheduler %s is not built", ps.ID, sched)
		}
		if i > 0 && ps.ID <= st.Pools[i-1].ID {
			return nil, fmt.Errorf("pools not in ascending id order at pool %d", ps.ID)
		}
		p := h.newPool(ps.ID, sched)
		if p.cpus, err = parse(fmt.Sprintf("pool %d cpus", ps.ID), ps.CPUs); err != nil {
			return nil, err
		}
		p.cpus.each(func(c uint32) {
			switch {
			case bad != nil:
			case !h.online.has(c):
				bad = fmt.Errorf("pool %d holds offline CPU %d", ps.ID, c)
			case inPool.has(c):
				bad = fmt.Errorf("CPU %d is in two pools", c)
			}
			inPool.set(c)
			p.ncpus++
			h.cpuPool[c] = p
		})
		if bad != nil {
			return nil, bad
		}
		if ps.RatelimitUS != nil {
			p.credit.ratelimitUS, p.credit2 = *ps.RatelimitUS, *ps.RatelimitUS
		}
		if ps.TsliceMS != nil {
			p.credit.tsliceMS = *ps.TsliceMS
		}
		if ps.MigrationDelayUS != nil {
			p.credit.migrDelayUS = *ps.MigrationDelayUS
		}
		if a := ps.ARINC653; a != nil {
			p.a653.MajorFrame = durationOf(a.MajorFrameNS)
			for _, e := range a.Entries {
				u, err := parseUUID(e.Domain)
				if err != nil {
					return nil, fmt.Errorf("pool %d arinc653: %w", ps.ID, err)
				}
				p.a653.Entries = append(p.a653.Entries, hypercall.ARINC653Entry{DomainHandle: u, VCPU: e.VCPU, Runtime: durationOf(e.RuntimeNS)})
			}
		}
		h.pools = append(h.pools, p)
	}
	p0 := h.findPool(0)
	if p0 == nil || !p0.cpus.has(0) {
		return nil, fmt.Errorf("CPU 0 is not in Pool-0")
	}
	if len(h.pools) > 2*int(n) {
		return nil, fmt.Errorf("%d pools, at most %d", len(h.pools), 2*n)
	}
	// free = online CPUs in no pool
	h.free = newBitset(n)
	h.online.each(func(c uint32) {
		if !inPool.has(c) {
			h.free.set(c)
		}
	})
	if m := st.Moving; m != nil {
		mp := h.findPool(m.Pool)
		if mp == nil || m.CPU >= n {
			return nil, fmt.Errorf("moving CPU %d of pool %d does not exist", m.CPU, m.Pool)
		}
		h.movingCPU, h.movingPool = int64(m.CPU), mp
	}
	if h.locked, err = parse("stranded", st.Stranded); err != nil {
		return nil, err
	}
	h.locked.each(func(c uint32) {
		if !h.online.has(c) && bad == nil {
			bad = fmt.Errorf("stranded CPU %d is offline", c)
		}
	})
	if bad != nil {
		return nil, bad
	}
	if len(st.Domains) != len(h.domains) {
		return nil, fmt.Errorf("%d domains saved, the spec has %d", len(st.Domains), len(h.domains))
	}
	for _, p := range h.pools {
		p.ndom = 0
	}
	for _, ds := range st.Domains {
		d := h.doms[ds.Domid]
		if d == nil {
			return nil, fmt.Errorf("domain %d is not in the spec", ds.Domid)
		}
		p := h.findPool(ds.Pool)
		if p == nil {
			return nil, fmt.Errorf("domain %d is in pool %d, which does not exist", ds.Domid, ds.Pool)
		}
		if ds.Domid == 0 && ds.Pool != 0 {
			return nil, fmt.Errorf("Domain-0 is not in Pool-0")
		}
		d.pool = p
		p.ndom++
		d.resetSched()
		d.weight, d.cap = ds.Weight, ds.Cap
		if d.rt != nil {
			if len(ds.RTDS) != len(d.rt) {
				return nil, fmt.Errorf("domain %d: %d rtds entries for %d vCPUs", ds.Domid, len(ds.RTDS), len(d.rt))
			}
			for i, r := range ds.RTDS {
				d.rt[i] = rtParams{r.PeriodUS, r.BudgetUS, r.Extratime}
			}
		}
	}
	for _, flt := range f.Faults {
		if !validOp(flt.Op) {
			return nil, fmt.Errorf("fault for unknown operation %q", flt.Op)
		}
		e, err := ParseErrno(flt.ErrnoName)
		if err != nil {
			return nil, fmt.Errorf("fault for %s: %w", flt.Op, err)
		}
		if !flt.Permanent && flt.Count <= 0 {
			continue
		}
		g := flt
		g.Errno = e
		h.faults[flt.Op] = &g
	}
	return h, nil
}

func durationOf(ns int64) time.Duration { return time.Duration(ns) }

// encodeState renders a state file.
func encodeState(f *stateFile) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# The simulated Xen host of `xgo --sim` (package xensim). Written by xgo;\n")
	b.WriteString("# change it with xgo commands, `xgo sim init|reset`, or by hand with care.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeState parses a state file strictly.
func decodeState(data []byte, name string) (*stateFile, error) {
	var f stateFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, yamlError(name, data, err)
	}
	if f.SchemaVersion != stateVersion {
		return nil, &SpecError{File: name, Msg: fmt.Sprintf("schemaVersion %d, this xgo reads %d", f.SchemaVersion, stateVersion)}
	}
	sort.SliceStable(f.XenStore.Introduced, func(i, j int) bool { return f.XenStore.Introduced[i] < f.XenStore.Introduced[j] })
	return &f, nil
}
