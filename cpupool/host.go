package cpupool

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/suggest"
	"xgo.dev/xgo/xenstore"
)

// Store is what the package needs of a XenStore connection: the
// operations of xenstore.Ops and transactions. A *xenstore.Conn is one.
type Store interface {
	xenstore.Ops
	Transact(ctx context.Context, fn func(tx *xenstore.Tx) error) error
}

var _ Store = (*xenstore.Conn)(nil)

// Manager manages the cpupools of one host through its hypervisor and
// XenStore. It keeps no state between calls: every operation reads the
// host afresh. A Manager is safe for concurrent use as far as its
// Hypervisor and Store are, but concurrent changes to the same pools
// race in Xen as they would with xl.
type Manager struct {
	hv hypercall.Hypervisor
	xs Store

	// Trace, if set, is called with a line for every step as it is
	// executed and undone ("sysctl cpupool_op addcpu pool 4 'rt', cpu 2").
	Trace func(line string)

	builtOnce sync.Once
	built     []hypercall.Scheduler // nil: unknown
}

// builtSchedulers returns the schedulers compiled into this Xen, read
// once per Manager (hypfs: one hypercall); nil when that is unknown.
func (m *Manager) builtSchedulers() []hypercall.Scheduler {
	m.builtOnce.Do(func() {
		if s, err := m.hv.BuiltSchedulers(); err == nil {
			m.built = s
		}
	})
	return m.built
}

// checkBuilt refuses scheduler s when this Xen is known not to have it
// built; when the list is unknown it refuses nothing and Xen decides
// (cpupool_op create fails with ENOENT, see explainCreate).
func (m *Manager) checkBuilt(what string, s hypercall.Scheduler) error {
	built := m.builtSchedulers()
	if built == nil || slices.Contains(built, s) {
		return nil
	}
	names := make([]string, len(built))
	for i, b := range built {
		names[i] = b.String()
	}
	return &XenError{
		Msg: fmt.Sprintf("%s: the %s scheduler is not built into this Xen (it has %s)", what, s, strings.Join(names, ", ")),
		Err: hypercall.ErrNotSupported,
	}
}

// New returns a Manager for the host behind hv and xs.
func New(hv hypercall.Hypervisor, xs Store) *Manager {
	return &Manager{hv: hv, xs: xs}
}

// Hypervisor returns the hypervisor m acts on.
func (m *Manager) Hypervisor() hypercall.Hypervisor { return m.hv }

// Pool is one cpupool: Xen's view (id, scheduler, CPUs, number of
// domains) plus the toolstack's name from /local/pool/<id>/name.
type Pool struct {
	ID        uint32
	Name      string // "" when the pool has no name node
	Named     bool   // the name node exists
	Scheduler hypercall.Scheduler
	CPUs      cpuset.Set
	NDom      int // domains in the pool, dying ones included
}

// Label is how messages name the pool: 'name', or id N when it has no
// name.
func (p Pool) Label() string {
	if !p.Named {
		return fmt.Sprintf("cpupool %d", p.ID)
	}
	return "'" + p.Name + "'"
}

func (p Pool) sched() sched.Pool {
	return sched.Pool{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler}
}

// Domain is one domain as the cpupool commands need it.
type Domain struct {
	ID        uint16
	Name      string // "" when /local/domain/<id>/name does not exist
	Named     bool
	Pool      uint32
	MaxVCPUID uint32
	Dying     bool
}

// Label names the domain in messages: 'name' (id), or domain id.
func (d Domain) Label() string {
	if !d.Named {
		return fmt.Sprintf("domain %d", d.ID)
	}
	return fmt.Sprintf("'%s' (%d)", d.Name, d.ID)
}

// Sched returns d as package sched names domains, with its pool p.
func (d Domain) Sched(p Pool) sched.Domain {
	return sched.Domain{ID: d.ID, Name: d.Name, MaxVCPUID: d.MaxVCPUID, Pool: p.sched()}
}

// PoolPath is the XenStore directory of pool id.
func PoolPath(id uint32) string { return naming.PoolPath(id) }

// DomainPath is the XenStore home of domain id.
func DomainPath(id uint16) string { return naming.DomainPath(uint32(id)) }

