package xensim

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
)

// Sim is a simulated host with its XenStore, loaded from a state file
// that it holds locked until Close or Discard. Everything of the host
// persists in that one file: the spec it booted from, the hypervisor's
// state, pending faults and the XenStore tree.
//
// A Sim's methods are safe for concurrent use.
type Sim struct {
	path  string // "" for a Sim that lives in memory only
	lockf *os.File
	spec  *Spec
	host  *Host
	srv   *xenstored.Server
	// booted: Open found no state file and booted the default spec.
	booted bool

	mu          sync.Mutex
	conns       map[*xenstore.Conn]struct{}
	commitFails int // injected commit failures still pending
	done        bool
}

// ErrClosed is returned by a Sim's methods after Close or Discard.
var ErrClosed = errors.New("xensim: simulated host already closed")

// DefaultPath is where `xgo --sim` keeps its host:
// $XDG_STATE_HOME/xgo/sim.yaml, else ~/.local/state/xgo/sim.yaml.
func DefaultPath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "xgo", "sim.yaml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("xensim: no state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "xgo", "sim.yaml"), nil
}

// New boots a simulated host from spec in memory, with no state file:
// Close just shuts it down.
func New(spec *Spec) (*Sim, error) {
	if spec == nil {
		spec = DefaultSpec()
	}
	s := &Sim{spec: spec.Clone()}
	if err := s.boot(); err != nil {
		return nil, err
	}
	return s, nil
}

// Open locks the state file at path ("" means DefaultPath) with flock and
// loads the host from it; a missing file boots the default spec (written
// at Close). Consecutive and concurrent Opens of one path, in this
// process or others, each see the state the previous Close saved: the
// lock is held until Close or Discard.
func Open(path string) (*Sim, error) {
	s, err := lockPath(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.spec = DefaultSpec()
		s.booted = true
		err = s.boot()
	case err == nil:
		err = s.load(data)
	}
	if err != nil {
		s.unlock()
		return nil, err
	}
	return s, nil
}

// Init (re)creates the state file at path from spec (nil: the default),
// discarding what was there.
func Init(path string, spec *Spec) error {
	if spec == nil {
		spec = DefaultSpec()
	}
	s, err := lockPath(path)
	if err != nil {
		return err
	}
	s.spec = spec.Clone()
	if err := s.boot(); err != nil {
		s.unlock()
		return err
	}
	return s.Close()
}

// Reset reboots the host at path from the spec recorded in its state
// file, or from the default spec when the file is missing or unreadable;
// it returns the spec used.
func Reset(path string) (*Spec, error) {
	s, err := lockPath(path)
	if err != nil {
		return nil, err
	}
	s.spec = DefaultSpec()
	if data, err := os.ReadFile(s.path); err == nil {
		if f, err := decodeState(data, s.path); err == nil && f.Spec != nil && f.Spec.Validate() == nil {
			s.spec = f.Spec
		}
	}
	if err := s.boot(); err != nil {
		s.unlock()
		return nil, err
	}
	return s.spec.Clone(), s.Close()
}

