package xenstored

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

// testClient speaks raw XenStore messages to a Server, separating replies
// from watch events as they arrive.
type testClient struct {
	t       testing.TB
	conn    net.Conn
	mu      sync.Mutex
	reqID   uint32
	replies chan *xenstore.Message
	events  chan *xenstore.Message
	done    chan struct{}
}

func newTestServer(t testing.TB, cfg *Config) *Server {
	t.Helper()
	s := New(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

// dial connects as domid through net.Pipe and ServeConn.
func dial(t testing.TB, s *Server, domid uint32) *testClient {
	t.Helper()
	cli, srv := net.Pipe()
	go s.ServeConn(srv, domid)
	return newTestClient(t, cli)
}

func newTestClient(t testing.TB, c net.Conn) *testClient {
	tc := &testClient{
		t:       t,
		conn:    c,
		replies: make(chan *xenstore.Message, 1024),
		events:  make(chan *xenstore.Message, 1024),
		done:    make(chan struct{}),
	}
	go func() {
		defer close(tc.done)
		for {
			m, err := xenstore.ReadMessage(c)
			if err != nil {
				return
			}
			if m.Type == xenstore.TypeWatchEvent {
				tc.events <- m
			} else {
				tc.replies <- m
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return tc
}

// send writes one request and returns its req_id.
func (c *testClient) send(typ xenstore.MsgType, tx uint32, payload []byte) uint32 {
	c.t.Helper()
	c.mu.Lock()
	c.reqID++
	id := c.reqID
	c.mu.Unlock()
	if err := xenstore.WriteMessage(c.conn, &xenstore.Message{Type: typ, ReqID: id, TxID: tx, Payload: payload}); err != nil {
		c.t.Fatalf("write %s: %v", typ, err)
	}
	return id
}

func (c *testClient) reply() *xenstore.Message {
	c.t.Helper()
	select {
	case m := <-c.replies:
		return m
	case <-c.done:
		c.t.Fatalf("connection closed while waiting for a reply")
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no reply within 5s")
	}
	return nil
}

// do sends a request and waits for its reply, checking req_id and tx_id.
func (c *testClient) do(typ xenstore.MsgType, tx uint32, payload []byte) *xenstore.Message {
	c.t.Helper()
	id := c.send(typ, tx, payload)
	m := c.reply()
	if m.ReqID != id || m.TxID != tx {
		c.t.Fatalf("%s: reply req_id %d tx_id %d, want %d %d", typ, m.ReqID, m.TxID, id, tx)
	}
	if m.Type != typ && m.Type != xenstore.TypeError {
		c.t.Fatalf("%s: reply type %s", typ, m.Type)
	}
	return m
}

// result renders a reply for comparisons: "ENOENT" for an error, else the
// payload with NULs shown as "|".
func result(m *xenstore.Message) string {
	if m.Type == xenstore.TypeError {
		return strings.TrimSuffix(string(m.Payload), "\x00")
	}
	return strings.ReplaceAll(string(m.Payload), "\x00", "|")
}

func (c *testClient) call(typ xenstore.MsgType, tx uint32, args ...string) string {
	c.t.Helper()
	return result(c.do(typ, tx, xenstore.JoinPayload(args...)))
}

func (c *testClient) mustOK(typ xenstore.MsgType, tx uint32, args ...string) {
	c.t.Helper()
	if got := c.call(typ, tx, args...); got != "OK|" {
		c.t.Fatalf("%s %q: got %q, want OK", typ, args, got)
	}
}

func (c *testClient) write(tx uint32, path, value string) string {
	c.t.Helper()
	return result(c.do(xenstore.TypeWrite, tx, append([]byte(path+"\x00"), value...)))
}

func (c *testClient) mustWrite(tx uint32, path, value string) {
	c.t.Helper()
	if got := c.write(tx, path, value); got != "OK|" {
		c.t.Fatalf("WRITE %s: %s", path, got)
	}
}

func (c *testClient) read(tx uint32, path string) string {
	c.t.Helper()
	return c.call(xenstore.TypeRead, tx, path)
}

func (c *testClient) setPerms(tx uint32, path string, perms ...string) string {
	c.t.Helper()
	return c.call(xenstore.TypeSetPerms, tx, append([]string{path}, perms...)...)
}

func (c *testClient) txStart() uint32 {
	c.t.Helper()
	m := c.do(xenstore.TypeTransactionStart, 0, []byte{0})
	if m.Type == xenstore.TypeError {
		c.t.Fatalf("TRANSACTION_START: %s", result(m))
	}
	var id uint32
	if _, err := fmt.Sscanf(strings.TrimSuffix(string(m.Payload), "\x00"), "%d", &id); err != nil {
		c.t.Fatalf("TRANSACTION_START reply %q: %v", m.Payload, err)
	}
	return id
}

func (c *testClient) txEnd(tx uint32, commit bool) string {
	c.t.Helper()
	arg := "F"
	if commit {
		arg = "T"
	}
	return c.call(xenstore.TypeTransactionEnd, tx, arg)
}

// event waits for the next watch event and returns "path token".
func (c *testClient) event() string {
	c.t.Helper()
	select {
	case m := <-c.events:
		if m.ReqID != 0 || m.TxID != 0 {
			c.t.Fatalf("watch event with req_id %d tx_id %d", m.ReqID, m.TxID)
		}
		p := xenstore.SplitPayload(m.Payload)
		if len(p) != 2 {
			c.t.Fatalf("watch event payload %q", m.Payload)
		}
		return p[0] + " " + p[1]
	case <-time.After(5 * time.Second):
		c.t.Fatalf("no watch event within 5s")
	}
	return ""
}

// sync does a harmless round trip so that all events caused by earlier
// requests (of any connection whose reply was already read) have arrived.
func (c *testClient) sync() {
	c.t.Helper()
	c.call(xenstore.TypeGetDomainPath, 0, "0")
}

// pendingEvents returns the events received so far (after a sync).
func (c *testClient) pendingEvents() []string {
	c.t.Helper()
	c.sync()
	var out []string
	for {
		select {
		case m := <-c.events:
			p := xenstore.SplitPayload(m.Payload)
			out = append(out, strings.Join(p, " "))
		default:
			return out
		}
	}
}

func (c *testClient) watch(path, token string) {
	c.t.Helper()
	c.mustOK(xenstore.TypeWatch, 0, path, token)
	if got, want := c.event(), path+" "+token; got != want {
		c.t.Fatalf("initial event %q, want %q", got, want)
	}
}

// closed reports whether the server closed the connection within d.
func (c *testClient) closed(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}
