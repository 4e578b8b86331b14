package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
	"xgo.dev/xgo/xstool"
)

// startXenstored serves a fresh in-process daemon on a Unix socket in a
// temporary directory (short enough for sun_path) and returns it.
func startXenstored(t *testing.T) (*xenstored.Server, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "xgo")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "xs.sock")
	srv := xenstored.New(nil)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe(sock) }()
	t.Cleanup(func() {
		srv.Close()
		<-errc
	})
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil { // listening, not just bound
			c.Close()
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("xenstored: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
		if i > 2000 {
			t.Fatal("xenstored did not start listening")
		}
	}
	return srv, sock
}

// xsDeps are test deps whose XenStore is the daemon on sock.
func xsDeps(t *testing.T, sock string) deps {
	d := testDeps(t)
	d.dialXenstore = func(context.Context, *env) (xsConn, error) {
		return xenstore.DialSocket(sock, nil)
	}
	return d
}

// xsAs are test deps whose XenStore connection acts as domain domid.
func xsAs(t *testing.T, srv *xenstored.Server, domid uint32) deps {
	d := testDeps(t)
	d.dialXenstore = func(context.Context, *env) (xsConn, error) {
		cli, end := net.Pipe()
		go srv.ServeConn(end, domid)
		return xenstore.NewConn(cli, nil), nil
	}
	return d
}

