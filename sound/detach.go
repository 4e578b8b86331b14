package sound

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strconv"
	"time"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

// DefaultTimeout bounds waits for the other ends, as libxl's
// LIBXL_INIT_TIMEOUT and LIBXL_DESTROY_TIMEOUT (10 s) do.
const DefaultTimeout = 10 * time.Second

// DetachRequest asks for a device to be removed.
type DetachRequest struct {
	Domain  string // the frontend domain: a name or an id
	DevID   int
	Force   bool          // skip the close handshake
	Timeout time.Duration // bound of the handshake; 0 means DefaultTimeout
	DryRun  bool          // say what would be done, change nothing
	// NoWait asks the ends to close but does not wait for them: on a
	// copy of a host (batch plan) nothing runs that could answer.
	NoWait bool
}

// Detachment is what Detach did (or would do).
type Detachment struct {
	Frontend     Domain
	DevID        int
	FrontendPath string
	BackendPath  string // "" when no trusted node names it
	LibxlPath    string
	Handshake    WaitResult
	// Changes are the handshake's writes, then the removals, including
	// the emptied directories above the device.
	Changes []Change
}

// Detach closes a device and removes it. Unless req.Force, it first
// asks the backend to close, as libxl does (backend online = 0, state =
// Closing, in one transaction), and waits up to req.Timeout for the
// frontend to reach Closed, or for the backend to reach Closed and the
// frontend to let go (back in Initialising, as Linux's snd-xen-front
// goes); a device neither of whose ends ever got past Initialising needs
// no handshake. Then, whatever the handshake gave (libxl too removes a
// device whose ends did not answer), one transaction removes the frontend
// directory, the backend directory, libxl's record, the frontend's error
// report about the device, and the directories above them left empty.
//
// The backend directory to remove is taken from libxl's record, which
// only dom0 can write, or else from the frontend's backend node only if
// it names this very device's vsnd backend directory: a guest cannot make
// xgo remove anything else.
func (m *Manager) Detach(ctx context.Context, req DetachRequest) (*Detachment, error) {
	d, wait, err := m.BeginDetach(ctx, req)
	if err != nil {
		return d, err
	}
	if wait {
		if err := m.WaitClosed(ctx, d, req.Timeout); err != nil {
			return d, err
		}
	}
	return d, m.FinishDetach(ctx, d, req.DryRun)
}

// BeginDetach is Detach's first part: it finds the device and, unless
// req.Force or the ends are idle, asks the backend to close. wait
// reports that the handshake is under way: WaitClosed waits for it, then
// FinishDetach removes the device. A caller that must not hold the host
// while the ends answer (the simulated host, which other processes
// serve in turns) runs the three parts apart.
func (m *Manager) BeginDetach(ctx context.Context, req DetachRequest) (d *Detachment, wait bool, err error) {
	if req.DevID < 0 {
		return nil, false, fmt.Errorf("%w: device id %d", ErrInvalid, req.DevID)
	}
	doms, err := m.Domains(ctx)
	if err != nil {
		return nil, false, err
	}
	fe, err := resolveDomain(doms, req.Domain)
	if err != nil {
		// A device of a domain that is gone can still be cleaned up by
		// its id.
		id, perr := strconv.ParseUint(req.Domain, 10, 16)
		if !errors.Is(err, ErrNotFound) || perr != nil {
			return nil, false, err
		}
		fe = Domain{ID: uint32(id)}
	}
	d = &Detachment{Frontend: fe, DevID: req.DevID, FrontendPath: FrontendPath(fe.ID, req.DevID), LibxlPath: LibxlPath(fe.ID, req.DevID)}
	bePath, libxl, feExists, err := locate(ctx, m.XS, fe.ID, req.DevID)
	if err != nil {
		return nil, false, err
	}
	if !libxl && !feExists {
		return nil, false, &NotFoundError{Kind: "vsnd device", Name: strconv.Itoa(req.DevID), In: fe.Label()}
	}
	d.BackendPath = bePath
	wait, err = m.askClose(ctx, d, req.Force, req.DryRun)
	if wait && req.NoWait {
		d.Handshake.Outcome = OutcomeNotWaited
		wait = false
	}
	return d, wait, err
}

