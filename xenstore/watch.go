package xenstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// WatchEvent is one firing of a watch.
type WatchEvent struct {
	// Path is the node that changed: the watched path or one below it, or
	// the special path itself (@introduceDomain, @releaseDomain). With
	// Overflow set it is the watched path.
	Path string
	// Token is the watch's token.
	Token string
	// Overflow reports that events were dropped because the consumer fell
	// more than Config.WatchBuffer events behind: anything under Path may
	// have changed, so re-read it.
	Overflow bool
}

// ErrWatchesReset is the Err of Watches ended by Conn.ResetWatches.
var ErrWatchesReset = errors.New("xenstore: watches reset")

// Watch is a registered XenStore watch. Its events arrive on Events in
// the order xenstored sent them; xenstored fires every new watch once
// straight away, and may fire spuriously, so treat an event as "re-read
// Path", never as a diff.
//
// Each Watch queues up to Config.WatchBuffer events for its consumer, so a
// slow consumer never holds up replies to other requests on the Conn or
// other watches. When the queue is full, further events are dropped and,
// once the consumer has drained the queue, it receives a single event with
// Overflow set instead of them.
//
// The Events channel is closed when the Watch ends: by Close, by
// Conn.ResetWatches, or when the Conn is closed or breaks; Err then says
// which.
type Watch struct {
	c     *Conn
	path  string
	token string
	max   int

	out    chan WatchEvent
	notify chan struct{} // cap 1: the queue gained an event
	stop   chan struct{} // closed by end

	mu       sync.Mutex
	queue    []WatchEvent
	handing  bool // pump holds one event taken from queue, not yet received
	overflow bool
	ended    bool
	err      error
	closing  bool
}

// Watch registers a watch on path (a node, or @introduceDomain or
// @releaseDomain) under token and returns it once xenstored has accepted
// it. The watch fires for changes to path and to everything below it.
// Tokens are strings without NUL; each must be unique on the Conn, and an
// empty token is replaced by a unique generated one (see Token). ctx bounds
// only the registration, not the life of the watch.
func (c *Conn) Watch(ctx context.Context, path, token string) (*Watch, error) {
	op := TypeWatch.String()
	if err := ValidateWatchPath(path); err != nil {
		return nil, &Error{Op: op, Path: path, Err: err}
	}
	if strings.IndexByte(token, 0) >= 0 {
		return nil, &Error{Op: op, Path: path, Err: fmt.Errorf("token %q contains a NUL: %w", token, ErrInvalid)}
	}
	generated := token == ""
	w := &Watch{
		c:      c,
		path:   path,
		max:    c.cfg.watchBuffer(),
		out:    make(chan WatchEvent),
		notify: make(chan struct{}, 1),
		stop:   make(chan struct{}),
	}

	// Register before sending: the first event can arrive before the
	// WATCH reply (on /dev/xen/xenbus it is queued by another kernel
	// thread).
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, &Error{Op: op, Path: path, Err: err}
	}
	for generated {
		token = "xgo-" + strconv.FormatUint(c.nextTok.Add(1), 10)
		if _, dup := c.watches[token]; !dup {
			break
		}
	}
	w.token = token
	if _, dup := c.watches[token]; dup {
		c.mu.Unlock()
		return nil, &Error{Op: op, Path: path, Err: fmt.Errorf("token %q is already used by a watch on this connection: %w", token, ErrExist)}
	}
	c.watches[token] = w
	c.mu.Unlock()
	go w.pump()

	var abandoned bool
	_, err := c.roundTrip(ctx, request{
		typ:       TypeWatch,
		path:      path,
		payload:   JoinPayload(path, token),
		abandoned: &abandoned,
		// ctx ended while xenstored was registering the watch: undo it
		// once it is registered, and only then free the token.
		onOrphan: func(m *Message) {
			if m.Type == TypeWatch {
				c.roundTrip(context.Background(), request{typ: TypeUnwatch, path: path, payload: JoinPayload(path, token)})
			}
			c.removeWatch(w)
		},
	})
	if err != nil {
		w.end(err)
		if !abandoned {
			c.removeWatch(w)
		}
		return nil, err
	}
	return w, nil
}

// Events returns the channel the watch's events arrive on. It is closed
// when the watch ends.
func (w *Watch) Events() <-chan WatchEvent { return w.out }

// Path is the watched path.
func (w *Watch) Path() string { return w.path }

// Token is the watch's token, as given to Conn.Watch or generated.
func (w *Watch) Token() string { return w.token }

