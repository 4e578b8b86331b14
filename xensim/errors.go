package xensim

import (
	"fmt"
	"slices"
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

// faultErrnos are the errnos ParseErrno and ErrnoName know by name: the
// errnos of xen-abi.md §2.1 plus the few the hypercall layer also names.
// Their names are hypercall's (Xen's errno.h).
var faultErrnos = []syscall.Errno{
	ePERM, eNOENT, eSRCH, eINTR, eIO, syscall.Errno(7), eAGAIN, eNOMEM,
	eACCES, eFAULT, eBUSY, eEXIST, eNODEV, eINVAL, eNOSPC, eNOSYS,
	syscall.Errno(61), eOPNOTSUPP, eADDRINUSE, eADDRNOTAVAIL,
}

// ErrnoNames are the errno names ParseErrno knows, in its order.
func ErrnoNames() []string {
	out := make([]string, len(faultErrnos))
	for i, e := range faultErrnos {
		out[i], _ = hypercall.XenErrnoName(e)
	}
	return out
}

// ParseErrno reads an errno given by Xen name ("EBUSY", case-insensitive)
// or by number ("16").
func ParseErrno(s string) (syscall.Errno, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	for _, e := range faultErrnos {
		if n, _ := hypercall.XenErrnoName(e); n == t {
			return e, nil
		}
	}
	if n, err := strconv.ParseUint(t, 10, 16); err == nil && n > 0 {
		return syscall.Errno(n), nil
	}
	return 0, fmt.Errorf("unknown errno %q (want a name such as EBUSY or a positive number)", s)
}

// ErrnoName returns Xen's name of e ("EBUSY"), or its number.
func ErrnoName(e syscall.Errno) string {
	if slices.Contains(faultErrnos, e) {
		n, _ := hypercall.XenErrnoName(e)
		return n
	}
	return strconv.Itoa(int(e))
}

// kinds maps each Op to the hypercall.Op whose errno meanings apply.
var kinds = map[Op]hypercall.Op{
	OpXenVersion:        hypercall.OpXenVersion,
	OpPhysinfo:          hypercall.OpPhysinfo,
	OpSchedID:           hypercall.OpSchedulerID,
	OpHypfsRead:         hypercall.OpHypfsRead,
	OpCputopoinfo:       hypercall.OpCPUTopology,
	OpNumainfo:          hypercall.OpNUMAInfo,
	OpPcitopoinfo:       hypercall.OpPCITopology,
	OpSharingFreed:      hypercall.OpMemSharing,
	OpSharingShared:     hypercall.OpMemSharing,
	OpGetCPUInfo:        hypercall.OpPCPUInfo,
	OpPfCPUOnline:       hypercall.OpPlatformCPUOnline,
	OpPfCPUOffline:      hypercall.OpPlatformCPUOffline,
	OpHotplugOnline:     hypercall.OpCPUHotplugOnline,
	OpHotplugOffline:    hypercall.OpCPUHotplugOffline,
	OpHotplugSMTEnable:  hypercall.OpCPUHotplugSMT,
	OpHotplugSMTDisable: hypercall.OpCPUHotplugSMT,
	OpPoolCreate:        hypercall.OpCpupoolCreate,
	OpPoolDestroy:       hypercall.OpCpupoolDestroy,
	OpPoolInfo:          hypercall.OpCpupoolInfo,
	OpPoolAddCPU:        hypercall.OpCpupoolAddCPU,
	OpPoolRmCPU:         hypercall.OpCpupoolRemoveCPU,
	OpPoolMoveDomain:    hypercall.OpCpupoolMoveDomain,
	OpPoolFreeInfo:      hypercall.OpCpupoolFreeCPUs,
	OpPoolSchedGet:      hypercall.OpPoolSchedParams,
	OpPoolSchedPut:      hypercall.OpPoolSchedParams,
	OpDomainInfo:        hypercall.OpDomainInfo,
	OpDomainInfoList:    hypercall.OpDomainInfoList,
	OpDomSchedGet:       hypercall.OpDomainSchedParams,
	OpDomSchedPut:       hypercall.OpDomainSchedParams,
	OpVCPUSchedGet:      hypercall.OpDomainSchedParams,
	OpVCPUSchedPut:      hypercall.OpDomainSchedParams,
}

// opError builds the error *hypercall.Xen returns when Xen fails op (named
// in the error as name, which includes the sub-command as *Xen prints it)
// on target with errno: hypercall.NewOpError's meaning and sentinel, so
// that callers cannot tell a simulated failure from a real one.
func opError(op Op, name, target string, errno syscall.Errno) error {
	kind, ok := kinds[op]
	if !ok {
		kind = hypercall.OpCPUHotplugOnline // an unknown cpu_hotplug op, as *Xen files it
	}
	e := hypercall.NewOpError(kind, target, errno)
	e.Op = name
	return e
}

// invalidArg is the error of a request refused before "calling Xen", in
// the shape hypercall gives its own argument checks.
func invalidArg(op Op, target, what string) error {
	return &hypercall.OpError{Op: string(op), Target: target, Meaning: what, Err: eINVAL}
}
