package cpupool

import (
	"context"
	"errors"
	"fmt"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/xenstore"
)

// SetSchedPlan is a plan for cpupool-set-sched.
type SetSchedPlan struct {
	*Plan
	Pool      Pool                // the pool as it is
	Scheduler hypercall.Scheduler // its new scheduler
	Params    sched.PoolChange    // parameters for the new scheduler
	Domains   []Domain            // the domains that move with it
	Borrowed  int                 // a cpu lent to the new pool while the domains move, or -1
}

// PlanSetSched plans cpupool-set-sched: switch pool q, with its cpus and
// running domains, to another scheduler without stopping the domains.
//
// Xen fixes a pool's scheduler when the pool is created, so xgo builds the
// new pool beside the old one: it creates a pool with the new scheduler
// (named "<name>~<sched>" meanwhile), sets its parameters, moves one cpu
// into it, moves the domains, moves the other cpus, destroys the old pool
// and gives the new pool the old name and uuid. The pool id changes. Credit
// and credit2 domains keep their weight and cap. A pool with one cpu and
// domains borrows a free cpu (or one of Pool-0's) for the moment the
// domains move, and gives it back. If any step fails, everything is undone,
// the old pool re-created with its id if it was already destroyed.
//
// Pool-0 cannot switch: Domain-0 cannot leave it.
func (m *Manager) PlanSetSched(ctx context.Context, q, schedName string, params []string) (*SetSchedPlan, error) {
	s, err := hypercall.ParseScheduler(schedName)
	if err != nil {
		return nil, invalidf("unknown scheduler %q (want credit, credit2, rtds, null or arinc653)", schedName)
	}
	if err := m.checkBuilt("cannot switch cpupool '"+q+"'", s); err != nil {
		return nil, err
	}
	change, err := sched.ParsePoolParams(s, params)
	if err != nil {
		return nil, err
	}
	// rtds and null have no pool parameters to combine (and
	// ParsePoolParams refused any given for them).
	if sched.HasPoolParams(s) {
		if _, err := change.Apply(sched.DefaultPoolParams(s)); err != nil {
			return nil, err
		}
	}
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := h.resolve(q)
	if err != nil {
		return nil, err
	}
	sp := &SetSchedPlan{Plan: &Plan{What: fmt.Sprintf("switch cpupool %s to the %s scheduler", pool.Label(), s), m: m}, Pool: pool, Scheduler: s, Params: change, Borrowed: -1}
	old := refOf(pool)
	if pool.ID == 0 {
		return nil, &RefusedError{What: sp.What, Reasons: []string{"Pool-0 cannot change its scheduler: Domain-0 runs in it and Xen does not let a domain move itself out, and cpu 0 can never leave it (choose Pool-0's scheduler with Xen's sched= boot option)"}}
	}
	if pool.Scheduler == s {
		if change.IsZero() {
			sp.Notes = append(sp.Notes, fmt.Sprintf("cpupool %s already uses the %s scheduler", pool.Label(), s))
			return sp, nil
		}
		sp.add(m.poolParamsStep(old, s, change))
		return sp, nil
	}
	if err := h.loadDomains(ctx, m); err != nil {
		return nil, err
	}
	sp.Domains = h.domainsIn(pool.ID)
	var probs problems
	for _, d := range sp.Domains {
		if d.Dying {
			probs.addf("domain %s in it is dying; wait until it is gone", d.Label())
		}
	}
	if len(sp.Domains) == 0 && pool.NDom > 0 {
		probs.addf("it has %d domain(s) Xen lists but xgo cannot see; try again", pool.NDom)
	}
	cpus := pool.CPUs.IDs()
	borrowFrom := (*PoolRef)(nil)
	if len(sp.Domains) > 0 && len(cpus) == 1 {
		// The domains need a cpu in the new pool before the only cpu of
		// the old one can leave it: borrow a free cpu, else one of
		// Pool-0's (never cpu 0).
		if free := h.free.IDs(); len(free) > 0 {
			sp.Borrowed = free[0]
		} else if p0, ok := h.poolByID(0); ok && p0.CPUs.Len() > 1 {
			sp.Borrowed = p0.CPUs.Max()
			borrowFrom = refOf(p0)
		} else {
			probs.addf("it has one cpu and domains, and there is no free cpu, nor a spare one in Pool-0, to keep them running while they move; add a cpu to it or free one first")
		}
	}
	if err := probs.err(sp.What); err != nil {
		return nil, err
	}

	// What to carry over and restore.
	var oldParams *hypercall.PoolSchedParams
	if sched.HasPoolParams(pool.Scheduler) {
		if p, err := m.hv.PoolSchedParams(pool.ID, pool.Scheduler); err == nil {
			oldParams = &p
		}
	}
	domParams := map[uint16]hypercall.DomainSchedParams{}
	if sched.HasWeight(pool.Scheduler) {
		for _, d := range sp.Domains {
			p, err := sched.DomainParams(m.hv, d.Sched(pool), pool.Scheduler)
			if err != nil {
				return nil, err
			}
			domParams[d.ID] = p
		}
	}
	oldUUID, uuidErr := m.xs.Read(ctx, PoolPath(pool.ID)+"/uuid")
	if uuidErr != nil && !errors.Is(uuidErr, xenstore.ErrNotExist) {
		return nil, uuidErr
	}
	tmpName := fmt.Sprintf("%s~%s", pool.Name, s)
	for i := 2; ; i++ {
		if _, used := h.nameUsed(tmpName, ^uint32(0)); !used {
			break
		}
		tmpName = fmt.Sprintf("%s~%s%d", pool.Name, s, i)
	}

	// The plan.
	nw := &PoolRef{Name: tmpName, Named: true}
	sp.NewPool = nw
	sp.add(m.createStep(nw, s))
	sp.nameSteps(nw, tmpName, newUUID())
	if !change.IsZero() {
		sp.add(m.poolParamsStep(nw, s, change))
	}
	move := func(c int) {
		sp.add(m.rmCPUStep(old, c))
		sp.add(m.addCPUStep(nw, c))
	}
	rest := cpus
	switch {
	case len(sp.Domains) == 0:
	case sp.Borrowed >= 0:
		if borrowFrom != nil {
			sp.add(m.rmCPUStep(borrowFrom, sp.Borrowed))
		}
		sp.add(m.addCPUStep(nw, sp.Borrowed))
	default:
		last := cpus[len(cpus)-1]
		move(last)
		rest = cpus[:len(cpus)-1]
	}
	for _, d := range sp.Domains {
		prev, hadPrev := domParams[d.ID]
		var restore *hypercall.DomainSchedParams
		if hadPrev {
			restore = &prev
		}
		sp.add(m.migrateStep(nw, old, d, pool, restore))
		if hadPrev && sched.HasWeight(s) && (prev.Weight != sched.DefaultWeight || prev.Cap != 0) {
			next := prev
			next.Scheduler = s
			sp.add(m.domainParamsStep(d, nw, s, next))
		}
	}
	for _, c := range rest {
		move(c)
	}
	if sp.Borrowed >= 0 {
		sp.add(m.rmCPUStep(nw, sp.Borrowed))
		if borrowFrom != nil {
			sp.add(m.addCPUStep(borrowFrom, sp.Borrowed))
		}
	}
	destroy := m.destroyStep(old, pool.Scheduler)
	destroy.undo = func(context.Context) error {
		if err := m.recreate(old, pool.Scheduler); err != nil {
			return err
		}
		if oldParams != nil {
			return m.hv.SetPoolSchedParams(old.ID, *oldParams)
		}
		return nil
	}
	sp.add(destroy)
	g := sp.nextGroup()
	sp.add(xsCheckStep(g, fmt.Sprintf("no other cpupool is named '%s'", pool.Name), uniqueName(pool.Name, old)))
	sp.add(xsRmStep(g, old.path))
	sp.add(xsWriteStep(g, func() string { return nw.path() + "/name" }, pool.Name))
	if uuidErr == nil {
		sp.add(xsWriteStep(g, func() string { return nw.path() + "/uuid" }, string(oldUUID)))
	}
	sp.Notes = append(sp.Notes, fmt.Sprintf("cpupool %s gets a new id: Xen cannot change a pool's scheduler, so xgo replaces pool %d with a new one", pool.Label(), pool.ID))
	return sp, nil
}

