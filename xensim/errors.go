package xensim

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"xgo.dev/xgo/hypercall"
)

// Xen's errno values (xen/include/public/errno.h). They equal Linux's x86
// values, which is what privcmd hands back; like package hypercall, the
// simulator uses Xen's numbers on every GOOS so that its errors carry the
// same syscall.Errno as the real ones.
const (
	ePERM         = syscall.Errno(1)
	eNOENT        = syscall.Errno(2)
	eSRCH         = syscall.Errno(3)
	eINTR         = syscall.Errno(4)
	eIO           = syscall.Errno(5)
	eAGAIN        = syscall.Errno(11)
	eNOMEM        = syscall.Errno(12)
	eACCES        = syscall.Errno(13)
	eFAULT        = syscall.Errno(14)
	eBUSY         = syscall.Errno(16)
	eEXIST        = syscall.Errno(17)
	eNODEV        = syscall.Errno(19)
	eINVAL        = syscall.Errno(22)
	eNOSPC        = syscall.Errno(28)
	eNOSYS        = syscall.Errno(38)
	eOPNOTSUPP    = syscall.Errno(95)
	eADDRINUSE    = syscall.Errno(98)
	eADDRNOTAVAIL = syscall.Errno(99)
)

// errnoNames are the names ParseErrno and ErrnoName know: the errnos of
// xen-abi.md §2.1 plus the few the hypercall layer also names.
var errnoNames = []struct {
	name  string
	errno syscall.Errno
}{
	{"EPERM", ePERM},
	{"ENOENT", eNOENT},
	{"ESRCH", eSRCH},
	{"EINTR", eINTR},
	{"EIO", eIO},
	{"E2BIG", syscall.Errno(7)},
	{"EAGAIN", eAGAIN},
	{"ENOMEM", eNOMEM},
	{"EACCES", eACCES},
	{"EFAULT", eFAULT},
	{"EBUSY", eBUSY},
	{"EEXIST", eEXIST},
	{"ENODEV", eNODEV},
	{"EINVAL", eINVAL},
	{"ENOSPC", eNOSPC},
	{"ENOSYS", eNOSYS},
	{"ENODATA", syscall.Errno(61)},
	{"EOPNOTSUPP", eOPNOTSUPP},
	{"EADDRINUSE", eADDRINUSE},
	{"EADDRNOTAVAIL", eADDRNOTAVAIL},
}

// ParseErrno reads an errno given by Xen name ("EBUSY", case-insensitive)
// or by number ("16").
func ParseErrno(s string) (syscall.Errno, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	for _, e := range errnoNames {
		if e.name == t {
			return e.errno, nil
		}
	}
	if n, err := strconv.ParseUint(t, 10, 16); err == nil && n > 0 {
		return syscall.Errno(n), nil
	}
	return 0, fmt.Errorf("unknown errno %q (want a name such as EBUSY or a positive number)", s)
}

// ErrnoName returns Xen's name of e ("EBUSY"), or its number.
func ErrnoName(e syscall.Errno) string {
	for _, n := range errnoNames {
		if n.errno == e {
			return n.name
		}
	}
	return strconv.Itoa(int(e))
}

// meaning is Xen's reading of one errno for one operation.
type meaning struct {
	text     string
	sentinel error
}

