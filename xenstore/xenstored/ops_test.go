package xenstored

import (
	"encoding/binary"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

func TestInitialTree(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	for _, tc := range []struct {
		typ  xenstore.MsgType
		path string
		want string
	}{
		{xenstore.TypeDirectory, "/", "tool|"},
		{xenstore.TypeDirectory, "/tool", "xenstored|"},
		{xenstore.TypeDirectory, "/tool/xenstored", ""},
		{xenstore.TypeRead, "/", ""},
		{xenstore.TypeRead, "/tool/xenstored", ""},
		{xenstore.TypeGetPerms, "/", "n0|"},
		{xenstore.TypeGetPerms, "/tool/xenstored", "n0|"},
		{xenstore.TypeRead, "/local", "ENOENT"},
	} {
		if got := c.call(tc.typ, 0, tc.path); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.typ, tc.path, got, tc.want)
		}
	}
}

func TestReplyEchoesHeader(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	for _, typ := range []xenstore.MsgType{xenstore.TypeRead, xenstore.TypeDirectory, 99} {
		if err := xenstore.WriteMessage(c.conn, &xenstore.Message{Type: typ, ReqID: 0xdeadbeef, Payload: []byte("/tool\x00")}); err != nil {
			t.Fatal(err)
		}
		m := c.reply()
		if m.ReqID != 0xdeadbeef || m.TxID != 0 {
			t.Errorf("%s: reply header req_id %#x tx_id %d", typ, m.ReqID, m.TxID)
		}
	}
	// An unknown tx_id is echoed in the ENOENT error.
	if err := xenstore.WriteMessage(c.conn, &xenstore.Message{Type: xenstore.TypeRead, ReqID: 7, TxID: 42, Payload: []byte("/tool\x00")}); err != nil {
		t.Fatal(err)
	}
	m := c.reply()
	if m.Type != xenstore.TypeError || m.ReqID != 7 || m.TxID != 42 || string(m.Payload) != "ENOENT\x00" {
		t.Errorf("unknown tx: %s %d %d %q", m.Type, m.ReqID, m.TxID, m.Payload)
	}
}

func TestWriteRead(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustWrite(0, "/a/b/c", "hello")
	tests := []struct {
		typ  xenstore.MsgType
		path string
		want string
	}{
		{xenstore.TypeRead, "/a/b/c", "hello"},
		{xenstore.TypeRead, "/a/b", ""},
		{xenstore.TypeRead, "/a", ""},
		{xenstore.TypeDirectory, "/", "tool|a|"},
		{xenstore.TypeDirectory, "/a", "b|"},
		{xenstore.TypeGetPerms, "/a/b/c", "n0|"},
	}
	for _, tc := range tests {
		if got := c.call(tc.typ, 0, tc.path); got != tc.want {
			t.Errorf("%s %s = %q, want %q", tc.typ, tc.path, got, tc.want)
		}
	}
	// Binary values with NULs and an empty value round-trip.
	c.mustWrite(0, "/a/bin", "x\x00y\x00")
	if m := c.do(xenstore.TypeRead, 0, []byte("/a/bin\x00")); string(m.Payload) != "x\x00y\x00" {
		t.Errorf("binary value read back as %q", m.Payload)
	}
	c.mustWrite(0, "/a/b/c", "")
	if got := c.read(0, "/a/b/c"); got != "" {
		t.Errorf("emptied value = %q", got)
	}
	// Children keep insertion order.
	for _, n := range []string{"z", "m", "a"} {
		c.mustWrite(0, "/order/"+n, n)
	}
	if got := c.call(xenstore.TypeDirectory, 0, "/order"); got != "z|m|a|" {
		t.Errorf("DIRECTORY /order = %q", got)
	}
}

