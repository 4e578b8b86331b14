//go:build linux

package hypercall

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// opRunners runs one operation of each kind on a fake host.
var opRunners = map[Op]func(x *Xen) error{
	OpXenVersion:         func(x *Xen) error { _, err := x.XenVersion(); return err },
	OpMemSharing:         func(x *Xen) error { _, err := x.MemSharing(); return err },
	OpPCITopology:        func(x *Xen) error { _, err := x.PCITopology(); return err },
	OpPCPUInfo:           func(x *Xen) error { _, err := x.PCPUInfo(1); return err },
	OpPlatformCPUOnline:  func(x *Xen) error { return x.PlatformCPUOnline(1) },
	OpPlatformCPUOffline: func(x *Xen) error { return x.PlatformCPUOffline(1) },
	OpPhysinfo:           func(x *Xen) error { _, err := x.Physinfo(); return err },
	OpSchedulerID:        func(x *Xen) error { _, err := x.SchedulerID(); return err },
	OpCPUHotplugOnline: func(x *Xen) error {
		return x.CPUHotplug(HotplugOnline, 1)
	},
	OpCPUHotplugOffline: func(x *Xen) error { return x.CPUHotplug(HotplugOffline, 1) },
	OpCPUHotplugSMT:     func(x *Xen) error { return x.CPUHotplug(HotplugSMTEnable, 0) },
	OpCPUTopology:       func(x *Xen) error { _, err := x.CPUTopology(); return err },
	OpNUMAInfo:          func(x *Xen) error { _, err := x.NUMAInfo(); return err },
	OpCpupoolCreate:     func(x *Xen) error { _, err := x.CpupoolCreate(PoolAny, SchedRTDS); return err },
	OpCpupoolDestroy:    func(x *Xen) error { return x.CpupoolDestroy(1) },
	OpCpupoolInfo:       func(x *Xen) error { _, err := x.CpupoolInfo(0); return err },
	OpCpupoolAddCPU:     func(x *Xen) error { return x.CpupoolAddCPU(1, 2) },
	OpCpupoolRemoveCPU:  func(x *Xen) error { return x.CpupoolRemoveCPU(1, 2) },
	OpCpupoolMoveDomain: func(x *Xen) error { return x.CpupoolMoveDomain(1, 5) },
	OpCpupoolFreeCPUs:   func(x *Xen) error { _, err := x.CpupoolFreeCPUs(); return err },
	OpPoolSchedParams:   func(x *Xen) error { _, err := x.PoolSchedParams(0, SchedCredit2); return err },
	OpDomainInfoList:    func(x *Xen) error { _, err := x.DomainInfoList(0, 10); return err },
	OpDomainInfo:        func(x *Xen) error { _, err := x.DomainInfo(5); return err },
	OpDomainSchedParams: func(x *Xen) error { _, err := x.DomainSchedParams(5, SchedCredit2); return err },
	OpHypfsRead:         func(x *Xen) error { _, err := x.ReadHypfs("/buildinfo/config"); return err },
}

// TestErrnoMeanings forces every errno that has a meaning, for every
// operation, and checks the error's shape: it is an *OpError naming the
// operation, it matches the errno and exactly the sentinel of the table,
// and its text carries the meaning and the errno's name.
func TestErrnoMeanings(t *testing.T) {
	sentinels := []error{ErrNotSupported, ErrNoXen, ErrNotDom0, ErrPermission, ErrClosed}
	for kind, run := range opRunners {
		errnos := map[syscall.Errno]bool{unix.ENOMEM: true, unix.EXDEV: true} // plus two without a meaning
		for e := range opMeanings()[kind] {
			errnos[e] = true
		}
		for e := range familyMeanings()[kind.family()] {
			errnos[e] = true
		}
		for errno := range errnos {
			if isRetried(kind, errno) {
				continue // TestRetries covers those
			}
			x, dev := openFake(t, newFakeXen(4), nil)
			dev.force = func(c fakeCall) syscall.Errno { return errno }
			err := run(x)
			name := ErrnoName(errno)
			var oe *OpError
			if !errors.As(err, &oe) {
				t.Errorf("kind %d, %s: error %v (%T) is not an *OpError", kind, name, err, err)
				continue
			}
			if !errors.Is(err, errno) {
				t.Errorf("kind %d, %s: %v does not match the errno", kind, name, err)
			}
			if e := errors.Unwrap(err); e != errno {
				t.Errorf("kind %d, %s: Unwrap = %v", kind, name, e)
			}
			want := meaningOf(kind, errno)
			for _, s := range sentinels {
				if errors.Is(err, s) != (s == want.sentinel) {
					t.Errorf("kind %d, %s: errors.Is(%v, %v) = %v", kind, name, err, s, !(s == want.sentinel))
				}
			}
			if want.text != "" && !strings.Contains(err.Error(), want.text) {
				t.Errorf("kind %d, %s: %q lacks the meaning %q", kind, name, err, want.text)
			}
			if !strings.Contains(err.Error(), "("+name+")") || oe.Op == "" {
				t.Errorf("kind %d, %s: %q lacks the errno name or op", kind, name, err)
			}
		}
	}
}

