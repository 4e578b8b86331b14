//go:build linux

package hypercall

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeHost lays out a /dev/xen and /proc/xen under a temporary directory;
// which files exist and what opening them does is up to the test.
type fakeHost struct {
	root  string
	paths hostPaths
	errs  map[string]error // open error per path
}

func newFakeHost(t *testing.T) *fakeHost {
	root := t.TempDir()
	return &fakeHost{
		root: root,
		paths: hostPaths{
			devXen:       filepath.Join(root, "dev/xen"),
			procXen:      filepath.Join(root, "proc/xen"),
			privcmd:      []string{filepath.Join(root, "dev/xen/privcmd"), filepath.Join(root, "proc/xen/privcmd")},
			hypercall:    filepath.Join(root, "dev/xen/hypercall"),
			capabilities: filepath.Join(root, "proc/xen/capabilities"),
			evtchn:       filepath.Join(root, "dev/xen/evtchn"),
		},
		errs: map[string]error{},
	}
}

func (h *fakeHost) touch(t *testing.T, path, content string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dom0 makes a complete dom0 layout.
func (h *fakeHost) dom0(t *testing.T) *fakeHost {
	h.touch(t, h.paths.privcmd[0], "")
	h.touch(t, h.paths.hypercall, "")
	h.touch(t, h.paths.evtchn, "")
	h.touch(t, h.paths.capabilities, "control_d\n")
	return h
}

func (h *fakeHost) host() host {
	return host{
		paths: h.paths,
		open: func(path string) (int, error) {
			if err := h.errs[path]; err != nil {
				return -1, err
			}
			return unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
		},
		readFile: os.ReadFile,
		exists:   fileExists,
	}
}

func TestOpenClassification(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(t *testing.T, h *fakeHost)
		sentinel error
		errno    error
		text     string
	}{
		{"no Xen", func(t *testing.T, h *fakeHost) {}, ErrNoXen, nil,
			"open: not running on Xen: neither "},
		{"Xen guest", func(t *testing.T, h *fakeHost) {
			h.touch(t, h.paths.privcmd[0], "")
			h.touch(t, h.paths.capabilities, "")
		}, ErrNotDom0, nil, "does not list control_d (this is a Xen guest)"},
		{"privcmd driver missing", func(t *testing.T, h *fakeHost) {
			h.touch(t, h.paths.capabilities, "control_d\n")
		}, ErrNoXen, nil, "the xen-privcmd driver is not loaded"},
		{"not root", func(t *testing.T, h *fakeHost) {
			h.dom0(t)
			h.errs[h.paths.privcmd[0]] = unix.EACCES
		}, ErrPermission, unix.EACCES, "permission denied: xgo must run as root in dom0"},
		{"not root (EPERM)", func(t *testing.T, h *fakeHost) {
			h.dom0(t)
			h.errs[h.paths.privcmd[0]] = unix.EPERM
		}, ErrPermission, unix.EPERM, "xgo must run as root"},
		{"hypercall device not permitted", func(t *testing.T, h *fakeHost) {
			h.dom0(t)
			h.errs[h.paths.hypercall] = unix.EACCES
		}, ErrPermission, unix.EACCES, "hypercall: permission denied"},
		{"node without driver", func(t *testing.T, h *fakeHost) {
			h.dom0(t)
			h.errs[h.paths.privcmd[0]] = unix.ENODEV
		}, ErrNoXen, unix.ENODEV, "no Xen driver behind the device node"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fh := newFakeHost(t)
			c.setup(t, fh)
			_, _, err := openPrivcmd(fh.host())
			if !errors.Is(err, c.sentinel) {
				t.Fatalf("err = %v, want %v", err, c.sentinel)
			}
			if c.errno != nil && !errors.Is(err, c.errno) {
				t.Errorf("err = %v, want errno %v", err, c.errno)
			}
			if !strings.Contains(err.Error(), c.text) || strings.Contains(err.Error(), "\n") {
				t.Errorf("message %q, want one line containing %q", err, c.text)
			}
			for _, other := range []error{ErrNoXen, ErrNotDom0, ErrPermission} {
				if other != c.sentinel && errors.Is(err, other) {
					t.Errorf("err also matches %v", other)
				}
			}
		})
	}
}

