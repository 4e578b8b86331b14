package hypercall

import "structs"

// This file mirrors Linux's privcmd UAPI, include/uapi/xen/privcmd.h (the
// same header Xen keeps as tools/include/xen-sys/Linux/privcmd.h), and
// the ioctl number encoding of include/uapi/asm-generic/ioctl.h, which
// x86_64 and arm64 share.

// ioctl request encoding (asm-generic/ioctl.h): nr in bits 0–7, type in
// 8–15, size in 16–29, direction in 30–31.
const (
	iocNRShift   = 0
	iocTypeShift = 8
	iocSizeShift = 16
	iocDirShift  = 30
	iocNone      = 0 // _IOC_NONE
	iocWrite     = 1 // _IOC_WRITE
	iocRead      = 2 // _IOC_READ
	iocSizeMask  = 1<<14 - 1
)

// ioc computes _IOC(dir, typ, nr, size).
func ioc(dir, typ, nr, size uintptr) uintptr {
	return dir<<iocDirShift | typ<<iocTypeShift | nr<<iocNRShift | (size&iocSizeMask)<<iocSizeShift
}

// privcmdHypercall mirrors struct privcmd_hypercall (privcmd.h): 48
// bytes. It is the ioctl argument itself; the kernel copies it in, so it
// may live on the Go heap. The pointers in Arg must not: they point into
// hypercall buffers.
type privcmdHypercall struct {
	_   structs.HostLayout
	Op  uint64    // __HYPERVISOR_*
	Arg [5]uint64 // hypercall arguments
}

// IOCTL_PRIVCMD_HYPERCALL = _IOC(_IOC_NONE, 'P', 0, sizeof(struct
// privcmd_hypercall)) = 0x00305000. The ioctl returns the hypercall's own
// result; a negative Xen errno comes back as -1 with errno set.
const ioctlPrivcmdHypercall = iocNone<<iocDirShift | 'P'<<iocTypeShift | 0<<iocNRShift | 48<<iocSizeShift
