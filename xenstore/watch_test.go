package xenstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"xgo.dev/xgo/internal/xenstoretest"
	"xgo.dev/xgo/xenstore"
)

// watchPeer answers WATCH with OK followed by the initial event, as
// xenstored does, and everything else with typeHandler.
func watchPeer(req *xenstore.Message) []*xenstore.Message {
	if req.Type == xenstore.TypeWatch {
		a := xenstoretest.Args(req)
		return []*xenstore.Message{xenstoretest.OK(req), xenstoretest.Event(a[0], a[1])}
	}
	return typeHandler(req)
}

func TestWatchDemux(t *testing.T) {
	c, p := dialFake(t, watchPeer, nil)
	ctx := testCtx(t)
	a, err := c.Watch(ctx, "/a", "ta")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Watch(ctx, "@releaseDomain", "tb")
	if err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, a); ev != (xenstore.WatchEvent{Path: "/a", Token: "ta"}) {
		t.Fatalf("initial event %+v", ev)
	}
	if ev := recvEvent(t, b); ev != (xenstore.WatchEvent{Path: "@releaseDomain", Token: "tb"}) {
		t.Fatalf("initial event %+v", ev)
	}
	p.Send(
		xenstoretest.Event("/a/x", "ta"),
		xenstoretest.Event("/z", "nobody"), // unknown token: dropped
		xenstoretest.Event("@releaseDomain", "tb"),
		xenstoretest.Event("/a/y", "ta"),
	)
	for _, want := range []string{"/a/x", "/a/y"} {
		if ev := recvEvent(t, a); ev.Path != want || ev.Token != "ta" {
			t.Fatalf("got %+v, want %s", ev, want)
		}
	}
	if ev := recvEvent(t, b); ev.Path != "@releaseDomain" {
		t.Fatalf("got %+v", ev)
	}
}

// TestWatchEventBeforeReply: on /dev/xen/xenbus the first event can be
// read before the WATCH reply; it must not be lost.
func TestWatchEventBeforeReply(t *testing.T) {
	c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		if req.Type == xenstore.TypeWatch {
			return []*xenstore.Message{xenstoretest.Event("/a", "t"), xenstoretest.OK(req)}
		}
		return typeHandler(req)
	}, nil)
	w, err := c.Watch(testCtx(t), "/a", "t")
	if err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, w); ev.Path != "/a" {
		t.Fatalf("got %+v", ev)
	}
}

// TestSlowWatchConsumer: a watch nobody reads must not hold up replies,
// and its consumer learns about dropped events through Overflow.
func TestSlowWatchConsumer(t *testing.T) {
	var buf syncBuffer
	c, p := dialFake(t, watchPeer, &xenstore.Config{WatchBuffer: 4, Trace: &buf})
	ctx := testCtx(t)
	w, err := c.Watch(ctx, "/a", "t") // initial event: 1 queued
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		p.Send(xenstoretest.Event(fmt.Sprintf("/a/%d", i), "t"))
	}
	// Replies still flow while the watch is 100 events behind.
	for range 10 {
		if _, err := c.Read(ctx, "/r"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "events to be dropped", func() bool { return strings.Contains(buf.String(), "dropped event for /a/99") })
	want := []string{"/a", "/a/0", "/a/1", "/a/2"}
	for _, path := range want {
		if ev := recvEvent(t, w); ev.Path != path || ev.Overflow {
			t.Fatalf("got %+v, want %s", ev, path)
		}
	}
	if ev := recvEvent(t, w); !ev.Overflow || ev.Path != "/a" || ev.Token != "t" {
		t.Fatalf("got %+v, want the overflow event", ev)
	}
	// Back to normal afterwards.
	p.Send(xenstoretest.Event("/a/again", "t"))
	if ev := recvEvent(t, w); ev.Path != "/a/again" || ev.Overflow {
		t.Fatalf("got %+v", ev)
	}
}