// lockPath opens and flocks path's lock file. The lock is on a separate
// file (path + ".lock") because saving replaces the state file.
func lockPath(path string) (*Sim, error) {
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("xensim: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("xensim: %w", err)
	}
	f, err := os.OpenFile(abs+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("xensim: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("xensim: locking %s: %w", abs+".lock", err)
	}
	return &Sim{path: abs, lockf: f}, nil
}

func (s *Sim) unlock() {
	if s.lockf != nil {
		syscall.Flock(int(s.lockf.Fd()), syscall.LOCK_UN)
		s.lockf.Close()
		s.lockf = nil
	}
}

func (s *Sim) newServer() {
	h := s.host
	s.srv = xenstored.New(&xenstored.Config{
		DomainExists: func(domid uint32) bool {
			if domid > 0xffff {
				return false
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.doms[uint16(domid)] != nil
		},
	})
	s.conns = map[*xenstore.Conn]struct{}{}
}

// boot starts a fresh host from s.spec.
func (s *Sim) boot() error {
	h, err := NewHost(s.spec)
	if err != nil {
		return err
	}
	s.host = h
	s.newServer()
	c, err := s.XenStore()
	if err != nil {
		return err
	}
	defer s.closeConn(c)
	if err := bootStore(context.Background(), c, s.srv, h); err != nil {
		s.srv.Close()
		return fmt.Errorf("xensim: building XenStore: %w", err)
	}
	return nil
}

// load restores a host from a state file's contents.
func (s *Sim) load(data []byte) error {
	f, err := decodeState(data, s.path)
	if err != nil {
		return fmt.Errorf("xensim: %w (`xgo sim reset` starts over)", err)
	}
	h, err := loadHost(f)
	if err != nil {
		return fmt.Errorf("xensim: %s: %w (`xgo sim reset` starts over)", s.path, err)
	}
	s.spec, s.host = f.Spec, h
	s.newServer()
	// Introduced first, as before the nodes were written: their
	// permission entries must not look younger than the nodes.
	for _, id := range f.XenStore.Introduced {
		s.srv.IntroduceDomain(id)
	}
	nodes, err := parseNodes(f.XenStore.Nodes)
	if err != nil {
		s.srv.Close()
		return fmt.Errorf("xensim: %s: %w (`xgo sim reset` starts over)", s.path, err)
	}
	if err := restoreStore(s.srv, nodes); err != nil {
		s.srv.Close()
		return fmt.Errorf("xensim: %s: restoring XenStore: %w", s.path, err)
	}
	s.FailNextCommits(f.XenStore.FailNextCommits)
	return nil
}

// Host returns the simulated hypervisor.
func (s *Sim) Host() *Host { return s.host }

// Spec returns a copy of the spec the host booted from.
func (s *Sim) Spec() *Spec { return s.spec.Clone() }

// Path returns the state file, "" for a Sim made by New.
func (s *Sim) Path() string { return s.path }

// Booted reports whether Open found no state file and booted the default
// spec instead (written at Close).
func (s *Sim) Booted() bool { return s.booted }

// XenStore returns a connection to the simulated XenStore as dom0, the
// privileged domain xgo runs in. Close it when done; Close and Discard
// close the ones still open.
func (s *Sim) XenStore() (*xenstore.Conn, error) { return s.XenStoreAs(0) }

// XenStoreAs returns a connection acting as domain domid, as if it were
// that domain's XenStore ring: unprivileged for any domid but 0, with
// relative paths under /local/domain/<domid>. Frontend simulations use
// it.
func (s *Sim) XenStoreAs(domid uint32) (*xenstore.Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, ErrClosed
	}
	client, server := net.Pipe()
	go s.srv.ServeConn(newTap(server, s.commitFailed), domid)
	c := xenstore.NewConn(client, nil)
	s.conns[c] = struct{}{}
	return c, nil
}

func (s *Sim) closeConn(c *xenstore.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// Server returns the XenStore daemon, for tests that need its in-process
// API. Connections served other than through XenStore and XenStoreAs are
// invisible to the commit-failure accounting.
func (s *Sim) Server() *xenstored.Server { return s.srv }

// FailNextCommits makes the next n XenStore transaction commits, from any
// connection, fail with EAGAIN as a conflict would (n ≤ 0 cancels). The
// count that is left persists in the state file.
func (s *Sim) FailNextCommits(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commitFails = max(n, 0)
	s.srv.FailNextCommits(n)
}

// PendingCommitFailures returns how many injected commit failures are
// still to come.
func (s *Sim) PendingCommitFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitFails
}

func (s *Sim) commitFailed() {
	s.mu.Lock()
	if s.commitFails > 0 {
		s.commitFails--
	}
	s.mu.Unlock()
}

// shutdown closes every connection and the daemon.
func (s *Sim) shutdown() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return ErrClosed
	}
	s.done = true
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for c := range conns {
		c.Close()
	}
	return s.srv.Close()
}

// Close saves the host to its state file atomically (a temporary file
// renamed over it) and releases the lock. A Sim from New is just shut
// down.
func (s *Sim) Close() error {
	if err := s.shutdown(); err != nil {
		return err
	}
	defer s.unlock()
	if s.path == "" {
		return nil
	}
	data, err := s.encode()
	if err != nil {
		return err
	}
	return writeAtomic(s.path, data)
}

