package sound_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
)

// opCounter counts the requests a Conn sends (its trace lines "->").
type opCounter struct {
	n atomic.Int64
}

func (c *opCounter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(string(p), "\n") {
		if strings.Contains(l, " -> ") {
			c.n.Add(1)
		}
	}
	return len(p), nil
}

// benchHost is the default simulated host with a dom0 connection that
// counts its requests, over a pipe (like --sim) or a Unix socket (like
// xenstored's).
func benchHost(b *testing.B, socket bool) (*sound.Manager, *opCounter, *xensim.Sim) {
	b.Helper()
	s, err := xensim.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Discard() })
	cnt := &opCounter{}
	cfg := &xenstore.Config{Trace: cnt}
	var conn *xenstore.Conn
	if socket {
		dir, err := os.MkdirTemp("", "xgo")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		sock := filepath.Join(dir, "xs.sock")
		go s.Server().ListenAndServe(sock)
		for i := 0; ; i++ {
			if conn, err = xenstore.DialSocket(sock, cfg); err == nil {
				break
			}
			if i > 1000 {
				b.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
	} else {
		cli, end := net.Pipe()
		go s.Server().ServeConn(end, 0)
		conn = xenstore.NewConn(cli, cfg)
	}
	b.Cleanup(func() { conn.Close() })
	return &sound.Manager{XS: conn, HV: s.Host()}, cnt, s
}

// BenchmarkAttach2x3 attaches the 2-PCM, 3-stream card (and, untimed,
// removes it again): wall time per attach and XenStore requests per
// attach, domain lookup included.
func BenchmarkAttach2x3(b *testing.B) {
	for _, tr := range []struct {
		name   string
		socket bool
	}{{"pipe", false}, {"socket", true}} {
		b.Run(tr.name, func(b *testing.B) {
			m, cnt, _ := benchHost(b, tr.socket)
			ctx := context.Background()
			card := mustCard(b, card2x3...)
			var ops int64
			b.ResetTimer()
			for range b.N {
				before := cnt.n.Load()
				a, err := m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: card})
				if err != nil {
					b.Fatal(err)
				}
				ops += cnt.n.Load() - before
				b.StopTimer()
				if err := m.Undo(ctx, a); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(ops)/float64(b.N), "xs-requests/op")
		})
	}
}

// BenchmarkList2x3 lists a domain with the 2x3 card.
func BenchmarkList2x3(b *testing.B) {
	m, cnt, _ := benchHost(b, false)
	ctx := context.Background()
	if _, err := m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(b, card2x3...)}); err != nil {
		b.Fatal(err)
	}
	before := cnt.n.Load()
	b.ResetTimer()
	for range b.N {
		if _, _, err := m.List(ctx, "domu1"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cnt.n.Load()-before)/float64(b.N), "xs-requests/op")
}

// TestAttachRequests pins the cost of an attach: the domain lookup (one
// name read per domain), one transaction with 8 directory reads, a look
// for a stale error report and the 32 writes, mkdirs and permission
// changes that make the device's 36 nodes (the PCM and stream
// directories come with their first key), and the 16 writes of the
// admin's record of the card.
func TestAttachRequests(t *testing.T) {
	t.Parallel()
	s, err := xensim.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Discard()
	cnt := &opCounter{}
	cli, end := net.Pipe()
	go s.Server().ServeConn(end, 0)
	conn := xenstore.NewConn(cli, &xenstore.Config{Trace: cnt})
	defer conn.Close()
	m := &sound.Manager{XS: conn, HV: s.Host()}
	a, err := m.Attach(ctxT(t), sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	// 3 domain names + START + 8 DIRECTORY + READ of a stale error
	// report + the changes + END
	if want := int64(3 + 1 + 8 + 1 + len(a.Changes) + 1); cnt.n.Load() != want || len(a.Changes) != 32+16 {
		t.Errorf("%d requests for %d changes, want %d", cnt.n.Load(), len(a.Changes), want)
	}
}
