package sound_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/internal/vsndfront"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
	"xgo.dev/xgo/xenstore/xenstored"
)

// host is a simulated host (the default spec: Domain-0, domu1 = 1, domu2
// = 2) with a Manager acting as dom0.
type host struct {
	sim *xensim.Sim
	xs  *xenstore.Conn
	m   *sound.Manager
}

func newHost(t testing.TB) *host {
	t.Helper()
	s, err := xensim.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Discard() })
	xs, err := s.XenStore()
	if err != nil {
		t.Fatal(err)
	}
	return &host{sim: s, xs: xs, m: &sound.Manager{XS: xs, HV: s.Host()}}
}

// tree lists every node below root as "path perms value" lines, in
// directory order.
func (h *host) tree(t testing.TB, root string) string {
	t.Helper()
	return tree(t, h.sim.Server(), root)
}

func tree(t testing.TB, srv *xenstored.Server, root string) string {
	t.Helper()
	var b strings.Builder
	err := srv.Walk(root, func(n xenstored.Node) error {
		fmt.Fprintf(&b, "%s (%s) %q\n", n.Path, n.Perms, n.Value)
		return nil
	})
	if err != nil && root != "/" {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// card2x3 is the card of the tests and the benchmark: two PCM devices,
// three streams, parameters at every level.
var card2x3 = []string{
	"CARD, short-name=xgo, long-name=xgo test card, sample-rates=44100;48000, sample-formats=s16_le;f32_le, buffer-size=65536",
	"PCM, name=Analog, channels-max=2",
	"STREAM, unique-id=alsa<hw:0;0>, type=p",
	"STREAM, unique-id=alsa<hw:0;1>, type=c, channels-max=1",
	"PCM, name=HDMI",
	"STREAM, unique-id=pulse<>media.role:music, type=P, sample-rates=48000",
}

func mustCard(t testing.TB, items ...string) *sound.Card {
	t.Helper()
	c, err := sound.ParseItems(items)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startFrontend runs the simulated frontend of domain domid until the
// test ends.
func (h *host) startFrontend(t testing.TB, domid uint32, opts *vsndfront.Options) *vsndfront.Frontend {
	t.Helper()
	conn, err := h.sim.XenStoreAs(domid)
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &vsndfront.Options{}
	}
	if opts.RemoveTimeout == 0 {
		opts.RemoveTimeout = 20 * time.Millisecond
	}
	f := vsndfront.New(conn, domid, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("frontend: %v", err)
		}
	})
	return f
}

// backend is a test-side fake vsnd backend: it only moves the backend's
// state, acting as the backend domain.
type backend struct {
	t    testing.TB
	conn *xenstore.Conn
	path string
}

func (h *host) backend(t testing.TB, domid uint32, path string) *backend {
	t.Helper()
	conn, err := h.sim.XenStoreAs(domid)
	if err != nil {
		t.Fatal(err)
	}
	return &backend{t: t, conn: conn, path: path}
}

func (b *backend) set(s sound.State) {
	b.t.Helper()
	if err := b.conn.Write(context.Background(), b.path+"/state", []byte(strconv.Itoa(int(s)))); err != nil {
		b.t.Fatalf("backend: writing state %s: %v", s, err)
	}
}

func (b *backend) state() sound.State {
	v, err := b.conn.Read(context.Background(), b.path+"/state")
	if err != nil {
		return xenbus.Unknown
	}
	n, _ := strconv.Atoi(string(v))
	return sound.State(n)
}

// follow makes the backend answer the toolstack's close request (state
// Closing) with Closed, as a real backend does once it has let go of the
// rings, until the test ends.
func (b *backend) follow(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := b.conn.Watch(ctx, b.path+"/state", "")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer w.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-w.Events():
				if !ok {
					return
				}
				if b.state() == xenbus.Closing {
					_ = b.conn.Write(ctx, b.path+"/state", []byte(strconv.Itoa(int(xenbus.Closed))))
				}
			}
		}
	}()
}
