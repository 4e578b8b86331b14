//go:build linux

package hypercall

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenGntdev opens /dev/xen/gntdev in dom0 (or a driver domain that
// runs backends). Failures are classified like Open's; a missing device
// means the xen-gntdev module is not loaded.
func OpenGntdev() (*Gntdev, error) {
	return openGntdev(linuxHost(), defaultOptions())
}

func openGntdev(h host, o options) (*Gntdev, error) {
	if _, err := h.checkXen(); err != nil {
		return nil, err
	}
	fd, path, err := h.openDev([]string{h.paths.gntdev}, "xen-gntdev")
	if err != nil {
		return nil, err
	}
	return newGntdev(os.NewFile(uintptr(fd), path), linuxIoctl, linuxMem, traceFor(o))
}

// OpenGntalloc opens /dev/xen/gntalloc. Unlike the other devices it is
// for guests too (a frontend grants its pages to its backend), so it
// only checks that this is Xen.
func OpenGntalloc() (*Gntalloc, error) {
	return openGntalloc(linuxHost(), defaultOptions())
}

func openGntalloc(h host, o options) (*Gntalloc, error) {
	if !h.exists(h.paths.devXen) {
		return nil, newSentinelError(ErrNoXen, "open", "not running on Xen: "+h.paths.devXen+" does not exist")
	}
	fd, path, err := h.openDev([]string{h.paths.gntalloc}, "xen-gntalloc")
	if err != nil {
		return nil, err
	}
	return newGntalloc(os.NewFile(uintptr(fd), path), linuxIoctl, linuxMem, traceFor(o))
}

func traceFor(o options) *tracer {
	if debugEnabled(o.getenv(EnvDebug), "hypercall") {
		return &tracer{w: o.stderr}
	}
	return nil
}

// linuxMem maps the grant devices' pages: always MAP_SHARED (the drivers
// refuse a private writable mapping with EINVAL).
var linuxMem = memFuncs{
	mmap: func(fd uintptr, offset int64, length int, writable bool) ([]byte, syscall.Errno) {
		prot := unix.PROT_READ
		if writable {
			prot |= unix.PROT_WRITE
		}
		b, err := unix.Mmap(int(fd), offset, length, prot, unix.MAP_SHARED)
		if err != nil {
			if errno, ok := err.(syscall.Errno); ok {
				return nil, errno
			}
			return nil, syscall.EINVAL
		}
		return b, 0
	},
	munmap: func(b []byte) syscall.Errno {
		if err := unix.Munmap(b); err != nil {
			if errno, ok := err.(syscall.Errno); ok {
				return errno
			}
			return syscall.EINVAL
		}
		return 0
	},
}
