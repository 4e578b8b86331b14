package xenstored

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"xgo.dev/xgo/xenstore"
)

// conn is one client connection: struct connection of xenstored_core.h.
type conn struct {
	s        *Server
	rwc      io.ReadWriteCloser
	id       uint32 // domid the connection acts as (0 for sockets)
	isDomain bool   // a ring-like connection from ServeConn (conn->domain set)

	// Guarded by s.mu.
	watches    []*watch
	txs        []*transaction // transaction_list, oldest first
	nextTxID   uint32
	closedConn bool // removed from s.conns

	// Output queue, guarded by qmu. Lock order: s.mu, then qmu, then
	// s.outMu.
	qmu        sync.Mutex
	qcond      *sync.Cond
	queue      []*outMsg
	qclosed    bool
	purgeTimer *time.Timer

	closing   atomic.Bool
	closeOnce sync.Once
}

// outMsg is one queued message: a reply or a watch event.
type outMsg struct {
	msg      xenstore.Message
	event    bool
	pend     *pending  // request this message completes, for the outstanding quota
	deadline time.Time // zero: never dropped
}

// pending tracks one request of an unprivileged domain until its reply and
// every watch event it caused are written (free_buffered_data: the
// request stays counted in nboutstanding until then).
type pending struct {
	domid uint32
	refs  int
}

// unprivileged is domain_is_unprivileged: a domain connection whose domid
// is not the privileged one. Socket connections are privileged.
func (c *conn) unprivileged() bool {
	return c != nil && c.isDomain && !isPrivDomid(c.id)
}

// implicitPath is get_implicit_path: the home a relative path resolves
// against; /local/domain/0 for socket connections.
func (c *conn) implicitPath() string {
	if !c.isDomain {
		return "/local/domain/0"
	}
	return domainPath(c.id)
}

// canonicalize is canonicalize() of xenstored_core.c.
func (c *conn) canonicalize(p string) string {
	if len(p) > 0 && (p[0] == '/' || p[0] == '@') {
		return p
	}
	return c.implicitPath() + "/" + p
}

func (s *Server) serve(rwc io.ReadWriteCloser, domid uint32, isDomain bool) {
	c := &conn{s: s, rwc: rwc, id: domid, isDomain: isDomain}
	c.qcond = sync.NewCond(&c.qmu)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		rwc.Close()
		return
	}
	if isDomain && domid != 0 && s.domains[domid] == nil {
		// C creates a domain connection only for a known domain; give a
		// connection made before XS_INTRODUCE its (not introduced) struct
		// so that its nodes and watches are accounted.
		s.allocDomain(domid)
	}
	s.conns = append(s.conns, c)
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()

	for {
		if c.unprivileged() && !c.waitOutstanding() {
			break
		}
		m, err := xenstore.ReadMessage(rwc)
		if err != nil {
			if errors.Is(err, xenstore.ErrPayloadTooBig) {
				// handle_input: a header announcing more than
				// XENSTORE_PAYLOAD_MAX makes ignore_connection drop the
				// connection along with its queued output.
				s.logf("xenstored: domain %d connection sent an oversized payload (%v); dropping it", domid, err)
				c.dropQueued()
			}
			break
		}
		s.handle(c, m)
	}

	c.shutdown()
	s.mu.Lock()
	s.removeConn(c)
	s.mu.Unlock()
	c.closeQueue()
	<-writerDone
}

// shutdown closes the transport, ending both loops.
func (c *conn) shutdown() {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.rwc.Close()
		c.s.outMu.Lock()
		c.s.outCond.Broadcast()
		c.s.outMu.Unlock()
		c.closeQueue()
	})
}

// removeConn is destroy_conn: drop the watches and transactions. Called
// with s.mu held.
func (s *Server) removeConn(c *conn) {
	if c.closedConn {
		return
	}
	c.closedConn = true
	s.dropWatches(c)
	s.dropTransactions(c)
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			break
		}
	}
}

// waitOutstanding blocks while the domain has quota_req_outstanding
// requests not completed, as domain_can_read stops reading the ring. It
// returns false when the connection is closing.
func (c *conn) waitOutstanding() bool {
	s := c.s
	s.outMu.Lock()
	defer s.outMu.Unlock()
	for {
		if c.closing.Load() {
			return false
		}
		q := s.outQuota.Load()
		if q < 0 || int64(s.outstanding[c.id]) < q {
			return true
		}
		s.outCond.Wait()
	}
}

func (s *Server) newPending(c *conn) *pending {
	if !c.unprivileged() {
		return nil
	}
	s.outMu.Lock()
	s.outstanding[c.id]++
	s.outMu.Unlock()
	return &pending{domid: c.id, refs: 1}
}

func (s *Server) addRef(p *pending) {
	if p == nil {
		return
	}
	s.outMu.Lock()
	p.refs++
	s.outMu.Unlock()
}

