package xenstored

import (
	"strconv"
	"sync"
	"syscall"
	"testing"

	"xgo.dev/xgo/xenstore"
)

func TestTransactionIsolationAndCommit(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	other := dial(t, s, 0)
	c.mustWrite(0, "/t/a", "old")

	tx := c.txStart()
	if tx != 1 {
		t.Errorf("first transaction id = %d, want 1", tx)
	}
	c.mustWrite(tx, "/t/a", "new")
	c.mustWrite(tx, "/t/n/deep", "created")
	if got := c.read(tx, "/t/a"); got != "new" {
		t.Errorf("read inside = %q", got)
	}
	if got := c.call(xenstore.TypeDirectory, tx, "/t"); got != "a|n|" {
		t.Errorf("DIRECTORY inside = %q", got)
	}
	if got := other.read(0, "/t/a"); got != "old" {
		t.Errorf("read outside before commit = %q", got)
	}
	if got := c.read(0, "/t/n/deep"); got != "ENOENT" {
		t.Errorf("created node visible outside: %q", got)
	}
	if got := c.txEnd(tx, true); got != "OK|" {
		t.Fatalf("commit: %s", got)
	}
	if got := other.read(0, "/t/a"); got != "new" {
		t.Errorf("after commit = %q", got)
	}
	if got := other.read(0, "/t/n/deep"); got != "created" {
		t.Errorf("created after commit = %q", got)
	}
	// The id is gone afterwards.
	if got := c.read(tx, "/t/a"); got != "ENOENT" {
		t.Errorf("read with an ended transaction = %q", got)
	}
	if got := c.txEnd(tx, true); got != "ENOENT" {
		t.Errorf("second end = %q", got)
	}
	if tx2 := c.txStart(); tx2 != 2 {
		t.Errorf("next transaction id = %d, want 2", tx2)
	}
}

func TestTransactionAbortLeavesNoTrace(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustWrite(0, "/t/a", "old")
	before := snapshot(t, s)
	c.watch("/t", "w")

	tx := c.txStart()
	c.mustWrite(tx, "/t/a", "new")
	c.mustWrite(tx, "/t/x/y", "z")
	c.mustOK(xenstore.TypeRm, tx, "/t/a")
	c.mustOK(xenstore.TypeSetPerms, tx, "/t", "n0", "r3")
	if got := c.txEnd(tx, false); got != "OK|" {
		t.Fatalf("abort: %s", got)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("tree changed by an aborted transaction:\nbefore %s\nafter  %s", before, after)
	}
	if ev := c.pendingEvents(); len(ev) != 0 {
		t.Errorf("aborted transaction fired %v", ev)
	}
}

