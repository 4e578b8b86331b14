package simguest

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"xgo.dev/xgo/xendev"
)

// PageSize is the size of a page.
const PageSize = 4096

// Xen is an in-memory hypervisor: domains with page-granular memory,
// grant tables and event channels. Safe for concurrent use.
type Xen struct {
	mu   sync.Mutex
	doms map[uint32]*domain
}

type grant struct {
	peer     uint32 // the domain allowed to map it
	frame    int
	readonly bool
}

type port struct {
	remoteDom  uint32
	remotePort uint32
	bound      bool // interdomain connected
	h          *Evtchn
}

type domain struct {
	id     uint32
	mem    []byte
	free   []bool // per frame
	grants map[uint32]grant
	next   uint32
	ports  map[uint32]*port
	dead   bool
}

// New returns an empty hypervisor.
func New() *Xen { return &Xen{doms: map[uint32]*domain{}} }

// AddDomain creates domain id with pages pages of memory.
func (x *Xen) AddDomain(id uint32, pages int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := &domain{id: id, mem: make([]byte, pages*PageSize), free: make([]bool, pages), grants: map[uint32]grant{}, next: 8, ports: map[uint32]*port{}}
	for i := range d.free {
		d.free[i] = true
	}
	x.doms[id] = d
}

// Destroy kills domain id: its grants are revoked (existing mappings
// stay valid, as Xen keeps mapped pages alive) and its ports are closed.
func (x *Xen) Destroy(id uint32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.doms[id]
	if d == nil {
		return
	}
	d.dead = true
	d.grants = map[uint32]grant{}
	for _, p := range d.ports {
		if p.bound {
			if r := x.doms[p.remoteDom]; r != nil {
				if rp := r.ports[p.remotePort]; rp != nil {
					rp.bound = false
				}
			}
		}
	}
	d.ports = map[uint32]*port{}
}

var errInval = syscall.EINVAL

// Alloc gives n adjacent pages of domain id's memory.
func (x *Xen) Alloc(id uint32, n int) ([]byte, int, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.doms[id]
	if d == nil {
		return nil, 0, syscall.ESRCH
	}
	for start := 0; start+n <= len(d.free); start++ {
		ok := true
		for i := start; i < start+n; i++ {
			if !d.free[i] {
				ok = false
				break
			}
		}
		if ok {
			for i := start; i < start+n; i++ {
				d.free[i] = false
			}
			b := d.mem[start*PageSize : (start+n)*PageSize : (start+n)*PageSize]
			clear(b)
			return b, start, nil
		}
	}
	return nil, 0, syscall.ENOMEM
}

// Free returns pages to the domain.
func (x *Xen) Free(id uint32, frame, n int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if d := x.doms[id]; d != nil {
		for i := frame; i < frame+n && i < len(d.free); i++ {
			d.free[i] = true
		}
	}
}

// Grant lets peer map frame of domain id; it returns the reference.
func (x *Xen) Grant(id, peer uint32, frame int, readonly bool) (uint32, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d := x.doms[id]
	if d == nil || frame < 0 || frame >= len(d.free) {
		return 0, errInval
	}
	ref := d.next
	d.next++
	d.grants[ref] = grant{peer: peer, frame: frame, readonly: readonly}
	return ref, nil
}

// Revoke ends a grant (gnttab_end_foreign_access).
func (x *Xen) Revoke(id, ref uint32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if d := x.doms[id]; d != nil {
		delete(d.grants, ref)
	}
}

// Grants returns domain self's gntdev.
func (x *Xen) Grants(self uint32) xendev.Grants { return gntdev{x, self} }

type gntdev struct {
	x    *Xen
	self uint32
}

type mapping struct{ b []byte }

func (m *mapping) Bytes() []byte { return m.b }
func (m *mapping) Unmap() error  { m.b = nil; return nil }

// Map maps refs of domid, which must have been granted to self and be
// adjacent in domid's memory.
func (g gntdev) Map(domid uint32, refs []uint32, writable bool) (xendev.Mapping, error) {
	g.x.mu.Lock()
	defer g.x.mu.Unlock()
	d := g.x.doms[domid]
	if d == nil || d.dead || len(refs) == 0 {
		return nil, fmt.Errorf("map grant: %w", errInval)
	}
	first := -1
	for i, r := range refs {
		gr, ok := d.grants[r]
		if !ok || gr.peer != g.self || (writable && gr.readonly) {
			return nil, fmt.Errorf("map grant %d of domain %d: %w", r, domid, errInval)
		}
		if i == 0 {
			first = gr.frame
		} else if gr.frame != first+i {
			return nil, fmt.Errorf("map grants of domain %d: pages not adjacent: %w", domid, errInval)
		}
	}
	return &mapping{b: d.mem[first*PageSize : (first+len(refs))*PageSize : (first+len(refs))*PageSize]}, nil
}