// Pools returns every cpupool in id order with its name: one INFO
// hypercall per pool plus one, and one XenStore read per pool, issued
// concurrently.
func (m *Manager) Pools(ctx context.Context) ([]Pool, error) {
	infos, err := hypercall.ListCpupools(m.hv)
	if err != nil {
		return nil, fmt.Errorf("listing cpupools: %w", err)
	}
	pools := make([]Pool, len(infos))
	paths := make([]string, len(infos))
	for i, in := range infos {
		pools[i] = Pool{ID: in.ID, Scheduler: in.Scheduler, CPUs: in.CPUs, NDom: int(in.NDom)}
		paths[i] = naming.PoolNamePath(in.ID)
	}
	names, found, err := readNames(ctx, m.xs, paths)
	if err != nil {
		return nil, err
	}
	for i := range pools {
		pools[i].Name, pools[i].Named = names[i], found[i]
	}
	return pools, nil
}

// Domains returns every domain in domid order with its name.
func (m *Manager) Domains(ctx context.Context) ([]Domain, error) {
	infos, err := hypercall.ListDomains(m.hv)
	if err != nil {
		return nil, fmt.Errorf("listing domains: %w", err)
	}
	doms := make([]Domain, len(infos))
	paths := make([]string, len(infos))
	for i, in := range infos {
		doms[i] = Domain{ID: in.Domid, Pool: in.Cpupool, MaxVCPUID: in.MaxVCPUID, Dying: in.Dying()}
		paths[i] = naming.DomainNamePath(uint32(in.Domid))
	}
	names, found, err := readNames(ctx, m.xs, paths)
	if err != nil {
		return nil, err
	}
	for i := range doms {
		doms[i].Name, doms[i].Named = names[i], found[i]
	}
	return doms, nil
}

// readNames reads name nodes that may be missing (found false).
func readNames(ctx context.Context, xs xenstore.Ops, paths []string) ([]string, []bool, error) {
	vals, err := xenstore.ReadEach(ctx, xs, paths)
	if err != nil {
		return nil, nil, err
	}
	names, found := make([]string, len(vals)), make([]bool, len(vals))
	for i, v := range vals {
		names[i], found[i] = string(v), v != nil
	}
	return names, found, nil
}

// host is one reading of the pools and free CPUs, the basis on which a
// plan is made and errors are explained.
type host struct {
	pools []Pool
	free  cpuset.Set
	doms  []Domain // nil until loadDomains
}

func (m *Manager) readHost(ctx context.Context) (*host, error) {
	pools, err := m.Pools(ctx)
	if err != nil {
		return nil, err
	}
	free, err := m.hv.CpupoolFreeCPUs()
	if err != nil {
		return nil, fmt.Errorf("reading the free cpus: %w", err)
	}
	return &host{pools: pools, free: free}, nil
}

func (h *host) loadDomains(ctx context.Context, m *Manager) error {
	if h.doms != nil {
		return nil
	}
	doms, err := m.Domains(ctx)
	if err != nil {
		return err
	}
	if doms == nil {
		doms = []Domain{}
	}
	h.doms = doms
	return nil
}

func (h *host) poolByID(id uint32) (Pool, bool) {
	for _, p := range h.pools {
		if p.ID == id {
			return p, true
		}
	}
	return Pool{}, false
}

// poolOf returns the pool CPU c is in; ok is false for a free or offline
// CPU.
func (h *host) poolOf(c int) (Pool, bool) {
	for _, p := range h.pools {
		if p.CPUs.Has(c) {
			return p, true
		}
	}
	return Pool{}, false
}

// where says where CPU c is, for messages: "it is in 'Pool-0'", "it is
// free", "it is offline or not present".
func (h *host) where(c int) string {
	if p, ok := h.poolOf(c); ok {
		return "it is in " + p.Label()
	}
	if h.free.Has(c) {
		return "it is free"
	}
	return "it is in no cpupool: offline or not present"
}

// domainsIn returns the domains of pool id.
func (h *host) domainsIn(id uint32) []Domain {
	var out []Domain
	for _, d := range h.doms {
		if d.Pool == id {
			out = append(out, d)
		}
	}
	return out
}

// nameUsed reports whether a pool other than except has the name.
func (h *host) nameUsed(name string, except uint32) (Pool, bool) {
	for _, p := range h.pools {
		if p.Named && p.Name == name && p.ID != except {
			return p, true
		}
	}
	return Pool{}, false
}