// mustXgo runs xgo and fails the test unless it succeeds quietly.
func mustXgo(t *testing.T, d deps, args ...string) string {
	t.Helper()
	r := runXgo(t, d, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("xgo %q: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r.stdout
}

// fillTree writes the tree the ls goldens list.
func fillTree(t *testing.T, sock string) {
	t.Helper()
	c, err := xenstore.DialSocket(sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, kv := range []struct{ p, v string }{
		{"/local/domain/0/name", "Domain-0"},
		{"/local/domain/0/domid", "0"},
		{"/local/domain/5/name", "guest"},
		{"/local/domain/5/data/escaped", "tab\tnl\nbs\\nul\x00esc\x1bhigh\xff"},
		{"/local/domain/5/data/long", strings.Repeat("0123456789", 9)},
		{"/local/domain/5/data/a-rather-long-node-name-that-pushes-the-value", "past the 80-column cut"},
		{"/local/domain/5/device/vsnd/0/state", "4"},
		{"/vm/0123-abcd/name", "guest"},
	} {
		must(c.Write(ctx, kv.p, []byte(kv.v)))
	}
	must(c.Mkdir(ctx, "/local/domain/5/empty"))
	for _, pp := range []struct{ p, perms string }{
		{"/local/domain/5", "n5 r0"},
		{"/local/domain/5/name", "r5"},
		{"/local/domain/5/data", "b5"},
		{"/local/domain/5/device/vsnd/0/state", "n0 b5 r7"},
	} {
		perms, err := xenstore.ParsePerms(strings.Fields(pp.perms))
		must(err)
		must(c.SetPerms(ctx, pp.p, perms))
	}
}

func TestXenstoreLsGolden(t *testing.T) {
	t.Parallel()
	_, sock := startXenstored(t)
	fillTree(t, sock)
	tty := xsDeps(t, sock)
	tty.Term = termInfo{tty: true, width: 62}
	tests := []struct {
		file string
		d    deps
		args []string
	}{
		{"ls.golden", xsDeps(t, sock), []string{"xenstore", "ls"}},
		{"ls-local.golden", xsDeps(t, sock), []string{"xenstore", "ls", "/local/domain"}},
		{"ls-tty60.golden", tty, []string{"xenstore", "ls", "/local/domain"}},
		{"ls-f.golden", xsDeps(t, sock), []string{"xenstore", "ls", "-f", "/local/domain"}},
		{"ls-p.golden", xsDeps(t, sock), []string{"xenstore", "ls", "-p", "/local/domain"}},
		{"ls-fp.golden", xsDeps(t, sock), []string{"xenstore", "ls", "/local/domain", "-fp"}},
		{"ls-p-tty60.golden", tty, []string{"xenstore", "ls", "-p", "/local/domain/5"}},
		{"ls-two-paths.golden", xsDeps(t, sock), []string{"xenstore", "ls", "/vm", "/local/domain/0"}},
		{"ls-quiet.golden", xsDeps(t, sock), []string{"-q", "xenstore", "ls", "/local/domain/5"}},
		{"ls-json.golden", xsDeps(t, sock), []string{"xenstore", "ls", "-p", "/local/domain/5", "-o", "json"}},
		{"ls-yaml.golden", xsDeps(t, sock), []string{"xenstore", "ls", "/local/domain/5", "-o", "yaml"}},
	}
	for _, tt := range tests {
		golden(t, "xenstore/"+tt.file, mustXgo(t, tt.d, tt.args...))
	}
}

func TestXenstoreReadWrite(t *testing.T) {
	t.Parallel()
	srv, sock := startXenstored(t)
	d := xsDeps(t, sock)

	if out := mustXgo(t, d, "xenstore", "write", "/t/a", "one", "/t/b", `two\tlines\nend\x01\\`); out != "" {
		t.Errorf("write printed %q", out)
	}
	if n, _ := srv.Get("/t/b"); string(n.Value) != "two\tlines\nend\x01\\" {
		t.Errorf("/t/b = %q", n.Value)
	}
	mustXgo(t, d, "xenstore", "write", "-R", "/t/raw", `a\tb`)
	if n, _ := srv.Get("/t/raw"); string(n.Value) != `a\tb` {
		t.Errorf("/t/raw = %q", n.Value)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"xenstore", "read", "/t/a"}, "one\n"},
		{[]string{"xenstore", "read", "/t/a", "/t/b"}, "one\ntwo\\tlines\\nend\\001\\\\\n"},
		{[]string{"xenstore", "read", "-p", "/t/a", "/t/b"}, "/t/a: one\n/t/b: two\\tlines\\nend\\001\\\\\n"},
		{[]string{"xenstore", "read", "/t/a", "-R"}, "one"},
		{[]string{"xenstore", "read", "/t/b", "-R"}, "two\tlines\nend\x01\\"},
		{[]string{"xenstore", "read", "/t/b", "-q"}, "two\\tlines\\nend\\001\\\\\n"},
		{[]string{"xenstore", "read", "/t/a", "/t/raw", "-o", "json"}, "{\n  \"schemaVersion\": 1,\n  \"values\": [\n    {\n      \"path\": \"/t/a\",\n      \"value\": \"one\"\n    },\n    {\n      \"path\": \"/t/raw\",\n      \"value\": \"a\\\\tb\"\n    }\n  ]\n}\n"},
		{[]string{"xenstore", "read", "/t/a", "-o", "yaml"}, "schemaVersion: 1\nvalues:\n  - path: /t/a\n    value: one\n"},
		{[]string{"xenstore", "write", "/t/c", "3", "-o", "json"}, "{\n  \"schemaVersion\": 1,\n  \"dryRun\": false,\n  \"changes\": [\n    {\n      \"op\": \"write\",\n      \"path\": \"/t/c\",\n      \"value\": \"3\"\n    }\n  ]\n}\n"},
	} {
		if got := mustXgo(t, d, tt.args...); got != tt.want {
			t.Errorf("xgo %q:\n got %q\nwant %q", tt.args, got, tt.want)
		}
	}

	// A missing node: exit 1 and one line naming it; like xenstore-read,
	// the values read before it are printed, but never a partial JSON
	// document.
	r := runXgo(t, d, "xenstore", "read", "/t/a", "/t/missing", "/t/b")
	if r.code != exitFailure || r.stdout != "one\n" || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasPrefix(r.stderr, "xgo: ") || !strings.Contains(r.stderr, "/t/missing") {
		t.Errorf("read of a missing node: %+v", r)
	}
	if r := runXgo(t, d, "xenstore", "read", "/t/a", "/t/missing", "-o", "json"); r.code != exitFailure || r.stdout != "" {
		t.Errorf("read -o json of a missing node: %+v", r)
	}
	if r := runXgo(t, d, "xenstore", "ls", "/t/missing"); r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "/t/missing") {
		t.Errorf("ls of a missing node: %+v", r)
	}
}

