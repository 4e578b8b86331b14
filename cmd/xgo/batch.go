package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/host"
)

// The batch commands: xgo batch plan FILE and xgo batch run FILE.

func batchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "batch",
		Usage:     "Check and apply a YAML batch file of xgo operations as one job",
		ArgsUsage: "{plan|run} <file>",
		Description: `A batch file lists xgo operations (pcpu-offline, cpupool-create,
cpupool-cpu-move, sched-credit2, vsnd-attach, xenstore-write, ...) with
the command line's names and arguments, in YAML. "batch plan" checks the
whole file against a simulated copy of the host; "batch run" plans first,
then applies the steps and undoes them all if one fails. docs/batch.md
describes the format.

EXAMPLES:
   xgo batch plan host.yaml
   xgo batch run host.yaml
   xgo export > host.yaml`,
		Subcommands: []*cli.Command{batchPlanCommand(e), batchRunCommand(e)},
	}
}

func batchPlanCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "Show what each step of a batch file would change, changing nothing",
		ArgsUsage: "<file>",
		Description: `Reads the batch file (- for stdin), checks it strictly (an unknown key, a
wrong type or a bad value is reported with file:line:column and the step
number), then applies its steps in order to a simulated copy of the host
(the live host, or the --sim host) with the same code that changes the
real one, and prints what each step would change, or the first step that
would fail and why. Nothing on the host changes. The exit status is 0 when
every step would succeed, 1 when one would fail, 2 for a bad file.

EXAMPLES:
   xgo batch plan host.yaml
   xgo batch plan -o json - < host.yaml
   xgo --sim batch plan host.yaml`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			f, err := readBatch(e, args[0])
			if err != nil {
				return err
			}
			return printPlan(c.Context, e, f)
		},
	}
}

func batchRunCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "Apply a batch file's steps in order, undoing them all if one fails",
		ArgsUsage: "[--no-rollback] [--confirm] [--lock-timeout <duration>] <file>",
		Description: `Plans the batch file as "xgo batch plan" does and refuses to start if any
step would fail. Then it applies the steps to the host in order. If a
step fails (the host changed since the plan, or Xen refuses), the steps
done are undone in reverse order: a created pool is destroyed, moved cpus
and domains go back, scheduler parameters get their old values, a vsnd
card is removed, XenStore nodes are put back. --no-rollback keeps them
instead. Ctrl-C (or SIGTERM) stops after the step under way and rolls
back. The report lists every step as done, failed, rolled back or not
run.

Only one xgo job changes a host at a time: batch run and every mutating
command hold a lock (/run/xgo/lock; for --sim, next to the state file).
A second one waits up to --lock-timeout, then fails naming the holder.
--confirm prints the plan and waits for "yes" on stdin before applying.

Exit status: 0 every step done; 1 a step would fail (nothing changed), or
failed and everything was rolled back; 2 a bad file; 5 a step failed and
rolling back failed too (the report says which steps are left done).

EXAMPLES:
   xgo batch run host.yaml
   xgo batch run --confirm host.yaml
   xgo batch run -o json --lock-timeout 1m host.yaml`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "no-rollback", Usage: "keep the steps done when one fails", DisableDefaultText: true},
			&cli.BoolFlag{Name: "confirm", Usage: "print the plan and apply it only after \"yes\" on stdin", DisableDefaultText: true},
			&cli.DurationFlag{Name: "lock-timeout", Value: defaultLockTimeout, Usage: "wait up to `DURATION` for another xgo job to finish"},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			return runBatch(c, e, args[0])
		},
	}
}

// readBatch reads and decodes a batch file; a bad file is a usage error.
func readBatch(e *env, name string) (*batch.File, error) {
	if name == "-" && e.Stdin == nil {
		return nil, usagef("batch: no stdin to read the file from")
	}
	data, err := readInputFile("batch", "batch file", name, e.Stdin)
	if err != nil {
		return nil, err
	}
	f, err := batch.Decode(data, name)
	if err != nil {
		return nil, asUsage(err)
	}
	return f, nil
}

