package cpupool

import (
	"context"
	"fmt"
	"strings"

	"xgo.dev/xgo/cpuset"
)

// Move is one cpu changing pools in a plan. From or To is nil for "free"
// (in no pool).
type Move struct {
	CPU  int
	From *PoolRef
	To   *PoolRef
}

// CPUPlan is a plan that moves cpus: cpupool-cpu-add, -cpu-remove and
// -cpu-move.
type CPUPlan struct {
	*Plan
	Pool      Pool       // the pool named on the command line
	CPUs      cpuset.Set // the cpus named, after parsing
	Moves     []Move     // what will change, cpu by cpu
	Unchanged cpuset.Set // named cpus already where they should be
}

// problems collects the reasons a request is refused. Reasons about one
// cpu that say the same of several are given once for all of them
// ("cpus 16-65535 do not exist ..."), so a message stays short whatever
// the cpu list.
type problems []problem

type problem struct {
	text string // the reason, or what follows "cpu N " for cpus
	cpus []int  // the cpus it is about; none for other reasons
}

func (p *problems) addf(format string, args ...any) {
	*p = append(*p, problem{text: fmt.Sprintf(format, args...)})
}

// addCPU adds "cpu <cpu> <reason>", or adds cpu to the same reason given
// for other cpus.
func (p *problems) addCPU(cpu int, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	for i := range *p {
		if q := &(*p)[i]; len(q.cpus) > 0 && q.text == text {
			q.cpus = append(q.cpus, cpu)
			return
		}
	}
	*p = append(*p, problem{text: text, cpus: []int{cpu}})
}

// plural turns "is offline" into "are offline" for several cpus.
var (
	plural     = strings.NewReplacer("is ", "are ", "does ", "do ", "has ", "have ")
	pluralRest = strings.NewReplacer("(it is ", "(they are ", "remove it ", "remove them ")
)

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	reasons := make([]string, len(p))
	for i, q := range p {
		switch len(q.cpus) {
		case 0:
			reasons[i] = q.text
		case 1:
			reasons[i] = fmt.Sprintf("cpu %d %s", q.cpus[0], q.text)
		default:
			verb, rest, _ := strings.Cut(q.text, " ")
			reasons[i] = fmt.Sprintf("cpus %s %s", cpuset.Of(q.cpus...).Text(), plural.Replace(verb+" ")+pluralRest.Replace(rest))
		}
	}
	return &RefusedError{What: what, Reasons: reasons}
}

// checkUsable adds a problem for every cpu of s that is not present or
// not online.
func (m *Manager) checkUsable(s cpuset.Set, probs *problems) (map[int]cpuState, error) {
	states, err := m.cpuStates(s)
	if err != nil {
		return nil, err
	}
	rangeText, once := "", false
	for _, c := range s.IDs() {
		switch st := states[c]; {
		case !st.present:
			if !once { // one reading of the host for every absent cpu
				rangeText, once = m.cpuRangeText(), true
			}
			probs.addCPU(c, "does not exist%s", rangeText)
		case !st.online:
			probs.addCPU(c, "is offline")
		}
	}
	return states, nil
}

// keepsACPU adds a problem for every pool with domains that would lose all
// its cpus when the cpus in leaving[pool] go.
func (m *Manager) keepsACPU(ctx context.Context, h *host, leaving map[uint32]cpuset.Set, probs *problems) error {
	for id, gone := range leaving {
		p, _ := h.poolByID(id)
		if p.NDom == 0 || !p.CPUs.SubsetOf(gone) {
			continue
		}
		if err := h.loadDomains(ctx, m); err != nil {
			return err
		}
		doms := h.domainsIn(id)
		if len(doms) == 0 {
			probs.addf("cpupool %s has domains and would be left without cpus; keep at least one", p.Label())
			continue
		}
		probs.addf("cpupool %s has domains (%s) and would be left without cpus; keep at least one", p.Label(), domainLabels(doms))
	}
	return nil
}

// readPoolCPUs is the start of every cpus-and-a-pool plan: one reading
// of the host, pool q resolved in it, and the cpu list parsed.
func (m *Manager) readPoolCPUs(ctx context.Context, q, list string) (*host, Pool, cpuset.Set, error) {
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, Pool{}, cpuset.Set{}, err
	}
	pool, err := h.resolve(q)
	if err != nil {
		return nil, Pool{}, cpuset.Set{}, err
	}
	cpus, err := m.ParseCPUs(list)
	if err != nil {
		return nil, Pool{}, cpuset.Set{}, err
	}
	return h, pool, cpus, nil
}

