package xenstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config tunes a Conn. A nil *Config means all defaults.
type Config struct {
	// Trace receives one line per message sent or received (direction,
	// type, req_id, tx_id, length, error name, start of the payload).
	// Nil means os.Stderr when the XGODEBUG environment variable lists
	// "xenstore" (XGODEBUG=xenstore or XGODEBUG=hypercall,xenstore), and
	// no tracing otherwise. Use io.Discard to turn tracing off whatever
	// XGODEBUG says.
	Trace io.Writer

	// MaxTxAttempts bounds how often Transact runs its function when the
	// commit keeps failing with EAGAIN. 0 means 16.
	MaxTxAttempts int

	// TxBackoff is the base of Transact's jittered exponential backoff
	// between attempts; the wait before attempt n is about
	// TxBackoff<<(n-2), capped at 64*TxBackoff. 0 means 1ms.
	TxBackoff time.Duration

	// WatchBuffer is how many events each Watch queues for a consumer that
	// is not keeping up. When the queue is full further events are
	// dropped and the consumer later receives one event with Overflow
	// set. 0 means 256.
	WatchBuffer int
}

const (
	defaultMaxTxAttempts = 16
	defaultTxBackoff     = time.Millisecond
	defaultWatchBuffer   = 256
)

func (cfg *Config) maxTxAttempts() int {
	if cfg == nil || cfg.MaxTxAttempts <= 0 {
		return defaultMaxTxAttempts
	}
	return cfg.MaxTxAttempts
}

func (cfg *Config) txBackoff() time.Duration {
	if cfg == nil || cfg.TxBackoff <= 0 {
		return defaultTxBackoff
	}
	return cfg.TxBackoff
}

func (cfg *Config) watchBuffer() int {
	if cfg == nil || cfg.WatchBuffer <= 0 {
		return defaultWatchBuffer
	}
	return cfg.WatchBuffer
}

// Errors of the connection itself, as opposed to refusals by xenstored.
var (
	// ErrClosed is returned by every call made after Close, and by calls
	// that were waiting for a reply when Close was called. It matches
	// net.ErrClosed too.
	ErrClosed = fmt.Errorf("xenstore: connection closed: %w", net.ErrClosed)

	// ErrDisconnected is wrapped, together with the transport's own error
	// (io.EOF, ECONNRESET, ...), in the error of every pending and later
	// call once the connection to xenstored broke.
	ErrDisconnected = errors.New("xenstore: connection to xenstored lost")

	// ErrProtocol reports a reply that does not fit its request: wrong
	// type, wrong tx_id or a malformed payload.
	ErrProtocol = errors.New("xenstore: protocol violation")

	// ErrTxDone is returned by a Tx's methods after Commit or Abort.
	ErrTxDone = errors.New("xenstore: transaction already committed or aborted")
)

// PayloadError reports a request the client refused to send because its
// payload (for example `path\0value` of a WRITE) is longer than the
// transport accepts: xenstored drops a connection that sends more than
// PayloadMax bytes, and /dev/xen/xenbus refuses more than PayloadMax-16.
// It matches ErrPayloadTooBig and ErrTooBig (E2BIG).
type PayloadError struct {
	Size int // payload bytes the request would have had
	Max  int // the transport's limit
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("request payload of %d bytes exceeds the %d-byte limit", e.Size, e.Max)
}

// Is makes errors.Is(err, ErrPayloadTooBig) and errors.Is(err, ErrTooBig)
// true.
func (e *PayloadError) Is(target error) bool {
	return target == ErrPayloadTooBig || target == ErrTooBig
}

// transport describes what differs between the xenstored socket and the
// /dev/xen/xenbus device.
type transport struct {
	maxPayload int
	// xenbus: a failed write() is the answer to that one request (the
	// Linux driver returns, for example, a refused WATCH's errno from
	// write), not a broken connection; and kernels before Linux 4.11
	// answer WATCH and UNWATCH with req_id 0.
	xenbus bool
}

