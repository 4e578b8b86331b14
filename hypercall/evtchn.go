package hypercall

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// Evtchn is an open /dev/xen/evtchn: event channel ports bound to this
// process. Pending ports are read with Pending and must be re-enabled with
// Unmask after they have been handled.
//
// Pending blocks until a port fires; Close or SetReadDeadline interrupt
// it. The bind, unbind and notify methods may be called concurrently with
// Pending.
type Evtchn struct {
	f     *os.File
	rc    syscall.RawConn
	ioctl ioctlFunc
	trace *tracer
}

// ioctlFunc issues one ioctl on fd; the seam tests replace.
type ioctlFunc func(fd, req uintptr, arg unsafe.Pointer) (uintptr, syscall.Errno)

func newEvtchn(f *os.File, ioctl ioctlFunc, trace *tracer) (*Evtchn, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Evtchn{f: f, rc: rc, ioctl: ioctl, trace: trace}, nil
}

// call issues one event channel ioctl and returns its result.
func (e *Evtchn) call(kind Op, op, target string, req uintptr, arg unsafe.Pointer) (uint32, error) {
	var r uintptr
	var errno syscall.Errno
	start := time.Now()
	if err := e.rc.Control(func(fd uintptr) { r, errno = e.ioctl(fd, req, arg) }); err != nil {
		// Control only fails once the file is closed.
		return 0, &OpError{Op: op, Target: target, Err: err, sentinel: ErrClosed}
	}
	e.trace.line(op, target, 0, r, errno, time.Since(start))
	if errno != 0 {
		return 0, newOpError(kind, op, target, errno)
	}
	return uint32(r), nil
}

// BindVIRQ binds a new local port to a global virtual IRQ (VIRQ_*) and
// returns it. A VIRQ can be bound once per domain: binding VIRQPCPUState
// in dom0 normally fails with EEXIST because the kernel's xen-pcpu driver
// holds it; the error says so.
func (e *Evtchn) BindVIRQ(virq uint32) (uint32, error) {
	arg := ioctlEvtchnBindVIRQ{VIRQ: virq}
	return e.call(OpEvtchnBindVIRQ, "evtchn bind_virq", "virq "+strconv.FormatUint(uint64(virq), 10),
		ioctlEvtchnBindVIRQNr, unsafe.Pointer(&arg))
}

// BindInterdomain binds a new local port to a remote domain's unbound
// port and returns it.
func (e *Evtchn) BindInterdomain(domid, remotePort uint32) (uint32, error) {
	arg := ioctlEvtchnBindInterdomain{RemoteDomain: domid, RemotePort: remotePort}
	return e.call(OpEvtchnBindInterdomain, "evtchn bind_interdomain",
		fmt.Sprintf("domain %d, port %d", domid, remotePort), ioctlEvtchnBindInterdomainNr, unsafe.Pointer(&arg))
}

// BindUnboundPort allocates a new local port that domid may bind to, and
// returns it.
func (e *Evtchn) BindUnboundPort(domid uint32) (uint32, error) {
	arg := ioctlEvtchnBindUnboundPort{RemoteDomain: domid}
	return e.call(OpEvtchnBindUnboundPort, "evtchn bind_unbound_port", "domain "+strconv.FormatUint(uint64(domid), 10),
		ioctlEvtchnBindUnboundPortNr, unsafe.Pointer(&arg))
}

// Unbind closes a port bound through this handle.
func (e *Evtchn) Unbind(port uint32) error {
	arg := ioctlEvtchnPort{Port: port}
	_, err := e.call(OpEvtchnUnbind, "evtchn unbind", "port "+strconv.FormatUint(uint64(port), 10),
		ioctlEvtchnUnbindNr, unsafe.Pointer(&arg))
	return err
}

// Notify sends an event on a port bound through this handle.
func (e *Evtchn) Notify(port uint32) error {
	arg := ioctlEvtchnPort{Port: port}
	_, err := e.call(OpEvtchnNotify, "evtchn notify", "port "+strconv.FormatUint(uint64(port), 10),
		ioctlEvtchnNotifyNr, unsafe.Pointer(&arg))
	return err
}

// Pending blocks until at least one bound port has fired and returns the
// ports that have, each once. The driver masks a port when it fires;
// call Unmask after handling it.
func (e *Evtchn) Pending() ([]uint32, error) {
	buf := make([]byte, evtchnMaxReadPorts*evtchnPortSize)
	n, err := e.f.Read(buf)
	if err != nil {
		return nil, e.ioError("evtchn read", err)
	}
	n -= n % evtchnPortSize
	ports := make([]uint32, 0, n/evtchnPortSize)
	for i := 0; i < n; i += evtchnPortSize {
		ports = append(ports, binary.NativeEndian.Uint32(buf[i:]))
	}
	e.trace.line("evtchn read", "", 0, uintptr(len(ports)), 0, 0)
	return ports, nil
}

// Unmask re-enables delivery on ports returned by Pending.
func (e *Evtchn) Unmask(ports ...uint32) error {
	if len(ports) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(ports)*evtchnPortSize)
	for _, p := range ports {
		buf = binary.NativeEndian.AppendUint32(buf, p)
	}
	_, err := e.f.Write(buf)
	e.trace.line("evtchn write (unmask)", "", 0, uintptr(len(ports)), 0, 0)
	if err != nil {
		return e.ioError("evtchn write", err)
	}
	return nil
}

// SetReadDeadline makes a blocked or future Pending return an error
// matching os.ErrDeadlineExceeded after t; the zero time clears it.
func (e *Evtchn) SetReadDeadline(t time.Time) error { return e.f.SetReadDeadline(t) }

// Close unbinds every port of this handle and interrupts Pending.
func (e *Evtchn) Close() error { return e.f.Close() }

func (e *Evtchn) ioError(op string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		oe := newOpError(OpEvtchnIO, op, "", errno)
		if errno == syscall.Errno(27) { // EFBIG: the driver's ring overflowed
			oe.Meaning = "event ring overflowed: events were lost; re-read the state of every port"
		}
		return oe
	}
	if errors.Is(err, os.ErrClosed) {
		return &OpError{Op: op, Err: err, sentinel: ErrClosed}
	}
	return &OpError{Op: op, Err: err}
}
