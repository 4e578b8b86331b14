package xenstored

import (
	"net"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

// permTree builds, as dom0:
//
//	/p          (n0)        secret to guests
//	/p/secret   (n0)
//	/ro         (r0)        readable by everybody, writable by dom0
//	/ro/x       (r0)
//	/w          (n0,b5)     domain 5 may read and write
//	/q          (r0,n5)     everybody but domain 5 may read
//	/local/domain/5 (n0,r5)
func permTree(t *testing.T, dom0 *testClient) {
	t.Helper()
	dom0.mustWrite(0, "/p/secret", "s")
	dom0.mustWrite(0, "/ro/x", "x")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/ro", "r0")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/ro/x", "r0")
	dom0.mustOK(xenstore.TypeMkdir, 0, "/w")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/w", "n0", "b5")
	dom0.mustWrite(0, "/q", "q")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/q", "r0", "n5")
	dom0.mustOK(xenstore.TypeMkdir, 0, "/local/domain/5")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/local/domain/5", "n0", "r5")
}

func TestPermissionsDomU(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	permTree(t, dom0)
	u := dial(t, s, 5)
	six := dial(t, s, 6)

	tests := []struct {
		name    string
		c       *testClient
		typ     xenstore.MsgType
		payload string
		want    string
	}{
		{"read unreadable", u, xenstore.TypeRead, "/p/secret\x00", "EACCES"},
		{"read missing below unreadable", u, xenstore.TypeRead, "/p/nope\x00", "EACCES"},
		{"read missing deep below unreadable", u, xenstore.TypeRead, "/p/nope/a/b\x00", "EACCES"},
		{"read missing below readable", u, xenstore.TypeRead, "/ro/nope\x00", "ENOENT"},
		{"read missing top level", u, xenstore.TypeRead, "/nope\x00", "EACCES"}, // "/" is n0
		{"directory unreadable", u, xenstore.TypeDirectory, "/p\x00", "EACCES"},
		{"get_perms unreadable", u, xenstore.TypeGetPerms, "/p\x00", "EACCES"},
		{"read readable", u, xenstore.TypeRead, "/ro/x\x00", "x"},
		{"get_perms readable", u, xenstore.TypeGetPerms, "/ro\x00", "r0|"},
		{"write read-only", u, xenstore.TypeWrite, "/ro/x\x00v", "EACCES"},
		{"create under read-only", u, xenstore.TypeWrite, "/ro/new\x00v", "EACCES"},
		{"create under unreadable", u, xenstore.TypeWrite, "/p/new\x00v", "EACCES"},
		{"mkdir existing read-only", u, xenstore.TypeMkdir, "/ro/x\x00", "EACCES"},
		{"rm read-only", u, xenstore.TypeRm, "/ro/x\x00", "EACCES"},
		{"rm missing under read-only", u, xenstore.TypeRm, "/ro/nope\x00", "EACCES"},
		{"rm missing parent under unreadable", u, xenstore.TypeRm, "/p/a/b\x00", "EACCES"},
		{"specific entry overrides default", u, xenstore.TypeRead, "/q\x00", "EACCES"},
		{"default letter for others", six, xenstore.TypeRead, "/q\x00", "q"},
		{"own home readable", u, xenstore.TypeDirectory, "/local/domain/5\x00", ""},
		{"own home not writable", u, xenstore.TypeWrite, "/local/domain/5/x\x00v", "EACCES"},
		{"set_perms not owner", u, xenstore.TypeSetPerms, "/w\x00n0\x00b5\x00", "EACCES"},
		{"set_perms read-only", u, xenstore.TypeSetPerms, "/ro\x00r0\x00", "EACCES"},
		{"get_domain_path allowed", u, xenstore.TypeGetDomainPath, "5\x00", "/local/domain/5|"},
		{"introduce priv only", u, xenstore.TypeIntroduce, "7\x000\x001\x00", "EACCES"},
		{"release priv only", u, xenstore.TypeRelease, "5\x00", "EACCES"},
		{"is_domain_introduced priv only", u, xenstore.TypeIsDomainIntroduced, "5\x00", "EACCES"},
		{"resume priv only", u, xenstore.TypeResume, "5\x00", "EACCES"},
		{"set_target priv only", u, xenstore.TypeSetTarget, "5\x000\x00", "EACCES"},
		{"control priv only", u, xenstore.TypeControl, "check\x00", "EACCES"},
		{"set special perms", u, xenstore.TypeSetPerms, "@releaseDomain\x00n5\x00", "EACCES"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := result(tc.c.do(tc.typ, 0, []byte(tc.payload))); got != tc.want {
				t.Errorf("%s %q = %q, want %q", tc.typ, tc.payload, got, tc.want)
			}
		})
	}
}

