//go:build !linux

package hypercall

import (
	"context"
	"runtime"
)

// XenCPUUevents receives the kernel's uevents of the xen_cpu bus; only
// Linux has them.
type XenCPUUevents struct{}

// ListenXenCPUUevents fails: xen_cpu uevents exist only on Linux.
func ListenXenCPUUevents() (*XenCPUUevents, error) {
	return nil, newSentinelError(ErrNotSupported, "listen for xen_cpu uevents",
		"xen_cpu uevents are not supported on "+runtime.GOOS)
}

// Next fails: there is no uevent socket off Linux.
func (u *XenCPUUevents) Next(ctx context.Context) (XenCPUUevent, error) {
	return XenCPUUevent{}, newSentinelError(ErrNotSupported, "read xen_cpu uevents",
		"xen_cpu uevents are not supported on "+runtime.GOOS)
}

// Close does nothing.
func (u *XenCPUUevents) Close() error { return nil }
