package cpupool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xenstore"
)

// A Plan is what an operation will do, worked out and validated against
// the host before anything changes: a list of Steps, each one hypercall or
// XenStore change. Steps lists them (dry-run prints them); Execute runs
// them and, for every operation except cpupool-cpu-add and -cpu-remove,
// undoes the steps already done when one fails, so the host is left as it
// was.
//
// A plan is made from one reading of the host. If the host changes between
// planning and executing (another toolstack acts), Xen refuses the step
// that no longer fits, and the plan rolls back.
type Plan struct {
	// What describes the operation, e.g. "move cpus 2,3 to 'rt'".
	What string
	// Steps are the hypercalls and XenStore changes, in order.
	Steps []Step
	// Notes are facts about the result an admin should know, e.g. that
	// a pool is created without cpus or that a pool's id changes.
	Notes []string
	// NewPool is the pool the plan creates, if any; its ID is known once
	// the plan has run.
	NewPool *PoolRef

	bestEffort bool // go on after a failed step (xl's cpu-add/-remove)
	m          *Manager
}

// PoolRef names a pool in a step. A pool the plan creates has no id
// until its create step has run.
type PoolRef struct {
	ID    uint32
	Known bool // ID is valid
	Name  string
	Named bool
}

func refOf(p Pool) *PoolRef { return &PoolRef{ID: p.ID, Known: true, Name: p.Name, Named: p.Named} }

func (r *PoolRef) String() string {
	id := "NEW"
	if r.Known {
		id = strconv.FormatUint(uint64(r.ID), 10)
	}
	if !r.Named {
		return "pool " + id
	}
	return "pool " + id + " '" + r.Name + "'"
}

// label is how messages name the pool.
func (r *PoolRef) label() string {
	if r.Named {
		return "'" + r.Name + "'"
	}
	if r.Known {
		return fmt.Sprintf("cpupool %d", r.ID)
	}
	return "the new cpupool"
}

func (r *PoolRef) path() string {
	if !r.Known {
		return "/local/pool/NEW"
	}
	return PoolPath(r.ID)
}

// Step is one hypercall or XenStore change of a plan.
type Step struct {
	// Call is the operation: a hypercall as package hypercall names it
	// ("sysctl cpupool_op addcpu"), "xenstore write", "xenstore mkdir",
	// "xenstore rm", "xenstore check" (a read that guards a
	// transaction) or "wait".
	Call string
	// Pool, CPU (-1: none), Domain and Detail are its arguments.
	Pool   *PoolRef
	CPU    int
	Domain *Domain
	Detail string // scheduler and parameters, or what a check or wait is for

	xs *xsOp // a XenStore step; consecutive ones with the same group run in one transaction

	do      func(ctx context.Context) error
	undo    func(ctx context.Context) error            // nil: nothing to undo
	repair  func(ctx context.Context, err error) error // after do failed: put back what a partial failure left
	explain func(ctx context.Context, err error) error // turn do's error into one line
	group   int
}

type xsKind int

const (
	xsWrite xsKind = iota
	xsMkdir
	xsRm
	xsCheck
)

type xsOp struct {
	kind  xsKind
	path  func() string
	value string
	check func(ctx context.Context, tx xenstore.Ops) error
}

// Path is the XenStore path of a XenStore step ("" otherwise); for a pool
// the plan creates it reads /local/pool/NEW until the pool exists.
func (s Step) Path() string {
	if s.xs == nil || s.xs.path == nil {
		return ""
	}
	return s.xs.path()
}

// Value is the value a "xenstore write" step writes.
func (s Step) Value() (string, bool) {
	if s.xs == nil || s.xs.kind != xsWrite {
		return "", false
	}
	return s.xs.value, true
}

