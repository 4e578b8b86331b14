package cpupool

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/xenstore"
)

// MaxNameLen is the longest cpupool name xgo gives a pool, in bytes.
const MaxNameLen = 64

// nameChars are the characters of a pool name besides letters and digits.
const nameChars = "-_.:+@"

// checkName checks a new pool name (cpupool-create, -rename). xl accepts
// any string; xgo refuses what breaks later uses of the name: the empty
// name and all-digit names, which every pool argument would read as a
// pool id (libxl_cpupool_qualifier_to_cpupoolid); spaces, tabs and other
// characters that split xl's table columns or need quoting on a command
// line, "/" and "\"; a leading "-", read as an option; and names over
// MaxNameLen bytes. Pools that already have such a name (xl made them)
// can still be listed, renamed and destroyed by it.
func checkName(name string) error {
	switch {
	case name == "":
		return invalidf("a cpupool name must not be empty")
	case naming.IsID(name):
		return invalidf("cpupool name %q is all digits: it would be read as a pool id", name)
	case len(name) > MaxNameLen:
		return invalidf("cpupool name %q is %d bytes long: at most %d", name[:20]+"...", len(name), MaxNameLen)
	case name[0] == '-':
		return invalidf("cpupool name %q starts with \"-\": it would be read as an option", name)
	}
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(nameChars, r) {
			continue
		}
		what := fmt.Sprintf("%q", r)
		if unicode.IsSpace(r) {
			what = "white space " + what
		}
		return invalidf("cpupool name %q contains %s (a name has letters, digits and %s)", name, what, nameChars)
	}
	return nil
}

// caseTwinNote warns about a name that differs only in case from another
// pool's: lookups are exact, so one typo reaches the other pool.
func (h *host) caseTwinNote(name string, except uint32) []string {
	for _, p := range h.pools {
		if p.Named && p.ID != except && p.Name != name && strings.EqualFold(p.Name, name) {
			return []string{fmt.Sprintf("cpupool name '%s' differs only in case from cpupool %s (id %d): names are compared exactly", name, p.Label(), p.ID)}
		}
	}
	return nil
}