var socketTransport = transport{maxPayload: PayloadMax}

// Conn is a connection to xenstored, over its Unix socket, over
// /dev/xen/xenbus, or over any io.ReadWriteCloser given to NewConn.
//
// A Conn is safe for concurrent use by multiple goroutines. Requests do not
// wait for each other: each gets the next req_id from an atomic counter and
// is written as one whole message (writes are serialised, never
// interleaved), and a single reader goroutine hands each reply to the caller
// whose req_id it carries, after checking that the reply's tx_id is the
// request's and its type is the request's or ERROR. WATCH_EVENT messages go
// to the Watch registered under their token; events for unknown tokens are
// dropped. A slow Watch consumer never delays replies (see Watch).
//
// A context passed to a method bounds the wait for that one reply. If it
// ends after the request was written, the request still takes effect in
// xenstored; its reply is read and discarded.
//
// Close may be called at any time from any goroutine. It interrupts every
// call waiting for a reply with an error matching ErrClosed and ends every
// Watch. If the transport breaks (EOF, a read or write error, a reply that
// cannot be framed), every pending and later call fails with an error
// matching ErrDisconnected and the transport's error.
type Conn struct {
	rwc   io.ReadWriteCloser
	tr    transport
	cfg   Config
	trace *tracer

	nextReq atomic.Uint32
	nextTok atomic.Uint64
	wsem    chan struct{} // one writer at a time; a channel so waits honour ctx

	mu      sync.Mutex
	err     error // set once: ErrClosed or a wrapped ErrDisconnected
	pending map[uint32]*call
	seq     uint64 // orders pending calls, for the legacy xenbus match
	watches map[string]*Watch

	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed when the connection ends, either way
}

// call is one request waiting for its reply.
type call struct {
	typ      MsgType
	seq      uint64
	ch       chan result   // buffered: exactly one result is ever sent
	state    atomic.Uint32 // callWaiting, then callAnswered or callAbandoned
	onOrphan func(*Message)
}

// call states: whoever moves a call out of callWaiting decides whether the
// result goes to the caller (answered) or is the reader's to dispose of
// (abandoned), so no reply can fall between the two.
const (
	callWaiting uint32 = iota
	callAnswered
	callAbandoned
)

// answer hands r to the caller unless it has given up; it reports whether
// it did.
func (cl *call) answer(r result) bool {
	if !cl.state.CompareAndSwap(callWaiting, callAnswered) {
		return false
	}
	cl.ch <- r // buffered: never blocks
	return true
}

type result struct {
	m   *Message
	err error
}

// NewConn returns a Conn speaking the XenStore wire protocol over rwc,
// which it owns from now on: Close closes it. Messages are written with one
// Write call each; reads may return any number of bytes. Use it for
// transports Dial does not know, and in tests with net.Pipe or a socket to
// an in-process xenstored.
func NewConn(rwc io.ReadWriteCloser, cfg *Config) *Conn {
	return newConn(rwc, cfg, socketTransport)
}

func newConn(rwc io.ReadWriteCloser, cfg *Config, tr transport) *Conn {
	c := &Conn{
		rwc:     rwc,
		tr:      tr,
		wsem:    make(chan struct{}, 1),
		pending: make(map[uint32]*call),
		watches: make(map[string]*Watch),
		done:    make(chan struct{}),
	}
	if cfg != nil {
		c.cfg = *cfg
	}
	w := c.cfg.Trace
	if w == nil && debugEnabled(os.Getenv("XGODEBUG"), "xenstore") {
		w = os.Stderr
	}
	if w != nil && w != io.Discard {
		c.trace = &tracer{w: w}
	}
	go c.readLoop()
	return c
}

// Close closes the connection. Calls waiting for a reply return an error
// matching ErrClosed, every Watch's channel is closed, and transactions
// still open are aborted by xenstored when it sees the connection go.
// Close returns the transport's Close error; later calls return nil.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.fail(ErrClosed)
	})
	return c.closeErr
}

