package xstool

import (
	"strings"
	"testing"
)

// TestWriteLs checks the xenstore-ls rules one by one, on nodes
// whose output is worked out by hand from xenstore_client.c's do_ls.
func TestWriteLs(t *testing.T) {
	t.Parallel()
	v := func(s string) *string { return &s }
	nodes := []Node{
		{Path: "/a", Name: "a", Value: v("x"), Perms: []string{"n0"}},
		{Path: "/a/bb", Name: "bb", Depth: 1, Value: v(""), Perms: []string{"b0", "r1"}},
		{Path: "/a/bb/u", Name: "u", Depth: 2, Value: nil, Perms: []string{"n0"}},
		{Path: "/c", Name: "c", Value: v(strings.Repeat("v", 20))},
	}
	var b strings.Builder
	// A 32-column terminal: lines are limited to 30 columns and the
	// permissions padding stops there too (min(60, 30)). "c" is not cut:
	// the test uses the raw length, 1 + 20 + 8 = 29 <= 30. Its perms could
	// not be read (nil): it gets the padding but no parenthesis.
	l := LsLayout{Terminal: true, TermWidth: 32, Perms: true}
	if err := WriteLs(&b, nodes, l); err != nil {
		t.Fatal(err)
	}
	want := "a = \"x\"  . . . . . . . . . . .  (n0)\n" +
		" bb = \"\" . . . . . . . . . . .  (b0,r1)\n" +
		"  u:\n  (n0)\n" +
		"c = \"vvvvvvvvvvvvvvvvvvvv\" . .\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	// A 25-column terminal: 23 columns; "c" (1 + 20 + 8 > 23) is cut to
	// 23 - 8 - 1 = 14 quoted bytes and ends in \...", without padding.
	b.Reset()
	l.TermWidth = 25
	if err := WriteLs(&b, nodes, l); err != nil {
		t.Fatal(err)
	}
	if want := "c = \"vvvvvvvvvvvvvv\\...\"\n"; !strings.HasSuffix(b.String(), want) {
		t.Errorf("cut line: got %q, want suffix %q", b.String(), want)
	}
	// -f: full paths, nothing cut, no padding.
	b.Reset()
	l.Flat = true
	if err := WriteLs(&b, nodes, l); err != nil {
		t.Fatal(err)
	}
	want = "/a = \"x\"   (n0)\n/a/bb = \"\"   (b0,r1)\n/a/bb/u:\n  (n0)\n/c = \"vvvvvvvvvvvvvvvvvvvv\" \n"
	if b.String() != want {
		t.Errorf("-f -p:\ngot  %q\nwant %q", b.String(), want)
	}
}
