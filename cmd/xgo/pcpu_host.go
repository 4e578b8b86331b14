package main

import (
	"context"
	"errors"

	"xgo.dev/xgo/host"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

// xenHost is the host a pCPU, batch or layout command acts on (see
// env.openHost), with its hypervisor open and, best effort, its
// XenStore.
type xenHost struct {
	*host.Host
	hv  hypercall.Hypervisor
	xs  host.Store  // nil when XenStore is not reachable
	sim *xensim.Sim // nil on a real host
}

// openHypervisor returns the hypervisor of the host xgo acts on and a
// function that releases it.
func openHypervisor(e *env, save bool) (hypercall.Hypervisor, func() error, error) {
	h, err := openHost(context.Background(), e, false, save)
	if err != nil {
		return nil, nil, err
	}
	return h.hv, h.Close, nil
}

// openHost opens the host with its hypervisor; withXS also connects to
// its XenStore for pool names (best effort on a real host: a XenStore
// that cannot be reached only costs the names, which -v reports).
func openHost(ctx context.Context, e *env, withXS, save bool) (*xenHost, error) {
	h, err := e.openHost(save)
	if err != nil {
		return nil, err
	}
	hv, err := h.Hypervisor()
	if err != nil {
		return nil, errors.Join(err, h.Close())
	}
	x := &xenHost{Host: h, hv: hv, sim: h.Sim()}
	if withXS {
		xs, err := h.XenStore(ctx)
		switch {
		case err == nil:
			x.xs = xs
		case x.sim != nil:
			return nil, errors.Join(err, h.Close())
		default:
			e.logf("no pool names: %v", err)
		}
	}
	return x, nil
}
