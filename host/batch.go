package host

import (
	"context"
	"errors"
	"time"

	"xgo.dev/xgo/batch"
	"xgo.dev/xgo/xensim"
)

// ErrNoBatchStore is returned by Batch and Copy when the host's XenStore,
// where pool and domain names live, cannot be reached.
var ErrNoBatchStore = errors.New("the host's XenStore cannot be reached (pool and domain names live there)")

// batchStore is the host's XenStore as package batch needs it.
func (h *Host) batchStore(ctx context.Context) (batch.Store, error) {
	xs, err := h.XenStore(ctx)
	if err != nil {
		return nil, ErrNoBatchStore
	}
	bs, ok := xs.(batch.Store)
	if !ok {
		return nil, ErrNoBatchStore
	}
	return bs, nil
}

// Batch is the host as batch runs and layout applies change it: its
// hypervisor and XenStore, each step traced (Options.Trace).
func (h *Host) Batch(ctx context.Context) (*batch.Host, error) {
	hv, err := h.Hypervisor()
	if err != nil {
		return nil, err
	}
	xs, err := h.batchStore(ctx)
	if err != nil {
		return nil, err
	}
	return &batch.Host{HV: hv, XS: xs, Trace: h.opts.Trace}, nil
}

// Copy is a simulated copy of the host to plan on: the simulated host's
// copy, or the live host read into one (xensim.Capture), which Trace
// times. The caller closes it.
func (h *Host) Copy(ctx context.Context) (*xensim.Sim, error) {
	if h.sim != nil {
		return h.sim.Copy()
	}
	bh, err := h.Batch(ctx)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	cp, err := xensim.Capture(ctx, bh.HV, bh.XS)
	if h.opts.Trace != nil {
		h.opts.Trace("read the host into a simulated copy in " + time.Since(start).Round(time.Millisecond).String())
	}
	return cp, err
}