// Discard releases the lock without saving: the state file keeps what it
// had before Open.
func (s *Sim) Discard() error {
	if err := s.shutdown(); err != nil {
		return err
	}
	s.unlock()
	return nil
}

// Save writes the current state without closing (the lock stays held).
func (s *Sim) Save() error {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done {
		return ErrClosed
	}
	if s.path == "" {
		return nil
	}
	data, err := s.encode()
	if err != nil {
		return err
	}
	return writeAtomic(s.path, data)
}

// Snapshot returns the whole state as the YAML the state file holds.
func (s *Sim) Snapshot() ([]byte, error) { return s.encode() }

func (s *Sim) encode() ([]byte, error) {
	nodes, err := saveStore(s.srv)
	if err != nil {
		return nil, fmt.Errorf("xensim: saving XenStore: %w", err)
	}
	f := &stateFile{
		SchemaVersion: stateVersion,
		Spec:          s.spec,
		Host:          s.host.state(),
		Faults:        s.host.Faults(),
		XenStore:      storeState{FailNextCommits: s.PendingCommitFailures(), Nodes: formatNodes(nodes)},
	}
	for _, d := range s.host.hw.domains {
		if d.Domid != 0 && s.srv.DomainIntroduced(uint32(d.Domid)) {
			f.XenStore.Introduced = append(f.XenStore.Introduced, uint32(d.Domid))
		}
	}
	if f.XenStore.Introduced == nil {
		f.XenStore.Introduced = []uint32{}
	}
	data, err := encodeState(f)
	if err != nil {
		return nil, fmt.Errorf("xensim: encoding state: %w", err)
	}
	return data, nil
}

