package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/sched"
)

// This file holds what the cpupool-* and sched-* commands share: opening
// the host, turning the domain packages' errors into exit codes, and
// printing plans (dry runs) and their results.

// cpupoolCommands are the cpupool-* and sched-* commands, in the order
// "xgo help" lists them.
func cpupoolCommands(e *env) []*cli.Command {
	return []*cli.Command{
		cpupoolListCommand(e),
		cpupoolCreateCommand(e),
		cpupoolDestroyCommand(e),
		cpupoolRenameCommand(e),
		cpupoolCPUAddCommand(e),
		cpupoolCPURemoveCommand(e),
		cpupoolCPUMoveCommand(e),
		cpupoolMigrateCommand(e),
		cpupoolNumaSplitCommand(e),
		cpupoolSetSchedCommand(e),
		schedCreditCommand(e, false),
		schedCreditCommand(e, true),
		schedRTDSCommand(e),
	}
}

// openPools opens the host for a cpupool or sched command: its hypervisor
// and its XenStore, which is required (pool and domain names live there).
// save says whether a simulated host's state is written back (the command
// may change it). The returned function releases everything.
func openPools(ctx context.Context, e *env, save bool) (*cpupool.Manager, func() error, error) {
	h, err := e.openHost(save)
	if err != nil {
		return nil, nil, err
	}
	m, err := h.Pools(ctx)
	if err != nil {
		return nil, nil, errors.Join(err, h.Close())
	}
	return m, h.Close, nil
}

// withPools runs fn with the host's pools open.
func withPools(ctx context.Context, e *env, save bool, fn func(m *cpupool.Manager) error) (err error) {
	m, release, err := openPools(ctx, e, save)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := release(); err == nil {
			err = cerr
		}
	}()
	return fn(m)
}

// poolErr prefixes the domain packages' argument errors (exit 2, or 1
// for one this host lacks; see exitCode) with the command.
func poolErr(cmd string, err error) error {
	var ae *cpupool.AbsentError
	if errors.Is(err, cpupool.ErrInvalid) || errors.Is(err, sched.ErrInvalid) ||
		errors.Is(err, sched.ErrRefused) || errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return err
}

// notef prints an informational line on stderr.
func notef(e *env, format string, args ...any) {
	fmt.Fprintln(e.Stderr, "xgo: note: "+oneLine(fmt.Sprintf(format, args...)))
}

// CpupoolChangeOutput is what a mutating cpupool or sched command prints
// with -o json|yaml: what it did (or, with -N, would do) step by step.
type CpupoolChangeOutput struct {
	SchemaVersion int                `json:"schemaVersion" yaml:"schemaVersion"`
	Command       string             `json:"command" yaml:"command"`
	DryRun        bool               `json:"dryRun" yaml:"dryRun"`
	What          string             `json:"what" yaml:"what"`
	Pool          *cpupool.RefView   `json:"pool,omitempty" yaml:"pool,omitempty"`
	NewPool       *cpupool.RefView   `json:"newPool,omitempty" yaml:"newPool,omitempty"`
	Moves         []cpupool.MoveView `json:"moves,omitempty" yaml:"moves,omitempty"`
	Notes         []string           `json:"notes,omitempty" yaml:"notes,omitempty"`
	Steps         []cpupool.StepView `json:"steps" yaml:"steps"`

	// text is printed first in the text form (xl's output, a summary).
	text []string
}

func (o *CpupoolChangeOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	for _, l := range o.text {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if o.DryRun {
		for _, s := range o.Steps {
			b.WriteString("would: ")
			b.WriteString(s.Text)
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quietIDs: the new pool's id (its name in a dry run, before it has one),
// else the cpus moved, else the pool changed.
func (o *CpupoolChangeOutput) quietIDs() []string {
	ref := func(r *cpupool.RefView) []string {
		if r.ID != nil {
			return []string{fmt.Sprint(*r.ID)}
		}
		return []string{r.Name}
	}
	switch {
	case o.NewPool != nil:
		return ref(o.NewPool)
	case len(o.Moves) > 0:
		ids := make([]string, len(o.Moves))
		for i, m := range o.Moves {
			ids[i] = strconv.Itoa(m.CPU)
		}
		return ids
	case o.Pool != nil && len(o.Steps) > 0:
		return ref(o.Pool)
	}
	return nil
}

// changeOutput starts the output of a plan.
func changeOutput(e *env, cmd string, p *cpupool.Plan) *CpupoolChangeOutput {
	o := &CpupoolChangeOutput{SchemaVersion: schemaVersion, Command: cmd, DryRun: e.global.DryRun, What: p.What, Notes: p.Notes}
	o.Steps = cpupool.StepViews(p.Steps)
	return o
}

// runPlan is the common tail of a mutating command: with -N print the
// plan; otherwise execute it and print what was done (the steps actually
// taken, with the ids Xen gave) with -o json|yaml, or o's text lines (in
// the text form they are printed even when the plan fails, as xl prints
// its lines before it acts). The notes go to stderr in the text form.
// finish, if not nil, fills o from the outcome before printing; ok is
// false when the plan failed (and true for a dry run).
func runPlan(ctx context.Context, e *env, p *cpupool.Plan, o *CpupoolChangeOutput, finish func(o *CpupoolChangeOutput, ok bool)) error {
	textMode := e.global.Output == formatTable
	if textMode {
		for _, n := range p.Notes {
			notef(e, "%s", n)
		}
	}
	if e.global.DryRun {
		if finish != nil {
			finish(o, true)
		}
		return e.out.render(o)
	}
	res, err := p.Execute(ctx)
	if res != nil {
		o.Steps = cpupool.StepViews(res.Done)
	}
	if finish != nil {
		finish(o, err == nil)
	}
	if err != nil {
		// Failed: the steps done (rolled back, or partly done) are part
		// of the answer; the error still decides the exit status.
		_ = e.out.render(o)
		return err
	}
	return e.out.render(o)
}
