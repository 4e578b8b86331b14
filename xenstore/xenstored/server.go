package xenstored

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"xgo.dev/xgo/xenstore"
)

// Quotas are C xenstored's per-domain limits (the "hard" quotas of
// xenstored_control.c). They bind unprivileged domains only, except
// PathMax, which C applies to every path (see isValidNodename). A zero
// field means the C xenstored 4.17 default; a negative one disables that
// check.
type Quotas struct {
	Nodes        int // nodes owned per domain (quota_nb_entry_per_domain), default 1000
	Watches      int // watches per domain (quota_nb_watch_per_domain), default 128
	Transactions int // open transactions per connection (quota_max_transaction), default 10
	Outstanding  int // replies not yet read per domain (quota_req_outstanding), default 20
	NodePerms    int // entries in one permission list (quota_nb_perms_per_node), default 5
	NodeSize     int // record size of one node (quota_max_entry_size), default 2048
	PathMax      int // path bytes after /local/domain/<id>/ (quota_max_path_len), default 2048
	TxNodes      int // nodes accessed by one transaction (quota_trans_nodes), default 1024
}

// DefaultQuotas are the defaults of C xenstored 4.17 (xenstored_core.c).
var DefaultQuotas = Quotas{
	Nodes:        1000,
	Watches:      128,
	Transactions: 10,
	Outstanding:  20,
	NodePerms:    5,
	NodeSize:     2048,
	PathMax:      xenstore.RelPathMax,
	TxNodes:      1024,
}

func (q Quotas) withDefaults() Quotas {
	d := DefaultQuotas
	pick := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	return Quotas{
		Nodes:        pick(q.Nodes, d.Nodes),
		Watches:      pick(q.Watches, d.Watches),
		Transactions: pick(q.Transactions, d.Transactions),
		Outstanding:  pick(q.Outstanding, d.Outstanding),
		NodePerms:    pick(q.NodePerms, d.NodePerms),
		NodeSize:     pick(q.NodeSize, d.NodeSize),
		PathMax:      pick(q.PathMax, d.PathMax),
		TxNodes:      pick(q.TxNodes, d.TxNodes),
	}
}

// Config configures a Server. The zero Config gives C xenstored 4.17's
// defaults.
type Config struct {
	Quota Quotas

	// Logf, if set, receives one line per notable event (dropped
	// connections, CONTROL print, corruption reports).
	Logf func(format string, args ...any)

	// DomainExists tells whether a domain exists in the (simulated)
	// hypervisor; C xenstored asks Xen (xc_domain_getinfo) when a
	// permission list names a domain it does not know yet. Nil means every
	// domain id exists.
	DomainExists func(domid uint32) bool

	// WatchEventTimeout is how long a watch event for an unprivileged
	// domain may wait unsent before it is dropped
	// (timeout_watch_event_msec). Zero means C's 20 s; negative disables.
	WatchEventTimeout time.Duration
}

// ErrServerClosed is returned by Serve and ListenAndServe after Close.
var ErrServerClosed = errors.New("xenstored: server closed")

// Server is an in-process XenStore daemon. Its methods are safe for
// concurrent use.
type Server struct {
	logf         func(format string, args ...any)
	domainExists func(domid uint32) bool
	evTimeout    time.Duration

	// mu serialises all request processing, as C xenstored is single
	// threaded. It guards everything below except the output queues
	// (conn.qmu) and the outstanding-request counts (outMu).
	mu          sync.Mutex
	q           Quotas
	nodes       map[string]*node
	generation  uint64
	domains     map[uint32]*domain
	conns       []*conn // in creation order: the order watches fire in
	special     map[string][]perm
	failCommits int
	failNext    map[xenstore.MsgType]*injectedFailure
	closed      bool
	listeners   map[net.Listener]struct{}

	wg sync.WaitGroup // ServeConn goroutines

	// Outstanding-request accounting (quota_req_outstanding).
	outMu       sync.Mutex
	outCond     *sync.Cond
	outstanding map[uint32]int
	outQuota    atomic.Int64
}

