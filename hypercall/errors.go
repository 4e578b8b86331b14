package hypercall

import (
	"errors"
	"io/fs"
	"strconv"
	"sync"
	"syscall"
)

// Sentinel errors. An *OpError matches at most one of them with errors.Is,
// and also matches its underlying errno (unix.Errno, i.e. syscall.Errno).
// ErrPermission also matches fs.ErrPermission and ErrNotSupported
// errors.ErrUnsupported, as package xenstore's errno sentinels do, so a
// caller tells "permission denied" from either package with one test.
var (
	// ErrNotSupported: the running hypervisor, its build, or the host
	// cannot do what was asked: an unsupported Xen release, an interface
	// version mismatch, a scheduler that is not built in, a CPU without
	// SMT, a GOOS without Xen.
	ErrNotSupported error = &stdSentinel{"not supported", errors.ErrUnsupported}

	// ErrNoXen: the host is not running on Xen at all, or the Xen device
	// drivers are missing (no /dev/xen, no /proc/xen, no privcmd).
	ErrNoXen = errors.New("not running on Xen")

	// ErrNotDom0: running on Xen, but in a guest: /proc/xen/capabilities
	// does not list control_d.
	ErrNotDom0 = errors.New("not running in dom0")

	// ErrPermission: the Xen devices exist but this process may not open
	// them (not root), or Xen refused the operation to this domain.
	ErrPermission error = &stdSentinel{"permission denied", fs.ErrPermission}

	// ErrClosed: the handle was used after Close.
	ErrClosed = errors.New("use of closed Xen handle")
)

// stdSentinel is a sentinel that also matches the standard library's
// error of the same meaning.
type stdSentinel struct {
	msg string
	std error
}

func (e *stdSentinel) Error() string        { return e.msg }
func (e *stdSentinel) Is(target error) bool { return target == e.std }

// OpError is the error of a failed hypercall or device operation. It
// carries what was attempted, Xen's meaning of the error for that
// operation, and the underlying errno.
//
//	errors.Is(err, unix.EADDRNOTAVAIL) // the errno
//	errors.Is(err, hypercall.ErrNotSupported) // the package sentinel, where one applies
//	var oe *hypercall.OpError; errors.As(err, &oe) // the details
type OpError struct {
	// Op names the operation, e.g. "sysctl cpupool_op rmcpu".
	Op string
	// Target names its arguments, e.g. "pool 3, cpu 5"; may be empty.
	Target string
	// Meaning is what Xen means by Err for this operation, in words.
	Meaning string
	// Err is the errno (a syscall.Errno, the type unix.Errno aliases), or
	// nil when the error has no errno (such as an unsupported release).
	Err error

	sentinel error
}

func (e *OpError) Error() string {
	s := e.Op
	if e.Target != "" {
		s += " (" + e.Target + ")"
	}
	msg := e.Meaning
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg == "" && e.sentinel != nil {
		msg = e.sentinel.Error()
	}
	s += ": " + msg
	if errno, ok := e.Err.(syscall.Errno); ok {
		s += " (" + ErrnoName(errno) + ")"
	}
	return s
}

// Unwrap returns the errno.
func (e *OpError) Unwrap() error { return e.Err }

// Is reports whether target is the package sentinel this error belongs to
// (or the standard library error that sentinel matches).
func (e *OpError) Is(target error) bool {
	return e.sentinel != nil && errors.Is(e.sentinel, target)
}

