// Package xenstoretest provides a scripted XenStore peer for tests of code
// that uses package xenstore: the client speaks real wire bytes to it, the
// peer records every request and answers with what a Handler returns.
//
// Use it to force the answers a real daemon gives rarely or never on
// demand (EAGAIN at commit, E2BIG, a reply with the wrong type, a hung
// daemon). For a working store with real semantics use the in-process
// daemon, package xenstore/xenstored.
package xenstoretest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"

	"xgo.dev/xgo/xenstore"
)

// A Handler answers one request. It returns the messages to send back, in
// order: usually one reply built with Reply, OK or Error, possibly preceded
// or followed by Event messages. Returning nothing leaves the request
// unanswered (Peer.Send can answer it later). A nil Handler answers every
// request with OK.
type Handler func(req *xenstore.Message) []*xenstore.Message

// Peer is the daemon end of a connection. Its methods are safe for
// concurrent use.
type Peer struct {
	rwc io.ReadWriteCloser
	h   Handler

	wmu sync.Mutex // one message per write, as xenstored does

	mu   sync.Mutex
	raw  [][]byte
	reqs []*xenstore.Message
	err  error

	done chan struct{}
}

// Dial returns a client Conn and the Peer at the other end of an in-memory
// pipe. Closing either end stops both.
func Dial(h Handler, cfg *xenstore.Config) (*xenstore.Conn, *Peer) {
	a, b := net.Pipe()
	p := Serve(b, h)
	return xenstore.NewConn(a, cfg), p
}

// Serve runs a Peer on rwc (for example the server side of a Unix socket)
// in a new goroutine until rwc fails or is closed.
func Serve(rwc io.ReadWriteCloser, h Handler) *Peer {
	p := &Peer{rwc: rwc, h: h, done: make(chan struct{})}
	go p.loop()
	return p
}

func (p *Peer) loop() {
	defer close(p.done)
	for {
		raw, m, err := readRaw(p.rwc)
		if raw != nil {
			p.mu.Lock()
			p.raw = append(p.raw, raw)
			if m != nil {
				p.reqs = append(p.reqs, m)
			}
			p.mu.Unlock()
		}
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			p.rwc.Close()
			return
		}
		var out []*xenstore.Message
		if p.h == nil {
			out = []*xenstore.Message{OK(m)}
		} else {
			out = p.h(m)
		}
		if err := p.Send(out...); err != nil {
			p.rwc.Close()
			return
		}
	}
}

// errTooLong is how the peer ends a connection whose client sent a
// message over the limit, as xenstored does.
var errTooLong = errors.New("xenstoretest: request payload over 4096 bytes; connection dropped")

// readRaw reads one message and returns its exact bytes. A header
// announcing more than PayloadMax is returned as raw bytes with an error.
func readRaw(r io.Reader) ([]byte, *xenstore.Message, error) {
	var h [xenstore.HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, nil, err
	}
	n := binary.LittleEndian.Uint32(h[12:])
	if n > xenstore.PayloadMax {
		return h[:], nil, errTooLong
	}
	raw := make([]byte, xenstore.HeaderSize+int(n))
	copy(raw, h[:])
	if _, err := io.ReadFull(r, raw[xenstore.HeaderSize:]); err != nil {
		return nil, nil, err
	}
	m := new(xenstore.Message)
	if err := m.UnmarshalBinary(raw); err != nil {
		return raw, nil, err
	}
	return raw, m, nil
}

// Send writes messages to the client, each with one Write: late replies,
// unsolicited WATCH_EVENTs, or garbage.
func (p *Peer) Send(msgs ...*xenstore.Message) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	for _, m := range msgs {
		if m == nil {
			continue
		}
		if err := xenstore.WriteMessage(p.rwc, m); err != nil {
			return err
		}
	}
	return nil
}

// SendRaw writes b as is, for replies the codec would not produce.
func (p *Peer) SendRaw(b []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err := p.rwc.Write(b)
	return err
}

// Requests returns the requests received so far, decoded.
func (p *Peer) Requests() []*xenstore.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*xenstore.Message(nil), p.reqs...)
}

// Raw returns the exact bytes of each request received so far (for a
// message over the limit, only its header).
func (p *Peer) Raw() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.raw...)
}

// Close closes the peer's end; the client sees EOF.
func (p *Peer) Close() error { return p.rwc.Close() }

// Done is closed when the peer has stopped.
func (p *Peer) Done() <-chan struct{} { return p.done }

// Err is why the peer stopped (io.EOF when the client closed), or nil while
// it runs.
func (p *Peer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Reply answers req with payload: same type, req_id and tx_id.
func Reply(req *xenstore.Message, payload []byte) *xenstore.Message {
	return &xenstore.Message{Type: req.Type, ReqID: req.ReqID, TxID: req.TxID, Payload: payload}
}

// ReplyString answers req with s and a terminating NUL, as xenstored sends
// string results (GET_DOMAIN_PATH, TRANSACTION_START, ...).
func ReplyString(req *xenstore.Message, s string) *xenstore.Message {
	return Reply(req, append([]byte(s), 0))
}

// OK answers req with "OK\0".
func OK(req *xenstore.Message) *xenstore.Message {
	return Reply(req, []byte("OK\x00"))
}

// Error answers req with an XS_ERROR carrying name (e.g. "ENOENT").
func Error(req *xenstore.Message, name string) *xenstore.Message {
	return &xenstore.Message{Type: xenstore.TypeError, ReqID: req.ReqID, TxID: req.TxID, Payload: append([]byte(name), 0)}
}

// Event is a WATCH_EVENT for path under token, as xenstored sends it
// (req_id and tx_id 0).
func Event(path, token string) *xenstore.Message {
	return &xenstore.Message{Type: xenstore.TypeWatchEvent, Payload: xenstore.JoinPayload(path, token)}
}

// Args splits a request's payload into its NUL-terminated arguments; for a
// WRITE the last one is the value.
func Args(req *xenstore.Message) []string {
	if req.Type == xenstore.TypeWrite {
		for i, b := range req.Payload {
			if b == 0 {
				return []string{string(req.Payload[:i]), string(req.Payload[i+1:])}
			}
		}
	}
	return xenstore.SplitPayload(req.Payload)
}
