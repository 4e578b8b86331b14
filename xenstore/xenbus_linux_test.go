package xenstore_test

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"xgo.dev/xgo/internal/xenstoretest"
	"xgo.dev/xgo/xenstore"
)

// xenbusSim plays Linux's xenbus_dev_frontend on the client's side of a
// pipe: writes must be whole messages, a WATCH it refuses fails write()
// with an errno (nothing is queued), and reads hand out the queued bytes
// in small chunks that split and join messages.
type xenbusSim struct {
	t     testing.TB
	conn  net.Conn
	chunk int
	// refuse returns the errno write() gives for a message, or 0.
	refuse func(m *xenstore.Message) syscall.Errno

	mu     sync.Mutex
	writes int
}

func (x *xenbusSim) Write(b []byte) (int, error) {
	var m xenstore.Message
	if err := m.UnmarshalBinary(b); err != nil {
		x.t.Errorf("write of %d bytes is not one whole message: %v", len(b), err)
		return 0, &fs.PathError{Op: "write", Path: "/dev/xen/xenbus", Err: syscall.EINVAL}
	}
	if len(b) > 4096 {
		return 0, &fs.PathError{Op: "write", Path: "/dev/xen/xenbus", Err: syscall.E2BIG}
	}
	x.mu.Lock()
	x.writes++
	x.mu.Unlock()
	if x.refuse != nil {
		if errno := x.refuse(&m); errno != 0 {
			return 0, &fs.PathError{Op: "write", Path: "/dev/xen/xenbus", Err: errno}
		}
	}
	return x.conn.Write(b)
}

func (x *xenbusSim) Read(p []byte) (int, error) {
	if len(p) > x.chunk {
		p = p[:x.chunk]
	}
	return x.conn.Read(p)
}

func (x *xenbusSim) Close() error { return x.conn.Close() }

// dialXenbusSim connects a xenbus-mode Conn to a scripted peer through
// xenbusSim.
func dialXenbusSim(t *testing.T, h xenstoretest.Handler, refuse func(*xenstore.Message) syscall.Errno) (*xenstore.Conn, *xenstoretest.Peer, *xenbusSim) {
	t.Helper()
	a, b := net.Pipe()
	p := xenstoretest.Serve(b, h)
	sim := &xenbusSim{t: t, conn: a, chunk: 3, refuse: refuse}
	c := xenstore.NewXenbusConnForTest(sim, &xenstore.Config{})
	t.Cleanup(func() {
		c.Close()
		p.Close()
	})
	return c, p, sim
}

// xenbusHandler answers like the driver on a current kernel: WATCH and
// UNWATCH get a synthesized OK, the first event may come before it, and
// events carry whatever req_id and tx_id the stack held.
func xenbusHandler(req *xenstore.Message) []*xenstore.Message {
	switch req.Type {
	case xenstore.TypeWatch:
		a := xenstoretest.Args(req)
		ev := xenstoretest.Event(a[0], a[1])
		ev.ReqID, ev.TxID = 0xdeadbeef, 77
		return []*xenstore.Message{ev, xenstoretest.OK(req)}
	}
	return typeHandler(req)
}

