package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/xensim"
)

// Step statuses in a Report.
const (
	StatusOK         = "ok"          // plan: the step would succeed
	StatusWouldFail  = "would fail"  // plan: the step would fail
	StatusNotChecked = "not checked" // plan: after a step that would fail
	StatusDone       = "done"        // run: done and kept
	StatusFailed     = "failed"      // run: the step that failed (its own partial changes undone)
	StatusRolledBack = "rolled back" // run: done, then undone
	StatusUndoFailed = "undo failed" // run: done, and undoing it failed
	StatusNotRun     = "not run"     // run: after the failed step, or after an interrupt
)

// Report is what a plan or a run did, step by step.
type Report struct {
	SchemaVersion int          `json:"schemaVersion" yaml:"schemaVersion"`
	File          string       `json:"file" yaml:"file"`
	Mode          string       `json:"mode" yaml:"mode"` // "plan" or "run"
	OK            bool         `json:"ok" yaml:"ok"`
	Interrupted   bool         `json:"interrupted,omitempty" yaml:"interrupted,omitempty"`
	RolledBack    bool         `json:"rolledBack,omitempty" yaml:"rolledBack,omitempty"`
	Steps         []StepReport `json:"steps" yaml:"steps"`
}

// StepReport is one step's outcome.
type StepReport struct {
	Step    int      `json:"step" yaml:"step"`
	Line    int      `json:"line" yaml:"line"`
	Op      string   `json:"op" yaml:"op"`
	What    string   `json:"what" yaml:"what"`
	Status  string   `json:"status" yaml:"status"`
	Changes []string `json:"changes,omitempty" yaml:"changes,omitempty"`
	Error   string   `json:"error,omitempty" yaml:"error,omitempty"`
	// UndoError is why undoing the step failed.
	UndoError string `json:"undoError,omitempty" yaml:"undoError,omitempty"`
}

// Sentinels the errors of Plan and Run match.
var (
	// ErrWouldFail: the plan found a step that would fail; nothing changed.
	ErrWouldFail = errors.New("a step would fail")
	// ErrFailed: a step failed on the host, and what the batch had done
	// was undone (or kept, with NoRollback).
	ErrFailed = errors.New("a step failed")
	// ErrRollbackFailed: a step failed and undoing the steps before it
	// failed too; the host is left partly changed.
	ErrRollbackFailed = errors.New("rolling back failed")
	// ErrInterrupted: the run was stopped (Ctrl-C) and rolled back.
	ErrInterrupted = errors.New("interrupted")
)

// StepError is the error of Plan and Run: which step, and why.
type StepError struct {
	File   string
	Step   *Step
	Err    error
	kind   error // ErrWouldFail, ErrFailed, ErrInterrupted
	undone bool  // rolled back completely
	undo   error // rollback failures
}