// String gives the step as one line, e.g.
// "sysctl cpupool_op addcpu pool 4 'rt', cpu 2" or
// `xenstore write /local/pool/4/name = "rt"`.
func (s Step) String() string {
	if s.xs != nil {
		switch s.xs.kind {
		case xsWrite:
			return fmt.Sprintf("%s %s = %q", s.Call, s.Path(), s.xs.value)
		case xsCheck:
			return s.Call + " " + s.Detail
		}
		return s.Call + " " + s.Path()
	}
	var args []string
	if s.Pool != nil {
		args = append(args, s.Pool.String())
	}
	if s.CPU >= 0 {
		args = append(args, "cpu "+strconv.Itoa(s.CPU))
	}
	if s.Domain != nil {
		d := "domain " + strconv.Itoa(int(s.Domain.ID))
		if s.Domain.Named {
			d += " '" + s.Domain.Name + "'"
		}
		args = append(args, d)
	}
	if s.Detail != "" {
		args = append(args, s.Detail)
	}
	return strings.TrimSpace(s.Call + " " + strings.Join(args, ", "))
}

// StepView is a step as -o json/yaml prints it.
type StepView struct {
	Call       string  `json:"call" yaml:"call"`
	Pool       *uint32 `json:"pool,omitempty" yaml:"pool,omitempty"`
	NewPool    bool    `json:"newPool,omitempty" yaml:"newPool,omitempty"`
	PoolName   string  `json:"poolName,omitempty" yaml:"poolName,omitempty"`
	CPU        *int    `json:"cpu,omitempty" yaml:"cpu,omitempty"`
	Domain     *uint16 `json:"domain,omitempty" yaml:"domain,omitempty"`
	DomainName string  `json:"domainName,omitempty" yaml:"domainName,omitempty"`
	Detail     string  `json:"detail,omitempty" yaml:"detail,omitempty"`
	Path       string  `json:"path,omitempty" yaml:"path,omitempty"`
	Value      *string `json:"value,omitempty" yaml:"value,omitempty"`
	Text       string  `json:"text" yaml:"text"`
}

// View returns s for JSON and YAML.
func (s Step) View() StepView {
	v := StepView{Call: s.Call, Detail: s.Detail, Path: s.Path(), Text: s.String()}
	if s.Pool != nil {
		if s.Pool.Known {
			id := s.Pool.ID
			v.Pool = &id
		} else {
			v.NewPool = true
		}
		v.PoolName = s.Pool.Name
	}
	if s.CPU >= 0 {
		c := s.CPU
		v.CPU = &c
	}
	if s.Domain != nil {
		id := s.Domain.ID
		v.Domain, v.DomainName = &id, s.Domain.Name
	}
	if val, ok := s.Value(); ok {
		v.Value = &val
	}
	return v
}

// Result is what an executed plan did.
type Result struct {
	Done []Step // the steps that succeeded, in order
	// Failed lists the cpus that failed in a best-effort plan (then
	// Execute also returns a *PartialError).
	Failed []CPUFailure

	units []unit // what was done, for Undo
	plan  *Plan
}

// Undo undoes what the executed plan did, in reverse order, the way
// Execute undoes the steps before a failed one. It is for callers that
// run several plans as one job and must roll back a plan that succeeded
// when a later one fails (package batch). A step with nothing to undo
// (a XenStore check, a wait) is skipped; the first failure to undo a
// step does not stop the others, and all failures are returned.
func (r *Result) Undo(ctx context.Context) error {
	if r == nil || r.plan == nil {
		return nil
	}
	_, errs := r.plan.m.undoUnits(ctx, r.units)
	r.units = nil
	return errors.Join(errs...)
}

// undoUnits undoes units in reverse order, skipping those with nothing to
// undo. A failure does not stop the others: it returns the steps undone
// and the failures.
func (m *Manager) undoUnits(ctx context.Context, units []unit) (undone []Step, errs []error) {
	for i := len(units) - 1; i >= 0; i-- {
		u := units[i]
		if u.undo == nil {
			continue
		}
		for _, us := range u.steps {
			m.trace("undo: ", us)
		}
		if err := u.undo(ctx); err != nil {
			errs = append(errs, fmt.Errorf("undoing %q: %w", u.steps[0].String(), err))
			continue
		}
		undone = append(undone, u.steps...)
	}
	return undone, errs
}