// FinishDetach is Detach's last part: one transaction removes the
// device (see Detach), or in a dry run finds what it would remove.
func (m *Manager) FinishDetach(ctx context.Context, d *Detachment, dry bool) error {
	handshake := d.Changes
	err := m.transact(ctx, func(tx *xenstore.Tx) error {
		changes, err := removal(ctx, tx, d, dry)
		if err != nil {
			return err
		}
		d.Changes = append(handshake[:len(handshake):len(handshake)], changes...)
		if dry {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return fmt.Errorf("removing vsnd device %d of %s: %w", d.DevID, d.Frontend.Label(), err)
	}
	m.tracef("vsnd: device %d of %s removed (%d XenStore changes)", d.DevID, d.Frontend.Label(), len(d.Changes))
	return nil
}

// askClose starts the close handshake (see Detach) and records it in d;
// wait reports that WaitClosed has something to wait for.
func (m *Manager) askClose(ctx context.Context, d *Detachment, force, dry bool) (wait bool, err error) {
	start := time.Now()
	defer func() { d.Handshake.Elapsed += time.Since(start) }()
	fe, be, err := m.states(ctx, d.FrontendPath, d.BackendPath)
	if err != nil {
		return false, err
	}
	d.Handshake.Frontend, d.Handshake.Backend = fe, be
	idle := func(s State) bool {
		return s == xenbus.Unknown || s == xenbus.Initialising || s == xenbus.Closed
	}
	switch {
	case force:
		d.Handshake.Outcome = OutcomeForced
		return false, nil
	case d.BackendPath == "" || be == xenbus.Unknown || idle(fe) && idle(be):
		d.Handshake.Outcome = OutcomeSkipped
		return false, nil
	}
	close := []Change{{Op: "write", Path: d.BackendPath + "/online", Value: "0"}}
	if be != xenbus.Closed {
		close = append(close, Change{Op: "write", Path: d.BackendPath + "/state", Value: strconv.Itoa(int(xenbus.Closing))})
	}
	d.Changes = append(d.Changes, close...)
	if dry {
		d.Handshake.Outcome = OutcomeDone
		return false, nil
	}
	if err := m.transact(ctx, func(tx *xenstore.Tx) error {
		// Only if the backend is still there: do not bring back a
		// directory someone removed meanwhile.
		if _, err := tx.Read(ctx, d.BackendPath+"/state"); err != nil {
			return err
		}
		return apply(ctx, tx, close)
	}); err != nil {
		if errors.Is(err, xenstore.ErrNotExist) {
			d.Handshake.Outcome = OutcomeSkipped
			return false, nil
		}
		return false, fmt.Errorf("asking the backend to close: %w", err)
	}
	return true, nil
}

// WaitClosed waits up to timeout (0: DefaultTimeout) for the handshake
// BeginDetach started: until the frontend reached Closed, or the backend
// Closed and the frontend let go. Running out of time is no error: the
// outcome says OutcomeTimeout, and the device is removed all the same,
// as libxl does.
func (m *Manager) WaitClosed(ctx context.Context, d *Detachment, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	defer func() { d.Handshake.Elapsed += time.Since(start) }()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	check := func() (bool, error) { return m.ClosedNow(wctx, d) }
	err := m.watchStates(wctx, []string{d.FrontendPath + "/state", d.BackendPath + "/state"}, check)
	switch {
	case err == nil:
		d.Handshake.Outcome = OutcomeDone
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		d.Handshake.Outcome = OutcomeTimeout
		m.tracef("vsnd: no end of device %d closed within %s (frontend %s, backend %s); removing it anyway, as libxl does", d.DevID, timeout, d.Handshake.Frontend, d.Handshake.Backend)
	default:
		return err
	}
	return nil
}

// ClosedNow reads both ends' states into d.Handshake and reports whether
// the handshake BeginDetach started is over: the frontend closed or is
// gone, or the backend closed (or is gone) and the frontend let go
// (Linux's snd-xen-front frees its channels on the backend's Closed and
// goes back to Initialising). WaitClosed waits for it; a caller that
// polls (the simulated host) calls it itself.
func (m *Manager) ClosedNow(ctx context.Context, d *Detachment) (bool, error) {
	fe, be, err := m.states(ctx, d.FrontendPath, d.BackendPath)
	if err != nil {
		return false, err
	}
	d.Handshake.Frontend, d.Handshake.Backend = fe, be
	gone := func(s State) bool { return s == xenbus.Closed || s == xenbus.Unknown }
	if gone(fe) || gone(be) && fe == xenbus.Initialising {
		d.Handshake.Outcome = OutcomeDone
		return true, nil
	}
	return false, nil
}

// removal removes the device's directories and the emptied ones above
// them through ops, or in a dry run only finds what would go; it returns
// the removals.
func removal(ctx context.Context, ops xenstore.Ops, d *Detachment, dry bool) ([]Change, error) {
	var out []Change
	errDir := ErrorPath(d.Frontend.ID, d.DevID)
	targets := []string{d.FrontendPath, d.BackendPath, d.LibxlPath, errDir}
	gone := map[string]bool{}
	for _, p := range targets {
		if p == "" {
			continue
		}
		if _, err := ops.Read(ctx, p); errors.Is(err, xenstore.ErrNotExist) {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, Change{Op: "rm", Path: p})
		gone[p] = true
		if !dry {
			if err := rmQuiet(ctx, ops, p); err != nil {
				return nil, err
			}
		}
	}
	// The kind directories and, for the backend, backend/vsnd and
	// backend: removed when nothing else is left in them. The guest's
	// own device directory and libxl's /libxl/<domid>/device stay: xl
	// create made them. So do the guest's error directory and, below it,
	// device/vsnd when something else is in them.
	be := uint32(0)
	if d.BackendPath != "" {
		be, _, _, _ = parseBackendPath(d.BackendPath)
	}
	chains := parentChains(d.Frontend.ID, be)
	errDirs := []string{path.Dir(errDir), path.Dir(path.Dir(errDir))} // error/device/vsnd, error/device
	prune := [][]string{chains[0][:1], chains[1][:1], errDirs}
	if d.BackendPath != "" {
		prune = append(prune, chains[2])
	}
	for _, chain := range prune {
		for _, p := range chain {
			empty, err := emptyAfter(ctx, ops, p, gone)
			if err != nil {
				return nil, err
			}
			if !empty {
				break
			}
			out = append(out, Change{Op: "rm", Path: p})
			gone[p] = true
			if !dry {
				if err := rmQuiet(ctx, ops, p); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// emptyAfter reports whether path exists, has an empty value, and has no
// children but those in gone.
func emptyAfter(ctx context.Context, ops xenstore.Ops, path string, gone map[string]bool) (bool, error) {
	v, err := ops.Read(ctx, path)
	if errors.Is(err, xenstore.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	kids, err := ops.Directory(ctx, path)
	if err != nil {
		return false, err
	}
	if len(v) != 0 {
		return false, nil
	}
	for _, k := range kids {
		if !gone[path+"/"+k] {
			return false, nil
		}
	}
	return true, nil
}
