package xenstore_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"xgo.dev/xgo/internal/xenstoretest"
	"xgo.dev/xgo/xenstore"
)

// Round trips over a real Unix socket in b.TempDir(), sequential and with
// 64 requests in flight on one Conn. "Daemon" is the in-process xenstored
// (real tree, permission checks, one server-wide lock); "Fake" is the
// scripted peer with a map, which shows the client's own cost.
//
//	go test -run '^$' -bench . -benchmem ./xenstore/

func BenchmarkDaemon(b *testing.B) {
	_, sock := startDaemon(b)
	benchConn(b, dialDaemon(b, sock, nil))
}

func BenchmarkFake(b *testing.B) {
	sock := filepath.Join(b.TempDir(), "fake")
	l, err := net.Listen("unix", sock)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			xenstoretest.Serve(nc, memHandler())
		}
	}()
	benchConn(b, dialDaemon(b, sock, nil))
}

func benchConn(b *testing.B, c *xenstore.Conn) {
	ctx := context.Background()
	value := make([]byte, 64)
	for i := range 64 {
		if err := c.Write(ctx, fmt.Sprintf("/bench/k%d", i), value); err != nil {
			b.Fatal(err)
		}
	}
	read := func(i int) error {
		_, err := c.Read(ctx, fmt.Sprintf("/bench/k%d", i%64))
		return err
	}
	write := func(i int) error {
		return c.Write(ctx, fmt.Sprintf("/bench/k%d", i%64), value)
	}
	for _, op := range []struct {
		name string
		fn   func(int) error
	}{{"Read", read}, {"Write", write}} {
		b.Run(op.name+"/sequential", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := op.fn(i); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(op.name+"/64-in-flight", func(b *testing.B) {
			b.ReportAllocs()
			inFlight(b, 64, op.fn)
		})
	}
}

// inFlight runs b.N calls of op from n goroutines sharing the work.
func inFlight(b *testing.B, n int, op func(int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := op(int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
