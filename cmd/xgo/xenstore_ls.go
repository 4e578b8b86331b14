package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/xenstore"
)

// XenstoreLsOutput is the result of "xgo xenstore ls": the nodes below the
// listed paths, depth first, each parent before its children.
type XenstoreLsOutput struct {
	SchemaVersion int            `json:"schemaVersion" yaml:"schemaVersion"`
	Nodes         []XenstoreNode `json:"nodes" yaml:"nodes"`

	flat, perms bool
}

// XenstoreNode is one node of a listing. Value is null when the node
// could not be read; Perms is present with -p.
type XenstoreNode struct {
	Path  string   `json:"path" yaml:"path"`
	Value *string  `json:"value" yaml:"value"`
	Perms []string `json:"perms,omitempty" yaml:"perms,omitempty"`

	name  string // last element of Path
	depth int    // 0 for the children of a listed path
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

// writeText prints the listing exactly as xenstore-ls does.
//
// Without -f each node is indented by one space per level and printed as
// `name = "value"`, the value quoted by sanitizeValue, or as `name:` when
// it cannot be read. A line that would be longer than the width limit has
// its value cut and ends in `\..."`. With -p, the permissions follow as
// `  (b0,r1)`; on a line that was not cut, and when that line is shorter
// than column 60, it is first padded with alternating spaces and dots.
// With -f each node is printed by its full path and nothing is cut.
func (o *XenstoreLsOutput) writeText(w io.Writer, t termInfo) error {
	maxWidth, desired := lsPipeWidth, lsPermsColumn
	if t.tty && t.width > 0 {
		maxWidth = t.width - 2
	}
	if o.flat {
		maxWidth, desired = lsUnlimitedCol, 0
	}
	bw := bufio.NewWriter(w)
	for _, n := range o.Nodes {
		lineWidth := 0
		if o.flat {
			bw.WriteString(n.Path) // not counted, as in xenstore-ls
		} else {
			for ; lineWidth < n.depth; lineWidth++ {
				bw.WriteByte(' ')
			}
			s := cutTo(n.name, maxWidth-lsTagLen-lineWidth)
			bw.WriteString(s)
			lineWidth += len(s)
		}

		switch {
		case n.Value == nil:
			bw.WriteString(":\n")
		case maxWidth < lineWidth+len(*n.Value)+lsTagLen:
			// Compared with the raw length, cut in the quoted form.
			bw.WriteString(` = "` + cutTo(sanitizeValue([]byte(*n.Value)), maxWidth-lsTagLen-lineWidth) + `\..."`)
		default:
			s := ` = "` + sanitizeValue([]byte(*n.Value)) + `"`
			bw.WriteString(s)
			lineWidth += len(s)
			if o.perms {
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
		if o.perms && n.Perms != nil {
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

func (o *XenstoreLsOutput) quietIDs() []string {
	ids := make([]string, len(o.Nodes))
	for i, n := range o.Nodes {
		ids[i] = n.Path
	}
	return ids
}

type xsLsOptions struct {
	Paths []string // default "/"
	Flat  bool     // -f: full paths, no indentation, no width limit
	Perms bool     // -p: show permissions
}

func xenstoreLsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "List nodes and values below a path, like xenstore-ls",
		ArgsUsage: "[<path>...]",
		Description: `Lists everything below each <path> (default /), depth first, in
xenstore-ls's layout: one space of indentation per level, name = "value",
lines cut to the terminal width (80 columns in a pipe). With -f each node
is shown by its full path and nothing is cut; with -p its permissions
follow in parentheses, owner first. -q prints the full paths only.

EXAMPLES:
   xgo xenstore ls /local/domain/0
   xgo xenstore ls -f -p /local/domain/0
   xgo xenstore ls /vm -o json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "flat", Aliases: []string{"f"}, Usage: "print full paths instead of indented names; do not cut lines", DisableDefaultText: true},
			&cli.BoolFlag{Name: "perms", Aliases: []string{"p"}, Usage: "show each node's permissions", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 0, -1)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				args = []string{"/"}
			}
			return runXenstoreLs(c.Context, xsLsOptions{Paths: args, Flat: c.Bool("flat"), Perms: c.Bool("perms")}, e)
		},
	}
}

func runXenstoreLs(ctx context.Context, opts xsLsOptions, e *env) error {
	if err := checkPaths(opts.Paths); err != nil {
		return err
	}
	out := &XenstoreLsOutput{SchemaVersion: schemaVersion, Nodes: []XenstoreNode{}, flat: opts.Flat, perms: opts.Perms}
	err := e.withXenstore(ctx, false, func(c xsConn) error {
		for _, p := range opts.Paths {
			if err := lsWalk(ctx, c, p, 0, opts.Perms, out, e); err != nil {
				return err
			}
		}
		return nil
	})
	return renderPartial(e, out, err)
}

// lsWalk appends the nodes below dir to out, depth first, as xenstore-ls
// reads them: outside any transaction, a node that vanishes while being
// listed is skipped, and a value that cannot be read is shown as missing.
func lsWalk(ctx context.Context, ops xenstore.Ops, dir string, depth int, perms bool, out *XenstoreLsOutput, e *env) error {
	names, err := ops.Directory(ctx, dir)
	if err != nil {
		if depth > 0 && errors.Is(err, xenstore.ErrNotExist) {
			return nil
		}
		return err
	}
	for _, name := range names {
		n := XenstoreNode{Path: joinPath(dir, name), name: name, depth: depth}
		if v, err := ops.Read(ctx, n.Path); err == nil {
			s := string(v)
			n.Value = &s
		}
		if perms {
			p, err := ops.GetPerms(ctx, n.Path)
			if err != nil {
				e.warnf("could not access permissions for %s: %v", n.Path, err)
			} else {
				n.Perms = p.Strings()
			}
		}
		out.Nodes = append(out.Nodes, n)
		if err := lsWalk(ctx, ops, n.Path, depth+1, perms, out, e); err != nil {
			return err
		}
	}
	return nil
}
