package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/host"
	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xstool"
)

// xsConn is what the xenstore commands need of a connection: the
// host's XenStore.
type xsConn = host.Store

// withXenstore connects to the XenStore of the host xgo acts on (with
// --sim the simulated host's, held locked until the end, and saved when
// save is true: the command may have changed it), runs fn and releases
// the host, reporting a failure to release (with --sim: to save the
// state) if fn succeeded.
func (e *env) withXenstore(ctx context.Context, save bool, fn func(c xsConn) error) (err error) {
	h, err := e.openHost(save)
	if err != nil {
		return err
	}
	c, err := h.XenStore(ctx)
	if err != nil {
		return errors.Join(err, h.Close())
	}
	defer func() {
		if cerr := h.Close(); err == nil {
			err = cerr
		}
	}()
	return fn(c)
}

const xenstoreDescription = `Read and change XenStore as the xenstore-* tools do, with the same text
output. The connection is the one libxenstore would use: $XENSTORED_PATH
if set, else /run/xenstored/socket, /var/run/xenstored/socket, then
/dev/xen/xenbus. With --sim, the simulated host's XenStore.

Commands that change more than one node (write with several pairs, rm,
mkdir, chmod) do it in one transaction. With -N/--dry-run they print
what they would change and change nothing.`

func xenstoreCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "xenstore",
		Usage:       "Read, change and watch XenStore",
		ArgsUsage:   "<command> [<args>...]",
		Description: xenstoreDescription,
		Subcommands: []*cli.Command{
			xenstoreLsCommand(e),
			xenstoreReadCommand(e),
			xenstoreWriteCommand(e),
			xenstoreRmCommand(e),
			xenstoreMkdirCommand(e),
			xenstoreWatchCommand(e),
			xenstorePermsCommand(e),
			xenstoreChmodCommand(e),
		},
	}
}

// ---------------------------------------------------------------- read

// XenstoreReadOutput is the result of "xgo xenstore read".
type XenstoreReadOutput struct {
	SchemaVersion int             `json:"schemaVersion" yaml:"schemaVersion"`
	Values        []XenstoreValue `json:"values" yaml:"values"`

	prefix, raw bool
	raws        [][]byte
}

// XenstoreValue is one node's value. Value holds the bytes as a string;
// bytes that are not UTF-8 become U+FFFD in JSON and YAML.
type XenstoreValue struct {
	Path  string `json:"path" yaml:"path"`
	Value string `json:"value" yaml:"value"`
}

