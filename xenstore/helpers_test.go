package xenstore_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"xgo.dev/xgo/internal/xenstoretest"
	"xgo.dev/xgo/xenstore"
)

// hexBytes parses hand-annotated hex: whitespace-separated byte pairs,
// anything after '#' on a line is a comment.
func hexBytes(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.Fields(line) {
			b, err := hex.DecodeString(f)
			if err != nil {
				t.Fatalf("bad hex %q: %v", f, err)
			}
			out = append(out, b...)
		}
	}
	return out
}

// testCtx is a context that fails the test rather than hang forever.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialFake connects a client to a scripted peer and closes both at the end
// of the test. Tracing is off whatever XGODEBUG says, unless cfg sets it.
func dialFake(t testing.TB, h xenstoretest.Handler, cfg *xenstore.Config) (*xenstore.Conn, *xenstoretest.Peer) {
	t.Helper()
	if cfg == nil {
		cfg = &xenstore.Config{}
	}
	c, p := xenstoretest.Dial(h, cfg)
	t.Cleanup(func() {
		c.Close()
		p.Close()
	})
	return c, p
}

// typeHandler answers each request type with a fixed, plausible reply.
func typeHandler(req *xenstore.Message) []*xenstore.Message {
	switch req.Type {
	case xenstore.TypeRead:
		return []*xenstore.Message{xenstoretest.Reply(req, []byte("v"))}
	case xenstore.TypeDirectory:
		return []*xenstore.Message{xenstoretest.Reply(req, xenstore.JoinPayload("a", "b"))}
	case xenstore.TypeGetPerms:
		return []*xenstore.Message{xenstoretest.Reply(req, xenstore.JoinPayload("b0", "r1"))}
	case xenstore.TypeTransactionStart:
		return []*xenstore.Message{xenstoretest.ReplyString(req, "7")}
	case xenstore.TypeGetDomainPath:
		return []*xenstore.Message{xenstoretest.ReplyString(req, "/local/domain/3")}
	case xenstore.TypeIsDomainIntroduced:
		return []*xenstore.Message{xenstoretest.ReplyString(req, "T")}
	case xenstore.TypeDirectoryPart:
		return []*xenstore.Message{xenstoretest.Reply(req, []byte("1\x00a\x00\x00"))}
	}
	return []*xenstore.Message{xenstoretest.OK(req)}
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recvEvent waits for the next event of w, failing the test if none comes
// or the channel is closed.
func recvEvent(t testing.TB, w *xenstore.Watch) xenstore.WatchEvent {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatalf("watch %q ended: %v", w.Token(), w.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatalf("no event for watch %q", w.Token())
	}
	panic("unreachable")
}

// pipeStderr points os.Stderr at a pipe until done is called (or the test
// ends); read then returns everything written to it.
func pipeStderr(t *testing.T) (read func() string, done func(), err error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	old := os.Stderr
	os.Stderr = pw
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&out, pr)
		close(copied)
	}()
	var once sync.Once
	done = func() {
		once.Do(func() {
			os.Stderr = old
			pw.Close()
		})
	}
	t.Cleanup(done)
	read = func() string {
		<-copied
		return out.String()
	}
	return read, done, nil
}