func TestCreateInheritsPermsAndOwner(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	permTree(t, dom0)
	u := dial(t, s, 5)

	// A guest owns what it creates; the rest of the list is inherited.
	u.mustWrite(0, "/w/a/b", "v")
	for _, p := range []string{"/w/a", "/w/a/b"} {
		if got := u.call(xenstore.TypeGetPerms, 0, p); got != "n5|b5|" {
			t.Errorf("GET_PERMS %s = %q, want n5|b5|", p, got)
		}
	}
	// dom0 creating keeps the parent's owner.
	dom0.mustWrite(0, "/w/d0", "v")
	if got := dom0.call(xenstore.TypeGetPerms, 0, "/w/d0"); got != "n0|b5|" {
		t.Errorf("GET_PERMS /w/d0 = %q", got)
	}
	// The owner may change the rest of the list but not the owner.
	u.mustOK(xenstore.TypeSetPerms, 0, "/w/a", "n5", "r6")
	if got := u.call(xenstore.TypeGetPerms, 0, "/w/a"); got != "n5|r6|" {
		t.Errorf("after SET_PERMS: %q", got)
	}
	if got := u.setPerms(0, "/w/a", "n6"); got != "EPERM" {
		t.Errorf("guest changing the owner: %q, want EPERM", got)
	}
	// b5 grants read and write but not ownership.
	if got := u.setPerms(0, "/w/d0", "n0", "b5"); got != "EACCES" {
		t.Errorf("SET_PERMS by a non-owner with b: %q", got)
	}
	// dom0 may give a node away; then the new owner has full access.
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/p/secret", "n5")
	if got := u.read(0, "/p/secret"); got != "s" {
		t.Errorf("owner reading its node: %q", got)
	}
	// strtol(…, 0) parsing of ids, and "%i" printing.
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/q", "r0x0", "b010", "n 5")
	if got := dom0.call(xenstore.TypeGetPerms, 0, "/q"); got != "r0|b8|n5|" {
		t.Errorf("GET_PERMS after strtol-style ids: %q", got)
	}
}

func TestSetPermsSpecialPaths(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	u := dial(t, s, 5)
	s.IntroduceDomain(5)
	u.watch("@introduceDomain", "tok")
	// Default (n0): no @introduceDomain events for a guest.
	s.IntroduceDomain(7)
	if ev := u.pendingEvents(); len(ev) != 0 {
		t.Fatalf("guest got %v without permission", ev)
	}
	dom0.mustOK(xenstore.TypeSetPerms, 0, "@introduceDomain", "n0", "r5")
	s.IntroduceDomain(8)
	if got := u.event(); got != "@introduceDomain tok" {
		t.Errorf("event %q", got)
	}
}

func TestSetTarget(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	dom0.mustWrite(0, "/dm/own6", "x")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/dm/own6", "n6")
	dom0.mustWrite(0, "/dm/for6", "y")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/dm/for6", "n0", "r6")
	s.IntroduceDomain(5)
	s.IntroduceDomain(6)
	stub := dial(t, s, 5)
	if got := stub.read(0, "/dm/own6"); got != "EACCES" {
		t.Fatalf("before SET_TARGET: %q", got)
	}
	if got := dom0.call(xenstore.TypeSetTarget, 0, "5", "7"); got != "ENOENT" {
		t.Errorf("SET_TARGET to an unknown domain = %q", got)
	}
	dom0.mustOK(xenstore.TypeSetTarget, 0, "5", "6")
	if got := stub.read(0, "/dm/own6"); got != "x" {
		t.Errorf("reading the target's node: %q", got)
	}
	stub.mustOK(xenstore.TypeSetPerms, 0, "/dm/own6", "n6", "r0")
	if got := stub.read(0, "/dm/for6"); got != "y" {
		t.Errorf("reading with the target's grant: %q", got)
	}
}

func TestDomainExists(t *testing.T) {
	exists := map[uint32]bool{0: true, 5: true}
	s := newTestServer(t, &Config{DomainExists: func(d uint32) bool { return exists[d] }})
	dom0 := dial(t, s, 0)
	dom0.mustWrite(0, "/e", "v")
	// domain_alloc_permrefs: a missing owner is ENOENT, a missing other
	// domain is kept but ignored.
	if got := dom0.setPerms(0, "/e", "n9"); got != "ENOENT" {
		t.Errorf("owner that does not exist = %q", got)
	}
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/e", "n0", "r5", "r9")
	if got := dom0.call(xenstore.TypeGetPerms, 0, "/e"); got != "n0|r5|r9|" {
		t.Errorf("GET_PERMS = %q", got)
	}
	exists[9] = true
	if got := dial(t, s, 9).read(0, "/e"); got != "EACCES" {
		t.Errorf("domain 9 created later reads through an ignored entry: %q", got)
	}
	if got := dial(t, s, 5).read(0, "/e"); got != "v" {
		t.Errorf("domain 5 = %q", got)
	}
}

func TestGetWalkAndConnEnd(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.mustWrite(0, "/g/a", "1")
	c.mustWrite(0, "/g/b/c", "2")
	c.mustOK(xenstore.TypeSetPerms, 0, "/g/a", "n0", "r3")
	n, ok := s.Get("/g/a")
	if !ok || string(n.Value) != "1" || n.Perms.String() != "n0,r3" {
		t.Errorf("Get = %+v %v", n, ok)
	}
	if _, ok := s.Get("/nope"); ok {
		t.Errorf("Get of a missing node")
	}
	var paths []string
	if err := s.Walk("/g", func(n Node) error { paths = append(paths, n.Path); return nil }); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(paths, " "); got != "/g /g/a /g/b /g/b/c" {
		t.Errorf("Walk order %q", got)
	}
	if err := s.Walk("/nope", func(Node) error { return nil }); err != xenstore.ErrNotExist {
		t.Errorf("Walk of a missing root: %v", err)
	}
	// ServeConn returns when the client goes away.
	cli, srv := net.Pipe()
	done := make(chan struct{})
	go func() { s.ServeConn(srv, 4); close(done) }()
	cli.Close()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("ServeConn did not return after the client closed")
	}
}
