package xenstored

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"

	"xgo.dev/xgo/xenstore"
)

// Many connections of several domains at once, each checking that its
// own requests are answered in order with the right values, while
// watches, transactions, domain introduction and release run alongside.
func TestConcurrentConnections(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	for d := 1; d <= 4; d++ {
		home := "/local/domain/" + strconv.Itoa(d)
		dom0.mustOK(xenstore.TypeMkdir, 0, home)
		dom0.mustOK(xenstore.TypeSetPerms, 0, home, "n"+strconv.Itoa(d))
		s.IntroduceDomain(uint32(d))
	}
	watcher := dial(t, s, 0)
	watcher.watch("/local/domain", "all")

	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		domid := uint32(i%4 + 1)
		c := dial(t, s, domid)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				p := fmt.Sprintf("c%d/k%d", i, j%5)
				v := strconv.Itoa(j)
				// Pipeline two requests, then read both replies.
				id1 := c.send(xenstore.TypeWrite, 0, append([]byte(p+"\x00"), v...))
				id2 := c.send(xenstore.TypeRead, 0, []byte(p+"\x00"))
				r1, r2 := c.reply(), c.reply()
				if r1.ReqID != id1 || r2.ReqID != id2 {
					t.Errorf("replies out of order: %d %d for %d %d", r1.ReqID, r2.ReqID, id1, id2)
					return
				}
				if result(r1) != "OK|" || string(r2.Payload) != v {
					t.Errorf("conn %d: write %s, read %q", i, result(r1), r2.Payload)
					return
				}
				if j%10 == 0 {
					tx := c.txStart()
					c.write(tx, p, "tx")
					c.txEnd(tx, j%20 == 0)
				}
			}
		}(i)
	}
	// Domains coming and going while the others work.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 10; k < 30; k++ {
			s.IntroduceDomain(uint32(k))
			c := dial(t, s, uint32(k))
			c.call(xenstore.TypeRead, 0, "/tool")
			s.ReleaseDomain(uint32(k))
		}
	}()
	wg.Wait()
	watcher.pendingEvents()
	if err := s.Walk("/local/domain", func(Node) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func benchServer(b *testing.B) (*Server, net.Conn) {
	s := New(nil)
	b.Cleanup(func() { s.Close() })
	cli, srv := net.Pipe()
	go s.ServeConn(srv, 0)
	b.Cleanup(func() { cli.Close() })
	return s, cli
}

// roundTrip sends one request and reads its reply on a bare connection.
func roundTrip(b *testing.B, c net.Conn, m *xenstore.Message) {
	if err := xenstore.WriteMessage(c, m); err != nil {
		b.Fatal(err)
	}
	r, err := xenstore.ReadMessage(c)
	if err != nil {
		b.Fatal(err)
	}
	if r.Type == xenstore.TypeError {
		b.Fatalf("%s: %s", m.Type, r.Payload)
	}
}

func BenchmarkRead(b *testing.B) {
	_, c := benchServer(b)
	roundTrip(b, c, &xenstore.Message{Type: xenstore.TypeWrite, Payload: []byte("/local/domain/1/name\x00guest")})
	m := &xenstore.Message{Type: xenstore.TypeRead, Payload: []byte("/local/domain/1/name\x00")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		roundTrip(b, c, m)
	}
}

func BenchmarkWrite(b *testing.B) {
	_, c := benchServer(b)
	m := &xenstore.Message{Type: xenstore.TypeWrite, Payload: []byte("/local/domain/1/data/counter\x00some value")}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		roundTrip(b, c, m)
	}
}

// BenchmarkHandle measures request processing without the transport.
func BenchmarkHandle(b *testing.B) {
	s := New(nil)
	defer s.Close()
	c := &conn{s: s, qclosed: true} // replies are dropped; not in s.conns
	s.handle(c, &xenstore.Message{Type: xenstore.TypeWrite, Payload: []byte("/local/domain/1/name\x00guest")})
	for _, bc := range []struct {
		name string
		m    *xenstore.Message
	}{
		{"read", &xenstore.Message{Type: xenstore.TypeRead, Payload: []byte("/local/domain/1/name\x00")}},
		{"write", &xenstore.Message{Type: xenstore.TypeWrite, Payload: []byte("/local/domain/1/name\x00guest")}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s.handle(c, bc.m)
			}
		})
	}
}
