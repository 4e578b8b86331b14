package xenstored

import (
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

// guestSetup gives domain 5 a writable /w (n0,b5) and returns dom0's and
// domain 5's connections.
func guestSetup(t *testing.T, cfg *Config) (*Server, *testClient, *testClient) {
	t.Helper()
	s := newTestServer(t, cfg)
	dom0 := dial(t, s, 0)
	dom0.mustOK(xenstore.TypeMkdir, 0, "/w")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/w", "n0", "b5")
	return s, dom0, dial(t, s, 5)
}

func TestQuotaNodes(t *testing.T) {
	_, dom0, u := guestSetup(t, &Config{Quota: Quotas{Nodes: 3}})
	for i := 0; i < 3; i++ {
		u.mustWrite(0, "/w/"+strconv.Itoa(i), "v")
	}
	if got := u.write(0, "/w/x", "v"); got != "ENOSPC" {
		t.Errorf("4th node = %q, want ENOSPC", got)
	}
	u.mustWrite(0, "/w/0", "rewrite") // existing nodes are fine
	u.mustOK(xenstore.TypeRm, 0, "/w/0")
	u.mustWrite(0, "/w/x", "v")
	// A multi-level create that cannot complete leaves nothing behind.
	u.mustOK(xenstore.TypeRm, 0, "/w/x")
	if got := u.write(0, "/w/a/b", "v"); got != "ENOSPC" {
		t.Errorf("two new nodes with room for one = %q", got)
	}
	if got := u.read(0, "/w/a"); got != "ENOENT" {
		t.Errorf("partial create left /w/a: %q", got)
	}
	// dom0 is not limited, and nodes count for their owner.
	for i := 0; i < 10; i++ {
		dom0.mustWrite(0, "/w/d0-"+strconv.Itoa(i), "v")
	}
	if got := dom0.call(xenstore.TypeControl, 0, "quota", "5"); !strings.Contains(got, "nodes           :        2") {
		t.Errorf("CONTROL quota 5 = %q", got)
	}
	// In a transaction the count is checked at commit (cnt >= quota).
	tx := u.txStart()
	u.mustWrite(tx, "/w/t", "v") // would make 3
	if got := u.txEnd(tx, true); got != "ENOSPC" {
		t.Errorf("commit reaching the quota = %q, want ENOSPC", got)
	}
}

func TestQuotaNodeSize(t *testing.T) {
	_, dom0, u := guestSetup(t, nil)
	// Record: 24-byte header + 8 per permission + value + children.
	// /w/v has 2 permissions, so 2048-24-16 = 2008 bytes reach 2048.
	if got := u.write(0, "/w/v", strings.Repeat("x", 2007)); got != "OK|" {
		t.Errorf("2007-byte value = %q", got)
	}
	if got := u.write(0, "/w/v", strings.Repeat("x", 2008)); got != "ENOSPC" {
		t.Errorf("2008-byte value = %q, want ENOSPC", got)
	}
	if got := dom0.write(0, "/w/v", strings.Repeat("x", 4000)); got != "OK|" {
		t.Errorf("dom0 4000-byte value = %q", got)
	}
	// The children list counts: a parent's record grows with each child.
	dom0.mustOK(xenstore.TypeMkdir, 0, "/w/dir")
	name := strings.Repeat("c", 1010)
	u.mustOK(xenstore.TypeMkdir, 0, "/w/dir/"+name+"1")
	if got := u.call(xenstore.TypeMkdir, 0, "/w/dir/"+name+"2"); got != "ENOSPC" {
		t.Errorf("parent over node-size by its children = %q", got)
	}
}

func TestQuotaNodePerms(t *testing.T) {
	_, dom0, u := guestSetup(t, nil)
	u.mustWrite(0, "/w/p", "")
	five := []string{"n5", "r1", "r2", "r3", "r4"}
	if got := u.setPerms(0, "/w/p", five...); got != "OK|" {
		t.Errorf("5 entries = %q", got)
	}
	if got := u.setPerms(0, "/w/p", append(five, "r6")...); got != "ENOSPC" {
		t.Errorf("6 entries = %q, want ENOSPC", got)
	}
	if got := dom0.setPerms(0, "/w/p", append(five, "r6", "r7")...); got != "OK|" {
		t.Errorf("dom0 with 7 entries = %q", got)
	}
}

func TestQuotaWatches(t *testing.T) {
	_, dom0, u := guestSetup(t, &Config{Quota: Quotas{Watches: 2}})
	// C compares the count > quota before adding: quota+1 watches fit.
	for i := 0; i < 3; i++ {
		u.watch("/w/"+strconv.Itoa(i), "t")
	}
	if got := u.call(xenstore.TypeWatch, 0, "/w/x", "t"); got != "E2BIG" {
		t.Errorf("4th watch = %q, want E2BIG", got)
	}
	u.mustOK(xenstore.TypeUnwatch, 0, "/w/0", "t")
	u.watch("/w/x", "t")
	for i := 0; i < 10; i++ {
		dom0.watch("/d0/"+strconv.Itoa(i), "t")
	}
}

func TestQuotaTransactions(t *testing.T) {
	_, dom0, u := guestSetup(t, &Config{Quota: Quotas{Transactions: 2}})
	// C compares transaction_started > quota: quota+1 may be open.
	var ids []uint32
	for i := 0; i < 3; i++ {
		ids = append(ids, u.txStart())
	}
	if got := result(u.do(xenstore.TypeTransactionStart, 0, []byte{0})); got != "ENOSPC" {
		t.Errorf("4th transaction = %q, want ENOSPC", got)
	}
	u.txEnd(ids[0], false)
	u.txStart()
	for i := 0; i < 20; i++ {
		dom0.txStart()
	}
}

func TestQuotaTransactionNodes(t *testing.T) {
	_, dom0, u := guestSetup(t, &Config{Quota: Quotas{TxNodes: 3}})
	for i := 0; i < 5; i++ {
		dom0.mustWrite(0, "/w/"+strconv.Itoa(i), "v")
	}
	tx := u.txStart()
	for i := 0; i < 3; i++ {
		if got := u.read(tx, "/w/"+strconv.Itoa(i)); got != "v" {
			t.Fatalf("read %d = %q", i, got)
		}
	}
	if got := u.read(tx, "/w/3"); got != "ENOSPC" {
		t.Errorf("4th node in a transaction = %q, want ENOSPC", got)
	}
	// The failure dooms the transaction: commit answers ENOMEM.
	if got := u.txEnd(tx, true); got != "ENOMEM" {
		t.Errorf("commit of a failed transaction = %q, want ENOMEM", got)
	}
}

// A domain stops being read while it has quota_req_outstanding replies
// (and their watch events) not yet delivered.
func TestQuotaOutstanding(t *testing.T) {
	s := newTestServer(t, &Config{Quota: Quotas{Outstanding: 4}})
	cli, srv := net.Pipe()
	go s.ServeConn(srv, 5)
	var sent atomic.Int32
	go func() {
		for i := 0; i < 10; i++ {
			if err := xenstore.WriteMessage(cli, &xenstore.Message{Type: xenstore.TypeGetDomainPath, ReqID: uint32(i), Payload: []byte("5\x00")}); err != nil {
				return
			}
			sent.Add(1)
		}
	}()
	deadline := time.Now().Add(2 * time.Second)
	for sent.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := sent.Load(); n != 4 {
		t.Errorf("%d requests accepted with none answered, want 4", n)
	}
	for i := 0; i < 10; i++ {
		m, err := xenstore.ReadMessage(cli)
		if err != nil {
			t.Fatal(err)
		}
		if m.ReqID != uint32(i) || string(m.Payload) != "/local/domain/5\x00" {
			t.Errorf("reply %d: %d %q", i, m.ReqID, m.Payload)
		}
	}
	cli.Close()
}

func TestWatchEventTimeout(t *testing.T) {
	s := newTestServer(t, &Config{WatchEventTimeout: 30 * time.Millisecond})
	dom0 := dial(t, s, 0)
	dom0.mustOK(xenstore.TypeMkdir, 0, "/local/domain/5")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/local/domain/5", "n5")
	cli, srv := net.Pipe()
	defer cli.Close()
	go s.ServeConn(srv, 5)
	// The guest sets a watch and does not read: the reply blocks in the
	// pipe and the events (initial and later) wait in the queue.
	if err := xenstore.WriteMessage(cli, &xenstore.Message{Type: xenstore.TypeWatch, ReqID: 1, Payload: xenstore.JoinPayload("/local/domain/5/x", "t")}); err != nil {
		t.Fatal(err)
	}
	dom0.mustWrite(0, "/local/domain/5/x", "1")
	time.Sleep(100 * time.Millisecond)
	m, err := xenstore.ReadMessage(cli)
	if err != nil || m.ReqID != 1 || m.Type != xenstore.TypeWatch {
		t.Fatalf("WATCH reply %v %v", m, err)
	}
	got := make(chan *xenstore.Message, 1)
	go func() {
		if m, err := xenstore.ReadMessage(cli); err == nil {
			got <- m
		}
	}()
	select {
	case m := <-got:
		t.Errorf("expired event delivered: %q", m.Payload)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestControl(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustOK(xenstore.TypeControl, 0, "check")
	c.mustOK(xenstore.TypeControl, 0, "print", "hello")
	if got := c.call(xenstore.TypeControl, 0, "help"); !strings.Contains(got, "quota\t") {
		t.Errorf("help = %q", got)
	}
	if got := c.call(xenstore.TypeControl, 0, "quota"); !strings.HasPrefix(got, "Quota settings:\nnodes            :     1000 Nodes per domain\n") {
		t.Errorf("quota = %q", got)
	}
	c.mustOK(xenstore.TypeControl, 0, "quota", "set", "nodes", "7")
	if q := s.Quotas(); q.Nodes != 7 {
		t.Errorf("quota set nodes: %d", q.Nodes)
	}
	for _, args := range [][]string{{"quota", "set", "nodes", "0"}, {"quota", "set", "bogus", "3"}, {"quota", "set", "nodes"}, {"check", "x"}, {"log", "maybe"}} {
		if got := c.call(xenstore.TypeControl, 0, args...); got != "EINVAL" {
			t.Errorf("CONTROL %q = %q, want EINVAL", args, got)
		}
	}
	if got := c.call(xenstore.TypeControl, 0, "quota", "42"); got != "ENOENT" {
		t.Errorf("quota of an unknown domain = %q", got)
	}
	if got := c.call(xenstore.TypeControl, 0, "quota", "0"); !strings.HasPrefix(got, "Domain 0:\nnodes           :        3\n") {
		t.Errorf("quota 0 = %q", got)
	}
}
