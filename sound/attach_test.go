package sound_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore"
)

var update = flag.Bool("update", false, "rewrite testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("differs from %s\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}

// vsndTrees lists the three vsnd directories of domain 1 (backend dom0)
// and everything below them.
func (h *host) vsndTrees(t *testing.T) string {
	return h.tree(t, "/libxl/1/device/vsnd") + h.tree(t, "/local/domain/1/device/vsnd") + h.tree(t, "/local/domain/0/backend/vsnd")
}

// TestAttachTree checks every node, value and permission an attach
// writes, against testdata/attach-2x3.tree (which the lab compares with
// what xl writes).
func TestAttachTree(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	before := h.tree(t, "/")
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	if a.DevID != 0 || a.Frontend.ID != 1 || a.Backend.ID != 0 || a.Attempts != 1 {
		t.Errorf("attachment %+v", a)
	}
	if a.FrontendPath != "/local/domain/1/device/vsnd/0" || a.BackendPath != "/local/domain/0/backend/vsnd/1/0" || a.LibxlPath != "/libxl/1/device/vsnd/0" {
		t.Errorf("paths %s %s %s", a.FrontendPath, a.BackendPath, a.LibxlPath)
	}
	golden(t, "attach-2x3.tree", h.vsndTrees(t))
	// Exactly these nodes were added, nothing else changed.
	after := h.tree(t, "/")
	// The device's 36 nodes, the 22 of the admin's record of the card
	// (16 values and 6 directories: card, 2 PCMs, 3 streams), and the
	// directories above them that did not exist: /libxl/1/device/vsnd,
	// /local/domain/1/device/vsnd, /local/domain/0/backend/vsnd and
	// .../vsnd/1 (xl create made /local/domain/0/backend for the console).
	added := diffLines(before, after)
	if len(added) != 36+22+4 {
		t.Errorf("%d nodes added, want 62", len(added))
	}
	for _, l := range added {
		if !strings.Contains(h.vsndTrees(t), l+"\n") {
			t.Errorf("attach changed a node outside the device: %s", l)
		}
	}
	if removed := diffLines(after, before); len(removed) != 0 {
		t.Errorf("attach removed or changed nodes:\n%s", strings.Join(removed, "\n"))
	}
}

// diffLines returns the lines of b not in a.
func diffLines(a, b string) []string {
	in := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		in[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if !in[l] {
			out = append(out, l)
		}
	}
	return out
}

// TestInvalidWritesNothing runs attaches that must fail before anything
// is written and compares the whole tree before and after.
func TestInvalidWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	good := mustCard(t, card2x3...)
	backendCard := mustCard(t, append([]string{"CARD, backend=domu2"}, card2x3[1:]...)...)
	tests := []struct {
		name string
		req  sound.AttachRequest
		want string
	}{
		{"invalid card", sound.AttachRequest{Domain: "domu1", Card: &sound.Card{PCMs: []sound.PCM{{}}}}, "pcm 0: no stream"},
		{"no card", sound.AttachRequest{Domain: "domu1"}, "card: no card given"},
		{"unknown frontend", sound.AttachRequest{Domain: "nosuch", Card: good}, "domain 'nosuch' does not exist"},
		{"unknown frontend id", sound.AttachRequest{Domain: "7", Card: good}, "domain 7 does not exist"},
		{"unknown backend", sound.AttachRequest{Domain: "domu1", Backend: "nosuch", Card: good}, "backend: domain 'nosuch' does not exist"},
		{"two backends", sound.AttachRequest{Domain: "domu1", Backend: "Domain-0", Card: backendCard}, `card: backend: "domu2" conflicts with --backend "Domain-0"`},
	}
	before := h.tree(t, "/")
	for _, tt := range tests {
		_, err := h.m.Attach(ctx, tt.req)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	if after := h.tree(t, "/"); after != before {
		t.Errorf("the tree changed:\n+%s\n-%s", strings.Join(diffLines(before, after), "\n+"), strings.Join(diffLines(after, before), "\n-"))
	}
	// A dry run finds the device id and the writes, and writes nothing.
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "1", Card: good, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.DevID != 0 || len(a.Changes) == 0 || a.Changes[0].Path != "/libxl/1/device/vsnd/0/frontend" {
		t.Errorf("dry run: %+v", a)
	}
	if after := h.tree(t, "/"); after != before {
		t.Errorf("the dry run changed the tree")
	}
}

// TestDevIDLowestFree checks that the device id is the lowest none of the
// three directories uses.
func TestDevIDLowestFree(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	card := mustCard(t, "STREAM, unique-id=a, type=p")
	ids := func() []int {
		var out []int
		for range 3 {
			a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: card})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, a.DevID)
		}
		return out
	}
	if got := ids(); got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("ids %v", got)
	}
	// Free 1; occupy 3 in libxl's record only and 4 as a frontend only.
	if _, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 1, Force: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/libxl/1/device/vsnd/3/frontend", "/local/domain/1/device/vsnd/5/state", "/local/domain/0/backend/vsnd/1/6/state"} {
		if err := h.xs.Write(ctx, p, []byte("1")); err != nil {
			t.Fatal(err)
		}
	}
	if got := ids(); got[0] != 1 || got[1] != 4 || got[2] != 7 {
		t.Errorf("ids %v, want [1 4 7]", got)
	}
}

