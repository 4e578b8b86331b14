package hypercall

import "structs"

// This file mirrors Linux's grant allocation UAPI,
// include/uapi/xen/gntalloc.h: /dev/xen/gntalloc allocates pages of this
// domain and grants them to another (a frontend's side of a shared page).
// Type 'G', direction _IOC_NONE, like gntdev; sizes measured with gcc
// (testdata/gntdev-offsets.c).

// gntallocAllocGref is the fixed head of struct ioctl_gntalloc_alloc_gref
// (24 bytes with its gref_ids[1]): the driver writes Index (the mmap
// offset) and count grant references, u32 each, from offset 16.
type gntallocAllocGref struct {
	_     structs.HostLayout
	Domid uint16
	Flags uint16
	Count uint32
	Index uint64
}

// gntallocAllocGrefIDsOffset is offsetof(struct ioctl_gntalloc_alloc_gref, gref_ids).
const gntallocAllocGrefIDsOffset = 16

// gntallocFlagWritable is GNTALLOC_FLAG_WRITABLE: the grantee may write.
const gntallocFlagWritable = 1

// gntallocDeallocGref is struct ioctl_gntalloc_dealloc_gref: 12 bytes of
// members, 16 with the tail padding gcc adds for the u64.
type gntallocDeallocGref struct {
	_     structs.HostLayout
	Index uint64
	Count uint32
	_     uint32
}

// Grant allocation ioctl numbers. SET_UNMAP_NOTIFY has the same number
// and struct as gntdev's.
const (
	ioctlGntallocAllocGrefNr   = iocNone<<iocDirShift | 'G'<<iocTypeShift | 5<<iocNRShift | 24<<iocSizeShift // 0x184705
	ioctlGntallocDeallocGrefNr = iocNone<<iocDirShift | 'G'<<iocTypeShift | 6<<iocNRShift | 16<<iocSizeShift // 0x104706
)
