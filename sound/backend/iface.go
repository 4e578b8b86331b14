package backend

import (
	"errors"
	"os"
	"sync"
	"time"

	"xgo.dev/xgo/xendev"
)

// mux shares one Events handle between every stream: one goroutine
// reads Pending and wakes the stream that owns each port.
//
// A port that fires more than eventsPerSec times a second (after a
// burst of eventBurst) stays masked until its bucket has a token again:
// a guest notifying in a loop costs the backend a bounded number of
// wake-ups, and Xen holds its further notifications meanwhile.
type mux struct {
	ev    xendev.Events
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

func newMux(ev xendev.Events) *mux {
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