func TestWatchClose(t *testing.T) {
	c, p := dialFake(t, watchPeer, nil)
	ctx := testCtx(t)
	w, err := c.Watch(ctx, "/a", "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	reqs := p.Requests()
	last := reqs[len(reqs)-1]
	if last.Type != xenstore.TypeUnwatch || strings.Join(xenstoretest.Args(last), ",") != "/a,t" {
		t.Fatalf("last request %s %q, want UNWATCH /a t", last.Type, last.Payload)
	}
	// The queued initial event is discarded; the channel closes.
	for range w.Events() {
	}
	if w.Err() != nil {
		t.Fatalf("Err after Close = %v", w.Err())
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := len(p.Requests()); n != len(reqs) {
		t.Fatal("second Close sent a request")
	}
	// Events for the old token are dropped, and the token can be reused.
	p.Send(xenstoretest.Event("/a", "t"))
	w2, err := c.Watch(ctx, "/b", "t")
	if err != nil {
		t.Fatal(err)
	}
	if ev := recvEvent(t, w2); ev.Path != "/b" && ev.Path != "/a" {
		t.Fatalf("got %+v", ev)
	}
}

func TestWatchTokens(t *testing.T) {
	c, _ := dialFake(t, watchPeer, nil)
	ctx := testCtx(t)
	if _, err := c.Watch(ctx, "/a", "same"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Watch(ctx, "/b", "same")
	if !errors.Is(err, xenstore.ErrExist) || !strings.Contains(err.Error(), `"same"`) {
		t.Fatalf("duplicate token: %v", err)
	}
	if _, err := c.Watch(ctx, "/taken", "xgo-1"); err != nil {
		t.Fatal(err)
	}
	g1, err := c.Watch(ctx, "/c", "") // must not pick xgo-1
	if err != nil {
		t.Fatal(err)
	}
	g2, err := c.Watch(ctx, "/c", "")
	if err != nil {
		t.Fatal(err)
	}
	if g1.Token() == "" || g1.Token() == g2.Token() {
		t.Fatalf("generated tokens %q and %q", g1.Token(), g2.Token())
	}
	if ev := recvEvent(t, g2); ev.Token != g2.Token() || ev.Path != "/c" {
		t.Fatalf("got %+v", ev)
	}
}

func TestWatchRefused(t *testing.T) {
	var mu sync.Mutex
	refuse := true
	c, _ := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		mu.Lock()
		defer mu.Unlock()
		if req.Type == xenstore.TypeWatch && refuse {
			return []*xenstore.Message{xenstoretest.Error(req, "ENOSPC")}
		}
		return watchPeer(req)
	}, nil)
	ctx := testCtx(t)
	_, err := c.Watch(ctx, "/a", "t")
	if !errors.Is(err, xenstore.ErrQuota) {
		t.Fatalf("err = %v", err)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	if _, err := c.Watch(ctx, "/a", "t"); err != nil {
		t.Fatalf("token not freed after a refused WATCH: %v", err)
	}
}

func TestResetWatches(t *testing.T) {
	c, p := dialFake(t, watchPeer, nil)
	ctx := testCtx(t)
	w, err := c.Watch(ctx, "/a", "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ResetWatches(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-w.Events():
		for ok {
			_, ok = <-w.Events()
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch still open after ResetWatches")
	}
	if !errors.Is(w.Err(), xenstore.ErrWatchesReset) {
		t.Fatalf("Err = %v", w.Err())
	}
	n := len(p.Requests())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if len(p.Requests()) != n {
		t.Fatal("Close after reset sent UNWATCH")
	}
	if _, err := c.Watch(ctx, "/a", "t"); err != nil {
		t.Fatalf("token not free after reset: %v", err)
	}
}

// TestWatchAbandoned: a Watch whose context ends while xenstored is still
// registering it is unregistered once the reply comes, and its token is
// reserved until then.
func TestWatchAbandoned(t *testing.T) {
	var mu sync.Mutex
	var held *xenstore.Message
	unwatched := make(chan *xenstore.Message, 1)
	c, p := dialFake(t, func(req *xenstore.Message) []*xenstore.Message {
		switch req.Type {
		case xenstore.TypeWatch:
			mu.Lock()
			defer mu.Unlock()
			if held == nil {
				held = req
				return nil
			}
		case xenstore.TypeUnwatch:
			unwatched <- req
		}
		return watchPeer(req)
	}, nil)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.Watch(ctx, "/a", "t")
		errc <- err
	}()
	waitFor(t, "WATCH", func() bool { mu.Lock(); defer mu.Unlock(); return held != nil })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Watch: %v", err)
	}
	if _, err := c.Watch(testCtx(t), "/b", "t"); !errors.Is(err, xenstore.ErrExist) {
		t.Fatalf("token reused while the abandoned WATCH is pending: %v", err)
	}
	mu.Lock()
	p.Send(xenstoretest.OK(held), xenstoretest.Event("/a", "t"))
	mu.Unlock()
	select {
	case m := <-unwatched:
		if got := strings.Join(xenstoretest.Args(m), " "); got != "/a t" {
			t.Fatalf("UNWATCH %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("abandoned watch not unregistered")
	}
	waitFor(t, "token to be free", func() bool {
		w, err := c.Watch(testCtx(t), "/b", "t")
		if err == nil {
			w.Close()
		}
		return err == nil
	})
}
