//go:build xenlab

package suite

import (
	"strings"
	"testing"
)

// xgo's xenstore commands against the xenstore-* tools (xenstore-utils
// 4.17) in the same dom0: the same tree written by each, listed, read and
// changed by each, must give the same text and the same effect.

const xsToolsBase = "/xgo-xenstore-tools"

// xsOddValues are values as given on the command line: both tools unquote
// backslash escapes (\n, \t, \\, \xHH, \NNN) in what they write.
var xsOddValues = []struct{ name, arg string }{
	{"empty", ""},
	{"spaces", "two words  and more"},
	{"quotes", `say "hi" and 'bye'`},
	{"utf8", "caf\u00e9 \u20ac \u65e5\u672c"},
	{"newline", "line one\nline two"},
	{"escaped", `tab\there\nand a \\ backslash \x41\101`},
	{"control", "bell\x07 del\x7f"},
	{"long", strings.Repeat("0123456789", 30)},
	{"dir/child", "under a node"},
	{"dir/deeper/leaf", "two levels down"},
}

func xsTree(t *testing.T, root string, useXgo bool) {
	t.Helper()
	for _, v := range xsOddValues {
		p := root + "/" + v.name
		var r Result
		if useXgo {
			r = Xgo(t, "xenstore", "write", p, v.arg)
		} else {
			r = Run(t, "xenstore-write", p, v.arg)
		}
		if r.ExitCode != 0 {
			t.Fatalf("%s", r)
		}
	}
}

// sameOutput runs the tool and xgo and compares stdout and whether they
// succeeded; tool and xgo output are compared after replacing their tree
// roots with ROOT.
func sameOutput(t *testing.T, tool []string, xgo []string, roots ...string) {
	t.Helper()
	want := Run(t, tool[0], tool[1:]...)
	got := Xgo(t, xgo...)
	norm := func(s string) string {
		for _, r := range roots {
			s = strings.ReplaceAll(s, r, "ROOT")
		}
		return s
	}
	if norm(got.Stdout) != norm(want.Stdout) || (got.ExitCode == 0) != (want.ExitCode == 0) {
		t.Errorf("xgo %s differs from %s:\n--- %s\n--- xgo\n%s", strings.Join(xgo, " "), strings.Join(tool, " "), want, got)
	}
}

