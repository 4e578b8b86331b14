package layout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/yamlnode"
)

// Options control Diff.
type Options struct {
	// Prune removes the pools the file does not list (when it lists
	// pools) and the cards of its domains it does not list.
	Prune bool
	// Strict makes a domain the file names but the host does not run an
	// error instead of a warning.
	Strict bool
}

// Change is one difference between the host and the file.
type Change struct {
	Kind   string `json:"kind" yaml:"kind"`     // "cpu", "pool", "domain" or "vsnd"
	Name   string `json:"name" yaml:"name"`     // the pool, the domain, or the CPUs
	Action string `json:"action" yaml:"action"` // create, destroy, rename, set, move, migrate, online, offline, attach, detach
	Field  string `json:"field,omitempty" yaml:"field,omitempty"`
	Have   string `json:"have,omitempty" yaml:"have,omitempty"`
	Want   string `json:"want,omitempty" yaml:"want,omitempty"`
	// Step is the batch step (1-based) that makes the change.
	Step int `json:"step" yaml:"step"`
}

// String is the change in one line.
func (c Change) String() string {
	s := c.Kind + " " + c.Name + ": " + c.Action
	if c.Field != "" {
		s += " " + c.Field
	}
	switch {
	case c.Have != "" && c.Want != "":
		s += " " + c.Have + " -> " + c.Want
	case c.Want != "":
		s += " " + c.Want
	case c.Have != "":
		s += " " + c.Have
	}
	return s
}

// Plan is what Diff found: the changes, one per difference, and the
// batch steps that make them.
type Plan struct {
	File     string
	Changes  []Change
	Warnings []string
	steps    []*yaml.Node
}

// InSync reports whether the host already matches the file.
func (p *Plan) InSync() bool { return len(p.steps) == 0 }

// Batch returns the steps as a batch file, and decoded.
func (p *Plan) Batch() ([]byte, *batch.File, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Content: p.steps}
	if len(p.steps) == 0 {
		seq.Style = yaml.FlowStyle
	}
	root := yamlnode.FlowMapping("version", batch.Version, "steps", seq)
	root.Style = 0
	var b bytes.Buffer
	b.WriteString("# xgo batch file: the steps from the host to " + p.File + "\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, nil, err
	}
	f, err := batch.Decode(b.Bytes(), p.File+" (steps)")
	if err != nil {
		return b.Bytes(), nil, fmt.Errorf("layout: internal error: the steps do not decode: %w", err)
	}
	return b.Bytes(), f, nil
}

// ErrNotRunning matches the error of Diff with Options.Strict when a
// domain the file names is not running.
var ErrNotRunning = errors.New("domain not running")

// NotRunningError is a domain the file names that is not running, with
// Options.Strict.
type NotRunningError struct {
	File   string
	Pos    Pos
	Domain string
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("%s:%d:%d: domain %q is not running (--strict)", e.File, e.Pos.Line, e.Pos.Col, e.Domain)
}

// Is makes a NotRunningError match ErrNotRunning.
func (e *NotRunningError) Is(target error) bool { return target == ErrNotRunning }

type differ struct {
	f    *File
	l    *live
	plan *Plan
	opts Options
	// where the CPUs and domains are as the steps go, by pool name
	cpus    map[string]cpuset.Set
	ndom    map[string]int
	freshPo map[string]bool // pools the steps create or switch scheduler: default parameters
	name0   string          // Pool-0's name after the rename step
	byLive  map[*Pool]*livePool
}

func (d *differ) step(op string, kvs ...any) int {
	st := yamlnode.FlowMapping(op, yamlnode.FlowMapping(kvs...))
	st.Style = 0 // one step per line: "- op: {args}"
	d.plan.steps = append(d.plan.steps, st)
	return len(d.plan.steps)
}

func (d *differ) change(c Change) { d.plan.Changes = append(d.plan.Changes, c) }

func (d *differ) errAt(p Pos, format string, args ...any) error {
	return &Error{File: d.f.Name, Line: max(p.Line, 1), Col: max(p.Col, 1), Msg: fmt.Sprintf(format, args...)}
}

