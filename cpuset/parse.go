package cpuset

import (
	"fmt"
	"strconv"
	"strings"
)

// Topology answers what the cpu-list grammar needs to know about the host.
type Topology interface {
	// NumCPUs is the size of the host's CPU map (max_cpu_id+1): "all"
	// means ids 0..NumCPUs-1, as libxl's bitmap_set_any does.
	NumCPUs() int
	// NodeCPUs gives the CPUs of NUMA node n; ok is false for a node the
	// host does not have.
	NodeCPUs(n int) (cpus Set, ok bool)
	// NumNodes is the number of NUMA nodes (max_node_id+1).
	NumNodes() int
}

// ParseError names the item of a cpu-list that does not parse.
type ParseError struct {
	List   string
	Item   string
	Reason string
}

func (e *ParseError) Error() string {
	if e.Item == e.List {
		return fmt.Sprintf("invalid cpu list %q: %s", e.List, e.Reason)
	}
	return fmt.Sprintf("invalid cpu list %q: %q: %s", e.List, e.Item, e.Reason)
}

// Parse reads an xl cpu-list: comma-separated items
// `[^][node:|nodes:](all|N|N-M)`, applied left to right from the empty set,
// so "2-5,^3" is {2,4,5}. A node item expands to the node's CPUs. topo may
// be nil when the list has neither "all" nor node items.
func Parse(list string, topo Topology) (Set, error) {
	var s Set
	if strings.TrimSpace(list) == "" {
		return s, &ParseError{list, list, "empty"}
	}
	for _, raw := range strings.Split(list, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			return Set{}, &ParseError{list, raw, "empty item"}
		}
		neg := strings.HasPrefix(item, "^")
		body := strings.TrimPrefix(item, "^")
		nodes := false
		for _, p := range []string{"nodes:", "node:"} {
			if strings.HasPrefix(body, p) {
				nodes, body = true, strings.TrimPrefix(body, p)
				break
			}
		}
		var part Set
		if body == "all" {
			if neg {
				return Set{}, &ParseError{list, item, `"^" cannot be combined with "all"`}
			}
			if topo == nil {
				return Set{}, &ParseError{list, item, `"all" needs the host's topology`}
			}
			part = Range(0, topo.NumCPUs()-1)
		} else {
			lo, hi, err := parseRange(body)
			if err != nil {
				return Set{}, &ParseError{list, item, err.Error()}
			}
			if nodes {
				if topo == nil {
					return Set{}, &ParseError{list, item, "node items need the host's topology"}
				}
				for n := lo; n <= hi; n++ {
					cpus, ok := topo.NodeCPUs(n)
					if !ok {
						return Set{}, &ParseError{list, item, fmt.Sprintf("this host has no NUMA node %d (it has %d)", n, topo.NumNodes())}
					}
					part = part.Union(cpus)
				}
			} else {
				part = Range(lo, hi)
			}
		}
		if neg {
			s = s.Diff(part)
		} else {
			s = s.Union(part)
		}
	}
	return s, nil
}

// maxID bounds ids so a typo such as 1-99999999 cannot allocate gigabytes;
// Xen's NR_CPUS is at most 16384 on any architecture it supports.
const maxID = 1<<16 - 1

func parseRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = parseID(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parseID(b); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range %d-%d ends before it starts", lo, hi)
	}
	return lo, hi, nil
}

func parseID(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxID {
		return 0, fmt.Errorf("%s is larger than %d", s, maxID)
	}
	return n, nil
}
