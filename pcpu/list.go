package pcpu

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// XenStore is what this package reads from XenStore: the toolstack's pool
// names at /local/pool/<id>/name. A *xenstore.Conn or *xenstore.Tx (any
// xenstore.Ops) is one. A nil XenStore means "names unknown".
type XenStore interface {
	Read(ctx context.Context, path string) ([]byte, error)
}

// Pool is a cpupool as the pCPU commands need it.
type Pool struct {
	ID uint32
	// Name is the toolstack's name from XenStore; "" when XenStore was
	// not available or has none.
	Name      string
	Scheduler hypercall.Scheduler
	NDom      uint32 // domains in the pool
	CPUs      cpuset.Set
}

// Label names the pool for messages: its name, else "pool <id>".
func (p *Pool) Label() string {
	if p == nil {
		return "no pool"
	}
	if p.Name != "" {
		return p.Name
	}
	return "pool " + strconv.FormatUint(uint64(p.ID), 10)
}

// quoted is Label in quotes when it is a name: 'rt' or pool 3.
func (p *Pool) quoted() string {
	if p != nil && p.Name != "" {
		return "'" + p.Name + "'"
	}
	return p.Label()
}

// PCPU is one present physical CPU.
type PCPU struct {
	// ID is Xen's CPU id.
	ID     uint32
	Online bool
	// APICID and ACPIID are the firmware's ids (XENPF_get_cpuinfo).
	APICID, ACPIID uint32
	// Core, Socket and Node come from XEN_SYSCTL_cputopoinfo; they are
	// hypercall.InvalidID where Xen does not know them (an offline CPU
	// on hosts where Xen does not park offline CPUs, or no NUMA node).
	Core, Socket, Node uint32
	// Pool is the cpupool the CPU is in; nil for a free CPU (in no pool),
	// which every offline CPU is.
	Pool *Pool
}

// State is a snapshot of the host's physical CPUs and cpupools. The
// parts are read one after the other, so a change made meanwhile by
// someone else may show in one part and not yet in another.
type State struct {
	// CPUs are the present CPUs in id order; ids may have gaps.
	CPUs []PCPU
	// MaxPresent is the id of the last present CPU.
	MaxPresent uint32
	// Pools are the cpupools in id order.
	Pools []*Pool
	// Free are the CPUs in no pool (XEN_SYSCTL_CPUPOOL_OP_FREEINFO).
	Free cpuset.Set
}

// CPU returns the present CPU with id, or nil.
func (s *State) CPU(id uint32) *PCPU {
	for i := range s.CPUs {
		if s.CPUs[i].ID == id {
			return &s.CPUs[i]
		}
	}
	return nil
}

