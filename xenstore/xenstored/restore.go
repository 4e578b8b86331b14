package xenstored

import (
	"fmt"
	"syscall"

	"xgo.dev/xgo/xenstore"
)

// This file is the in-process snapshot of the tree: Dump copies it out,
// Restore builds it back directly instead of over the wire. The simulated
// host (xensim) saves its XenStore with Dump and loads it with Restore at
// every `xgo --sim` command; writing 70 000 nodes over a pipe took a
// second at 4096 pCPUs.

// Dump returns a copy of the whole tree, parents before children and
// children in directory order, as Walk("/") visits it. Restore takes it
// back.
func (s *Server) Dump() []Node {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Node, 0, len(s.nodes))
	var walk func(name string)
	walk = func(name string) {
		n := s.nodes[name]
		if n == nil {
			return
		}
		out = append(out, exportNode(n))
		for _, c := range n.children {
			walk(childPath(name, c))
		}
	}
	walk("/")
	return out
}

// Restore replaces the whole tree with nodes, which must list "/" first
// and every other node after its parent, as Dump and Walk("/") give them.
// Directory order is the order of the list; each node's Children and
// Generation are ignored.
//
// The result is the tree a dom0 client builds by writing each node in
// order into an empty tree (WRITE, then SET_PERMS where the permissions
// differ from the parent's, which a new node inherits), and Restore
// refuses what that client would be refused, with the same errno wrapped in an error naming
// the node: an invalid path or permission letter, or no permissions
// (EINVAL); a WRITE or SET_PERMS payload over 4096 bytes (E2BIG); an
// owner domain that does not exist (ENOENT, see Config.DomainExists).
// Other permission entries naming a domain that does not exist are kept
// but ignored, as SET_PERMS does. It also refuses what the wire would
// merge rather than replace: a list not starting with "/", a node listed
// twice (EINVAL) and a node whose parent is not listed before it (ENOENT).
// On error nothing has changed.
//
// Every node gets a new generation count, in list order, as one write
// each would give; the per-domain node counts (the nodes quota) are
// recounted; domain structs are allocated for the domains the
// permissions name, as SET_PERMS does. Restore fires no watches, so it is
// refused with EBUSY while the server has connections: use it on a new
// server before serving any.
func (s *Server) Restore(nodes []Node) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) > 0 {
		return fmt.Errorf("xenstored: restore: %d connections are being served: %w", len(s.conns), syscall.EBUSY)
	}
	if len(nodes) == 0 || nodes[0].Path != "/" {
		return fmt.Errorf("xenstored: restore: the first node must be \"/\": %w", syscall.EINVAL)
	}
	fail := func(path string, err error) error {
		return fmt.Errorf("xenstored: restore %s: %w", path, err)
	}

	gen := s.generation
	tree := make(map[string]*node, len(nodes))
	// Domains the permissions name that the server does not know yet:
	// allocated (with their generation then) only if Restore succeeds.
	newDoms := map[uint32]*domain{}
	known := func(id uint32) *domain {
		if d := s.domains[id]; d != nil {
			return d
		}
		if d, ok := newDoms[id]; ok {
			return d
		}
		var d *domain
		if s.domainExists == nil || s.domainExists(id) {
			d = &domain{id: id, gen: gen}
		}
		newDoms[id] = d // nil: does not exist, asked once
		return d
	}

	owned := map[uint32]int{}
	for i := range nodes {
		in := &nodes[i]
		name := in.Path
		if !isValidNodename(name, s.q.PathMax) {
			return fail(name, syscall.EINVAL)
		}
		if tree[name] != nil {
			return fail(name, fmt.Errorf("listed twice: %w", syscall.EINVAL))
		}
		var parent *node
		if i > 0 {
			if parent = tree[parentOf(name)]; parent == nil {
				return fail(name, fmt.Errorf("parent not listed before it: %w", syscall.ENOENT))
			}
		}
		// do_write: "path\0value" must fit one payload.
		if len(name)+1+len(in.Value) > xenstore.PayloadMax {
			return fail(name, syscall.E2BIG)
		}
		ps, err := restorePerms(in.Perms)
		if err != nil {
			return fail(name, err)
		}
		// SET_PERMS is sent only where the permissions differ from the
		// parent's, and its payload must fit too.
		if parent == nil || !samePerms(ps, parent.perms) {
			size := len(name) + 1
			for _, p := range in.Perms {
				size += len(p.String()) + 1
			}
			if size > xenstore.PayloadMax {
				return fail(name, syscall.E2BIG)
			}
		}
		// do_set_perms (domain_alloc_permrefs): a missing owner is
		// refused; entries naming other missing domains are kept but
		// ignored. Domains are looked up before the node's generation
		// bump, as SET_PERMS does before write_node.
		for j := range ps {
			if known(ps[j].id) == nil {
				if j == 0 {
					return fail(name, fmt.Errorf("owner domain %d does not exist: %w", ps[0].id, syscall.ENOENT))
				}
				ps[j].ignore = true
			}
		}
		gen++
		n := &node{name: name, perms: ps, gen: gen}
		if len(in.Value) > 0 {
			n.value = append([]byte(nil), in.Value...)
		}
		tree[name] = n
		owned[ps[0].id]++
		if parent != nil {
			parent.children = append(parent.children, baseOf(name))
		}
	}

	// Commit: nothing above touched the server.
	for id, d := range newDoms {
		if d != nil {
			s.domains[id] = d
		}
	}
	for id, d := range s.domains {
		d.nbentry = owned[id]
	}
	s.nodes = tree
	s.generation = gen
	return nil
}

// restorePerms converts a public permission list as SET_PERMS parses one
// (EINVAL for none or for an unknown access letter).
func restorePerms(in xenstore.Perms) ([]perm, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no permissions: %w", syscall.EINVAL)
	}
	ps := make([]perm, len(in))
	for i, p := range in {
		switch p.Access {
		case xenstore.AccessNone:
			ps[i].bits = permNone
		case xenstore.AccessRead:
			ps[i].bits = permRead
		case xenstore.AccessWrite:
			ps[i].bits = permWrite
		case xenstore.AccessBoth:
			ps[i].bits = permRead | permWrite
		default:
			return nil, fmt.Errorf("permission %q: %w", p.String(), syscall.EINVAL)
		}
		ps[i].id = p.Domain
	}
	return ps, nil
}

// samePerms compares the entries as GET_PERMS would print them.
func samePerms(a, b []perm) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].id != b[i].id || a[i].bits != b[i].bits {
			return false
		}
	}
	return true
}
