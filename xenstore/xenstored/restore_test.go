package xenstored

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/xenstore"
)

// restoreCfg: domain 9 does not exist, every other id below 100 does.
func restoreCfg() *Config {
	return &Config{DomainExists: func(id uint32) bool { return id != 9 && id < 100 }}
}

func mustPerms(t testing.TB, s string) xenstore.Perms {
	t.Helper()
	ps, err := xenstore.ParsePerms(strings.Split(s, ","))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// restoreTree is a tree as libxl and guests leave it: inherited and set
// permissions, guest-owned nodes, an entry naming a domain that does not
// exist (9), a domain that exists but is not introduced (3), values with
// NULs, children not in sorted order.
func restoreTree(t testing.TB) []Node {
	lines := []struct{ path, perms, value string }{
		{"/", "n0", ""},
		{"/tool", "n0", ""},
		{"/tool/xenstored", "n0", "daemon"},
		{"/local", "n0", ""},
		{"/local/domain", "n0", ""},
		{"/local/domain/0", "n0", ""},
		{"/local/domain/0/name", "n0", "Domain-0"},
		{"/local/domain/1", "n0,r1", ""},
		{"/local/domain/1/name", "n0,r1", "guest1"},
		{"/local/domain/1/data", "n1", ""},
		{"/local/domain/1/data/z", "n1", "a\x00b"},
		{"/local/domain/1/data/b", "b1,r2", "two"},
		{"/local/domain/1/data/m", "n1", ""},
		{"/local/domain/2", "n2,r1", "x"},
		{"/local/domain/2/device", "n3", ""},
		{"/local/domain/2/device/vif", "n3,b2", "0"},
		{"/vm", "n0", ""},
		{"/vm/u", "n0,r1,r9,w2", "uuid"},
		{"/vm/u/name", "n0,r1,r9,w2", "guest1"},
		{"/vm/u/secret", "n0", "s"},
		{"/a", "r0", ""},
	}
	out := make([]Node, len(lines))
	for i, l := range lines {
		out[i] = Node{Path: l.path, Perms: mustPerms(t, l.perms), Value: []byte(l.value)}
	}
	return out
}

// buildOverWire writes nodes in order as a dom0 client: WRITE (except
// an empty "/"), then SET_PERMS where the node's permissions differ from
// what it has (its parent's for a new node). With empty, it first removes
// the initial /tool, leaving only "/".
func buildOverWire(t testing.TB, s *Server, nodes []Node, empty bool) {
	t.Helper()
	c := dial(t, s, 0)
	if empty {
		c.mustOK(xenstore.TypeRm, 0, "/tool")
	}
	for _, n := range nodes {
		if n.Path != "/" || len(n.Value) > 0 {
			c.mustWrite(0, n.Path, string(n.Value))
		}
		if got := c.call(xenstore.TypeGetPerms, 0, n.Path); got != strings.Join(n.Perms.Strings(), "|")+"|" {
			if r := c.setPerms(0, n.Path, n.Perms.Strings()...); r != "OK|" {
				t.Fatalf("SET_PERMS %s %s: %s", n.Path, n.Perms, r)
			}
		}
	}
	c.conn.Close()
	<-c.done
	waitNoConns(t, s)
}

// waitNoConns waits until the server dropped every closed connection.
func waitNoConns(t testing.TB, s *Server) {
	t.Helper()
	s.wg.Wait()
}

// stripGen drops what differs by construction between two builds.
func stripGen(nodes []Node) []Node {
	out := append([]Node(nil), nodes...)
	for i := range out {
		out[i].Generation = 0
		if len(out[i].Value) == 0 {
			out[i].Value = nil
		}
	}
	return out
}

// wireAnswers asks, as each of the given domains, what every node (and a
// few missing ones) looks like: READ, DIRECTORY, GET_PERMS; and as dom0
// the per-domain quota usage.
func wireAnswers(t *testing.T, s *Server, nodes []Node, domids []uint32) []string {
	t.Helper()
	var out []string
	dom0 := dial(t, s, 0)
	for _, id := range []uint32{0, 1, 2, 3, 9} {
		out = append(out, fmt.Sprintf("quota %d: %s", id, dom0.call(xenstore.TypeControl, 0, "quota", strconv.Itoa(int(id)))))
	}
	paths := []string{"/nope", "/local/domain/1/nope", "/vm/u/missing", "/vm/u/secret/below"}
	for _, n := range nodes {
		paths = append(paths, n.Path)
	}
	for _, id := range domids {
		c := dial(t, s, id)
		for _, p := range paths {
			for _, typ := range []xenstore.MsgType{xenstore.TypeRead, xenstore.TypeDirectory, xenstore.TypeGetPerms} {
				out = append(out, fmt.Sprintf("dom%d %s %s: %s", id, typ, p, c.call(typ, 0, p)))
			}
		}
		// A guest writing where it may and may not.
		out = append(out, fmt.Sprintf("dom%d write: %s", id, c.write(0, "/vm/u/name", "new")))
		out = append(out, fmt.Sprintf("dom%d write: %s", id, c.write(0, "/local/domain/1/data/b/c", "new")))
	}
	return out
}

// TestRestoreMatchesWire builds one tree over the wire and with Restore
// (from the list and from a Dump of the wire-built tree) and compares
// what Dump, Get and the wire show of them.
func TestRestoreMatchesWire(t *testing.T) {
	nodes := restoreTree(t)
	newServer := func() *Server {
		s := newTestServer(t, restoreCfg())
		s.IntroduceDomain(1)
		s.IntroduceDomain(2)
		return s
	}
	wire := newServer()
	buildOverWire(t, wire, nodes, false)
	fromList := newServer()
	if err := fromList.Restore(nodes); err != nil {
		t.Fatal(err)
	}
	fromDump := newServer()
	if err := fromDump.Restore(wire.Dump()); err != nil {
		t.Fatal(err)
	}

	want := stripGen(wire.Dump())
	if len(want) != len(nodes) {
		t.Fatalf("wire-built tree has %d nodes, want %d", len(want), len(nodes))
	}
	for name, s := range map[string]*Server{"restored from the list": fromList, "restored from a dump": fromDump} {
		got := stripGen(s.Dump())
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Dump differs from the wire-built tree:\n got %v\nwant %v", name, got, want)
		}
		var walked []Node
		s.Walk("/", func(n Node) error { walked = append(walked, n); return nil })
		if !reflect.DeepEqual(walked, s.Dump()) {
			t.Errorf("%s: Walk and Dump differ", name)
		}
		for _, n := range nodes {
			w, _ := wire.Get(n.Path)
			g, ok := s.Get(n.Path)
			w.Generation, g.Generation = 0, 0
			if !ok || !reflect.DeepEqual(g, w) {
				t.Errorf("%s: Get(%s) = %+v, %v; wire-built %+v", name, n.Path, g, ok, w)
			}
		}
	}

	domids := []uint32{0, 1, 2, 3}
	wantAns := wireAnswers(t, wire, nodes, domids)
	for name, s := range map[string]*Server{"restored from the list": fromList, "restored from a dump": fromDump} {
		got := wireAnswers(t, s, nodes, domids)
		for i := range wantAns {
			if got[i] != wantAns[i] {
				t.Errorf("%s: %q, wire-built %q", name, got[i], wantAns[i])
			}
		}
	}
	// Sanity: the comparison saw permissions at work.
	all := strings.Join(wantAns, "\n")
	for _, a := range []string{
		"dom2 READ /vm/u/secret: EACCES",
		"dom0 READ /vm/u/name: guest1",
		"dom1 READ /vm/u/name: new",
		"dom3 READ /vm/u/name: EACCES",
		"dom1 GET_PERMS /vm/u: n0|r1|r9|w2|",
		"dom2 write: OK|", // w2 on /vm/u/name
		"quota 3: Domain 3:\n" + fmt.Sprintf("%-16s: %8d\n", "nodes", 2),
		"quota 1: Domain 1:\n" + fmt.Sprintf("%-16s: %8d\n", "nodes", 4),
		"quota 9: ENOENT",
	} {
		if !strings.Contains(all, a) {
			t.Errorf("wire-built tree: no answer %q", a)
		}
	}
}

