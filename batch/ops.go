package batch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"xgo.dev/xgo/yamlerr"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore"
)

// Host is what the steps act on: a hypervisor and its XenStore, the real
// host's or a simulated copy's.
type Host struct {
	HV hypercall.Hypervisor
	XS Store
	// Trace, if set, gets a line for every hypercall or XenStore change
	// as it is made and undone (xgo -v).
	Trace func(string)
	// Copy says the host is a copy (batch plan's): nothing runs there
	// that answers a device's other end, so no step waits for one.
	Copy bool
}

// Store is what the steps need of a XenStore connection; a
// *xenstore.Conn is one.
type Store interface {
	xenstore.Ops
	Transact(ctx context.Context, fn func(tx *xenstore.Tx) error) error
	Watch(ctx context.Context, path, token string) (*xenstore.Watch, error)
}

var _ Store = (*xenstore.Conn)(nil)

func (h *Host) pools() *cpupool.Manager {
	m := cpupool.New(h.HV, h.XS)
	m.Trace = h.Trace
	return m
}

func (h *Host) sound() *sound.Manager {
	return &sound.Manager{XS: h.XS, HV: h.HV, Trace: h.Trace}
}

// undoFunc puts back what a step changed.
type undoFunc func(ctx context.Context) error

// operation is one decoded step. apply makes the change on h and returns
// what it changed, one line each, and how to undo it. When apply fails
// after changing part of the host it returns the undo of that part too,
// and the runner calls it before undoing the steps before.
type operation interface {
	String() string // the arguments in one line
	apply(ctx context.Context, h *Host) (changes []string, undo undoFunc, err error)
}

type opSpec struct {
	keys   []string
	decode func(a *args) (operation, error)
}

// registry has one entry per operation, named and with arguments as the
// xgo command line has them. It is built on first use: every xgo command
// would pay for it at init, and only batch files read it.
var registry = sync.OnceValue(func() map[string]opSpec {
	return map[string]opSpec{
		"pcpu-online":  {[]string{"cpus", "timeout"}, decodePCPU(true)},
		"pcpu-offline": {[]string{"cpus", "timeout", "evacuate"}, decodePCPU(false)},

		"cpupool-create":     {[]string{"name", "sched", "cpus", "nodes"}, decodeCreate},
		"cpupool-destroy":    {[]string{"pool"}, decodePool("destroy", nil)},
		"cpupool-rename":     {[]string{"pool", "name"}, decodePool("rename", []string{"name"})},
		"cpupool-cpu-add":    {[]string{"pool", "cpus"}, decodeCPUs("add")},
		"cpupool-cpu-remove": {[]string{"pool", "cpus"}, decodeCPUs("remove")},
		"cpupool-cpu-move":   {[]string{"cpus", "pool"}, decodeCPUs("move")},
		"cpupool-migrate":    {[]string{"domain", "pool"}, decodePool("migrate", []string{"domain"})},
		"cpupool-numa-split": {nil, func(a *args) (operation, error) { return planOp{kind: "numa-split"}, a.done() }},
		"cpupool-set-sched":  {[]string{"pool", "sched", "params"}, decodeSetSched},

		"sched-credit":  {[]string{"domain", "weight", "cap", "cpupool", "tslice_ms", "ratelimit_us", "migration_delay_us"}, decodeCredit(hypercall.SchedCredit)},
		"sched-credit2": {[]string{"domain", "weight", "cap", "cpupool", "ratelimit_us"}, decodeCredit(hypercall.SchedCredit2)},
		"sched-rtds":    {[]string{"domain", "vcpuid", "period", "budget", "extratime"}, decodeRTDS},

		"vsnd-attach": {[]string{"domain", "backend", "card"}, decodeAttach},
		"vsnd-detach": {[]string{"domain", "devid", "force", "timeout"}, decodeDetach},

		"xenstore-write": {[]string{"path", "value"}, decodeXSWrite},
		"xenstore-rm":    {[]string{"path"}, decodeXSRm},
		// As on the command line, two words.
		"xenstore write": {[]string{"path", "value"}, decodeXSWrite},
		"xenstore rm":    {[]string{"path"}, decodeXSRm},
	}
})

