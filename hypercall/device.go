package hypercall

import "syscall"

// device is the seam between the typed operations and the kernel: the
// privcmd ioctl and the hypercall-safe memory behind it. The real one is
// in device_linux.go; the unit tests substitute a fake that records the
// request bytes and forces any errno, so every branch runs without Xen.
// It is deliberately unexported: callers outside this package depend on
// the Hypervisor interface instead.
type device interface {
	// hypercall issues one IOCTL_PRIVCMD_HYPERCALL with h and returns the
	// hypercall's result, or the errno (non-zero) it failed with.
	hypercall(h *privcmdHypercall) (uintptr, syscall.Errno)
	// alloc returns n bytes (a multiple of pageSize) of zeroed
	// hypercall-safe memory that stays mapped until free.
	alloc(n int) ([]byte, error)
	// free releases memory from alloc.
	free(b []byte) error
	// pageSize is the allocation granule of alloc.
	pageSize() int
	// close releases the device.
	close() error
}