func TestXenbusChunkedReads(t *testing.T) {
	c, _, _ := dialXenbusSim(t, xenbusHandler, nil)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if v, err := c.Read(ctx, "/a"); err != nil || string(v) != "v" {
					t.Errorf("Read = %q, %v", v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	w, err := c.Watch(ctx, "/w", "t")
	if err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, w); ev != (xenstore.WatchEvent{Path: "/w", Token: "t"}) {
		t.Fatalf("event with driver-garbage req_id/tx_id: %+v", ev)
	}
}

func TestXenbusWatchRefusedByWrite(t *testing.T) {
	c, _, _ := dialXenbusSim(t, xenbusHandler, func(m *xenstore.Message) syscall.Errno {
		if m.Type == xenstore.TypeWatch && strings.HasPrefix(string(m.Payload), "/refused\x00") {
			return syscall.ENOSPC
		}
		return 0
	})
	ctx := testCtx(t)
	_, err := c.Watch(ctx, "/refused", "t")
	var xe *xenstore.Error
	if !errors.Is(err, xenstore.ErrQuota) || !errors.As(err, &xe) || xe.Op != "WATCH" || xe.Path != "/refused" || xe.Name != "ENOSPC" {
		t.Fatalf("err = %#v (%v)", err, err)
	}
	// The connection is fine and the token free.
	if _, err := c.Read(ctx, "/a"); err != nil {
		t.Fatalf("Read after refusal: %v", err)
	}
	if _, err := c.Watch(ctx, "/ok", "t"); err != nil {
		t.Fatalf("Watch reusing the token: %v", err)
	}
}

func TestXenbusEBADFBreaks(t *testing.T) {
	c, _, _ := dialXenbusSim(t, xenbusHandler, func(m *xenstore.Message) syscall.Errno {
		return syscall.EBADF
	})
	ctx := testCtx(t)
	if _, err := c.Read(ctx, "/a"); !errors.Is(err, xenstore.ErrDisconnected) || !errors.Is(err, syscall.EBADF) {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Read(ctx, "/a"); !errors.Is(err, xenstore.ErrDisconnected) {
		t.Fatalf("later call: %v", err)
	}
}

// TestXenbusPayloadLimit: the driver buffers 4096 bytes including the
// header, so the client refuses more than 4080 payload bytes.
func TestXenbusPayloadLimit(t *testing.T) {
	c, _, sim := dialXenbusSim(t, xenbusHandler, nil)
	ctx := testCtx(t)
	err := c.Write(ctx, "/a", make([]byte, 4078)) // "/a\0" + 4078 = 4081
	var pe *xenstore.PayloadError
	if !errors.As(err, &pe) || pe.Max != 4080 || pe.Size != 4081 {
		t.Fatalf("err = %v", err)
	}
	sim.mu.Lock()
	writes := sim.writes
	sim.mu.Unlock()
	if writes != 0 {
		t.Fatal("oversized message written")
	}
	if err := c.Write(ctx, "/a", make([]byte, 4077)); err != nil {
		t.Fatalf("4080 bytes: %v", err)
	}
}

// TestXenbusLegacyWatchReplies: kernels before 4.11 answer WATCH and
// UNWATCH with req_id 0.
func TestXenbusLegacyWatchReplies(t *testing.T) {
	c, _, _ := dialXenbusSim(t, func(req *xenstore.Message) []*xenstore.Message {
		switch req.Type {
		case xenstore.TypeWatch, xenstore.TypeUnwatch:
			r := xenstoretest.OK(req)
			r.ReqID, r.TxID = 0, 0
			return []*xenstore.Message{r}
		}
		return typeHandler(req)
	}, nil)
	ctx := testCtx(t)
	w1, err := c.Watch(ctx, "/a", "1")
	if err != nil {
		t.Fatal(err)
	}
	w2, err := c.Watch(ctx, "/b", "2")
	if err != nil {
		t.Fatal(err)
	}
	if err := w1.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDialXenbusDevice opens character devices and other files through
// the real os.File path.
func TestDialXenbusDevice(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip(err)
	}
	// /dev/null is a character device that reads EOF: the Conn opens and
	// breaks at once.
	c, err := xenstore.DialXenbus("/dev/null", &xenstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Read(testCtx(t), "/a"); !errors.Is(err, xenstore.ErrDisconnected) || !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v", err)
	}

	regular := filepath.Join(t.TempDir(), "file")
	os.WriteFile(regular, nil, 0o600)
	if _, err := xenstore.DialXenbus(regular, nil); err == nil || !strings.Contains(err.Error(), "not a character device") {
		t.Fatalf("regular file: %v", err)
	}
	if _, err := xenstore.DialXenbus(filepath.Join(t.TempDir(), "none"), nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}

	// $XENSTORED_PATH naming a character device is opened as xenbus.
	t.Setenv("XENSTORED_PATH", "/dev/null")
	c2, err := xenstore.Dial(nil)
	if err != nil {
		t.Fatalf("Dial with XENSTORED_PATH=/dev/null: %v", err)
	}
	c2.Close()
}

// TestDialNothing: with no endpoint, the error lists each one tried.
func TestDialNothing(t *testing.T) {
	rundir := t.TempDir()
	t.Setenv("XENSTORED_PATH", "")
	t.Setenv("XENSTORED_RUNDIR", rundir)
	c, err := xenstore.Dial(nil)
	if err == nil {
		c.Close()
		t.Skip("this host runs xenstored")
	}
	var de *xenstore.DialError
	if !errors.As(err, &de) {
		t.Fatalf("err = %#v", err)
	}
	msg := err.Error()
	for _, p := range []string{filepath.Join(rundir, "socket"), xenstore.SocketPath, xenstore.LegacySocketPath, xenstore.XenbusPath} {
		if !strings.Contains(msg, p) {
			t.Errorf("error does not mention %s: %s", p, msg)
		}
	}
	if len(de.Tried) != 4 {
		t.Errorf("tried %d endpoints", len(de.Tried))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%v does not match fs.ErrNotExist", err)
	}
	t.Log(msg)
}
