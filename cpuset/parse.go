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

// ParseError names the item of a cpu-list that does not parse, or that
// the host does not have.
type ParseError struct {
	List   string
	Item   string
	Reason string
	// Absent is set when the list is well formed but names what this host
	// does not have (a NUMA node), or selects no cpu of it ("node:1" of a
	// node without cpus): the same list may be right on another host.
	Absent bool
}

func (e *ParseError) Error() string {
	what := "invalid cpu list"
	if e.Absent {
		what = "cpu list"
	}
	list := Summarize(e.List)
	if e.Item == e.List {
		return fmt.Sprintf("%s %q: %s", what, list, e.Reason)
	}
	return fmt.Sprintf("%s %q: %q: %s", what, list, Summarize(e.Item), e.Reason)
}

// reasonEmpty is the reason given for a list that selects no cpu.
const reasonEmpty = "the cpu list selects no cpu"

// maxEcho is how much of a cpu list a message repeats.
const maxEcho = 64

// Summarize cuts a cpu list given by a user to at most maxEcho bytes for
// a message, marking the cut with "...".
func Summarize(list string) string {
	if len(list) <= maxEcho {
		return list
	}
	return list[:maxEcho-3] + "..."
}

// CheckSyntax reports a mistake in list that makes it wrong on any host
// (a *ParseError), without asking a host: node items and "all" are taken
// to exist.
func CheckSyntax(list string) error {
	_, err := Parse(list, anyTopology{})
	if pe, ok := err.(*ParseError); ok && pe.Absent {
		return nil
	}
	return err
}

// anyTopology has every node, each with cpu 0, and cpus 0-0.
type anyTopology struct{}

func (anyTopology) NumCPUs() int             { return 1 }
func (anyTopology) NumNodes() int            { return 1 << 16 }
func (anyTopology) NodeCPUs(int) (Set, bool) { return Set{}.Add(0), true }

// Parse reads an xl cpu-list: comma-separated items
// `[^][node:|nodes:](all|N|N-M)`, applied left to right from the empty set,
// so "2-5,^3" is {2,4,5}. A node item expands to the node's CPUs. topo may
// be nil when the list has neither "all" nor node items. A list that
// selects no cpu ("^3", "node:1,^node:1") is an error.
func Parse(list string, topo Topology) (Set, error) {
	var s Set
	usedHost := false
	if strings.TrimSpace(list) == "" {
		return s, &ParseError{List: list, Item: list, Reason: "empty"}
	}
	for _, raw := range strings.Split(list, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			return Set{}, &ParseError{List: list, Item: raw, Reason: "empty item"}
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
				return Set{}, &ParseError{List: list, Item: item, Reason: `"^" cannot be combined with "all"`}
			}
			if topo == nil {
				return Set{}, &ParseError{List: list, Item: item, Reason: `"all" needs the host's topology`}
			}
			part = Range(0, topo.NumCPUs()-1)
			usedHost = true
		} else {
			lo, hi, err := parseRange(body)
			if err != nil {
				return Set{}, &ParseError{List: list, Item: item, Reason: err.Error()}
			}
			if nodes {
				if topo == nil {
					return Set{}, &ParseError{List: list, Item: item, Reason: "node items need the host's topology"}
				}
				usedHost = true
				for n := lo; n <= hi; n++ {
					cpus, ok := topo.NodeCPUs(n)
					if !ok {
						return Set{}, &ParseError{List: list, Item: item, Reason: fmt.Sprintf("this host has no NUMA node %d (it has %d)", n, topo.NumNodes()), Absent: true}
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
	if s.IsEmpty() {
		return Set{}, &ParseError{List: list, Item: list, Reason: reasonEmpty, Absent: usedHost}
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