// domain is struct domain of xenstored_domain.c, reduced to what is
// visible on the wire.
type domain struct {
	id         uint32
	gen        uint64 // generation count when the struct was created
	introduced bool
	shutdown   bool
	nbentry    int // nodes owned
	nbwatch    int
	target     uint32
	hasTarget  bool
}

// New returns a server holding the tree C xenstored creates at start
// (setup_structure: "/", "/tool", "/tool/xenstored", all owned by dom0
// with perms n0) and with dom0 introduced (dom0_init). cfg may be nil.
func New(cfg *Config) *Server {
	if cfg == nil {
		cfg = &Config{}
	}
	s := &Server{
		logf:         cfg.Logf,
		domainExists: cfg.DomainExists,
		evTimeout:    cfg.WatchEventTimeout,
		q:            cfg.Quota.withDefaults(),
		nodes:        make(map[string]*node),
		domains:      make(map[uint32]*domain),
		special:      make(map[string][]perm),
		listeners:    make(map[net.Listener]struct{}),
		outstanding:  make(map[uint32]int),
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	if s.evTimeout == 0 {
		s.evTimeout = 20 * time.Second
	}
	s.outCond = sync.NewCond(&s.outMu)
	s.outQuota.Store(int64(s.q.Outstanding))

	// dom0_init → introduce_domain(dom0) allocates dom0 at generation 0,
	// then setup_structure writes the three nodes (generations 1..3) and
	// domain_entry_fix(dom0, 3).
	dom0 := s.allocDomain(0)
	dom0.introduced = true
	for _, m := range []struct{ name, child string }{{"/", "tool"}, {"/tool", "xenstored"}, {"/tool/xenstored", ""}} {
		n := &node{name: m.name, perms: []perm{{id: 0, bits: permNone}}}
		if m.child != "" {
			n.children = []string{m.child}
		}
		s.generation++
		n.gen = s.generation
		s.nodes[n.name] = n
	}
	dom0.nbentry = 3
	// set_dom_perms_default: the special watch paths are (n0).
	s.special[xenstore.WatchIntroduceDomain] = []perm{{id: 0, bits: permNone}}
	s.special[xenstore.WatchReleaseDomain] = []perm{{id: 0, bits: permNone}}
	return s
}

// Serve accepts connections on l and serves each as a privileged
// connection, as C xenstored treats its Unix socket. It returns
// ErrServerClosed after Close, else the Accept error.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			return err
		}
		go s.serve(c, 0, false)
	}
}

// ListenAndServe listens on a Unix socket at socketPath (replacing a stale
// socket file, mode 0600 as init_sockets does) and serves it.
func (s *Server) ListenAndServe(socketPath string) error {
	if fi, err := os.Lstat(socketPath); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(socketPath)
	}
	l, err := net.Listen("unix", socketPath)
	if err != nil {
		return fmt.Errorf("xenstored: %w", err)
	}
	if err := os.Chmod(socketPath, 0o600); err != nil {
		l.Close()
		return fmt.Errorf("xenstored: %w", err)
	}
	return s.Serve(l)
}

// ServeConn serves one connection acting as domain domid, as if it were
// that domain's ring: domid 0 is privileged dom0, any other id is an
// unprivileged guest subject to permissions and quotas. Relative paths
// resolve against /local/domain/<domid>. It returns when the connection
// is closed by either side; rwc is closed on return.
func (s *Server) ServeConn(rwc io.ReadWriteCloser, domid uint32) {
	s.serve(rwc, domid, true)
}

// Close stops all listeners and connections and waits for the connection
// goroutines to finish. The tree stays readable through Get and Walk.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
	s.wg.Wait()
	return nil
}

// IntroduceDomain does what XS_INTRODUCE does for a toolstack: the domain
// becomes known (IS_DOMAIN_INTRODUCED answers T) and @introduceDomain
// fires. Introducing an already introduced domain drops the watches and
// transactions of its connections (domain_conn_reset) and fires nothing.
func (s *Server) IntroduceDomain(domid uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.introduce(domid)
}