func (s *Server) releasePending(p *pending) {
	if p == nil {
		return
	}
	s.outMu.Lock()
	p.refs--
	if p.refs == 0 {
		s.outstanding[p.domid]--
		if s.outstanding[p.domid] <= 0 {
			delete(s.outstanding, p.domid)
		}
		s.outCond.Broadcast()
	}
	s.outMu.Unlock()
}

// sendReply queues a reply, echoing req_id and tx_id (send_reply reuses
// the request's header). A payload over XENSTORE_PAYLOAD_MAX becomes E2BIG.
func (c *conn) sendReply(req *xenstore.Message, typ xenstore.MsgType, payload []byte, p *pending) {
	if len(payload) > xenstore.PayloadMax {
		typ, payload = xenstore.TypeError, errorPayload(xenstore.ErrTooBig)
	}
	c.enqueue(&outMsg{msg: xenstore.Message{Type: typ, ReqID: req.ReqID, TxID: req.TxID, Payload: payload}, pend: p})
}

func errorPayload(err error) []byte {
	return append([]byte(xenstore.ErrorName(err)), 0)
}

// sendEvent is send_event: queue WATCH_EVENT path\0token\0 (req_id and
// tx_id 0). An event longer than XENSTORE_PAYLOAD_MAX is not sent; an
// identical non-special event still queued is not queued twice; events for
// unprivileged domains expire after the watch event timeout.
func (c *conn) sendEvent(p *pending, path, token string) {
	payload := make([]byte, 0, len(path)+len(token)+2)
	payload = append(payload, path...)
	payload = append(payload, 0)
	payload = append(payload, token...)
	payload = append(payload, 0)
	if len(payload) > xenstore.PayloadMax {
		return
	}
	m := &outMsg{msg: xenstore.Message{Type: xenstore.TypeWatchEvent, Payload: payload}, event: true, pend: p}
	if c.unprivileged() && c.s.evTimeout > 0 {
		m.deadline = time.Now().Add(c.s.evTimeout)
	}
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.qclosed {
		return
	}
	if path == "" || path[0] != '@' {
		for _, q := range c.queue {
			if q.event && string(q.msg.Payload) == string(payload) {
				return
			}
		}
	}
	c.s.addRef(p)
	c.queue = append(c.queue, m)
	c.qcond.Signal()
	if !m.deadline.IsZero() && c.purgeTimer == nil {
		c.purgeTimer = time.AfterFunc(time.Until(m.deadline), c.purgeExpired)
	}
}

func (c *conn) enqueue(m *outMsg) {
	c.qmu.Lock()
	if c.qclosed {
		c.qmu.Unlock()
		c.s.releasePending(m.pend)
		return
	}
	c.queue = append(c.queue, m)
	c.qcond.Signal()
	c.qmu.Unlock()
}

// purgeExpired is check_event_timeout: drop queued events whose time is
// up, then re-arm for the next one.
func (c *conn) purgeExpired() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.purgeTimer = nil
	if c.qclosed {
		return
	}
	now := time.Now()
	keep := c.queue[:0]
	var next time.Time
	for _, m := range c.queue {
		if !m.deadline.IsZero() && !m.deadline.After(now) {
			c.s.logf("xenstored: watch event %q for domain %d timed out", m.msg.Payload, c.id)
			c.s.releasePending(m.pend)
			continue
		}
		if !m.deadline.IsZero() && (next.IsZero() || m.deadline.Before(next)) {
			next = m.deadline
		}
		keep = append(keep, m)
	}
	clear(c.queue[len(keep):])
	c.queue = keep
	if !next.IsZero() {
		c.purgeTimer = time.AfterFunc(time.Until(next), c.purgeExpired)
	}
}

// dropQueued discards everything not yet written (conn_free_buffered_data).
func (c *conn) dropQueued() {
	c.qmu.Lock()
	q := c.queue
	c.queue = nil
	c.qmu.Unlock()
	for _, m := range q {
		c.s.releasePending(m.pend)
	}
}

func (c *conn) closeQueue() {
	c.qmu.Lock()
	c.qclosed = true
	if c.purgeTimer != nil {
		c.purgeTimer.Stop()
		c.purgeTimer = nil
	}
	c.qcond.Broadcast()
	c.qmu.Unlock()
}

// writeLoop writes queued messages in order. Once the queue is closed it
// discards what is left.
func (c *conn) writeLoop() {
	for {
		c.qmu.Lock()
		for len(c.queue) == 0 && !c.qclosed {
			c.qcond.Wait()
		}
		if c.qclosed {
			q := c.queue
			c.queue = nil
			c.qmu.Unlock()
			for _, m := range q {
				c.s.releasePending(m.pend)
			}
			return
		}
		m := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.qmu.Unlock()

		err := xenstore.WriteMessage(c.rwc, &m.msg)
		c.s.releasePending(m.pend)
		if err != nil {
			c.shutdown()
		}
	}
}