func (e *StepError) Error() string {
	var b strings.Builder
	if e.Step != nil {
		fmt.Fprintf(&b, "%s:%d:%d: step %d (%s): ", e.File, e.Step.Line, e.Step.Col, e.Step.N, e.Step.Op)
	}
	switch e.kind {
	case ErrWouldFail:
		b.WriteString("would fail: ")
	case ErrInterrupted:
		b.WriteString("interrupted")
		if e.Err != nil {
			b.WriteString(": ")
		}
	default:
		b.WriteString("failed: ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	switch {
	case e.undo != nil:
		fmt.Fprintf(&b, "; rolling back failed, the host is partly changed: %v", e.undo)
	case e.undone:
		b.WriteString("; the steps done were rolled back")
	}
	return b.String()
}

func (e *StepError) Unwrap() []error {
	errs := []error{e.kind}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if e.undo != nil {
		errs = append(errs, ErrRollbackFailed)
	}
	return errs
}

func newReport(f *File, mode string) *Report {
	r := &Report{SchemaVersion: 1, File: f.Name, Mode: mode, OK: true}
	for _, s := range f.Steps {
		r.Steps = append(r.Steps, StepReport{Step: s.N, Line: s.Line, Op: s.Op, What: s.What})
	}
	return r
}

// Plan applies the steps in order to sim, a simulated copy of the host
// (xensim.Capture or Sim.Copy), with the same code that changes the real
// host, and reports what each would change, or the first that would fail
// and why (then the error matches ErrWouldFail). sim is changed; the host
// it is a copy of is not.
func Plan(ctx context.Context, f *File, sim *xensim.Sim) (*Report, error) {
	xs, err := sim.XenStore()
	if err != nil {
		return nil, err
	}
	defer xs.Close()
	h := &Host{HV: sim.Host(), XS: xs, Copy: true}
	rep := newReport(f, "plan")
	for i, s := range f.Steps {
		changes, _, err := s.op.apply(ctx, h)
		sr := &rep.Steps[i]
		sr.Changes = changes
		if err != nil {
			err = onCopy(err)
			sr.Status, sr.Error = StatusWouldFail, oneLine(err.Error())
			for j := i + 1; j < len(f.Steps); j++ {
				rep.Steps[j].Status = StatusNotChecked
			}
			rep.OK = false
			return rep, &StepError{File: f.Name, Step: s, Err: err, kind: ErrWouldFail}
		}
		sr.Status = StatusOK
	}
	return rep, nil
}

// RunOptions control Run.
type RunOptions struct {
	// NoRollback keeps the steps done when one fails.
	NoRollback bool
	// Progress, if set, is called after each step with its report.
	Progress func(StepReport)
}

// Run applies the steps in order to h. When one fails, the steps done
// are undone in reverse order (unless opts.NoRollback); the error matches
// ErrFailed, and ErrRollbackFailed too when undoing failed. When ctx is
// cancelled (Ctrl-C), the step under way is finished, then everything is
// undone, that step included even when it was the last, and the error
// matches ErrInterrupted. Callers run Plan first.
func Run(ctx context.Context, f *File, h *Host, opts RunOptions) (*Report, error) {
	rep := newReport(f, "run")
	for i := range rep.Steps {
		rep.Steps[i].Status = StatusNotRun
	}
	bg := context.WithoutCancel(ctx)
	type done struct {
		i    int
		undo undoFunc
	}
	var stack []done
	var serr *StepError
	for i, s := range f.Steps {
		if ctx.Err() != nil {
			serr = &StepError{File: f.Name, kind: ErrInterrupted}
			rep.Interrupted = true
			break
		}
		changes, undo, err := s.op.apply(bg, h) // a step once begun is finished
		sr := &rep.Steps[i]
		sr.Changes = changes
		if err != nil {
			sr.Status, sr.Error = StatusFailed, oneLine(err.Error())
			if undo != nil && !opts.NoRollback {
				if uerr := undo(bg); uerr != nil {
					sr.UndoError = oneLine(uerr.Error())
				}
			}
			if uerr := ownUndoErr(err); uerr != nil && sr.UndoError == "" {
				// The step undid its own changes, and that failed.
				sr.UndoError = oneLine(uerr.Error())
			}
			serr = &StepError{File: f.Name, Step: s, Err: err, kind: ErrFailed}
			if opts.Progress != nil {
				opts.Progress(*sr)
			}
			break
		}
		sr.Status = StatusDone
		stack = append(stack, done{i, undo})
		if opts.Progress != nil {
			opts.Progress(*sr)
		}
		// Interrupted during this step: it is finished, and then undone
		// with the others, whether or not it was the last.
		if ctx.Err() != nil {
			serr = &StepError{File: f.Name, kind: ErrInterrupted}
			rep.Interrupted = true
			break
		}
	}
	if serr == nil {
		return rep, nil
	}
	rep.OK = false
	if opts.NoRollback && !rep.Interrupted {
		return rep, serr
	}
	var undoErrs []error
	if i := serr.Step; i != nil {
		if u := rep.Steps[i.N-1].UndoError; u != "" {
			undoErrs = append(undoErrs, fmt.Errorf("step %d: %s", i.N, u))
		}
	}
	for k := len(stack) - 1; k >= 0; k-- {
		d := stack[k]
		sr := &rep.Steps[d.i]
		if d.undo == nil {
			sr.Status = StatusRolledBack // nothing changed to undo
			continue
		}
		if err := d.undo(bg); err != nil {
			sr.Status, sr.UndoError = StatusUndoFailed, oneLine(err.Error())
			undoErrs = append(undoErrs, fmt.Errorf("step %d: %w", sr.Step, err))
			continue
		}
		sr.Status = StatusRolledBack
	}
	serr.undo = errors.Join(undoErrs...)
	serr.undone = serr.undo == nil
	rep.RolledBack = serr.undone
	return rep, serr
}

// ownUndoErr is why a step that rolls back its own changes (a cpupool
// plan) could not undo them, or nil.
func ownUndoErr(err error) error {
	var cs *cpupool.StepError
	if errors.As(err, &cs) && len(cs.RollbackErrs) > 0 {
		return errors.Join(cs.RollbackErrs...)
	}
	return nil
}

// onCopy rewords the error of a step planned on a copy of the host: a
// step whose own rollback failed there left the copy changed, not the
// host, so it is reported as what it says about the real run.
func onCopy(err error) error {
	var cs *cpupool.StepError
	if !errors.As(err, &cs) || len(cs.RollbackErrs) == 0 {
		return err
	}
	return &copyError{msg: fmt.Sprintf("%s failed: %v; undoing the part done failed too, so running it would leave the host partly changed", cs.What, cs.Err), err: cs.Err}
}

// copyError keeps the cause's chain (errnos) but not the rollback
// failure, which happened on the copy.
type copyError struct {
	msg string
	err error
}

func (e *copyError) Error() string { return e.msg }
func (e *copyError) Unwrap() error { return e.err }

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
