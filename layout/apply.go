package layout

import (
	"context"
	"errors"
	"fmt"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/xensim"
)

// Report is what diff, apply --check and apply print.
type Report struct {
	SchemaVersion int      `json:"schemaVersion" yaml:"schemaVersion"`
	File          string   `json:"file" yaml:"file"`
	Mode          string   `json:"mode" yaml:"mode"` // "diff", "check" or "apply"
	InSync        bool     `json:"inSync" yaml:"inSync"`
	Changed       bool     `json:"changed" yaml:"changed"` // apply: steps ran and were kept
	Changes       []Change `json:"changes" yaml:"changes"`
	Warnings      []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
	// Steps are the batch steps: planned (diff, check) or run (apply).
	Steps []batch.StepReport `json:"steps,omitempty" yaml:"steps,omitempty"`
	OK    bool               `json:"ok" yaml:"ok"`
	// RolledBack: a step failed and every step done was undone.
	RolledBack bool `json:"rolledBack,omitempty" yaml:"rolledBack,omitempty"`
}

// NewReport is the report of p before anything is planned or run.
func NewReport(p *Plan, mode string) *Report {
	r := &Report{SchemaVersion: 1, File: p.File, Mode: mode, InSync: p.InSync(), Changes: p.Changes, Warnings: p.Warnings, OK: true}
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	return r
}

// Check plans p's steps on sim, a simulated copy of the host
// (xensim.Capture or Sim.Copy), and adds the plan to r; the error
// matches batch.ErrWouldFail when a step would fail.
func Check(ctx context.Context, p *Plan, sim *xensim.Sim, r *Report) error {
	if p.InSync() {
		return nil
	}
	_, f, err := p.Batch()
	if err != nil {
		return err
	}
	rep, err := batch.Plan(ctx, f, sim)
	if rep != nil {
		r.Steps, r.OK = rep.Steps, rep.OK
	}
	return err
}

// Apply plans p's steps on sim (see Check) and, when they would all
// succeed, runs them on h with batch.Run: a step that fails undoes the
// steps before it. A plan in sync changes nothing.
func Apply(ctx context.Context, p *Plan, h *batch.Host, sim *xensim.Sim, opts batch.RunOptions, r *Report) error {
	if p.InSync() {
		return nil
	}
	if err := Check(ctx, p, sim, r); err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	_, f, err := p.Batch()
	if err != nil {
		return err
	}
	rep, err := batch.Run(ctx, f, h, opts)
	if rep != nil {
		r.Steps, r.OK, r.RolledBack = rep.Steps, rep.OK, rep.RolledBack
		for _, s := range rep.Steps {
			if s.Status == batch.StatusDone {
				r.Changed = true
			}
		}
	}
	return err
}

// ErrOutOfSync matches the error of apply --check when the host differs
// from the file: xgo exits 6 for it.
var ErrOutOfSync = errors.New("the host differs from the layout")