// poolParamsStep changes pool ref's parameters: it reads them, applies
// the change and writes them (sched.ChangePoolParams). Its undo writes
// back what it read.
func (m *Manager) poolParamsStep(ref *PoolRef, s hypercall.Scheduler, c sched.PoolChange) Step {
	var before *hypercall.PoolSchedParams
	sp := func() sched.Pool { return sched.Pool{ID: ref.ID, Name: ref.Name, Scheduler: s} }
	return Step{
		Call: "sysctl scheduler_op putinfo", Pool: ref, CPU: -1, Detail: s.String() + " " + c.String(),
		do: func(context.Context) error {
			cur, err := sched.PoolParams(m.hv, sp(), s)
			if err != nil {
				return err
			}
			before = &cur
			_, err = sched.ChangePoolParams(m.hv, sp(), s, c)
			return err
		},
		undo: func(context.Context) error {
			if before == nil {
				return nil
			}
			return m.hv.SetPoolSchedParams(ref.ID, *before)
		},
	}
}

// migrateStep moves domain d into pool to; its undo moves it back to from
// and restores the weight and cap it had there (Xen resets them on every
// move).
func (m *Manager) migrateStep(to, from *PoolRef, d Domain, fromPool Pool, restore *hypercall.DomainSchedParams) Step {
	st := m.moveDomainStep(to, d, from)
	st.undo = func(context.Context) error {
		if err := m.hv.CpupoolMoveDomain(from.ID, d.ID); err != nil {
			return err
		}
		if restore != nil {
			return sched.SetDomainParams(m.hv, d.Sched(fromPool), *restore)
		}
		return nil
	}
	return st
}

// domainParamsStep sets a domain's weight and cap in pool ref.
func (m *Manager) domainParamsStep(d Domain, ref *PoolRef, s hypercall.Scheduler, p hypercall.DomainSchedParams) Step {
	dd := d
	return Step{
		Call: "domctl scheduler_op putinfo", CPU: -1, Domain: &dd,
		Detail: fmt.Sprintf("%s weight=%d cap=%d", s, p.Weight, p.Cap),
		do: func(context.Context) error {
			return sched.SetDomainParams(m.hv, d.Sched(Pool{ID: ref.ID, Name: ref.Name, Named: ref.Named, Scheduler: s}), p)
		},
	}
}