// fail ends the connection with err (first caller wins), closes the
// transport and fails everything waiting. It returns the transport's Close
// error.
func (c *Conn) fail(err error) error {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return nil
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	watches := c.watches
	c.watches = nil
	c.mu.Unlock()

	close(c.done)
	cerr := c.rwc.Close()
	for _, cl := range pending {
		cl.answer(result{err: err})
	}
	for _, w := range watches {
		w.end(err)
	}
	return cerr
}

// Done returns a channel that is closed when the connection ends, by
// Close or because the transport broke; Err then tells which.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the connection works, then an error matching
// ErrClosed or ErrDisconnected.
func (c *Conn) Err() error { return c.connErr() }

// connErr is the error that ended the connection, or nil.
func (c *Conn) connErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Conn) readLoop() {
	br := bufio.NewReaderSize(c.rwc, HeaderSize+PayloadMax)
	for {
		m, err := ReadMessage(br)
		if err != nil {
			if errors.Is(err, ErrPayloadTooBig) {
				err = fmt.Errorf("%w: %w", ErrProtocol, err)
			}
			c.fail(fmt.Errorf("%w: %w", ErrDisconnected, err))
			return
		}
		c.trace.message("<-", m)
		if m.Type == TypeWatchEvent {
			// Not matched by req_id: xenstored sends 0, and Linux's
			// xenbus driver leaves req_id and tx_id uninitialised.
			c.dispatchEvent(m)
			continue
		}
		c.mu.Lock()
		cl := c.pending[m.ReqID]
		if cl != nil {
			delete(c.pending, m.ReqID)
		} else if c.tr.xenbus && m.ReqID == 0 && (m.Type == TypeWatch || m.Type == TypeUnwatch) {
			cl = c.oldestPendingLocked(m.Type)
		}
		c.mu.Unlock()
		if cl == nil {
			c.trace.note("dropped %s reply with unknown req_id %d", m.Type, m.ReqID)
			continue
		}
		if !cl.answer(result{m: m}) && cl.onOrphan != nil {
			go cl.onOrphan(m)
		}
	}
}

// oldestPendingLocked finds and removes the oldest pending request of type
// t. Linux kernels before 4.11 answer WATCH and UNWATCH on /dev/xen/xenbus
// with req_id 0, synchronously and in order. c.mu must be held.
func (c *Conn) oldestPendingLocked(t MsgType) *call {
	var best *call
	var id uint32
	for k, cl := range c.pending {
		if cl.typ == t && (best == nil || cl.seq < best.seq) {
			best, id = cl, k
		}
	}
	if best != nil {
		delete(c.pending, id)
	}
	return best
}

// request is one request as the methods build it.
type request struct {
	typ     MsgType
	tx      uint32
	path    string // for errors; "" if the request names none
	payload []byte
	// onOrphan, if set, gets the reply (or ERROR) when the caller
	// stopped waiting after the request was sent: Begin uses it to abort
	// a transaction nobody will use, Watch to undo a watch nobody reads.
	onOrphan func(*Message)
	// abandoned, if set, is set to true when roundTrip returns because
	// ctx ended after the request was sent: onOrphan will then run if
	// the reply ever comes.
	abandoned *bool
}