// meanings are the texts package hypercall gives the same errnos for the
// same operations (hypercall/errors.go opMeanings), so that an error of the
// simulator reads like the real one.
//
// TODO(hypercall): this table duplicates hypercall's; it goes away once
// hypercall exports a constructor such as
// NewOpError(op, target string, errno syscall.Errno) *OpError.
var meanings = map[Op]map[syscall.Errno]meaning{
	OpGetCPUInfo: {
		eBUSY: {"the CPU maps are locked by a CPU hotplug in progress; retry", nil},
	},
	OpPfCPUOnline: {
		eINVAL: {"cpu is not present or out of range, or the clocksource is TSC", nil},
		ePERM:  {"cpu is a secondary SMT thread and Xen runs with smt=0", nil},
		eBUSY:  {"another CPU hotplug operation is in progress; retry", nil},
		eIO:    {"the cpu failed to come up", nil},
	},
	OpPfCPUOffline: {
		eOPNOTSUPP: {"cpu 0 cannot be taken offline", nil},
		eINVAL:     {"cpu is not present or out of range", nil},
		eNODEV:     {"cpu is in a cpupool other than Pool-0; remove it from its pool first", nil},
		eBUSY:      {"cpu is the last cpu of Pool-0 while domains run there, or another CPU hotplug or pool change is in progress", nil},
	},
	OpHotplugOnline: {
		eINVAL:     {"cpu is not present or out of range", nil},
		eEXIST:     {"cpu is already online", nil},
		ePERM:      {"cpu is a secondary SMT thread and Xen runs with smt=0", nil},
		eBUSY:      {"another CPU hotplug operation is in progress; retry", nil},
		eIO:        {"the cpu failed to come up", nil},
		eOPNOTSUPP: {"this hypervisor does not support this hotplug operation", hypercall.ErrNotSupported},
	},
	OpHotplugOffline: {
		eINVAL:     {"cpu 0 cannot be taken offline, or the cpu is not present or out of range", nil},
		eEXIST:     {"cpu is already offline", nil},
		eNODEV:     {"cpu is in a cpupool other than Pool-0; remove it from its pool first", nil},
		eBUSY:      {"cpu is the last cpu of Pool-0 while domains run there, or another CPU hotplug or pool change is in progress", nil},
		eOPNOTSUPP: {"this hypervisor does not support this hotplug operation", hypercall.ErrNotSupported},
	},
	OpHotplugSMTEnable: {
		eOPNOTSUPP: {"the CPUs have no SMT (hyper-threading)", hypercall.ErrNotSupported},
		eBUSY:      {"SMT switching is disabled (the scheduler granularity is core or socket); or another hotplug operation is in progress", nil},
	},
	OpHotplugSMTDisable: {
		eOPNOTSUPP: {"the CPUs have no SMT (hyper-threading)", hypercall.ErrNotSupported},
		eBUSY:      {"SMT switching is disabled (the scheduler granularity is core or socket); or another hotplug operation is in progress", nil},
	},
	OpPoolCreate: {
		eNOENT: {"scheduler not built into this hypervisor", hypercall.ErrNotSupported},
		eEXIST: {"a cpupool with that id already exists", nil},
		eNOSPC: {"too many cpupools", nil},
		eNOMEM: {"the hypervisor is out of memory", nil},
	},
	OpPoolDestroy: {
		eNOENT: {"cpupool does not exist", nil},
		eBUSY:  {"cpupool still has domains or cpus; move the domains and remove the cpus first", nil},
	},
	OpPoolInfo: {
		eNOENT: {"no cpupool with this or a higher id", nil},
	},
	OpPoolAddCPU: {
		eNOENT:        {"cpupool does not exist", nil},
		eINVAL:        {"cpu id out of range", nil},
		eNODEV:        {"cpu is offline, is not free (already in a cpupool), or not all of its scheduling-granularity siblings are free", nil},
		eADDRNOTAVAIL: {"cpu is still being moved after an interrupted removal; add it back to the pool it came from first", nil},
		eBUSY:         {"cpu is busy in the hypervisor; retry", nil},
	},
	OpPoolRmCPU: {
		eNOENT:        {"cpupool does not exist", nil},
		eINVAL:        {"cpu id out of range, cpu offline, or cpu 0 of Pool-0 (which can never leave it)", nil},
		eADDRNOTAVAIL: {"cpu is not in that pool (or another removal is still pending)", nil},
		eBUSY:         {"cpu is the pool's last cpu and the pool still has domains", nil},
		eAGAIN:        {"cpu is busy in the hypervisor; retry", nil},
		eADDRINUSE:    {"a vCPU is temporarily pinned to this cpu; retry", nil},
	},
	OpPoolMoveDomain: {
		eSRCH:  {"domain does not exist", nil},
		ePERM:  {"a domain cannot move itself (Domain-0 cannot be moved from dom0)", nil},
		eINVAL: {"domain is not in any cpupool", nil},
		eNOENT: {"target cpupool does not exist or has no cpus", nil},
		eBUSY:  {"a vCPU's affinity is temporarily broken; retry", nil},
	},
	OpPoolSchedGet: {
		eSRCH:  {"cpupool does not exist", nil},
		eINVAL: {"the scheduler is not the pool's scheduler, or a parameter is out of range", nil},
	},
	OpPoolSchedPut: {
		eSRCH:  {"cpupool does not exist", nil},
		eINVAL: {"the scheduler is not the pool's scheduler, or a parameter is out of range", nil},
	},
	OpDomainInfo: {
		eSRCH: {"domain does not exist", nil},
	},
}

