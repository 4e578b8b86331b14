package hypercall

import "structs"

// This file mirrors the parts of Xen's xen/include/public/xen.h,
// version.h and errno.h that xgo uses. Numbers were read from the headers
// at tags RELEASE-4.16.0 … RELEASE-4.22.0 (they did not change in that
// range) and are summarised in xen-abi.md §2.1.

// Hypercall numbers (__HYPERVISOR_*, xen.h).
const (
	hypervisorPlatformOp     = 7  // __HYPERVISOR_platform_op (dom0_op)
	hypervisorMemoryOp       = 12 // __HYPERVISOR_memory_op
	hypervisorXenVersion     = 17 // __HYPERVISOR_xen_version
	hypervisorEventChannelOp = 32 // __HYPERVISOR_event_channel_op
	hypervisorSysctl         = 35 // __HYPERVISOR_sysctl
	hypervisorDomctl         = 36 // __HYPERVISOR_domctl
)

// XENVER_* sub-commands of __HYPERVISOR_xen_version (version.h).
const (
	xenverVersion      = 0  // XENVER_version: returns major<<16 | minor
	xenverExtraversion = 1  // XENVER_extraversion: xen_extraversion_t
	xenverCompileInfo  = 2  // XENVER_compile_info: struct xen_compile_info
	xenverCapabilities = 3  // XENVER_capabilities: xen_capabilities_info_t
	xenverChangeset    = 4  // XENVER_changeset: xen_changeset_info_t
	xenverPlatformParm = 5  // XENVER_platform_parameters: struct xen_platform_parameters
	xenverCommandline  = 9  // XENVER_commandline: xen_commandline_t
	xenverBuildID      = 10 // XENVER_build_id: struct xen_build_id
)

// Sizes of the fixed XENVER_* buffers (version.h).
const (
	xenExtraversionLen = 16   // typedef char xen_extraversion_t[16]
	xenCapabilitiesLen = 1024 // typedef char xen_capabilities_info_t[1024]
	xenChangesetLen    = 64   // typedef char xen_changeset_info_t[64]
	xenCommandlineLen  = 1024 // typedef char xen_commandline_t[1024]
)

// xenCompileInfo mirrors struct xen_compile_info (version.h, unchanged
// 4.16–4.22): four NUL-terminated strings, 144 bytes, no padding. Xen
// fills it with the XEN_COMPILER, XEN_COMPILE_BY, XEN_COMPILE_DOMAIN and
// XEN_COMPILE_DATE of the build (xen/common/kernel.c).
type xenCompileInfo struct {
	_             structs.HostLayout
	Compiler      [64]byte // char compiler[64]
	CompileBy     [16]byte // char compile_by[16]
	CompileDomain [32]byte // char compile_domain[32]
	CompileDate   [32]byte // char compile_date[32]
}

// xenPlatformParameters mirrors struct xen_platform_parameters
// (version.h, unchanged 4.16–4.22): {xen_ulong_t virt_start;}, where
// xen_ulong_t is unsigned long on x86 and uint64_t on Arm: 8 bytes on
// both 64-bit hosts. On x86_64 it is HYPERVISOR_VIRT_START for a 64-bit
// caller.
type xenPlatformParameters struct {
	_         structs.HostLayout
	VirtStart uint64 // xen_ulong_t virt_start
}

// xenBuildIDHeader mirrors the fixed part of struct xen_build_id
// (version.h, unchanged 4.16–4.22): {uint32_t len; unsigned char buf[];}.
// len is IN (size of buf), the hypercall returns the number of bytes
// written to buf.
type xenBuildIDHeader struct {
	_   structs.HostLayout
	Len uint32 // IN: size of buf[] that follows
}

// guestHandle is a XEN_GUEST_HANDLE_64(…): a 64-bit user virtual address
// of hypercall-safe memory in the calling process (xen.h). It is never a
// Go pointer: it must point into memory obtained from the hypercall
// buffer allocator (see buffer.go), so the garbage collector can neither
// move nor free what Xen reads or writes.
type guestHandle uint64