// PlanAddCPUs plans cpupool-cpu-add: the named cpus, which must be free
// and online, join pool q. Cpus already in q are left alone. Like xl, the
// plan goes on when Xen refuses one cpu, and fails at the end naming the
// cpus that were not added (*PartialError).
func (m *Manager) PlanAddCPUs(ctx context.Context, q, list string) (*CPUPlan, error) {
	h, pool, cpus, err := m.readPoolCPUs(ctx, q, list)
	if err != nil {
		return nil, err
	}
	ref := refOf(pool)
	cp := &CPUPlan{Plan: &Plan{What: fmt.Sprintf("add cpu(s) %s to cpupool %s", cpus.Text(), pool.Label()), bestEffort: true, m: m}, Pool: pool, CPUs: cpus}
	var probs problems
	if _, err := m.checkUsable(cpus, &probs); err != nil {
		return nil, err
	}
	for _, c := range cpus.IDs() {
		if p, ok := h.poolOf(c); ok {
			if p.ID == pool.ID {
				cp.Unchanged = cp.Unchanged.Add(c)
				continue
			}
			probs.addCPU(c, "is not free (it is in %s); remove it from there first, or use cpupool-cpu-move", p.Label())
			continue
		}
		if !h.free.Has(c) {
			continue // offline or absent: reported above
		}
		cp.add(m.addCPUStep(ref, c))
		cp.Moves = append(cp.Moves, Move{CPU: c, To: ref})
	}
	if err := probs.err(cp.What); err != nil {
		return nil, err
	}
	if !cp.Unchanged.IsEmpty() {
		cp.Notes = append(cp.Notes, fmt.Sprintf("cpu(s) %s already in cpupool %s", cp.Unchanged.Text(), pool.Label()))
	}
	return cp, nil
}

// PlanRemoveCPUs plans cpupool-cpu-remove: the named cpus, which must be
// in pool q, become free. Cpu 0 never leaves Pool-0, and a pool with
// domains keeps at least one cpu. Like xl, the plan goes on when Xen
// refuses one cpu and fails at the end naming the cpus that were not
// removed; a cpu whose removal Xen interrupted (EAGAIN, EADDRINUSE) is
// put back into q.
func (m *Manager) PlanRemoveCPUs(ctx context.Context, q, list string) (*CPUPlan, error) {
	h, pool, cpus, err := m.readPoolCPUs(ctx, q, list)
	if err != nil {
		return nil, err
	}
	ref := refOf(pool)
	cp := &CPUPlan{Plan: &Plan{What: fmt.Sprintf("remove cpu(s) %s from cpupool %s", cpus.Text(), pool.Label()), bestEffort: true, m: m}, Pool: pool, CPUs: cpus}
	var probs problems
	for _, c := range cpus.IDs() {
		switch {
		case c == 0 && pool.ID == 0 && pool.CPUs.Has(0):
			probs.addf("cpu 0 can never leave Pool-0")
		case !pool.CPUs.Has(c):
			probs.addCPU(c, "is not in cpupool %s (%s)", pool.Label(), h.where(c))
		default:
			cp.add(m.rmCPUStep(ref, c))
			cp.Moves = append(cp.Moves, Move{CPU: c, From: ref})
		}
	}
	if len(probs) == 0 {
		if err := m.keepsACPU(ctx, h, map[uint32]cpuset.Set{pool.ID: cpus}, &probs); err != nil {
			return nil, err
		}
	}
	if err := probs.err(cp.What); err != nil {
		return nil, err
	}
	return cp, nil
}

// PlanMoveCPUs plans cpupool-cpu-move: the named cpus move from wherever
// they are (a pool, or free) into pool q, as one operation. Everything is
// checked first: cpu 0 never leaves Pool-0, every cpu is online, and a
// source pool with domains keeps at least one cpu. If Xen refuses a step
// midway, the cpus already moved go back where they were.
func (m *Manager) PlanMoveCPUs(ctx context.Context, list, q string) (*CPUPlan, error) {
	h, target, cpus, err := m.readPoolCPUs(ctx, q, list)
	if err != nil {
		return nil, err
	}
	to := refOf(target)
	cp := &CPUPlan{Plan: &Plan{What: fmt.Sprintf("move cpu(s) %s to cpupool %s", cpus.Text(), target.Label()), m: m}, Pool: target, CPUs: cpus}
	var probs problems
	if _, err := m.checkUsable(cpus, &probs); err != nil {
		return nil, err
	}
	leaving := map[uint32]cpuset.Set{}
	refs := map[uint32]*PoolRef{}
	for _, c := range cpus.IDs() {
		src, inPool := h.poolOf(c)
		switch {
		case inPool && src.ID == target.ID:
			cp.Unchanged = cp.Unchanged.Add(c)
		case c == 0 && inPool && src.ID == 0:
			probs.addf("cpu 0 can never leave Pool-0")
		case inPool:
			leaving[src.ID] = leaving[src.ID].Add(c)
			if refs[src.ID] == nil {
				refs[src.ID] = refOf(src)
			}
			cp.Moves = append(cp.Moves, Move{CPU: c, From: refs[src.ID], To: to})
		case h.free.Has(c):
			cp.Moves = append(cp.Moves, Move{CPU: c, To: to})
		}
	}
	if err := m.keepsACPU(ctx, h, leaving, &probs); err != nil {
		return nil, err
	}
	if err := probs.err(cp.What); err != nil {
		return nil, err
	}
	for _, mv := range cp.Moves {
		if mv.From != nil {
			cp.add(m.rmCPUStep(mv.From, mv.CPU))
		}
		cp.add(m.addCPUStep(to, mv.CPU))
	}
	if !cp.Unchanged.IsEmpty() {
		cp.Notes = append(cp.Notes, fmt.Sprintf("cpu(s) %s already in cpupool %s", cp.Unchanged.Text(), target.Label()))
	}
	return cp, nil
}