// OpNames lists the operations a batch file may use, sorted.
func OpNames() []string {
	var out []string
	for k := range registry() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// kv formats arguments as "key=value" words, skipping empty values.
func kv(pairs ...string) string {
	var w []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			w = append(w, pairs[i]+"="+pairs[i+1])
		}
	}
	return strings.Join(w, " ")
}

// ---- pcpu-online, pcpu-offline

type pcpuOp struct {
	online   bool
	cpus     string
	evacuate bool
	timeout  time.Duration
}

func decodePCPU(online bool) func(a *args) (operation, error) {
	return func(a *args) (operation, error) {
		o := pcpuOp{online: online}
		o.cpus, _ = a.cpus("cpus", true)
		o.timeout, _ = a.duration("timeout")
		o.evacuate, _ = a.bool("evacuate")
		return o, a.done()
	}
}

func (o pcpuOp) String() string {
	s := kv("cpus", o.cpus)
	if o.evacuate {
		s += " evacuate=true"
	}
	if o.timeout != 0 {
		s += " timeout=" + o.timeout.String()
	}
	return s
}

func (o pcpuOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	set, err := pcpu.ParseCPUs(h.HV, o.cpus)
	if err != nil {
		return nil, nil, err
	}
	before, err := pcpu.ReadState(ctx, h.HV, h.XS)
	if err != nil {
		return nil, nil, err
	}
	opts := pcpu.Options{XenStore: h.XS, Evacuate: o.evacuate, Timeout: o.timeout}
	var res []pcpu.Result
	if o.online {
		res, err = pcpu.Online(ctx, h.HV, set, opts)
	} else {
		res, err = pcpu.Offline(ctx, h.HV, set, opts)
	}
	var changes []string
	var changed []pcpu.Result
	for _, r := range res {
		changes = append(changes, r.String())
		if r.Changed && r.Err == nil {
			changed = append(changed, r)
		}
	}
	undo := func(ctx context.Context) error {
		var errs []error
		for i := len(changed) - 1; i >= 0; i-- {
			r := changed[i]
			one := cpuset.Of(int(r.CPU))
			if o.online {
				// It was offline, so in no pool.
				_, err := pcpu.Offline(ctx, h.HV, one, pcpu.Options{XenStore: h.XS, Evacuate: true})
				errs = append(errs, err)
				continue
			}
			if _, err := pcpu.Online(ctx, h.HV, one, pcpu.Options{XenStore: h.XS}); err != nil {
				errs = append(errs, err)
				continue
			}
			// Xen puts an onlined CPU into Pool-0: put it back where it was.
			var was *pcpu.Pool
			if c := before.CPU(r.CPU); c != nil {
				was = c.Pool
			}
			errs = append(errs, h.putBack(ctx, int(r.CPU), was))
		}
		return errors.Join(errs...)
	}
	if len(changed) == 0 {
		undo = nil
	}
	return changes, undo, err
}

// putBack moves a CPU Xen just onlined (into Pool-0) back into the pool
// it was in before, or frees it when it was in none.
func (h *Host) putBack(ctx context.Context, cpu int, was *pcpu.Pool) error {
	m := h.pools()
	id := strconv.Itoa(cpu)
	var p *cpupool.CPUPlan
	var err error
	switch {
	case was != nil && was.ID == 0:
		return nil
	case was == nil:
		p, err = m.PlanRemoveCPUs(ctx, "0", id)
	default:
		p, err = m.PlanMoveCPUs(ctx, id, strconv.FormatUint(uint64(was.ID), 10))
	}
	if err != nil {
		return err
	}
	_, err = p.Execute(ctx)
	return err
}

// ---- cpupool-*

// planOp is an operation of package cpupool: planned against the host
// as it is when the step runs, executed (and undone) by its plan.
type planOp struct {
	kind   string
	pool   string
	arg    string   // rename: new name; migrate: domain; cpu ops: cpu-list; set-sched: scheduler
	params []string // set-sched
	cfg    []string // create: KEY=VALUE settings
}

func (o planOp) String() string {
	switch o.kind {
	case "create":
		return strings.Join(o.cfg, " ")
	case "destroy":
		return kv("pool", o.pool)
	case "rename":
		return kv("pool", o.pool, "name", o.arg)
	case "migrate":
		return kv("domain", o.arg, "pool", o.pool)
	case "add", "remove", "move":
		return kv("cpus", o.arg, "pool", o.pool)
	case "set-sched":
		return strings.TrimSpace(kv("pool", o.pool, "sched", o.arg) + " " + strings.Join(o.params, " "))
	}
	return ""
}