// Evtchn is a domain's event channel handle (/dev/xen/evtchn, or a
// guest kernel's event channels). It implements xendev.Events.
type Evtchn struct {
	x      *Xen
	self   uint32
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []uint32
	masked map[uint32]bool
	fired  map[uint32]bool // fired while masked
	closed bool
}

// Evtchn opens an event channel handle for domain self.
func (x *Xen) Evtchn(self uint32) *Evtchn {
	e := &Evtchn{x: x, self: self, masked: map[uint32]bool{}, fired: map[uint32]bool{}}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (x *Xen) freePort(d *domain) uint32 {
	for p := uint32(1); ; p++ {
		if d.ports[p] == nil {
			return p
		}
	}
}

// AllocUnbound allocates a port that remote may bind (EVTCHNOP_alloc_unbound).
func (e *Evtchn) AllocUnbound(remote uint32) (uint32, error) {
	e.x.mu.Lock()
	defer e.x.mu.Unlock()
	d := e.x.doms[e.self]
	if d == nil {
		return 0, syscall.ESRCH
	}
	p := e.x.freePort(d)
	d.ports[p] = &port{remoteDom: remote, h: e}
	return p, nil
}

// BindInterdomain connects to remotePort of domid, which must be unbound
// and allocated for this domain.
func (e *Evtchn) BindInterdomain(domid, remotePort uint32) (uint32, error) {
	e.x.mu.Lock()
	defer e.x.mu.Unlock()
	d, r := e.x.doms[e.self], e.x.doms[domid]
	if d == nil || r == nil || r.dead {
		return 0, syscall.ESRCH
	}
	rp := r.ports[remotePort]
	if rp == nil || rp.bound || rp.remoteDom != e.self {
		return 0, syscall.EINVAL
	}
	p := e.x.freePort(d)
	d.ports[p] = &port{remoteDom: domid, remotePort: remotePort, bound: true, h: e}
	rp.bound, rp.remotePort = true, p
	return p, nil
}

// Unbind closes a port.
func (e *Evtchn) Unbind(p uint32) error {
	e.x.mu.Lock()
	defer e.x.mu.Unlock()
	d := e.x.doms[e.self]
	if d == nil || d.ports[p] == nil || d.ports[p].h != e {
		return syscall.EINVAL
	}
	lp := d.ports[p]
	if lp.bound {
		if r := e.x.doms[lp.remoteDom]; r != nil {
			if rp := r.ports[lp.remotePort]; rp != nil {
				rp.bound = false
			}
		}
	}
	delete(d.ports, p)
	return nil
}

// Notify signals the other end of port p.
func (e *Evtchn) Notify(p uint32) error {
	e.x.mu.Lock()
	d := e.x.doms[e.self]
	if d == nil || d.ports[p] == nil {
		e.x.mu.Unlock()
		return syscall.EINVAL
	}
	lp := d.ports[p]
	if !lp.bound {
		e.x.mu.Unlock()
		return nil // nobody there: the event is lost, as in Xen
	}
	r := e.x.doms[lp.remoteDom]
	var target *Evtchn
	var tport uint32
	if r != nil && r.ports[lp.remotePort] != nil {
		target, tport = r.ports[lp.remotePort].h, lp.remotePort
	}
	e.x.mu.Unlock()
	if target != nil {
		target.fire(tport)
	}
	return nil
}

func (e *Evtchn) fire(p uint32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.masked[p] {
		e.fired[p] = true
		return
	}
	e.masked[p] = true
	e.queue = append(e.queue, p)
	e.cond.Broadcast()
}

// Pending waits for fired ports.
func (e *Evtchn) Pending() ([]uint32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.queue) == 0 && !e.closed {
		e.cond.Wait()
	}
	if e.closed {
		return nil, os.ErrClosed
	}
	q := e.queue
	e.queue = nil
	return q, nil
}

// Unmask re-enables ports; one that fired while masked fires again.
func (e *Evtchn) Unmask(ports ...uint32) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range ports {
		delete(e.masked, p)
		if e.fired[p] {
			delete(e.fired, p)
			e.masked[p] = true
			e.queue = append(e.queue, p)
			e.cond.Broadcast()
		}
	}
	return nil
}

// Close ends Pending and unbinds this handle's ports.
func (e *Evtchn) Close() error {
	e.x.mu.Lock()
	if d := e.x.doms[e.self]; d != nil {
		for p, lp := range d.ports {
			if lp.h == e {
				if lp.bound {
					if r := e.x.doms[lp.remoteDom]; r != nil {
						if rp := r.ports[lp.remotePort]; rp != nil {
							rp.bound = false
						}
					}
				}
				delete(d.ports, p)
			}
		}
	}
	e.x.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("evtchn: already closed")
	}
	e.closed = true
	e.cond.Broadcast()
	return nil
}