// TestRestoreGenerations: every node gets a new generation, in list
// order, DIRECTORY_PART reports it, later changes get higher ones, and a
// transaction that read a node conflicts with a write after it as usual.
func TestRestoreGenerations(t *testing.T) {
	s := newTestServer(t, restoreCfg())
	nodes := restoreTree(t)
	if err := s.Restore(nodes); err != nil {
		t.Fatal(err)
	}
	dump := s.Dump()
	last := uint64(3) // the initial tree's
	byPath := map[string]uint64{}
	for _, n := range dump {
		byPath[n.Path] = n.Generation
	}
	for _, n := range nodes {
		g := byPath[n.Path]
		if g != last+1 {
			t.Errorf("%s: generation %d, want %d", n.Path, g, last+1)
		}
		last = g
	}
	c := dial(t, s, 0)
	if got, want := c.call(xenstore.TypeDirectoryPart, 0, "/vm/u", "0"), fmt.Sprintf("%d|name|secret||", byPath["/vm/u"]); got != want {
		t.Errorf("DIRECTORY_PART = %q, want %q", got, want)
	}
	c.mustWrite(0, "/a", "v")
	if g, _ := s.Get("/a"); g.Generation <= last {
		t.Errorf("write after restore: generation %d, not above %d", g.Generation, last)
	}
	tx := c.txStart()
	c.read(tx, "/vm/u/name")
	other := dial(t, s, 0)
	other.mustWrite(0, "/vm/u/name", "changed")
	c.mustWrite(tx, "/vm/u/x", "1")
	if got := c.txEnd(tx, true); got != "EAGAIN" {
		t.Errorf("commit after a conflicting write: %s, want EAGAIN", got)
	}
}