// printPlan plans f on a simulated copy of the host and prints the
// report: xgo batch plan, and xgo batch run -N.
func printPlan(ctx context.Context, e *env, f *batch.File) error {
	h, err := openHost(ctx, e, true, false)
	if err != nil {
		return err
	}
	defer h.Close()
	rep, err := planOn(ctx, f, h)
	if rep != nil {
		if rerr := e.out.render(&BatchOutput{Report: rep}); err == nil {
			err = rerr
		}
	}
	return err
}

// planOn plans f on a simulated copy of h.
func planOn(ctx context.Context, f *batch.File, h *xenHost) (*batch.Report, error) {
	cp, err := h.Copy(ctx)
	if err != nil {
		return nil, named("batch", err)
	}
	defer cp.Close()
	return batch.Plan(ctx, f, cp)
}

func runBatch(c *cli.Context, e *env, name string) error {
	f, err := readBatch(e, name)
	if err != nil {
		return err
	}
	if e.global.DryRun {
		return printPlan(c.Context, e, f) // -N: the plan is what would be done
	}
	h, err := openHost(c.Context, e, true, true)
	if err != nil {
		return err
	}
	defer h.Close()
	rep, err := planOn(c.Context, f, h)
	if err != nil {
		if rep != nil {
			_ = e.out.render(&BatchOutput{Report: rep})
		}
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if c.Bool("confirm") {
		if err := e.out.render(&BatchOutput{Report: rep}); err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "xgo: apply these %d steps to the host? Type yes to go on: ", len(f.Steps))
		line, _ := bufio.NewReader(e.Stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return errors.New("batch run: not confirmed; nothing was changed")
		}
	}
	bh, err := h.Batch(c.Context)
	if err != nil {
		return named("batch", err)
	}
	out := &BatchOutput{}
	return e.runJob(c.Context, out, func(ctx context.Context) (err error) {
		out.Report, err = batch.Run(ctx, f, bh, e.runOptions(c))
		return err
	})
}

// named puts the command's name before host.ErrNoBatchStore.
func named(cmd string, err error) error {
	if errors.Is(err, host.ErrNoBatchStore) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return err
}

// runJob runs a batch job with a context that Ctrl-C (or SIGTERM)
// cancels, so that it stops after the step under way and rolls back,
// and prints out, the job's report, whatever happened.
func (e *env) runJob(ctx context.Context, out any, run func(ctx context.Context) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx)
	if rerr := e.out.render(out); err == nil {
		err = rerr
	}
	return err
}

// BatchOutput is what batch plan and batch run print: the report, step
// by step.
type BatchOutput struct {
	*batch.Report `yaml:",inline"`
}

func (o *BatchOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	r := o.Report
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "step %d (line %d): %s: %s\n", s.Step, s.Line, s.What, s.Status)
		for _, ch := range s.Changes {
			prefix := "    "
			if r.Mode == "plan" {
				prefix = "    would: "
			}
			b.WriteString(prefix + ch + "\n")
		}
		if s.Error != "" {
			b.WriteString("    error: " + s.Error + "\n")
		}
		if s.UndoError != "" {
			b.WriteString("    undo failed: " + s.UndoError + "\n")
		}
	}
	switch {
	case r.Mode == "plan" && r.OK:
		fmt.Fprintf(&b, "%s: all %d steps would succeed\n", r.File, len(r.Steps))
	case r.Mode == "run" && r.OK:
		fmt.Fprintf(&b, "%s: all %d steps done\n", r.File, len(r.Steps))
	case r.Mode == "run" && r.RolledBack:
		fmt.Fprintf(&b, "%s: rolled back; the host is as it was\n", r.File)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *BatchOutput) quietIDs() []string {
	var out []string
	for _, s := range o.Steps {
		out = append(out, fmt.Sprintf("%d %s", s.Step, s.Status))
	}
	return out
}

// runOptions are batch run's and apply's: --no-rollback, and each step's
// outcome logged with -v.
func (e *env) runOptions(c *cli.Context) batch.RunOptions {
	return batch.RunOptions{
		NoRollback: c.Bool("no-rollback"),
		Progress: func(sr batch.StepReport) {
			e.logf("step %d (%s): %s", sr.Step, sr.Op, sr.Status)
		},
	}
}
