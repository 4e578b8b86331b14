package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/layout"
)

// The layout commands: xgo diff FILE and xgo apply FILE.

func layoutFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "prune", Usage: "remove the pools and the domains' vsnd cards the file does not list", DisableDefaultText: true},
		&cli.BoolFlag{Name: "strict", Usage: "a domain the file names that is not running is an error, not a warning", DisableDefaultText: true},
	}
}

func diffCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "Show what differs between the host and a layout file",
		ArgsUsage: "[--prune] [--strict] <file>",
		Description: `Reads a layout file (- for stdin; docs/layout.md describes it, "xgo export"
writes one), compares it with the host and prints each difference, one
per line (-o json|yaml: one entry per change, with the batch step that
would make it). What the file does not mention is not compared; with
--prune, pools and vsnd cards it does not list are differences too.
Domains the file names that are not running are skipped with a warning
(--strict: an error). Nothing changes. The exit status is 0 whether or
not the host differs (see "xgo apply --check"), 2 for a bad file.

EXAMPLES:
   xgo diff /etc/xgo/host.yaml
   xgo diff -o json host.yaml
   xgo export > now.yaml; xgo --sim diff now.yaml`,
		Flags: layoutFlags(),
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			f, err := readLayout(e, args[0])
			if err != nil {
				return err
			}
			h, err := openHost(c.Context, e, true, false)
			if err != nil {
				return err
			}
			defer h.Close()
			p, err := diffOn(c, e, f, h)
			if err != nil {
				return err
			}
			return e.out.render(&LayoutOutput{Report: layout.NewReport(p, "diff")})
		},
	}
}

func applyCommand(e *env) *cli.Command {
	flags := append(layoutFlags(),
		&cli.BoolFlag{Name: "check", Usage: "change nothing; exit 0 if the host matches the file, 6 if apply would change it", DisableDefaultText: true},
		&cli.BoolFlag{Name: "no-rollback", Usage: "keep the steps done when one fails", DisableDefaultText: true},
		&cli.DurationFlag{Name: "lock-timeout", Value: defaultLockTimeout, Usage: "wait up to `DURATION` for another xgo job to finish"},
	)
	return &cli.Command{
		Name:      "apply",
		Usage:     "Make the host match a layout file, with the fewest steps",
		ArgsUsage: "[--check] [--prune] [--strict] [--no-rollback] [--lock-timeout <duration>] <file>",
		Description: `Compares the host with a layout file as "xgo diff" does and computes the
fewest steps from the host to the file (pcpu-online, cpupool-rename,
cpupool-create, cpupool-cpu-move, cpupool-migrate, sched-*, vsnd-attach,
...). They are planned on a simulated copy of the host, as "xgo batch
plan" does, then run as "xgo batch run" runs them: a step that fails
undoes the steps before it. On a host that already matches the file,
apply changes nothing, takes no lock, says there is nothing to do and
exits 0, so it can run at every boot and from configuration management.

--check changes nothing: it prints the differences and the plan and
exits 0 when the host matches the file, 6 when apply would change it.
Domains the file names that are not running are skipped with a warning
(at boot the pools exist before the guests start); --strict makes them
an error. --prune also removes the pools and vsnd cards the file does
not list.

Exit status: 0 in sync, or every step done; 1 a step would fail (nothing
changed), or failed and everything was rolled back; 2 a bad file; 5 a
step failed and rolling back failed too; 6 (--check) the host differs.

EXAMPLES:
   xgo apply /etc/xgo/host.yaml
   xgo apply --check host.yaml; echo $?
   xgo apply --prune -o json host.yaml`,
		Flags: flags,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			return runApply(c, e, args[0])
		},
	}
}