// domSchedMeanings apply to the four domctl scheduler_op operations.
var domSchedMeanings = map[syscall.Errno]meaning{
	eSRCH:  {"domain does not exist", nil},
	eINVAL: {"the scheduler is not the one of the domain's cpupool, or a parameter is out of range", nil},
}

// familyMeaning is what package hypercall says of an errno for any
// operation of a hypercall family.
func familyMeaning(op Op, errno syscall.Errno) (meaning, bool) {
	fam := strings.SplitN(string(op), " ", 2)[0]
	switch {
	case errno == eACCES && fam != "xen_version":
		return meaning{"interface version mismatch: this hypervisor speaks another interface version than xgo chose for it", hypercall.ErrNotSupported}, true
	case errno == ePERM:
		return meaning{"this domain may not use " + fam + " (not the control domain, or denied by the XSM policy)", hypercall.ErrPermission}, true
	case errno == eNOSYS:
		return meaning{"sub-operation not implemented by this hypervisor", hypercall.ErrNotSupported}, true
	case errno == eFAULT:
		return meaning{"Xen could not access the request buffer (an xgo bug)", nil}, true
	case errno == eOPNOTSUPP:
		return meaning{"", hypercall.ErrNotSupported}, true
	}
	return meaning{}, false
}

func meaningOf(op Op, errno syscall.Errno) meaning {
	if m, ok := meanings[op][errno]; ok {
		return m
	}
	if strings.HasPrefix(string(op), "domctl scheduler_op") {
		if m, ok := domSchedMeanings[errno]; ok {
			return m
		}
	}
	m, _ := familyMeaning(op, errno)
	return m
}

// opError builds the error package hypercall would return for op on
// target failing with errno: a *hypercall.OpError, which matches the errno
// with errors.Is. Where hypercall attaches a sentinel (ErrNotSupported,
// ErrPermission), the *OpError is wrapped so that errors.Is matches the
// sentinel too and errors.As still finds the *OpError: package hypercall
// offers no way to set its unexported sentinel field from outside.
//
// TODO(hypercall): return hypercall.NewOpError(...) once it exists.
func opError(op Op, target string, errno syscall.Errno) error {
	m := meaningOf(op, errno)
	oe := &hypercall.OpError{Op: string(op), Target: target, Meaning: m.text, Err: errno}
	if m.sentinel == nil {
		return oe
	}
	return &sentinelError{oe: oe, sentinel: m.sentinel}
}

// sentinelError is an *hypercall.OpError that also matches a sentinel.
type sentinelError struct {
	oe       *hypercall.OpError
	sentinel error
}

func (e *sentinelError) Error() string   { return e.oe.Error() }
func (e *sentinelError) Unwrap() []error { return []error{e.oe, e.sentinel} }

// invalidArg is the error of a request the simulator refuses before
// "calling Xen", in the shape hypercall gives its own argument checks.
func invalidArg(op Op, target, what string) error {
	return &hypercall.OpError{Op: string(op), Target: target, Meaning: what, Err: eINVAL}
}
