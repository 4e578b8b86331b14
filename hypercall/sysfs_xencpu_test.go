package hypercall

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

// fakeXenCPUSysfs lays out a xen_cpu directory: cpu 0 without an online
// file, the others with theirs.
func fakeXenCPUSysfs(t *testing.T, online map[uint32]bool) *XenCPUSysfs {
	t.Helper()
	dir := t.TempDir()
	for cpu, on := range online {
		d := filepath.Join(dir, "xen_cpu"+cpuTarget(cpu)[len("cpu "):])
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if cpu == 0 {
			continue
		}
		v := "0\n"
		if on {
			v = "1\n"
		}
		if err := os.WriteFile(filepath.Join(d, "online"), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Noise the driver does not create, to be ignored.
	for _, n := range []string{"power", "uevent", "xen_cpux", "xen_cpu01"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s, err := OpenXenCPUSysfsAt(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestXenCPUSysfs(t *testing.T) {
	s := fakeXenCPUSysfs(t, map[uint32]bool{0: true, 1: true, 2: false, 10: true})
	cpus, err := s.CPUs()
	if err != nil || !reflect.DeepEqual(cpus, []uint32{0, 1, 2, 10}) {
		t.Fatalf("CPUs() = %v, %v", cpus, err)
	}
	for cpu, want := range map[uint32]bool{0: true, 1: true, 2: false, 10: true} {
		if got, err := s.Online(cpu); err != nil || got != want {
			t.Errorf("Online(%d) = %v, %v; want %v", cpu, got, err, want)
		}
	}
	if _, err := s.Online(3); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Online(3) of an absent cpu: %v, want ErrNotExist", err)
	}

	if err := s.SetOnline(2, true); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.Online(2); !on {
		t.Errorf("after SetOnline(2, true) the file says offline")
	}
	if err := s.SetOnline(1, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(s.Dir(), "xen_cpu1", "online")); string(b) != "0\n" {
		t.Errorf("xen_cpu1/online = %q after writing 0", b)
	}
	for _, cpu := range []uint32{0, 7} {
		err := s.SetOnline(cpu, false)
		var oe *OpError
		if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &oe) || oe.Target != cpuTarget(cpu) {
			t.Errorf("SetOnline(%d, false) = %v, want an OpError matching ErrNotExist", cpu, err)
		}
	}
}

func TestXenCPUSysfsMissing(t *testing.T) {
	_, err := OpenXenCPUSysfsAt(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, ErrNotSupported) {
		t.Errorf("OpenXenCPUSysfsAt(missing) = %v, want ErrNotSupported", err)
	}
}

func TestSysfsErrorPermission(t *testing.T) {
	err := sysfsError("write", "cpu 3", &fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES})
	if !errors.Is(err, ErrPermission) || !errors.Is(err, syscall.EACCES) {
		t.Errorf("EACCES: %v", err)
	}
}

func TestParseXenCPUUevent(t *testing.T) {
	msg := func(parts ...string) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
			b = append(b, 0)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want XenCPUUevent
		ok   bool
	}{
		{"offline", msg("offline@/devices/system/xen_cpu/xen_cpu3", "ACTION=offline",
			"DEVPATH=/devices/system/xen_cpu/xen_cpu3", "SUBSYSTEM=xen_cpu", "SEQNUM=1822"),
			XenCPUUevent{Action: "offline", CPU: 3, DevPath: "/devices/system/xen_cpu/xen_cpu3", Seqnum: 1822}, true},
		{"online, no trailing NUL", []byte("online@/devices/system/xen_cpu/xen_cpu12\x00ACTION=online\x00DEVPATH=/devices/system/xen_cpu/xen_cpu12\x00SUBSYSTEM=xen_cpu"),
			XenCPUUevent{Action: "online", CPU: 12, DevPath: "/devices/system/xen_cpu/xen_cpu12"}, true},
		{"add", msg("add@/devices/system/xen_cpu/xen_cpu4", "ACTION=add", "DEVPATH=/devices/system/xen_cpu/xen_cpu4", "SUBSYSTEM=xen_cpu", "SEQNUM=9"),
			XenCPUUevent{Action: "add", CPU: 4, DevPath: "/devices/system/xen_cpu/xen_cpu4", Seqnum: 9}, true},
		{"the Linux cpu bus", msg("offline@/devices/system/cpu/cpu1", "ACTION=offline", "DEVPATH=/devices/system/cpu/cpu1", "SUBSYSTEM=cpu"), XenCPUUevent{}, false},
		{"no subsystem", msg("online@/devices/system/xen_cpu/xen_cpu3", "ACTION=online"), XenCPUUevent{}, false},
		{"udev", msg("libudev", "ACTION=online", "SUBSYSTEM=xen_cpu", "DEVPATH=/devices/system/xen_cpu/xen_cpu3"), XenCPUUevent{}, false},
		{"bus itself", msg("add@/bus/xen_cpu", "ACTION=add", "DEVPATH=/bus/xen_cpu", "SUBSYSTEM=bus"), XenCPUUevent{}, false},
		{"bad cpu", msg("online@/devices/system/xen_cpu/xen_cpuX", "ACTION=online", "DEVPATH=/devices/system/xen_cpu/xen_cpuX", "SUBSYSTEM=xen_cpu"), XenCPUUevent{}, false},
		{"empty", nil, XenCPUUevent{}, false},
	}
	for _, tt := range tests {
		got, ok := parseXenCPUUevent(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseXenCPUUevent(f *testing.F) {
	f.Add([]byte("offline@/devices/system/xen_cpu/xen_cpu3\x00ACTION=offline\x00DEVPATH=/devices/system/xen_cpu/xen_cpu3\x00SUBSYSTEM=xen_cpu\x00SEQNUM=1\x00"))
	f.Add([]byte("libudev\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, ok := parseXenCPUUevent(b)
		if !ok {
			return
		}
		if ev.Action == "" || ev.DevPath == "" {
			t.Fatalf("accepted %q as %+v", b, ev)
		}
		if cpu, ok := xenCPUDevName(filepath.Base(ev.DevPath)); !ok || cpu != ev.CPU {
			t.Fatalf("cpu %d does not match devpath %q", ev.CPU, ev.DevPath)
		}
	})
}
