package backend_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/sound/backend"
	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xensim/simguest"
	"xgo.dev/xgo/xenstore"
)

// The adversarial guest: everything below a guest's frontend directory
// and on its rings is the guest's to write. Each test is a row of issue
// #15's table: what a hostile guest tried, and what dom0 must (not) do.

// provision writes a card as the admin would (xgo vsnd-attach); the
// guest's frontend does not start.
func (r *rig) provision(t testing.TB, dom uint32, items ...string) int {
	t.Helper()
	card, err := sound.ParseItems(items)
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.m.Attach(ctxT(t), sound.AttachRequest{Domain: itoa(dom), Card: card})
	if err != nil {
		t.Fatal(err)
	}
	return a.DevID
}

// guest is dom's own XenStore connection: it may write its frontend
// directory and nothing of dom0's.
func (r *rig) guest(t testing.TB, dom uint32) *xenstore.Conn {
	t.Helper()
	c, err := r.sim.XenStoreAs(dom)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tamper writes nodes of dom's frontend directory of device devid, as
// the guest.
func (r *rig) tamper(t testing.TB, dom uint32, devid int, nodes map[string]string) {
	t.Helper()
	g := r.guest(t, dom)
	for k, v := range nodes {
		if err := g.Write(ctxT(t), sound.FrontendPath(dom, devid)+"/"+k, []byte(v)); err != nil {
			t.Fatalf("the guest writes its own %s: %v", k, err)
		}
	}
}

// connect runs the guest's handshake; failing is an error, not fatal.
func (r *rig) connect(t testing.TB, dom uint32, devid int, limit time.Duration) (*simguest.Frontend, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	f, err := simguest.Attach(ctx, r.x, r.guest(t, dom), dom, devid)
	if err == nil {
		t.Cleanup(f.Close)
	}
	return f, err
}

// files lists every file below root with its contents.
func files(t testing.TB, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			out[rel] = "-> " + l
			return nil
		case !d.Type().IsRegular():
			out[rel] = d.Type().String()
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}

// errorNode is what the backend reported about a device.
func (r *rig) errorNode(t testing.TB, dom uint32, devid int) string {
	t.Helper()
	v, err := r.xs.Read(ctxT(t), "/local/domain/0/error/backend/vsnd/"+itoa(dom)+"/"+itoa(uint32(devid))+"/error")
	if err != nil {
		return ""
	}
	return string(v)
}

var card48k = "CARD, sample-rates=48000, sample-formats=s16_le, channels-min=2, channels-max=2, buffer-size=65536"

// Rows 1, 3 and 4: whatever the guest writes as its unique-id, before
// connecting or after, its playback goes where the admin said, in its
// own directory: no file elsewhere is created, truncated or written, and
// the other guest's recording stays bit-exact.
func TestHostileUniqueIDDoesNotRoute(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	outside := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, file, body string }{{"etc", "passwd", "canary\n"}, {"domu1", "keep.txt", "mine\n"}} {
		if err := os.MkdirAll(filepath.Join(r.dir, c.dir), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r.dir, c.dir, c.file), []byte(c.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	evil := []string{"wav:etc/passwd", "wav:../etc/passwd", "wav:" + outside, "wav:../domu2/theirs.wav", "wav:vsnd0-pcm0-s0.wav/x",
		"wav:keep.txt", "wav:mine.wav\nxgo: vsnd-backend: FORGED"}
	victim := r.attach(t, 2, card48k, "PCM, name=v", "STREAM, unique-id=wav:theirs.wav, type=p")
	devid := r.provision(t, 1, card48k, "PCM, name=h", "STREAM, unique-id=wav:mine.wav, type=p")
	r.tamper(t, 1, devid, map[string]string{"0/0/unique-id": evil[0]})
	hostile, err := r.connect(t, 1, devid, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	mine, theirs := tone16(9600, 2, 300), tone16(9600, 2, 700)
	done := make(chan error, 1)
	go func() {
		s := victim.Streams[0]
		if err := s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
			done <- err
			return
		}
		if err := s.Play(ctx, theirs, 2048); err != nil {
			done <- err
			return
		}
		done <- s.Close()
	}()
	s := hostile.Streams[0]
	for _, id := range evil {
		r.tamper(t, 1, devid, map[string]string{"0/0/unique-id": id})
		if err := s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
			t.Fatalf("OPEN after unique-id %q: %v", id, err)
		}
		if err := s.Play(ctx, mine, 2048); err != nil {
			t.Fatalf("playing after unique-id %q: %v", id, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("the other guest: %v", err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "root:x:0:0\n" {
		t.Errorf("%s changed: %q", outside, b)
	}
	got := files(t, r.dir)
	if want := []string{"domu1/keep.txt", "domu1/mine.wav", "domu2/theirs.wav", "etc/passwd"}; !slices.Equal(keys(got), want) {
		t.Errorf("files below the WAV directory: %q, want %q", keys(got), want)
	}
	if got["etc/passwd"] != "canary\n" || got["domu1/keep.txt"] != "mine\n" {
		t.Errorf("files the backend did not create changed: %q %q", got["etc/passwd"], got["domu1/keep.txt"])
	}
	if _, _, _, _, data := readWAV(t, r.file(1, "mine.wav")); !bytes.Equal(data, mine) {
		t.Error("the guest's own file does not hold what it played last")
	}
	if _, _, _, _, data := readWAV(t, r.file(2, "theirs.wav")); !bytes.Equal(data, theirs) {
		t.Error("the other guest's recording is not bit-exact")
	}
	for _, l := range r.log.all() {
		if strings.Contains(l, "\n") || strings.HasPrefix(l, "xgo: vsnd-backend: FORGED") {
			t.Errorf("a log line the guest shaped: %q", l)
		}
	}
}

// Row 2: a capture stream whose guest names another guest's file
// records what the admin chose (here silence), not the other guest.
func TestHostileCaptureCannotReadOthers(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	victim := r.attach(t, 2, card48k, "PCM, name=v", "STREAM, unique-id=wav:rec.wav, type=p")
	secret := tone16(4800, 2, 1000)
	vs := victim.Streams[0]
	if err := vs.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
		t.Fatal(err)
	}
	if err := vs.Play(ctx, secret, 2048); err != nil {
		t.Fatal(err)
	}
	if err := vs.Close(); err != nil {
		t.Fatal(err)
	}
	devid := r.provision(t, 1, card48k, "PCM, name=h", "STREAM, unique-id=silence, type=c")
	for _, id := range []string{"wav:../domu2/rec.wav", "wav:rec.wav", "tone:440"} {
		r.tamper(t, 1, devid, map[string]string{"0/0/unique-id": id})
		f, err := r.connect(t, 1, devid, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		s := f.Streams[0]
		if err := s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
			t.Fatal(err)
		}
		got, err := s.Read(4096)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, make([]byte, 4096)) {
			t.Errorf("with unique-id %q the guest captured something else than the admin's silence", id)
		}
		s.Close()
		f.Close()
		if err := r.guest(t, 1).Write(ctx, sound.FrontendPath(1, devid)+"/state", []byte("1")); err != nil {
			t.Fatal(err)
		}
		waitBackend(t, r, 1, devid, "2")
	}
}

func waitBackend(t testing.TB, r *rig, dom uint32, devid int, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := r.xs.Read(ctxT(t), sound.BackendPath(0, dom, devid)+"/state")
		if string(v) == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend state %q, want %s", v, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Row 5 and its cousins: a FIFO, a symbolic link or a directory where
// the admin's file should be never blocks the backend, is never
// followed, and never has the backend truncate what it did not create.
func TestHostileFilesystemObjects(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	outside := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(outside, []byte("outside"), 0o644); err != nil {
		t.Fatal(err)
	}
	gdir := filepath.Join(r.dir, "domu1")
	if err := os.MkdirAll(filepath.Join(gdir, "vsnd0-pcm0-s0.wav", "x"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(gdir, "fifo.wav"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"link.wav", "rlink.wav"} {
		if err := os.Symlink(outside, filepath.Join(gdir, l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(gdir, "old.wav"), []byte("not the backend's"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := r.attach(t, 1, card48k, "PCM, name=h",
		"STREAM, unique-id=x, type=p",             // default file: a directory is there
		"STREAM, unique-id=wav:fifo.wav, type=c",  // a FIFO
		"STREAM, unique-id=wav:link.wav, type=p",  // a link, written
		"STREAM, unique-id=wav:rlink.wav, type=c", // a link, read
		"STREAM, unique-id=wav:old.wav, type=p",   // someone else's file
		"STREAM, unique-id=wav:fifo2.wav, type=p") // nothing there
	ctx := ctxT(t)
	play := func(s *simguest.Stream) error {
		if err := s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
			return err
		}
		if err := s.Play(ctx, tone16(2400, 2, 500), 2048); err != nil {
			return err
		}
		return s.Close()
	}
	for _, i := range []int{0, 2, 4, 4, 5} {
		if err := play(f.Streams[i]); err != nil {
			t.Errorf("stream %d: %v", i, err)
		}
	}
	for _, i := range []int{1, 3} {
		start := time.Now()
		if err := f.Streams[i].Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); !errors.Is(err, simguest.ErrStatus) || time.Since(start) > time.Second {
			t.Errorf("capture stream %d: OPEN gave %v after %v; want an error status at once", i, err, time.Since(start))
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "outside" {
		t.Errorf("the link's target changed: %q", b)
	}
	got := files(t, r.dir)
	want := []string{"domu1/fifo.wav", "domu1/fifo2.wav", "domu1/link.1.wav", "domu1/link.wav", "domu1/old.1.wav", "domu1/old.wav", "domu1/rlink.wav", "domu1/vsnd0-pcm0-s0.1.wav"}
	if !slices.Equal(keys(got), want) {
		t.Errorf("files: %q, want %q", keys(got), want)
	}
	if got["domu1/old.wav"] != "not the backend's" {
		t.Errorf("old.wav was changed")
	}
	start := time.Now()
	r.shutdown(t)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the backend took %v to stop", d)
	}
}

// Row 6: a guest that raises its own buffer-size is not served, and one
// that writes as fast as it can is held to its stream's clock plus one
// buffer: it cannot fill dom0's disk faster than it plays.
func TestHostileWriteFlood(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	devid := r.provision(t, 1, card48k, "PCM, name=h", "STREAM, unique-id=wav:flood.wav, type=p")
	r.tamper(t, 1, devid, map[string]string{"buffer-size": "16777216"})
	if _, err := r.connect(t, 1, devid, 2*time.Second); err == nil {
		t.Fatal("a frontend with a 16 MiB buffer-size, above the admin's 64 KiB, was served")
	}
	if e := r.errorNode(t, 1, devid); !strings.HasPrefix(e, "13 ") || !strings.Contains(e, "buffer") {
		t.Errorf("error node %q", e)
	}

	f := r.attach(t, 2, card48k, "PCM, name=f", "STREAM, unique-id=wav:flood.wav, type=p")
	s := f.Streams[0]
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 65536, 16384); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 16384)
	if err := s.Write(make([]byte, 65536)); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(chunk); !errors.Is(err, simguest.ErrStatus) {
		t.Errorf("a WRITE beyond the buffer of a stopped stream: %v, want an error status", err)
	}
	if err := s.Trigger(sndif.TriggerStart); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	written := uint64(65536)
	for time.Since(start) < 400*time.Millisecond {
		if err := s.Write(chunk); err != nil {
			t.Fatal(err)
		}
		written += uint64(len(chunk))
	}
	elapsed := time.Since(start).Seconds()
	const bytesPerSec = 48000 * 4
	if limit := uint64(bytesPerSec*elapsed) + 65536 + 2*16384; written > limit {
		t.Errorf("%d octets accepted in %.3f s: more than the clock (%d/s) plus one buffer allows (%d)", written, elapsed, bytesPerSec, limit)
	}
	t.Logf("%d octets accepted in %.3f s (real time: %.0f)", written, elapsed, bytesPerSec*elapsed)
	stop := time.Now()
	r.shutdown(t)
	if d := time.Since(stop); d > 2*time.Second {
		t.Errorf("the backend took %v to stop with a stream held", d)
	}
}

// Row 7: guest text in the log is quoted, and every line stays one line.
func TestHostileLogForgery(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	devid := r.provision(t, 1, card48k, "PCM, name=h", "STREAM, unique-id=null, type=p")
	r.tamper(t, 1, devid, map[string]string{"0/0/type": "p\nxgo: vsnd-backend: dom2 vsnd0: FORGED", "0/0/unique-id": "x\ny"})
	if _, err := r.connect(t, 1, devid, 2*time.Second); err == nil {
		t.Fatal("a stream of type p\\n... was served")
	}
	lines := r.log.all()
	found := false
	for _, l := range lines {
		if strings.ContainsAny(l, "\n\r") {
			t.Errorf("a log line with a line break: %q", l)
		}
		if strings.Contains(l, `\nxgo: vsnd-backend: dom2 vsnd0: FORGED`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no log line quotes the guest's type; log:\n%s", strings.Join(lines, "\n"))
	}
}

// Row 8: PCMs and streams the guest adds to its card, or a wider range,
// are not served, and nothing of the guest is mapped for them.
func TestHostileCardChanges(t *testing.T) {
	t.Parallel()
	var mapped atomic.Int64
	r := newRigWith(t, func(g xendev.Grants) xendev.Grants { return countGrants{g, &mapped} })
	for _, c := range []struct {
		name  string
		nodes map[string]string
		want  string
	}{
		{"a PCM", map[string]string{"1/0/type": "p", "1/0/unique-id": "wav:more.wav"}, "pcm 1 stream 0 is not in it"},
		{"a stream", map[string]string{"0/1/type": "c"}, "pcm 0 stream 1 is not in it"},
		{"a type", map[string]string{"0/0/type": "c"}, "changed its type"},
		{"rates", map[string]string{"sample-rates": "48000,192000"}, "rates beyond"},
		{"formats", map[string]string{"sample-formats": "s16_le,float_le"}, "formats beyond"},
		{"channels", map[string]string{"0/0/channels-max": "8"}, "channels, beyond"},
	} {
		devid := r.provision(t, 1, card48k, "PCM, name=h", "STREAM, unique-id=null, type=p")
		r.tamper(t, 1, devid, c.nodes)
		if _, err := r.connect(t, 1, devid, time.Second); err == nil {
			t.Errorf("%s added: served", c.name)
			continue
		}
		if e := r.errorNode(t, 1, devid); !strings.HasPrefix(e, "13 ") || !strings.Contains(e, c.want) {
			t.Errorf("%s added: error node %q, want EACCES and %q", c.name, e, c.want)
		}
	}
	// Narrowing is the guest's choice, and served.
	devid := r.provision(t, 1, "CARD, sample-rates=44100;48000, sample-formats=s16_le, buffer-size=65536", "PCM, name=n", "STREAM, unique-id=null, type=p")
	r.tamper(t, 1, devid, map[string]string{"sample-rates": "48000", "buffer-size": "16384"})
	if _, err := r.connect(t, 1, devid, 10*time.Second); err != nil {
		t.Errorf("a narrowed card: %v", err)
	}
	if n := mapped.Load(); n != 2 {
		t.Errorf("%d pages mapped; want the narrowed card's 2", n)
	}
}

// countGrants counts the pages mapped now.
type countGrants struct {
	g xendev.Grants
	n *atomic.Int64
}

func (c countGrants) Map(dom uint32, refs []uint32, w bool) (xendev.Mapping, error) {
	m, err := c.g.Map(dom, refs, w)
	if err != nil {
		return nil, err
	}
	c.n.Add(int64(len(refs)))
	return &countMapping{Mapping: m, n: c.n, k: int64(len(refs))}, nil
}

type countMapping struct {
	xendev.Mapping
	n    *atomic.Int64
	k    int64
	done atomic.Bool
}

func (m *countMapping) Unmap() error {
	if !m.done.Swap(true) {
		m.n.Add(-m.k)
	}
	return m.Mapping.Unmap()
}

// A guest's files hold at most the quota, and at most MaxGrantPages of
// its pages are mapped at once.
func TestGuestBounds(t *testing.T) {
	t.Parallel()
	r := newRigConfig(t, func(c *backend.Config) { c.WAVQuota = 100000; c.MaxGrantPages = 16 })
	f := r.attach(t, 1, "CARD, sample-rates=48000, sample-formats=s16_le, buffer-size=262144", "PCM, name=q", "STREAM, unique-id=wav:q.wav, type=p")
	s := f.Streams[0]
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 262144, 16384); !errors.Is(err, simguest.ErrStatus) {
		t.Errorf("a 64-page buffer with 16 pages allowed: %v", err)
	}
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 16384, 4096); err != nil {
		t.Fatal(err)
	}
	err := s.Play(ctxT(t), tone16(50000, 2, 440), 4096)
	if !errors.Is(err, simguest.ErrStatus) {
		t.Errorf("200000 octets into a 100000-octet quota: %v, want an error status", err)
	}
	s.Close()
	if st, err := os.Stat(r.file(1, "q.wav")); err != nil || st.Size() > 100000 {
		t.Errorf("q.wav: %v, %v", st, err)
	}
}

// callGrants counts Map calls.
type callGrants struct {
	g xendev.Grants
	n *atomic.Int64
}

func (c callGrants) Map(dom uint32, refs []uint32, w bool) (xendev.Mapping, error) {
	c.n.Add(1)
	return c.g.Map(dom, refs, w)
}

// A guest that flips its state between Initialising and Initialised as
// fast as it can makes the backend connect (map its rings) a bounded
// number of times: the state machine runs stepsPerSec passes a second
// after a burst, and the storm's events collapse into them.
func TestHostileStateStorm(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	r := newRigWith(t, func(g xendev.Grants) xendev.Grants { return callGrants{g, &calls} })
	f := r.attach(t, 1, card48k, "PCM, name=s", "STREAM, unique-id=null, type=p")
	g := r.guest(t, 1)
	ctx := ctxT(t)
	before := calls.Load()
	start := time.Now()
	flips := 0
	for time.Since(start) < 500*time.Millisecond {
		for _, st := range []string{"1", "3"} {
			if err := g.Write(ctx, f.Path+"/state", []byte(st)); err != nil {
				t.Fatal(err)
			}
			flips++
		}
	}
	el := time.Since(start).Seconds()
	time.Sleep(100 * time.Millisecond)
	n := calls.Load() - before
	// Two mappings (ring and event page) per connection of the one stream.
	if limit := int64(2 * (40 + 20*el + 4)); n > limit {
		t.Errorf("%d flips in %.2f s made %d mappings, more than the bound %d", flips, el, n, limit)
	}
	t.Logf("%d state flips in %.2f s: %d mappings", flips, el, n)
}
