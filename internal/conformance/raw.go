package conformance

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"xgo.dev/xgo/xenstore"
)

// RawConn speaks XenStore messages to a daemon without the client's
// checks, to see what the daemon does with requests the client would never
// send, and in which order replies and events arrive on the wire.
type RawConn struct {
	rwc   io.ReadWriteCloser
	in    chan *xenstore.Message
	done  chan struct{}
	err   error // after done
	reqID uint32
	sync  int
}

// NewRawConn starts reading messages from rwc.
func NewRawConn(rwc io.ReadWriteCloser) *RawConn {
	r := &RawConn{rwc: rwc, in: make(chan *xenstore.Message, 1024), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			m, err := xenstore.ReadMessage(rwc)
			if err != nil {
				r.err = err
				return
			}
			r.in <- m
		}
	}()
	return r
}

// Close closes the connection.
func (r *RawConn) Close() error { return r.rwc.Close() }

// Closed reports whether the daemon closed the connection.
func (r *RawConn) Closed() bool {
	select {
	case <-r.done:
		return len(r.in) == 0
	default:
		return false
	}
}

const rawWait = 3 * time.Second

// next returns the next message, or nil when the connection ended or
// nothing came within rawWait.
func (r *RawConn) next(ctx context.Context) (*xenstore.Message, string) {
	t := time.NewTimer(rawWait)
	defer t.Stop()
	select {
	case m := <-r.in:
		return m, ""
	default:
	}
	select {
	case m := <-r.in:
		return m, ""
	case <-r.done:
		select {
		case m := <-r.in:
			return m, ""
		default:
		}
		return nil, r.endText()
	case <-t.C:
		return nil, "no reply within " + rawWait.String()
	case <-ctx.Done():
		return nil, "no reply: " + ctx.Err().Error()
	}
}

// endText says how the connection ended.
func (r *RawConn) endText() string {
	switch {
	case errors.Is(r.err, xenstore.ErrPayloadTooBig):
		return "a message announcing more than 4096 payload bytes (unreadable)"
	case r.err == io.EOF || errors.Is(r.err, syscall.ECONNRESET):
		return "connection closed by xenstored"
	}
	return "connection ended: " + r.err.Error()
}

// Request sends one message and reads until its reply. It returns, in
// wire order, every message received up to and including the reply.
func (r *RawConn) Request(ctx context.Context, typ xenstore.MsgType, tx uint32, payload []byte) []string {
	r.reqID++
	id := r.reqID
	m := &xenstore.Message{Type: typ, ReqID: id, TxID: tx, Payload: payload}
	if err := xenstore.WriteMessage(r.rwc, m); err != nil {
		return []string{"write failed: " + err.Error()}
	}
	return r.until(ctx, id)
}

// SendOversized writes a header announcing n payload bytes, then n bytes,
// ignoring write errors (the daemon may close first), and reports what
// comes back.
func (r *RawConn) SendOversized(ctx context.Context, typ xenstore.MsgType, n int) []string {
	r.reqID++
	var h [xenstore.HeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(typ))
	binary.LittleEndian.PutUint32(h[4:], r.reqID)
	binary.LittleEndian.PutUint32(h[12:], uint32(n))
	buf := append(h[:], make([]byte, n)...)
	copy(buf[xenstore.HeaderSize:], "/xgo")
	r.rwc.Write(buf)
	return r.until(ctx, r.reqID)
}

func (r *RawConn) until(ctx context.Context, id uint32) []string {
	var out []string
	for {
		m, why := r.next(ctx)
		if m == nil {
			return append(out, why)
		}
		out = append(out, RenderMessage(m))
		if m.Type != xenstore.TypeWatchEvent && m.ReqID == id {
			return out
		}
	}
}

// Sync sets a watch on SyncPath and reads until its initial event; it
// returns the messages received before, without the sync's own.
func (r *RawConn) Sync(ctx context.Context) ([]string, error) {
	r.sync++
	tok := fmt.Sprintf("%sraw-%d", syncTokenPrefix, r.sync)
	r.reqID++
	id := r.reqID
	if err := xenstore.WriteMessage(r.rwc, &xenstore.Message{Type: xenstore.TypeWatch, ReqID: id, Payload: xenstore.JoinPayload(SyncPath, tok)}); err != nil {
		return nil, err
	}
	var out []string
	gotReply := false
	for {
		m, why := r.next(ctx)
		if m == nil {
			return out, fmt.Errorf("sync: %s", why)
		}
		switch {
		case m.Type != xenstore.TypeWatchEvent && m.ReqID == id:
			gotReply = true
		case m.Type == xenstore.TypeWatchEvent && strings.Contains(string(m.Payload), tok):
			if !gotReply {
				out = append(out, "(sync event before the sync reply)")
			}
			r.reqID++
			xenstore.WriteMessage(r.rwc, &xenstore.Message{Type: xenstore.TypeUnwatch, ReqID: r.reqID, Payload: xenstore.JoinPayload(SyncPath, tok)})
			rest := r.until(ctx, r.reqID)
			if len(rest) > 0 {
				out = append(out, rest[:len(rest)-1]...)
			}
			return out, nil
		default:
			out = append(out, RenderMessage(m))
		}
	}
}

// RenderMessage renders a message received: "event PATH TOKEN" for a
// watch event, else the type and the Go-quoted payload (the XS_ERROR name
// alone for an error).
func RenderMessage(m *xenstore.Message) string {
	switch m.Type {
	case xenstore.TypeWatchEvent:
		p := xenstore.SplitPayload(m.Payload)
		return "event " + strings.Join(p, " ")
	case xenstore.TypeError:
		return "ERROR " + strings.TrimSuffix(string(m.Payload), "\x00")
	case xenstore.TypeDirectoryPart:
		// The generation count depends on the daemon's history.
		if _, rest, ok := strings.Cut(string(m.Payload), "\x00"); ok {
			return m.Type.String() + " (generation) " + Quote([]byte(rest))
		}
	}
	return m.Type.String() + " " + Quote(m.Payload)
}
