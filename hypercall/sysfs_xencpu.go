package hypercall

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Linux's xen_cpu driver (drivers/xen/pcpu.c, ABI documented in
// Documentation/ABI/stable/sysfs-devices-system-xen_cpu) gives dom0 one
// device per present physical CPU, /sys/devices/system/xen_cpu/xen_cpuN,
// where N is Xen's CPU id. Every device but xen_cpu0 has an "online" file:
// reading it gives the state the driver last saw ("0\n" or "1\n"), and
// writing 0 or 1 issues XENPF_cpu_offline or XENPF_cpu_online, whose errno
// the write returns. The driver refreshes its cached state when Xen raises
// VIRQ_PCPU_STATE, asynchronously, and then emits a KOBJ_ONLINE or
// KOBJ_OFFLINE uevent; a CPU that appears or goes away gets KOBJ_ADD or
// KOBJ_REMOVE.

// XenCPUSysfsDir is where Linux lists Xen's physical CPUs.
const XenCPUSysfsDir = "/sys/devices/system/xen_cpu"

// XenCPUSysfs is the xen_cpu sysfs directory of a dom0 kernel.
type XenCPUSysfs struct {
	dir string
}

// OpenXenCPUSysfs checks that the kernel has the xen_cpu driver (Linux
// dom0 with CONFIG_XEN_DOM0) and returns its sysfs directory. Without it
// the error matches ErrNotSupported.
func OpenXenCPUSysfs() (*XenCPUSysfs, error) { return OpenXenCPUSysfsAt(XenCPUSysfsDir) }

// OpenXenCPUSysfsAt is OpenXenCPUSysfs for a directory laid out like
// XenCPUSysfsDir (tests use a temporary one).
func OpenXenCPUSysfsAt(dir string) (*XenCPUSysfs, error) {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return nil, newSentinelError(ErrNotSupported, "open "+dir,
			"the kernel has no xen_cpu driver (not a Linux dom0, or built without CONFIG_XEN_DOM0)")
	}
	return &XenCPUSysfs{dir: dir}, nil
}

// Dir returns the directory.
func (s *XenCPUSysfs) Dir() string { return s.dir }

// cpuDir returns the device directory of cpu.
func (s *XenCPUSysfs) cpuDir(cpu uint32) string {
	return filepath.Join(s.dir, "xen_cpu"+strconv.FormatUint(uint64(cpu), 10))
}

// CPUs returns the ids of the CPUs the driver lists, that is the present
// ones, in ascending order.
func (s *XenCPUSysfs) CPUs() ([]uint32, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, sysfsError("read "+s.dir, "", err)
	}
	var out []uint32
	for _, e := range ents {
		if cpu, ok := xenCPUDevName(e.Name()); ok {
			out = append(out, cpu)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// Online reads cpu's online file: the state the driver last saw, which
// may lag behind Xen's for a moment after a change. CPU 0 has no online
// file and is always online. A CPU the driver does not list (not present)
// is an error matching fs.ErrNotExist.
func (s *XenCPUSysfs) Online(cpu uint32) (bool, error) {
	dir := s.cpuDir(cpu)
	b, err := os.ReadFile(filepath.Join(dir, "online"))
	if err == nil {
		switch string(bytes.TrimSpace(b)) {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return false, &OpError{Op: "read " + filepath.Join(dir, "online"), Target: cpuTarget(cpu),
			Meaning: "unexpected content " + strconv.Quote(string(b))}
	}
	if errors.Is(err, fs.ErrNotExist) && cpu == 0 {
		if _, derr := os.Stat(dir); derr == nil {
			return true, nil // xen_cpu0 has no online file: Xen never offlines it
		}
	}
	return false, sysfsError("read "+filepath.Join(dir, "online"), cpuTarget(cpu), err)
}

// SetOnline writes 1 (online) or 0 (offline) to cpu's online file, which
// makes the kernel issue XENPF_cpu_online or XENPF_cpu_offline. Unlike
// XEN_SYSCTL_cpu_hotplug, a CPU already in the requested state is not an
// error. Errors carry the platform operation's errno and meaning (EBUSY,
// ENODEV, EINVAL, ... as PlatformCPUOnline and PlatformCPUOffline report
// them); a CPU without an online file (not present, or CPU 0) matches
// fs.ErrNotExist.
func (s *XenCPUSysfs) SetOnline(cpu uint32, online bool) error {
	path := filepath.Join(s.cpuDir(cpu), "online")
	kind, val := OpPlatformCPUOffline, "0"
	if online {
		kind, val = OpPlatformCPUOnline, "1"
	}
	op := "write " + val + " to " + path
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			meaning := "cpu is not present (the xen_cpu driver lists no such device)"
			if cpu == 0 {
				meaning = "cpu 0 has no online file: Xen never takes it offline"
			}
			return &OpError{Op: op, Target: cpuTarget(cpu), Meaning: meaning, Err: syscall.ENOENT}
		}
		return sysfsError(op, cpuTarget(cpu), err)
	}
	defer f.Close()
	if _, err := f.Write([]byte(val)); err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			return &OpError{Op: op, Target: cpuTarget(cpu), Meaning: err.Error()}
		}
		e := newOpError(kind, op, cpuTarget(cpu), errno)
		if errno == syscall.Errno(xenEPERM) {
			// The driver itself answers EPERM without CAP_SYS_ADMIN.
			e.Meaning = "this process lacks CAP_SYS_ADMIN, or (online) the cpu is a secondary SMT thread and Xen runs with smt=0"
			e.sentinel = nil
		}
		return e
	}
	return nil
}

