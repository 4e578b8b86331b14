package hypercall

import "structs"

// This file mirrors Linux's grant device UAPI, include/uapi/xen/gntdev.h:
// /dev/xen/gntdev maps pages another domain granted to this one. All
// ioctls have direction _IOC_NONE and type 'G'. Sizes and offsets were
// measured with gcc on x86_64 and aarch64 against Linux 6.1's header
// (testdata/gntdev-offsets.c); every member is a fixed-width integer, so
// the layout is the same on both.
//
// Only the ioctls xgo uses are mirrored: MAP_GRANT_REF, UNMAP_GRANT_REF,
// SET_UNMAP_NOTIFY. IOCTL_GNTDEV_SET_MAX_GRANTS ('G', 3) is obsolete:
// since Linux 4.x the per-file limit is gone and the ioctl switch of
// drivers/xen/gntdev.c no longer has a case for it (it fails with
// ENOTTY); the limit is the module parameter xen_gntdev.limit.

// gntdevGrantRef is struct ioctl_gntdev_grant_ref: one (domain, grant
// reference) pair, 8 bytes.
type gntdevGrantRef struct {
	_     structs.HostLayout
	Domid uint32
	Ref   uint32
}

// gntdevMapGrantRef is the fixed head of struct ioctl_gntdev_map_grant_ref
// (24 bytes with its refs[1]): count refs follow at offset 16, one
// gntdevGrantRef each. The driver returns Index, the mmap offset of the
// new mapping (a multiple of the page size).
type gntdevMapGrantRef struct {
	_     structs.HostLayout
	Count uint32
	Pad   uint32
	Index uint64
}

// gntdevMapGrantRefRefsOffset is offsetof(struct ioctl_gntdev_map_grant_ref, refs).
const gntdevMapGrantRefRefsOffset = 16

// gntdevUnmapGrantRef is struct ioctl_gntdev_unmap_grant_ref, 16 bytes.
// The header asks for munmap first; the driver itself only drops its
// index then, and the grants are released when the last VMA goes.
type gntdevUnmapGrantRef struct {
	_     structs.HostLayout
	Index uint64
	Count uint32
	Pad   uint32
}

// gntdevUnmapNotify is struct ioctl_gntdev_unmap_notify (and struct
// ioctl_gntalloc_unmap_notify, which is identical), 16 bytes: Index is
// the mmap offset of a byte within a mapped page.
type gntdevUnmapNotify struct {
	_                structs.HostLayout
	Index            uint64
	Action           uint32
	EventChannelPort uint32
}

// Unmap notification actions (gntdev.h and gntalloc.h).
const (
	unmapNotifyClearByte = 0x1 // UNMAP_NOTIFY_CLEAR_BYTE: zero the byte at Index
	unmapNotifySendEvent = 0x2 // UNMAP_NOTIFY_SEND_EVENT: notify EventChannelPort
)

// Grant device ioctl numbers: _IOC(_IOC_NONE, 'G', nr, sizeof(arg)),
// with sizeof the C struct including its one-element refs array.
const (
	ioctlGntdevMapGrantRefNr    = iocNone<<iocDirShift | 'G'<<iocTypeShift | 0<<iocNRShift | 24<<iocSizeShift // 0x184700
	ioctlGntdevUnmapGrantRefNr  = iocNone<<iocDirShift | 'G'<<iocTypeShift | 1<<iocNRShift | 16<<iocSizeShift // 0x104701
	ioctlGntdevSetUnmapNotifyNr = iocNone<<iocDirShift | 'G'<<iocTypeShift | 7<<iocNRShift | 16<<iocSizeShift // 0x104707
)

// grantPageSize is the size of a grant: Xen grants 4 KiB pages on x86
// and arm64 alike (XEN_PAGE_SIZE), whatever the kernel's page size.
const grantPageSize = 4096