func (o planOp) plan(ctx context.Context, m *cpupool.Manager) (*cpupool.Plan, error) {
	switch o.kind {
	case "create":
		cfg, err := cpupool.ParseConfig("", nil, o.cfg)
		if err != nil {
			return nil, err
		}
		p, err := m.PlanCreate(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return p.Plan, nil
	case "destroy":
		p, err := m.PlanDestroy(ctx, o.pool)
		if err != nil {
			return nil, err
		}
		return p.Plan, nil
	case "rename":
		p, err := m.PlanRename(ctx, o.pool, o.arg)
		if err != nil {
			return nil, err
		}
		return p.Plan, nil
	case "migrate":
		p, err := m.PlanMigrate(ctx, o.arg, o.pool)
		if err != nil {
			return nil, err
		}
		return p.Plan, nil
	case "add", "remove", "move":
		var p *cpupool.CPUPlan
		var err error
		switch o.kind {
		case "add":
			p, err = m.PlanAddCPUs(ctx, o.pool, o.arg)
		case "remove":
			p, err = m.PlanRemoveCPUs(ctx, o.pool, o.arg)
		default:
			p, err = m.PlanMoveCPUs(ctx, o.arg, o.pool)
		}
		if err != nil {
			return nil, err
		}
		return p.Plan, nil
	case "numa-split":
		return m.PlanNumaSplit(ctx)
	case "set-sched":
		p, err := m.PlanSetSched(ctx, o.pool, o.arg, o.params)
		if err != nil {
			return nil, err
		}
		return p.Plan, nil
	}
	return nil, fmt.Errorf("unknown cpupool operation %q", o.kind)
}

func (o planOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	p, err := o.plan(ctx, h.pools())
	if err != nil {
		return nil, nil, err
	}
	res, err := p.Execute(ctx)
	var changes []string
	var undo undoFunc
	if res != nil {
		for _, s := range res.Done {
			changes = append(changes, s.String())
		}
		if len(res.Done) > 0 {
			undo = res.Undo
		}
	}
	return changes, undo, err
}

func decodeCreate(a *args) (operation, error) {
	o := planOp{kind: "create"}
	if n, ok := a.name("name", true); ok {
		o.cfg = append(o.cfg, "name="+n)
	}
	if s, ok := a.name("sched", false); ok {
		if _, err := hypercall.ParseScheduler(s); err != nil {
			a.fail(a.vals["sched"], "sched: %v", err)
		}
		o.cfg = append(o.cfg, "sched="+s)
	}
	if c, ok := a.cpus("cpus", false); ok {
		o.cfg = append(o.cfg, "cpus="+c)
	}
	if v := a.vals["nodes"]; v != nil {
		var ids []string
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		for _, it := range items {
			if it.Kind != yaml.ScalarNode {
				a.fail(it, "nodes: want node ids, have %s", yamlerr.KindName(it))
				break
			}
			if n, err := strconv.ParseUint(it.Value, 10, 16); err != nil {
				a.fail(it, "nodes: want a node id, have %q", it.Value)
			} else {
				ids = append(ids, strconv.FormatUint(n, 10))
			}
		}
		if a.has("cpus") {
			a.fail(a.keys["nodes"], "give cpus or nodes, not both")
		}
		o.cfg = append(o.cfg, "nodes=["+strings.Join(ids, ",")+"]")
	}
	if a.err == nil {
		if _, err := cpupool.ParseConfig("", nil, o.cfg); err != nil {
			a.fail(a.at, "%v", err)
		}
	}
	return o, a.done()
}

func decodePool(kind string, more []string) func(a *args) (operation, error) {
	return func(a *args) (operation, error) {
		o := planOp{kind: kind}
		o.pool, _ = a.name("pool", true)
		for _, k := range more {
			o.arg, _ = a.name(k, true)
		}
		return o, a.done()
	}
}

func decodeCPUs(kind string) func(a *args) (operation, error) {
	return func(a *args) (operation, error) {
		o := planOp{kind: kind}
		o.arg, _ = a.cpus("cpus", true)
		o.pool, _ = a.name("pool", true)
		return o, a.done()
	}
}

func decodeSetSched(a *args) (operation, error) {
	o := planOp{kind: "set-sched"}
	o.pool, _ = a.name("pool", true)
	o.arg, _ = a.name("sched", true)
	s, err := hypercall.ParseScheduler(o.arg)
	if a.err == nil && err != nil {
		a.fail(a.vals["sched"], "sched: %v", err)
	}
	if v := a.vals["params"]; v != nil {
		if v.Kind != yaml.MappingNode {
			a.fail(v, "params: want a mapping such as {tslice: 10ms, ratelimit: 500us}, have %s", yamlerr.KindName(v))
		} else {
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
					a.fail(k, "params: want key: value pairs")
					break
				}
				w := k.Value + "=" + val.Value
				if a.err == nil && err == nil {
					if _, perr := sched.ParsePoolParams(s, []string{w}); perr != nil {
						a.fail(k, "params: %v", perr)
					}
				}
				o.params = append(o.params, w)
			}
		}
	}
	return o, a.done()
}

