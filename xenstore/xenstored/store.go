package xenstored

import (
	"errors"
	"syscall"
)

// This file is the node database layer of xenstored_core.c: read_node,
// write_node, get_node with its errno rules, create_node and rm_node. c
// may be nil for the daemon's own changes (domain_tree_remove); tx is the
// transaction the request runs in, or nil.

// readNode is read_node: the node as the connection sees it (through its
// transaction), with permissions adjusted for vanished domains. It checks
// no permissions. Inside a transaction the first read registers the node,
// present or not.
func (s *Server) readNode(c *conn, tx *transaction, name string) (*node, error) {
	if tx != nil {
		if a := tx.idx[name]; a != nil {
			if a.node == nil {
				return nil, syscall.ENOENT
			}
			n := s.adjustPerms(a.node)
			a.node = n
			return n, nil
		}
	}
	n := s.nodes[name]
	if n != nil {
		if adj := s.adjustPerms(n); adj != n {
			s.nodes[name] = adj
			n = adj
		}
	}
	if tx != nil {
		if _, _, err := s.txAccess(c, tx, name, n, accessRead); err != nil {
			return nil, err
		}
	}
	if n == nil {
		return nil, syscall.ENOENT
	}
	return n, nil
}

// canPropagate is read_node_can_propagate_errno.
func canPropagate(err error) bool {
	return errors.Is(err, syscall.ENOMEM) || errors.Is(err, syscall.ENOSPC)
}

// writeNode is write_node + write_node_raw: bump the generation, register
// the write in the transaction, apply the node-size quota for an
// unprivileged connection, and store a copy of n in the connection's view.
// A failure inside a transaction fails the transaction.
func (s *Server) writeNode(c *conn, tx *transaction, n *node, noQuotaCheck bool) error {
	s.generation++
	n.gen = s.generation
	var a *accessedNode
	if tx != nil {
		var err error
		if a, _, err = s.txAccess(c, tx, n.name, n, accessWrite); err != nil {
			return err
		}
	}
	// write_node_raw: domain_adjust_node_perms, then the size check.
	adj := s.adjustPerms(n)
	if adj != n {
		n.perms = adj.perms
	}
	if !noQuotaCheck && c.unprivileged() && s.q.NodeSize >= 0 && n.recordSize() >= s.q.NodeSize {
		if tx != nil {
			tx.fail = true
		}
		return syscall.ENOSPC
	}
	stored := n.clone()
	if a != nil {
		a.node = stored
	} else {
		s.nodes[n.name] = stored
	}
	return nil
}

// deleteNode is access_node(NODE_ACCESS_DELETE) plus do_tdb_delete.
func (s *Server) deleteNode(c *conn, tx *transaction, n *node) error {
	s.generation++
	if tx == nil {
		delete(s.nodes, n.name)
		return nil
	}
	a, introduced, err := s.txAccess(c, tx, n.name, n, accessDelete)
	if err != nil {
		return err
	}
	if !introduced { // else: nothing of it in the transaction to delete
		a.node = nil
	}
	return nil
}

// permFor is perm_for_conn: privileged connections and the owner (or the
// owner being the connection's target) get everything; then the first
// non-ignored entry naming the connection's domain (or its target); else
// the owner entry's letter. A nil connection is the daemon itself.
func (s *Server) permFor(c *conn, ps []perm) uint8 {
	if c == nil || !c.unprivileged() {
		return permAll
	}
	target, hasTarget := s.connTarget(c)
	if ps[0].id == c.id || (hasTarget && ps[0].id == target) {
		return permAll
	}
	for _, p := range ps[1:] {
		if !p.ignore && (p.id == c.id || (hasTarget && p.id == target)) {
			return p.bits
		}
	}
	return ps[0].bits
}

func (s *Server) connTarget(c *conn) (uint32, bool) {
	if d := s.domains[c.id]; d != nil && d.hasTarget {
		return d.target, true
	}
	return 0, false
}

// getNode is get_node: validate the canonical name, read the node and
// check that the connection has all of want. A failure is reported as
// EACCES unless the nearest existing ancestor would grant any of want
// (errno_from_parents), so a refused client learns nothing about the node.
func (s *Server) getNode(c *conn, tx *transaction, name string, want uint8) (*node, error) {
	if !isValidNodename(name, s.q.PathMax) {
		return nil, syscall.EINVAL
	}
	n, err := s.readNode(c, tx, name)
	if err == nil && s.permFor(c, n.perms)&want != want {
		n, err = nil, syscall.EACCES
	}
	if err != nil && !canPropagate(err) {
		err = s.errnoFromParents(c, tx, name, err, want)
	}
	return n, err
}

// errnoFromParents is errno_from_parents with ask_parents.
func (s *Server) errnoFromParents(c *conn, tx *transaction, name string, errnum error, want uint8) error {
	var n *node
	for {
		name = parentOf(name)
		var err error
		n, err = s.readNode(c, tx, name)
		if err == nil {
			break
		}
		if canPropagate(err) {
			return err
		}
		if name == "/" {
			break
		}
	}
	if n == nil {
		s.logf("xenstored: corrupt: no permissions file at root")
		return syscall.EACCES
	}
	if s.permFor(c, n.perms)&want != 0 {
		return errnum
	}
	return syscall.EACCES
}

// entryInc and entryDec are domain_entry_inc/dec: count a node for its
// owner, or record the change in the transaction.
func (s *Server) entryInc(c *conn, tx *transaction, owner uint32) error {
	if tx != nil {
		tx.entryDelta(owner, 1)
		return nil
	}
	d := s.findOrAllocExisting(owner)
	if d == nil {
		return syscall.ENOMEM
	}
	d.nbentry++
	return nil
}

