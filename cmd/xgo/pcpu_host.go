package main

import (
	"context"
	"errors"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
	"xgo.dev/xgo/xensim"
)

// xenHost is the host a pCPU command acts on: this machine's hypervisor
// (and XenStore), or with --sim the simulated host's. Close releases it;
// for a simulated host it saves the state file when the command may have
// changed something (save), and leaves it untouched otherwise.
type xenHost struct {
	hv  hypercall.Hypervisor
	xs  pcpu.XenStore // nil when XenStore is not reachable
	sim *xensim.Sim   // nil on a real host

	closers []func() error // run in reverse order by Close
}

// openHypervisor returns the hypervisor of the host xgo acts on and a
// function that releases it: hypercall.Open on a real host, the simulated
// host's with --sim (whose state is saved by the release when save is
// true).
func openHypervisor(e *env, save bool) (hypercall.Hypervisor, func() error, error) {
	h, err := openHost(context.Background(), e, false, save)
	if err != nil {
		return nil, nil, err
	}
	return h.hv, h.Close, nil
}

// openHost opens the host; withXS also connects to its XenStore for pool
// names (best effort on a real host: a XenStore that cannot be reached
// only costs the names, which -v reports).
func openHost(ctx context.Context, e *env, withXS, save bool) (*xenHost, error) {
	if e.global.Sim {
		s, release, err := e.openSim(save)
		if err != nil {
			return nil, err
		}
		h := &xenHost{hv: s.Host(), sim: s, closers: []func() error{release}}
		if withXS {
			c, err := s.XenStore()
			if err != nil {
				_ = release()
				return nil, err
			}
			h.xs = c
			h.closers = append(h.closers, c.Close)
		}
		return h, nil
	}
	x, err := hypercall.Open()
	if err != nil {
		return nil, explainNoXen(err)
	}
	h := &xenHost{hv: x, closers: []func() error{x.Close}}
	if withXS {
		c, err := e.dialXenstore(ctx)
		if err != nil {
			e.logf("no pool names: %v", err)
		} else {
			h.xs = c
			h.closers = append(h.closers, c.Close)
		}
	}
	return h, nil
}

// Close releases the host.
func (h *xenHost) Close() error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		errs = append(errs, h.closers[i]())
	}
	return errors.Join(errs...)
}

// sysfs returns what --via sysfs writes through: the kernel's xen_cpu
// files on a real dom0, the platform operations themselves on the
// simulated host (which has no kernel).
func (h *xenHost) sysfs() (pcpu.Sysfs, error) {
	if h.sim != nil {
		return pcpu.PlatformOps{H: h.hv}, nil
	}
	return hypercall.OpenXenCPUSysfs()
}

// uevents returns the kernel's xen_cpu uevents, or nil (and why) when
// pcpu-watch has to poll instead.
func (h *xenHost) uevents() (*hypercall.XenCPUUevents, error) {
	if h.sim != nil {
		return nil, errors.New("the simulated host has no kernel uevents")
	}
	return hypercall.ListenXenCPUUevents()
}