// ---- sched-credit, sched-credit2

type creditOp struct {
	s      hypercall.Scheduler
	domain string
	dc     sched.DomainChange
	pool   string // "" with domain: the pool parameters of Pool-0 or this pool
	pc     sched.PoolChange
}

func decodeCredit(s hypercall.Scheduler) func(a *args) (operation, error) {
	return func(a *args) (operation, error) {
		o := creditOp{s: s}
		o.domain, _ = a.name("domain", false)
		// Any whole number: the scheduler's checks below give the range
		// in the words xgo's sched commands use.
		num := func(key string, out **int64) {
			if v, ok := a.int(key, math.MinInt64, math.MaxInt64, false); ok {
				*out = &v
			}
		}
		num("weight", &o.dc.Weight)
		num("cap", &o.dc.Cap)
		o.pool, _ = a.name("cpupool", false)
		num("ratelimit_us", &o.pc.RatelimitUS)
		num("tslice_ms", &o.pc.TsliceMS)
		num("migration_delay_us", &o.pc.MigrationDelayUS)
		if a.err != nil {
			return o, a.err
		}
		switch {
		case a.has("domain") && (a.has("cpupool") || !o.pc.IsZero()):
			a.fail(a.at, "give a domain with weight and cap, or pool parameters (with cpupool), not both")
		case a.has("domain") && o.dc.IsZero():
			a.fail(a.at, "nothing to set: give weight or cap")
		case !a.has("domain") && !o.dc.IsZero():
			a.fail(a.at, "weight and cap need a domain")
		case !a.has("domain") && o.pc.IsZero():
			a.fail(a.at, "nothing to set: give a domain with weight or cap, or pool parameters")
		case !o.pc.IsZero():
			if err := o.pc.Check(s); err != nil {
				a.fail(a.at, "%v", err)
			}
		default:
			if err := o.dc.Check(s, sched.Domain{MaxVCPUID: math.MaxUint16}); err != nil {
				a.fail(a.at, "%v", err)
			}
		}
		if !a.has("domain") && o.pool == "" {
			o.pool = "0" // xl's default for -s: Pool-0
		}
		return o, a.done()
	}
}

func (o creditOp) String() string {
	if o.domain != "" {
		return strings.TrimSpace(kv("domain", o.domain) + " " + o.dc.String())
	}
	return strings.TrimSpace(kv("cpupool", o.pool) + " " + o.pc.String())
}

// domainIn resolves a domain and the pool it is in.
func (h *Host) domainIn(ctx context.Context, q string) (cpupool.Domain, cpupool.Pool, error) {
	m := h.pools()
	d, err := m.Domain(ctx, q)
	if err != nil {
		return d, cpupool.Pool{}, err
	}
	pools, err := m.Pools(ctx)
	if err != nil {
		return d, cpupool.Pool{}, err
	}
	p, err := cpupool.ResolvePool(pools, strconv.FormatUint(uint64(d.Pool), 10))
	return d, p, err
}