// ReleaseDomain does what XS_RELEASE (or the death of the domain) does:
// nodes owned by the domain are removed (firing their watches), its
// entries in the special-path permissions are dropped, @releaseDomain
// fires if it was introduced, and its connections are closed, dropping
// their watches and transactions. Permission entries naming the domain
// are ignored from then on. Releasing dom0 is refused silently.
func (s *Server) ReleaseDomain(domid uint32) {
	s.mu.Lock()
	conns := s.release(domid)
	s.mu.Unlock()
	for _, c := range conns {
		c.shutdown()
	}
}

// ShutdownDomain reports that the domain shut down or crashed, as the
// VIRQ_DOM_EXC scan of check_domains does: @releaseDomain fires once per
// shutdown (until XS_RESUME). The domain stays introduced.
func (s *Server) ShutdownDomain(domid uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[domid]
	if d == nil || !d.introduced || d.shutdown {
		return
	}
	d.shutdown = true
	s.fireWatches(nil, nil, nil, xenstore.WatchReleaseDomain, nil, nil, true, nil)
}

// DomainIntroduced reports whether domid is introduced.
func (s *Server) DomainIntroduced(domid uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.domains[domid]
	return d != nil && d.introduced
}

// FailNextCommits makes the next n TRANSACTION_END "T" requests (from any
// connection) fail with EAGAIN, discarding their transaction as a real
// conflict would. n <= 0 cancels pending failures.
func (s *Server) FailNextCommits(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCommits = max(n, 0)
}

type injectedFailure struct {
	n     int
	errno syscall.Errno
}

// FailNext makes the next n requests of type t (from any connection)
// fail with errno before they are processed, leaving the store untouched.
// n <= 0 cancels. It is meant for testing clients' error paths, e.g.
// FailNext(xenstore.TypeWrite, 1, syscall.ENOSPC).
func (s *Server) FailNext(t xenstore.MsgType, n int, errno syscall.Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.failNext, t)
		return
	}
	if s.failNext == nil {
		s.failNext = make(map[xenstore.MsgType]*injectedFailure)
	}
	s.failNext[t] = &injectedFailure{n: n, errno: errno}
}

// injected consumes an injected failure for t, if any. Called with s.mu
// held.
func (s *Server) injected(t xenstore.MsgType) error {
	f := s.failNext[t]
	if f == nil {
		return nil
	}
	f.n--
	if f.n <= 0 {
		delete(s.failNext, t)
	}
	return f.errno
}

// Quotas returns the quotas in force (CONTROL quota set may change them).
func (s *Server) Quotas() Quotas {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q
}

// Node is a read-only copy of one node.
type Node struct {
	Path       string
	Value      []byte
	Perms      xenstore.Perms
	Generation uint64 // as DIRECTORY_PART reports it
	Children   []string
}

func exportNode(n *node) Node {
	return Node{
		Path:       n.name,
		Value:      append([]byte(nil), n.value...),
		Perms:      toPublicPerms(n.perms),
		Generation: n.gen,
		Children:   append([]string(nil), n.children...),
	}
}

// Get returns a copy of the node at the absolute path p, ignoring
// permissions and transactions.
func (s *Server) Get(p string) (Node, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[p]
	if n == nil {
		return Node{}, false
	}
	return exportNode(n), true
}

// Walk calls fn for root and every node below it, parents before
// children and children in directory order, on a snapshot taken first (so
// fn may use the server). It stops at and returns fn's first error; a
// missing root gives xenstore.ErrNotExist.
func (s *Server) Walk(root string, fn func(Node) error) error {
	s.mu.Lock()
	var snap []Node
	var walk func(name string)
	walk = func(name string) {
		n := s.nodes[name]
		if n == nil {
			return
		}
		snap = append(snap, exportNode(n))
		for _, c := range n.children {
			walk(childPath(name, c))
		}
	}
	if s.nodes[root] == nil {
		s.mu.Unlock()
		return xenstore.ErrNotExist
	}
	walk(root)
	s.mu.Unlock()
	for _, n := range snap {
		if err := fn(n); err != nil {
			return err
		}
	}
	return nil
}

// --- domains (xenstored_domain.c) ---

func (s *Server) allocDomain(domid uint32) *domain {
	d := &domain{id: domid, gen: s.generation}
	s.domains[domid] = d
	return d
}

