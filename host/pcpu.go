package host

import (
	"errors"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
)

// PCPUSysfs returns what pcpu's sysfs path writes through: the kernel's
// xen_cpu files on a real dom0, the platform operations themselves on
// the simulated host (which has no kernel).
func (h *Host) PCPUSysfs() (pcpu.Sysfs, error) {
	if h.sim != nil {
		return pcpu.PlatformOps{H: h.hv}, nil
	}
	return hypercall.OpenXenCPUSysfs()
}

// PCPUUevents returns the kernel's xen_cpu uevents, or nil (and why) when
// a watch of the pCPUs has to poll instead.
func (h *Host) PCPUUevents() (*hypercall.XenCPUUevents, error) {
	if h.sim != nil {
		return nil, errors.New("the simulated host has no kernel uevents")
	}
	return hypercall.ListenXenCPUUevents()
}

// PCPUsEachLook returns a reader of every CPU's state for a watch of the
// pCPUs that opens the host anew for each look: the simulated host lives
// in a state file that other xgo processes change, and holding it open
// would lock them out.
func PCPUsEachLook(open Opener) func() ([]hypercall.PCPUInfo, error) {
	return func() ([]hypercall.PCPUInfo, error) {
		h, err := open(false)
		if err != nil {
			return nil, err
		}
		defer h.Close()
		hv, err := h.Hypervisor()
		if err != nil {
			return nil, err
		}
		return hypercall.ListPCPUs(hv)
	}
}
