//go:build linux

package hypercall

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Open opens the hypervisor from dom0: it checks that the host is dom0,
// opens /dev/xen/privcmd (or /proc/xen/privcmd) and /dev/xen/hypercall,
// asks Xen for its version and picks the matching interface versions.
//
// Errors name what is missing in one line and match ErrNoXen, ErrNotDom0
// or ErrPermission; an unsupported Xen release matches ErrNotSupported.
func Open() (*Xen, error) {
	return openXen(linuxHost(), defaultOptions())
}

func linuxHost() host {
	return host{
		paths: defaultPaths,
		open: func(path string) (int, error) {
			return unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		},
		readFile: os.ReadFile,
		exists:   fileExists,
	}
}

func openXen(h host, o options) (*Xen, error) {
	dev, capsKnown, err := openPrivcmd(h)
	if err != nil {
		return nil, err
	}
	x, err := newXen(dev, o)
	if err != nil {
		return nil, err
	}
	if !capsKnown {
		if err := confirmDom0(x); err != nil {
			return nil, err
		}
	}
	x.cleanup = runtime.AddCleanup(x, closeLeaked, cleanupArg{dev: dev, bufs: x.bufs})
	return x, nil
}

// openPrivcmd opens privcmd and the hypercall buffer device. capsKnown
// reports whether /proc/xen/capabilities confirmed dom0.
func openPrivcmd(h host) (dev *privcmdDev, capsKnown bool, err error) {
	capsKnown, err = h.checkXen()
	if err != nil {
		return nil, false, err
	}
	fd, _, err := h.openDev(h.paths.privcmd, "xen-privcmd")
	if err != nil {
		return nil, false, err
	}
	d := &privcmdDev{fd: fd, bufFD: -1, page: unix.Getpagesize()}
	if h.exists(h.paths.hypercall) {
		bfd, err := h.open(h.paths.hypercall)
		if err != nil {
			unix.Close(fd)
			return nil, false, openError(h.paths.hypercall, err)
		}
		d.bufFD = bfd
	}
	// Without /dev/xen/hypercall (Linux < 4.18) alloc falls back to locked
	// anonymous memory, as libxencall does.
	return d, capsKnown, nil
}

// privcmdDev is the real device: privcmd plus its buffer source.
type privcmdDev struct {
	fd    int // /dev/xen/privcmd
	bufFD int // /dev/xen/hypercall, or -1 for the anonymous fallback
	page  int
}

func (d *privcmdDev) hypercall(h *privcmdHypercall) (uintptr, syscall.Errno) {
	// Syscall, not RawSyscall: a hypercall such as a CPU offline can take
	// a long time, and the scheduler must know this thread is blocked.
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(d.fd), ioctlPrivcmdHypercall, uintptr(unsafe.Pointer(h)))
	runtime.KeepAlive(h)
	return r, errno
}

func (d *privcmdDev) alloc(n int) ([]byte, error) {
	if d.bufFD >= 0 {
		// privcmd-buf.c refuses anything but MAP_SHARED with EINVAL; the
		// pages come zeroed.
		return unix.Mmap(d.bufFD, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	}
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_LOCKED)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EPERM) {
			return nil, errors.New("cannot lock memory for hypercall buffers (RLIMIT_MEMLOCK too small; run as root): " + err.Error())
		}
		return nil, err
	}
	if err := unix.Madvise(b, unix.MADV_DONTFORK); err != nil {
		_ = unix.Munmap(b)
		return nil, err
	}
	// Fault every page in now, so Xen never meets an unmapped page.
	for i := 0; i < len(b); i += d.page {
		b[i] = 0
	}
	return b, nil
}

func (d *privcmdDev) free(b []byte) error { return unix.Munmap(b) }

func (d *privcmdDev) pageSize() int { return d.page }

func (d *privcmdDev) close() error {
	var err error
	if d.bufFD >= 0 {
		err = unix.Close(d.bufFD)
		d.bufFD = -1
	}
	if d.fd >= 0 {
		if e := unix.Close(d.fd); err == nil {
			err = e
		}
		d.fd = -1
	}
	return err
}
