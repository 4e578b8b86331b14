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
