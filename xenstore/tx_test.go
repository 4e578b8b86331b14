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

// txPeer hands out transaction ids 1, 2, ... and refuses the first
// `conflicts` commits with EAGAIN. It records the TRANSACTION_END payloads.
type txPeer struct {
	mu        sync.Mutex
	next      uint32
	conflicts int
	ends      []string // "T 1", "F 2", ...
}

func (tp *txPeer) handle(req *xenstore.Message) []*xenstore.Message {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	switch req.Type {
	case xenstore.TypeTransactionStart:
		tp.next++
		return []*xenstore.Message{xenstoretest.ReplyString(req, fmt.Sprint(tp.next))}
	case xenstore.TypeTransactionEnd:
		kind := strings.TrimSuffix(string(req.Payload), "\x00")
		tp.ends = append(tp.ends, fmt.Sprintf("%s %d", kind, req.TxID))
		if kind == "T" && tp.conflicts > 0 {
			tp.conflicts--
			return []*xenstore.Message{xenstoretest.Error(req, "EAGAIN")}
		}
	}
	return typeHandler(req)
}

func (tp *txPeer) endings() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return strings.Join(tp.ends, ", ")
}

func TestTransactRetriesCommitEAGAIN(t *testing.T) {
	tp := &txPeer{conflicts: 2}
	c, p := dialFake(t, tp.handle, nil)
	ctx := testCtx(t)
	runs := 0
	err := c.Transact(ctx, func(tx *xenstore.Tx) error {
		runs++
		if _, err := tx.Read(ctx, "/a"); err != nil {
			return err
		}
		return tx.Write(ctx, "/a", []byte("x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 3 {
		t.Fatalf("fn ran %d times, want 3", runs)
	}
	if got, want := tp.endings(), "T 1, T 2, T 3"; got != want {
		t.Fatalf("TRANSACTION_ENDs %q, want %q", got, want)
	}
	// Each attempt's requests carry that attempt's tx_id.
	for _, m := range p.Requests() {
		if (m.Type == xenstore.TypeRead || m.Type == xenstore.TypeWrite) && m.TxID == 0 {
			t.Fatalf("%s sent outside the transaction", m.Type)
		}
	}
}

func TestTransactFnErrorAborts(t *testing.T) {
	tp := &txPeer{}
	c, _ := dialFake(t, tp.handle, nil)
	boom := errors.New("boom")
	err := c.Transact(testCtx(t), func(tx *xenstore.Tx) error { return boom })
	if err != boom {
		t.Fatalf("err = %v, want boom itself", err)
	}
	if got := tp.endings(); got != "F 1" {
		t.Fatalf("TRANSACTION_ENDs %q, want an abort", got)
	}
	// An EAGAIN from fn is fn's error: not retried.
	runs := 0
	err = c.Transact(testCtx(t), func(tx *xenstore.Tx) error {
		runs++
		return fmt.Errorf("inner: %w", xenstore.ErrAgain)
	})
	if runs != 1 || !errors.Is(err, xenstore.ErrAgain) {
		t.Fatalf("runs=%d err=%v", runs, err)
	}
}

func TestTransactPanicAborts(t *testing.T) {
	tp := &txPeer{}
	c, _ := dialFake(t, tp.handle, nil)
	func() {
		defer func() {
			if r := recover(); r != "oops" {
				t.Fatalf("recovered %v", r)
			}
		}()
		c.Transact(testCtx(t), func(tx *xenstore.Tx) error { panic("oops") })
	}()
	if got := tp.endings(); got != "F 1" {
		t.Fatalf("TRANSACTION_ENDs %q, want an abort", got)
	}
}

func TestTransactGivesUp(t *testing.T) {
	tp := &txPeer{conflicts: 1000}
	c, _ := dialFake(t, tp.handle, &xenstore.Config{MaxTxAttempts: 4, TxBackoff: time.Microsecond})
	runs := 0
	err := c.Transact(testCtx(t), func(tx *xenstore.Tx) error { runs++; return nil })
	if runs != 4 || !errors.Is(err, xenstore.ErrAgain) || !strings.Contains(err.Error(), "4 attempts") {
		t.Fatalf("runs=%d err=%v", runs, err)
	}
	var xe *xenstore.Error
	if !errors.As(err, &xe) || xe.Op != "TRANSACTION_END" {
		t.Fatalf("err %v does not carry the commit's *Error", err)
	}
}

func TestTransactContextDuringBackoff(t *testing.T) {
	tp := &txPeer{conflicts: 1000}
	c, _ := dialFake(t, tp.handle, &xenstore.Config{TxBackoff: time.Hour})
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Transact(ctx, func(tx *xenstore.Tx) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, xenstore.ErrAgain) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("backoff ignored the context")
	}
}

func TestTxDone(t *testing.T) {
	tp := &txPeer{}
	c, p := dialFake(t, tp.handle, nil)
	ctx := testCtx(t)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tx.ID() != 1 {
		t.Fatalf("ID = %d", tx.ID())
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n := len(p.Raw())
	checks := map[string]error{
		"Read":   func() error { _, err := tx.Read(ctx, "/a"); return err }(),
		"Write":  tx.Write(ctx, "/a", nil),
		"Mkdir":  tx.Mkdir(ctx, "/a"),
		"Rm":     tx.Rm(ctx, "/a"),
		"Dir":    func() error { _, err := tx.Directory(ctx, "/a"); return err }(),
		"Get":    func() error { _, err := tx.GetPerms(ctx, "/a"); return err }(),
		"Set":    tx.SetPerms(ctx, "/a", xenstore.Perms{{Access: xenstore.AccessNone}}),
		"Commit": tx.Commit(ctx),
		"Abort":  tx.Abort(ctx),
	}
	for name, err := range checks {
		if !errors.Is(err, xenstore.ErrTxDone) {
			t.Errorf("%s after Commit: %v", name, err)
		}
	}
	if len(p.Raw()) != n {
		t.Fatal("a finished transaction sent requests")
	}
}

// TestTxOps runs every Ops method inside a transaction and checks tx_id.
func TestTxOps(t *testing.T) {
	tp := &txPeer{next: 41}
	c, p := dialFake(t, tp.handle, nil)
	ctx := testCtx(t)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ops xenstore.Ops = tx
	if v, err := ops.Read(ctx, "/a"); err != nil || string(v) != "v" {
		t.Fatalf("Read = %q, %v", v, err)
	}
	if d, err := ops.Directory(ctx, "/a"); err != nil || strings.Join(d, ",") != "a,b" {
		t.Fatalf("Directory = %q, %v", d, err)
	}
	if ps, err := ops.GetPerms(ctx, "/a"); err != nil || ps.String() != "b0,r1" {
		t.Fatalf("GetPerms = %v, %v", ps, err)
	}
	for _, err := range []error{
		ops.Write(ctx, "/a", []byte("v")),
		ops.Mkdir(ctx, "/a"),
		ops.Rm(ctx, "/a"),
		ops.SetPerms(ctx, "/a", xenstore.Perms{{Access: xenstore.AccessRead, Domain: 1}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range p.Requests()[1:] {
		if m.TxID != 42 {
			t.Fatalf("%s has tx_id %d, want 42", m.Type, m.TxID)
		}
	}
}
