package cpupool

import (
	"errors"
	"fmt"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// topology answers cpuset.Parse's questions from the host, asking Xen
// only when a cpu-list uses "all" or node: items (cputopoinfo, two
// hypercalls).
type topology struct {
	hv     hypercall.Hypervisor
	cpus   []hypercall.CPUTopology
	loaded bool
	err    error
}

func (t *topology) load() {
	if t.loaded {
		return
	}
	t.loaded = true
	t.cpus, t.err = t.hv.CPUTopology()
	if t.err != nil {
		t.err = fmt.Errorf("reading the cpu topology: %w", t.err)
	}
}

// NumCPUs is one past the last present cpu: "all" means the cpus Xen
// knows, not every id up to nr_cpu_ids.
func (t *topology) NumCPUs() int {
	t.load()
	return len(t.cpus)
}

func (t *topology) NodeCPUs(n int) (cpuset.Set, bool) {
	t.load()
	var s cpuset.Set
	found := false
	for i, c := range t.cpus {
		if c.Present() && c.Node != hypercall.InvalidID && int(c.Node) == n {
			s, found = s.Add(i), true
		}
	}
	return s, found
}

func (t *topology) NumNodes() int {
	t.load()
	n := 0
	for _, c := range t.cpus {
		if c.Present() && c.Node != hypercall.InvalidID && int(c.Node)+1 > n {
			n = int(c.Node) + 1
		}
	}
	return n
}

// nodeOf returns cpu's NUMA node, or -1.
func (t *topology) nodeOf(cpu int) int {
	t.load()
	if cpu < 0 || cpu >= len(t.cpus) || !t.cpus[cpu].Present() || t.cpus[cpu].Node == hypercall.InvalidID {
		return -1
	}
	return int(t.cpus[cpu].Node)
}

// ParseCPUs reads an xl cpu-list ("2-5,^3", "node:1", "all") against the
// host's topology. Syntax errors match ErrInvalid.
func (m *Manager) ParseCPUs(list string) (cpuset.Set, error) {
	t := &topology{hv: m.hv}
	s, err := cpuset.Parse(list, t)
	if t.err != nil {
		return cpuset.Set{}, t.err
	}
	var pe *cpuset.ParseError
	if errors.As(err, &pe) {
		if pe.Absent { // well formed, but not for this host
			return cpuset.Set{}, &AbsentError{Err: pe}
		}
		return cpuset.Set{}, &InvalidError{Msg: pe.Error()}
	}
	return s, err
}
