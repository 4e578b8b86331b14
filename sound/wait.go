package sound

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

// Outcome is how a wait for a device's states ended.
type Outcome string

// Outcomes of WaitConnected and of the close handshake.
const (
	OutcomeConnected Outcome = "connected"  // both ends Connected
	OutcomeNoBackend Outcome = "no-backend" // the backend never left Initialising
	OutcomeTimeout   Outcome = "timeout"    // the backend answered, the pair did not connect in time
	OutcomeClosed    Outcome = "closed"     // an end went Closing or Closed
	OutcomeDone      Outcome = "closed-ok"  // close handshake: an end reached Closed
	OutcomeSkipped   Outcome = "skipped"    // close handshake: neither end was active
	OutcomeForced    Outcome = "forced"     // close handshake: not attempted (--force)
	OutcomeNotWaited Outcome = "not-waited" // close handshake: asked, not waited for (planned on a copy)
)

// WaitResult is the state a device reached.
type WaitResult struct {
	Outcome  Outcome
	Frontend State
	Backend  State
	// Error is what the frontend reported under
	// /local/domain/<fe>/error/device/vsnd/<devid>/error, as Linux's
	// xenbus_dev_fatal writes it ("19 initializing frontend").
	Error   string
	Elapsed time.Duration
}

// states reads both state nodes; a missing node is Unknown.
func (m *Manager) states(ctx context.Context, fePath, bePath string) (State, State, error) {
	paths := []string{fePath + "/state"}
	if bePath != "" {
		paths = append(paths, bePath+"/state")
	}
	vals, err := xenstore.ReadEach(ctx, m.XS, paths)
	if err != nil {
		return 0, 0, err
	}
	fe, be := xenbus.Unknown, xenbus.Unknown
	if vals[0] != nil {
		fe = xenbus.ParseState(vals[0])
	}
	if len(vals) > 1 && vals[1] != nil {
		be = xenbus.ParseState(vals[1])
	}
	return fe, be, nil
}

// errorNode is where Linux's xenbus_dev_error puts a frontend's error.
func errorNode(fe uint32, devid int) string { return ErrorPath(fe, devid) + "/error" }

// watchStates calls check after setting watches on both state nodes and
// after every event, until check says done, ctx ends, or the connection
// breaks.
func (m *Manager) watchStates(ctx context.Context, paths []string, check func() (bool, error)) error {
	events := make(chan struct{}, 1)
	var watches []*xenstore.Watch
	defer func() {
		for _, w := range watches {
			_ = w.Close()
		}
	}()
	for _, p := range paths {
		w, err := m.XS.Watch(ctx, p, "")
		if err != nil {
			return err
		}
		watches = append(watches, w)
		go func() {
			for range w.Events() {
				select {
				case events <- struct{}{}:
				default:
				}
			}
			select {
			case events <- struct{}{}: // the watch ended: check once more
			default:
			}
		}()
	}
	for {
		done, err := check()
		if done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-events:
			for _, w := range watches {
				if err := w.Err(); err != nil {
					return err
				}
			}
		}
	}
}

// WaitConnected waits up to timeout for both ends of the device to be
// Connected. It returns an error matching ErrNoBackend when the backend
// never left Initialising, ErrNotConnected when an end closed the device
// or the time ran out with a backend that answered, and ctx's error when
// ctx ends first; the WaitResult says what was reached in every case.
func (m *Manager) WaitConnected(ctx context.Context, a *Attachment, timeout time.Duration) (WaitResult, error) {
	start := time.Now()
	var res WaitResult
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	check := func() (bool, error) {
		fe, be, err := m.states(wctx, a.FrontendPath, a.BackendPath)
		if err != nil {
			return false, err
		}
		res.Frontend, res.Backend = fe, be
		switch {
		case fe == xenbus.Connected && be == xenbus.Connected:
			res.Outcome = OutcomeConnected
			return true, nil
		case fe == xenbus.Closing || fe == xenbus.Closed || be == xenbus.Closing || be == xenbus.Closed:
			res.Outcome = OutcomeClosed
			return true, nil
		}
		return false, nil
	}
	err := m.watchStates(wctx, []string{a.FrontendPath + "/state", a.BackendPath + "/state"}, check)
	res.Elapsed = time.Since(start)
	switch {
	case err == nil && res.Outcome == OutcomeConnected:
		return res, nil
	case err == nil: // closed
		res.Error = m.frontendError(ctx, a.Frontend.ID, a.DevID)
		msg := fmt.Sprintf("frontend %s, backend %s", res.Frontend, res.Backend)
		if res.Error != "" {
			msg += fmt.Sprintf("; the frontend reported %q", res.Error)
		}
		return res, fmt.Errorf("%w: an end closed it (%s)", ErrNotConnected, msg)
	case ctx.Err() != nil:
		return res, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded):
		// a last look: the states may have moved since the last event
		if fe, be, serr := m.states(ctx, a.FrontendPath, a.BackendPath); serr == nil {
			res.Frontend, res.Backend = fe, be
		}
		if res.Backend == xenbus.Unknown || res.Backend == xenbus.Initialising {
			res.Outcome = OutcomeNoBackend
			return res, fmt.Errorf("%w within %s (backend %s, frontend %s)", ErrNoBackend, timeout, res.Backend, res.Frontend)
		}
		res.Outcome = OutcomeTimeout
		return res, fmt.Errorf("%w within %s: backend %s, frontend %s", ErrNotConnected, timeout, res.Backend, res.Frontend)
	}
	return res, err
}

// frontendError reads the error a Linux frontend left for the device;
// "" if none.
func (m *Manager) frontendError(ctx context.Context, fe uint32, devid int) string {
	v, err := m.XS.Read(ctx, errorNode(fe, devid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(v))
}