// Diff compares host h with f and computes the steps from the host to
// the file: CPUs onlined, Pool-0 renamed, pools created or switched to
// another scheduler, CPUs moved into pools, domains migrated, CPUs
// removed from pools and offlined, pools destroyed (Prune), pool and
// domain scheduler parameters set, vsnd cards detached (Prune) and
// attached. Nothing changes.
func Diff(ctx context.Context, h *batch.Host, f *File, opts Options) (*Plan, error) {
	l, err := read(ctx, h)
	if err != nil {
		return nil, err
	}
	return diff(l, f, opts)
}

func diff(l *live, f *File, opts Options) (*Plan, error) {
	d := &differ{f: f, l: l, plan: &Plan{File: f.Name}, opts: opts, cpus: map[string]cpuset.Set{}, ndom: map[string]int{},
		freshPo: map[string]bool{}, byLive: map[*Pool]*livePool{}}
	p0 := l.pool(0)
	if p0 == nil {
		return nil, errors.New("layout: the host has no Pool-0")
	}
	d.name0 = p0.name

	// Match the file's pools with the host's.
	var wantP0 *Pool
	for _, p := range f.Pools {
		if p.Pool0 {
			wantP0 = p
		}
	}
	if wantP0 == nil {
		for _, p := range f.Pools {
			if p.Name == p0.name {
				wantP0 = p
			}
		}
	}
	for _, p := range f.Pools {
		if p == wantP0 {
			d.byLive[p] = p0
			continue
		}
		for i := range l.pools {
			lp := &l.pools[i]
			if lp.ID != 0 && lp.name == p.Name {
				d.byLive[p] = lp
			}
		}
	}
	for _, lp := range l.pools {
		d.cpus[lp.name] = lp.CPUs
	}
	for _, ld := range l.doms {
		if p := l.pool(ld.Pool); p != nil {
			d.ndom[p.name]++
		}
	}

	// Resolve the CPU lists, and check no CPU is wanted twice.
	wantCPUs := map[*Pool]cpuset.Set{}
	claimed := map[int]string{}
	var offline cpuset.Set
	if f.OfflineCPUs != nil {
		s, err := d.parseCPUs(f.OfflineCPUs)
		if err != nil {
			return nil, err
		}
		offline = s
		if offline.Has(0) {
			return nil, d.errAt(f.OfflineCPUs.Pos, "offline-cpus: cpu 0 cannot be taken offline")
		}
		for _, c := range s.IDs() {
			claimed[c] = "offline-cpus"
		}
	}
	for _, p := range f.Pools {
		if p.CPUs == nil {
			continue
		}
		s, err := d.parseCPUs(p.CPUs)
		if err != nil {
			return nil, err
		}
		for _, c := range s.IDs() {
			if by, ok := claimed[c]; ok {
				return nil, d.errAt(p.CPUs.Pos, "pool %q: cpu %d is in %s too", p.Name, c, by)
			}
			claimed[c] = fmt.Sprintf("pool %q", p.Name)
		}
		wantCPUs[p] = s
	}

	// 1. CPUs to bring online: they come up in Pool-0.
	if f.OfflineCPUs != nil {
		if on := l.present.Diff(l.online).Diff(offline); !on.IsEmpty() {
			n := d.step("pcpu-online", "cpus", on.String())
			d.change(Change{Kind: "cpu", Name: on.String(), Action: "online", Step: n})
			d.cpus[p0.name] = d.cpus[p0.name].Union(on)
		}
	}

	// 2. Pool-0's name. A pool the file does not list that has the name
	// is destroyed with Prune: it gives up the name first.
	if wantP0 != nil && wantP0.Name != p0.name {
		for i := range l.pools {
			lp := &l.pools[i]
			if lp.ID == 0 || lp.name != wantP0.Name || d.listed(lp) {
				continue
			}
			if !opts.Prune {
				return nil, d.errAt(wantP0.Pos, "pool %q (Pool-0): the name is used by cpupool %d, which the file does not list (list it under another name, or remove it with --prune)", wantP0.Name, lp.ID)
			}
			tmp := fmt.Sprintf("%s-pruned-%d", lp.name, lp.ID)
			n := d.step("cpupool-rename", "pool", lp.name, "name", tmp)
			d.change(Change{Kind: "pool", Name: lp.name, Action: "rename", Field: "name", Have: lp.name, Want: tmp, Step: n})
			d.cpus[tmp], d.ndom[tmp] = d.cpus[lp.name], d.ndom[lp.name]
			delete(d.cpus, lp.name)
			delete(d.ndom, lp.name)
			lp.name = tmp
		}
		n := d.step("cpupool-rename", "pool", p0.name, "name", wantP0.Name)
		d.change(Change{Kind: "pool", Name: wantP0.Name, Action: "rename", Field: "name", Have: p0.name, Want: wantP0.Name, Step: n})
		d.cpus[wantP0.Name], d.ndom[wantP0.Name] = d.cpus[p0.name], d.ndom[p0.name]
		delete(d.cpus, p0.name)
		delete(d.ndom, p0.name)
		d.name0 = wantP0.Name
	}

	// 3. New pools, and pools on another scheduler.
	for _, p := range f.Pools {
		lp := d.byLive[p]
		if lp == nil {
			kvs := []any{"name", p.Name}
			if p.Sched != "" {
				kvs = append(kvs, "sched", p.Sched)
			}
			n := d.step("cpupool-create", kvs...)
			d.change(Change{Kind: "pool", Name: p.Name, Action: "create", Want: p.Sched, Step: n})
			d.freshPo[p.Name] = true
			continue
		}
		if p.Sched != "" && p.Sched != lp.Scheduler.String() {
			n := d.step("cpupool-set-sched", "pool", p.Name, "sched", p.Sched)
			d.change(Change{Kind: "pool", Name: p.Name, Action: "set", Field: "sched", Have: lp.Scheduler.String(), Want: p.Sched, Step: n})
			d.freshPo[p.Name] = true
		}
	}

	// 4. Domains and CPUs into their pools, in rounds: a domain moves
	// once its new pool has CPUs, a CPU once taking it leaves its pool
	// a CPU or no domain.
	type domWant struct {
		fd    *Domain
		ld    *liveDomain
		from  string // the pool it is in
		pool  string // the pool it ends in
		sched hypercall.Scheduler
		moved bool
	}
	var dws []*domWant
	var migrating []*domWant
	for _, fd := range f.Domains {
		ld := l.domain(fd.Name)
		if ld == nil {
			if opts.Strict {
				return nil, &NotRunningError{File: f.Name, Pos: fd.Pos, Domain: fd.Name}
			}
			d.plan.Warnings = append(d.plan.Warnings, fmt.Sprintf("%s:%d:%d: domain %q is not running: skipped", f.Name, fd.Line, fd.Col, fd.Name))
			continue
		}
		cur := l.pool(ld.Pool)
		curName := d.renamed(cur.name, cur.ID)
		dw := &domWant{fd: fd, ld: ld, from: curName, pool: curName, sched: cur.Scheduler}
		if fd.Pool != "" && fd.Pool != curName {
			dw.pool, dw.moved = fd.Pool, true
			migrating = append(migrating, dw)
		}
		if s, ok := d.schedOf(dw.pool); ok {
			dw.sched = s
		}
		if d.freshPo[dw.pool] && !(dw.pool == curName && credits(cur.Scheduler) && credits(dw.sched)) {
			// A new pool, or one switched to another scheduler: the
			// domain's parameters are the new scheduler's defaults
			// (between credit and credit2, set-sched keeps weight and
			// cap).
			dw.moved = true
		}
		dws = append(dws, dw)
	}
	type want struct {
		pool string
		cpus cpuset.Set
	}
	var wants []*want
	for _, p := range f.Pools {
		if w, ok := wantCPUs[p]; ok {
			if need := w.Diff(d.cpus[p.Name]); !need.IsEmpty() {
				wants = append(wants, &want{p.Name, need})
			}
		}
	}
	migrate := func(dw *domWant) {
		n := d.step("cpupool-migrate", "domain", dw.fd.Name, "pool", dw.pool)
		d.change(Change{Kind: "domain", Name: dw.fd.Name, Action: "migrate", Field: "pool", Have: dw.from, Want: dw.pool, Step: n})
		d.ndom[dw.from]--
		d.ndom[dw.pool]++
	}
	for force := false; len(wants) > 0 || len(migrating) > 0; {
		progress := false
		for _, w := range wants {
			var now cpuset.Set
			for _, c := range w.cpus.IDs() {
				from := d.poolOf(c)
				if !force && from != "" && d.ndom[from] > 0 && d.cpus[from].Remove(c).IsEmpty() {
					continue
				}
				now = now.Add(c)
				if from != "" {
					d.cpus[from] = d.cpus[from].Remove(c)
				}
				d.cpus[w.pool] = d.cpus[w.pool].Add(c)
			}
			if !now.IsEmpty() {
				d.move(w.pool, now)
				w.cpus = w.cpus.Diff(now)
				progress = true
			}
		}
		wants = slices.DeleteFunc(wants, func(w *want) bool { return w.cpus.IsEmpty() })
		var left []*domWant
		for _, dw := range migrating {
			if !force && d.cpus[dw.pool].IsEmpty() {
				left = append(left, dw)
				continue
			}
			migrate(dw)
			progress = true
		}
		migrating = left
		if !progress && !force {
			// Stuck: domains wait for CPUs their own pool must keep
			// for them. They wait in Pool-0, which always has CPU 0.
			for _, dw := range migrating {
				if dw.from != d.name0 {
					to := dw.pool
					dw.pool = d.name0
					migrate(dw)
					dw.from, dw.pool = d.name0, to
					progress = true
				}
			}
		}
		// Still stuck: emit the rest as they are, for the plan to explain.
		force = !progress
	}

	// 6. CPUs out of pools, CPUs offline.
	for _, p := range f.Pools {
		w, ok := wantCPUs[p]
		if !ok {
			continue
		}
		extra := d.cpus[p.Name].Diff(w).Diff(offline)
		if !extra.IsEmpty() {
			n := d.step("cpupool-cpu-remove", "pool", p.Name, "cpus", extra.String())
			d.change(Change{Kind: "pool", Name: p.Name, Action: "remove", Field: "cpus", Want: extra.String(), Step: n})
			d.cpus[p.Name] = d.cpus[p.Name].Diff(extra)
		}
	}
	if off := offline.Intersect(l.online); !off.IsEmpty() {
		n := d.step("pcpu-offline", "cpus", off.String(), "evacuate", true)
		d.change(Change{Kind: "cpu", Name: off.String(), Action: "offline", Step: n})
	}

	// 7. Pools the file does not list.
	if opts.Prune && f.HasPools {
		for i := range l.pools {
			lp := &l.pools[i]
			if lp.ID == 0 || d.listed(lp) {
				continue
			}
			n := d.step("cpupool-destroy", "pool", lp.name)
			d.change(Change{Kind: "pool", Name: lp.name, Action: "destroy", Step: n})
		}
	}

	// 8. Pool parameters.
	for _, p := range f.Pools {
		if p.Params == nil {
			continue
		}
		s, _ := d.schedOf(p.Name)
		if !sched.HasPoolParams(s) {
			return nil, d.errAt(p.Pos, "pool %q: the %s scheduler has no pool parameters", p.Name, s)
		}
		if err := p.Params.change().Check(s); err != nil {
			return nil, d.errAt(p.Pos, "pool %q: params: %v", p.Name, err)
		}
		have := sched.DefaultPoolParams(s)
		if lp := d.byLive[p]; lp != nil && !d.freshPo[p.Name] {
			have = lp.params
		}
		kvs := []any{"cpupool", p.Name}
		var chs []Change
		for _, kv := range []struct {
			k    string
			want *int64
			have uint32
		}{{"ratelimit_us", p.Params.RatelimitUS, have.RatelimitUS}, {"tslice_ms", p.Params.TsliceMS, have.TsliceMS}, {"migration_delay_us", p.Params.MigrationDelayUS, have.MigrationDelayUS}} {
			if kv.want != nil && *kv.want != int64(kv.have) {
				kvs = append(kvs, kv.k, int(*kv.want))
				chs = append(chs, Change{Kind: "pool", Name: p.Name, Action: "set", Field: kv.k, Have: strconv.Itoa(int(kv.have)), Want: strconv.Itoa(int(*kv.want))})
			}
		}
		if len(chs) > 0 {
			n := d.step("sched-"+s.String(), kvs...)
			for _, c := range chs {
				c.Step = n
				d.change(c)
			}
		}
	}

	// 9. Domain parameters.
	for _, dw := range dws {
		fd, ld := dw.fd, dw.ld
		switch {
		case fd.Weight != nil || fd.Cap != nil:
			if dw.sched != hypercall.SchedCredit && dw.sched != hypercall.SchedCredit2 {
				return nil, d.errAt(fd.Pos, "domain %q: weight and cap need a credit or credit2 pool; %q uses %s", fd.Name, dw.pool, dw.sched)
			}
			have := hypercall.DomainSchedParams{Weight: sched.DefaultWeight}
			if !dw.moved {
				have = ld.dp
			}
			kvs := []any{"domain", fd.Name}
			var chs []Change
			if fd.Weight != nil && *fd.Weight != int64(have.Weight) {
				kvs = append(kvs, "weight", int(*fd.Weight))
				chs = append(chs, Change{Kind: "domain", Name: fd.Name, Action: "set", Field: "weight", Have: strconv.Itoa(int(have.Weight)), Want: strconv.Itoa(int(*fd.Weight))})
			}
			if fd.Cap != nil && *fd.Cap != int64(have.Cap) {
				kvs = append(kvs, "cap", int(*fd.Cap))
				chs = append(chs, Change{Kind: "domain", Name: fd.Name, Action: "set", Field: "cap", Have: strconv.Itoa(int(have.Cap)), Want: strconv.Itoa(int(*fd.Cap))})
			}
			if len(chs) > 0 {
				n := d.step("sched-"+dw.sched.String(), kvs...)
				for _, c := range chs {
					c.Step = n
					d.change(c)
				}
			}
		case fd.RTDS != nil:
			if dw.sched != hypercall.SchedRTDS {
				return nil, d.errAt(fd.Pos, "domain %q: rtds parameters need an rtds pool; %q uses %s", fd.Name, dw.pool, dw.sched)
			}
			have := make([]hypercall.VCPUSchedParams, ld.MaxVCPUID+1)
			for i := range have {
				have[i] = hypercall.VCPUSchedParams{VCPU: uint32(i), PeriodUS: sched.DefaultRTDSPeriodUS, BudgetUS: sched.DefaultRTDSBudgetUS, Extratime: true}
				if !dw.moved && i < len(ld.vcpus) {
					have[i] = ld.vcpus[i]
				}
			}
			for _, r := range fd.RTDS {
				if r.VCPU > int64(ld.MaxVCPUID) {
					return nil, d.errAt(fd.Pos, "domain %q: rtds: vcpu %d: the domain's last vCPU is %d", fd.Name, r.VCPU, ld.MaxVCPUID)
				}
				var differ []string
				for i := range have {
					if r.VCPU >= 0 && int64(i) != r.VCPU {
						continue
					}
					v := &have[i]
					if int64(v.PeriodUS) != r.PeriodUS || int64(v.BudgetUS) != r.BudgetUS || v.Extratime != r.Extratime {
						differ = append(differ, fmt.Sprintf("vcpu %d period=%d budget=%d extratime=%t", i, v.PeriodUS, v.BudgetUS, v.Extratime))
						v.PeriodUS, v.BudgetUS, v.Extratime = uint32(r.PeriodUS), uint32(r.BudgetUS), r.Extratime
					}
				}
				if len(differ) == 0 {
					continue
				}
				vc := any("all")
				if r.VCPU >= 0 {
					vc = int(r.VCPU)
				}
				n := d.step("sched-rtds", "domain", fd.Name, "vcpuid", vc, "period", int(r.PeriodUS), "budget", int(r.BudgetUS), "extratime", r.Extratime)
				d.change(Change{Kind: "domain", Name: fd.Name, Action: "set", Field: "rtds", Have: strings.Join(differ, "; "),
					Want: fmt.Sprintf("vcpu %v period=%d budget=%d extratime=%t", vc, r.PeriodUS, r.BudgetUS, r.Extratime), Step: n})
			}
		}
	}

	// 10. vsnd cards: the admin's records, never the guest's frontend.
	for _, dw := range dws {
		fd, ld := dw.fd, dw.ld
		if !fd.HasVSND && !opts.Prune {
			continue
		}
		used := make([]bool, len(ld.cards))
		var attach []Card
		for _, c := range fd.VSND {
			key := cardKey(l.backendName(c.Backend), c.Card)
			found := false
			for i, lc := range ld.cards {
				if !used[i] && cardKey(lc.backend, &lc.card) == key {
					used[i], found = true, true
					break
				}
			}
			if !found {
				attach = append(attach, c)
			}
		}
		if opts.Prune {
			for i, lc := range ld.cards {
				if used[i] {
					continue
				}
				n := d.step("vsnd-detach", "domain", fd.Name, "devid", lc.devid)
				d.change(Change{Kind: "vsnd", Name: fd.Name, Action: "detach", Field: "devid", Have: strconv.Itoa(lc.devid) + " " + cardLabel(lc.card.ShortName), Step: n})
			}
		}
		if len(ld.others) > 0 && (fd.HasVSND || opts.Prune) {
			d.plan.Warnings = append(d.plan.Warnings, fmt.Sprintf("domain %q: vsnd devices %v were attached without xgo (no admin record of their cards): not compared, left alone", fd.Name, ld.others))
		}
		for _, c := range attach {
			kvs := []any{"domain", fd.Name}
			if c.Backend != "" {
				kvs = append(kvs, "backend", c.Backend)
			}
			kvs = append(kvs, "card", batch.CardNode(c.Card))
			n := d.step("vsnd-attach", kvs...)
			d.change(Change{Kind: "vsnd", Name: fd.Name, Action: "attach", Want: cardLabel(c.Card.ShortName), Step: n})
		}
	}
	return d.plan, nil
}

