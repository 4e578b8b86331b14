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
)

// xsConn is what the xenstore commands need of a connection: the
// host's XenStore.
type xsConn = host.Store

// openXenstore connects to the XenStore of the host xgo acts on. With
// --sim that is the simulated host's, held locked until Close, which saves
// its state when save is true (the command may have changed it).
func (e *env) openXenstore(ctx context.Context, save bool) (xsConn, error) {
	h, err := e.openHost(save)
	if err != nil {
		return nil, err
	}
	c, err := h.XenStore(ctx)
	if err != nil {
		return nil, errors.Join(err, h.Close())
	}
	return &hostConn{Store: c, h: h}, nil
}

// hostConn is a XenStore connection that releases its host when closed.
type hostConn struct {
	host.Store
	h *host.Host
}

func (c *hostConn) Close() error { return c.h.Close() }

// withXenstore connects (see openXenstore), runs fn and closes the
// connection, reporting a failure to close (with --sim: to save the
// state) if fn succeeded.
func (e *env) withXenstore(ctx context.Context, save bool, fn func(c xsConn) error) (err error) {
	c, err := e.openXenstore(ctx, save)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}()
	return fn(c)
}

// inTx runs fn in one transaction when many is true (as xenstore-read and
// -write do for more than one path), directly on c otherwise.
func inTx(ctx context.Context, c xsConn, many bool, fn func(ops xenstore.Ops) error) error {
	if !many {
		return fn(c)
	}
	return c.Transact(ctx, func(tx *xenstore.Tx) error { return fn(tx) })
}

// checkPaths validates every path before anything is sent.
func checkPaths(paths []string) error {
	for _, p := range paths {
		if err := xenstore.ValidatePath(p); err != nil {
			return asUsage(err)
		}
	}
	return nil
}

// joinPath appends a child name to a path as xenstore-ls does.
func joinPath(dir, name string) string {
	if strings.HasSuffix(dir, "/") {
		return dir + name
	}
	return dir + "/" + name
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
// sanitizeValue and a newline, or with -R the raw bytes and no newline;
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
			b.WriteString(sanitizeValue(o.raws[i]) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *XenstoreReadOutput) quietIDs() []string {
	ids := make([]string, len(o.raws))
	for i, r := range o.raws {
		ids[i] = sanitizeValue(r)
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
	if err := checkPaths(opts.Paths); err != nil {
		return err
	}
	out := &XenstoreReadOutput{SchemaVersion: schemaVersion, prefix: opts.Prefix, raw: opts.Raw}
	err := e.withXenstore(ctx, false, func(c xsConn) error {
		return inTx(ctx, c, len(opts.Paths) > 1, func(ops xenstore.Ops) error {
			// Pipelined: the reads of one command are all in flight
			// at once, as xenstore-read's are one after another.
			vals, err := xenstore.ReadMany(ctx, ops, opts.Paths)
			out.Values, out.raws = nil, vals // the transaction may run again
			for i, v := range vals {
				out.Values = append(out.Values, XenstoreValue{Path: opts.Paths[i], Value: string(v)})
			}
			return err
		})
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
			fmt.Fprintf(&b, "would write %s = \"%s\"\n", c.Path, sanitizeValue([]byte(*c.Value)))
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
	Pairs []xsPair
	Raw   bool // -R: take values as they are, without unquoting
}

type xsPair struct {
	Path  string
	Value []byte
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
					v = unsanitizeValue(args[i+1])
				}
				opts.Pairs = append(opts.Pairs, xsPair{args[i], v})
			}
			return runXenstoreWrite(c.Context, opts, e)
		},
	}
}

