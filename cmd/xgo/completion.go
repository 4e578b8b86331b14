package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/completion"
	"xgo.dev/xgo/hypercall"
)

// Shell completion: "xgo completion bash|zsh|fish" prints a script, and
// the script calls the hidden "xgo __complete WORD..." (handled in run,
// before the argument normaliser and urfave/cli see the words) which
// prints one candidate per line. urfave/cli's own bash completion stays
// off: it knows flags and commands, not pools or domains.

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "Print the shell completion script for bash, zsh or fish",
		ArgsUsage: "<shell>",
		Description: `Prints the completion script for <shell> (bash, zsh or fish) on
stdout. The script completes commands, flags, and from the host xgo acts
on (this machine, or the simulated host with --sim or $XGO_SIM): pool
names, online or offline CPU ids, domain names, the schedulers this Xen
has, the vsnd device ids of the domain named earlier on the line,
XenStore paths, and file names where a file is expected. When nothing can
be read (no Xen, no permission) it offers nothing, silently.

"make install" and the Debian package install the scripts where bash,
zsh and fish look for them; to try one in the current shell, source it.

EXAMPLES:
   source <(xgo completion bash)
   xgo completion zsh > ~/.zfunc/_xgo
   xgo completion fish | source`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			s, err := completion.Script(args[0])
			if err != nil {
				return usagef("completion: %v", err)
			}
			_, err = fmt.Fprint(c.App.Writer, s)
			return err
		},
	}
}

// completeTimeout bounds the host reads of one completion: a hung
// xenstored or a simulated host locked by another command must not
// hang the shell.
const completeTimeout = 2 * time.Second

// runComplete answers "xgo __complete WORD...": the candidates for the
// last word, one per line. It always exits 0 and prints nothing on
// stderr: a shell shows whatever a completion function prints.
func runComplete(ctx context.Context, d deps, words []string) int {
	app := newApp(d)
	root := completionTree(app)
	globals := completionFlags(app.Flags)
	e := &env{deps: d}
	r := completion.CompleteWithin(ctx, completeTimeout, root, globals, words, func(ctx context.Context, t completion.Target) (completion.Host, error) {
		return openCompletionHost(ctx, e, t)
	})
	for _, w := range r.Words {
		fmt.Fprintln(d.Stdout, w)
	}
	if r.Files {
		fmt.Fprintln(d.Stdout, completion.FilesDirective)
	}
	return 0
}

// openCompletionHost opens the host the completed line acts on, read
// only: the simulated host (--sim on the line, or $XGO_SIM) or this
// machine's hypervisor and XenStore, whichever of them can be opened.
func openCompletionHost(ctx context.Context, e *env, t completion.Target) (completion.Host, error) {
	g := globalOptions{Sim: t.Sim, SimState: t.SimState}
	applySimEnv(e, &g)
	e.global = g
	h, err := e.openHost(false)
	if err != nil {
		return nil, err
	}
	var hv hypercall.Hypervisor
	var xs completion.Store
	if x, err := h.Hypervisor(); err == nil {
		hv = x
	}
	if c, err := h.XenStore(ctx); err == nil {
		xs = c
	}
	if hv == nil && xs == nil {
		return nil, errors.Join(errors.New("no Xen"), h.Close())
	}
	return &closingHost{Host: completion.NewHost(hv, xs), close: h.Close}, nil
}

type closingHost struct {
	completion.Host
	close func() error
}

func (h *closingHost) Close() error { return h.close() }

// completionTree converts the urfave/cli tree into completion's.
func completionTree(app *cli.App) *completion.Command {
	root := &completion.Command{Name: app.Name}
	root.Subs = completionCmds(app.Commands)
	return root
}

func completionCmds(cmds []*cli.Command) []*completion.Command {
	var out []*completion.Command
	for _, c := range cmds {
		out = append(out, &completion.Command{
			Name:      c.Name,
			Aliases:   c.Aliases,
			ArgsUsage: c.ArgsUsage,
			Flags:     completionFlags(c.Flags),
			Subs:      completionCmds(c.Subcommands),
			Hidden:    c.Hidden,
		})
	}
	return out
}

func completionFlags(flags []cli.Flag) []completion.Flag {
	var out []completion.Flag
	for _, f := range flags {
		names := f.Names()
		if len(names) == 0 {
			continue
		}
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		cf := completion.Flag{Names: names}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			cf.TakesValue = d.TakesValue()
		}
		if _, ok := f.(*simFlag); ok {
			cf.OptionalValue = true
		}
		out = append(out, cf)
	}
	return out
}