func TestOpenDom0Layout(t *testing.T) {
	fh := newFakeHost(t).dom0(t)
	d, _, err := openPrivcmd(fh.host())
	if err != nil {
		t.Fatal(err)
	}
	if d.fd < 0 || d.bufFD < 0 {
		t.Errorf("fds = %d, %d", d.fd, d.bufFD)
	}
	if err := d.close(); err != nil {
		t.Error(err)
	}
	// /proc/xen/privcmd as the fallback, no hypercall device (Linux < 4.18):
	// buffers come from locked anonymous memory.
	fh = newFakeHost(t)
	fh.touch(t, fh.paths.privcmd[1], "") // and no capabilities file: xenfs not mounted
	d, known, err := openPrivcmd(fh.host())
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if known {
		t.Error("capabilities reported known without control_d check")
	}
	if d.bufFD != -1 {
		t.Errorf("bufFD = %d, want the anonymous fallback", d.bufFD)
	}
	b, err := d.alloc(d.pageSize() * 2)
	if err != nil {
		t.Skipf("anonymous locked mapping not possible here: %v", err)
	}
	if len(b) != 2*d.pageSize() || b[0] != 0 || b[len(b)-1] != 0 {
		t.Errorf("alloc = %d bytes", len(b))
	}
	if err := d.free(b); err != nil {
		t.Error(err)
	}
	// The fake privcmd is a regular file: the ioctl reaches the kernel and
	// fails with ENOTTY, which the choke point reports as unsupported.
	// (qemu-user, used to run the arm64 tests, answers ENOSYS instead.)
	_, errno := d.hypercall(&privcmdHypercall{Op: hypervisorXenVersion})
	if errno != unix.ENOTTY && errno != unix.ENOSYS {
		t.Errorf("ioctl on a regular file: errno %v, want ENOTTY", errno)
	}
}

// TestOpenXenEndToEnd drives Open's whole path on a fake layout: the
// version probe fails with ENOTTY (no privcmd behind a regular file).
func TestOpenXenEndToEnd(t *testing.T) {
	fh := newFakeHost(t).dom0(t)
	_, err := openXen(fh.host(), testOptions(nil, nil))
	if !(errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.ENOSYS)) || !errors.Is(err, ErrNotSupported) {
		t.Errorf("err = %v, want ENOTTY / ErrNotSupported", err)
	}
}

func TestUnsupportedReleaseFailsOpen(t *testing.T) {
	xen := newFakeXen(4)
	xen.minor = 23
	dev := newFakeDev(t, xen)
	_, err := newXen(dev, testOptions(nil, nil))
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "Xen 4.23 is not supported by xgo") {
		t.Errorf("err = %v", err)
	}
	if !dev.closed {
		t.Error("device left open")
	}
}

// TestForcedVersion: XGO_XEN_VERSION picks the table row; a row that does
// not match the hypervisor makes Xen answer EACCES, reported as an
// interface version mismatch.
func TestForcedVersion(t *testing.T) {
	xen := newFakeXen(4)
	xen.minor, xen.sysctlV, xen.domctlV = 23, 0x16, 0x18 // an -unstable tree that kept 4.22's ABI
	x, dev := openFake(t, xen, map[string]string{EnvXenVersion: "4.22"})
	if a := x.ABI(); a.Minor != 22 || !a.Forced {
		t.Errorf("ABI = %+v", a)
	}
	if _, err := x.Physinfo(); err != nil {
		t.Fatal(err)
	}
	if _, err := x.DomainInfo(0); err != nil {
		t.Fatal(err)
	}
	for _, c := range dev.snapshot() {
		if c.op == hypervisorSysctl && view[sysctlOp](c.req).InterfaceVersion != 0x16 {
			t.Errorf("sysctl sent version %#x", view[sysctlOp](c.req).InterfaceVersion)
		}
		if c.op == hypervisorDomctl && view[domctlOp](c.req).InterfaceVersion != 0x18 {
			t.Errorf("domctl sent version %#x", view[domctlOp](c.req).InterfaceVersion)
		}
	}

	x2, _ := openFake(t, xen, map[string]string{EnvXenVersion: "4.19"})
	_, err := x2.Physinfo()
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, unix.EACCES) || !strings.Contains(err.Error(), "interface version mismatch") {
		t.Errorf("wrong forced version: %v", err)
	}
}

