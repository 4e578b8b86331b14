package main

import (
	"context"
	"io"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/xstool"
)

// XenstoreLsOutput is the result of "xgo xenstore ls": the nodes below the
// listed paths, depth first, each parent before its children.
type XenstoreLsOutput struct {
	SchemaVersion int            `json:"schemaVersion" yaml:"schemaVersion"`
	Nodes         []XenstoreNode `json:"nodes" yaml:"nodes"`

	listing     []xstool.Node
	flat, perms bool
}

// XenstoreNode is one node of a listing. Value is null when the node
// could not be read; Perms is present with -p.
type XenstoreNode struct {
	Path  string   `json:"path" yaml:"path"`
	Value *string  `json:"value" yaml:"value"`
	Perms []string `json:"perms,omitempty" yaml:"perms,omitempty"`
}

// writeText prints the listing exactly as xenstore-ls does (see
// xstool.WriteLs): cut to the terminal's width, or 80 columns in a pipe.
func (o *XenstoreLsOutput) writeText(w io.Writer, t termInfo) error {
	return xstool.WriteLs(w, o.listing, xstool.LsLayout{Terminal: t.tty, TermWidth: t.width, Flat: o.flat, Perms: o.perms})
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
	if err := asUsage(xstool.CheckPaths(opts.Paths...)); err != nil {
		return err
	}
	out := &XenstoreLsOutput{SchemaVersion: schemaVersion, Nodes: []XenstoreNode{}, flat: opts.Flat, perms: opts.Perms}
	err := e.withXenstore(ctx, false, func(c xsConn) error {
		nodes, err := xstool.Ls(ctx, c, opts.Paths, opts.Perms, func(msg string) { e.warnf("%s", msg) })
		out.listing = nodes
		for _, n := range nodes {
			out.Nodes = append(out.Nodes, XenstoreNode{Path: n.Path, Value: n.Value, Perms: n.Perms})
		}
		return err
	})
	return renderPartial(e, out, err)
}