// snapshot renders the tree (paths, values, perms) for comparisons.
func snapshot(t *testing.T, s *Server) string {
	t.Helper()
	var out string
	if err := s.Walk("/", func(n Node) error {
		out += n.Path + "=" + string(n.Value) + "(" + n.Perms.String() + ") "
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTransactionConflicts(t *testing.T) {
	type step struct {
		who  int // 1, 2: transaction of client 1 or 2; 0: outside any
		op   string
		path string
		val  string
	}
	tests := []struct {
		name  string
		setup []string // nodes written first (value = path)
		steps []step
		want1 string // commit result of transaction 1
		want2 string // commit result of transaction 2 (committed after 1)
	}{
		{
			name:  "both write the same node",
			setup: []string{"/c/a"},
			steps: []step{{1, "write", "/c/a", "1"}, {2, "write", "/c/a", "2"}},
			want1: "OK|", want2: "EAGAIN",
		},
		{
			name:  "one reads what the other writes",
			setup: []string{"/c/a", "/c/b"},
			steps: []step{{1, "write", "/c/a", "1"}, {2, "read", "/c/a", ""}, {2, "write", "/c/b", "2"}},
			want1: "OK|", want2: "EAGAIN",
		},
		{
			name:  "writes to different existing nodes",
			setup: []string{"/c/a", "/c/b"},
			steps: []step{{1, "write", "/c/a", "1"}, {2, "write", "/c/b", "2"}},
			want1: "OK|", want2: "OK|",
		},
		{
			name:  "creating children of different parents",
			setup: []string{"/c/a", "/c/b"},
			steps: []step{{1, "write", "/c/a/x", "1"}, {2, "write", "/c/b/y", "2"}},
			want1: "OK|", want2: "OK|",
		},
		{
			// Both rewrite the parent's children list.
			name:  "creating children of the same parent",
			setup: []string{"/c/a"},
			steps: []step{{1, "write", "/c/a/x", "1"}, {2, "write", "/c/a/y", "2"}},
			want1: "OK|", want2: "EAGAIN",
		},
		{
			name:  "plain write after a transactional read",
			setup: []string{"/c/a", "/c/b"},
			steps: []step{{1, "read", "/c/a", ""}, {1, "write", "/c/b", "1"}, {0, "write", "/c/a", "0"}},
			want1: "EAGAIN", want2: "OK|",
		},
		{
			name:  "plain create of a node the transaction saw missing",
			setup: []string{"/c"},
			steps: []step{{1, "read", "/c/new", ""}, {1, "write", "/c/other", "1"}, {0, "write", "/c/new", "0"}},
			want1: "EAGAIN", want2: "OK|",
		},
		{
			name:  "plain delete of a node the transaction read",
			setup: []string{"/c/a", "/c/b"},
			steps: []step{{1, "read", "/c/a", ""}, {1, "write", "/c/b", "1"}, {0, "rm", "/c/a", ""}},
			want1: "EAGAIN", want2: "OK|",
		},
		{
			name:  "read-only transactions never conflict with each other",
			setup: []string{"/c/a"},
			steps: []step{{1, "read", "/c/a", ""}, {2, "read", "/c/a", ""}},
			want1: "OK|", want2: "OK|",
		},
		{
			name:  "unrelated plain write",
			setup: []string{"/c/a", "/d/b"},
			steps: []step{{1, "read", "/c/a", ""}, {1, "write", "/c/a", "1"}, {0, "write", "/d/b", "0"}},
			want1: "OK|", want2: "OK|",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			c1, c2 := dial(t, s, 0), dial(t, s, 0)
			for _, p := range tc.setup {
				c1.mustWrite(0, p, p)
			}
			tx1, tx2 := c1.txStart(), c2.txStart()
			for _, st := range tc.steps {
				c, tx := c1, tx1
				switch st.who {
				case 0:
					tx = 0
				case 2:
					c, tx = c2, tx2
				}
				var got string
				switch st.op {
				case "write":
					got = c.write(tx, st.path, st.val)
				case "read":
					got = c.read(tx, st.path)
				case "rm":
					got = c.call(xenstore.TypeRm, tx, st.path)
				}
				if got == "EINVAL" || got == "EACCES" {
					t.Fatalf("step %+v: %s", st, got)
				}
			}
			if got := c1.txEnd(tx1, true); got != tc.want1 {
				t.Errorf("commit 1 = %q, want %q", got, tc.want1)
			}
			if got := c2.txEnd(tx2, true); got != tc.want2 {
				t.Errorf("commit 2 = %q, want %q", got, tc.want2)
			}
		})
	}
}

func TestTransactionErrors(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	tx := c.txStart()
	if got := result(c.do(xenstore.TypeTransactionStart, tx, []byte{0})); got != "EBUSY" {
		t.Errorf("nested TRANSACTION_START = %q, want EBUSY", got)
	}
	if got := result(c.do(xenstore.TypeTransactionStart, 999, []byte{0})); got != "ENOENT" {
		t.Errorf("TRANSACTION_START with an unknown tx_id = %q, want ENOENT", got)
	}
	if got := c.call(xenstore.TypeTransactionEnd, 999, "T"); got != "ENOENT" {
		t.Errorf("TRANSACTION_END unknown = %q", got)
	}
	if got := c.call(xenstore.TypeTransactionEnd, tx, "commit"); got != "EINVAL" {
		t.Errorf("TRANSACTION_END bad arg = %q", got)
	}
	// The argument is checked before the transaction is looked at.
	if got := c.call(xenstore.TypeTransactionEnd, 0, "X"); got != "EINVAL" {
		t.Errorf("TRANSACTION_END bad arg, no tx = %q", got)
	}
	// WATCH ignores the tx_id, even an unknown one.
	if got := c.call(xenstore.TypeWatch, 4242, "/tool", "t"); got != "OK|" {
		t.Errorf("WATCH with an unknown tx_id = %q", got)
	}
	// Transactions belong to their connection.
	other := dial(t, s, 0)
	if got := other.read(tx, "/tool"); got != "ENOENT" {
		t.Errorf("another connection using tx %d: %q", tx, got)
	}
	// RESET_WATCHES drops transactions too.
	c.mustOK(xenstore.TypeResetWatches, 0)
	if got := c.read(tx, "/tool"); got != "ENOENT" {
		t.Errorf("transaction survived RESET_WATCHES: %q", got)
	}
}

func TestTransactionWatchesFireAtCommit(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	w := dial(t, s, 0)
	c.mustWrite(0, "/t/a/b", "1")
	w.watch("/t", "tok")
	w.watch("/t/a/b", "leaf")

	tx := c.txStart()
	c.mustWrite(tx, "/t/x", "1")
	c.mustOK(xenstore.TypeRm, tx, "/t/a")
	if ev := w.pendingEvents(); len(ev) != 0 {
		t.Fatalf("events before commit: %v", ev)
	}
	if got := c.txEnd(tx, true); got != "OK|" {
		t.Fatal(got)
	}
	got := w.pendingEvents()
	// Nodes below a removed one fire only watches set on exactly them
	// (delnode_sub: exact for all but the removed node itself).
	want := map[string]bool{"/t/x tok": true, "/t/a tok": true, "/t/a/b leaf": true}
	for _, e := range got {
		if !want[e] {
			t.Errorf("unexpected event %q", e)
		}
		delete(want, e)
	}
	for e := range want {
		t.Errorf("missing event %q (got %v)", e, got)
	}
}

func TestFailNextCommits(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustWrite(0, "/f", "0")
	s.FailNextCommits(2)
	for i, want := range []string{"EAGAIN", "EAGAIN", "OK|"} {
		tx := c.txStart()
		c.mustWrite(tx, "/f", strconv.Itoa(i+1))
		if got := c.txEnd(tx, true); got != want {
			t.Errorf("commit %d = %q, want %q", i, got, want)
		}
		if want == "EAGAIN" {
			if got := c.read(0, "/f"); got != "0" {
				t.Errorf("failed commit %d left its write: %q", i, got)
			}
			if got := c.txEnd(tx, true); got != "ENOENT" {
				t.Errorf("transaction survived an injected EAGAIN: %q", got)
			}
		}
	}
	if got := c.read(0, "/f"); got != "3" {
		t.Errorf("final value %q", got)
	}
	// Aborts do not consume injected failures.
	s.FailNextCommits(1)
	tx := c.txStart()
	if got := c.txEnd(tx, false); got != "OK|" {
		t.Errorf("abort with a pending failure: %q", got)
	}
	tx = c.txStart()
	if got := c.txEnd(tx, true); got != "EAGAIN" {
		t.Errorf("commit after abort: %q", got)
	}
}

// Concurrent read-modify-write loops that retry on EAGAIN must not lose
// an update.
func TestTransactionRetryLoopsLoseNothing(t *testing.T) {
	s := newTestServer(t, nil)
	setup := dial(t, s, 0)
	setup.mustWrite(0, "/counter", "0")
	const workers, rounds = 8, 25
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		c := dial(t, s, 0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				for {
					tx := c.txStart()
					v, err := strconv.Atoi(c.read(tx, "/counter"))
					if err != nil {
						t.Error(err)
						return
					}
					c.mustWrite(tx, "/counter", strconv.Itoa(v+1))
					if got := c.txEnd(tx, true); got == "OK|" {
						break
					} else if got != "EAGAIN" {
						t.Errorf("commit: %s", got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := setup.read(0, "/counter"); got != strconv.Itoa(workers*rounds) {
		t.Errorf("counter = %s, want %d", got, workers*rounds)
	}
}

func TestFailNext(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	s.FailNext(xenstore.TypeWrite, 2, syscall.ENOSPC)
	for i, want := range []string{"ENOSPC", "ENOSPC", "OK|"} {
		if got := c.write(0, "/f", "v"); got != want {
			t.Errorf("write %d = %q, want %q", i, got, want)
		}
	}
	s.FailNext(xenstore.TypeRead, 5, syscall.EIO)
	s.FailNext(xenstore.TypeRead, 0, 0)
	if got := c.read(0, "/f"); got != "v" {
		t.Errorf("read after cancel = %q", got)
	}
}