// readLayout reads and decodes a layout file; a bad file is a usage
// error.
func readLayout(e *env, name string) (*layout.File, error) {
	var data []byte
	var err error
	if name == "-" {
		if e.Stdin == nil {
			return nil, usagef("layout: no stdin to read the file from")
		}
		data, err = io.ReadAll(e.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, asUsage(fmt.Errorf("layout: %w", err))
	}
	f, err := layout.Decode(data, name)
	if err != nil {
		return nil, asUsage(err)
	}
	return f, nil
}

// diffOn diffs the host with f and prints the warnings.
func diffOn(c *cli.Context, e *env, f *layout.File, h *xenHost) (*layout.Plan, error) {
	bh, err := h.Batch(c.Context)
	if err != nil {
		return nil, named("layout", err)
	}
	p, err := layout.Diff(c.Context, bh, f, layout.Options{Prune: c.Bool("prune"), Strict: c.Bool("strict")})
	if errors.Is(err, layout.ErrInvalid) {
		return nil, asUsage(err)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range p.Warnings {
		e.warnf("%s", w)
	}
	return p, nil
}

func runApply(c *cli.Context, e *env, name string) error {
	f, err := readLayout(e, name)
	if err != nil {
		return err
	}
	if c.Bool("check") || e.global.DryRun {
		return checkApply(c, e, f)
	}
	h, err := openHost(c.Context, e, true, false)
	if err != nil {
		return err
	}
	p, err := diffOn(c, e, f, h)
	h.Close()
	if err != nil {
		return err
	}
	if p.InSync() {
		return e.out.render(&LayoutOutput{Report: layout.NewReport(p, "apply")})
	}

	// The host differs: take the lock, then look again, since another
	// job may have changed it meanwhile.
	timeout, err := e.lockTimeout(c)
	if err != nil {
		return err
	}
	unlock, err := e.lockHost(timeout)
	if err != nil {
		return err
	}
	defer unlock()
	h, err = openHost(c.Context, e, true, true)
	if err != nil {
		return err
	}
	defer h.Close()
	if p, err = diffOn(c, e, f, h); err != nil {
		return err
	}
	rep := layout.NewReport(p, "apply")
	if p.InSync() {
		return e.out.render(&LayoutOutput{Report: rep})
	}
	cp, err := h.Copy(c.Context)
	if err != nil {
		return named("layout", err)
	}
	defer cp.Close()
	bh, err := h.Batch(c.Context)
	if err != nil {
		return named("layout", err)
	}
	return e.runJob(c.Context, &LayoutOutput{Report: rep}, func(ctx context.Context) error {
		return layout.Apply(ctx, p, bh, cp, e.runOptions(c), rep)
	})
}

// checkApply is apply --check and apply -N: the differences and the
// plan, on a simulated copy of the host; --check fails when they are not
// empty.
func checkApply(c *cli.Context, e *env, f *layout.File) error {
	h, err := openHost(c.Context, e, true, false)
	if err != nil {
		return err
	}
	defer h.Close()
	p, err := diffOn(c, e, f, h)
	if err != nil {
		return err
	}
	rep := layout.NewReport(p, "check")
	if p.InSync() {
		return e.out.render(&LayoutOutput{Report: rep})
	}
	cp, err := h.Copy(c.Context)
	if err != nil {
		return named("layout", err)
	}
	defer cp.Close()
	perr := layout.Check(c.Context, p, cp, rep)
	if rerr := e.out.render(&LayoutOutput{Report: rep}); rerr != nil {
		return rerr
	}
	if perr != nil {
		return perr
	}
	if c.Bool("check") {
		return fmt.Errorf("%s: %w: %d changes in %d steps would be made", f.Name, layout.ErrOutOfSync, len(p.Changes), len(rep.Steps))
	}
	return nil // -N: the plan is what would be done
}

// LayoutOutput is what diff and apply print.
type LayoutOutput struct {
	*layout.Report `yaml:",inline"`
}

func (o *LayoutOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	r := o.Report
	if r.InSync {
		fmt.Fprintf(&b, "%s: the host matches the layout; nothing to do\n", r.File)
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, c := range r.Changes {
		b.WriteString(c.String() + "\n")
	}
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "step %d: %s: %s\n", s.Step, s.What, s.Status)
		if s.Error != "" {
			b.WriteString("    error: " + s.Error + "\n")
		}
		if s.UndoError != "" {
			b.WriteString("    undo failed: " + s.UndoError + "\n")
		}
	}
	switch {
	case r.Mode == "apply" && r.OK:
		fmt.Fprintf(&b, "%s: applied: %d changes in %d steps\n", r.File, len(r.Changes), len(r.Steps))
	case r.Mode == "apply" && r.RolledBack:
		fmt.Fprintf(&b, "%s: rolled back; the host is as it was\n", r.File)
	case r.Mode != "apply" && r.OK:
		fmt.Fprintf(&b, "%s: %d changes would be made\n", r.File, len(r.Changes))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *LayoutOutput) quietIDs() []string {
	var out []string
	for _, c := range o.Changes {
		out = append(out, c.String())
	}
	return out
}