// unit is one executed piece of a plan: a hypercall step, or a XenStore
// transaction of one or more steps.
type unit struct {
	steps []Step
	undo  func(ctx context.Context) error
}

func (m *Manager) trace(prefix string, s Step) {
	if m.Trace != nil {
		m.Trace(prefix + s.String())
	}
}

// Execute runs the plan. On a failed step it undoes what was done (in
// reverse order) and returns a *StepError; a best-effort plan instead goes
// on with the next step and returns a *PartialError at the end. If ctx
// is cancelled between steps the plan stops and rolls back; the rollback
// itself is not cancelled.
func (p *Plan) Execute(ctx context.Context) (*Result, error) {
	res := &Result{plan: p}
	var done []unit
	defer func() { res.units = done }()
	fail := func(s Step, err error) (*Result, error) {
		bg := context.WithoutCancel(ctx)
		if s.repair != nil {
			if rerr := s.repair(bg, err); rerr != nil {
				err = fmt.Errorf("%w (and repairing it failed: %v)", err, rerr)
			}
		}
		se := &StepError{What: p.What, Step: s, Err: err}
		se.RolledBack, se.RollbackErrs = p.m.undoUnits(bg, done)
		done = nil // undone already: nothing left for Result.Undo
		return res, se
	}
	for i := 0; i < len(p.Steps); {
		s := p.Steps[i]
		if err := ctx.Err(); err != nil {
			if p.bestEffort {
				return res, err
			}
			return fail(s, err)
		}
		if s.xs != nil {
			j := i + 1
			for j < len(p.Steps) && p.Steps[j].xs != nil && p.Steps[j].group == s.group && s.group != 0 {
				j++
			}
			grp := p.Steps[i:j]
			for _, gs := range grp {
				p.m.trace("", gs)
			}
			undo, err := p.m.runXS(ctx, grp)
			if err != nil {
				if p.bestEffort {
					return res, err
				}
				return fail(s, err)
			}
			done = append(done, unit{steps: grp, undo: undo})
			res.Done = append(res.Done, grp...)
			i = j
			continue
		}
		p.m.trace("", s)
		if err := s.do(ctx); err != nil {
			if s.explain != nil {
				err = s.explain(context.WithoutCancel(ctx), err)
			}
			if p.bestEffort {
				if s.repair != nil {
					if rerr := s.repair(context.WithoutCancel(ctx), err); rerr != nil {
						err = fmt.Errorf("%w (and repairing it failed: %v)", err, rerr)
					}
				}
				res.Failed = append(res.Failed, CPUFailure{CPU: s.CPU, Err: err})
				i++
				continue
			}
			return fail(s, err)
		}
		done = append(done, unit{steps: []Step{s}, undo: s.undo})
		res.Done = append(res.Done, s)
		i++
	}
	if len(res.Failed) > 0 {
		pe := &PartialError{What: p.What, Failed: res.Failed}
		for _, s := range res.Done {
			if s.CPU >= 0 {
				pe.Done = append(pe.Done, s.CPU)
			}
		}
		return res, pe
	}
	return res, nil
}

