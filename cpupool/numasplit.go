package cpupool

import (
	"context"
	"fmt"
	"time"

	"xgo.dev/xgo/cpuset"
)

// NumaSplitWait bounds how long cpupool-numa-split waits for Domain-0 to
// take vCPUs offline, as xl does (10 s).
var NumaSplitWait = 10 * time.Second

// PlanNumaSplit plans cpupool-numa-split as xl does it
// (main_cpupoolnumasplit): only while Pool-0 is the only pool, add the
// free cpus of cpu 0's node to Pool-0 and rename it Pool-node<N>; if
// Domain-0 has more online vCPUs than that node has cpus, take the extra
// ones offline (XenStore cpu/<n>/availability) and wait up to 10 s; then,
// for every other node, remove its cpus from Pool-0 and create
// Pool-node<M> with Pool-0's scheduler holding them. Unlike xl, a failure
// midway undoes the steps before it.
func (m *Manager) PlanNumaSplit(ctx context.Context) (*Plan, error) {
	h, err := m.readHost(ctx)
	if err != nil {
		return nil, err
	}
	p := &Plan{What: "split the host into one cpupool per NUMA node", m: m}
	if len(h.pools) > 1 {
		var others []string
		for _, q := range h.pools[1:] {
			others = append(others, q.Label())
		}
		return nil, &RefusedError{What: p.What, Reasons: []string{"splitting not possible, already cpupools in use: " + joinList(others)}}
	}
	if len(h.pools) == 0 {
		return nil, fmt.Errorf("no cpupool: Xen lists none")
	}
	pool0 := h.pools[0]
	t := &topology{hv: m.hv}
	t.load()
	if t.err != nil {
		return nil, t.err
	}
	node0 := t.nodeOf(0)
	if node0 < 0 {
		return nil, &RefusedError{What: p.What, Reasons: []string{"cpu 0 has no NUMA node"}}
	}
	ref0 := refOf(pool0)
	onNode := func(n int) cpuset.Set {
		var s cpuset.Set
		for c := range t.cpus {
			if t.nodeOf(c) == n {
				s = s.Add(c)
			}
		}
		return s
	}
	// Pool-0 first takes all free cpus of node0.
	for _, c := range onNode(node0).Intersect(h.free).IDs() {
		p.add(m.addCPUStep(ref0, c))
	}
	name0 := fmt.Sprintf("Pool-node%d", node0)
	g := p.nextGroup()
	p.add(xsWriteStep(g, func() string { return PoolPath(0) + "/name" }, name0))

	// Domain-0 may keep as many vCPUs online as node0 has cpus.
	n := onNode(node0).Len()
	dom0, err := m.hv.DomainInfo(0)
	if err != nil {
		return nil, fmt.Errorf("reading Domain-0: %w", err)
	}
	if int(dom0.OnlineVCPUs) > n {
		g := p.nextGroup()
		for v := n; v <= int(dom0.MaxVCPUID); v++ {
			path := fmt.Sprintf("%s/cpu/%d/availability", DomainPath(0), v)
			p.add(xsWriteStep(g, func() string { return path }, "offline"))
		}
		p.add(m.waitVCPUsStep(n))
	}

	// Every other node gets its pool, in the order of the nodes' first cpus.
	seen := map[int]bool{node0: true}
	avail := pool0.CPUs.Union(h.free)
	for c := range t.cpus {
		node := t.nodeOf(c)
		if node < 0 || seen[node] {
			continue
		}
		seen[node] = true
		cpus := onNode(node)
		for _, rc := range cpus.Intersect(pool0.CPUs).IDs() {
			p.add(m.rmCPUStep(ref0, rc))
		}
		name := fmt.Sprintf("Pool-node%d", node)
		ref := &PoolRef{Name: name, Named: true}
		p.add(m.createStep(ref, pool0.Scheduler))
		p.nameSteps(ref, name, newUUID())
		for _, ac := range cpus.Intersect(avail).IDs() {
			p.add(m.addCPUStep(ref, ac))
		}
	}
	return p, nil
}

// waitVCPUsStep waits until Domain-0 has at most n online vCPUs.
func (m *Manager) waitVCPUsStep(n int) Step {
	return Step{
		Call: "wait", CPU: -1, Detail: fmt.Sprintf("until Domain-0 has at most %d online vCPUs (up to %s)", n, NumaSplitWait),
		do: func(ctx context.Context) error {
			deadline := time.Now().Add(NumaSplitWait)
			for {
				info, err := m.hv.DomainInfo(0)
				if err != nil {
					return err
				}
				if int(info.OnlineVCPUs) <= n {
					return nil
				}
				if time.Now().After(deadline) {
					return &XenError{Msg: fmt.Sprintf("Domain-0 still has %d online vCPUs after %s; it needs at most %d", info.OnlineVCPUs, NumaSplitWait, n)}
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
			}
		},
	}
}
