package hypercall

import (
	"errors"
	"strconv"
	"syscall"
)

// Sentinel errors. An *OpError matches at most one of them with errors.Is,
// and also matches its underlying errno (unix.Errno, i.e. syscall.Errno).
var (
	// ErrNotSupported: the running hypervisor, its build, or the host
	// cannot do what was asked: an unsupported Xen release, an interface
	// version mismatch, a scheduler that is not built in, a CPU without
	// SMT, a GOOS without Xen.
	ErrNotSupported = errors.New("not supported")

	// ErrNoXen: the host is not running on Xen at all, or the Xen device
	// drivers are missing (no /dev/xen, no /proc/xen, no privcmd).
	ErrNoXen = errors.New("not running on Xen")

	// ErrNotDom0: running on Xen, but in a guest: /proc/xen/capabilities
	// does not list control_d.
	ErrNotDom0 = errors.New("not running in dom0")

	// ErrPermission: the Xen devices exist but this process may not open
	// them (not root), or Xen refused the operation to this domain.
	ErrPermission = errors.New("permission denied")

	// ErrClosed: the handle was used after Close.
	ErrClosed = errors.New("use of closed Xen handle")
)

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
		s += " (" + errnoName(errno) + ")"
	}
	return s
}

// Unwrap returns the errno.
func (e *OpError) Unwrap() error { return e.Err }

// Is reports whether target is the package sentinel this error belongs to.
func (e *OpError) Is(target error) bool {
	return e.sentinel != nil && target == e.sentinel
}