// uniqueName is the XenStore check of a create or rename transaction: no
// pool other than self (a pool id, or nil for a pool not created yet)
// has name. It reads the names inside the transaction, so a pool named
// meanwhile by another toolstack makes the commit conflict or the check
// fail.
func uniqueName(name string, self *PoolRef) func(ctx context.Context, tx xenstore.Ops) error {
	return func(ctx context.Context, tx xenstore.Ops) error {
		ids, err := tx.Directory(ctx, "/local/pool")
		if errors.Is(err, xenstore.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, id := range ids {
			if self != nil && self.Known && id == fmt.Sprint(self.ID) {
				continue
			}
			v, err := tx.Read(ctx, "/local/pool/"+id+"/name")
			if errors.Is(err, xenstore.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			if string(v) == name {
				return &RefusedError{What: "name cpupool '" + name + "'", Reasons: []string{"cpupool " + id + " took the name meanwhile"}}
			}
		}
		return nil
	}
}

// newUUID returns a random (version 4) UUID as libxl writes pool uuids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// nameSteps are the XenStore writes libxl_cpupool_create makes, in one
// transaction: mkdir /local/pool/<id>, its uuid and name; xgo first checks
// in the same transaction that the name is still free.
func (p *Plan) nameSteps(ref *PoolRef, name, uuid string) {
	g := p.nextGroup()
	p.add(xsCheckStep(g, fmt.Sprintf("no other cpupool is named '%s'", name), uniqueName(name, ref)))
	p.add(xsMkdirStep(g, ref.path))
	p.add(xsWriteStep(g, func() string { return ref.path() + "/uuid" }, uuid))
	p.add(xsWriteStep(g, func() string { return ref.path() + "/name" }, name))
}

// CreatePlan is a plan for cpupool-create.
type CreatePlan struct {
	*Plan
	Source    string // xl's "Using config file" source
	Name      string
	Scheduler hypercall.Scheduler
	CPUs      cpuset.Set
	UUID      string
}

// PlanCreate plans cpupool-create from a config: a new pool (the next
// free id) with the scheduler (default: Xen's default scheduler) and the
// cpus given, which must be free and online, named in XenStore as libxl
// names it. Without cpus or nodes the pool is created empty (as xl's code
// does; its manual says otherwise), and a note says so.
func (m *Manager) PlanCreate(ctx context.Context, cfg *Config) (*CreatePlan, error) {
	name := cfg.ConfigName()
	if name == "" {
		return nil, invalidf("missing cpupool name: give name=NAME or a config file")
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, err
	}
	if p, used := h.nameUsed(name, ^uint32(0)); used {
		return nil, &RefusedError{What: "create cpupool '" + name + "'", Reasons: []string{fmt.Sprintf("the name is already used by cpupool %d", p.ID)}}
	}
	var s hypercall.Scheduler
	if cfg.Sched != "" {
		if s, err = hypercall.ParseScheduler(cfg.Sched); err != nil {
			return nil, invalidf("unknown scheduler %q (want credit, credit2, rtds, null or arinc653)", cfg.Sched)
		}
		if err := m.checkBuilt("cannot create cpupool '"+name+"'", s); err != nil {
			return nil, err
		}
	} else if s, err = m.hv.SchedulerID(); err != nil {
		return nil, fmt.Errorf("reading Xen's default scheduler: %w", err)
	}
	cp := &CreatePlan{Plan: &Plan{What: "create cpupool '" + name + "'", m: m, Notes: h.caseTwinNote(name, ^uint32(0))}, Source: cfg.Source, Name: name, Scheduler: s, UUID: newUUID()}
	var probs problems
	switch {
	case cfg.HasNodes:
		t := &topology{hv: m.hv}
		for _, item := range cfg.Nodes {
			n, err := atoiItem("node", item)
			if err != nil {
				return nil, err
			}
			cpus, ok := t.NodeCPUs(n)
			if t.err != nil {
				return nil, t.err
			}
			if !ok {
				return nil, invalidf("this host has no NUMA node %d", n)
			}
			cp.CPUs = cp.CPUs.Union(cpus.Intersect(h.free))
		}
		if cp.CPUs.IsEmpty() {
			probs.addf("no free cpu found on node(s) %s", strings.Join(cfg.Nodes, ","))
		}
	case cfg.HasCPUs && cfg.IsList:
		for _, item := range cfg.CPUItems {
			c, err := atoiItem("cpu", item)
			if err != nil {
				return nil, err
			}
			cp.CPUs = cp.CPUs.Add(c)
		}
	case cfg.HasCPUs:
		if cp.CPUs, err = m.ParseCPUs(cfg.CPUs); err != nil {
			return nil, err
		}
	}
	if !cfg.HasNodes {
		if _, err := m.checkUsable(cp.CPUs, &probs); err != nil {
			return nil, err
		}
		for _, c := range cp.CPUs.IDs() {
			if p, in := h.poolOf(c); in {
				probs.addCPU(c, "is not free (it is in %s)", p.Label())
			}
		}
	}
	if err := probs.err(cp.What); err != nil {
		return nil, err
	}
	ref := &PoolRef{Name: name, Named: true}
	cp.NewPool = ref
	cp.add(m.createStep(ref, s))
	for _, c := range cp.CPUs.IDs() {
		cp.add(m.addCPUStep(ref, c))
	}
	cp.nameSteps(ref, name, cp.UUID)
	if cp.CPUs.IsEmpty() {
		cp.Notes = append(cp.Notes, fmt.Sprintf("cpupool '%s' is created without cpus: no domain can be moved into it until cpus are added (cpupool-cpu-add or cpupool-cpu-move)", name))
	}
	return cp, nil
}

// PoolPlan is a plan about one existing pool: destroy, rename, set-sched.
type PoolPlan struct {
	*Plan
	Pool Pool
}

// PlanDestroy plans cpupool-destroy in libxl's order: refuse a pool that
// has domains, remove its cpus, destroy it, delete /local/pool/<id>.
// Pool-0 cannot be destroyed. If a step fails, the cpus go back.
func (m *Manager) PlanDestroy(ctx context.Context, q string) (*PoolPlan, error) {
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := h.resolve(q)
	if err != nil {
		return nil, err
	}
	pp := &PoolPlan{Plan: &Plan{What: "destroy cpupool " + pool.Label(), m: m}, Pool: pool}
	var probs problems
	if pool.ID == 0 {
		probs.addf("Pool-0 can never be destroyed: cpu 0 and Domain-0 can never leave it")
	} else if pool.NDom > 0 {
		if err := h.loadDomains(ctx, m); err != nil {
			return nil, err
		}
		if doms := h.domainsIn(pool.ID); len(doms) > 0 {
			probs.addf("it still has domains: %s; move them to another cpupool first (cpupool-migrate)", domainLabels(doms))
		} else {
			probs.addf("it still has %d dying domain(s)", pool.NDom)
		}
	}
	if err := probs.err(pp.What); err != nil {
		return nil, err
	}
	ref := refOf(pool)
	for _, c := range pool.CPUs.IDs() {
		pp.add(m.rmCPUStep(ref, c))
	}
	pp.add(m.destroyStepRestoring(ref, pool.Scheduler))
	g := pp.nextGroup()
	pp.add(xsRmStep(g, ref.path))
	return pp, nil
}

// destroyStepRestoring is destroyStep whose undo also restores the pool's
// scheduler parameters, which a re-created pool would lose.
func (m *Manager) destroyStepRestoring(ref *PoolRef, s hypercall.Scheduler) Step {
	st := m.destroyStep(ref, s)
	var saved *hypercall.PoolSchedParams
	do := st.do
	st.do = func(ctx context.Context) error {
		if sched.HasPoolParams(s) {
			if p, err := m.hv.PoolSchedParams(ref.ID, s); err == nil {
				saved = &p
			}
		}
		return do(ctx)
	}
	st.undo = func(ctx context.Context) error {
		if err := m.recreate(ref, s); err != nil {
			return err
		}
		if saved != nil {
			return m.hv.SetPoolSchedParams(ref.ID, *saved)
		}
		return nil
	}
	return st
}

// PlanRename plans cpupool-rename: write the new name in a transaction
// that first checks no other pool has it. xl does not check; xgo refuses
// a name in use, since name lookups would then find only one of the two.
func (m *Manager) PlanRename(ctx context.Context, q, name string) (*PoolPlan, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := h.resolve(q)
	if err != nil {
		return nil, err
	}
	pp := &PoolPlan{Plan: &Plan{What: fmt.Sprintf("rename cpupool %s to '%s'", pool.Label(), name), m: m, Notes: h.caseTwinNote(name, pool.ID)}, Pool: pool}
	if p, used := h.nameUsed(name, pool.ID); used {
		return nil, &RefusedError{What: pp.What, Reasons: []string{fmt.Sprintf("the name is already used by cpupool %d", p.ID)}}
	}
	if pool.Named && pool.Name == name {
		pp.Notes = append(pp.Notes, fmt.Sprintf("cpupool %d is already named '%s'", pool.ID, name))
		return pp, nil
	}
	ref := refOf(pool)
	g := pp.nextGroup()
	pp.add(xsCheckStep(g, fmt.Sprintf("no other cpupool is named '%s'", name), uniqueName(name, ref)))
	pp.add(xsWriteStep(g, func() string { return ref.path() + "/name" }, name))
	return pp, nil
}

// MigratePlan is a plan for cpupool-migrate.
type MigratePlan struct {
	*Plan
	Domain Domain
	From   Pool
	To     Pool
}

// PlanMigrate plans cpupool-migrate: move a domain into pool q. Domain-0
// cannot be moved (Xen does not let a domain move itself), and the target
// pool must have cpus.
func (m *Manager) PlanMigrate(ctx context.Context, domQ, q string) (*MigratePlan, error) {
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.loadDomains(ctx, m); err != nil {
		return nil, err
	}
	d, err := resolveDomain(h.doms, domQ)
	if err != nil {
		return nil, err
	}
	to, err := h.resolve(q)
	if err != nil {
		return nil, err
	}
	from, _ := h.poolByID(d.Pool)
	mp := &MigratePlan{Plan: &Plan{What: fmt.Sprintf("move domain %s to cpupool %s", d.Label(), to.Label()), m: m}, Domain: d, From: from, To: to}
	var probs problems
	switch {
	case d.ID == 0:
		probs.addf("Domain-0 cannot be moved: Xen does not let a domain move itself between cpupools, and xgo runs in Domain-0")
	case d.Dying:
		probs.addf("domain %s is dying", d.Label())
	case d.Pool == to.ID:
		mp.Notes = append(mp.Notes, fmt.Sprintf("domain %s is already in cpupool %s", d.Label(), to.Label()))
		return mp, nil
	case to.CPUs.IsEmpty():
		probs.addf("cpupool %s has no cpus; add some first (cpupool-cpu-add or cpupool-cpu-move)", to.Label())
	}
	if err := probs.err(mp.What); err != nil {
		return nil, err
	}
	mp.add(m.moveDomainStep(refOf(to), d, refOf(from)))
	return mp, nil
}
