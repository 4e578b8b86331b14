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