// runXS runs XenStore steps in one transaction (retried on conflict by
// Transact) and returns a function that undoes them in one transaction.
func (m *Manager) runXS(ctx context.Context, steps []Step) (func(ctx context.Context) error, error) {
	var restore []xsRestore
	err := m.xs.Transact(ctx, func(tx *xenstore.Tx) error {
		restore = restore[:0]
		for _, s := range steps {
			r, err := applyXS(ctx, tx, s.xs)
			if err != nil {
				return err
			}
			restore = append(restore, r...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	saved := append([]xsRestore(nil), restore...)
	return func(ctx context.Context) error {
		return m.xs.Transact(ctx, func(tx *xenstore.Tx) error {
			for i := len(saved) - 1; i >= 0; i-- {
				if err := saved[i].apply(ctx, tx); err != nil {
					return err
				}
			}
			return nil
		})
	}, nil
}

// xsRestore puts one node back as it was: rm when it did not exist, else
// write its old value.
type xsRestore struct {
	path    string
	value   []byte
	existed bool
}

func (r xsRestore) apply(ctx context.Context, tx xenstore.Ops) error {
	if !r.existed {
		return tx.Rm(ctx, r.path)
	}
	return tx.Write(ctx, r.path, r.value)
}

// applyXS performs one XenStore step in tx and returns how to undo it.
func applyXS(ctx context.Context, tx xenstore.Ops, op *xsOp) ([]xsRestore, error) {
	switch op.kind {
	case xsCheck:
		return nil, op.check(ctx, tx)
	case xsRm:
		saved, err := saveTree(ctx, tx, op.path())
		if err != nil {
			return nil, err
		}
		if err := tx.Rm(ctx, op.path()); err != nil && !errors.Is(err, xenstore.ErrNotExist) {
			return nil, err
		}
		// Undo writes parents before children: saved is in that order,
		// and undo runs the list backwards, so reverse it here.
		for i, j := 0, len(saved)-1; i < j; i, j = i+1, j-1 {
			saved[i], saved[j] = saved[j], saved[i]
		}
		return saved, nil
	}
	path := op.path()
	old, err := tx.Read(ctx, path)
	existed := err == nil
	if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		return nil, err
	}
	switch op.kind {
	case xsMkdir:
		if existed {
			return nil, nil
		}
		if err := tx.Mkdir(ctx, path); err != nil {
			return nil, err
		}
	case xsWrite:
		if err := tx.Write(ctx, path, []byte(op.value)); err != nil {
			return nil, err
		}
	}
	return []xsRestore{{path: path, value: old, existed: existed}}, nil
}

// saveTree reads path and everything below it, parents first, as
// nodes to write back (permissions are not restored).
func saveTree(ctx context.Context, tx xenstore.Ops, path string) ([]xsRestore, error) {
	nodes, err := SaveTree(ctx, tx, path, nil)
	if err != nil {
		return nil, err
	}
	// Siblings in sorted order: the tree in preorder, compared by path
	// components.
	slices.SortStableFunc(nodes, func(a, b TreeNode) int {
		return slices.Compare(strings.Split(a.Path, "/"), strings.Split(b.Path, "/"))
	})
	out := make([]xsRestore, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, xsRestore{path: n.Path, value: n.Value, existed: true})
	}
	return out, nil
}

// ------------------------------------------------------------ step builders

func (p *Plan) add(s Step) { p.Steps = append(p.Steps, s) }

// nextGroup returns a new XenStore transaction group number.
func (p *Plan) nextGroup() int {
	g := 0
	for _, s := range p.Steps {
		if s.group > g {
			g = s.group
		}
	}
	return g + 1
}

func xsStep(call string, group int, op *xsOp) Step {
	return Step{Call: call, CPU: -1, xs: op, group: group}
}

func xsWriteStep(group int, path func() string, value string) Step {
	return xsStep("xenstore write", group, &xsOp{kind: xsWrite, path: path, value: value})
}

func xsMkdirStep(group int, path func() string) Step {
	return xsStep("xenstore mkdir", group, &xsOp{kind: xsMkdir, path: path})
}

func xsRmStep(group int, path func() string) Step {
	return xsStep("xenstore rm", group, &xsOp{kind: xsRm, path: path})
}

func xsCheckStep(group int, what string, check func(ctx context.Context, tx xenstore.Ops) error) Step {
	s := xsStep("xenstore check", group, &xsOp{kind: xsCheck, check: check})
	s.Detail = what
	return s
}

// createStep creates pool ref (PoolAny) with scheduler s; its undo
// destroys it.
func (m *Manager) createStep(ref *PoolRef, s hypercall.Scheduler) Step {
	return Step{
		Call: hypercall.OpCpupoolCreate.String(), Pool: ref, CPU: -1, Detail: "scheduler " + s.String(),
		do: func(context.Context) error {
			id, err := m.hv.CpupoolCreate(hypercall.PoolAny, s)
			if err != nil {
				return err
			}
			ref.ID, ref.Known = id, true
			return nil
		},
		undo: func(context.Context) error {
			return m.hv.CpupoolDestroy(ref.ID)
		},
		explain: func(ctx context.Context, err error) error { return m.explainCreate(ctx, ref, s, err) },
	}
}

// recreate creates pool ref again with its old id (the undo of a
// destroy).
func (m *Manager) recreate(ref *PoolRef, s hypercall.Scheduler) error {
	_, err := m.hv.CpupoolCreate(ref.ID, s)
	return err
}

func (m *Manager) destroyStep(ref *PoolRef, s hypercall.Scheduler) Step {
	return Step{
		Call: hypercall.OpCpupoolDestroy.String(), Pool: ref, CPU: -1,
		do:      func(context.Context) error { return m.hv.CpupoolDestroy(ref.ID) },
		undo:    func(context.Context) error { return m.recreate(ref, s) },
		explain: func(ctx context.Context, err error) error { return m.explainDestroy(ctx, ref, err) },
	}
}

func (m *Manager) addCPUStep(ref *PoolRef, cpu int) Step {
	return Step{
		Call: hypercall.OpCpupoolAddCPU.String(), Pool: ref, CPU: cpu,
		do:      func(context.Context) error { return m.hv.CpupoolAddCPU(ref.ID, uint32(cpu)) },
		undo:    func(context.Context) error { return m.hv.CpupoolRemoveCPU(ref.ID, uint32(cpu)) },
		explain: func(ctx context.Context, err error) error { return m.explainAddCPU(ctx, ref, cpu, err) },
	}
}

// rmCPUStep removes cpu from pool ref. If Xen fails the removal with
// EAGAIN or EADDRINUSE (after the retries the Hypervisor makes, as libxc
// does), the cpu is left out of the pool but "moving" in Xen; repair adds
// it back to ref, which is what Xen's cpupool.c expects.
func (m *Manager) rmCPUStep(ref *PoolRef, cpu int) Step {
	return Step{
		Call: hypercall.OpCpupoolRemoveCPU.String(), Pool: ref, CPU: cpu,
		do:   func(context.Context) error { return m.hv.CpupoolRemoveCPU(ref.ID, uint32(cpu)) },
		undo: func(context.Context) error { return m.hv.CpupoolAddCPU(ref.ID, uint32(cpu)) },
		repair: func(_ context.Context, err error) error {
			if !errors.Is(err, errEAGAIN) && !errors.Is(err, errEADDRINUSE) {
				return nil
			}
			if aerr := m.hv.CpupoolAddCPU(ref.ID, uint32(cpu)); aerr != nil && !errors.Is(aerr, errENODEV) {
				return aerr // ENODEV: the cpu never left the pool
			}
			return nil
		},
		explain: func(ctx context.Context, err error) error { return m.explainRmCPU(ctx, ref, cpu, err) },
	}
}

func (m *Manager) moveDomainStep(ref *PoolRef, d Domain, back *PoolRef) Step {
	dd := d
	return Step{
		Call: hypercall.OpCpupoolMoveDomain.String(), Pool: ref, CPU: -1, Domain: &dd,
		do: func(context.Context) error { return m.hv.CpupoolMoveDomain(ref.ID, d.ID) },
		undo: func(context.Context) error {
			if back == nil {
				return nil
			}
			return m.hv.CpupoolMoveDomain(back.ID, d.ID)
		},
		explain: func(ctx context.Context, err error) error { return m.explainMoveDomain(ctx, ref, d, err) },
	}
}