func (o creditOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	if o.domain == "" {
		p, err := h.pools().Pool(ctx, o.pool)
		if err != nil {
			return nil, nil, err
		}
		if p.Scheduler != o.s {
			return nil, nil, fmt.Errorf("cpupool %s uses the %s scheduler, not %s", p.Label(), p.Scheduler, o.s)
		}
		sp := sched.Pool{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler}
		cur, err := sched.PoolParams(h.HV, sp, o.s)
		if err != nil {
			return nil, nil, err
		}
		next, err := o.pc.Apply(cur)
		if err != nil {
			return nil, nil, err
		}
		if err := sched.SetPoolParams(h.HV, sp, next); err != nil {
			return nil, nil, err
		}
		line := fmt.Sprintf("sysctl scheduler_op putinfo pool %d, %s %s (was %s)", p.ID, o.s, sched.PoolParamsText(next), sched.PoolParamsText(cur))
		return []string{line}, func(context.Context) error { return sched.SetPoolParams(h.HV, sp, cur) }, nil
	}
	d, p, err := h.domainIn(ctx, o.domain)
	if err != nil {
		return nil, nil, err
	}
	if p.Scheduler != o.s {
		return nil, nil, fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not %s", d.Label(), p.Label(), p.Scheduler, o.s)
	}
	sd := d.Sched(p)
	cur, err := sched.DomainParams(h.HV, sd, o.s)
	if err != nil {
		return nil, nil, err
	}
	next, err := o.dc.Apply(cur, sd)
	if err != nil {
		return nil, nil, err
	}
	if err := sched.SetDomainParams(h.HV, sd, next); err != nil {
		return nil, nil, err
	}
	line := fmt.Sprintf("domctl scheduler_op putinfo domain %d %s, %s weight=%d cap=%d (was weight=%d cap=%d)",
		d.ID, d.Label(), o.s, next.Weight, next.Cap, cur.Weight, cur.Cap)
	return []string{line}, func(context.Context) error { return sched.SetDomainParams(h.HV, sd, cur) }, nil
}

// ---- sched-rtds

type rtdsOp struct {
	domain    string
	vcpu      int64 // -1: all
	period    int64
	budget    int64
	extratime *bool
}

func decodeRTDS(a *args) (operation, error) {
	o := rtdsOp{vcpu: -1}
	o.domain, _ = a.name("domain", true)
	if s, ok := a.scalar("vcpuid", false); ok && s != "all" {
		o.vcpu, _ = a.int("vcpuid", 0, math.MaxUint32, false)
	}
	o.period, _ = a.int("period", sched.RTDSMinPeriodUS, math.MaxUint32, true)
	o.budget, _ = a.int("budget", sched.RTDSMinBudgetUS, math.MaxUint32, true)
	if e, ok := a.bool("extratime"); ok {
		o.extratime = &e
	}
	if a.err == nil && o.budget > o.period {
		a.fail(a.vals["budget"], "budget: must not be longer than the period (%dus)", o.period)
	}
	return o, a.done()
}

func (o rtdsOp) String() string {
	v := "all"
	if o.vcpu >= 0 {
		v = strconv.FormatInt(o.vcpu, 10)
	}
	s := kv("domain", o.domain, "vcpuid", v, "period", strconv.FormatInt(o.period, 10), "budget", strconv.FormatInt(o.budget, 10))
	if o.extratime != nil {
		s += " extratime=" + strconv.FormatBool(*o.extratime)
	}
	return s
}

func (o rtdsOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	d, p, err := h.domainIn(ctx, o.domain)
	if err != nil {
		return nil, nil, err
	}
	if p.Scheduler != hypercall.SchedRTDS {
		return nil, nil, fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not rtds", d.Label(), p.Label(), p.Scheduler)
	}
	sd := d.Sched(p)
	var ids []uint32
	if o.vcpu >= 0 {
		ids = []uint32{uint32(o.vcpu)}
	} else {
		for i := uint32(0); i <= sd.MaxVCPUID; i++ {
			ids = append(ids, i)
		}
	}
	cur, err := sched.VCPUParams(h.HV, sd, hypercall.SchedRTDS, ids)
	if err != nil {
		return nil, nil, err
	}
	var changes, back []sched.VCPUChange
	var lines []string
	for _, c := range cur {
		extra := c.Extratime
		if o.extratime != nil {
			extra = *o.extratime
		}
		ch := sched.VCPUChange{VCPU: int64(c.VCPU), PeriodUS: o.period, BudgetUS: o.budget, Extratime: extra}
		if err := ch.Check(sd); err != nil {
			return nil, nil, err
		}
		changes = append(changes, ch)
		back = append(back, sched.VCPUChange{VCPU: int64(c.VCPU), PeriodUS: int64(c.PeriodUS), BudgetUS: int64(c.BudgetUS), Extratime: c.Extratime})
		lines = append(lines, fmt.Sprintf("domctl scheduler_op putvcpuinfo domain %d %s, vcpu %d rtds period=%d budget=%d extratime=%t (was period=%d budget=%d extratime=%t)",
			d.ID, d.Label(), c.VCPU, o.period, o.budget, extra, c.PeriodUS, c.BudgetUS, c.Extratime))
	}
	if _, err := sched.SetVCPUParams(h.HV, sd, hypercall.SchedRTDS, changes); err != nil {
		return nil, nil, err
	}
	return lines, func(context.Context) error {
		_, err := sched.SetVCPUParams(h.HV, sd, hypercall.SchedRTDS, back)
		return err
	}, nil
}