// Requests whose arguments or paths C xenstored refuses.
func TestRequestErrors(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustWrite(0, "/x", "1")
	long := "/" + strings.Repeat("a", 2048) // 2049 bytes: over path-max outside /local/domain/N/
	tests := []struct {
		name    string
		typ     xenstore.MsgType
		payload string
		want    string
	}{
		// Not one NUL-terminated string: C answers a stale errno,
		// ENOENT on C xenstored 4.17.7 in the lab, and ENOMEM from
		// MKDIR and RM (see pathArg).
		{"read no NUL", xenstore.TypeRead, "/x", "ENOENT"},
		{"read two args", xenstore.TypeRead, "/x\x00y\x00", "ENOENT"},
		{"read empty payload", xenstore.TypeRead, "", "ENOENT"},
		{"read two NULs", xenstore.TypeRead, "/x\x00\x00", "ENOENT"},
		{"directory two args", xenstore.TypeDirectory, "/x\x00y\x00", "ENOENT"},
		{"get_perms two args", xenstore.TypeGetPerms, "/x\x00y\x00", "ENOENT"},
		{"rm empty payload", xenstore.TypeRm, "", "ENOMEM"},
		{"mkdir two args", xenstore.TypeMkdir, "/x\x00y\x00", "ENOMEM"},
		{"read trailing slash", xenstore.TypeRead, "/x/\x00", "EINVAL"},
		{"read double slash", xenstore.TypeRead, "/a//b\x00", "EINVAL"},
		{"read bad char", xenstore.TypeRead, "/a b\x00", "EINVAL"},
		{"read dot", xenstore.TypeRead, "/a.b\x00", "EINVAL"},
		{"read @path", xenstore.TypeRead, "@introduceDomain\x00", "EINVAL"},
		{"read missing", xenstore.TypeRead, "/nope\x00", "ENOENT"},
		{"read missing deep", xenstore.TypeRead, "/nope/a/b\x00", "ENOENT"},
		{"read too long", xenstore.TypeRead, long + "\x00", "EINVAL"},
		{"read long under local domain", xenstore.TypeRead, "/local/domain/7/" + long[1:] + "\x00", "ENOENT"},
		{"write no NUL", xenstore.TypeWrite, "/x", "EINVAL"},
		{"write bad path", xenstore.TypeWrite, "/x/\x00v", "EINVAL"},
		{"write empty path", xenstore.TypeWrite, "\x00v", "EINVAL"}, // "" → /local/domain/0/
		{"mkdir no NUL", xenstore.TypeMkdir, "/x", "ENOMEM"},
		{"mkdir bad path", xenstore.TypeMkdir, "/a//b\x00", "EINVAL"},
		{"directory missing", xenstore.TypeDirectory, "/nope\x00", "ENOENT"},
		{"directory bad", xenstore.TypeDirectory, "nul\x00x\x00", "ENOENT"}, // two args
		{"get_perms missing", xenstore.TypeGetPerms, "/nope\x00", "ENOENT"},
		{"rm root", xenstore.TypeRm, "/\x00", "EINVAL"},
		{"rm missing parent", xenstore.TypeRm, "/nope/x\x00", "ENOENT"},
		{"rm bad path", xenstore.TypeRm, "/x/\x00", "EINVAL"},
		{"set_perms no perms", xenstore.TypeSetPerms, "/x\x00", "EINVAL"},
		{"set_perms bad letter", xenstore.TypeSetPerms, "/x\x00q0\x00", "EINVAL"},
		{"set_perms empty id", xenstore.TypeSetPerms, "/x\x00r\x00", "EINVAL"},
		{"set_perms junk id", xenstore.TypeSetPerms, "/x\x00r1x\x00", "EINVAL"},
		{"set_perms missing", xenstore.TypeSetPerms, "/nope\x00n0\x00", "ENOENT"},
		{"set_perms bad special", xenstore.TypeSetPerms, "@foo\x00n0\x00", "EINVAL"},
		{"directory_part one arg", xenstore.TypeDirectoryPart, "/x\x00", "EINVAL"},
		{"directory_part missing", xenstore.TypeDirectoryPart, "/nope\x000\x00", "ENOENT"},
		{"get_domain_path no NUL", xenstore.TypeGetDomainPath, "1", "EINVAL"},
		{"watch one arg", xenstore.TypeWatch, "/x\x00", "EINVAL"},
		{"watch three args", xenstore.TypeWatch, "/x\x00t\x00z\x00", "EINVAL"},
		{"watch bad path", xenstore.TypeWatch, "/x/\x00t\x00", "EINVAL"},
		{"unwatch unknown", xenstore.TypeUnwatch, "/x\x00t\x00", "ENOENT"},
		{"unwatch one arg", xenstore.TypeUnwatch, "/x\x00", "EINVAL"},
		{"transaction_end no tx", xenstore.TypeTransactionEnd, "T\x00", "ENOENT"},
		{"transaction_end bad arg", xenstore.TypeTransactionEnd, "X\x00", "EINVAL"},
		{"release dom0", xenstore.TypeRelease, "0\x00", "EINVAL"},
		{"release unknown", xenstore.TypeRelease, "9\x00", "ENOENT"},
		{"resume unknown", xenstore.TypeResume, "9\x00", "ENOENT"},
		{"introduce port 0", xenstore.TypeIntroduce, "5\x000\x000\x00", "EINVAL"},
		{"introduce two args", xenstore.TypeIntroduce, "5\x000\x00", "EINVAL"},
		{"set_target unknown", xenstore.TypeSetTarget, "5\x006\x00", "ENOENT"},
		{"control unknown", xenstore.TypeControl, "frobnicate\x00", "EINVAL"},
		{"control empty", xenstore.TypeControl, "", "EINVAL"},
		{"control live-update", xenstore.TypeControl, "live-update\x00-s\x00", "ENOSYS"},
		{"unknown type", 99, "/x\x00", "ENOSYS"},
		{"watch_event type", xenstore.TypeWatchEvent, "/x\x00t\x00", "ENOSYS"},
		{"error type", xenstore.TypeError, "EINVAL\x00", "ENOSYS"},
		{"restrict type 20", 20, "1\x00", "ENOSYS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := result(c.do(tc.typ, 0, []byte(tc.payload))); got != tc.want {
				t.Errorf("%s %q = %q, want %q", tc.typ, tc.payload, got, tc.want)
			}
		})
	}
}

