//go:build linux

package hypercall

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ueventRcvBuf is the receive buffer asked for the uevent socket: every
// device of the machine shares it, and a burst (a module load, a udev
// trigger) must not push out the few xen_cpu events.
const ueventRcvBuf = 1 << 20

// XenCPUUevents receives the kernel's uevents of the xen_cpu bus from a
// NETLINK_KOBJECT_UEVENT socket bound to the kernel's multicast group. It
// is how a dom0 tool learns of pCPU state changes without polling: the
// kernel's xen-pcpu driver holds VIRQ_PCPU_STATE and turns it into these
// events. Next must not be called concurrently; Close may be called at any
// time.
type XenCPUUevents struct {
	f   *os.File
	rc  syscall.RawConn
	buf []byte
}

// ListenXenCPUUevents opens the uevent socket. It fails with an error
// matching ErrNotSupported when the kernel has no xen_cpu driver (the
// events would never come), and with ErrPermission when the socket may
// not be opened.
func ListenXenCPUUevents() (*XenCPUUevents, error) {
	if _, err := OpenXenCPUSysfs(); err != nil {
		return nil, err
	}
	const op = "listen for xen_cpu uevents"
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, sysfsError(op, "", err)
	}
	// A bigger buffer than the default where we may (root: FORCE).
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, ueventRcvBuf) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, ueventRcvBuf)
	}
	// Group 1 is the kernel's own uevents (group 2 is udev's re-sends).
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		unix.Close(fd)
		return nil, sysfsError(op, "", err)
	}
	f := os.NewFile(uintptr(fd), "netlink:kobject_uevent")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, &OpError{Op: op, Meaning: err.Error()}
	}
	return &XenCPUUevents{f: f, rc: rc, buf: make([]byte, 64<<10)}, nil
}

// Next waits for the next xen_cpu uevent and returns it; uevents of other
// devices, and messages not sent by the kernel, are skipped. It returns
// ctx's error when ctx ends, an error matching ErrUeventsLost when the
// kernel dropped events, and ErrClosed after Close.
func (u *XenCPUUevents) Next(ctx context.Context) (XenCPUUevent, error) {
	for {
		if err := ctx.Err(); err != nil {
			return XenCPUUevent{}, err
		}
		// Wake the blocked read when ctx ends: a deadline in the past
		// interrupts it.
		_ = u.f.SetReadDeadline(time.Time{})
		stop := context.AfterFunc(ctx, func() { _ = u.f.SetReadDeadline(time.Unix(1, 0)) })
		var (
			n     int
			from  unix.Sockaddr
			rerr  error
			errno syscall.Errno
		)
		err := u.rc.Read(func(fd uintptr) bool {
			n, from, rerr = unix.Recvfrom(int(fd), u.buf, 0)
			return !errors.Is(rerr, unix.EAGAIN)
		})
		stop()
		switch {
		case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
			continue // ctx ended (checked at the top), or a stale deadline
		case err != nil && errors.Is(err, os.ErrClosed):
			return XenCPUUevent{}, &OpError{Op: "read xen_cpu uevents", Err: err, sentinel: ErrClosed}
		case err != nil:
			return XenCPUUevent{}, &OpError{Op: "read xen_cpu uevents", Meaning: err.Error()}
		case errors.As(rerr, &errno) && errno == unix.ENOBUFS:
			return XenCPUUevent{}, &OpError{Op: "read xen_cpu uevents", Meaning: ErrUeventsLost.Error(), Err: errno, sentinel: ErrUeventsLost}
		case rerr != nil:
			return XenCPUUevent{}, sysfsError("read xen_cpu uevents", "", rerr)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		if ev, ok := parseXenCPUUevent(u.buf[:n]); ok {
			return ev, nil
		}
	}
}

// Close closes the socket; a blocked Next returns.
func (u *XenCPUUevents) Close() error { return u.f.Close() }
