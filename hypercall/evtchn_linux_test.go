//go:build linux

package hypercall

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeEvtchn stands in for /dev/xen/evtchn: a socketpair carries the u32
// port stream (the test writes pending ports into the far end and reads
// unmask writes from it), and the ioctl seam records requests.
type fakeEvtchn struct {
	mu    sync.Mutex
	reqs  []uintptr
	args  [][]byte
	force map[uintptr]syscall.Errno
	next  uint32
	far   *os.File
}

func (f *fakeEvtchn) ioctl(fd, req uintptr, arg unsafe.Pointer) (uintptr, syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	size := (req >> iocSizeShift) & iocSizeMask
	f.reqs = append(f.reqs, req)
	f.args = append(f.args, append([]byte(nil), unsafe.Slice((*byte)(arg), size)...))
	if e := f.force[req]; e != 0 {
		return ^uintptr(0), e
	}
	switch req {
	case ioctlEvtchnBindVIRQNr, ioctlEvtchnBindInterdomainNr, ioctlEvtchnBindUnboundPortNr:
		f.next++
		return uintptr(f.next), 0
	}
	return 0, 0
}

func newTestEvtchn(t *testing.T, trace *tracer) (*Evtchn, *fakeEvtchn) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.SetNonblock(fds[0], true)
	fe := &fakeEvtchn{force: map[uintptr]syscall.Errno{}, next: 40, far: os.NewFile(uintptr(fds[1]), "far")}
	e, err := newEvtchn(os.NewFile(uintptr(fds[0]), "evtchn"), fe.ioctl, trace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); fe.far.Close() })
	return e, fe
}

func TestEvtchnBindAndNotify(t *testing.T) {
	e, fe := newTestEvtchn(t, nil)
	p1, err := e.BindVIRQ(VIRQDomExc)
	if err != nil || p1 != 41 {
		t.Fatalf("BindVIRQ = %d, %v", p1, err)
	}
	p2, err := e.BindInterdomain(7, 12)
	if err != nil || p2 != 42 {
		t.Fatalf("BindInterdomain = %d, %v", p2, err)
	}
	p3, err := e.BindUnboundPort(3)
	if err != nil || p3 != 43 {
		t.Fatalf("BindUnboundPort = %d, %v", p3, err)
	}
	if err := e.Notify(p2); err != nil {
		t.Fatal(err)
	}
	if err := e.Unbind(p1); err != nil {
		t.Fatal(err)
	}
	wantReqs := []uintptr{0x44500, 0x84501, 0x44502, 0x44504, 0x44503}
	wantArgs := []string{
		"03 00 00 00",             // virq = VIRQ_DOM_EXC
		"07 00 00 00 0c 00 00 00", // remote_domain = 7, remote_port = 12
		"03 00 00 00",             // remote_domain = 3
		"2a 00 00 00",             // port = 42
		"29 00 00 00",             // port = 41
	}
	for i := range wantReqs {
		if fe.reqs[i] != wantReqs[i] {
			t.Errorf("ioctl %d = %#x, want %#x", i, fe.reqs[i], wantReqs[i])
		}
		if got := strings.TrimSpace(strings.ReplaceAll(bytesHex(fe.args[i]), "  ", " ")); got != wantArgs[i] {
			t.Errorf("ioctl %d arg = %s, want %s", i, got, wantArgs[i])
		}
	}
}

func bytesHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		const hexd = "0123456789abcdef"
		sb.WriteByte(hexd[c>>4])
		sb.WriteByte(hexd[c&15])
	}
	return sb.String()
}

func TestEvtchnBindPCPUStateEEXIST(t *testing.T) {
	e, fe := newTestEvtchn(t, nil)
	fe.force[ioctlEvtchnBindVIRQNr] = unix.EEXIST
	_, err := e.BindVIRQ(VIRQPCPUState)
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("err = %v, want EEXIST", err)
	}
	msg := err.Error()
	for _, want := range []string{"evtchn bind_virq (virq 9)", "already bound", "xen-pcpu", "VIRQ_PCPU_STATE", "(EEXIST)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestEvtchnPendingAndUnmask(t *testing.T) {
	var trace bytes.Buffer
	e, fe := newTestEvtchn(t, &tracer{w: &trace})
	var in []byte
	for _, p := range []uint32{5, 9, 300} {
		in = binary.NativeEndian.AppendUint32(in, p)
	}
	if _, err := fe.far.Write(in); err != nil {
		t.Fatal(err)
	}
	ports, err := e.Pending()
	if err != nil || len(ports) != 3 || ports[2] != 300 {
		t.Fatalf("Pending = %v, %v", ports, err)
	}
	if err := e.Unmask(ports...); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 12)
	if _, err := fe.far.Read(out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, in) {
		t.Errorf("unmask wrote [% x], want [% x]", out, in)
	}
	if !strings.Contains(trace.String(), "hypercall: evtchn read = 3") {
		t.Errorf("trace = %q", trace.String())
	}
}

func TestEvtchnDeadlineAndClose(t *testing.T) {
	e, _ := newTestEvtchn(t, nil)
	e.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := e.Pending(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	e.SetReadDeadline(time.Time{})
	done := make(chan error)
	go func() { _, err := e.Pending(); done <- err }()
	time.Sleep(10 * time.Millisecond)
	e.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Pending after Close: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt Pending")
	}
	if _, err := e.BindVIRQ(3); !errors.Is(err, ErrClosed) {
		t.Errorf("bind after Close: %v", err)
	}
}

func TestOpenEvtchnClassification(t *testing.T) {
	fh := newFakeHost(t)
	if _, err := openEvtchn(fh.host(), testOptions(nil, nil)); !errors.Is(err, ErrNoXen) {
		t.Errorf("no Xen: %v", err)
	}
	fh.dom0(t)
	fh.errs[fh.paths.evtchn] = unix.EACCES
	if _, err := openEvtchn(fh.host(), testOptions(nil, nil)); !errors.Is(err, ErrPermission) {
		t.Errorf("not root: %v", err)
	}
	delete(fh.errs, fh.paths.evtchn)
	e, err := openEvtchn(fh.host(), testOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// A regular file is not the evtchn driver: the ioctl fails with ENOTTY.
	if _, err := e.BindVIRQ(VIRQDomExc); !errors.Is(err, unix.ENOTTY) && !errors.Is(err, unix.ENOSYS) { // ENOSYS under qemu-user
		t.Errorf("bind on a regular file: %v", err)
	}
}