// writeText prints what xenstore-read prints: each value quoted by
// xstool.Quote and a newline, or with -R the raw bytes and no newline;
// with -p each is preceded by "path: ".
func (o *XenstoreReadOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	for i, v := range o.Values {
		if o.prefix {
			b.WriteString(v.Path + ": ")
		}
		if o.raw {
			b.Write(o.raws[i])
		} else {
			b.WriteString(xstool.Quote(o.raws[i]) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *XenstoreReadOutput) quietIDs() []string {
	ids := make([]string, len(o.raws))
	for i, r := range o.raws {
		ids[i] = xstool.Quote(r)
	}
	return ids
}

type xsReadOptions struct {
	Paths  []string
	Prefix bool // -p: print "path: " before each value
	Raw    bool // -R: print the bytes as they are
}

func xenstoreReadCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "read",
		Usage:     "Print the values of nodes, like xenstore-read",
		ArgsUsage: "<path>...",
		Description: `Several paths are read in one transaction. Values are quoted as
xenstore-read quotes them: non-printable bytes as \t \n \r \\, \NNN or \xHH.

EXAMPLES:
   xgo xenstore read /local/domain/0/name
   xgo xenstore read -p /local/domain/0/name /local/domain/0/domid
   xgo xenstore read /local/domain/0/name -o json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "prefix", Aliases: []string{"p"}, Usage: `print "PATH: " before each value`, DisableDefaultText: true},
			&cli.BoolFlag{Name: "raw", Aliases: []string{"R"}, Usage: "print values as they are, without quoting or newline", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			opts := xsReadOptions{Paths: args, Prefix: c.Bool("prefix"), Raw: c.Bool("raw")}
			return runXenstoreRead(c.Context, opts, e)
		},
	}
}

func runXenstoreRead(ctx context.Context, opts xsReadOptions, e *env) error {
	if err := asUsage(xstool.CheckPaths(opts.Paths...)); err != nil {
		return err
	}
	out := &XenstoreReadOutput{SchemaVersion: schemaVersion, prefix: opts.Prefix, raw: opts.Raw}
	err := e.withXenstore(ctx, false, func(c xsConn) error {
		vals, err := xstool.Read(ctx, c, opts.Paths)
		out.raws = vals
		for i, v := range vals {
			out.Values = append(out.Values, XenstoreValue{Path: opts.Paths[i], Value: string(v)})
		}
		return err
	})
	return renderPartial(e, out, err)
}

// renderPartial renders out and returns err. When err is set, out is
// rendered only in text mode, as the xenstore tools print what they got
// before a failure; JSON and YAML documents are never partial.
func renderPartial(e *env, out any, err error) error {
	if err != nil && e.out.format != formatTable {
		return err
	}
	if rerr := e.out.render(out); err == nil {
		err = rerr
	}
	return err
}

// ------------------------------------------------ write, rm, mkdir, chmod

// XenstoreChangeOutput is the result of the commands that change
// XenStore. In text mode it prints nothing (like the xenstore-* tools)
// unless it is a dry run.
type XenstoreChangeOutput struct {
	SchemaVersion int              `json:"schemaVersion" yaml:"schemaVersion"`
	DryRun        bool             `json:"dryRun" yaml:"dryRun"`
	Changes       []XenstoreChange `json:"changes" yaml:"changes"`
}

// XenstoreChange is one change made, or to be made.
type XenstoreChange struct {
	Op    string   `json:"op" yaml:"op"` // write, rm, mkdir, chmod
	Path  string   `json:"path" yaml:"path"`
	Value *string  `json:"value,omitempty" yaml:"value,omitempty"` // write
	Perms []string `json:"perms,omitempty" yaml:"perms,omitempty"` // chmod
}

func (o *XenstoreChangeOutput) writeText(w io.Writer, _ termInfo) error {
	if !o.DryRun {
		return nil
	}
	var b strings.Builder
	for _, c := range o.Changes {
		switch c.Op {
		case "write":
			fmt.Fprintf(&b, "would write %s = \"%s\"\n", c.Path, xstool.Quote([]byte(*c.Value)))
		case "rm":
			fmt.Fprintf(&b, "would remove %s and everything below it\n", c.Path)
		case "mkdir":
			fmt.Fprintf(&b, "would create %s\n", c.Path)
		case "chmod":
			fmt.Fprintf(&b, "would set the permissions of %s to %s\n", c.Path, strings.Join(c.Perms, " "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *XenstoreChangeOutput) quietIDs() []string {
	if !o.DryRun {
		return nil
	}
	ids := make([]string, len(o.Changes))
	for i, c := range o.Changes {
		ids[i] = c.Path
	}
	return ids
}

func newChanges(dry bool) *XenstoreChangeOutput {
	return &XenstoreChangeOutput{SchemaVersion: schemaVersion, DryRun: dry, Changes: []XenstoreChange{}}
}

type xsWriteOptions struct {
	Pairs []xstool.Pair
	Raw   bool // -R: take values as they are, without unquoting
}

func xenstoreWriteCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "write",
		Usage:     "Set the values of nodes, like xenstore-write",
		ArgsUsage: "<path> <value> [<path> <value>]...",
		Description: `Missing nodes and parents are created. Several pairs are written in one
transaction. Values are unquoted as xenstore-write does (\t \n \r \\ \NNN
\xHH); -R writes them as given.

EXAMPLES:
   xgo xenstore write /local/domain/0/data/greeting hello
   xgo xenstore write /tool/a 1 /tool/b 2
   xgo -N xenstore write /tool/a 'two\nlines'`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "raw", Aliases: []string{"R"}, Usage: "write values as given, without unquoting", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, -1)
			if err != nil {
				return err
			}
			if len(args)%2 != 0 {
				return usagef("xenstore write: no value for path %q", args[len(args)-1])
			}
			opts := xsWriteOptions{Raw: c.Bool("raw")}
			for i := 0; i < len(args); i += 2 {
				v := []byte(args[i+1])
				if !opts.Raw {
					v = xstool.Unquote(args[i+1])
				}
				opts.Pairs = append(opts.Pairs, xstool.Pair{Path: args[i], Value: v})
			}
			return runXenstoreWrite(c.Context, opts, e)
		},
	}
}

func runXenstoreWrite(ctx context.Context, opts xsWriteOptions, e *env) error {
	out := newChanges(e.global.DryRun)
	for _, p := range opts.Pairs {
		if err := asUsage(xstool.CheckPaths(p.Path)); err != nil {
			return err
		}
		v := string(p.Value)
		out.Changes = append(out.Changes, XenstoreChange{Op: "write", Path: p.Path, Value: &v})
	}
	if !out.DryRun {
		err := e.withXenstore(ctx, true, func(c xsConn) error { return xstool.Write(ctx, c, opts.Pairs) })
		if err != nil {
			return err
		}
	}
	return e.out.render(out)
}

type xsRmOptions struct {
	Paths []string
	Tidy  bool // -t: also remove parents left empty
}

func xenstoreRmCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "Remove nodes and everything below them, like xenstore-rm",
		ArgsUsage: "<path>...",
		Description: `Removal is always recursive (that is what XenStore's RM does); removing
a node that does not exist is not an error, but a missing parent is. All
paths are removed in one transaction. With -t, each parent left with no
children and an empty value is removed too, up to the root.

EXAMPLES:
   xgo xenstore rm /tool/myapp
   xgo xenstore rm -t /local/domain/0/data/a/b/c
   xgo -N xenstore rm /tool/myapp`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "tidy", Aliases: []string{"t"}, Usage: "also remove parents left empty (no children, empty value)", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			return runXenstoreRm(c.Context, xsRmOptions{Paths: args, Tidy: c.Bool("tidy")}, e)
		},
	}
}

func runXenstoreRm(ctx context.Context, opts xsRmOptions, e *env) error {
	if err := asUsage(xstool.CheckPaths(opts.Paths...)); err != nil {
		return err
	}
	out := newChanges(e.global.DryRun)
	if out.DryRun {
		for _, p := range opts.Paths {
			out.Changes = append(out.Changes, XenstoreChange{Op: "rm", Path: p})
		}
		return e.out.render(out)
	}
	err := e.withXenstore(ctx, true, func(c xsConn) error {
		removed, err := xstool.Remove(ctx, c, opts.Paths, opts.Tidy)
		for _, r := range removed {
			out.Changes = append(out.Changes, XenstoreChange{Op: "rm", Path: r})
		}
		return err
	})
	if err != nil {
		return err
	}
	return e.out.render(out)
}

type xsMkdirOptions struct {
	Paths []string
}

func xenstoreMkdirCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "mkdir",
		Usage:     "Create nodes with an empty value",
		ArgsUsage: "<path>...",
		Description: `Missing parents are created too; an existing node is left alone. Several
paths are created in one transaction.

EXAMPLES:
   xgo xenstore mkdir /tool/myapp
   xgo xenstore mkdir /tool/myapp/a /tool/myapp/b`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			return runXenstoreMkdir(c.Context, xsMkdirOptions{Paths: args}, e)
		},
	}
}

func runXenstoreMkdir(ctx context.Context, opts xsMkdirOptions, e *env) error {
	if err := asUsage(xstool.CheckPaths(opts.Paths...)); err != nil {
		return err
	}
	out := newChanges(e.global.DryRun)
	for _, p := range opts.Paths {
		out.Changes = append(out.Changes, XenstoreChange{Op: "mkdir", Path: p})
	}
	if !out.DryRun {
		err := e.withXenstore(ctx, true, func(c xsConn) error { return xstool.Mkdir(ctx, c, opts.Paths) })
		if err != nil {
			return err
		}
	}
	return e.out.render(out)
}

func xenstoreChmodCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "chmod",
		Usage:     "Set the permissions of a node, like xenstore-chmod",
		ArgsUsage: "<path> <perm>...",
		Description: `Each <perm> is an access letter and a domain id: n (none), r (read),
w (write) or b (both), e.g. b0 or r5. The first names the owner, whose
letter is the access of every domain not listed after it. The change is
made in one transaction, also with -r and -u.

EXAMPLES:
   xgo xenstore chmod /local/domain/5/data n5 r0
   xgo xenstore chmod -r /tool/myapp b0 r3
   xgo -N xenstore chmod -r /tool/myapp b0`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "recurse", Aliases: []string{"r"}, Usage: "also set the permissions of every node below <path>", DisableDefaultText: true},
			&cli.BoolFlag{Name: "upto", Aliases: []string{"u"}, Usage: "also set the permissions of every parent of <path> except the root", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, -1)
			if err != nil {
				return err
			}
			perms, err := xenstore.ParsePerms(args[1:])
			if err != nil {
				return asUsage(err)
			}
			opts := xstool.Chmod{Path: args[0], Perms: perms, Recurse: c.Bool("recurse"), Upto: c.Bool("upto")}
			return runXenstoreChmod(c.Context, opts, e)
		},
	}
}

func runXenstoreChmod(ctx context.Context, opts xstool.Chmod, e *env) error {
	if err := asUsage(xstool.CheckPaths(opts.Path)); err != nil {
		return err
	}
	out := newChanges(e.global.DryRun)
	err := e.withXenstore(ctx, !out.DryRun, func(c xsConn) error {
		paths, err := opts.Apply(ctx, c, out.DryRun)
		for _, p := range paths {
			out.Changes = append(out.Changes, XenstoreChange{Op: "chmod", Path: p, Perms: opts.Perms.Strings()})
		}
		return err
	})
	if err != nil {
		return err
	}
	return e.out.render(out)
}

// --------------------------------------------------------------- perms

// XenstorePermsOutput is the result of "xgo xenstore perms".
type XenstorePermsOutput struct {
	SchemaVersion int             `json:"schemaVersion" yaml:"schemaVersion"`
	Nodes         []XenstorePerms `json:"nodes" yaml:"nodes"`

	prefix bool
}

// XenstorePerms is one node's permission list; the first entry names the
// owner.
type XenstorePerms struct {
	Path  string   `json:"path" yaml:"path"`
	Owner uint32   `json:"owner" yaml:"owner"`
	Perms []string `json:"perms" yaml:"perms"`
}

// writeText prints each node's permissions separated by spaces, the form
// chmod takes: "xgo xenstore chmod P $(xgo xenstore perms P)" round-trips.
func (o *XenstorePermsOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	for _, n := range o.Nodes {
		if o.prefix {
			b.WriteString(n.Path + ": ")
		}
		b.WriteString(strings.Join(n.Perms, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *XenstorePermsOutput) quietIDs() []string {
	ids := make([]string, len(o.Nodes))
	for i, n := range o.Nodes {
		ids[i] = strings.Join(n.Perms, " ")
	}
	return ids
}

type xsPermsOptions struct {
	Paths  []string
	Prefix bool
}

func xenstorePermsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "perms",
		Usage:     "Print the permissions of nodes",
		ArgsUsage: "<path>...",
		Description: `Prints each node's permission list as chmod takes it, e.g. "b0 r5": the
owner entry first. Several paths are read in one transaction.

EXAMPLES:
   xgo xenstore perms /local/domain/0
   xgo xenstore perms -p /local/domain/0 /vm
   xgo xenstore perms /local/domain/0 -o json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "prefix", Aliases: []string{"p"}, Usage: `print "PATH: " before each list`, DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			return runXenstorePerms(c.Context, xsPermsOptions{Paths: args, Prefix: c.Bool("prefix")}, e)
		},
	}
}

func runXenstorePerms(ctx context.Context, opts xsPermsOptions, e *env) error {
	if err := asUsage(xstool.CheckPaths(opts.Paths...)); err != nil {
		return err
	}
	out := &XenstorePermsOutput{SchemaVersion: schemaVersion, prefix: opts.Prefix}
	err := e.withXenstore(ctx, false, func(c xsConn) error {
		perms, err := xstool.Perms(ctx, c, opts.Paths)
		for i, p := range perms {
			out.Nodes = append(out.Nodes, XenstorePerms{Path: opts.Paths[i], Owner: p.Owner(), Perms: p.Strings()})
		}
		return err
	})
	return renderPartial(e, out, err)
}

// --------------------------------------------------------------- watch

// XenstoreWatchEvent is one line of "xgo xenstore watch": a node that
// changed (or may have: xenstored fires each new watch once at once, and
// may fire spuriously).
type XenstoreWatchEvent struct {
	SchemaVersion int    `json:"schemaVersion" yaml:"schemaVersion"`
	Path          string `json:"path" yaml:"path"`
	Token         string `json:"token" yaml:"token"`
	// Overflow reports that events were lost: re-read everything below
	// Path.
	Overflow bool `json:"overflow,omitempty" yaml:"overflow,omitempty"`
}

// writeText prints the path, as xenstore-watch does.
func (ev *XenstoreWatchEvent) writeText(w io.Writer, _ termInfo) error {
	_, err := io.WriteString(w, ev.Path+"\n")
	return err
}

func (ev *XenstoreWatchEvent) quietIDs() []string { return []string{ev.Path} }

type xsWatchOptions struct {
	Paths []string
	Count int // stop after this many events; 0 = until interrupted
}

func xenstoreWatchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "watch",
		Usage:     "Print the paths of nodes as they change, like xenstore-watch",
		ArgsUsage: "<path>...",
		Description: `Watches each path (and everything below it; @introduceDomain and
@releaseDomain are accepted) and prints one line per event until
interrupted or, with -n, after N events. Every watch fires once as soon as
it is set. With -o json each event is one JSON object on its own line;
with -o yaml, one YAML document.

EXAMPLES:
   xgo xenstore watch /local/domain
   xgo xenstore watch -n 1 /local/domain/5/device/vsnd
   xgo xenstore watch @releaseDomain -o json`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "count", Aliases: []string{"n", "number"}, Usage: "stop after `N` events", DefaultText: "until interrupted"},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, -1)
			if err != nil {
				return err
			}
			opts := xsWatchOptions{Paths: args, Count: c.Int("count")}
			if c.IsSet("count") && opts.Count < 1 {
				return usagef("xenstore watch: -n/--count %d: the count must be at least 1", opts.Count)
			}
			return runXenstoreWatch(c.Context, opts, e)
		},
	}
}

func runXenstoreWatch(ctx context.Context, opts xsWatchOptions, e *env) error {
	if e.global.Sim {
		return &notSupportedError{"xenstore watch: the simulated host cannot be watched (each xgo command holds it alone while it runs)"}
	}
	if err := asUsage(xstool.CheckWatchPaths(opts.Paths)); err != nil {
		return err
	}
	return e.withXenstore(ctx, false, func(c xsConn) error {
		logSet := func(p string) { e.logf("watching %s", p) }
		return xstool.Watch(ctx, c, opts.Paths, opts.Count, logSet, func(ev xenstore.WatchEvent) error {
			return e.out.stream(&XenstoreWatchEvent{SchemaVersion: schemaVersion, Path: ev.Path, Token: ev.Token, Overflow: ev.Overflow})
		})
	})
}
