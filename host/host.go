package host

import (
	"context"
	"errors"
	"fmt"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
)

// Store is what the commands need of a XenStore connection (what the
// vsnd manager needs, and Close); a *xenstore.Conn is one.
type Store interface {
	sound.Store
	Close() error
}

var _ Store = (*xenstore.Conn)(nil)

// Options say which host to open and how.
type Options struct {
	// Sim selects the simulated host whose state file is SimPath.
	Sim     bool
	SimPath string
	// Save writes a simulated host's state back on Close (the command
	// may have changed it and is not a dry run); otherwise the state
	// file is left as it was.
	Save bool
	// Note receives one informational line per Open (xgo -v), Trace the
	// managers' steps. Either may be nil.
	Note, Trace func(string)
	// DialXenstore, when set, replaces how a real host's XenStore is
	// reached.
	DialXenstore func(context.Context) (Store, error)
}

// ErrNoSimHost is returned by Open for a state file that holds no host:
// only "xgo sim init" makes one.
var ErrNoSimHost = errors.New("no simulated host")

// Host is an opened host. Not safe for concurrent use.
type Host struct {
	opts Options
	sim  *xensim.Sim

	hv    hypercall.Hypervisor
	hvErr error
	xs    Store
	xsErr error

	closers []func() error // run in reverse order by Close
}

// Open opens the host opts name. A simulated host is loaded and locked
// now; a real host's devices are opened when first used.
func Open(opts Options) (*Host, error) {
	h := &Host{opts: opts}
	if !opts.Sim {
		return h, nil
	}
	s, err := xensim.Open(opts.SimPath)
	if err != nil {
		return nil, err
	}
	if s.Booted() {
		_ = s.Discard()
		return nil, fmt.Errorf("%w at %s", ErrNoSimHost, opts.SimPath)
	}
	h.sim, h.hv = s, s.Host()
	if opts.Save {
		h.note("simulated host " + s.Path() + " (saved when the command ends)")
		h.closers = append(h.closers, s.Close)
	} else {
		h.note("simulated host " + s.Path() + " (read only)")
		h.closers = append(h.closers, s.Discard)
	}
	return h, nil
}

func (h *Host) note(line string) {
	if h.opts.Note != nil {
		h.opts.Note(line)
	}
}

// Sim is the simulated host, or nil on a real one.
func (h *Host) Sim() *xensim.Sim { return h.sim }

// Hypervisor opens the host's hypervisor (once; a failure is kept).
func (h *Host) Hypervisor() (hypercall.Hypervisor, error) {
	if h.hv == nil && h.hvErr == nil {
		x, err := hypercall.Open()
		if err != nil {
			h.hvErr = ExplainNoXen(err)
		} else {
			h.hv = x
			h.closers = append(h.closers, x.Close)
		}
	}
	return h.hv, h.hvErr
}

// XenStore connects to the host's XenStore (once; a failure is kept).
func (h *Host) XenStore(ctx context.Context) (Store, error) {
	if h.xs != nil || h.xsErr != nil {
		return h.xs, h.xsErr
	}
	var c Store
	var err error
	switch {
	case h.sim != nil:
		c, err = h.sim.XenStore()
	case h.opts.DialXenstore != nil:
		c, err = h.opts.DialXenstore(ctx)
	default:
		// Dial honours $XENSTORED_PATH, then the usual sockets, then
		// /dev/xen/xenbus, like libxenstore.
		var xc *xenstore.Conn
		if xc, err = xenstore.Dial(nil); err == nil {
			c = xc
		}
		err = ExplainNoXen(err)
	}
	if err != nil {
		h.xsErr = err
		return nil, err
	}
	h.xs = c
	h.closers = append(h.closers, c.Close)
	return c, nil
}

// Pools returns the host's cpupool manager: it needs the hypervisor and
// XenStore, where pool and domain names live.
func (h *Host) Pools(ctx context.Context) (*cpupool.Manager, error) {
	hv, err := h.Hypervisor()
	if err != nil {
		return nil, err
	}
	xs, err := h.XenStore(ctx)
	if err != nil {
		return nil, fmt.Errorf("cpupool names are kept in XenStore: %w", err)
	}
	m := cpupool.New(hv, xs)
	m.Trace = h.opts.Trace
	return m, nil
}

// Sound returns the host's vsnd manager: it needs XenStore; the
// hypervisor, which tells which domains exist, is optional on a real
// host (without it, not root or no privcmd, the domains are those
// XenStore lists, as Note says).
func (h *Host) Sound(ctx context.Context) (*sound.Manager, error) {
	xs, err := h.XenStore(ctx)
	if err != nil {
		return nil, err
	}
	m := &sound.Manager{XS: xs, Trace: h.opts.Trace}
	if hv, err := h.Hypervisor(); err != nil {
		h.note("vsnd: domains from XenStore only: " + err.Error())
	} else {
		m.HV = hv
	}
	return m, nil
}

// Close releases everything opened, in reverse order; a simulated host
// is saved (Options.Save) or discarded last.
func (h *Host) Close() error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		errs = append(errs, h.closers[i]())
	}
	h.closers = nil
	return errors.Join(errs...)
}