func cardLabel(short string) string {
	if short == "" {
		return "card"
	}
	return "card " + strconv.Quote(short)
}

func (d *differ) move(pool string, cpus cpuset.Set) {
	n := d.step("cpupool-cpu-move", "cpus", cpus.String(), "pool", pool)
	d.change(Change{Kind: "pool", Name: pool, Action: "move", Field: "cpus", Want: cpus.String(), Step: n})
}

// poolOf is the pool cpu c is in as the steps go, "" for none.
func (d *differ) poolOf(c int) string {
	names := make([]string, 0, len(d.cpus))
	for n := range d.cpus {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if d.cpus[n].Has(c) {
			return n
		}
	}
	return ""
}

// renamed is a live pool's name once the steps renamed Pool-0.
func (d *differ) renamed(name string, id uint32) string {
	if id == 0 {
		return d.name0
	}
	return name
}

// schedOf is the scheduler pool name has once the steps ran.
func (d *differ) schedOf(name string) (hypercall.Scheduler, bool) {
	for _, p := range d.f.Pools {
		if p.Name == name {
			if p.Sched != "" {
				s, err := hypercall.ParseScheduler(p.Sched)
				return s, err == nil
			}
			if lp := d.byLive[p]; lp != nil {
				return lp.Scheduler, true
			}
			// A new pool without sched: Xen's default, Pool-0's.
			return d.l.pool(0).Scheduler, true
		}
	}
	for _, lp := range d.l.pools {
		if d.renamed(lp.name, lp.ID) == name {
			return lp.Scheduler, true
		}
	}
	return 0, false
}