// sysfsError converts a file error of the sysfs interface.
func sysfsError(op, target string, err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return &OpError{Op: op, Target: target, Meaning: err.Error()}
	}
	switch errno {
	case syscall.Errno(xenEACCES), syscall.Errno(xenEPERM):
		return &OpError{Op: op, Target: target, Meaning: "permission denied: xgo must run as root in dom0", Err: errno, sentinel: ErrPermission}
	case syscall.Errno(xenENOENT):
		return &OpError{Op: op, Target: target, Meaning: "cpu is not present (the xen_cpu driver lists no such device)", Err: errno}
	}
	return &OpError{Op: op, Target: target, Err: errno}
}

// xenCPUDevName parses a device name "xen_cpuN".
func xenCPUDevName(name string) (uint32, bool) {
	num, ok := strings.CutPrefix(name, "xen_cpu")
	if !ok || num == "" || (len(num) > 1 && num[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(n), true
}

// XenCPUUevent is one kernel uevent of the xen_cpu bus.
type XenCPUUevent struct {
	// Action is the kobject action: "online", "offline", "add" or
	// "remove" (other actions are passed on as they come).
	Action string
	// CPU is Xen's id of the CPU, from the device name.
	CPU uint32
	// DevPath is the device's path below /sys, e.g.
	// /devices/system/xen_cpu/xen_cpu3.
	DevPath string
	// Seqnum is the kernel's uevent sequence number (0 if absent).
	Seqnum uint64
}

// ErrUeventsLost is returned by XenCPUUevents.Next when the kernel
// dropped uevents because the socket's buffer was full (ENOBUFS): the
// caller has missed changes and should read the state afresh. The error
// also matches syscall.ENOBUFS. The listener stays usable.
var ErrUeventsLost = errors.New("kernel uevents were lost: the socket's receive buffer overflowed")

// parseXenCPUUevent decodes one kernel uevent datagram,
// "ACTION@DEVPATH\0KEY=VALUE\0...", and reports whether it is an event of
// the xen_cpu bus. Messages from udev ("libudev" header) are not kernel
// uevents and are rejected.
func parseXenCPUUevent(b []byte) (XenCPUUevent, bool) {
	var ev XenCPUUevent
	fields := bytes.Split(b, []byte{0})
	if len(fields) < 2 {
		return ev, false
	}
	head := string(fields[0])
	action, devpath, ok := strings.Cut(head, "@")
	if !ok || action == "" || devpath == "" {
		return ev, false
	}
	subsystem := ""
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(string(f), "=")
		if !ok {
			continue
		}
		switch k {
		case "ACTION":
			action = v
		case "DEVPATH":
			devpath = v
		case "SUBSYSTEM":
			subsystem = v
		case "SEQNUM":
			if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				ev.Seqnum = n
			}
		}
	}
	if subsystem != "xen_cpu" {
		return ev, false
	}
	cpu, ok := xenCPUDevName(devpath[strings.LastIndexByte(devpath, '/')+1:])
	if !ok {
		return ev, false
	}
	ev.Action, ev.DevPath, ev.CPU = action, devpath, cpu
	return ev, true
}