func runXenstoreWrite(ctx context.Context, opts xsWriteOptions, e *env) error {
	out := newChanges(e.global.DryRun)
	for _, p := range opts.Pairs {
		if err := xenstore.ValidatePath(p.Path); err != nil {
			return asUsage(err)
		}
		v := string(p.Value)
		out.Changes = append(out.Changes, XenstoreChange{Op: "write", Path: p.Path, Value: &v})
	}
	if !out.DryRun {
		err := e.withXenstore(ctx, true, func(c xsConn) error {
			return inTx(ctx, c, len(opts.Pairs) > 1, func(ops xenstore.Ops) error {
				for _, p := range opts.Pairs {
					if err := ops.Write(ctx, p.Path, p.Value); err != nil {
						return err
					}
				}
				return nil
			})
		})
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
	if err := checkPaths(opts.Paths); err != nil {
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
		return c.Transact(ctx, func(tx *xenstore.Tx) error {
			out.Changes = out.Changes[:0]
			for _, p := range opts.Paths {
				removed, err := xsRemove(ctx, tx, p, opts.Tidy)
				for _, r := range removed {
					out.Changes = append(out.Changes, XenstoreChange{Op: "rm", Path: r})
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	return e.out.render(out)
}

// xsRemove removes path and, with tidy, then each parent that is left
// with an empty value and no children, as xenstore-rm -t does. It returns
// the paths removed.
func xsRemove(ctx context.Context, ops xenstore.Ops, path string, tidy bool) ([]string, error) {
	var removed []string
	for {
		if err := ops.Rm(ctx, path); err != nil {
			return removed, err
		}
		removed = append(removed, path)
		if !tidy {
			return removed, nil
		}
		i := strings.LastIndexByte(path, '/')
		if i <= 0 { // "/a": the parent is the root, which stays; "a": none
			return removed, nil
		}
		parent := path[:i]
		v, err := ops.Read(ctx, parent)
		if err != nil || len(v) != 0 {
			return removed, nil
		}
		children, err := ops.Directory(ctx, parent)
		if err != nil || len(children) != 0 {
			return removed, nil
		}
		path = parent
	}
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
	if err := checkPaths(opts.Paths); err != nil {
		return err
	}
	out := newChanges(e.global.DryRun)
	for _, p := range opts.Paths {
		out.Changes = append(out.Changes, XenstoreChange{Op: "mkdir", Path: p})
	}
	if !out.DryRun {
		err := e.withXenstore(ctx, true, func(c xsConn) error {
			return inTx(ctx, c, len(opts.Paths) > 1, func(ops xenstore.Ops) error {
				for _, p := range opts.Paths {
					if err := ops.Mkdir(ctx, p); err != nil {
						return err
					}
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	return e.out.render(out)
}

type xsChmodOptions struct {
	Path    string
	Perms   xenstore.Perms
	Recurse bool // -r: also every node below Path
	Upto    bool // -u: also every parent of Path up to (not including) the root
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
			opts := xsChmodOptions{Path: args[0], Perms: perms, Recurse: c.Bool("recurse"), Upto: c.Bool("upto")}
			return runXenstoreChmod(c.Context, opts, e)
		},
	}
}

func runXenstoreChmod(ctx context.Context, opts xsChmodOptions, e *env) error {
	if err := xenstore.ValidatePath(opts.Path); err != nil {
		return asUsage(err)
	}
	out := newChanges(e.global.DryRun)
	err := e.withXenstore(ctx, !out.DryRun, func(c xsConn) error {
		if out.DryRun {
			// Nothing is changed, so the listing need not be atomic.
			return xsChmodWalk(ctx, c, opts, func(p string) error {
				out.Changes = append(out.Changes, XenstoreChange{Op: "chmod", Path: p, Perms: opts.Perms.Strings()})
				return nil
			})
		}
		return c.Transact(ctx, func(tx *xenstore.Tx) error {
			out.Changes = out.Changes[:0]
			return xsChmodWalk(ctx, tx, opts, func(p string) error {
				if err := tx.SetPerms(ctx, p, opts.Perms); err != nil {
					return err
				}
				out.Changes = append(out.Changes, XenstoreChange{Op: "chmod", Path: p, Perms: opts.Perms.Strings()})
				return nil
			})
		})
	})
	if err != nil {
		return err
	}
	return e.out.render(out)
}

// xsChmodWalk calls set for the nodes xenstore-chmod changes, in its
// order: the path, then with Upto each parent up to but not including
// the root, then with Recurse every node below the path, depth first.
func xsChmodWalk(ctx context.Context, ops xenstore.Ops, opts xsChmodOptions, set func(path string) error) error {
	if err := set(opts.Path); err != nil {
		return err
	}
	if opts.Upto {
		for p := opts.Path; ; {
			i := strings.LastIndexByte(p, '/')
			if i <= 0 {
				break
			}
			p = p[:i]
			if err := set(p); err != nil {
				return err
			}
		}
	}
	if !opts.Recurse {
		return nil
	}
	var walk func(dir string) error
	walk = func(dir string) error {
		children, err := ops.Directory(ctx, dir)
		if err != nil {
			return err
		}
		for _, name := range children {
			p := joinPath(dir, name)
			if err := set(p); err != nil {
				return err
			}
			if err := walk(p); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(opts.Path)
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
	if err := checkPaths(opts.Paths); err != nil {
		return err
	}
	out := &XenstorePermsOutput{SchemaVersion: schemaVersion, prefix: opts.Prefix}
	err := e.withXenstore(ctx, false, func(c xsConn) error {
		return inTx(ctx, c, len(opts.Paths) > 1, func(ops xenstore.Ops) error {
			out.Nodes = nil
			for _, p := range opts.Paths {
				perms, err := ops.GetPerms(ctx, p)
				if err != nil {
					return err
				}
				out.Nodes = append(out.Nodes, XenstorePerms{Path: p, Owner: perms.Owner(), Perms: perms.Strings()})
			}
			return nil
		})
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
	seen := map[string]bool{}
	for _, p := range opts.Paths {
		if err := xenstore.ValidateWatchPath(p); err != nil {
			return asUsage(err)
		}
		if seen[p] {
			return usagef("xenstore watch: path %q given twice", p)
		}
		seen[p] = true
	}
	return e.withXenstore(ctx, false, func(c xsConn) error {
		done := make(chan struct{})
		var watches []*xenstore.Watch
		defer func() {
			close(done) // first release the forwarders, then unwatch
			for _, w := range watches {
				w.Close()
			}
		}()
		events := make(chan xenstore.WatchEvent)
		ended := make(chan error, len(opts.Paths))
		for _, p := range opts.Paths {
			w, err := c.Watch(ctx, p, p) // the token is the path, as xenstore-watch does
			if err != nil {
				return err
			}
			watches = append(watches, w)
			e.logf("watching %s", p)
			go func() {
				for ev := range w.Events() {
					select {
					case events <- ev:
					case <-done:
						return
					}
				}
				ended <- w.Err()
			}()
		}
		for n := 0; opts.Count == 0 || n < opts.Count; n++ {
			select {
			case <-ctx.Done():
				return nil // interrupted: the normal way to stop
			case err := <-ended:
				if err == nil {
					err = errors.New("ended")
				}
				return fmt.Errorf("xenstore watch: %w", err)
			case ev := <-events:
				out := &XenstoreWatchEvent{SchemaVersion: schemaVersion, Path: ev.Path, Token: ev.Token, Overflow: ev.Overflow}
				if err := e.out.stream(out); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
