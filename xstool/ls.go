package xstool

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"xgo.dev/xgo/xenstore"
)

// Node is one node of a listing.
type Node struct {
	Path  string
	Name  string   // last element of Path
	Depth int      // 0 for the children of a listed path
	Value *string  // nil when the node could not be read
	Perms []string // with perms, unless they could not be read
}

// Ls lists the nodes below each dir, depth first, each parent before its
// children, as xenstore-ls reads them: outside any transaction, a node
// that vanishes while being listed is skipped, and a value that cannot be
// read is left nil. With perms each node's permissions are read too; one
// that cannot be is reported to warn and the listing goes on. On a
// failure it returns the nodes listed before it, which the tool prints.
func Ls(ctx context.Context, ops xenstore.Ops, dirs []string, perms bool, warn func(msg string)) ([]Node, error) {
	nodes := []Node{}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		names, err := ops.Directory(ctx, dir)
		if err != nil {
			if depth > 0 && errors.Is(err, xenstore.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, name := range names {
			n := Node{Path: Join(dir, name), Name: name, Depth: depth}
			if v, err := ops.Read(ctx, n.Path); err == nil {
				s := string(v)
				n.Value = &s
			}
			if perms {
				if p, err := ops.GetPerms(ctx, n.Path); err != nil {
					warn(fmt.Sprintf("could not access permissions for %s: %v", n.Path, err))
				} else {
					n.Perms = p.Strings()
				}
			}
			nodes = append(nodes, n)
			if err := walk(n.Path, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, d := range dirs {
		if err := walk(d, 0); err != nil {
			return nodes, err
		}
	}
	return nodes, nil
}

// LsLayout says how WriteLs lays a listing out.
type LsLayout struct {
	Terminal  bool // stdout is a terminal, TermWidth columns wide (0: unknown)
	TermWidth int
	Flat      bool // -f: full paths, no indentation, no width limit
	Perms     bool // -p: show permissions
}

// xenstore-ls's layout constants (tools/xs-clients/xenstore_client.c):
// lines are cut to the terminal width minus 2, or to 80 columns when
// stdout is not a terminal; with -p the permissions start at column 60
// at the earliest; -f turns both limits off.
const (
	lsPipeWidth    = 80
	lsPermsColumn  = 60
	lsTag          = ` = "..."`
	lsTagLen       = len(lsTag)
	lsUnlimitedCol = 1<<31/2 - 1 // INT_MAX/2
)

// WriteLs prints a listing exactly as xenstore-ls does.
//
// Without -f each node is indented by one space per level and printed as
// `name = "value"`, the value quoted by Quote, or as `name:` when it
// cannot be read. A line that would be longer than the width limit has
// its value cut and ends in `\..."`. With -p, the permissions follow as
// `  (b0,r1)`; on a line that was not cut, and when that line is shorter
// than column 60, it is first padded with alternating spaces and dots.
// With -f each node is printed by its full path and nothing is cut.
func WriteLs(w io.Writer, nodes []Node, l LsLayout) error {
	maxWidth, desired := lsPipeWidth, lsPermsColumn
	if l.Terminal && l.TermWidth > 0 {
		maxWidth = l.TermWidth - 2
	}
	if l.Flat {
		maxWidth, desired = lsUnlimitedCol, 0
	}
	bw := bufio.NewWriter(w)
	for _, n := range nodes {
		lineWidth := 0
		if l.Flat {
			bw.WriteString(n.Path) // not counted, as in xenstore-ls
		} else {
			for ; lineWidth < n.Depth; lineWidth++ {
				bw.WriteByte(' ')
			}
			s := cutTo(n.Name, maxWidth-lsTagLen-lineWidth)
			bw.WriteString(s)
			lineWidth += len(s)
		}

		switch {
		case n.Value == nil:
			bw.WriteString(":\n")
		case maxWidth < lineWidth+len(*n.Value)+lsTagLen:
			// Compared with the raw length, cut in the quoted form.
			bw.WriteString(` = "` + cutTo(Quote([]byte(*n.Value)), maxWidth-lsTagLen-lineWidth) + `\..."`)
		default:
			s := ` = "` + Quote([]byte(*n.Value)) + `"`
			bw.WriteString(s)
			lineWidth += len(s)
			if l.Perms {
				bw.WriteByte(' ')
				for lineWidth++; lineWidth < min(desired, maxWidth); lineWidth++ {
					if lineWidth&1 != 0 {
						bw.WriteByte('.')
					} else {
						bw.WriteByte(' ')
					}
				}
			}
		}
		if l.Perms && n.Perms != nil {
			bw.WriteString("  (" + strings.Join(n.Perms, ",") + ")")
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// cutTo is printf's "%.*s": at most n bytes of s, all of s when n < 0.
func cutTo(s string, n int) string {
	if n < 0 || n >= len(s) {
		return s
	}
	return s[:n]
}