// TestRestoreErrors: bad lists are refused with the errno the wire would
// give (cross-checked where the wire has the same request) and change
// nothing.
func TestRestoreErrors(t *testing.T) {
	good := restoreTree(t)
	with := func(f func([]Node) []Node) []Node {
		l := make([]Node, len(good))
		copy(l, good)
		return f(l)
	}
	node := func(path, perms, value string) Node {
		return Node{Path: path, Perms: mustPerms(t, perms), Value: []byte(value)}
	}
	longPath := "/a/" + strings.Repeat("x", 2000)
	manyPerms := xenstore.Perms{{Access: 'n', Domain: 0}}
	for range 1000 {
		manyPerms = append(manyPerms, xenstore.Perm{Access: 'r', Domain: 1})
	}
	for _, tc := range []struct {
		name  string
		nodes []Node
		errno syscall.Errno
		wire  func(c *testClient) string // the same request over the wire, if any
	}{
		{"empty", nil, syscall.EINVAL, nil},
		{"root not first", with(func(l []Node) []Node { return append(l[1:2], l...) }), syscall.EINVAL, nil},
		{"twice", with(func(l []Node) []Node { return append(l, l[3]) }), syscall.EINVAL, nil},
		{"no parent", with(func(l []Node) []Node { return append(l, node("/b/c", "n0", "")) }), syscall.ENOENT, nil},
		{"parent after", with(func(l []Node) []Node { return append(l, node("/b/c", "n0", ""), node("/b", "n0", "")) }), syscall.ENOENT, nil},
		{"double slash", with(func(l []Node) []Node { return append(l, node("/a//b", "n0", "")) }), syscall.EINVAL,
			func(c *testClient) string { return c.write(0, "/a//b", "") }},
		{"bad char", with(func(l []Node) []Node { return append(l, node("/a/b c", "n0", "")) }), syscall.EINVAL,
			func(c *testClient) string { return c.write(0, "/a/b c", "") }},
		{"relative", with(func(l []Node) []Node { return append(l, node("a", "n0", "")) }), syscall.EINVAL, nil},
		{"too long", with(func(l []Node) []Node { return append(l, node("/"+strings.Repeat("x", 2049), "n0", "")) }), syscall.EINVAL,
			func(c *testClient) string { return c.write(0, "/"+strings.Repeat("x", 2049), "") }},
		{"no perms", with(func(l []Node) []Node { return append(l, Node{Path: "/b"}) }), syscall.EINVAL,
			func(c *testClient) string { return c.call(xenstore.TypeSetPerms, 0, "/a") }},
		{"bad letter", with(func(l []Node) []Node {
			return append(l, Node{Path: "/b", Perms: xenstore.Perms{{Access: 'x'}}})
		}), syscall.EINVAL, func(c *testClient) string { return c.setPerms(0, "/a", "x0") }},
		{"owner missing", with(func(l []Node) []Node { return append(l, node("/b", "n9", "")) }), syscall.ENOENT,
			func(c *testClient) string { return c.setPerms(0, "/a", "n9") }},
		{"value too big", with(func(l []Node) []Node { return append(l, node("/b", "n0", strings.Repeat("v", 4094))) }), syscall.E2BIG, nil},
		{"perms too big", with(func(l []Node) []Node {
			return append(l, Node{Path: longPath, Perms: manyPerms})
		}), syscall.E2BIG, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, restoreCfg())
			before := s.Dump()
			err := s.Restore(tc.nodes)
			if !errors.Is(err, tc.errno) {
				t.Fatalf("Restore: %v, want %v", err, tc.errno)
			}
			if after := s.Dump(); !reflect.DeepEqual(after, before) {
				t.Errorf("tree changed by a refused Restore")
			}
			if tc.wire != nil {
				c := dial(t, s, 0)
				c.mustWrite(0, "/a", "")
				if got, want := tc.wire(c), xenstore.ErrorName(tc.errno); got != want {
					t.Errorf("over the wire: %s, Restore: %s", got, want)
				}
			}
		})
	}

	// A long path inheriting many permissions needs no SET_PERMS: fine.
	s := newTestServer(t, restoreCfg())
	l := append(with(func(l []Node) []Node { return l }), Node{Path: "/m", Perms: manyPerms}, Node{Path: "/m/" + strings.Repeat("y", 2000), Perms: manyPerms})
	if err := s.Restore(l); err != nil {
		t.Errorf("inherited permissions: %v", err)
	}

	// Connections: refused, nothing changed.
	s = newTestServer(t, restoreCfg())
	c := dial(t, s, 0)
	c.sync()
	if err := s.Restore(good); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("Restore with a connection: %v, want EBUSY", err)
	}
	if _, ok := s.Get("/vm"); ok {
		t.Errorf("refused Restore changed the tree")
	}
}

