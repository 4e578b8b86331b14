package xenstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/internal/xenstoretest"
	"xgo.dev/xgo/xenstore"
)

// memHandler is a minimal store: READ and WRITE on a map, OK for the rest.
// The peer calls it from one goroutine.
func memHandler() xenstoretest.Handler {
	m := map[string][]byte{}
	return func(req *xenstore.Message) []*xenstore.Message {
		args := xenstoretest.Args(req)
		switch req.Type {
		case xenstore.TypeRead:
			v, ok := m[args[0]]
			if !ok {
				return []*xenstore.Message{xenstoretest.Error(req, "ENOENT")}
			}
			return []*xenstore.Message{xenstoretest.Reply(req, v)}
		case xenstore.TypeWrite:
			m[args[0]] = []byte(args[1])
		}
		return []*xenstore.Message{xenstoretest.OK(req)}
	}
}

// TestConcurrentPipelined runs 64 goroutines on one Conn against a peer
// that answers in random order, so every reply must find its caller by
// req_id.
func TestConcurrentPipelined(t *testing.T) {
	var p *xenstoretest.Peer
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		args := xenstoretest.Args(req)
		go func() {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			p.Send(xenstoretest.Reply(req, []byte("value of "+args[0])))
		}()
		return nil
	}, nil)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				path := fmt.Sprintf("/g%d/i%d", g, i)
				v, err := c.Read(ctx, path)
				if err != nil {
					errs <- err
					return
				}
				if string(v) != "value of "+path {
					errs <- fmt.Errorf("read %s got %q", path, v)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Requests really were in flight together: req_ids are all distinct.
	ids := map[uint32]bool{}
	for _, m := range p.Requests() {
		if ids[m.ReqID] {
			t.Fatalf("req_id %d used twice", m.ReqID)
		}
		ids[m.ReqID] = true
	}
}

func TestCloseInterruptsPending(t *testing.T) {
	c, p := dialFake(t, func(*xenstore.Message) []*xenstore.Message { return nil }, nil)
	ctx := testCtx(t)
	w, err := watchNoReply(t, c, p)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.Read(ctx, "/hang")
			errs <- err
		}()
	}
	waitFor(t, "requests to reach the peer", func() bool { return len(p.Requests()) == n+1 })
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range n {
		err := <-errs
		if !errors.Is(err, xenstore.ErrClosed) || !errors.Is(err, net.ErrClosed) {
			t.Errorf("pending call: %v, want ErrClosed", err)
		}
	}
	if _, err := c.Read(ctx, "/after"); !errors.Is(err, xenstore.ErrClosed) {
		t.Errorf("call after Close: %v", err)
	}
	if _, ok := <-w.Events(); ok {
		t.Error("watch channel still open after Close")
	}
	if !errors.Is(w.Err(), xenstore.ErrClosed) {
		t.Errorf("watch Err = %v", w.Err())
	}
	if err := w.Close(); err != nil {
		t.Errorf("Watch.Close after Conn.Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// watchNoReply registers a watch with a peer that does not answer by
// itself, answering the WATCH by hand.
func watchNoReply(t *testing.T, c *xenstore.Conn, p *xenstoretest.Peer) (*xenstore.Watch, error) {
	t.Helper()
	go func() {
		waitFor(t, "WATCH", func() bool { return len(p.Requests()) > 0 })
		p.Send(xenstoretest.OK(p.Requests()[0]))
	}()
	return c.Watch(testCtx(t), "/w", "t")
}

func TestBrokenConnection(t *testing.T) {
	c, p := dialFake(t, func(*xenstore.Message) []*xenstore.Message { return nil }, nil)
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(ctx, "/x")
		errc <- err
	}()
	waitFor(t, "request", func() bool { return len(p.Requests()) == 1 })
	if c.Err() != nil {
		t.Fatalf("Err before = %v", c.Err())
	}
	p.Close()
	<-c.Done()
	if !errors.Is(c.Err(), io.EOF) {
		t.Fatalf("Err = %v", c.Err())
	}
	err := <-errc
	if !errors.Is(err, xenstore.ErrDisconnected) || !errors.Is(err, io.EOF) {
		t.Fatalf("pending call: %v, want ErrDisconnected and EOF", err)
	}
	if err := c.Write(ctx, "/y", nil); !errors.Is(err, xenstore.ErrDisconnected) {
		t.Fatalf("later call: %v", err)
	}
	if errors.Is(err, xenstore.ErrClosed) {
		t.Fatal("a broken connection is not ErrClosed")
	}
}

func TestOversizedReplyBreaksConnection(t *testing.T) {
	var p *xenstoretest.Peer
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		hdr := []byte{2, 0, 0, 0, byte(req.ReqID), 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0} // len 4097
		p.SendRaw(hdr)
		return nil
	}, nil)
	_, err := c.Read(testCtx(t), "/x")
	if !errors.Is(err, xenstore.ErrDisconnected) || !errors.Is(err, xenstore.ErrProtocol) || !errors.Is(err, xenstore.ErrPayloadTooBig) {
		t.Fatalf("err = %v", err)
	}
}