func TestMkdir(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustOK(xenstore.TypeMkdir, 0, "/m/n")
	c.mustWrite(0, "/m/n", "keep")
	c.mustOK(xenstore.TypeMkdir, 0, "/m/n") // existing: fine, value kept
	if got := c.read(0, "/m/n"); got != "keep" {
		t.Errorf("value after MKDIR of an existing node = %q", got)
	}
	if got := c.call(xenstore.TypeDirectory, 0, "/m"); got != "n|" {
		t.Errorf("DIRECTORY /m = %q", got)
	}
}

func TestRm(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustWrite(0, "/r/a/b", "1")
	c.mustWrite(0, "/r/a/c", "2")
	c.mustWrite(0, "/r/d", "3")
	c.mustOK(xenstore.TypeRm, 0, "/r/a")
	if got := c.call(xenstore.TypeDirectory, 0, "/r"); got != "d|" {
		t.Errorf("DIRECTORY /r after rm = %q", got)
	}
	for _, p := range []string{"/r/a", "/r/a/b", "/r/a/c"} {
		if got := c.read(0, p); got != "ENOENT" {
			t.Errorf("READ %s after rm = %q", p, got)
		}
	}
	c.mustOK(xenstore.TypeRm, 0, "/r/a")   // missing node, parent exists
	c.mustOK(xenstore.TypeRm, 0, "/r/d/x") // likewise
	if got := c.call(xenstore.TypeRm, 0, "/r/a/x"); got != "ENOENT" {
		t.Errorf("RM with missing parent = %q", got)
	}
	c.mustOK(xenstore.TypeRm, 0, "/r")
	if got := c.call(xenstore.TypeDirectory, 0, "/"); got != "tool|" {
		t.Errorf("DIRECTORY / = %q", got)
	}
	// The tool tree can be removed too; only "/" is refused.
	c.mustOK(xenstore.TypeRm, 0, "/tool")
}