// writeAtomic replaces path with data: write a temporary file in the same
// directory, sync it, rename it over path.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("xensim: %w", err)
	}
	name := tmp.Name()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o644)
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("xensim: saving %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Summary is what `xgo sim show` prints about the simulated host.
type Summary struct {
	SchemaVersion int             `json:"schemaVersion" yaml:"schemaVersion"`
	Path          string          `json:"path,omitempty" yaml:"path,omitempty"`
	Xen           string          `json:"xen" yaml:"xen"`
	Scheduler     string          `json:"scheduler" yaml:"scheduler"`
	Schedulers    []string        `json:"schedulers" yaml:"schedulers"`
	CPUs          CPUSummary      `json:"cpus" yaml:"cpus"`
	MemoryMiB     MemorySummary   `json:"memoryMiB" yaml:"memoryMiB"`
	Pools         []PoolSummary   `json:"pools" yaml:"pools"`
	Domains       []DomainSummary `json:"domains" yaml:"domains"`
	Faults        []Fault         `json:"faults" yaml:"faults"`
	XenStore      XenStoreSummary `json:"xenstore" yaml:"xenstore"`
}

// CPUSummary counts the physical CPUs.
type CPUSummary struct {
	Present int    `json:"present" yaml:"present"`
	Online  string `json:"online" yaml:"online"`
	Offline string `json:"offline" yaml:"offline"`
	Free    string `json:"free" yaml:"free"`
	// Stranded are online CPUs a refused offline left unusable until a
	// reboot (`xgo sim reset`): see docs/xen-behaviour.md.
	Stranded string `json:"stranded,omitempty" yaml:"stranded,omitempty"`
	MaxCPUID uint32 `json:"maxCPUID" yaml:"maxCPUID"`
	Topology string `json:"topology" yaml:"topology"`
}

// MemorySummary is the host's memory in MiB.
type MemorySummary struct {
	Total uint64 `json:"total" yaml:"total"`
	Free  uint64 `json:"free" yaml:"free"`
}

// PoolSummary is one cpupool.
type PoolSummary struct {
	ID        uint32 `json:"id" yaml:"id"`
	Name      string `json:"name" yaml:"name"`
	Scheduler string `json:"scheduler" yaml:"scheduler"`
	CPUs      string `json:"cpus" yaml:"cpus"`
	Domains   uint32 `json:"domains" yaml:"domains"`
}

// DomainSummary is one domain.
type DomainSummary struct {
	Domid     uint16 `json:"domid" yaml:"domid"`
	Name      string `json:"name" yaml:"name"`
	Pool      uint32 `json:"pool" yaml:"pool"`
	VCPUs     uint32 `json:"vcpus" yaml:"vcpus"`
	MemoryMiB uint64 `json:"memoryMiB" yaml:"memoryMiB"`
}

// XenStoreSummary describes the simulated XenStore.
type XenStoreSummary struct {
	Nodes                 int `json:"nodes" yaml:"nodes"`
	PendingCommitFailures int `json:"pendingCommitFailures" yaml:"pendingCommitFailures"`
}

// Summary describes the host: pool and domain names come from XenStore,
// as xl reads them.
func (s *Sim) Summary() Summary {
	h := s.host
	sum := Summary{SchemaVersion: 1, Path: s.path, Faults: h.Faults()}
	if v, err := h.XenVersion(); err == nil {
		sum.Xen = v.String()
	}
	sum.Scheduler = h.hw.defaultSched.String()
	for _, b := range h.hw.built {
		sum.Schedulers = append(sum.Schedulers, b.String())
	}
	c := s.spec.CPUs
	h.mu.Lock()
	present := newBitset(h.hw.nrCPUIDs)
	for i, cp := range h.hw.cpus {
		if cp.present {
			present.set(uint32(i))
		}
	}
	offline := newBitset(h.hw.nrCPUIDs)
	present.each(func(i uint32) {
		if !h.online.has(i) {
			offline.set(i)
		}
	})
	sum.CPUs = CPUSummary{
		Present:  present.count(),
		Online:   h.online.toSet().String(),
		Offline:  offline.toSet().String(),
		Free:     h.free.toSet().String(),
		Stranded: h.strandedLocked().toSet().String(),
		MaxCPUID: h.hw.nrCPUIDs - 1,
		Topology: fmt.Sprintf("%s × %s × %s, %s", count(c.Sockets, "socket"), count(c.CoresPerSocket, "core"),
			count(c.ThreadsPerCore, "thread"), count(len(h.hw.nodes), "NUMA node")),
	}
	sum.MemoryMiB = MemorySummary{Total: h.totalBytes() >> 20, Free: h.freeBytes() >> 20}
	type pinfo struct {
		id    uint32
		sched hypercall.Scheduler
		cpus  string
		ndom  int
	}
	var pools []pinfo
	for _, p := range h.pools {
		pools = append(pools, pinfo{p.id, p.sched, p.cpus.toSet().String(), p.ndom})
	}
	type dinfo struct {
		domid uint16
		name  string
		pool  uint32
		vcpus uint32
		memKB uint64
	}
	var doms []dinfo
	for _, d := range h.domains {
		doms = append(doms, dinfo{d.domid, d.name, d.pool.id, d.vcpus, d.memKB})
	}
	h.mu.Unlock()
	read := func(p string) string {
		if n, ok := s.srv.Get(p); ok {
			return string(n.Value)
		}
		return ""
	}
	for _, p := range pools {
		sum.Pools = append(sum.Pools, PoolSummary{
			ID: p.id, Name: read(naming.PoolNamePath(p.id)),
			Scheduler: p.sched.String(), CPUs: p.cpus, Domains: uint32(p.ndom),
		})
	}
	for _, d := range doms {
		name := read(naming.DomainNamePath(uint32(d.domid)))
		if name == "" {
			name = d.name
		}
		sum.Domains = append(sum.Domains, DomainSummary{Domid: d.domid, Name: name, Pool: d.pool, VCPUs: d.vcpus, MemoryMiB: d.memKB >> 10})
	}
	n := 0
	s.srv.Walk("/", func(xenstored.Node) error { n++; return nil })
	sum.XenStore = XenStoreSummary{Nodes: n, PendingCommitFailures: s.PendingCommitFailures()}
	return sum
}

// count is "1 core", "4 cores".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
