package xenstore_test

// Tests against the in-process daemon (package xenstore/xenstored), which
// follows C xenstored 4.17: real semantics, real bytes, over a Unix socket
// in t.TempDir() or, for guest connections, net.Pipe and ServeConn.

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
)

// startDaemon runs a daemon listening on a Unix socket and returns both.
func startDaemon(t testing.TB) (*xenstored.Server, string) {
	t.Helper()
	s := xenstored.New(nil)
	sock := filepath.Join(t.TempDir(), "xs")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return s, sock
}

// dialDaemon connects to the daemon's socket, as dom0 tools do.
func dialDaemon(t testing.TB, sock string, cfg *xenstore.Config) *xenstore.Conn {
	t.Helper()
	if cfg == nil {
		cfg = &xenstore.Config{}
	}
	c, err := xenstore.DialSocket(sock, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialAsDomain connects as domain domid, like a guest's ring.
func dialAsDomain(t testing.TB, s *xenstored.Server, domid uint32, rwc func(io.ReadWriteCloser) io.ReadWriteCloser) *xenstore.Conn {
	t.Helper()
	cli, srv := net.Pipe()
	go s.ServeConn(srv, domid)
	var end io.ReadWriteCloser = cli
	if rwc != nil {
		end = rwc(cli)
	}
	c := xenstore.NewConn(end, &xenstore.Config{})
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDaemon64Goroutines shares one socket connection among 64 goroutines
// doing writes, reads, directory listings and permission reads.
func TestDaemon64Goroutines(t *testing.T) {
	_, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	const goroutines, keys = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir := fmt.Sprintf("/test/g%d", g)
			for i := range keys {
				p := fmt.Sprintf("%s/k%d", dir, i)
				want := fmt.Sprintf("value %d/%d", g, i)
				if err := c.Write(ctx, p, []byte(want)); err != nil {
					errs <- err
					return
				}
				got, err := c.Read(ctx, p)
				if err != nil || string(got) != want {
					errs <- fmt.Errorf("read %s = %q, %v; want %q", p, got, err, want)
					return
				}
			}
			names, err := c.Directory(ctx, dir)
			if err != nil || len(names) != keys {
				errs <- fmt.Errorf("directory %s = %d names, %v", dir, len(names), err)
				return
			}
			if _, err := c.GetPerms(ctx, dir); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	names, err := c.Directory(ctx, "/test")
	if err != nil || len(names) != goroutines {
		t.Fatalf("/test has %d children, %v", len(names), err)
	}
}

// TestDaemonConflictingTransactions: of two transactions that read and
// write the same node, the second commit gets EAGAIN; Transact redoes its
// function and succeeds.
func TestDaemonConflictingTransactions(t *testing.T) {
	_, sock := startDaemon(t)
	c1 := dialDaemon(t, sock, nil)
	c2 := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	if err := c1.Write(ctx, "/counter", []byte("0")); err != nil {
		t.Fatal(err)
	}

	tx1, err := c1.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx2, err := c2.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range []*xenstore.Tx{tx1, tx2} {
		if _, err := tx.Read(ctx, "/counter"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Write(ctx, "/counter", []byte("1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx1.Commit(ctx); err != nil {
		t.Fatalf("first commit: %v", err)
	}
	err = tx2.Commit(ctx)
	var xe *xenstore.Error
	if !errors.Is(err, xenstore.ErrAgain) || !errors.As(err, &xe) || xe.Name != "EAGAIN" || xe.Op != "TRANSACTION_END" {
		t.Fatalf("second commit: %v, want EAGAIN", err)
	}

	// Transact: the first run's commit conflicts with a write made from
	// the other connection in the middle of it; the second run succeeds.
	runs := 0
	err = c1.Transact(ctx, func(tx *xenstore.Tx) error {
		runs++
		v, err := tx.Read(ctx, "/counter")
		if err != nil {
			return err
		}
		if runs == 1 {
			if err := c2.Write(ctx, "/counter", []byte("10")); err != nil {
				return err
			}
		}
		n, _ := strconv.Atoi(string(v))
		return tx.Write(ctx, "/counter", []byte(strconv.Itoa(n+1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("fn ran %d times, want 2", runs)
	}
	if v, _ := c1.Read(ctx, "/counter"); string(v) != "11" {
		t.Fatalf("/counter = %q, want 11", v)
	}
}

// TestDaemonTransactCounter: 8 connections increment one counter 10 times
// each through Transact; no increment may be lost.
func TestDaemonTransactCounter(t *testing.T) {
	_, sock := startDaemon(t)
	ctx := testCtx(t)
	setup := dialDaemon(t, sock, nil)
	if err := setup.Write(ctx, "/n", []byte("0")); err != nil {
		t.Fatal(err)
	}
	var retries atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		c := dialDaemon(t, sock, &xenstore.Config{MaxTxAttempts: 1000, TxBackoff: 50 * time.Microsecond})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				first := true
				err := c.Transact(ctx, func(tx *xenstore.Tx) error {
					if !first {
						retries.Add(1)
					}
					first = false
					v, err := tx.Read(ctx, "/n")
					if err != nil {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.Write(ctx, "/n", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := setup.Read(ctx, "/n"); string(v) != "80" {
		t.Fatalf("/n = %q, want 80", v)
	}
	t.Logf("%d retries", retries.Load())
}

func TestDaemonFailNextCommit(t *testing.T) {
	s, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	s.FailNextCommits(2)
	runs := 0
	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
		runs++
		return tx.Write(ctx, "/x", []byte("y"))
	})
	if err != nil || runs != 3 {
		t.Fatalf("runs=%d err=%v", runs, err)
	}
}

// TestDaemonWatchOncePerChange: after the initial event, each change
// under the watched path fires exactly one event.
func TestDaemonWatchOncePerChange(t *testing.T) {
	_, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	other := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	w, err := c.Watch(ctx, "/w", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, w); ev != (xenstore.WatchEvent{Path: "/w", Token: "tok"}) {
		t.Fatalf("initial event %+v", ev)
	}
	steps := []struct {
		do   func() error
		want string
	}{
		{func() error { return other.Write(ctx, "/w/a", []byte("1")) }, "/w/a"},
		{func() error { return other.Write(ctx, "/w/b", []byte("2")) }, "/w/b"},
		{func() error { return other.Write(ctx, "/w/a", []byte("3")) }, "/w/a"},
		{func() error { return c.Mkdir(ctx, "/w/c") }, "/w/c"},
		{func() error { return other.Rm(ctx, "/w/b") }, "/w/b"},
		{func() error { return other.Write(ctx, "/elsewhere", nil) }, ""},
		{func() error {
			return other.SetPerms(ctx, "/w/a", xenstore.Perms{{Access: xenstore.AccessRead, Domain: 0}})
		}, "/w/a"},
	}
	for i, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if st.want == "" {
			continue
		}
		if ev := recvEvent(t, w); ev.Path != st.want || ev.Token != "tok" || ev.Overflow {
			t.Fatalf("step %d: event %+v, want %s", i, ev, st.want)
		}
	}
	select {
	case ev := <-w.Events():
		t.Fatalf("extra event %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Write(ctx, "/w/d", nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-w.Events(); ok {
		t.Fatal("event after Close")
	}
	// UNWATCH really reached the daemon: the token is free again there.
	if _, err := c.Watch(ctx, "/w", "tok"); err != nil {
		t.Fatalf("re-watch after Close: %v", err)
	}
}

func TestDaemonSpecialWatches(t *testing.T) {
	s, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	in, err := c.Watch(ctx, xenstore.WatchIntroduceDomain, "in")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Watch(ctx, xenstore.WatchReleaseDomain, "out")
	if err != nil {
		t.Fatal(err)
	}
	recvEvent(t, in)
	recvEvent(t, out)
	if ok, err := c.IsDomainIntroduced(ctx, 7); err != nil || ok {
		t.Fatalf("IsDomainIntroduced(7) before = %v, %v", ok, err)
	}
	s.IntroduceDomain(7)
	if ev := recvEvent(t, in); ev.Path != xenstore.WatchIntroduceDomain {
		t.Fatalf("got %+v", ev)
	}
	if ok, err := c.IsDomainIntroduced(ctx, 7); err != nil || !ok {
		t.Fatalf("IsDomainIntroduced(7) = %v, %v", ok, err)
	}
	if p, err := c.GetDomainPath(ctx, 7); err != nil || p != "/local/domain/7" {
		t.Fatalf("GetDomainPath(7) = %q, %v", p, err)
	}
	if err := c.Release(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, out); ev.Path != xenstore.WatchReleaseDomain {
		t.Fatalf("got %+v", ev)
	}
	if err := c.ResetWatches(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Watch(ctx, xenstore.WatchIntroduceDomain, "in"); err != nil {
		t.Fatalf("watch after reset: %v", err)
	}
}

// TestDaemonGuestPermissions: a connection acting as domain 5 is refused
// what its permissions do not allow.
func TestDaemonGuestPermissions(t *testing.T) {
	s, sock := startDaemon(t)
	dom0 := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	home := "/local/domain/5"
	if err := dom0.Mkdir(ctx, home); err != nil {
		t.Fatal(err)
	}
	if err := dom0.SetPerms(ctx, home, xenstore.Perms{{Access: xenstore.AccessNone, Domain: 5}}); err != nil {
		t.Fatal(err)
	}
	if err := dom0.Write(ctx, "/secret", []byte("dom0 only")); err != nil {
		t.Fatal(err)
	}
	s.IntroduceDomain(5)
	guest := dialAsDomain(t, s, 5, nil)

	refused := []struct {
		name string
		err  error
		is   error
	}{
		{"write /tool", guest.Write(ctx, "/tool/x", []byte("v")), xenstore.ErrPermission},
		{"read /secret", func() error { _, err := guest.Read(ctx, "/secret"); return err }(), xenstore.ErrPermission},
		{"rm /secret", guest.Rm(ctx, "/secret"), xenstore.ErrPermission},
		{"set perms /secret", guest.SetPerms(ctx, "/secret", xenstore.Perms{{Access: xenstore.AccessBoth, Domain: 5}}), xenstore.ErrPermission},
		{"give away home", guest.SetPerms(ctx, home, xenstore.Perms{{Access: xenstore.AccessNone, Domain: 6}}), xenstore.ErrNotPermitted},
		{"introduce", guest.Introduce(ctx, 9, 1, 1), xenstore.ErrPermission},
	}
	for _, r := range refused {
		if !errors.Is(r.err, r.is) {
			t.Errorf("%s: %v, want %v", r.name, r.err, r.is)
		}
		var xe *xenstore.Error
		if !errors.As(r.err, &xe) || xe.Name == "" {
			t.Errorf("%s: %#v is not a daemon *Error", r.name, r.err)
		}
	}
	// Its own home is writable, also through a relative path.
	if err := guest.Write(ctx, "data", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	if v, err := dom0.Read(ctx, home+"/data"); err != nil || string(v) != "mine" {
		t.Fatalf("dom0 reads %q, %v", v, err)
	}
	if v, _ := dom0.Read(ctx, "/secret"); string(v) != "dom0 only" {
		t.Fatal("a refused request changed the store")
	}
}

// countingRWC counts the bytes written through it.
type countingRWC struct {
	io.ReadWriteCloser
	n atomic.Int64
}

func (c *countingRWC) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.ReadWriteCloser.Write(p)
}

// TestDaemonOversizedNotSent: a request over 4096 payload bytes is refused
// by the client with nothing written, and the connection stays usable
// (xenstored would have dropped it).
func TestDaemonOversizedNotSent(t *testing.T) {
	s, _ := startDaemon(t)
	var cnt *countingRWC
	c := dialAsDomain(t, s, 0, func(rwc io.ReadWriteCloser) io.ReadWriteCloser {
		cnt = &countingRWC{ReadWriteCloser: rwc}
		return cnt
	})
	ctx := testCtx(t)
	path := "/local/domain/0/big"
	err := c.Write(ctx, path, make([]byte, 5000))
	var pe *xenstore.PayloadError
	if !errors.As(err, &pe) || !errors.Is(err, xenstore.ErrTooBig) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
	if pe.Size != len(path)+1+5000 || pe.Max != 4096 {
		t.Fatalf("PayloadError %+v", pe)
	}
	if n := cnt.n.Load(); n != 0 {
		t.Fatalf("%d bytes were written", n)
	}
	if err := c.Write(ctx, path, []byte("small")); err != nil {
		t.Fatalf("connection unusable after the refusal: %v", err)
	}
	if cnt.n.Load() == 0 {
		t.Fatal("counter broken")
	}
	if n, ok := s.Get(path); !ok || string(n.Value) != "small" {
		t.Fatalf("daemon has %+v", n)
	}
}

// TestDaemonDirectoryPart: a directory whose names exceed 4096 bytes is
// listed through DIRECTORY_PART, in and out of a transaction.
func TestDaemonDirectoryPart(t *testing.T) {
	_, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	var want []string
	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
		want = want[:0]
		for i := range 300 {
			name := fmt.Sprintf("child-with-a-long-name-%04d", i)
			want = append(want, name)
			if err := tx.Write(ctx, "/big/"+name, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Directory(ctx, "/big")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d names (%q...), want %d", len(got), got[:min(3, len(got))], len(want))
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort(ctx)
	if err := tx.Write(ctx, "/big/extra", nil); err != nil {
		t.Fatal(err)
	}
	got, err = tx.Directory(ctx, "/big")
	if err != nil || len(got) != 301 || got[300] != "extra" {
		t.Fatalf("in transaction: %d names, %v", len(got), err)
	}
}

func TestDaemonErrors(t *testing.T) {
	_, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	if _, err := c.Read(ctx, "/nope"); !errors.Is(err, xenstore.ErrNotExist) {
		t.Fatalf("read missing: %v", err)
	}
	if err := c.Rm(ctx, "/nope"); err != nil {
		t.Fatalf("rm missing node: %v", err)
	}
	if err := c.Rm(ctx, "/nope/deeper"); !errors.Is(err, xenstore.ErrNotExist) {
		t.Fatalf("rm with missing parent: %v", err)
	}
	// Controls answer too.
	if _, err := c.Control(ctx, "print", "hello"); err != nil {
		t.Fatalf("CONTROL print: %v", err)
	}
}

// TestDaemonServerGoes: when the daemon goes away, pending and later
// calls fail and watches end, all with ErrDisconnected.
func TestDaemonServerGoes(t *testing.T) {
	s, sock := startDaemon(t)
	c := dialDaemon(t, sock, nil)
	ctx := testCtx(t)
	w, err := c.Watch(ctx, "/x", "t")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for range w.Events() {
	}
	if !errors.Is(w.Err(), xenstore.ErrDisconnected) {
		t.Fatalf("watch Err = %v", w.Err())
	}
	if _, err := c.Read(ctx, "/x"); !errors.Is(err, xenstore.ErrDisconnected) {
		t.Fatalf("Read = %v", err)
	}
}

func TestDial(t *testing.T) {
	_, sock := startDaemon(t)
	t.Setenv("XENSTORED_PATH", sock)
	c, err := xenstore.Dial(&xenstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Directory(testCtx(t), "/"); err != nil {
		t.Fatal(err)
	}

	missing := filepath.Join(t.TempDir(), "none")
	t.Setenv("XENSTORED_PATH", missing)
	_, err = xenstore.Dial(nil)
	var de *xenstore.DialError
	if !errors.As(err, &de) || len(de.Tried) != 1 || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err = %v", err)
	}
}