func TestXenstoreDryRun(t *testing.T) {
	t.Parallel()
	srv, sock := startXenstored(t)
	fillTree(t, sock)
	d := xsDeps(t, sock)
	before := snapshot(t, srv)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-N", "xenstore", "write", "/t/a", `x\ny`}, "would write /t/a = \"x\\ny\"\n"},
		{[]string{"xenstore", "rm", "/vm", "/local/domain/5", "--dry-run"}, "would remove /vm and everything below it\nwould remove /local/domain/5 and everything below it\n"},
		{[]string{"xenstore", "mkdir", "/t/m", "-N"}, "would create /t/m\n"},
		{[]string{"-N", "xenstore", "chmod", "-r", "/vm", "b0", "r3"}, "would set the permissions of /vm to b0 r3\nwould set the permissions of /vm/0123-abcd to b0 r3\nwould set the permissions of /vm/0123-abcd/name to b0 r3\n"},
		{[]string{"-N", "-q", "xenstore", "chmod", "-u", "/vm/0123-abcd/name", "b0"}, "/vm/0123-abcd/name\n/vm/0123-abcd\n/vm\n"},
		{[]string{"-N", "xenstore", "rm", "/vm", "-o", "json"}, "{\n  \"schemaVersion\": 1,\n  \"dryRun\": true,\n  \"changes\": [\n    {\n      \"op\": \"rm\",\n      \"path\": \"/vm\"\n    }\n  ]\n}\n"},
	} {
		if got := mustXgo(t, d, tt.args...); got != tt.want {
			t.Errorf("xgo %q:\n got %q\nwant %q", tt.args, got, tt.want)
		}
	}
	if after := snapshot(t, srv); after != before {
		t.Errorf("a dry run changed the store:\n%s\n---\n%s", before, after)
	}
}