// TestRefusedBeforeSending checks the client's own validation: nothing of
// these requests may reach the daemon.
func TestRefusedBeforeSending(t *testing.T) {
	c, p := dialFake(t, nil, nil)
	ctx := testCtx(t)
	long := "/" + strings.Repeat("a", 4000)
	cases := []struct {
		name    string
		do      func() error
		is      []error
		mention string
	}{
		{"empty path", func() error { _, err := c.Read(ctx, ""); return err }, []error{xenstore.ErrInvalid}, `""`},
		{"double slash", func() error { return c.Write(ctx, "/a//b", nil) }, []error{xenstore.ErrInvalid}, `"/a//b"`},
		{"trailing slash", func() error { return c.Mkdir(ctx, "/a/") }, []error{xenstore.ErrInvalid}, `"/a/"`},
		{"bad character", func() error { return c.Rm(ctx, "/a b") }, []error{xenstore.ErrInvalid}, `"/a b"`},
		{"special path read", func() error { _, err := c.Directory(ctx, "@releaseDomain"); return err }, []error{xenstore.ErrInvalid}, "@releaseDomain"},
		{"path too long", func() error { _, err := c.GetPerms(ctx, long); return err }, []error{xenstore.ErrInvalid}, "longer than 3072"},
		{"unknown special watch", func() error { _, err := c.Watch(ctx, "@foo", "t"); return err }, []error{xenstore.ErrInvalid}, "@foo"},
		{"token with NUL", func() error { _, err := c.Watch(ctx, "/a", "x\x00y"); return err }, []error{xenstore.ErrInvalid}, "NUL"},
		{"no perms", func() error { return c.SetPerms(ctx, "/a", nil) }, []error{xenstore.ErrInvalid}, "/a"},
		{"bad access letter", func() error { return c.SetPerms(ctx, "/a", xenstore.Perms{{Access: 'x'}}) }, []error{xenstore.ErrInvalid}, "x0"},
		{
			"payload over 4096", func() error { return c.Write(ctx, "/big", make([]byte, 4092)) },
			[]error{xenstore.ErrTooBig, xenstore.ErrPayloadTooBig}, "WRITE /big: request payload of 4097 bytes exceeds the 4096-byte limit",
		},
		{
			"watch payload over 4096", func() error { _, err := c.Watch(ctx, "/w", strings.Repeat("t", 4096)); return err },
			[]error{xenstore.ErrTooBig}, "WATCH /w",
		},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if err == nil {
				t.Fatal("no error")
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("%v is not %v", err, target)
				}
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not mention %q", err, tt.mention)
			}
			var xe *xenstore.Error
			if !errors.As(err, &xe) || xe.Op == "" {
				t.Errorf("error %#v is not an *Error with Op", err)
			}
		})
	}
	if raw := p.Raw(); len(raw) != 0 {
		t.Fatalf("%d requests reached the peer: first [% x]", len(raw), raw[0])
	}
	// The limit is inclusive: "/big\0" plus 4091 bytes is exactly 4096.
	if err := c.Write(ctx, "/big", make([]byte, 4091)); err != nil {
		t.Fatalf("4096-byte payload: %v", err)
	}
	if raw := p.Raw(); len(raw) != 1 || len(raw[0]) != xenstore.HeaderSize+xenstore.PayloadMax {
		t.Fatalf("peer got %d messages", len(raw))
	}
}