// ErrnoName returns Xen's symbolic name for an errno, e.g. "EBUSY", or
// "errno N" for a number Xen does not name. It reads Xen's errno.h
// numbers on every GOOS; the packages above name errnos with it.
func ErrnoName(e syscall.Errno) string {
	if n, ok := XenErrnoName(e); ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

// XenErrnoName returns Xen's symbolic name for an errno ("EBUSY") and
// whether Xen's errno.h names it.
func XenErrnoName(e syscall.Errno) (string, bool) {
	n, ok := xenErrnoNames[uint64(e)]
	return n, ok
}

// Op names one Xen operation: each Hypervisor method (CPUHotplug split by
// kind) and each Evtchn request. It selects the errno meanings of errors,
// and lets another Hypervisor implementation (package xensim) build the
// same errors as *Xen with NewOpError.
type Op int

// Operations.
const (
	opNone Op = iota
	OpXenVersion
	OpMemSharing
	OpPCPUInfo
	OpPlatformCPUOnline
	OpPlatformCPUOffline
	OpPhysinfo
	OpSchedulerID
	OpCPUHotplugOnline
	OpCPUHotplugOffline
	OpCPUHotplugSMT
	OpCPUTopology
	OpNUMAInfo
	OpPCITopology
	OpCpupoolCreate
	OpCpupoolDestroy
	OpCpupoolInfo
	OpCpupoolAddCPU
	OpCpupoolRemoveCPU
	OpCpupoolMoveDomain
	OpCpupoolFreeCPUs
	OpPoolSchedParams
	OpDomainInfoList
	OpDomainInfo
	OpDomainSchedParams
	OpEvtchnBindVIRQ
	OpEvtchnBindInterdomain
	OpEvtchnBindUnboundPort
	OpEvtchnUnbind
	OpEvtchnNotify
	OpEvtchnIO
	OpGntdevMap
	OpGntdevMmap
	OpGntdevUnmap
	OpGntdevNotify
	OpGntallocAlloc
	OpGntallocDealloc
	OpHypfsRead
)

// family is the hypercall (or device) an Op belongs to; it supplies
// the meanings common to all its sub-operations.
type family int

const (
	famNone family = iota
	famXenVersion
	famMemory
	famPlatform
	famSysctl
	famDomctl
	famEvtchn
	famGrant
	famHypfs
)

func (k Op) family() family {
	switch {
	case k == OpXenVersion:
		return famXenVersion
	case k == OpMemSharing:
		return famMemory
	case k >= OpPCPUInfo && k <= OpPlatformCPUOffline:
		return famPlatform
	case k >= OpPhysinfo && k <= OpDomainInfoList:
		return famSysctl
	case k == OpDomainInfo || k == OpDomainSchedParams:
		return famDomctl
	case k >= OpEvtchnBindVIRQ && k <= OpEvtchnIO:
		return famEvtchn
	case k >= OpGntdevMap && k <= OpGntallocDealloc:
		return famGrant
	case k == OpHypfsRead:
		return famHypfs
	}
	return famNone
}

// meaning is Xen's reading of one errno for one operation.
type meaning struct {
	text     string
	sentinel error
}

// opMeanings are the per-operation meanings, from Xen's sources (see
// xen-abi.md §6 and the functions named in each block).
// They are built on first use (errorMeanings), not at package init:
// every xgo command would pay for them, most never fail.
var opMeanings = sync.OnceValue(func() map[Op]map[syscall.Errno]meaning {
	return map[Op]map[syscall.Errno]meaning{
		// xen/common/hypfs.c do_hypfs_op, hypfs_get_path_user, hypfs_read
		OpHypfsRead: {
			xenENOENT:  {"no such hypfs node (this Xen has no such entry, or was built without the option that adds it)", nil},
			xenENOTDIR: {"a path component is not a directory", nil},
			xenEINVAL:  {"path too long or not NUL-terminated, or buffer shorter than a direntry (an xgo bug)", nil},
			xenENOBUFS: {"the node's contents do not fit the buffer", nil},
		},
		// xen/arch/x86/platform_hypercall.c XENPF_get_cpuinfo
		OpPCPUInfo: {
			xenEBUSY: {"the CPU maps are locked by a CPU hotplug in progress; retry", nil},
		},
		// platform_hypercall.c XENPF_cpu_online, xen/arch/x86/smp.c
		OpPlatformCPUOnline: {
			xenEINVAL: {"cpu is not present or out of range, or the clocksource is TSC", nil},
			xenEPERM:  {"cpu is a secondary SMT thread and Xen runs with smt=0", nil},
			xenEBUSY:  {"another CPU hotplug operation is in progress; retry", nil},
			xenEIO:    {"the cpu failed to come up", nil},
		},
		// platform_hypercall.c XENPF_cpu_offline, xen/common/cpu.c, sched/cpupool.c
		OpPlatformCPUOffline: {
			xenEOPNOTSUPP: {"cpu 0 cannot be taken offline", nil},
			xenEINVAL:     {"cpu is not present or out of range", nil},
			xenENODEV:     {"cpu is in a cpupool other than Pool-0; remove it from its pool first", nil},
			xenEBUSY:      {"cpu is the last cpu of Pool-0 while domains run there, or another CPU hotplug or pool change is in progress", nil},
		},
		// xen/arch/x86/sysctl.c XEN_SYSCTL_cpu_hotplug, xen/common/cpu.c cpu_up
		OpCPUHotplugOnline: {
			xenEINVAL:     {"cpu is not present or out of range", nil},
			xenEEXIST:     {"cpu is already online", nil},
			xenEPERM:      {"cpu is a secondary SMT thread and Xen runs with smt=0", nil},
			xenEBUSY:      {"another CPU hotplug operation is in progress; retry", nil},
			xenEIO:        {"the cpu failed to come up", nil},
			xenEOPNOTSUPP: {"this hypervisor does not support this hotplug operation", ErrNotSupported},
		},
		// sysctl.c XEN_SYSCTL_cpu_hotplug, cpu.c cpu_down, cpupool.c cpupool_cpu_remove_prologue
		OpCPUHotplugOffline: {
			xenEINVAL:     {"cpu 0 cannot be taken offline, or the cpu is not present or out of range", nil},
			xenEEXIST:     {"cpu is already offline", nil},
			xenENODEV:     {"cpu is in a cpupool other than Pool-0; remove it from its pool first", nil},
			xenEBUSY:      {"cpu is the last cpu of Pool-0 while domains run there, or another CPU hotplug or pool change is in progress", nil},
			xenEOPNOTSUPP: {"this hypervisor does not support this hotplug operation", ErrNotSupported},
		},
		// sysctl.c XEN_SYSCTL_CPU_HOTPLUG_SMT_{ENABLE,DISABLE}
		OpCPUHotplugSMT: {
			xenEOPNOTSUPP: {"the CPUs have no SMT (hyper-threading)", ErrNotSupported},
			xenEBUSY:      {"SMT switching is disabled (the scheduler granularity is core or socket); or another hotplug operation is in progress", nil},
		},
		// xen/common/sched/cpupool.c cpupool_do_sysctl CREATE
		OpCpupoolCreate: {
			xenENOENT: {"scheduler not built into this hypervisor", ErrNotSupported},
			xenEEXIST: {"a cpupool with that id already exists", nil},
			xenENOSPC: {"too many cpupools", nil},
			xenENOMEM: {"the hypervisor is out of memory", nil},
		},
		// cpupool.c DESTROY
		OpCpupoolDestroy: {
			xenENOENT: {"cpupool does not exist", nil},
			xenEBUSY:  {"cpupool still has domains or cpus; move the domains and remove the cpus first", nil},
		},
		// cpupool.c INFO
		OpCpupoolInfo: {
			xenENOENT: {"no cpupool with this or a higher id", nil},
		},
		// cpupool.c ADDCPU
		OpCpupoolAddCPU: {
			xenENOENT:        {"cpupool does not exist", nil},
			xenEINVAL:        {"cpu id out of range", nil},
			xenENODEV:        {"cpu is offline, is not free (already in a cpupool), or not all of its scheduling-granularity siblings are free", nil},
			xenEADDRNOTAVAIL: {"cpu is still being moved after an interrupted removal; add it back to the pool it came from first", nil},
			xenEBUSY:         {"cpu is busy in the hypervisor; retry", nil},
		},
		// cpupool.c RMCPU, cpupool_unassign_cpu
		OpCpupoolRemoveCPU: {
			xenENOENT:        {"cpupool does not exist", nil},
			xenEINVAL:        {"cpu id out of range, cpu offline, or cpu 0 of Pool-0 (which can never leave it)", nil},
			xenEADDRNOTAVAIL: {"cpu is not in that pool (or another removal is still pending)", nil},
			xenEBUSY:         {"cpu is the pool's last cpu and the pool still has domains", nil},
			xenEAGAIN:        {"cpu is busy in the hypervisor; retry", nil},
			xenEADDRINUSE:    {"a vCPU is temporarily pinned to this cpu; retry", nil},
		},
		// cpupool.c MOVEDOMAIN, sched_move_domain
		OpCpupoolMoveDomain: {
			xenESRCH:  {"domain does not exist", nil},
			xenEPERM:  {"a domain cannot move itself (Domain-0 cannot be moved from dom0)", nil},
			xenEINVAL: {"domain is not in any cpupool", nil},
			xenENOENT: {"target cpupool does not exist or has no cpus", nil},
			xenEBUSY:  {"a vCPU's affinity is temporarily broken; retry", nil},
		},
		// xen/common/sched/core.c sched_adjust_global, credit.c, credit2.c, arinc653.c
		OpPoolSchedParams: {
			xenESRCH:  {"cpupool does not exist", nil},
			xenEINVAL: {"the scheduler is not the pool's scheduler, or a parameter is out of range", nil},
		},
		// xen/common/domctl.c XEN_DOMCTL_getdomaininfo
		OpDomainInfo: {
			xenESRCH: {"domain does not exist", nil},
		},
		// domctl.c, sched/core.c sched_adjust, credit*.c, rt.c
		OpDomainSchedParams: {
			xenESRCH:  {"domain does not exist", nil},
			xenEINVAL: {"the scheduler is not the one of the domain's cpupool, or a parameter is out of range", nil},
		},
		// xen/common/event_channel.c evtchn_bind_virq
		OpEvtchnBindVIRQ: {
			xenEEXIST: {"VIRQ is already bound in this domain (the dom0 kernel's xen-pcpu driver binds VIRQ_PCPU_STATE itself; watch the xen_cpu uevents or poll instead)", nil},
			xenEINVAL: {"unknown VIRQ, or a per-vCPU VIRQ", nil},
		},
		// event_channel.c evtchn_bind_interdomain
		OpEvtchnBindInterdomain: {
			xenESRCH:  {"remote domain does not exist", nil},
			xenEINVAL: {"remote port is not an unbound port offered to this domain", nil},
		},
		// event_channel.c evtchn_alloc_unbound
		OpEvtchnBindUnboundPort: {
			xenESRCH:  {"remote domain does not exist", nil},
			xenENOSPC: {"no free event channel ports", nil},
		},
		OpEvtchnUnbind: {
			xenENOTTY: {"port is not bound through this handle", nil},
			xenEINVAL: {"port is not bound through this handle", nil},
		},
		OpEvtchnNotify: {
			xenEINVAL: {"port is not bound through this handle", nil},
		},
		// Linux drivers/xen/gntdev.c gntdev_ioctl_map_grant_ref
		OpGntdevMap: {
			xenEINVAL: {"too many grants for the driver's limit (xen_gntdev.limit)", nil},
			xenENOMEM: {"the kernel is out of memory for the grant map", nil},
		},
		// gntdev.c gntdev_mmap, gntdev_map_grant_pages: Xen refused a grant
		OpGntdevMmap: {
			xenEINVAL: {"a grant reference is not valid: not granted to this domain, out of the domain's grant table, read-only while a writable mapping was asked, or the domain is gone", nil},
			xenENOMEM: {"the kernel is out of memory or address space for the mapping", nil},
		},
		// gntdev.c gntdev_ioctl_unmap_grant_ref
		OpGntdevUnmap: {
			xenENOENT: {"no such mapping index on this handle", nil},
			xenEINVAL: {"the memory was not a mapping of this handle", nil},
		},
		// gntdev.c gntdev_ioctl_notify
		OpGntdevNotify: {
			xenEINVAL: {"unknown unmap notification action", nil},
			xenENOENT: {"the offset is not inside a mapping of this handle, or the event channel port is not bound in this process", nil},
		},
		// drivers/xen/gntalloc.c gntalloc_ioctl_alloc
		OpGntallocAlloc: {
			xenENOSPC: {"the driver's limit of granted pages (xen_gntalloc.limit) is reached", nil},
			xenENOMEM: {"out of memory or grant references", nil},
		},
		OpGntallocDealloc: {
			xenEINVAL: {"no such allocation index on this handle", nil},
		},
	}
})

// familyMeanings apply to every operation of a hypercall unless the
// operation has its own meaning for the errno.
var familyMeanings = sync.OnceValue(func() map[family]map[syscall.Errno]meaning {
	return map[family]map[syscall.Errno]meaning{
		famSysctl: {
			xenEACCES: {"interface version mismatch: this hypervisor speaks another XEN_SYSCTL_INTERFACE_VERSION than xgo chose for it", ErrNotSupported},
			xenEPERM:  {"this domain may not use sysctl (not the control domain, or denied by the XSM policy)", ErrPermission},
			xenENOSYS: {"sub-operation not implemented by this hypervisor", ErrNotSupported},
			xenEFAULT: {"Xen could not access the request buffer (an xgo bug)", nil},
		},
		famDomctl: {
			xenEACCES: {"interface version mismatch: this hypervisor speaks another XEN_DOMCTL_INTERFACE_VERSION than xgo chose for it", ErrNotSupported},
			xenEPERM:  {"this domain may not use domctl (not the control domain, or denied by the XSM policy)", ErrPermission},
			xenENOSYS: {"sub-operation not implemented by this hypervisor", ErrNotSupported},
			xenEFAULT: {"Xen could not access the request buffer (an xgo bug)", nil},
		},
		famPlatform: {
			xenEACCES: {"interface version mismatch: this hypervisor speaks another XENPF_INTERFACE_VERSION than xgo chose for it", ErrNotSupported},
			xenEPERM:  {"this domain may not use platform_op (not the control domain, or denied by the XSM policy)", ErrPermission},
			xenENOSYS: {"platform operation not implemented by this hypervisor (x86 only)", ErrNotSupported},
			xenEFAULT: {"Xen could not access the request buffer (an xgo bug)", nil},
		},
		famMemory: {
			xenEPERM:  {"denied by the XSM policy", ErrPermission},
			xenENOSYS: {"not implemented by this hypervisor", ErrNotSupported},
		},
		famXenVersion: {
			xenEPERM:  {"denied by the XSM policy", ErrPermission},
			xenENOSYS: {"not implemented by this hypervisor", ErrNotSupported},
			xenEFAULT: {"Xen could not access the request buffer (an xgo bug)", nil},
		},
		// xen/common/hypfs.c do_hypfs_op; no handler at all without
		// CONFIG_HYPFS.
		famHypfs: {
			xenENOSYS: {"this hypervisor is built without the hypervisor file system (CONFIG_HYPFS)", ErrNotSupported},
			xenEPERM:  {"this domain may not use hypfs (not the control domain, or denied by the XSM policy)", ErrPermission},
			xenEFAULT: {"Xen could not access the request buffer (an xgo bug)", nil},
		},
		famEvtchn: {
			xenEACCES: {"this event channel handle is restricted to one domain", ErrPermission},
			xenEPERM:  {"operation not permitted", ErrPermission},
		},
	}
})

// meaningOf returns Xen's meaning of errno for an operation of kind k.
func meaningOf(k Op, errno syscall.Errno) meaning {
	if m, ok := opMeanings()[k][errno]; ok {
		return m
	}
	if m, ok := familyMeanings()[k.family()][errno]; ok {
		return m
	}
	switch errno {
	case xenENOTTY:
		return meaning{"the device does not know this ioctl (kernel too old, or not a Xen device)", ErrNotSupported}
	case xenEOPNOTSUPP:
		return meaning{"", ErrNotSupported}
	}
	return meaning{}
}

// opNames are the Op fields of the errors NewOpError builds; *Xen adds
// the sub-command where there is one (getinfo, putinfo, ...).
var opNames = sync.OnceValue(func() map[Op]string {
	return map[Op]string{
		OpXenVersion:            "xen_version",
		OpMemSharing:            "memory_op",
		OpPCPUInfo:              "platform_op get_cpuinfo",
		OpPlatformCPUOnline:     "platform_op cpu_online",
		OpPlatformCPUOffline:    "platform_op cpu_offline",
		OpPhysinfo:              "sysctl physinfo",
		OpSchedulerID:           "sysctl sched_id",
		OpCPUHotplugOnline:      "sysctl cpu_hotplug online",
		OpCPUHotplugOffline:     "sysctl cpu_hotplug offline",
		OpCPUHotplugSMT:         "sysctl cpu_hotplug smt",
		OpCPUTopology:           "sysctl cputopoinfo",
		OpNUMAInfo:              "sysctl numainfo",
		OpPCITopology:           "sysctl pcitopoinfo",
		OpCpupoolCreate:         "sysctl cpupool_op create",
		OpCpupoolDestroy:        "sysctl cpupool_op destroy",
		OpCpupoolInfo:           "sysctl cpupool_op info",
		OpCpupoolAddCPU:         "sysctl cpupool_op addcpu",
		OpCpupoolRemoveCPU:      "sysctl cpupool_op rmcpu",
		OpCpupoolMoveDomain:     "sysctl cpupool_op movedomain",
		OpCpupoolFreeCPUs:       "sysctl cpupool_op freeinfo",
		OpPoolSchedParams:       "sysctl scheduler_op",
		OpDomainInfoList:        "sysctl getdomaininfolist",
		OpDomainInfo:            "domctl getdomaininfo",
		OpDomainSchedParams:     "domctl scheduler_op",
		OpEvtchnBindVIRQ:        "evtchn bind_virq",
		OpEvtchnBindInterdomain: "evtchn bind_interdomain",
		OpEvtchnBindUnboundPort: "evtchn bind_unbound_port",
		OpEvtchnUnbind:          "evtchn unbind",
		OpEvtchnNotify:          "evtchn notify",
		OpEvtchnIO:              "evtchn read/write",
		OpGntdevMap:             "gntdev map_grant_ref",
		OpGntdevMmap:            "gntdev mmap",
		OpGntdevUnmap:           "gntdev unmap_grant_ref",
		OpGntdevNotify:          "gntdev set_unmap_notify",
		OpGntallocAlloc:         "gntalloc alloc_gref",
		OpGntallocDealloc:       "gntalloc dealloc_gref",
		OpHypfsRead:             "hypfs_op read",
	}
})

// String returns the operation's name as errors and traces print it,
// e.g. "sysctl cpupool_op rmcpu".
func (o Op) String() string {
	if n, ok := opNames()[o]; ok {
		return n
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// NewOpError returns the error *Xen returns when Xen fails op with errno:
// the same text, Xen's meaning of errno for op, and the same errors.Is
// matches (the errno and, where one applies, a package sentinel). target
// names the arguments as *Xen does, e.g. "pool 3, cpu 5"; it may be
// empty. A simulated hypervisor uses it so that callers cannot tell its
// errors from real ones.
func NewOpError(op Op, target string, errno syscall.Errno) *OpError {
	return newOpError(op, op.String(), target, errno)
}

// newOpError builds the error of operation op on target failing with
// errno.
func newOpError(k Op, op, target string, errno syscall.Errno) *OpError {
	m := meaningOf(k, errno)
	return &OpError{Op: op, Target: target, Meaning: m.text, Err: errno, sentinel: m.sentinel}
}

// newSentinelError builds an error that has a sentinel but no errno.
func newSentinelError(sentinel error, op, meaning string) *OpError {
	return &OpError{Op: op, Meaning: meaning, sentinel: sentinel}
}

// errnoOf returns the errno inside err, or nil.
func errnoOf(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return nil
}