func TestTrace(t *testing.T) {
	var buf bytes.Buffer
	xen := newFakeXen(4)
	dev := newFakeDev(t, xen)
	x, err := newXen(dev, testOptions(map[string]string{EnvDebug: "xenstore,hypercall"}, &buf))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.CpupoolRemoveCPU(0, 9) // 9 is not in Pool-0 (4 CPUs)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("trace:\n%s\nwant 2 lines (version probe, rmcpu)", buf.String())
	}
	if !strings.HasPrefix(lines[0], "hypercall: xen_version version = 262161 ") {
		t.Errorf("line 1 = %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "hypercall: sysctl cpupool_op rmcpu [pool 0, cpu 9] = -22 EINVAL ") {
		t.Errorf("line 2 = %q", lines[1])
	}

	buf.Reset()
	x2, _ := openFake(t, newFakeXen(4), map[string]string{EnvDebug: "xenstore"})
	x2.Physinfo()
	if buf.Len() != 0 {
		t.Errorf("traced without hypercall in XGODEBUG: %q", buf.String())
	}
}

// TestBufferPlacement runs every operation and checks, through the fake,
// that the request struct and every nested handle point into hypercall
// memory (fakeDev.mem records any that does not), and that nothing is
// left mapped after Close.
func TestBufferPlacement(t *testing.T) {
	for kind, run := range opRunners {
		xen := newFakeXen(8)
		xen.pools[1] = &fakePool{sched: SchedARINC653, cpus: map[uint32]bool{}}
		xen.pools[2] = &fakePool{sched: SchedRTDS, cpus: map[uint32]bool{7: true}}
		delete(xen.pools[0].cpus, 7)
		xen.addDomain(9, 2, 3)
		dev := newFakeDev(t, xen)
		x, err := newXen(dev, testOptions(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		run(x)
		x.PoolSchedParams(1, SchedARINC653)
		x.SetPoolSchedParams(1, PoolSchedParams{Scheduler: SchedARINC653, ARINC653: &ARINC653Schedule{}})
		x.VCPUSchedParams(9, SchedRTDS, []uint32{0, 1, 2})
		x.SetVCPUSchedParams(9, SchedRTDS, []VCPUSchedParams{{VCPU: 1, PeriodUS: 100, BudgetUS: 50}})
		x.Close()
		if len(dev.violations) != 0 {
			t.Errorf("kind %d: %v", kind, dev.violations)
		}
		if len(dev.regions) != 0 {
			t.Errorf("kind %d: %d buffers mapped after Close", kind, len(dev.regions))
		}
	}
}

// TestPlacementCheckCatchesHeapPointers is the negative control of
// TestBufferPlacement: a handle to Go memory is reported.
func TestPlacementCheckCatchesHeapPointers(t *testing.T) {
	xen := newFakeXen(4)
	dev := newFakeDev(t, xen)
	x, err := newXen(dev, testOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	heap := make([]byte, sizeOf[sysctlOp]())
	err = x.run("test", 0, func(*arena) error {
		return x.sysctl(heap, sysctlCmdPhysinfo, OpPhysinfo, "sysctl physinfo", "")
	})
	if !errors.Is(err, syscall.Errno(unix.EFAULT)) || len(dev.violations) != 1 {
		t.Errorf("err = %v, violations = %v", err, dev.violations)
	}
	dev.violations = nil
}

// TestConfirmDom0 covers hosts without a readable capabilities file: Xen's
// EPERM for sysctl identifies a guest.
func TestConfirmDom0(t *testing.T) {
	dev := newFakeDev(t, newFakeXen(4))
	x, err := newXen(dev, testOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := confirmDom0(x); err != nil {
		t.Fatalf("dom0: %v", err)
	}
	x.Close()

	dev = newFakeDev(t, newFakeXen(4))
	dev.force = func(c fakeCall) syscall.Errno {
		if c.op == hypervisorSysctl {
			return unix.EPERM
		}
		return 0
	}
	x, err = newXen(dev, testOptions(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	err = confirmDom0(x)
	if !errors.Is(err, ErrNotDom0) || !errors.Is(err, unix.EPERM) || errors.Is(err, ErrPermission) {
		t.Errorf("guest: %v, want ErrNotDom0", err)
	}
	if !dev.closed {
		t.Error("handle left open")
	}
}