// ---- vsnd-attach, vsnd-detach

type attachOp struct {
	domain, backend string
	card            *sound.Card
}

func decodeAttach(a *args) (operation, error) {
	o := attachOp{}
	o.domain, _ = a.name("domain", true)
	o.backend, _ = a.name("backend", false)
	v := a.vals["card"]
	if v == nil {
		a.fail(a.at, "missing argument \"card\" (a card in the form of vsnd-attach --file)")
		return o, a.done()
	}
	if a.err == nil {
		c, err := sound.ParseYAMLNode(v, a.d.file)
		if err != nil {
			a.fail(v, "card: %v", err)
		}
		o.card = c
	}
	return o, a.done()
}

func (o attachOp) String() string {
	s := kv("domain", o.domain, "backend", o.backend)
	if o.card != nil {
		s += fmt.Sprintf(" card=%q (%d pcms)", o.card.ShortName, len(o.card.PCMs))
	}
	return s
}

func (o attachOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	m := h.sound()
	att, err := m.Attach(ctx, sound.AttachRequest{Domain: o.domain, Backend: o.backend, Card: o.card})
	if err != nil {
		return nil, nil, err
	}
	lines := []string{fmt.Sprintf("vsnd device %d of %s: %s", att.DevID, att.Frontend.Label(), att.FrontendPath)}
	for _, c := range att.Changes {
		lines = append(lines, changeText(c))
	}
	return lines, func(ctx context.Context) error { return m.Undo(ctx, att) }, nil
}

func changeText(c sound.Change) string {
	switch c.Op {
	case "write":
		return fmt.Sprintf("xenstore write %s = %q", c.Path, c.Value)
	case "chmod":
		return fmt.Sprintf("xenstore chmod %s %s", c.Path, c.Perms)
	}
	return "xenstore " + c.Op + " " + c.Path
}

type detachOp struct {
	domain  string
	devid   int64
	force   bool
	timeout time.Duration
}

func decodeDetach(a *args) (operation, error) {
	o := detachOp{}
	o.domain, _ = a.name("domain", true)
	o.devid, _ = a.int("devid", 0, math.MaxInt32, true)
	o.force, _ = a.bool("force")
	o.timeout, _ = a.duration("timeout")
	return o, a.done()
}

func (o detachOp) String() string {
	s := kv("domain", o.domain, "devid", strconv.FormatInt(o.devid, 10))
	if o.force {
		s += " force=true"
	}
	if o.timeout != 0 {
		s += " timeout=" + o.timeout.String()
	}
	return s
}

func (o detachOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	m := h.sound()
	req := sound.DetachRequest{Domain: o.domain, DevID: int(o.devid), Force: o.force, Timeout: o.timeout, NoWait: h.Copy}
	dry := req
	dry.DryRun = true
	plan, err := m.Detach(ctx, dry)
	if err != nil {
		return nil, nil, err
	}
	var paths []string
	for _, p := range []string{plan.FrontendPath, plan.BackendPath, plan.LibxlPath} {
		if p != "" {
			paths = append(paths, p)
		}
	}
	for _, c := range plan.Changes {
		if c.Op == "rm" {
			paths = append(paths, c.Path)
		}
	}
	saved, err := saveTrees(ctx, h.XS, paths)
	if err != nil {
		return nil, nil, err
	}
	det, err := m.Detach(ctx, req)
	undo := func(ctx context.Context) error { return restoreTrees(ctx, h.XS, saved) }
	if err != nil {
		return nil, undo, err
	}
	var lines []string
	for _, c := range det.Changes {
		lines = append(lines, changeText(c))
	}
	return lines, undo, nil
}