// listed reports whether the file lists live pool lp.
func (d *differ) listed(lp *livePool) bool {
	for _, v := range d.byLive {
		if v == lp {
			return true
		}
	}
	return false
}

func (d *differ) parseCPUs(c *CPUList) (cpuset.Set, error) {
	if c.Text == "" {
		return cpuset.Set{}, nil
	}
	s, err := d.l.m.ParseCPUs(c.Text)
	if err != nil {
		return s, d.errAt(c.Pos, "%v", err)
	}
	if bad := s.Diff(d.l.present); !bad.IsEmpty() {
		return s, d.errAt(c.Pos, "cpus %s are not present on this host (it has %s)", bad, d.l.present)
	}
	return s, nil
}

// domain finds a running domain by name, or by id when q is all
// digits.
func (l *live) domain(q string) *liveDomain {
	for i := range l.doms {
		d := &l.doms[i]
		if (d.Named && d.Name == q) || (naming.IsID(q) && strconv.Itoa(int(d.ID)) == q) {
			return d
		}
	}
	return nil
}

// backendName is how cards name a backend domain: "" for Domain-0,
// else its name (or its id without one).
func (l *live) backendName(q string) string {
	if q == "" {
		return ""
	}
	if d := l.domain(q); d != nil {
		if d.ID == 0 {
			return ""
		}
		return d.name
	}
	return q
}

func credits(s hypercall.Scheduler) bool {
	return s == hypercall.SchedCredit || s == hypercall.SchedCredit2
}
