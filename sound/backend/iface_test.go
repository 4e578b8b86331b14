package backend

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// scriptEvents returns the scripted results of Pending, then blocks
// until closed.
type scriptEvents struct {
	mu     sync.Mutex
	script []any // []uint32 or error
	closed chan struct{}
	next   uint32
}

func (e *scriptEvents) BindInterdomain(domid, remote uint32) (uint32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	return e.next, nil
}
func (e *scriptEvents) Unbind(uint32) error    { return nil }
func (e *scriptEvents) Notify(uint32) error    { return nil }
func (e *scriptEvents) Unmask(...uint32) error { return nil }
func (e *scriptEvents) Close() error           { close(e.closed); return nil }
func (e *scriptEvents) Pending() ([]uint32, error) {
	e.mu.Lock()
	if len(e.script) > 0 {
		r := e.script[0]
		e.script = e.script[1:]
		e.mu.Unlock()
		if err, ok := r.(error); ok {
			return nil, err
		}
		return r.([]uint32), nil
	}
	e.mu.Unlock()
	<-e.closed
	return nil, os.ErrClosed
}

// TestMuxSurvivesLostEvents: a failed read (the driver's ring
// overflowed) wakes every stream instead of ending the backend; a
// closed handle ends it.
func TestMuxSurvivesLostEvents(t *testing.T) {
	ev := &scriptEvents{closed: make(chan struct{})}
	a, b := make(chan struct{}, 1), make(chan struct{}, 1)
	m := &mux{ev: ev, ports: map[uint32]*muxPort{}, done: make(chan struct{})}
	pa, _ := m.bind(1, 10, a)
	m.bind(1, 11, b)
	// Port a fires, then a read fails: b, whose event was lost, must
	// be woken too.
	ev.script = []any{[]uint32{pa}, syscall.EFBIG}
	go m.run()
	for _, ch := range []chan struct{}{a, b} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("a stream was not woken")
		}
	}
	select {
	case <-m.done:
		t.Fatal("the mux ended on a failed read")
	case <-time.After(20 * time.Millisecond):
	}
	ev.Close()
	<-m.done
	if !errors.Is(m.err, os.ErrClosed) {
		t.Fatalf("mux ended with %v", m.err)
	}
}

// stormEvents is a guest that notifies its port as fast as it can: the
// port is pending again as soon as it is unmasked, as on Xen.
type stormEvents struct {
	mu        sync.Mutex
	cond      *sync.Cond
	masked    bool
	closed    bool
	delivered int
}

func newStormEvents() *stormEvents {
	e := &stormEvents{}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (e *stormEvents) BindInterdomain(domid, remote uint32) (uint32, error) { return 7, nil }
func (e *stormEvents) Unbind(uint32) error                                  { return nil }
func (e *stormEvents) Notify(uint32) error                                  { return nil }
func (e *stormEvents) Close() error {
	e.mu.Lock()
	e.closed = true
	e.cond.Broadcast()
	e.mu.Unlock()
	return nil
}
func (e *stormEvents) Unmask(ports ...uint32) error {
	e.mu.Lock()
	if len(ports) > 0 {
		e.masked = false
		e.cond.Broadcast()
	}
	e.mu.Unlock()
	return nil
}
func (e *stormEvents) Pending() ([]uint32, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.masked && !e.closed {
		e.cond.Wait()
	}
	if e.closed {
		return nil, os.ErrClosed
	}
	e.masked = true // delivered: masked until unmasked
	e.delivered++
	return []uint32{7}, nil
}

// TestEventStormIsBounded: a port that fires without pause wakes its
// stream at most eventBurst times at once and eventsPerSec a second
// after that, because the mux leaves it masked meanwhile.
func TestEventStormIsBounded(t *testing.T) {
	ev := newStormEvents()
	kick := make(chan struct{}, 1)
	m := newMux(ev)
	if _, err := m.bind(1, 5, kick); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range kick {
		}
	}()
	start := time.Now()
	time.Sleep(300 * time.Millisecond)
	ev.mu.Lock()
	n, el := ev.delivered, time.Since(start).Seconds()
	ev.mu.Unlock()
	ev.Close()
	<-m.done
	if limit := eventBurst + int(eventsPerSec*el) + 50; n > limit {
		t.Errorf("%d notifications delivered in %.2f s, more than the bound %d", n, el, limit)
	}
	if n < eventBurst {
		t.Errorf("only %d notifications delivered: the storm did not run", n)
	}
	t.Logf("%d notifications delivered in %.2f s", n, el)
}