// Pool returns the pool with id, or nil.
func (s *State) Pool(id uint32) *Pool {
	for _, p := range s.Pools {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// Present returns the ids of the present CPUs.
func (s *State) Present() cpuset.Set {
	var out cpuset.Set
	for _, c := range s.CPUs {
		out = out.Add(int(c.ID))
	}
	return out
}

// ReadState takes a snapshot: XENPF_get_cpuinfo for every CPU id up to
// the last present one (absent ids skipped), joined with cputopoinfo, the
// cpupools and their names from xs (which may be nil).
func ReadState(ctx context.Context, h hypercall.Hypervisor, xs XenStore) (*State, error) {
	infos, err := hypercall.ListPCPUs(h)
	if err != nil {
		return nil, explainRead(err)
	}
	topo, err := h.CPUTopology()
	if err != nil {
		return nil, explainRead(err)
	}
	pools, err := readPools(ctx, h, xs)
	if err != nil {
		return nil, err
	}
	free, err := h.CpupoolFreeCPUs()
	if err != nil {
		return nil, explainRead(err)
	}
	st := &State{Pools: pools, Free: free}
	if len(infos) > 0 {
		st.MaxPresent = infos[0].MaxPresent
	}
	for _, in := range infos {
		if in.Invalid {
			continue
		}
		c := PCPU{ID: in.CPU, Online: in.Online, APICID: in.APICID, ACPIID: in.ACPIID,
			Core: hypercall.InvalidID, Socket: hypercall.InvalidID, Node: hypercall.InvalidID}
		if int(in.CPU) < len(topo) {
			t := topo[in.CPU]
			c.Core, c.Socket, c.Node = t.Core, t.Socket, t.Node
		}
		for _, p := range pools {
			if p.CPUs.Has(int(in.CPU)) {
				c.Pool = p
				break
			}
		}
		st.CPUs = append(st.CPUs, c)
	}
	return st, nil
}

// readPools lists the cpupools and names them from XenStore.
func readPools(ctx context.Context, h hypercall.Hypervisor, xs XenStore) ([]*Pool, error) {
	infos, err := hypercall.ListCpupools(h)
	if err != nil {
		return nil, explainRead(err)
	}
	out := make([]*Pool, 0, len(infos))
	for _, in := range infos {
		p := &Pool{ID: in.ID, Scheduler: in.Scheduler, NDom: in.NDom, CPUs: in.CPUs}
		if xs != nil {
			name, err := xs.Read(ctx, fmt.Sprintf("/local/pool/%d/name", in.ID))
			switch {
			case err == nil:
				p.Name = string(name)
			case errors.Is(err, fs.ErrNotExist):
				// A pool made without a toolstack has no name.
			case ctx.Err() != nil:
				return nil, ctx.Err()
			default:
				return nil, fmt.Errorf("reading the name of cpupool %d from XenStore: %w", in.ID, err)
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// List returns the present CPUs of the host in id order, joined with
// their topology and cpupools (see ReadState).
func List(ctx context.Context, h hypercall.Hypervisor, xs XenStore) ([]PCPU, error) {
	st, err := ReadState(ctx, h, xs)
	if err != nil {
		return nil, err
	}
	return st.CPUs, nil
}

// Topology is the host's CPU map and NUMA nodes as the cpu-list grammar
// needs them (it implements cpuset.Topology).
type Topology struct {
	numCPUs  int
	numNodes int
	nodes    map[int]cpuset.Set
}

var _ cpuset.Topology = (*Topology)(nil)

// ReadTopology reads physinfo (max_cpu_id, max_node_id) and cputopoinfo.
func ReadTopology(h TopologySource) (*Topology, error) {
	pi, err := h.Physinfo()
	if err != nil {
		return nil, explainRead(err)
	}
	topo, err := h.CPUTopology()
	if err != nil {
		return nil, explainRead(err)
	}
	// Xen's max_node_id is MAX_NUMNODES-1 whatever the machine: the nodes
	// are those its cpus are on, as for cpupool commands.
	t := &Topology{numCPUs: int(pi.MaxCPUID) + 1, nodes: map[int]cpuset.Set{}}
	for _, c := range topo {
		if c.Present() && c.Node != hypercall.InvalidID {
			t.nodes[int(c.Node)] = t.nodes[int(c.Node)].Add(int(c.CPU))
			t.numNodes = max(t.numNodes, int(c.Node)+1)
		}
	}
	return t, nil
}

// NumCPUs is max_cpu_id+1.
func (t *Topology) NumCPUs() int { return t.numCPUs }

// NumNodes is one past the highest node of a cpu.
func (t *Topology) NumNodes() int { return t.numNodes }

// NodeCPUs returns the CPUs Xen places on node n; a node none of whose
// cpus Xen knows is not on this host.
func (t *Topology) NodeCPUs(n int) (cpuset.Set, bool) {
	cpus, ok := t.nodes[n]
	return cpus, ok
}

// ParseCPUs reads a cpu-list argument in xl's grammar (see package
// cpuset), reading the host's topology only when the list needs it. For
// pCPU commands "all" means every present CPU, not every id up to
// max_cpu_id (the slots of CPUs that are not there). A node item expands
// to the CPUs Xen places on that node; Xen forgets the node of an offline
// CPU unless it parks offline CPUs (Intel), so those may be missing.
// A mistake in the list is a *cpuset.ParseError; other ids that are not
// present are kept (Online and Offline refuse them).
func ParseCPUs(h hypercall.Hypervisor, list string) (cpuset.Set, error) {
	lt := &lazyTopology{h: h}
	s, err := cpuset.Parse(list, lt)
	if lt.err != nil {
		return cpuset.Set{}, lt.err
	}
	if err != nil || !lt.allUsed {
		return s, err
	}
	infos, err := hypercall.ListPCPUs(h)
	if err != nil {
		return cpuset.Set{}, explainRead(err)
	}
	var absent cpuset.Set
	for _, in := range infos {
		if in.Invalid {
			absent = absent.Add(int(in.CPU))
		}
	}
	if n := len(infos); n > 0 {
		absent = absent.Union(cpuset.Range(n, lt.NumCPUs()-1))
	}
	return s.Diff(absent), nil
}

// lazyTopology reads the topology the first time the parser asks.
type lazyTopology struct {
	h       hypercall.Hypervisor
	t       *Topology
	err     error
	allUsed bool
}

func (l *lazyTopology) get() *Topology {
	if l.t == nil && l.err == nil {
		l.t, l.err = ReadTopology(l.h)
	}
	if l.t == nil {
		return &Topology{}
	}
	return l.t
}

func (l *lazyTopology) NumCPUs() int                      { l.allUsed = true; return l.get().NumCPUs() }
func (l *lazyTopology) NumNodes() int                     { return l.get().NumNodes() }
func (l *lazyTopology) NodeCPUs(n int) (cpuset.Set, bool) { return l.get().NodeCPUs(n) }

// explainRead adds what an admin can do about a failure to read the
// host's state.
func explainRead(err error) error {
	return fmt.Errorf("reading the host's CPUs: %w", err)
}

// PoolRef names a cpupool in JSON and YAML output.
type PoolRef struct {
	ID   uint32 `json:"id" yaml:"id"`
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
}

// Ref is p's PoolRef; nil for no pool.
func (p *Pool) Ref() *PoolRef {
	if p == nil {
		return nil
	}
	return &PoolRef{ID: p.ID, Name: p.Name}
}

// Item is one physical CPU as pcpu-list reports it. Core, socket and node
// are null where Xen does not know them (an offline CPU on hosts where
// Xen does not park offline CPUs); pool is null for a CPU in no pool.
type Item struct {
	CPU       uint32   `json:"cpu" yaml:"cpu"`
	Online    bool     `json:"online" yaml:"online"`
	APICID    uint32   `json:"apicId" yaml:"apicId"`
	ACPIID    uint32   `json:"acpiId" yaml:"acpiId"`
	Core      *uint32  `json:"core" yaml:"core"`
	Socket    *uint32  `json:"socket" yaml:"socket"`
	Node      *uint32  `json:"node" yaml:"node"`
	Pool      *PoolRef `json:"pool" yaml:"pool"`
	Scheduler string   `json:"scheduler,omitempty" yaml:"scheduler,omitempty"`
}

// Items are the present CPUs in only (all of them when only is nil), in
// id order (never nil).
func (s *State) Items(only *cpuset.Set) []Item {
	known := func(v uint32) *uint32 {
		if v == hypercall.InvalidID {
			return nil
		}
		return &v
	}
	out := []Item{}
	for _, c := range s.CPUs {
		if only != nil && !only.Has(int(c.ID)) {
			continue
		}
		it := Item{CPU: c.ID, Online: c.Online, APICID: c.APICID, ACPIID: c.ACPIID,
			Core: known(c.Core), Socket: known(c.Socket), Node: known(c.Node), Pool: c.Pool.Ref()}
		if c.Pool != nil {
			it.Scheduler = c.Pool.Scheduler.String()
		}
		out = append(out, it)
	}
	return out
}
