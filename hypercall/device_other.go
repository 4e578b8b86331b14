//go:build !linux

package hypercall

import "runtime"

// Open fails: Xen's privcmd interface exists only on Linux.
func Open() (*Xen, error) {
	return nil, newSentinelError(ErrNotSupported, "open", "Xen hypercalls are not supported on "+runtime.GOOS)
}

// OpenEvtchn fails: Xen's event channel device exists only on Linux.
func OpenEvtchn() (*Evtchn, error) {
	return nil, newSentinelError(ErrNotSupported, "open", "Xen event channels are not supported on "+runtime.GOOS)
}
