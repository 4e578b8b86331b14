package xenstored

import (
	"syscall"
)

// transaction is struct transaction of xenstored_transaction.c. Instead of
// C's per-transaction copies in the TDB, a transaction keeps its view of
// every node it accessed in accessed: the node as first read (or as it
// wrote it), nil if absent.
type transaction struct {
	id          uint32
	gen         uint64 // generation when started
	accessed    []*accessedNode
	idx         map[string]*accessedNode
	changed     []domainDelta // changed_domains: owner counts to apply at commit
	nodeCreated bool          // ta_node_created
	fail        bool          // fail_transaction: commit answers ENOMEM
}

// accessedNode is struct accessed_node.
type accessedNode struct {
	name       string
	node       *node  // the transaction's view; nil: absent
	gen        uint64 // generation at first read, noGeneration if absent
	origPerms  []perm // perms when first accessed, nil if it did not exist
	checkGen   bool
	modified   bool
	fireWatch  bool
	watchExact bool
}

type domainDelta struct {
	domid uint32
	delta int
}

type accessType int

const (
	accessRead accessType = iota
	accessWrite
	accessDelete
)

// txAccess is the transaction part of access_node: the first access of a
// node registers it (subject to the transaction-nodes quota; a failure
// fails the whole transaction), a read one remembering the generation to
// check at commit. It reports whether the node was registered just now.
func (s *Server) txAccess(c *conn, tx *transaction, name string, n *node, typ accessType) (*accessedNode, bool, error) {
	a := tx.idx[name]
	introduced := false
	if a == nil {
		if c.unprivileged() && s.q.TxNodes >= 0 && len(tx.accessed) >= s.q.TxNodes {
			tx.fail = true
			return nil, false, syscall.ENOSPC
		}
		a = &accessedNode{name: name}
		if n != nil {
			a.origPerms = copyPerms(n.perms)
		}
		if typ == accessRead {
			a.checkGen = true
			a.node = n
			a.gen = noGeneration
			if n != nil {
				a.gen = n.gen
			}
		}
		tx.accessed = append(tx.accessed, a)
		tx.idx[name] = a
		introduced = true
	}
	if typ != accessRead {
		a.modified = true
	}
	return a, introduced, nil
}

// queueWatches is queue_watches: remember to fire at commit. A non-exact
// event replaces an exact one, not the other way round.
func (tx *transaction) queueWatches(name string, exact bool) {
	a := tx.idx[name]
	if a == nil {
		tx.fail = true
		return
	}
	if !a.fireWatch {
		a.fireWatch = true
		a.watchExact = exact
	} else if !exact {
		a.watchExact = false
	}
}

func (tx *transaction) entryDelta(domid uint32, d int) {
	for i := range tx.changed {
		if tx.changed[i].domid == domid {
			tx.changed[i].delta += d
			return
		}
	}
	tx.changed = append(tx.changed, domainDelta{domid, d})
}

// lookupTransaction is transaction_lookup: tx_id 0 is none, an unknown id
// is ENOENT.
func (c *conn) lookupTransaction(id uint32) (*transaction, error) {
	if id == 0 {
		return nil, nil
	}
	for _, tx := range c.txs {
		if tx.id == id {
			return tx, nil
		}
	}
	return nil, syscall.ENOENT
}

// startTransaction is do_transaction_start.
func (s *Server) startTransaction(c *conn, cur *transaction) (*transaction, error) {
	if cur != nil {
		return nil, syscall.EBUSY // no nested transactions
	}
	// C compares transaction_started > quota, so quota+1 may be open.
	if c.unprivileged() && s.q.Transactions >= 0 && len(c.txs) > s.q.Transactions {
		return nil, syscall.ENOSPC
	}
	s.generation++
	tx := &transaction{gen: s.generation, idx: make(map[string]*accessedNode)}
	// Pick an unused identifier; 0 means "no transaction" and is skipped.
	for {
		id := c.nextTxID
		c.nextTxID++
		if id == 0 {
			continue
		}
		if t, _ := c.lookupTransaction(id); t == nil {
			tx.id = id
			break
		}
	}
	c.txs = append(c.txs, tx)
	return tx, nil
}

func (c *conn) removeTransaction(tx *transaction) {
	for i, t := range c.txs {
		if t == tx {
			c.txs = append(c.txs[:i:i], c.txs[i+1:]...)
			return
		}
	}
}

func (s *Server) dropTransactions(c *conn) { c.txs = nil }

// endTransaction is do_transaction_end after the argument check. The
// transaction is gone afterwards whatever the outcome.
func (s *Server) endTransaction(c *conn, tx *transaction, commit bool, p *pending) error {
	c.removeTransaction(tx)
	if !commit {
		return nil
	}
	if s.failCommits > 0 {
		s.failCommits--
		return syscall.EAGAIN
	}
	if tx.fail {
		return syscall.ENOMEM
	}
	chkQuota := tx.nodeCreated && c.unprivileged()
	if err := s.fixDomains(tx, chkQuota, false); err != nil {
		return err
	}
	if err := s.finalize(c, tx, p); err != nil {
		return err
	}
	s.fixDomains(tx, false, true)
	return nil
}

// fixDomains is transaction_fix_domains: check (update false) or apply the
// per-owner node count changes.
func (s *Server) fixDomains(tx *transaction, chkQuota, update bool) error {
	for _, d := range tx.changed {
		if update {
			if dom := s.domains[d.domid]; dom != nil {
				dom.nbentry = max(dom.nbentry+d.delta, 0)
			}
			continue
		}
		// domain_entry_fix(update=false)
		dom := s.findOrAllocExisting(d.domid)
		if dom == nil {
			return syscall.ENOMEM
		}
		cnt := max(dom.nbentry+d.delta, 0)
		if isPrivDomid(d.domid) {
			cnt = 0
		}
		if chkQuota && s.q.Nodes >= 0 && cnt >= s.q.Nodes {
			return syscall.ENOSPC
		}
	}
	return nil
}

// finalize is finalize_transaction: every node read in the transaction
// must still have the generation it had then (else EAGAIN); then the
// modified nodes are written to the tree in access order, each getting a
// new generation, and their watches fire.
func (s *Server) finalize(c *conn, tx *transaction, p *pending) error {
	for _, a := range tx.accessed {
		if !a.checkGen {
			continue
		}
		cur := noGeneration
		if n := s.nodes[a.name]; n != nil {
			cur = n.gen
		}
		if a.gen != cur {
			return syscall.EAGAIN
		}
	}
	for _, a := range tx.accessed {
		if !a.modified {
			continue
		}
		switch {
		case a.node != nil:
			n := a.node.clone()
			s.generation++
			n.gen = s.generation
			s.nodes[a.name] = n
		case a.gen != noGeneration:
			// Existed before the transaction and deleted by it. (Created
			// and deleted again inside it: nothing to do.)
			delete(s.nodes, a.name)
		}
		if a.fireWatch {
			s.fireWatches(c, nil, p, a.name, nil, nil, a.watchExact, a.origPerms)
		}
	}
	return nil
}