// resolve finds the pool q names, as libxl_cpupool_qualifier_to_cpupoolid
// does: an all-digit q is an id, anything else a name compared with every
// pool's /local/pool/<id>/name; the pool with the lowest id wins if two
// share a name.
func (h *host) resolve(q string) (Pool, error) {
	i := naming.Find(h.pools, q, 32, func(p Pool) uint32 { return p.ID }, func(p Pool) (string, bool) { return p.Name, p.Named })
	if i >= 0 {
		return h.pools[i], nil
	}
	return Pool{}, notFound("cpupool", q, h.pools, func(p Pool) (string, bool) { return p.Name, p.Named })
}

// Pool returns the pool q names (an id if all digits, else a name).
func (m *Manager) Pool(ctx context.Context, q string) (Pool, error) {
	h, err := m.readHost(ctx)
	if err != nil {
		return Pool{}, err
	}
	return h.resolve(q)
}

// ResolvePool finds the pool q names among pools, as Pool does.
func ResolvePool(pools []Pool, q string) (Pool, error) {
	return (&host{pools: pools}).resolve(q)
}

// resolveDomain finds the domain q names, as
// libxl_domain_qualifier_to_domid does: an all-digit q is a domid,
// anything else is compared with /local/domain/<id>/name (the lowest domid
// wins). Unlike xl, a domid must exist.
func resolveDomain(doms []Domain, q string) (Domain, error) {
	name := func(d Domain) (string, bool) { return d.Name, d.Named }
	if i := naming.Find(doms, q, 16, func(d Domain) uint32 { return uint32(d.ID) }, name); i >= 0 {
		return doms[i], nil
	}
	return Domain{}, notFound("domain", q, doms, name)
}

// notFound says that no item is named q, suggesting the closest name
// when q is not an id.
func notFound[T any](kind, q string, items []T, name func(T) (string, bool)) error {
	if naming.IsID(q) {
		return &NotFoundError{Kind: kind, Name: q}
	}
	var names []string
	for _, it := range items {
		if n, ok := name(it); ok {
			names = append(names, n)
		}
	}
	return &NotFoundError{Kind: kind, Name: q, Suggestion: suggest.Closest(q, names)}
}

// Domain returns the domain q names (a domid if all digits, else a name).
func (m *Manager) Domain(ctx context.Context, q string) (Domain, error) {
	doms, err := m.Domains(ctx)
	if err != nil {
		return Domain{}, err
	}
	return resolveDomain(doms, q)
}

// ResolveDomain finds the domain q names among doms, as Domain does.
func ResolveDomain(doms []Domain, q string) (Domain, error) { return resolveDomain(doms, q) }

// cpuState is what validation needs to know about one CPU.
type cpuState struct {
	present, online bool
}

// cpuStates asks Xen about each CPU of s (XENPF_get_cpuinfo, one call
// per CPU).
func (m *Manager) cpuStates(s cpuset.Set) (map[int]cpuState, error) {
	out := make(map[int]cpuState, s.Len())
	pi, err := m.hv.Physinfo()
	if err != nil {
		return nil, fmt.Errorf("reading the host's cpus: %w", err)
	}
	for _, c := range s.IDs() {
		if c > int(pi.MaxCPUID) {
			out[c] = cpuState{} // beyond max_cpu_id: not present
			continue
		}
		info, err := m.hv.PCPUInfo(uint32(c))
		if err != nil {
			return nil, fmt.Errorf("reading the state of cpu %d: %w", c, err)
		}
		out[c] = cpuState{present: !info.Invalid, online: info.Online && !info.Invalid}
	}
	return out, nil
}

// sortedLabels lists domain labels for messages.
func domainLabels(doms []Domain) string {
	ls := make([]string, len(doms))
	for i, d := range doms {
		ls[i] = d.Label()
	}
	sort.Strings(ls)
	return joinList(ls)
}

func joinList(ls []string) string {
	switch len(ls) {
	case 0:
		return ""
	case 1:
		return ls[0]
	}
	out := ""
	for i, l := range ls {
		if i > 0 {
			out += ", "
		}
		out += l
	}
	return out
}
