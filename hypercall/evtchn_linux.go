//go:build linux

package hypercall

import (
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenEvtchn opens /dev/xen/evtchn. Failures are classified like Open's.
func OpenEvtchn() (*Evtchn, error) {
	return openEvtchn(linuxHost(), defaultOptions())
}

func openEvtchn(h host, o options) (*Evtchn, error) {
	if _, err := h.checkXen(); err != nil {
		return nil, err
	}
	fd, path, err := h.openDev([]string{h.paths.evtchn}, "xen-evtchn")
	if err != nil {
		return nil, err
	}
	// Non-blocking, so the runtime poller can wait for events and Close
	// and deadlines can interrupt the wait; the driver supports poll().
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, &OpError{Op: "open " + path, Err: err}
	}
	var trace *tracer
	if debugEnabled(o.getenv(EnvDebug), "hypercall") {
		trace = &tracer{w: o.stderr}
	}
	return newEvtchn(os.NewFile(uintptr(fd), path), linuxIoctl, trace)
}

func linuxIoctl(fd, req uintptr, arg unsafe.Pointer) (uintptr, syscall.Errno) {
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
	return r, errno
}