// TestAttachConflicts injects 20 commit conflicts: the transaction is run
// again as a whole until it commits, once.
func TestAttachConflicts(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	h.sim.FailNextCommits(20)
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Attempts != 21 || h.sim.PendingCommitFailures() != 0 {
		t.Errorf("%d attempts, %d failures left; want 21, 0", a.Attempts, h.sim.PendingCommitFailures())
	}
	golden(t, "attach-2x3.tree", h.vsndTrees(t))

	// With fewer rounds than conflicts nothing is written.
	h2 := newHost(t)
	h2.m.TxRounds = 1
	h2.sim.FailNextCommits(20)
	before := h2.tree(t, "/")
	_, err = h2.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if !errors.Is(err, xenstore.ErrAgain) {
		t.Errorf("got %v, want EAGAIN", err)
	}
	if h2.tree(t, "/") != before {
		t.Errorf("a failed transaction left nodes")
	}
}

// TestUndo removes what an attach wrote, and the directories it created.
func TestUndo(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	before := h.tree(t, "/")
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/libxl/1/device/vsnd", "/local/domain/1/device/vsnd", "/local/domain/0/backend/vsnd/1", "/local/domain/0/backend/vsnd"}
	if strings.Join(a.Created, " ") != strings.Join(want, " ") {
		t.Errorf("created %q, want %q", a.Created, want)
	}
	if err := h.m.Undo(ctx, a); err != nil {
		t.Fatal(err)
	}
	if after := h.tree(t, "/"); after != before {
		t.Errorf("undo left:\n%s", strings.Join(diffLines(before, after), "\n"))
	}
}

// TestAttachClearsStaleError: an error report a frontend left about an
// earlier device with the same id is removed, so that a wait does not
// take it for the new device's.
func TestAttachClearsStaleError(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	stale := sound.ErrorPath(1, 0) + "/error"
	guest, err := h.sim.XenStoreAs(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := guest.Write(ctx, stale, []byte("22 freeing event channel 9")); err != nil {
		t.Fatal(err)
	}
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Changes[0].Op != "rm" || a.Changes[0].Path != sound.ErrorPath(1, 0) {
		t.Errorf("first change %+v", a.Changes[0])
	}
	if h.tree(t, sound.ErrorPath(1, 0)) != "" {
		t.Error("the stale error report is still there")
	}
}

// TestListReadsTheAdminsRecord: a guest owns its frontend directory, so
// what it writes there (another routing, a PCM of its own, wider
// ranges) never shows in vsnd-list's card, and so never flows back into
// an exported layout: the card comes from the record below the backend
// directory. A card without a record (xl's) is read from the frontend
// and says so.
func TestListReadsTheAdminsRecord(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	want := mustCard(t, card2x3...)
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: want})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := h.sim.XenStoreAs(1)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"0/0/unique-id": "wav:../domu2/vsnd0-pcm0-s0.wav", "0/channels-max": "8", "buffer-size": "16777216",
		"2/0/type": "p", "2/0/unique-id": "wav:evil.wav", "short-name": "owned",
	} {
		if err := guest.Write(ctx, a.FrontendPath+"/"+k, []byte(v)); err != nil {
			t.Fatalf("the guest writes its own %s: %v", k, err)
		}
	}
	if err := guest.Write(ctx, a.BackendPath+"/"+sound.RecordDir+"/0/0/unique-id", []byte("wav:evil.wav")); err == nil {
		t.Fatal("the guest could write the admin's record")
	}
	_, devs, err := h.m.List(ctx, "domu1")
	if err != nil || len(devs) != 1 {
		t.Fatalf("List: %v, %d devices", err, len(devs))
	}
	got := devs[0]
	if !got.Recorded {
		t.Error("the card was not read from the admin's record")
	}
	if g, w := strings.Join(got.Card.Items(), " | "), strings.Join(want.Items(), " | "); g != w {
		t.Errorf("card\n got %s\nwant %s", g, w)
	}
	if got.Streams[0][0].Transport.Published() {
		t.Error("transport published before any frontend ran")
	}

	// xl's card: no record, the frontend is all there is.
	if err := h.xs.Rm(ctx, a.BackendPath+"/"+sound.RecordDir); err != nil {
		t.Fatal(err)
	}
	_, devs, err = h.m.List(ctx, "domu1")
	if err != nil || len(devs) != 1 {
		t.Fatalf("List: %v", err)
	}
	if devs[0].Recorded || devs[0].Card.ShortName != "owned" || len(devs[0].Card.PCMs) != 3 {
		t.Errorf("without a record: recorded %v, short-name %q, %d PCMs; want the frontend's card (owned, 3)", devs[0].Recorded, devs[0].Card.ShortName, len(devs[0].Card.PCMs))
	}
}