// snapshot prints the whole store, values and permissions.
func snapshot(t *testing.T, srv *xenstored.Server) string {
	t.Helper()
	var b strings.Builder
	err := srv.Walk("/", func(n xenstored.Node) error {
		b.WriteString(n.Path + " " + xstool.Quote(n.Value) + " " + n.Perms.String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestXenstoreRmMkdir(t *testing.T) {
	t.Parallel()
	srv, sock := startXenstored(t)
	d := xsDeps(t, sock)
	mustXgo(t, d, "xenstore", "mkdir", "/t/a/b", "/t/c")
	for _, p := range []string{"/t/a", "/t/a/b", "/t/c"} {
		if n, ok := srv.Get(p); !ok || len(n.Value) != 0 {
			t.Errorf("%s after mkdir: %v %+v", p, ok, n)
		}
	}
	mustXgo(t, d, "xenstore", "write", "/t/a/b/c/d", "x", "/t/keep", "")

	// rm is recursive; a missing node is fine.
	mustXgo(t, d, "xenstore", "rm", "/t/c", "/t/missing")
	if _, ok := srv.Get("/t/c"); ok {
		t.Error("/t/c still there")
	}
	// A missing parent is not.
	if r := runXgo(t, d, "xenstore", "rm", "/t/no/such"); r.code != exitFailure || !strings.Contains(r.stderr, "ENOENT") {
		t.Errorf("rm with a missing parent: %+v", r)
	}

	// -t removes parents left with no children and an empty value: d, c
	// and b go; a stays because its... no: a has no other child and an
	// empty value, so it goes too; /t has "keep", so it stays.
	if out := mustXgo(t, d, "xenstore", "rm", "-t", "/t/a/b/c/d", "-o", "json"); !strings.Contains(out, `"path": "/t/a"`) {
		t.Errorf("rm -t reported %s", out)
	}
	for p, want := range map[string]bool{"/t/a/b/c/d": false, "/t/a/b/c": false, "/t/a/b": false, "/t/a": false, "/t": true, "/t/keep": true} {
		if _, ok := srv.Get(p); ok != want {
			t.Errorf("after rm -t: %s exists = %v, want %v", p, ok, want)
		}
	}
	// A parent with a value stays.
	mustXgo(t, d, "xenstore", "write", "/u", "v", "/u/w", "x")
	mustXgo(t, d, "xenstore", "rm", "-t", "/u/w")
	if _, ok := srv.Get("/u"); !ok {
		t.Error("rm -t removed a parent with a value")
	}
}

func TestXenstorePermsChmod(t *testing.T) {
	t.Parallel()
	srv, sock := startXenstored(t)
	fillTree(t, sock)
	d := xsDeps(t, sock)

	if got := mustXgo(t, d, "xenstore", "perms", "/local/domain/5", "/local/domain/5/device/vsnd/0/state"); got != "n5 r0\nn0 b5 r7\n" {
		t.Errorf("perms: %q", got)
	}
	if got := mustXgo(t, d, "xenstore", "perms", "-p", "/local/domain/5"); got != "/local/domain/5: n5 r0\n" {
		t.Errorf("perms -p: %q", got)
	}
	if got := mustXgo(t, d, "xenstore", "perms", "/local/domain/5", "-o", "yaml"); got != "schemaVersion: 1\nnodes:\n  - path: /local/domain/5\n    owner: 5\n    perms:\n      - n5\n      - r0\n" {
		t.Errorf("perms -o yaml: %q", got)
	}

	mustXgo(t, d, "xenstore", "chmod", "/vm/0123-abcd", "b3", "r0")
	if n, _ := srv.Get("/vm/0123-abcd"); n.Perms.String() != "b3,r0" {
		t.Errorf("chmod: %s", n.Perms)
	}
	if n, _ := srv.Get("/vm/0123-abcd/name"); n.Perms.String() == "b3,r0" {
		t.Error("chmod without -r changed a child")
	}
	mustXgo(t, d, "xenstore", "chmod", "-r", "/local/domain/5", "b5", "r0")
	err := srv.Walk("/local/domain/5", func(n xenstored.Node) error {
		if n.Perms.String() != "b5,r0" {
			t.Errorf("chmod -r left %s with %s", n.Path, n.Perms)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustXgo(t, d, "xenstore", "chmod", "-u", "/vm/0123-abcd/name", "n0", "r9")
	for p, want := range map[string]string{"/vm/0123-abcd/name": "n0,r9", "/vm/0123-abcd": "n0,r9", "/vm": "n0,r9", "/": "n0"} {
		if n, _ := srv.Get(p); n.Perms.String() != want {
			t.Errorf("chmod -u: %s has %s, want %s", p, n.Perms, want)
		}
	}
	// Round trip: perms prints what chmod takes.
	mustXgo(t, d, "xenstore", "chmod", "/local/domain/5/name", "n0", "b5", "r7")
	perms := strings.Fields(mustXgo(t, d, "xenstore", "perms", "/local/domain/5/name"))
	mustXgo(t, d, append([]string{"xenstore", "chmod", "/vm"}, perms...)...)
	if n, _ := srv.Get("/vm"); n.Perms.String() != "n0,b5,r7" {
		t.Errorf("chmod $(perms): %s", n.Perms)
	}
}

// TestXenstoreChmodIsOneTransaction checks that chmod -r changes all or
// nothing: as domain 5, the first nodes can be changed but a node below
// them is owned by dom0, so the whole change must be undone.
func TestXenstoreChmodIsOneTransaction(t *testing.T) {
	t.Parallel()
	srv, sock := startXenstored(t)
	srv.IntroduceDomain(5)
	d0 := xsDeps(t, sock)
	mustXgo(t, d0, "xenstore", "write", "/local/domain/5/a/b/c", "x")
	mustXgo(t, d0, "xenstore", "chmod", "-r", "/local/domain/5", "b5")
	mustXgo(t, d0, "xenstore", "chmod", "/local/domain/5/a/b/c", "n0", "r5")
	before := snapshot(t, srv)

	r := runXgo(t, xsAs(t, srv, 5), "xenstore", "chmod", "-r", "/local/domain/5/a", "n5", "r0")
	if r.code != exitPermission || r.stdout != "" || !strings.Contains(r.stderr, "/local/domain/5/a/b/c") {
		t.Errorf("chmod -r over a dom0 node as dom5: %+v", r)
	}
	if after := snapshot(t, srv); after != before {
		t.Errorf("a failed chmod -r changed the store:\n%s\n---\n%s", before, after)
	}

	// A commit that conflicts is redone, not reported.
	srv.FailNextCommits(1)
	mustXgo(t, d0, "xenstore", "chmod", "-r", "/local/domain/5/a", "n5", "r0")
	if n, _ := srv.Get("/local/domain/5/a/b"); n.Perms.String() != "n5,r0" {
		t.Errorf("after a retried commit: %s", n.Perms)
	}
}

func TestXenstorePermissionDenied(t *testing.T) {
	t.Parallel()
	srv, sock := startXenstored(t)
	fillTree(t, sock)
	srv.IntroduceDomain(7)
	d := xsAs(t, srv, 7)
	for _, args := range [][]string{
		{"xenstore", "read", "/local/domain/0/name"},
		{"xenstore", "write", "/local/domain/0/name", "x"},
		{"xenstore", "chmod", "/local/domain/5/device/vsnd/0/state", "b7"},
	} {
		r := runXgo(t, d, args...)
		if r.code != exitPermission || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "xgo: ") {
			t.Errorf("xgo %q as dom7: %+v", args, r)
		}
	}
	// Domain 7 may read the node whose perms give it r7.
	if got := mustXgo(t, d, "xenstore", "read", "/local/domain/5/device/vsnd/0/state"); got != "4\n" {
		t.Errorf("read as dom7: %q", got)
	}
}

func TestXenstoreWatch(t *testing.T) {
	t.Parallel()
	_, sock := startXenstored(t)
	d := xsDeps(t, sock)
	mustXgo(t, d, "xenstore", "mkdir", "/w", "/v")

	done := make(chan result, 1)
	go func() {
		done <- runXgo(t, d, "xenstore", "watch", "/w", "/v", "-n", "4", "-o", "json")
	}()
	// The first two events are the watches firing when set; then change
	// /w/x until the watch has seen enough (writes before the watch is set
	// are simply not seen).
	deadline := time.After(10 * time.Second)
	var r result
	for i := 0; ; i++ {
		select {
		case r = <-done:
		case <-time.After(20 * time.Millisecond):
			mustXgo(t, d, "xenstore", "write", "/w/x", strings.Repeat("x", i%5+1))
			continue
		case <-deadline:
			t.Fatal("watch -n 4 did not end")
		}
		break
	}
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("watch: %+v", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("watch -n 4 printed %d lines: %q", len(lines), r.stdout)
	}
	// Each watch fires once when set; the writes to /w/x may come before
	// /v's watch is set, so only the order within each watch is fixed.
	const (
		evW  = `{"schemaVersion":1,"path":"/w","token":"/w"}`
		evV  = `{"schemaVersion":1,"path":"/v","token":"/v"}`
		evWX = `{"schemaVersion":1,"path":"/w/x","token":"/w"}`
	)
	var ws, vs []string
	for _, l := range lines {
		if strings.Contains(l, `"token":"/v"`) {
			vs = append(vs, l)
		} else {
			ws = append(ws, l)
		}
	}
	if len(vs) != 1 || vs[0] != evV || ws[0] != evW {
		t.Errorf("events: %q", lines)
	}
	for _, l := range ws[1:] {
		if l != evWX {
			t.Errorf("event %q, want %q", l, evWX)
		}
	}

	// Text mode prints the paths, like xenstore-watch; Ctrl-C (a
	// cancelled context) ends it with status 0.
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	d.Stdout, d.Stderr = &stdout, &stderr
	codec := make(chan int, 1)
	go func() {
		codec <- execute(ctx, newApp(d), []string{"xgo", "xenstore", "watch", "@releaseDomain"}, &stderr)
	}()
	for stdout.String() == "" {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-codec; code != 0 || stdout.String() != "@releaseDomain\n" || stderr.String() != "" {
		t.Errorf("interrupted watch: code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestXenstoreBadInput checks that mistakes are refused with one line
// naming the bad token and exit 2 before anything is sent.
func TestXenstoreBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"xenstore", "read"}, `xgo: xenstore read: missing argument (usage: xgo xenstore read <path>...)`},
		{[]string{"xenstore", "read", "/a//b"}, `xgo: invalid xenstore path "/a//b": contains "//"`},
		{[]string{"xenstore", "read", "/ok", "/bad path"}, `xgo: invalid xenstore path "/bad path": character ' ' at offset 4 is not allowed (allowed: A-Z a-z 0-9 - / _ @)`},
		{[]string{"xenstore", "ls", "/a/"}, `xgo: invalid xenstore path "/a/": ends with "/"`},
		{[]string{"xenstore", "ls", "--bogus"}, `xgo: xenstore ls: unknown flag --bogus`},
		{[]string{"xenstore", "ls", "-fz"}, `xgo: xenstore ls: unknown flag -fz`},
		{[]string{"xenstore", "bogus"}, `xgo: unknown command "bogus" for "xgo xenstore" (want ls, read, write, rm, mkdir, watch, perms, chmod; see "xgo help xenstore")`},
		{[]string{"xenstore", "write", "/a"}, `xgo: xenstore write: missing argument (usage: xgo xenstore write <path> <value> [<path> <value>]...)`},
		{[]string{"xenstore", "write", "/a", "1", "/b"}, `xgo: xenstore write: no value for path "/b"`},
		{[]string{"xenstore", "write", "/a", "1", "/b c", "2"}, `xgo: invalid xenstore path "/b c": character ' ' at offset 2 is not allowed (allowed: A-Z a-z 0-9 - / _ @)`},
		{[]string{"xenstore", "write", "@introduceDomain", "1"}, `xgo: invalid xenstore path "@introduceDomain": special @ paths can only be watched`},
		{[]string{"xenstore", "rm"}, `xgo: xenstore rm: missing argument (usage: xgo xenstore rm <path>...)`},
		{[]string{"xenstore", "rm", "/a", "-x"}, `xgo: xenstore rm: unknown flag -x`},
		{[]string{"xenstore", "mkdir", "a//b"}, `xgo: invalid xenstore path "a//b": contains "//"`},
		{[]string{"xenstore", "perms"}, `xgo: xenstore perms: missing argument (usage: xgo xenstore perms <path>...)`},
		{[]string{"xenstore", "chmod", "/a"}, `xgo: xenstore chmod: missing argument (usage: xgo xenstore chmod <path> <perm>...)`},
		{[]string{"xenstore", "chmod", "/a", "b0", "x1"}, `xgo: invalid xenstore permission "x1": unknown access letter 'x' (want n, r, w or b)`},
		{[]string{"xenstore", "chmod", "/a", "r"}, `xgo: invalid xenstore permission "r": missing domain id after the access letter`},
		{[]string{"xenstore", "chmod", "/a", "r1x"}, `xgo: invalid xenstore permission "r1x": domain id "1x" is not a decimal number`},
		{[]string{"xenstore", "chmod", "/a/", "b0"}, `xgo: invalid xenstore path "/a/": ends with "/"`},
		{[]string{"xenstore", "watch"}, `xgo: xenstore watch: missing argument (usage: xgo xenstore watch <path>...)`},
		{[]string{"xenstore", "watch", "/a", "-n", "0"}, `xgo: xenstore watch: -n/--count 0: the count must be at least 1`},
		{[]string{"xenstore", "watch", "/a", "-n", "many"}, `xgo: xenstore watch: invalid value "many" for flag --count`},
		{[]string{"xenstore", "watch", "/a", "-n"}, `xgo: flag -n needs a value`},
		{[]string{"xenstore", "watch", "/a", "/a"}, `xgo: xenstore watch: path "/a" given twice`},
		{[]string{"xenstore", "watch", "@bogus"}, `xgo: invalid xenstore path "@bogus": unknown special path (want @introduceDomain or @releaseDomain)`},
	}
	for _, tt := range tests {
		var dialed atomic.Bool
		d := testDeps(t)
		d.dialXenstore = func(context.Context, *env) (xsConn, error) {
			dialed.Store(true)
			return nil, os.ErrNotExist
		}
		r := runXgo(t, d, tt.args...)
		if r.code != exitUsage || r.stderr != tt.want+"\n" || r.stdout != "" {
			t.Errorf("xgo %q:\n got code %d, stderr %q, stdout %q\nwant code 2, stderr %q", tt.args, r.code, r.stderr, r.stdout, tt.want)
		}
		if dialed.Load() {
			t.Errorf("xgo %q connected to xenstored", tt.args)
		}
	}
}

// TestXenstoreSim runs the commands on the simulated host: changes are
// saved in its state file, reads and dry runs leave the file alone, and
// watch is refused.
func TestXenstoreSim(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "sim.yaml")
	sim := "--sim=" + state
	d := testDeps(t)
	d.dialXenstore = func(context.Context, *env) (xsConn, error) {
		t.Error("--sim dialed the real XenStore")
		return nil, os.ErrNotExist
	}
	mustXgo(t, d, sim, "sim", "init")
	mustXgo(t, d, sim, "xenstore", "write", "/tool/demo/a", "1", "/tool/demo/b", "2")
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatalf("write did not save the simulated host: %v", err)
	}
	if got := mustXgo(t, d, "xenstore", "read", "/tool/demo/a", "/tool/demo/b", sim); got != "1\n2\n" {
		t.Errorf("read: %q", got)
	}
	if got := mustXgo(t, d, "xenstore", "ls", "-f", "/tool/demo", sim); got != "/tool/demo/a = \"1\"\n/tool/demo/b = \"2\"\n" {
		t.Errorf("ls: %q", got)
	}
	mustXgo(t, d, sim, "-N", "xenstore", "rm", "/tool/demo")
	mustXgo(t, d, sim, "-N", "xenstore", "chmod", "-r", "/tool/demo", "b0", "r1")
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Error("a read or a dry run changed the state file")
	}
	mustXgo(t, d, sim, "xenstore", "chmod", "-r", "/tool/demo", "b0", "r1")
	if got := mustXgo(t, d, sim, "xenstore", "perms", "/tool/demo/b"); got != "b0 r1\n" {
		t.Errorf("perms after chmod -r: %q", got)
	}
	mustXgo(t, d, sim, "xenstore", "rm", "/tool/demo")
	if r := runXgo(t, d, sim, "xenstore", "read", "/tool/demo/a"); r.code != exitFailure {
		t.Errorf("read after rm: %+v", r)
	}
	r := runXgo(t, d, sim, "xenstore", "watch", "/tool")
	if r.code != exitNotSupported || !strings.HasPrefix(r.stderr, "xgo: xenstore watch: the simulated host cannot be watched") {
		t.Errorf("watch --sim: %+v", r)
	}
}

// TestXenstoreDialDefault goes through xenstore.Dial, which reads the
// process's XENSTORED_PATH (so this test cannot run in parallel).
func TestXenstoreDialDefault(t *testing.T) {
	_, sock := startXenstored(t)
	t.Setenv("XENSTORED_PATH", sock)
	if got := mustXgo(t, testDeps(t), "xenstore", "ls"); got != "tool = \"\"\n xenstored = \"\"\n" {
		t.Errorf("ls of a fresh daemon: %q", got)
	}
	t.Setenv("XENSTORED_PATH", sock+".missing")
	r := runXgo(t, testDeps(t), "xenstore", "ls")
	if r.code != exitPermission || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "cannot connect to xenstored") {
		t.Errorf("no xenstored: %+v", r)
	}
}