func isRetried(k Op, e syscall.Errno) bool {
	switch e {
	case unix.EINTR:
		return true
	case unix.EAGAIN:
		return k >= OpCpupoolCreate && k <= OpCpupoolFreeCPUs
	case unix.EADDRINUSE:
		return k == OpCpupoolRemoveCPU
	case unix.EBUSY:
		return k == OpPCPUInfo
	}
	return false
}

// TestErrorMessages pins the wording of the errors the brief names.
func TestErrorMessages(t *testing.T) {
	cases := []struct {
		kind     Op
		errno    syscall.Errno
		want     string
		sentinel error
	}{
		{OpCpupoolCreate, unix.ENOENT, "sysctl cpupool_op create (any pool, rtds): scheduler not built into this hypervisor (ENOENT)", ErrNotSupported},
		{OpCPUHotplugOffline, unix.ENODEV, "sysctl cpu_hotplug offline (cpu 1): cpu is in a cpupool other than Pool-0; remove it from its pool first (ENODEV)", nil},
		{OpPlatformCPUOffline, unix.ENODEV, "platform_op cpu_offline (cpu 1): cpu is in a cpupool other than Pool-0; remove it from its pool first (ENODEV)", nil},
		{OpCpupoolRemoveCPU, unix.EADDRNOTAVAIL, "sysctl cpupool_op rmcpu (pool 1, cpu 2): cpu is not in that pool (or another removal is still pending) (EADDRNOTAVAIL)", nil},
		{OpPhysinfo, unix.EACCES, "sysctl physinfo: interface version mismatch: this hypervisor speaks another XEN_SYSCTL_INTERFACE_VERSION than xgo chose for it (EACCES)", ErrNotSupported},
		{OpDomainSchedParams, unix.EACCES, "domctl scheduler_op getinfo (domain 5, credit2): interface version mismatch: this hypervisor speaks another XEN_DOMCTL_INTERFACE_VERSION than xgo chose for it (EACCES)", ErrNotSupported},
		{OpPCPUInfo, unix.EACCES, "platform_op get_cpuinfo (cpu 1): interface version mismatch: this hypervisor speaks another XENPF_INTERFACE_VERSION than xgo chose for it (EACCES)", ErrNotSupported},
		{OpCpupoolMoveDomain, unix.EPERM, "sysctl cpupool_op movedomain (pool 1, domain 5): a domain cannot move itself (Domain-0 cannot be moved from dom0) (EPERM)", nil},
		{OpSchedulerID, unix.EPERM, "sysctl sched_id: this domain may not use sysctl (not the control domain, or denied by the XSM policy) (EPERM)", ErrPermission},
	}
	for _, c := range cases {
		x, dev := openFake(t, newFakeXen(4), nil)
		dev.force = func(fakeCall) syscall.Errno { return c.errno }
		err := opRunners[c.kind](x)
		if err == nil || err.Error() != c.want {
			t.Errorf("got  %v\nwant %s", err, c.want)
		}
		if c.sentinel != nil && !errors.Is(err, c.sentinel) {
			t.Errorf("%v does not match %v", err, c.sentinel)
		}
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		run       func(x *Xen) error
		errno     syscall.Errno
		failFirst int  // the call fails this many times
		wantCalls int  // hypercalls issued in total
		wantErr   bool // still failing at the end
	}{
		{"EINTR is retried", func(x *Xen) error { _, err := x.Physinfo(); return err }, unix.EINTR, 3, 4, false},
		{"EINTR gives up", func(x *Xen) error { _, err := x.Physinfo(); return err }, unix.EINTR, 1000, 17, true},
		{"EAGAIN on RMCPU is retried", func(x *Xen) error { return x.CpupoolRemoveCPU(0, 3) }, unix.EAGAIN, 10, 11, false},
		{"EAGAIN on ADDCPU is bounded", func(x *Xen) error { return x.CpupoolAddCPU(0, 3) }, unix.EAGAIN, 100000, 251, true},
		{"EAGAIN elsewhere is not retried", func(x *Xen) error { _, err := x.Physinfo(); return err }, unix.EAGAIN, 1, 1, true},
		{"EADDRINUSE on RMCPU: 5 retries as libxc", func(x *Xen) error { return x.CpupoolRemoveCPU(0, 3) }, unix.EADDRINUSE, 100, 6, true},
		{"EADDRINUSE on RMCPU clears", func(x *Xen) error { return x.CpupoolRemoveCPU(0, 3) }, unix.EADDRINUSE, 2, 3, false},
		{"EBUSY on get_cpuinfo is retried", func(x *Xen) error { _, err := x.PCPUInfo(1); return err }, unix.EBUSY, 5, 6, false},
		{"EBUSY on cpu_hotplug is not retried", func(x *Xen) error { return x.CPUHotplug(HotplugOffline, 1) }, unix.EBUSY, 1, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, dev := openFake(t, newFakeXen(4), nil)
			var sleeps []time.Duration
			x.sleep = func(d time.Duration) { sleeps = append(sleeps, d) }
			n := 0
			dev.force = func(fc fakeCall) syscall.Errno {
				n++
				if n > 1 && string(fc.req) != string(dev.calls[0].req) {
					t.Errorf("retry %d sent different bytes than the first attempt", n-1)
				}
				if n <= c.failFirst {
					return c.errno
				}
				return 0
			}
			dev.reset()
			before := x.Hypercalls()
			err := c.run(x)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if c.wantErr && !errors.Is(err, c.errno) {
				t.Errorf("err = %v, want %v", err, c.errno)
			}
			if got := x.Hypercalls() - before; got != uint64(c.wantCalls) {
				t.Errorf("%d hypercalls, want %d", got, c.wantCalls)
			}
			for _, d := range sleeps {
				if d > maxPause {
					t.Errorf("slept %v > %v", d, maxPause)
				}
			}
		})
	}
}