// xenctlBitmap mirrors struct xenctl_bitmap (xen.h, unchanged 4.16–4.22):
// a handle to a byte array in which bit i%8 of byte i/8 stands for item i,
// plus its length in bits. 16 bytes on 64-bit hosts.
type xenctlBitmap struct {
	_      structs.HostLayout
	Bitmap guestHandle // XEN_GUEST_HANDLE_64(uint8) bitmap
	NrBits uint32      // uint32_t nr_bits
	Pad0   [4]byte     // tail padding to the 8-byte alignment of bitmap
}

// Virtual IRQs (VIRQ_*, xen.h) that a dom0 tool may want to bind.
const (
	VIRQDomExc    = 3  // VIRQ_DOM_EXC: exceptional event for some domain
	VIRQConRing   = 8  // VIRQ_CON_RING: bytes received on the console
	VIRQPCPUState = 9  // VIRQ_PCPU_STATE: a physical CPU went online or offline
	VIRQENOMEM    = 12 // VIRQ_ENOMEM: the hypervisor is low on heap memory
)

// Xen's own errno numbers (errno.h). They equal Linux's x86/arm64 errno
// values, which is what privcmd hands back, but xgo keeps its own copy so
// that messages and meanings stay right when the package is built for
// another GOOS.
var xenErrnoNames = map[uint64]string{
	1:   "EPERM",
	2:   "ENOENT",
	3:   "ESRCH",
	4:   "EINTR",
	5:   "EIO",
	6:   "ENXIO",
	7:   "E2BIG",
	9:   "EBADF",
	11:  "EAGAIN",
	12:  "ENOMEM",
	13:  "EACCES",
	14:  "EFAULT",
	16:  "EBUSY",
	17:  "EEXIST",
	18:  "EXDEV",
	19:  "ENODEV",
	20:  "ENOTDIR",
	21:  "EISDIR",
	22:  "EINVAL",
	23:  "ENFILE",
	24:  "EMFILE",
	25:  "ENOTTY", // not a Xen errno: the kernel's answer to an unknown ioctl
	28:  "ENOSPC",
	30:  "EROFS",
	31:  "EMLINK",
	33:  "EDOM",
	34:  "ERANGE",
	35:  "EDEADLK",
	36:  "ENAMETOOLONG",
	37:  "ENOLCK",
	38:  "ENOSYS",
	39:  "ENOTEMPTY",
	61:  "ENODATA",
	62:  "ETIME",
	74:  "EBADMSG",
	75:  "EOVERFLOW",
	84:  "EILSEQ",
	85:  "ERESTART",
	88:  "ENOTSOCK",
	90:  "EMSGSIZE",
	95:  "EOPNOTSUPP",
	98:  "EADDRINUSE",
	99:  "EADDRNOTAVAIL",
	105: "ENOBUFS",
	106: "EISCONN",
	107: "ENOTCONN",
	110: "ETIMEDOUT",
	111: "ECONNREFUSED",
}

// Xen errno numbers that this package gives a meaning to (errno.h).
const (
	xenEPERM         = 1
	xenENOENT        = 2
	xenESRCH         = 3
	xenEINTR         = 4
	xenEIO           = 5
	xenENXIO         = 6
	xenEAGAIN        = 11
	xenENOMEM        = 12
	xenEACCES        = 13
	xenEFAULT        = 14
	xenEBUSY         = 16
	xenEEXIST        = 17
	xenENODEV        = 19
	xenENOTDIR       = 20
	xenEINVAL        = 22
	xenENOTTY        = 25
	xenENOSPC        = 28
	xenENOSYS        = 38
	xenENODATA       = 61
	xenEOPNOTSUPP    = 95
	xenEADDRINUSE    = 98
	xenEADDRNOTAVAIL = 99
	xenENOBUFS       = 105
)