func (s *Server) entryDec(c *conn, tx *transaction, owner uint32) {
	if tx != nil {
		tx.entryDelta(owner, -1)
		return
	}
	if d := s.domains[owner]; d != nil {
		d.nbentry--
	} else {
		s.logf("xenstored: corrupt: node owned by non-existing domain %d", owner)
	}
}

// ownEntries is domain_entry: the node count of the connection's domain,
// 0 for privileged connections.
func (s *Server) ownEntries(c *conn) int {
	if !c.unprivileged() {
		return 0
	}
	if d := s.domains[c.id]; d != nil {
		return d.nbentry
	}
	return 0
}

// createNode is construct_node + create_node: create name and its missing
// parents, each inheriting its parent's permissions with an unprivileged
// creator becoming the owner, written bottom-up with the node quota
// checked before each new node. On failure the nodes written so far are
// removed again. It returns the new node and its parent.
func (s *Server) createNode(c *conn, tx *transaction, name string, value []byte) (*node, *node, error) {
	// Walk up to the first existing node.
	names := []string{name}
	var parent *node
	for {
		pname := parentOf(names[len(names)-1])
		p, err := s.readNode(c, tx, pname)
		if err == nil {
			parent = p.clone()
			break
		}
		if !errors.Is(err, syscall.ENOENT) || pname == "/" {
			return nil, nil, err
		}
		names = append(names, pname)
	}
	// Construct the missing nodes top-down. chain[0] is the existing
	// ancestor, chain[len-1] the requested node.
	chain := []*node{parent}
	for i := len(names) - 1; i >= 0; i-- {
		p := chain[len(chain)-1]
		p.children = append(p.children[:len(p.children):len(p.children)], baseOf(names[i]))
		n := &node{name: names[i], perms: copyPerms(p.perms)}
		if c.unprivileged() {
			n.perms[0].id = c.id
		}
		chain = append(chain, n)
	}
	target := chain[len(chain)-1]
	target.value = value
	if tx != nil {
		tx.nodeCreated = true
	}
	// Write bottom-up; every node but the existing ancestor is new.
	var written []*node
	for i := len(chain) - 1; i >= 0; i-- {
		n := chain[i]
		isNew := i > 0
		var err error
		if isNew && s.q.Nodes >= 0 && s.ownEntries(c) >= s.q.Nodes {
			err = syscall.ENOSPC
		} else {
			err = s.writeNode(c, tx, n, false)
		}
		if err == nil && isNew {
			err = s.entryInc(c, tx, n.owner())
			if err != nil {
				s.deleteStored(tx, n)
				return nil, nil, err
			}
		}
		if err != nil {
			// Undo (destroy_node): remove the new nodes already written.
			for _, w := range written {
				s.deleteStored(tx, w)
				s.entryDec(c, tx, w.owner())
				if tx != nil {
					tx.fail = true
				}
			}
			return nil, nil, err
		}
		written = append(written, n)
	}
	return target, chain[len(chain)-2], nil
}

// deleteStored removes a node from the view it was just written to
// without a generation bump (destroy_node_rm).
func (s *Server) deleteStored(tx *transaction, n *node) {
	if tx != nil {
		if a := tx.idx[n.name]; a != nil {
			a.node = nil
		}
		return
	}
	delete(s.nodes, n.name)
}

// rmNode is rm_node: delete name and everything below it, children
// first (walk_node_tree with delnode_sub as exit function), then drop it
// from its parent's children. Watches fire for every deleted node: on its
// own path only (exact) for nodes below name, on name and its ancestors'
// watches for name itself.
func (s *Server) rmNode(c *conn, tx *transaction, p *pending, name string) error {
	parent, err := s.readNode(c, tx, parentOf(name))
	if err != nil {
		if canPropagate(err) {
			return err
		}
		return syscall.EINVAL
	}
	n, err := s.readNode(c, tx, name)
	if err != nil {
		return syscall.EIO
	}
	if err := s.delTree(c, tx, p, name, n.clone(), nil); err != nil {
		return err
	}
	parent, ok := parent.withoutChild(baseOf(name))
	if !ok {
		s.logf("xenstored: corrupt: can't find child %q in %s", baseOf(name), parent.name)
		return syscall.EIO
	}
	if err := s.writeNode(c, tx, parent.clone(), true); err != nil {
		return syscall.EIO
	}
	return nil
}

// delTree deletes n (a private copy) after its children. walkParent is
// the node above it in the walk (nil for the walk root); the child entry
// is removed from it and it is rewritten, as rm_from_parent does.
func (s *Server) delTree(c *conn, tx *transaction, p *pending, root string, n *node, walkParent *node) error {
	for len(n.children) > 0 {
		child, err := s.readNode(c, tx, childPath(n.name, n.children[0]))
		if err != nil {
			// walk_node_tree: a missing child stops the walk (corrupt).
			if canPropagate(err) {
				return err
			}
			return syscall.EIO
		}
		if err := s.delTree(c, tx, p, root, child.clone(), n); err != nil {
			return err
		}
	}
	// delnode_sub
	if err := s.deleteNode(c, tx, n); err != nil {
		return err
	}
	// Fire now, while the node's permissions are still known.
	s.fireWatches(c, tx, p, n.name, n, walkParent, n.name != root, nil)
	s.entryDec(c, tx, n.owner())
	if walkParent != nil {
		wp, _ := walkParent.withoutChild(baseOf(n.name))
		*walkParent = *wp
		if err := s.writeNode(c, tx, walkParent, true); err != nil {
			return syscall.EIO
		}
	}
	return nil
}