func TestReplyValidation(t *testing.T) {
	t.Run("wrong type", func(t *testing.T) {
		c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
			r := xenstoretest.OK(req)
			r.Type = xenstore.TypeRm
			return []*xenstore.Message{r}
		}, nil)
		_, err := c.Read(testCtx(t), "/a")
		if !errors.Is(err, xenstore.ErrProtocol) || !strings.Contains(err.Error(), "RM") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("wrong tx_id", func(t *testing.T) {
		c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
			if req.Type == xenstore.TypeTransactionStart {
				return []*xenstore.Message{xenstoretest.ReplyString(req, "5")}
			}
			r := xenstoretest.Reply(req, []byte("v"))
			r.TxID = 6
			return []*xenstore.Message{r}
		}, nil)
		ctx := testCtx(t)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Read(ctx, "/a")
		if !errors.Is(err, xenstore.ErrProtocol) || !strings.Contains(err.Error(), "tx_id 6") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unknown req_id dropped", func(t *testing.T) {
		var p *xenstoretest.Peer
		c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
			stray := xenstoretest.Reply(req, []byte("stray"))
			stray.ReqID += 1000
			return []*xenstore.Message{stray, xenstoretest.Reply(req, []byte("real"))}
		}, nil)
		v, err := c.Read(testCtx(t), "/a")
		if err != nil || string(v) != "real" {
			t.Fatalf("Read = %q, %v", v, err)
		}
		_ = p
	})
	t.Run("bad transaction id", func(t *testing.T) {
		c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
			return []*xenstore.Message{xenstoretest.ReplyString(req, "seven")}
		}, nil)
		if _, err := c.Begin(testCtx(t)); !errors.Is(err, xenstore.ErrProtocol) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad perms", func(t *testing.T) {
		c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
			return []*xenstore.Message{xenstoretest.Reply(req, []byte("q1\x00"))}
		}, nil)
		if _, err := c.GetPerms(testCtx(t), "/a"); !errors.Is(err, xenstore.ErrProtocol) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestContextEndsWait: a cancelled wait returns the context's error, the
// late reply is discarded and the connection goes on working.
func TestContextEndsWait(t *testing.T) {
	var held *xenstore.Message
	var mu sync.Mutex
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		if bytes.HasPrefix(req.Payload, []byte("/slow")) {
			mu.Lock()
			held = req
			mu.Unlock()
			return nil
		}
		return []*xenstore.Message{xenstoretest.Reply(req, []byte("fast"))}
	}, nil)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(ctx, "/slow")
		errc <- err
	}()
	waitFor(t, "slow request", func() bool { mu.Lock(); defer mu.Unlock(); return held != nil })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	mu.Lock()
	p.Send(xenstoretest.Reply(held, []byte("late")))
	mu.Unlock()
	v, err := c.Read(testCtx(t), "/fast")
	if err != nil || string(v) != "fast" {
		t.Fatalf("Read after cancel = %q, %v", v, err)
	}
	// A context that has already ended sends nothing.
	n := len(p.Raw())
	if _, err := c.Read(ctx, "/never"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(p.Raw()) != n {
		t.Fatal("request sent with a cancelled context")
	}
}