// errnoName returns Xen's symbolic name for an errno, e.g. "EBUSY".
func errnoName(e syscall.Errno) string {
	if n, ok := xenErrnoNames[uint64(e)]; ok {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

// opKind selects the errno meanings of one operation.
type opKind int

const (
	kindNone opKind = iota
	kindXenVersion
	kindPfGetCPUInfo
	kindPfCPUOnline
	kindPfCPUOffline
	kindPhysinfo
	kindSchedID
	kindHotplugOnline
	kindHotplugOffline
	kindHotplugSMT
	kindCputopoinfo
	kindNumainfo
	kindPoolCreate
	kindPoolDestroy
	kindPoolInfo
	kindPoolAddCPU
	kindPoolRmCPU
	kindPoolMoveDomain
	kindPoolFreeInfo
	kindSysSchedOp
	kindDomainInfoList
	kindDomainInfo
	kindDomSchedOp
	kindEvtchnBindVIRQ
	kindEvtchnBindInterdomain
	kindEvtchnBindUnbound
	kindEvtchnUnbind
	kindEvtchnNotify
	kindEvtchnIO
)

// family is the hypercall (or device) an opKind belongs to; it supplies
// the meanings common to all its sub-operations.
type family int

const (
	famNone family = iota
	famXenVersion
	famPlatform
	famSysctl
	famDomctl
	famEvtchn
)

func (k opKind) family() family {
	switch {
	case k == kindXenVersion:
		return famXenVersion
	case k >= kindPfGetCPUInfo && k <= kindPfCPUOffline:
		return famPlatform
	case k >= kindPhysinfo && k <= kindDomainInfoList:
		return famSysctl
	case k == kindDomainInfo || k == kindDomSchedOp:
		return famDomctl
	case k >= kindEvtchnBindVIRQ:
		return famEvtchn
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
var opMeanings = map[opKind]map[syscall.Errno]meaning{
	// xen/arch/x86/platform_hypercall.c XENPF_get_cpuinfo
	kindPfGetCPUInfo: {
		xenEBUSY: {"the CPU maps are locked by a CPU hotplug in progress; retry", nil},
	},
	// platform_hypercall.c XENPF_cpu_online, xen/arch/x86/smp.c
	kindPfCPUOnline: {
		xenEINVAL: {"cpu is not present or out of range, or the clocksource is TSC", nil},
		xenEPERM:  {"cpu is a secondary SMT thread and Xen runs with smt=0", nil},
		xenEBUSY:  {"another CPU hotplug operation is in progress; retry", nil},
		xenEIO:    {"the cpu failed to come up", nil},
	},
	// platform_hypercall.c XENPF_cpu_offline, xen/common/cpu.c, sched/cpupool.c
	kindPfCPUOffline: {
		xenEOPNOTSUPP: {"cpu 0 cannot be taken offline", nil},
		xenEINVAL:     {"cpu is not present or out of range", nil},
		xenENODEV:     {"cpu is in a cpupool other than Pool-0; remove it from its pool first", nil},
		xenEBUSY:      {"cpu is the last cpu of Pool-0 while domains run there, or another CPU hotplug or pool change is in progress", nil},
	},
	// xen/arch/x86/sysctl.c XEN_SYSCTL_cpu_hotplug, xen/common/cpu.c cpu_up
	kindHotplugOnline: {
		xenEINVAL:     {"cpu is not present or out of range", nil},
		xenEEXIST:     {"cpu is already online", nil},
		xenEPERM:      {"cpu is a secondary SMT thread and Xen runs with smt=0", nil},
		xenEBUSY:      {"another CPU hotplug operation is in progress; retry", nil},
		xenEIO:        {"the cpu failed to come up", nil},
		xenEOPNOTSUPP: {"this hypervisor does not support this hotplug operation", ErrNotSupported},
	},
	// sysctl.c XEN_SYSCTL_cpu_hotplug, cpu.c cpu_down, cpupool.c cpupool_cpu_remove_prologue
	kindHotplugOffline: {
		xenEINVAL:     {"cpu 0 cannot be taken offline, or the cpu is not present or out of range", nil},
		xenEEXIST:     {"cpu is already offline", nil},
		xenENODEV:     {"cpu is in a cpupool other than Pool-0; remove it from its pool first", nil},
		xenEBUSY:      {"cpu is the last cpu of Pool-0 while domains run there, or another CPU hotplug or pool change is in progress", nil},
		xenEOPNOTSUPP: {"this hypervisor does not support this hotplug operation", ErrNotSupported},
	},
	// sysctl.c XEN_SYSCTL_CPU_HOTPLUG_SMT_{ENABLE,DISABLE}
	kindHotplugSMT: {
		xenEOPNOTSUPP: {"the CPUs have no SMT (hyper-threading)", ErrNotSupported},
		xenEBUSY:      {"SMT switching is disabled (the scheduler granularity is core or socket); or another hotplug operation is in progress", nil},
	},
	// xen/common/sched/cpupool.c cpupool_do_sysctl CREATE
	kindPoolCreate: {
		xenENOENT: {"scheduler not built into this hypervisor", ErrNotSupported},
		xenEEXIST: {"a cpupool with that id already exists", nil},
		xenENOSPC: {"too many cpupools", nil},
		xenENOMEM: {"the hypervisor is out of memory", nil},
	},
	// cpupool.c DESTROY
	kindPoolDestroy: {
		xenENOENT: {"cpupool does not exist", nil},
		xenEBUSY:  {"cpupool still has domains or cpus; move the domains and remove the cpus first", nil},
	},
	// cpupool.c INFO
	kindPoolInfo: {
		xenENOENT: {"no cpupool with this or a higher id", nil},
	},
	// cpupool.c ADDCPU
	kindPoolAddCPU: {
		xenENOENT:        {"cpupool does not exist", nil},
		xenEINVAL:        {"cpu id out of range", nil},
		xenENODEV:        {"cpu is offline, is not free (already in a cpupool), or not all of its scheduling-granularity siblings are free", nil},
		xenEADDRNOTAVAIL: {"cpu is still being moved after an interrupted removal; add it back to the pool it came from first", nil},
		xenEBUSY:         {"cpu is busy in the hypervisor; retry", nil},
	},
	// cpupool.c RMCPU, cpupool_unassign_cpu
	kindPoolRmCPU: {
		xenENOENT:        {"cpupool does not exist", nil},
		xenEINVAL:        {"cpu id out of range, cpu offline, or cpu 0 of Pool-0 (which can never leave it)", nil},
		xenEADDRNOTAVAIL: {"cpu is not in that pool (or another removal is still pending)", nil},
		xenEBUSY:         {"cpu is the pool's last cpu and the pool still has domains", nil},
		xenEAGAIN:        {"cpu is busy in the hypervisor; retry", nil},
		xenEADDRINUSE:    {"a vCPU is temporarily pinned to this cpu; retry", nil},
	},
	// cpupool.c MOVEDOMAIN, sched_move_domain
	kindPoolMoveDomain: {
		xenESRCH:  {"domain does not exist", nil},
		xenEPERM:  {"a domain cannot move itself (Domain-0 cannot be moved from dom0)", nil},
		xenEINVAL: {"domain is not in any cpupool", nil},
		xenENOENT: {"target cpupool does not exist or has no cpus", nil},
		xenEBUSY:  {"a vCPU's affinity is temporarily broken; retry", nil},
	},
	// xen/common/sched/core.c sched_adjust_global, credit.c, credit2.c, arinc653.c
	kindSysSchedOp: {
		xenESRCH:  {"cpupool does not exist", nil},
		xenEINVAL: {"the scheduler is not the pool's scheduler, or a parameter is out of range", nil},
	},
	// xen/common/domctl.c XEN_DOMCTL_getdomaininfo
	kindDomainInfo: {
		xenESRCH: {"domain does not exist", nil},
	},
	// domctl.c, sched/core.c sched_adjust, credit*.c, rt.c
	kindDomSchedOp: {
		xenESRCH:  {"domain does not exist", nil},
		xenEINVAL: {"the scheduler is not the one of the domain's cpupool, or a parameter is out of range", nil},
	},
	// xen/common/event_channel.c evtchn_bind_virq
	kindEvtchnBindVIRQ: {
		xenEEXIST: {"VIRQ is already bound in this domain (the dom0 kernel's xen-pcpu driver binds VIRQ_PCPU_STATE itself; watch the xen_cpu uevents or poll instead)", nil},
		xenEINVAL: {"unknown VIRQ, or a per-vCPU VIRQ", nil},
	},
	// event_channel.c evtchn_bind_interdomain
	kindEvtchnBindInterdomain: {
		xenESRCH:  {"remote domain does not exist", nil},
		xenEINVAL: {"remote port is not an unbound port offered to this domain", nil},
	},
	// event_channel.c evtchn_alloc_unbound
	kindEvtchnBindUnbound: {
		xenESRCH:  {"remote domain does not exist", nil},
		xenENOSPC: {"no free event channel ports", nil},
	},
	kindEvtchnUnbind: {
		xenENOTTY: {"port is not bound through this handle", nil},
		xenEINVAL: {"port is not bound through this handle", nil},
	},
	kindEvtchnNotify: {
		xenEINVAL: {"port is not bound through this handle", nil},
	},
}

// familyMeanings apply to every operation of a hypercall unless the
// operation has its own meaning for the errno.
var familyMeanings = map[family]map[syscall.Errno]meaning{
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
	famXenVersion: {
		xenEPERM:  {"denied by the XSM policy", ErrPermission},
		xenENOSYS: {"not implemented by this hypervisor", ErrNotSupported},
		xenEFAULT: {"Xen could not access the request buffer (an xgo bug)", nil},
	},
	famEvtchn: {
		xenEACCES: {"this event channel handle is restricted to one domain", ErrPermission},
		xenEPERM:  {"operation not permitted", ErrPermission},
	},
}

// meaningOf returns Xen's meaning of errno for an operation of kind k.
func meaningOf(k opKind, errno syscall.Errno) meaning {
	if m, ok := opMeanings[k][errno]; ok {
		return m
	}
	if m, ok := familyMeanings[k.family()][errno]; ok {
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

// newOpError builds the error of operation op on target failing with
// errno.
func newOpError(k opKind, op, target string, errno syscall.Errno) *OpError {
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