func TestDirectoryPart(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	var names []string
	for i := 0; i < 300; i++ {
		n := strings.Repeat("c", 20) + string(rune('a'+i%26)) + strings.Repeat("x", i%7) + "-" + itoa(i)
		names = append(names, n)
		c.mustOK(xenstore.TypeMkdir, 0, "/big/"+n)
	}
	full := strings.Join(names, "\x00") + "\x00"
	if got := c.do(xenstore.TypeDirectory, 0, []byte("/big\x00")); string(got.Payload) != "E2BIG\x00" || got.Type != xenstore.TypeError {
		t.Fatalf("DIRECTORY of %d bytes: %s %q", len(full), got.Type, got.Payload)
	}
	gen, _ := s.Get("/big")
	var got []byte
	off := 0
	for {
		m := c.do(xenstore.TypeDirectoryPart, 0, xenstore.JoinPayload("/big", itoa(off)))
		if m.Type == xenstore.TypeError {
			t.Fatalf("DIRECTORY_PART: %s", result(m))
		}
		if len(m.Payload) > xenstore.PayloadMax {
			t.Fatalf("payload %d bytes", len(m.Payload))
		}
		i := strings.IndexByte(string(m.Payload), 0)
		if g := string(m.Payload[:i]); g != itoa(int(gen.Generation)) {
			t.Fatalf("gencnt %s, want %d", g, gen.Generation)
		}
		part := m.Payload[i+1:]
		if len(part) > 0 && part[len(part)-1] == 0 && (len(part) == 1 || part[len(part)-2] == 0) {
			got = append(got, part[:len(part)-1]...)
			break
		}
		got = append(got, part...)
		off += len(part)
	}
	if string(got) != full {
		t.Errorf("paged children differ: got %d bytes, want %d", len(got), len(full))
	}
	// Offset at or past the end: "gen\0\0".
	m := c.do(xenstore.TypeDirectoryPart, 0, xenstore.JoinPayload("/big", itoa(len(full))))
	if want := itoa(int(gen.Generation)) + "\x00\x00"; string(m.Payload) != want {
		t.Errorf("past the end: %q, want %q", m.Payload, want)
	}
	// A node without children.
	m = c.do(xenstore.TypeDirectoryPart, 0, xenstore.JoinPayload("/tool/xenstored", "0"))
	if !strings.HasSuffix(string(m.Payload), "\x00\x00") {
		t.Errorf("empty directory part: %q", m.Payload)
	}
	// The gencnt changes when a child is added.
	c.mustOK(xenstore.TypeMkdir, 0, "/big/new")
	m = c.do(xenstore.TypeDirectoryPart, 0, xenstore.JoinPayload("/big", "0"))
	if strings.HasPrefix(string(m.Payload), itoa(int(gen.Generation))+"\x00") {
		t.Errorf("gencnt unchanged after adding a child")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestGetDomainPath(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 3)
	for _, tc := range []struct{ arg, want string }{
		{"0", "/local/domain/0|"},
		{"7", "/local/domain/7|"},
		{"abc", "/local/domain/0|"},    // atoi
		{"12xyz", "/local/domain/12|"}, // atoi
		{"-1", "/local/domain/4294967295|"},
	} {
		if got := c.call(xenstore.TypeGetDomainPath, 0, tc.arg); got != tc.want {
			t.Errorf("GET_DOMAIN_PATH %q = %q, want %q", tc.arg, got, tc.want)
		}
	}
}

func TestRelativePaths(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	dom0.mustWrite(0, "/local/domain/5", "")
	dom0.setPerms(0, "/local/domain/5", "n5")
	u := dial(t, s, 5)
	u.mustWrite(0, "data/x", "1")
	if got := dom0.read(0, "/local/domain/5/data/x"); got != "1" {
		t.Errorf("relative write landed elsewhere: %q", got)
	}
	if got := u.read(0, "data/x"); got != "1" {
		t.Errorf("relative read = %q", got)
	}
	// Socket (and dom0) connections resolve against /local/domain/0.
	dom0.mustWrite(0, "rel", "0")
	if got := dom0.read(0, "/local/domain/0/rel"); got != "0" {
		t.Errorf("dom0 relative write: %q", got)
	}
	// path-max counts after /local/domain/<id>/ for relative paths.
	// (Built of short components: one 2048-byte child name would push
	// the parent's record over the node-size quota first.)
	long := strings.TrimSuffix(strings.Repeat(strings.Repeat("x", 99)+"/", 20), "/") + "/" + strings.Repeat("y", 48)
	if len(long) != 2048 {
		t.Fatalf("test path is %d bytes", len(long))
	}
	if got := u.write(0, long, "v"); got != "OK|" {
		t.Errorf("relative path of 2048 bytes: %q", got)
	}
	if got := u.write(0, long+"b", "v"); got != "EINVAL" {
		t.Errorf("relative path of 2049 bytes: %q", got)
	}
}

func TestServeUnixSocket(t *testing.T) {
	s := newTestServer(t, nil)
	sock := filepath.Join(t.TempDir(), "socket")
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(sock) }()
	var nc net.Conn
	var err error
	for i := 0; i < 200; i++ {
		if nc, err = net.Dial("unix", sock); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, nc)
	// Socket clients are privileged.
	c.mustWrite(0, "/sock/x", "y")
	c.mustOK(xenstore.TypeSetPerms, 0, "/sock/x", "n3")
	if got := c.read(0, "/sock/x"); got != "y" {
		t.Errorf("READ over socket = %q", got)
	}
	if got := c.call(xenstore.TypeIsDomainIntroduced, 0, "0"); got != "T|" {
		t.Errorf("IS_DOMAIN_INTRODUCED 0 = %q", got)
	}
	s.Close()
	if err := <-errc; err != ErrServerClosed {
		t.Errorf("ListenAndServe after Close = %v", err)
	}
	if !c.closed(2 * time.Second) {
		t.Errorf("connection still open after Close")
	}
}

func TestOversizedPayloadDropsConnection(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	var h [xenstore.HeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(xenstore.TypeWrite))
	binary.LittleEndian.PutUint32(h[12:], xenstore.PayloadMax+1)
	if _, err := c.conn.Write(h[:]); err != nil {
		t.Fatal(err)
	}
	if !c.closed(2 * time.Second) {
		t.Fatal("connection not dropped after a 4097-byte header")
	}
	// Exactly 4096 is fine.
	c2 := dial(t, s, 0)
	payload := append([]byte("/big\x00"), make([]byte, xenstore.PayloadMax-5)...)
	if got := result(c2.do(xenstore.TypeWrite, 0, payload)); got != "OK|" {
		t.Errorf("WRITE with a 4096-byte payload: %s", got)
	}
}