// TestBeginAbandonedIsAborted: if the caller of Begin gives up after the
// request went out, the transaction opened later is aborted.
func TestBeginAbandonedIsAborted(t *testing.T) {
	var mu sync.Mutex
	var start *xenstore.Message
	ended := make(chan *xenstore.Message, 1)
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		switch req.Type {
		case xenstore.TypeTransactionStart:
			mu.Lock()
			start = req
			mu.Unlock()
			return nil
		case xenstore.TypeTransactionEnd:
			ended <- req
		}
		return []*xenstore.Message{xenstoretest.OK(req)}
	}, nil)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Begin(ctx)
		errc <- err
	}()
	waitFor(t, "TRANSACTION_START", func() bool { mu.Lock(); defer mu.Unlock(); return start != nil })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin: %v", err)
	}
	mu.Lock()
	p.Send(xenstoretest.ReplyString(start, "9"))
	mu.Unlock()
	select {
	case end := <-ended:
		if end.TxID != 9 || string(end.Payload) != "F\x00" {
			t.Fatalf("got %s tx_id=%d %q, want abort of 9", end.Type, end.TxID, end.Payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("abandoned transaction was not aborted")
	}
}

func TestErrorText(t *testing.T) {
	c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		return []*xenstore.Message{xenstoretest.Error(req, "ENOENT")}
	}, nil)
	ctx := testCtx(t)
	_, err := c.Read(ctx, "/local/domain/9/name")
	if got, want := err.Error(), "xenstore READ /local/domain/9/name: ENOENT (no such file or directory)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("%v does not match fs.ErrNotExist and ENOENT", err)
	}
	err = c.Write(ctx, "/a//b", nil)
	if got, want := err.Error(), `xenstore WRITE: invalid xenstore path "/a//b": contains "//"`; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	var pe *xenstore.PathError
	if !errors.As(err, &pe) || pe.Path != "/a//b" {
		t.Errorf("%#v is not a *PathError for /a//b", err)
	}
}

func TestTrace(t *testing.T) {
	var buf syncBuffer
	c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		if req.Type == xenstore.TypeRead {
			return []*xenstore.Message{xenstoretest.Error(req, "ENOENT")}
		}
		return []*xenstore.Message{xenstoretest.OK(req), xenstoretest.Event("/x", "nobody")}
	}, &xenstore.Config{Trace: &buf})
	ctx := testCtx(t)
	c.Read(ctx, "/local/domain/0/name")
	c.Write(ctx, "/a", []byte("v"))
	waitFor(t, "trace of the dropped event", func() bool { return strings.Contains(buf.String(), "unknown token") })
	out := buf.String()
	for _, want := range []string{
		`-> READ req_id=1 tx_id=0 len=21 "/local/domain/0/name\x00"`,
		`<- ERROR req_id=1 tx_id=0 len=7 err=ENOENT`,
		`-> WRITE req_id=2 tx_id=0 len=4 "/a\x00v"`,
		`<- WRITE req_id=2 tx_id=0 len=3 "OK\x00"`,
		`<- WATCH_EVENT req_id=0 tx_id=0 len=10 "/x\x00nobody\x00"`,
		`!! dropped WATCH_EVENT /x for unknown token "nobody"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "xenstore: ") {
			t.Errorf("trace line without prefix: %q", line)
		}
	}
}

// TestTraceFromEnv: XGODEBUG=hypercall,xenstore turns tracing on (to
// stderr); Config.Trace = io.Discard turns it off again.
func TestTraceFromEnv(t *testing.T) {
	t.Setenv("XGODEBUG", "hypercall,xenstore")
	r, w, err := pipeStderr(t)
	if err != nil {
		t.Skip(err)
	}
	c, _ := xenstoretest.Dial(nil, nil)
	c.Mkdir(testCtx(t), "/a")
	c.Close()
	quiet, _ := xenstoretest.Dial(nil, &xenstore.Config{Trace: io.Discard})
	quiet.Mkdir(testCtx(t), "/quiet")
	quiet.Close()
	w()
	out := r()
	if !strings.Contains(out, `-> MKDIR req_id=1 tx_id=0 len=3 "/a\x00"`) {
		t.Errorf("stderr lacks the MKDIR trace:\n%s", out)
	}
	if strings.Contains(out, "/quiet") {
		t.Errorf("Trace: io.Discard still traced:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