// TestRetryRestoresRequest: Xen may write into the request before failing;
// the retry must send the original bytes.
func TestRetryRestoresRequest(t *testing.T) {
	x, dev := openFake(t, newFakeXen(4), nil)
	n := 0
	var seen []uint32
	dev.force = func(fc fakeCall) syscall.Errno {
		n++
		req := dev.mem(fc.arg[0], sizeOf[sysctlOp](), "req")
		c := view[sysctlOp](req).cpupoolOp()
		seen = append(seen, c.CPU)
		if n == 1 {
			c.CPU = 99 // scribble, then fail
			return unix.EAGAIN
		}
		return 0
	}
	if err := x.CpupoolRemoveCPU(0, 3); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[1] != 3 {
		t.Errorf("cpu per attempt = %v, want [3 3]", seen)
	}
}

func TestClosed(t *testing.T) {
	x, dev := openFake(t, newFakeXen(4), nil)
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	_, err := x.Physinfo()
	if !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	if !dev.closed {
		t.Error("device not closed")
	}
}

func TestNoErrnoMeaningFallsBackToErrnoText(t *testing.T) {
	x, dev := openFake(t, newFakeXen(4), nil)
	dev.force = func(fakeCall) syscall.Errno { return unix.ENOMEM }
	_, err := x.Physinfo()
	if err == nil || err.Error() != "sysctl physinfo: cannot allocate memory (ENOMEM)" {
		t.Errorf("err = %v", err)
	}
}

// TestNewOpError: a simulator's errors look and match like the real ones.
func TestNewOpError(t *testing.T) {
	x, dev := openFake(t, newFakeXen(4), nil)
	dev.force = func(fakeCall) syscall.Errno { return unix.EADDRNOTAVAIL }
	real := x.CpupoolRemoveCPU(1, 2)
	sim := NewOpError(OpCpupoolRemoveCPU, "pool 1, cpu 2", unix.EADDRNOTAVAIL)
	if real.Error() != sim.Error() {
		t.Errorf("real %q\nsim  %q", real, sim)
	}
	sim = NewOpError(OpCpupoolCreate, "", unix.ENOENT)
	if !errors.Is(sim, ErrNotSupported) || !errors.Is(sim, unix.ENOENT) {
		t.Errorf("%v does not match ErrNotSupported and ENOENT", sim)
	}
	for op := OpXenVersion; op <= OpHypfsRead; op++ {
		if _, ok := opNames()[op]; !ok {
			t.Errorf("Op %d has no name", op)
		}
	}
}