func TestXenXenstoreXgoMatchesTools(t *testing.T) {
	XgoPath(t)
	c, g := xsToolsBase+"/c", xsToolsBase+"/g"
	Run(t, "xenstore-rm", xsToolsBase)
	t.Cleanup(func() { Run(t, "xenstore-rm", xsToolsBase) })
	xsTree(t, c, false)
	xsTree(t, g, true)

	t.Run("write", func(t *testing.T) {
		// The same arguments wrote the same bytes.
		cl := MustRun(t, "xenstore-ls", "-f", c)
		gl := MustRun(t, "xenstore-ls", "-f", g)
		if strings.ReplaceAll(cl, c, "ROOT") != strings.ReplaceAll(gl, g, "ROOT") {
			t.Errorf("xenstore-write and xgo xenstore write wrote different trees:\n--- xenstore-write\n%s\n--- xgo\n%s", cl, gl)
		}
	})
	t.Run("ls", func(t *testing.T) {
		for _, flags := range [][]string{nil, {"-f"}, {"-p"}, {"-f", "-p"}} {
			sameOutput(t, append(append([]string{"xenstore-ls"}, flags...), c),
				append(append([]string{"xenstore", "ls"}, flags...), c), c)
		}
		sameOutput(t, []string{"xenstore-ls", "-f", xsToolsBase + "/missing"},
			[]string{"xenstore", "ls", "-f", xsToolsBase + "/missing"})
	})
	t.Run("read", func(t *testing.T) {
		for _, v := range xsOddValues {
			sameOutput(t, []string{"xenstore-read", c + "/" + v.name}, []string{"xenstore", "read", c + "/" + v.name}, c)
		}
		sameOutput(t, []string{"xenstore-read", c + "/spaces", c + "/newline", c + "/dir"},
			[]string{"xenstore", "read", c + "/spaces", c + "/newline", c + "/dir"}, c)
		sameOutput(t, []string{"xenstore-read", "-p", c + "/quotes", c + "/utf8"},
			[]string{"xenstore", "read", "-p", c + "/quotes", c + "/utf8"}, c)
		sameOutput(t, []string{"xenstore-read", c + "/missing"}, []string{"xenstore", "read", c + "/missing"}, c)
	})
	t.Run("chmod", func(t *testing.T) {
		// Each: flags, the node (below the tree's root), permissions.
		for _, step := range []struct {
			flags []string
			node  string
			perms []string
		}{
			{nil, "/spaces", []string{"b0", "r32000", "w32001"}},
			{[]string{"-r"}, "/dir", []string{"n0", "r32002"}},
			{[]string{"-u"}, "/dir/deeper/leaf", []string{"r0"}},
		} {
			args := func(root string) []string {
				return append(append(append([]string(nil), step.flags...), root+step.node), step.perms...)
			}
			if r := Run(t, "xenstore-chmod", args(c)...); r.ExitCode != 0 {
				t.Fatalf("%s", r)
			}
			if r := Xgo(t, append([]string{"xenstore", "chmod"}, args(g)...)...); r.ExitCode != 0 {
				t.Fatalf("%s", r)
			}
		}
		cl := MustRun(t, "xenstore-ls", "-f", "-p", c)
		gl := MustRun(t, "xenstore-ls", "-f", "-p", g)
		if strings.ReplaceAll(cl, c, "ROOT") != strings.ReplaceAll(gl, g, "ROOT") {
			t.Errorf("xenstore-chmod and xgo xenstore chmod set different permissions:\n--- xenstore-chmod\n%s\n--- xgo\n%s", cl, gl)
		}
		sameOutput(t, []string{"xenstore-ls", "-p", c}, []string{"xenstore", "ls", "-p", c}, c)
		// xgo xenstore perms prints what xenstore-ls -p shows in parentheses.
		for _, n := range []string{"/spaces", "/dir", "/dir/deeper", "/dir/deeper/leaf", "/empty"} {
			want := permsOf(t, c, n)
			got := Xgo(t, "xenstore", "perms", c+n)
			if got.ExitCode != 0 || strings.TrimSpace(got.Stdout) != want {
				t.Errorf("xgo xenstore perms %s = %q, xenstore-ls -p shows %q\n%s", c+n, strings.TrimSpace(got.Stdout), want, got)
			}
		}
	})
	t.Run("rm", func(t *testing.T) {
		for _, p := range []string{"/dir/deeper", "/empty", "/nothing", "/nothing/at/all"} {
			want := Run(t, "xenstore-rm", c+p)
			got := Xgo(t, "xenstore", "rm", g+p)
			if (want.ExitCode == 0) != (got.ExitCode == 0) {
				t.Errorf("rm %s: xenstore-rm and xgo disagree:\n%s\n%s", p, want, got)
			}
		}
		cl := MustRun(t, "xenstore-ls", "-f", "-p", c)
		gl := MustRun(t, "xenstore-ls", "-f", "-p", g)
		if strings.ReplaceAll(cl, c, "ROOT") != strings.ReplaceAll(gl, g, "ROOT") {
			t.Errorf("xenstore-rm and xgo xenstore rm left different trees:\n--- xenstore-rm\n%s\n--- xgo\n%s", cl, gl)
		}
	})
}

// permsOf returns the permissions xenstore-ls -f -p prints for the node
// root+n, space-separated as chmod takes them.
func permsOf(t *testing.T, root, n string) string {
	t.Helper()
	parent := root + n[:strings.LastIndex(n, "/")]
	for _, l := range strings.Split(MustRun(t, "xenstore-ls", "-f", "-p", parent), "\n") {
		if !strings.HasPrefix(l, root+n+" = ") {
			continue
		}
		i := strings.LastIndex(l, "(")
		if i < 0 {
			break
		}
		return strings.ReplaceAll(strings.TrimSuffix(l[i+1:], ")"), ",", " ")
	}
	t.Fatalf("xenstore-ls -f -p %s does not list %s", parent, root+n)
	return ""
}
