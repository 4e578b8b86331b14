package host

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xensim/simguest"
	"xgo.dev/xgo/xenstore"
)

// The simulated host's state is one locked file that every xgo --sim
// command loads, changes and saves in turn, so nothing may hold it while
// it waits for another process. What waits on a real host (a backend
// serving, a detach or an attach waiting for both ends) runs here in
// turns: each turn opens the host anew through an Opener and releases it.

// Opener opens the host for one turn; save as for Options.Save.
type Opener func(save bool) (*Host, error)

// Each turn of ServeSim lasts at most simTurnMax (shorter once nothing
// moves), and other commands get simPause between two turns; the waits
// look at the host every simPoll.
const (
	simTurnMax = 500 * time.Millisecond
	simPause   = 100 * time.Millisecond
	simPoll    = 50 * time.Millisecond
)

// Serve runs a vsnd backend on one XenStore connection with the given
// grants and event channels until ctx ends; keep leaves every device's
// state as it is when it stops (a turn that is not the last).
type Serve func(ctx context.Context, xs *xenstore.Conn, g xendev.Grants, ev xendev.Events, keep bool) error

// ServeSim serves the simulated host's vsnd devices in turns until ctx
// ends, with grants and event channels in memory (package simguest),
// which live as long as the call, and plays the guests' snd-xen-front
// until nothing moves. The last turn, after ctx ended, closes every
// device.
func ServeSim(ctx context.Context, open Opener, serve Serve, logf func(string, ...any)) error {
	x := simguest.New()
	guests := simguest.NewGuests(x)
	for {
		last := ctx.Err() != nil
		if err := simTurn(ctx, open, serve, x, guests, logf, last); err != nil || last {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(simPause):
		}
	}
}

func simTurn(ctx context.Context, open Opener, serve Serve, x *simguest.Xen, guests *simguest.Guests, logf func(string, ...any), last bool) error {
	h, err := open(true)
	if err != nil {
		return err
	}
	defer func() { _ = h.Close() }()
	s := h.Sim()
	bg := context.Background()
	xs, err := s.XenStore()
	if err != nil {
		return err
	}
	ids, err := xs.Directory(bg, "/local/domain")
	if err != nil {
		return err
	}
	var doms []uint32
	for _, id := range ids {
		n, err := strconv.ParseUint(id, 10, 16)
		if err != nil {
			continue
		}
		if !x.HasDomain(uint32(n)) {
			x.AddDomain(uint32(n), 2048)
		}
		if n != 0 {
			doms = append(doms, uint32(n))
		}
	}
	conns := map[uint32]*xenstore.Conn{}
	conn := func(dom uint32) (*xenstore.Conn, error) {
		if c := conns[dom]; c != nil {
			return c, nil
		}
		c, err := s.XenStoreAs(dom)
		conns[dom] = c
		return c, err
	}
	tctx, stop := context.WithCancel(bg)
	defer stop()
	done := make(chan error, 1)
	go func() {
		// The last turn ends with every device Closed (keep off).
		done <- serve(tctx, xs, x.Grants(0), x.Evtchn(0), !last)
	}()
	deadline := time.Now().Add(simTurnMax)
	for quiet := 0; time.Now().Before(deadline) && quiet < 5 && (last || ctx.Err() == nil); {
		time.Sleep(20 * time.Millisecond)
		changed, err := guests.Step(bg, doms, conn)
		if err != nil {
			logf("simulated guests: %v", err)
		}
		if changed {
			quiet = 0
		} else {
			quiet++
		}
	}
	stop()
	return <-done
}

// withSound opens the host for one turn and runs fn with its vsnd
// manager.
func withSound(ctx context.Context, open Opener, save bool, fn func(m *sound.Manager) error) (err error) {
	h, err := open(save)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.Close(); err == nil {
			err = cerr
		}
	}()
	m, err := h.Sound(ctx)
	if err != nil {
		return err
	}
	return fn(m)
}

// DetachSim is Manager.Detach on the simulated host, which it holds only
// to ask the ends to close and to remove the device: in between it looks
// at the two states every simPoll, a turn each time, so that a running
// `xgo --sim vsnd-backend` gets its turns and closes.
func DetachSim(ctx context.Context, open Opener, req sound.DetachRequest) (*sound.Detachment, error) {
	var d *sound.Detachment
	var wait bool
	err := withSound(ctx, open, true, func(m *sound.Manager) (err error) {
		d, wait, err = m.BeginDetach(ctx, req)
		return err
	})
	if err != nil || !wait {
		if err == nil {
			err = withSound(ctx, open, true, func(m *sound.Manager) error { return m.FinishDetach(ctx, d, false) })
		}
		return d, err
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = sound.DefaultTimeout
	}
	start := time.Now()
	for {
		var done bool
		err := withSound(ctx, open, false, func(m *sound.Manager) (err error) {
			done, err = m.ClosedNow(ctx, d)
			return err
		})
		if err != nil {
			return d, err
		}
		if done {
			break
		}
		if time.Since(start) >= timeout {
			d.Handshake.Outcome = sound.OutcomeTimeout
			break
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(min(simPoll, timeout-time.Since(start))):
		}
	}
	d.Handshake.Elapsed = time.Since(start)
	return d, withSound(ctx, open, true, func(m *sound.Manager) error { return m.FinishDetach(ctx, d, false) })
}

// WaitConnectedSim is Manager.WaitConnected on the simulated host, which
// it does not hold while it waits: it looks at the two states every
// simPoll, a turn each time, so that a running `xgo --sim vsnd-backend`
// gets its turns in between.
func WaitConnectedSim(ctx context.Context, open Opener, a *sound.Attachment, timeout time.Duration) (sound.WaitResult, error) {
	start := time.Now()
	for {
		var res sound.WaitResult
		var werr error
		err := withSound(ctx, open, false, func(m *sound.Manager) error {
			res, werr = m.WaitConnected(ctx, a, time.Millisecond)
			return nil
		})
		res.Elapsed = time.Since(start)
		switch {
		case err != nil:
			return res, err
		case werr == nil, res.Outcome == sound.OutcomeClosed:
			return res, werr
		case ctx.Err() != nil:
			return res, ctx.Err()
		case res.Elapsed >= timeout:
			if res.Outcome == sound.OutcomeNoBackend {
				return res, fmt.Errorf("%w within %s (backend %s, frontend %s)", sound.ErrNoBackend, timeout, res.Backend, res.Frontend)
			}
			return res, fmt.Errorf("%w within %s: backend %s, frontend %s", sound.ErrNotConnected, timeout, res.Backend, res.Frontend)
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(simPoll, timeout-res.Elapsed)):
		}
	}
}
