package backend_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/sound/backend"
	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xensim/simguest"
	"xgo.dev/xgo/xenstore"
)

// rig is a simulated host (its XenStore), the in-memory hypervisor and
// a running backend in dom0.
type rig struct {
	sim  *xensim.Sim
	xs   *xenstore.Conn
	x    *simguest.Xen
	ev   *simguest.Evtchn
	m    *sound.Manager
	dir  string
	log  *lineLog
	stop context.CancelFunc
	done chan error
}

func ctxT(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newRig(t testing.TB) *rig { t.Helper(); return newRigWith(t, nil) }

// newRigWith is newRig with the backend's grants passed through wrap.
func newRigWith(t testing.TB, wrap func(xendev.Grants) xendev.Grants) *rig {
	t.Helper()
	return newRigConfig(t, func(c *backend.Config) {
		if wrap != nil {
			c.Grants = wrap(c.Grants)
		}
	})
}

// newRigConfig is newRig with the backend's configuration passed through
// change; the rig's log keeps every line the backend logged.
func newRigConfig(t testing.TB, change func(*backend.Config)) *rig {
	t.Helper()
	s, err := xensim.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	xs, err := s.XenStore()
	if err != nil {
		t.Fatal(err)
	}
	x := simguest.New()
	x.AddDomain(0, 16)
	x.AddDomain(1, 8192)
	x.AddDomain(2, 8192)
	r := &rig{sim: s, xs: xs, x: x, ev: x.Evtchn(0), m: &sound.Manager{XS: xs, HV: s.Host()}, dir: t.TempDir(), done: make(chan error, 1)}
	r.log = &lineLog{}
	cfg := backend.Config{XS: xs, Grants: x.Grants(0), Events: r.ev, WAVDir: r.dir,
		Logf:   func(f string, a ...any) { r.log.add(fmt.Sprintf(f, a...)); t.Logf("backend: "+f, a...) },
		Debugf: func(f string, a ...any) { r.log.add(fmt.Sprintf(f, a...)); t.Logf("backend debug: "+f, a...) }}
	switch t.(type) {
	case *testing.B, *testing.F:
		cfg.Logf, cfg.Debugf = nil, nil
	}
	change(&cfg)
	b := backend.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		r.shutdown(t)
		s.Discard()
	})
	return r
}

func (r *rig) shutdown(t testing.TB) {
	if r.stop == nil {
		return
	}
	r.stop()
	r.stop = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("backend: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("backend did not stop")
	}
	r.ev.Close()
}

// attach provisions a card for dom and runs the test frontend's
// handshake against the backend.
func (r *rig) attach(t testing.TB, dom uint32, items ...string) *simguest.Frontend {
	t.Helper()
	ctx := ctxT(t)
	card, err := sound.ParseItems(items)
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.m.Attach(ctx, sound.AttachRequest{Domain: itoa(dom), Card: card})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := r.sim.XenStoreAs(dom)
	if err != nil {
		t.Fatal(err)
	}
	f, err := simguest.Attach(ctx, r.x, conn, dom, a.DevID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// file is the path of a file in guest dom's directory (the simulated
// host names its guests domu1, domu2).
func (r *rig) file(dom uint32, name string) string {
	return filepath.Join(r.dir, "domu"+itoa(dom), name)
}

// lineLog keeps the lines a backend logged.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLog) add(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *lineLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

func itoa(n uint32) string { return string(rune('0' + n)) }

// tone16 is n frames of a sine at hz, 48 kHz, in s16_le with ch
// channels: the known signal of the tests.
func tone16(n, ch int, hz float64) []byte {
	b := make([]byte, 0, n*ch*2)
	for i := range n {
		v := int16(math.Round(0.5 * math.Sin(2*math.Pi*hz*float64(i)/48000) * 32767))
		for range ch {
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		}
	}
	return b
}

// readWAV returns a WAV file's fmt fields and data, checking the RIFF
// sizes.
func readWAV(t testing.TB, path string) (tag, channels uint16, rate uint32, bits uint16, data []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if len(b) < 44 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" || string(b[12:16]) != "fmt " {
		t.Fatalf("%s: not a WAV file: % x", path, b[:min(len(b), 44)])
	}
	if int(le.Uint32(b[4:]))+8 != len(b) {
		t.Fatalf("%s: RIFF size %d, file %d", path, le.Uint32(b[4:]), len(b))
	}
	fl := int(le.Uint32(b[16:]))
	tag, channels, rate, bits = le.Uint16(b[20:]), le.Uint16(b[22:]), le.Uint32(b[24:]), le.Uint16(b[34:])
	d := 20 + fl
	if string(b[d:d+4]) != "data" {
		t.Fatalf("%s: no data chunk after fmt", path)
	}
	n := int(le.Uint32(b[d+4:]))
	if d+8+n > len(b) {
		t.Fatalf("%s: data size %d beyond the file", path, n)
	}
	return tag, channels, rate, bits, b[d+8 : d+8+n]
}