// roundTrip sends req and waits for its reply. A reply of type ERROR
// becomes an *Error; so does every other failure, with Op and Path set.
func (c *Conn) roundTrip(ctx context.Context, req request) (*Message, error) {
	opErr := func(err error) error {
		return &Error{Op: req.typ.String(), Path: req.path, Err: err}
	}
	if n := len(req.payload); n > c.tr.maxPayload {
		return nil, opErr(&PayloadError{Size: n, Max: c.tr.maxPayload})
	}
	if err := ctx.Err(); err != nil {
		return nil, opErr(err)
	}

	m := &Message{Type: req.typ, TxID: req.tx, Payload: req.payload}
	cl := &call{typ: req.typ, ch: make(chan result, 1), onOrphan: req.onOrphan}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, opErr(err)
	}
	for {
		// req_id 0 is never used, so a legacy xenbus reply with req_id 0
		// cannot be mistaken for the answer to a real request.
		m.ReqID = c.nextReq.Add(1)
		if _, busy := c.pending[m.ReqID]; m.ReqID != 0 && !busy {
			break
		}
	}
	c.seq++
	cl.seq = c.seq
	c.pending[m.ReqID] = cl
	c.mu.Unlock()

	if err := c.send(ctx, m); err != nil {
		c.forget(m.ReqID, cl)
		var xe *Error
		if errors.As(err, &xe) { // refused by the xenbus driver
			xe.Path = req.path
			return nil, xe
		}
		return nil, opErr(err)
	}

	select {
	case r := <-cl.ch:
		return c.checkReply(req, m, r)
	case <-ctx.Done():
		if !cl.state.CompareAndSwap(callWaiting, callAbandoned) {
			// The result was handed over just now.
			return c.checkReply(req, m, <-cl.ch)
		}
		if req.abandoned != nil {
			*req.abandoned = true
		}
		return nil, opErr(ctx.Err())
	}
}

// forget removes a request that was never sent, or whose write failed.
func (c *Conn) forget(id uint32, cl *call) {
	c.mu.Lock()
	if c.pending[id] == cl {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// send writes m as one Write call. A write error breaks the connection,
// except on xenbus, where the driver answers some requests with write()'s
// errno (e.g. a refused WATCH).
func (c *Conn) send(ctx context.Context, m *Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.connErr()
	}
	defer func() { <-c.wsem }()
	if err := c.connErr(); err != nil {
		return err
	}
	c.trace.message("->", m)
	_, err = c.rwc.Write(b)
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if c.tr.xenbus && errors.As(err, &errno) && errno != syscall.EBADF {
		// The driver's answer to this request, e.g. the errno xenstored
		// gave the kernel for a WATCH. The connection is fine.
		name := xsdName(errno)
		c.trace.note("%s req_id=%d refused by the xenbus driver: %v %s", m.Type, m.ReqID, errno, name)
		return &Error{Op: m.Type.String(), Name: name, Err: errno}
	}
	if cerr := c.connErr(); cerr != nil {
		return cerr // closed while writing
	}
	err = fmt.Errorf("%w: %w", ErrDisconnected, err)
	c.fail(err)
	return err
}

// checkReply validates r against the request it answers.
func (c *Conn) checkReply(req request, sent *Message, r result) (*Message, error) {
	if r.err != nil {
		return nil, &Error{Op: req.typ.String(), Path: req.path, Err: r.err}
	}
	m := r.m
	if m.Type == TypeError {
		return nil, replyError(req.typ, req.path, m.Payload)
	}
	var bad string
	switch {
	case m.Type != sent.Type:
		bad = fmt.Sprintf("reply of type %s to req_id %d", m.Type, sent.ReqID)
	case m.TxID != sent.TxID && sent.Type != TypeTransactionStart:
		// TRANSACTION_START is exempt: its request has tx_id 0, and a
		// daemon may put the new transaction's id in the reply header.
		bad = fmt.Sprintf("reply with tx_id %d to a request with tx_id %d", m.TxID, sent.TxID)
	}
	if bad != "" {
		c.trace.note("%s", bad)
		return nil, &Error{Op: req.typ.String(), Path: req.path, Err: fmt.Errorf("%w: %s", ErrProtocol, bad)}
	}
	return m, nil
}

// protocolError reports a reply payload that does not parse.
func protocolError(op MsgType, path, format string, args ...any) error {
	return &Error{Op: op.String(), Path: path, Err: fmt.Errorf("%w: "+format, append([]any{ErrProtocol}, args...)...)}
}
