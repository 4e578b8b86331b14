//go:build !linux

package hypercall

import "runtime"

// OpenGntdev fails: Xen's grant device exists only on Linux.
func OpenGntdev() (*Gntdev, error) {
	return nil, newSentinelError(ErrNotSupported, "open", "Xen grant mapping is not supported on "+runtime.GOOS)
}

// OpenGntalloc fails: Xen's grant allocation device exists only on Linux.
func OpenGntalloc() (*Gntalloc, error) {
	return nil, newSentinelError(ErrNotSupported, "open", "Xen grant allocation is not supported on "+runtime.GOOS)
}