// ---- xenstore-write, xenstore-rm

type xsOp struct {
	rm    bool
	path  string
	value string
}

func decodeXSWrite(a *args) (operation, error) {
	o := xsOp{}
	o.path, _ = a.name("path", true)
	o.value, _ = a.scalar("value", true)
	if a.err == nil {
		if err := checkPath(o.path); err != nil {
			a.fail(a.vals["path"], "path: %v", err)
		}
	}
	return o, a.done()
}

// checkPath accepts absolute XenStore paths: a batch runs as dom0, whose
// relative paths would silently mean /local/domain/0/....
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q is not an absolute path (start it with /)", p)
	}
	return xenstore.ValidatePath(p)
}

func decodeXSRm(a *args) (operation, error) {
	o := xsOp{rm: true}
	o.path, _ = a.name("path", true)
	if a.err == nil {
		if err := checkPath(o.path); err != nil {
			a.fail(a.vals["path"], "path: %v", err)
		} else if o.path == "/" {
			a.fail(a.vals["path"], "path: removing / would empty XenStore")
		}
	}
	return o, a.done()
}

func (o xsOp) String() string {
	if o.rm {
		return kv("path", o.path)
	}
	return kv("path", o.path) + " value=" + strconv.Quote(o.value)
}

func (o xsOp) apply(ctx context.Context, h *Host) ([]string, undoFunc, error) {
	// Save what the change overwrites: the node's subtree (rm), or the
	// node and the first missing parent (write creates them).
	top := o.path
	if !o.rm {
		for p := o.path; p != "/"; p = parent(p) {
			if _, err := h.XS.GetPerms(ctx, p); err == nil {
				break
			} else if !errors.Is(err, xenstore.ErrNotExist) {
				return nil, nil, err
			}
			top = p
		}
	}
	var saved []treeNode
	var err error
	if o.rm || top == o.path {
		saved, err = saveTrees(ctx, h.XS, []string{o.path})
		if err != nil {
			return nil, nil, err
		}
		if !o.rm && len(saved) > 0 {
			saved = saved[:1] // a write changes only the node's value
		}
	}
	undo := func(ctx context.Context) error {
		if !o.rm && len(saved) == 0 {
			return h.XS.Rm(ctx, top) // it did not exist: remove what the write created
		}
		return restoreTrees(ctx, h.XS, saved)
	}
	if o.rm {
		if len(saved) == 0 {
			return []string{"xenstore rm " + o.path + " (not there: nothing to do)"}, nil, h.XS.Rm(ctx, o.path)
		}
		if err := h.XS.Rm(ctx, o.path); err != nil {
			return nil, nil, err
		}
		return []string{fmt.Sprintf("xenstore rm %s (%d nodes)", o.path, len(saved))}, undo, nil
	}
	if err := h.XS.Write(ctx, o.path, []byte(o.value)); err != nil {
		return nil, nil, err
	}
	return []string{fmt.Sprintf("xenstore write %s = %q", o.path, o.value)}, undo, nil
}

func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// treeNode is a saved XenStore node.
type treeNode = cpupool.TreeNode

// saveTrees reads the subtrees at paths (parents first); a missing path
// saves nothing.
func saveTrees(ctx context.Context, xs xenstore.Ops, paths []string) ([]treeNode, error) {
	var out []treeNode
	seen := map[string]bool{}
	for _, p := range paths {
		nodes, err := cpupool.SaveTree(ctx, xs, p, seen)
		if err != nil {
			return nil, fmt.Errorf("saving %s: %w", p, err)
		}
		out = append(out, nodes...)
	}
	return out, nil
}

// restoreTrees writes saved nodes back with their values and
// permissions, in one transaction.
func restoreTrees(ctx context.Context, xs Store, nodes []treeNode) error {
	return xs.Transact(ctx, func(tx *xenstore.Tx) error {
		return cpupool.RestoreTree(ctx, tx, nodes)
	})
}