// Err tells why the watch ended: nil while it runs and after Close, the
// connection's error if it was closed or broke, ErrWatchesReset after
// Conn.ResetWatches.
func (w *Watch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close unregisters the watch (UNWATCH) and closes its Events channel.
// Events still queued are discarded. Closing a watch whose connection has
// already ended does nothing and returns nil; a second Close returns nil.
func (w *Watch) Close() error {
	w.mu.Lock()
	if w.closing || w.ended {
		w.mu.Unlock()
		return nil
	}
	w.closing = true
	w.mu.Unlock()
	w.end(nil)

	_, err := w.c.roundTrip(context.Background(), request{typ: TypeUnwatch, path: w.path, payload: JoinPayload(w.path, w.token)})
	// Forget the token only now, so it cannot be reused while xenstored
	// may still fire the old watch.
	w.c.removeWatch(w)
	if err != nil && (errors.Is(err, ErrClosed) || errors.Is(err, ErrDisconnected)) {
		return nil
	}
	return err
}

// ResetWatches removes every watch of this connection in xenstored
// (RESET_WATCHES) and ends every Watch of the Conn with ErrWatchesReset.
func (c *Conn) ResetWatches(ctx context.Context) error {
	if _, err := c.roundTrip(ctx, request{typ: TypeResetWatches, payload: JoinPayload("")}); err != nil {
		return err
	}
	c.mu.Lock()
	ws := c.watches
	if c.err == nil {
		c.watches = make(map[string]*Watch)
	}
	c.mu.Unlock()
	for _, w := range ws {
		w.end(ErrWatchesReset)
	}
	return nil
}

func (c *Conn) removeWatch(w *Watch) {
	c.mu.Lock()
	if c.watches[w.token] == w {
		delete(c.watches, w.token)
	}
	c.mu.Unlock()
}

// dispatchEvent hands a WATCH_EVENT (`path\0token\0`) to its Watch. It
// never blocks.
func (c *Conn) dispatchEvent(m *Message) {
	p, tok, ok := bytes.Cut(m.Payload, []byte{0})
	if !ok {
		c.trace.note("dropped malformed WATCH_EVENT %q", m.Payload)
		return
	}
	tok = trimNUL(tok)
	if i := bytes.IndexByte(tok, 0); i >= 0 {
		tok = tok[:i] // Linux's xenbus driver may append extra data
	}
	ev := WatchEvent{Path: string(p), Token: string(tok)}
	c.mu.Lock()
	w := c.watches[ev.Token]
	c.mu.Unlock()
	if w == nil {
		c.trace.note("dropped WATCH_EVENT %s for unknown token %q", ev.Path, ev.Token)
		return
	}
	if !w.deliver(ev) {
		c.trace.note("watch %q is %d events behind: dropped event for %s", ev.Token, w.max, ev.Path)
	}
}

// deliver queues ev without blocking; false means it was dropped because
// the queue is full.
func (w *Watch) deliver(ev WatchEvent) bool {
	w.mu.Lock()
	if w.ended {
		w.mu.Unlock()
		return true
	}
	n := len(w.queue)
	if w.handing {
		n++
	}
	ok := n < w.max
	if ok {
		w.queue = append(w.queue, ev)
	} else {
		w.overflow = true
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return ok
}

// pump moves queued events to the consumer; it is the only sender on out
// and closes it when the watch ends.
func (w *Watch) pump() {
	defer close(w.out)
	for {
		w.mu.Lock()
		var ev WatchEvent
		have := true
		switch {
		case len(w.queue) > 0:
			ev = w.queue[0]
			w.queue[0] = WatchEvent{}
			w.queue = w.queue[1:]
			if len(w.queue) == 0 {
				w.queue = nil // let the backing array go
			}
		case w.overflow:
			ev = WatchEvent{Path: w.path, Token: w.token, Overflow: true}
			w.overflow = false
		default:
			have = false
		}
		w.handing = have
		w.mu.Unlock()
		if !have {
			select {
			case <-w.notify:
				continue
			case <-w.stop:
				return
			}
		}
		select {
		case w.out <- ev:
			w.mu.Lock()
			w.handing = false
			w.mu.Unlock()
		case <-w.stop:
			return
		}
	}
}

// end stops the watch locally: no more events, channel closed. err is what
// Err will report.
func (w *Watch) end(err error) {
	w.mu.Lock()
	if w.ended {
		w.mu.Unlock()
		return
	}
	w.ended = true
	w.err = err
	w.queue = nil
	w.overflow = false
	w.mu.Unlock()
	close(w.stop)
}