// findOrAllocExisting is find_or_alloc_existing_domain: a known domain, or
// a new struct if the hypervisor has the domain.
func (s *Server) findOrAllocExisting(domid uint32) *domain {
	if d := s.domains[domid]; d != nil {
		return d
	}
	if s.domainExists != nil && !s.domainExists(domid) {
		return nil
	}
	return s.allocDomain(domid)
}

// isPrivDomid is !domid_is_unprivileged (priv_domid is 0 as by default).
func isPrivDomid(domid uint32) bool { return domid == 0 }

func (s *Server) introduce(domid uint32) {
	d := s.domains[domid]
	if d == nil {
		d = s.allocDomain(domid)
	}
	if d.introduced {
		// domain_conn_reset of do_introduce.
		for _, c := range s.conns {
			if c.isDomain && c.id == domid {
				s.dropWatches(c)
				s.dropTransactions(c)
			}
		}
		return
	}
	d.introduced = true
	d.shutdown = false
	// introduce_domain fires for every domain but the master (dom0).
	if domid != 0 {
		s.fireWatches(nil, nil, nil, xenstore.WatchIntroduceDomain, nil, nil, true, nil)
	}
}

// release is destroy_domain for domid; it returns the connections to
// close (after s.mu is released).
func (s *Server) release(domid uint32) []*conn {
	d := s.domains[domid]
	if domid == 0 || d == nil {
		return nil
	}
	// do_release frees the domain's connection first (destroy_conn: its
	// watches and transactions go, it sees no more events), then the
	// domain (destroy_domain).
	var out []*conn
	for _, c := range s.conns {
		if c.isDomain && c.id == domid {
			s.dropWatches(c)
			s.dropTransactions(c)
			out = append(out, c)
		}
	}
	for _, c := range out {
		s.removeConn(c)
	}
	// domain_tree_remove: delete the nodes the domain owns.
	if d.nbentry > 0 {
		s.removeOwnedNodes(d, "/")
	}
	for name, ps := range s.special {
		s.special[name] = removeDomidFromPerms(ps, domid)
	}
	delete(s.domains, domid)
	if d.introduced {
		s.fireWatches(nil, nil, nil, xenstore.WatchReleaseDomain, nil, nil, true, nil)
	}
	return out
}

// removeOwnedNodes is the walk of domain_tree_remove: pre-order from "/",
// removing every subtree whose top node the domain owns and stopping once
// it owns nothing more.
func (s *Server) removeOwnedNodes(d *domain, name string) bool {
	n := s.nodes[name]
	if n == nil {
		return true
	}
	if n.owner() == d.id && name != "/" {
		if err := s.rmNode(nil, nil, nil, name); err != nil {
			s.logf("xenstored: error when deleting orphaned node %s: %v", name, err)
		}
		return d.nbentry > 0
	}
	if d.nbentry <= 0 {
		return false
	}
	for _, c := range n.children {
		if !s.removeOwnedNodes(d, childPath(name, c)) {
			return false
		}
	}
	return true
}

// removeDomidFromPerms is remove_domid_from_perm.
func removeDomidFromPerms(ps []perm, domid uint32) []perm {
	out := copyPerms(ps)
	if out[0].id == domid {
		out[0].id = 0
	}
	keep := out[:1]
	for _, p := range out[1:] {
		if p.id != domid {
			keep = append(keep, p)
		}
	}
	return keep
}

// adjustPerms is domain_adjust_node_perms: entries (other than the owner)
// naming a domain that is unknown or younger than the node are marked
// ignored. It returns n itself or an adjusted copy.
func (s *Server) adjustPerms(n *node) *node {
	var out *node
	for i := 1; i < len(n.perms); i++ {
		p := n.perms[i]
		if p.ignore {
			continue
		}
		d := s.domains[p.id]
		if d != nil && d.gen <= n.gen {
			continue
		}
		if out == nil {
			out = n.clone()
			out.perms = copyPerms(n.perms)
		}
		out.perms[i].ignore = true
	}
	if out == nil {
		return n
	}
	return out
}
