package backend

import (
	"errors"
	"os"
	"sync"
	"time"
)

// Grants maps pages other domains granted to this one: on a real host
// /dev/xen/gntdev (hypercall.Gntdev, through GntdevGrants), in tests
// package simguest's in-memory grant table.
type Grants interface {
	// Map maps the pages domid granted under refs into one contiguous
	// mapping, read-only unless writable. A bad reference is an error,
	// never a crash.
	Map(domid uint32, refs []uint32, writable bool) (Mapping, error)
}

// Mapping is mapped grant pages.
type Mapping interface {
	Bytes() []byte // 4096 × len(refs) octets
	Unmap() error  // idempotent
}

// Events is an event channel handle: on a real host /dev/xen/evtchn
// (*hypercall.Evtchn fits it as is), in tests package simguest's
// in-memory channels.
type Events interface {
	BindInterdomain(domid, remotePort uint32) (uint32, error)
	Unbind(port uint32) error
	Notify(port uint32) error
	// Pending blocks until bound ports fire and returns them; each is
	// masked until Unmask. It fails once the handle is closed.
	Pending() ([]uint32, error)
	Unmask(ports ...uint32) error
	Close() error
}

// mux shares one Events handle between every stream: one goroutine
// reads Pending and wakes the stream that owns each port.
//
// A port that fires more than eventsPerSec times a second (after a
// burst of eventBurst) stays masked until its bucket has a token again:
// a guest notifying in a loop costs the backend a bounded number of
// wake-ups, and Xen holds its further notifications meanwhile.
type mux struct {
	ev    Events
	mu    sync.Mutex
	ports map[uint32]*muxPort
	done  chan struct{}
	err   error
}

type muxPort struct {
	kick     chan struct{}
	events   bucket
	deferred bool // an unmask is scheduled
}

func newMux(ev Events) *mux {
	m := &mux{ev: ev, ports: map[uint32]*muxPort{}, done: make(chan struct{})}
	go m.run()
	return m
}

// maxEventErrors is how many failed reads in a row end the backend.
const maxEventErrors = 100

func (m *mux) run() {
	defer close(m.done)
	failures := 0
	for {
		ports, err := m.ev.Pending()
		if err != nil {
			failures++
			if errors.Is(err, os.ErrClosed) || failures >= maxEventErrors {
				m.mu.Lock()
				m.err = err
				m.mu.Unlock()
				return
			}
			// The driver's ring overflowed (EFBIG) or a read failed:
			// events may be lost, so every stream looks at its ring.
			m.mu.Lock()
			for _, mp := range m.ports {
				mp.poke()
			}
			m.mu.Unlock()
			time.Sleep(time.Millisecond)
			continue
		}
		failures = 0
		now := time.Now()
		unmask := ports[:0:0]
		m.mu.Lock()
		for _, p := range ports {
			mp := m.ports[p]
			if mp == nil {
				unmask = append(unmask, p) // a port nobody reads (events ring): nothing to wake
				continue
			}
			mp.poke()
			if ok, wait := mp.events.take(now); ok {
				unmask = append(unmask, p)
			} else if !mp.deferred {
				mp.deferred = true
				time.AfterFunc(wait, func() { m.unmaskLater(p, mp) })
			}
		}
		m.mu.Unlock()
		_ = m.ev.Unmask(unmask...) // a port unbound meanwhile cannot be unmasked; nothing to do
	}
}

// unmaskLater unmasks a port that was held masked, if it is still bound
// to the same stream.
func (m *mux) unmaskLater(p uint32, mp *muxPort) {
	m.mu.Lock()
	mp.deferred = false
	bound := m.ports[p] == mp
	if bound {
		mp.events.take(time.Now())
	}
	m.mu.Unlock()
	if bound {
		mp.poke() // whatever came while it was masked
		_ = m.ev.Unmask(p)
	}
}

func (mp *muxPort) poke() {
	select {
	case mp.kick <- struct{}{}:
	default: // already kicked
	}
}

// bind binds a port of domid and returns the local port and the channel
// that receives its events (nil for a port whose events nobody reads).
func (m *mux) bind(domid, remote uint32, kick chan struct{}) (uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	port, err := m.ev.BindInterdomain(domid, remote)
	if err != nil {
		return 0, err
	}
	if kick != nil {
		m.ports[port] = &muxPort{kick: kick, events: newBucket(eventsPerSec, eventBurst)}
	}
	return port, nil
}

func (m *mux) unbind(port uint32) error {
	m.mu.Lock()
	delete(m.ports, port)
	m.mu.Unlock()
	return m.ev.Unbind(port)
}

func (m *mux) notify(port uint32) error { return m.ev.Notify(port) }
