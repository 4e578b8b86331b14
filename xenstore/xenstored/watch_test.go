package xenstored

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func TestWatchFiring(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	w := dial(t, s, 0)
	c.mustWrite(0, "/w/a/b/c", "1")
	c.mustWrite(0, "/w/sib", "1")
	w.watch("/w/a", "A")
	w.watch("/w/a/b/c", "C")
	w.watch("/w/a/b/c/gone", "G") // never existed
	w.watch("/", "ROOT")

	tests := []struct {
		name string
		do   func()
		want []string
	}{
		{"write below", func() { c.mustWrite(0, "/w/a/b", "x") }, []string{"/w/a/b A", "/w/a/b ROOT"}},
		{"write at", func() { c.mustWrite(0, "/w/a", "x") }, []string{"/w/a A", "/w/a ROOT"}},
		{"write sibling", func() { c.mustWrite(0, "/w/sib", "x") }, []string{"/w/sib ROOT"}},
		{"write parent", func() { c.mustWrite(0, "/w", "x") }, []string{"/w ROOT"}},
		{"create deep fires on the new node only", func() { c.mustWrite(0, "/w/a/n1/n2", "x") }, []string{"/w/a/n1/n2 A", "/w/a/n1/n2 ROOT"}},
		{"mkdir existing fires nothing", func() { c.mustOK(xenstore.TypeMkdir, 0, "/w/a") }, nil},
		{"mkdir new", func() { c.mustOK(xenstore.TypeMkdir, 0, "/w/a/m") }, []string{"/w/a/m A", "/w/a/m ROOT"}},
		{"set_perms", func() { c.mustOK(xenstore.TypeSetPerms, 0, "/w/a/b/c", "n0", "r1") }, []string{"/w/a/b/c A", "/w/a/b/c C", "/w/a/b/c ROOT"}},
		// RM: the removed node fires watches on it and above; nodes
		// below it fire only watches set exactly on them.
		{"rm subtree", func() { c.mustOK(xenstore.TypeRm, 0, "/w/a/b") }, []string{"/w/a/b A", "/w/a/b ROOT", "/w/a/b/c C"}},
		{"rm missing fires nothing", func() { c.mustOK(xenstore.TypeRm, 0, "/w/a/b") }, nil},
		{"failed write fires nothing", func() {
			if got := c.write(0, "/w/a/", "x"); got != "EINVAL" {
				t.Errorf("got %s", got)
			}
		}, nil},
	}
	for _, tc := range tests {
		tc.do()
		if got := sorted(w.pendingEvents()); !reflect.DeepEqual(got, sorted(tc.want)) {
			t.Errorf("%s: events %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWatchEventOrder(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	// The initial event follows the WATCH reply.
	id := c.send(xenstore.TypeWatch, 0, xenstore.JoinPayload("/x", "t"))
	if m := c.reply(); m.ReqID != id || result(m) != "OK|" {
		t.Fatalf("WATCH reply %v", m)
	}
	if got := c.event(); got != "/x t" {
		t.Errorf("initial event %q", got)
	}
	// A request's own events are queued before its reply (fire_watches
	// runs before send_ack): after reading the WRITE reply the event is
	// already there.
	c.mustWrite(0, "/x", "1")
	select {
	case m := <-c.events:
		if string(m.Payload) != "/x\x00t\x00" {
			t.Errorf("event %q", m.Payload)
		}
	default:
		t.Errorf("event not received before the WRITE reply")
	}
}

func TestWatchRegistration(t *testing.T) {
	s := newTestServer(t, nil)
	c := dial(t, s, 0)
	c.watch("/a", "t")
	if got := c.call(xenstore.TypeWatch, 0, "/a", "t"); got != "EEXIST" {
		t.Errorf("duplicate watch = %q", got)
	}
	c.watch("/a", "t2") // same path, other token
	c.watch("/b", "t")  // same token, other path
	// Watches on missing nodes, on any @ name, relative ones: accepted.
	c.watch("@anything", "t")
	c.watch("rel", "r")
	c.mustWrite(0, "/local/domain/0/rel", "1")
	if got := sorted(c.pendingEvents()); !reflect.DeepEqual(got, []string{"rel r"}) {
		t.Errorf("relative watch events %q", got)
	}
	c.mustOK(xenstore.TypeUnwatch, 0, "/a", "t")
	if got := c.call(xenstore.TypeUnwatch, 0, "/a", "t"); got != "ENOENT" {
		t.Errorf("second UNWATCH = %q", got)
	}
	c.mustWrite(0, "/a", "1")
	if got := c.pendingEvents(); !reflect.DeepEqual(got, []string{"/a t2"}) {
		t.Errorf("after UNWATCH: %q", got)
	}
	// UNWATCH canonicalizes like WATCH.
	c.mustOK(xenstore.TypeUnwatch, 0, "rel", "r")
	c.mustOK(xenstore.TypeResetWatches, 0)
	c.mustWrite(0, "/a", "2")
	c.mustWrite(0, "/b", "2")
	if got := c.pendingEvents(); len(got) != 0 {
		t.Errorf("events after RESET_WATCHES: %q", got)
	}
	if got := c.call(xenstore.TypeUnwatch, 0, "/b", "t"); got != "ENOENT" {
		t.Errorf("UNWATCH after RESET_WATCHES = %q", got)
	}
}

func TestWatchRelativeDomU(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	dom0.mustOK(xenstore.TypeMkdir, 0, "/local/domain/5")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/local/domain/5", "n5")
	u := dial(t, s, 5)
	u.watch("device", "dev")
	u.watch("/local/domain/5/device", "abs")
	dom0.mustWrite(0, "/local/domain/5/device/vif/0", "x")
	got := sorted(u.pendingEvents())
	want := []string{"/local/domain/5/device/vif/0 abs", "device/vif/0 dev"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestWatchPermissionFilter(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	permTree(t, dom0)
	u := dial(t, s, 5)
	u.watch("/", "all")

	// (Events are checked after every step: an identical event still
	// queued would be merged, as send_event does.)
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"unreadable node, unreadable parent", func() { dom0.mustWrite(0, "/p/secret", "2") }, nil},
		{"readable node", func() { dom0.mustWrite(0, "/ro/x", "2") }, []string{"/ro/x all"}},
		{"new readable node", func() { dom0.mustWrite(0, "/ro/hidden", "h") }, []string{"/ro/hidden all"}},
		{"made unreadable: old perms count", func() { dom0.mustOK(xenstore.TypeSetPerms, 0, "/ro/hidden", "n0") }, []string{"/ro/hidden all"}},
		{"unreadable node, readable parent", func() { dom0.mustWrite(0, "/ro/hidden", "h2") }, []string{"/ro/hidden all"}},
	}
	for _, st := range steps {
		st.do()
		if got := u.pendingEvents(); !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: events %q, want %q", st.name, got, st.want)
		}
	}

	// Losing read access still reports the change (old perms count).
	dom0.mustWrite(0, "/p/open", "o")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/p/open", "r0")
	u.pendingEvents()
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/p/open", "n0")
	if got := u.pendingEvents(); !reflect.DeepEqual(got, []string{"/p/open all"}) {
		t.Errorf("after revoking read: %q", got)
	}
	dom0.mustWrite(0, "/p/open", "o2")
	if got := u.pendingEvents(); len(got) != 0 {
		t.Errorf("after revoke, change to an unreadable node: %q", got)
	}
}

func TestSpecialWatches(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	dom0.watch(xenstore.WatchIntroduceDomain, "in")
	dom0.watch(xenstore.WatchReleaseDomain, "out")
	dom0.watch("@releaseDomain/5", "x") // accepted, never fires in 4.17

	s.IntroduceDomain(5)
	if got := dom0.pendingEvents(); !reflect.DeepEqual(got, []string{"@introduceDomain in"}) {
		t.Errorf("introduce: %q", got)
	}
	s.IntroduceDomain(5) // again: nothing
	if got := dom0.pendingEvents(); len(got) != 0 {
		t.Errorf("re-introduce fired %q", got)
	}
	if got := dom0.call(xenstore.TypeIsDomainIntroduced, 0, "5"); got != "T|" {
		t.Errorf("IS_DOMAIN_INTRODUCED 5 = %q", got)
	}
	if got := dom0.call(xenstore.TypeIsDomainIntroduced, 0, "6"); got != "F|" {
		t.Errorf("IS_DOMAIN_INTRODUCED 6 = %q", got)
	}
	if got := dom0.call(xenstore.TypeIsDomainIntroduced, 0, "32752"); got != "T|" {
		t.Errorf("IS_DOMAIN_INTRODUCED DOMID_SELF = %q", got)
	}

	s.ShutdownDomain(5)
	s.ShutdownDomain(5) // once per shutdown
	if got := dom0.pendingEvents(); !reflect.DeepEqual(got, []string{"@releaseDomain out"}) {
		t.Errorf("shutdown: %q", got)
	}
	dom0.mustOK(xenstore.TypeResume, 0, "5")
	s.ShutdownDomain(5)
	if got := dom0.pendingEvents(); !reflect.DeepEqual(got, []string{"@releaseDomain out"}) {
		t.Errorf("shutdown after resume: %q", got)
	}

	// The wire INTRODUCE and RELEASE do the same.
	dom0.mustOK(xenstore.TypeIntroduce, 0, "6", "0", "3")
	dom0.mustOK(xenstore.TypeRelease, 0, "6")
	if got := dom0.pendingEvents(); !reflect.DeepEqual(got, []string{"@introduceDomain in", "@releaseDomain out"}) {
		t.Errorf("wire introduce/release: %q", got)
	}
	if got := dom0.call(xenstore.TypeIsDomainIntroduced, 0, "6"); got != "F|" {
		t.Errorf("released domain still introduced: %q", got)
	}
	if got := dom0.call(xenstore.TypeRelease, 0, "6"); got != "ENOENT" {
		t.Errorf("second RELEASE = %q", got)
	}
}

func TestReleaseDomainCleansUp(t *testing.T) {
	s := newTestServer(t, nil)
	dom0 := dial(t, s, 0)
	dom0.mustOK(xenstore.TypeMkdir, 0, "/local/domain/5")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/local/domain/5", "n0", "b5")
	dom0.mustWrite(0, "/shared", "")
	dom0.mustOK(xenstore.TypeSetPerms, 0, "/shared", "n0", "r5")
	s.IntroduceDomain(5)
	u := dial(t, s, 5)
	u.mustWrite(0, "data/a/b", "guest")
	u.mustWrite(0, "data/c", "guest")
	dom0.mustWrite(0, "/local/domain/5/data/a/b/dom0", "x") // inherits owner 5
	dom0.watch("/local/domain/5", "home")
	dom0.watch("@releaseDomain", "rel")

	s.ReleaseDomain(5)
	if !u.closed(2 * time.Second) {
		t.Errorf("guest connection still open after release")
	}
	// Nodes owned by the domain are gone; dom0's node stays.
	if got := dom0.call(xenstore.TypeDirectory, 0, "/local/domain/5"); got != "" {
		t.Errorf("DIRECTORY after release = %q", got)
	}
	ev := dom0.pendingEvents()
	if len(ev) == 0 || ev[len(ev)-1] != "@releaseDomain rel" {
		t.Errorf("events %q: want removals then @releaseDomain", ev)
	}
	if !contains(ev, "/local/domain/5/data home") {
		t.Errorf("no event for the removed subtree: %q", ev)
	}
	// The permission entry for the gone domain is kept but ignored: a
	// new domain 5 does not inherit it.
	if got := dom0.call(xenstore.TypeGetPerms, 0, "/shared"); got != "n0|r5|" {
		t.Errorf("GET_PERMS /shared = %q", got)
	}
	s.IntroduceDomain(5)
	u2 := dial(t, s, 5)
	if got := u2.read(0, "/shared"); got != "EACCES" {
		t.Errorf("new domain 5 reading /shared = %q, want EACCES", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
