package xensim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenstored"
)

// TestLoadMatchesBoot: a host loaded from its state file (the tree
// rebuilt by xenstored's Restore) cannot be told from the host that was
// booted over the wire (bootStore): same tree and permissions, same
// answers to dom0 and to each guest, same node counts per domain.
func TestLoadMatchesBoot(t *testing.T) {
	spec := scaleSpec(256, 4, 6)
	booted, err := New(spec)
	must(t, err)
	defer booted.Discard()
	p := statePath(t)
	must(t, Init(p, spec))
	loaded, err := Open(p)
	must(t, err)
	defer loaded.Discard()

	tree := func(s *Sim) []xenstored.Node {
		nodes := s.Server().Dump()
		for i := range nodes {
			nodes[i].Generation = 0
		}
		return nodes
	}
	want := tree(booted)
	if got := tree(loaded); !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded tree differs from the booted one (%d and %d nodes)", len(got), len(want))
	}
	answers := func(s *Sim) []string {
		var out []string
		paths := []string{"/local/domain/3/nope", "/vm/nope/x"}
		for _, n := range want {
			paths = append(paths, n.Path)
		}
		for _, domid := range []uint32{0, 1, 3, 6} {
			c, err := s.XenStoreAs(domid)
			must(t, err)
			for _, p := range paths {
				v, err := c.Read(ctx(t), p)
				out = append(out, fmt.Sprintf("dom%d read %s: %q %v", domid, p, v, err))
				d, err := c.Directory(ctx(t), p)
				out = append(out, fmt.Sprintf("dom%d dir %s: %q %v", domid, p, d, err))
				ps, err := c.GetPerms(ctx(t), p)
				out = append(out, fmt.Sprintf("dom%d perms %s: %s %v", domid, p, ps, err))
			}
			// A guest may create nodes only where it owns or may write.
			err = c.Write(ctx(t), "data/x", []byte("1"))
			out = append(out, fmt.Sprintf("dom%d write data/x: %v", domid, err))
			c.Close()
		}
		dom0, err := s.XenStore()
		must(t, err)
		defer dom0.Close()
		for _, domid := range []string{"0", "1", "3", "6", "7"} {
			// A guest connection closed just above may still have its
			// last request counted as outstanding for a moment (seen
			// once under -race on a loaded machine): wait for it.
			r, err := dom0.Control(ctx(t), "quota", domid)
			for i := 0; i < 100 && err == nil && !regexp.MustCompile(`(?m)^outstanding\s+:\s+0$`).Match(r); i++ {
				time.Sleep(10 * time.Millisecond)
				r, err = dom0.Control(ctx(t), "quota", domid)
			}
			out = append(out, fmt.Sprintf("quota %s: %q %v", domid, r, err))
		}
		return out
	}
	a, b := answers(booted), answers(loaded)
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("loaded: %s\nbooted: %s", b[i], a[i])
		}
	}
	for _, w := range []string{"dom3 read /local/domain/1/name: \"\" xenstore READ /local/domain/1/name: EACCES", "dom1 read /local/domain/1/name: \"guest1\" <nil>"} {
		if !strings.Contains(strings.Join(a, "\n"), w) {
			t.Errorf("the comparison saw no %q", w)
		}
	}
}

// TestLoadRefusesBadTree: a state file whose tree xenstored would refuse
// is reported with the node, and nothing is half loaded.
func TestLoadRefusesBadTree(t *testing.T) {
	p := statePath(t)
	must(t, Init(p, LabSpec()))
	data, _ := os.ReadFile(p)
	for _, tc := range []struct{ old, new, want string }{
		{"/local/domain/1 n0,r1\n", "/local/domain/1 n50,r1\n", "restore /local/domain/1: owner domain 50 does not exist"},
		{"/local/domain/1 n0,r1\n", "/local/domain/1 x0,r1\n", "xenstore node /local/domain/1: invalid xenstore permission \"x0\""},
		{"/local/domain/1/name ", "/local/domain/1//name ", "xenstore node line"},
	} {
		bad := bytes.Replace(data, []byte(tc.old), []byte(tc.new), 1)
		if bytes.Equal(bad, data) {
			t.Fatalf("state file has no %q", tc.old)
		}
		must(t, os.WriteFile(p, bad, 0o644))
		_, err := Open(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open error %v, want %q", tc.new, err, tc.want)
		}
	}
	// A tree the lines allow but xenstored refuses: a node before its
	// parent.
	bad := bytes.Replace(data, []byte("/local/domain/1 n0,r1\n"), []byte("/local/domain/1/early/x n0\n    /local/domain/1 n0,r1\n"), 1)
	must(t, os.WriteFile(p, bad, 0o644))
	if _, err := Open(p); !errors.Is(err, xenstore.ErrNotExist) || !strings.Contains(err.Error(), "restoring XenStore") {
		t.Errorf("node before its parent: %v", err)
	}
}