// BenchmarkRestore restores a tree of the size a 4096-pCPU simulated
// host has (≈70k nodes).
func BenchmarkRestore(b *testing.B) {
	nodes := []Node{{Path: "/", Perms: xenstore.Perms{{Access: 'n'}}}}
	add := func(p, perms, v string) {
		ps, _ := xenstore.ParsePerms(strings.Split(perms, ","))
		nodes = append(nodes, Node{Path: p, Perms: ps, Value: []byte(v)})
	}
	add("/local", "n0", "")
	add("/local/domain", "n0", "")
	for d := 1; d <= 1000; d++ {
		dom := "/local/domain/" + strconv.Itoa(d)
		add(dom, "n0,r"+strconv.Itoa(d), "")
		for i := range 69 {
			add(dom+"/n"+strconv.Itoa(i), "n0,r"+strconv.Itoa(d), "value")
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		s := New(nil)
		if err := s.Restore(nodes); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRestore: any list is refused with nothing changed, or restored to
// a tree that a Dump gives back unchanged and that a dom0 client writing
// the same nodes over the wire (into a tree emptied first) also builds.
func FuzzRestore(f *testing.F) {
	f.Add("/ n0\n/tool n0\n/tool/xenstored n0\n/local n0,r1 \"v\"\n/local/x n1")
	f.Add("/ n0\n/a b1,r2,r9 \"a\\x00b\"\n/a/c n0\n/a/b r0\n/a/c/d n9")
	f.Add("/ n0\n/a n0\n/a n0")
	f.Add("/ x0\n/a//b n0")
	f.Fuzz(func(t *testing.T, text string) {
		var nodes []Node
		for _, line := range strings.Split(text, "\n") {
			path, rest, _ := strings.Cut(line, " ")
			perms, value, _ := strings.Cut(rest, " ")
			n := Node{Path: path}
			if v, err := strconv.Unquote(value); err == nil {
				n.Value = []byte(v)
			}
			for _, e := range strings.Split(perms, ",") {
				p := xenstore.Perm{}
				if e != "" {
					p.Access = xenstore.Access(e[0])
					id, _ := strconv.ParseUint(e[1:], 10, 8)
					p.Domain = uint32(id)
				}
				n.Perms = append(n.Perms, p)
			}
			nodes = append(nodes, n)
		}
		s := New(restoreCfg())
		defer s.Close()
		before := s.Dump()
		if err := s.Restore(nodes); err != nil {
			var errno syscall.Errno
			if !errors.As(err, &errno) {
				t.Fatalf("error %v carries no errno", err)
			}
			if !reflect.DeepEqual(s.Dump(), before) {
				t.Fatalf("refused Restore (%v) changed the tree", err)
			}
			return
		}
		got := s.Dump()
		again := New(restoreCfg())
		defer again.Close()
		if err := again.Restore(got); err != nil {
			t.Fatalf("restoring a Dump: %v", err)
		}
		if a := again.Dump(); !reflect.DeepEqual(stripGen(a), stripGen(got)) {
			t.Fatalf("Dump/Restore round trip differs:\n%v\n%v", a, got)
		}
		wire := New(restoreCfg())
		defer wire.Close()
		buildOverWire(t, wire, nodes, true)
		if w := wire.Dump(); !reflect.DeepEqual(stripGen(w), stripGen(got)) {
			t.Fatalf("Restore and the wire differ:\nrestore %v\nwire    %v", got, w)
		}
	})
}
