//go:build amd64 || arm64

package hypercall

import (
	"runtime"
	"strconv"
	"testing"
	"unsafe"
)

// gntLayout maps every line of testdata/gntdev-offsets.*.txt (gcc's
// layout of Linux 6.1's include/uapi/xen/{gntdev,gntalloc}.h) to the same
// number from the Go mirrors. The C structs end in a one-element array
// (refs[1], gref_ids[1]) that the Go heads leave out: their C size is the
// array's offset plus one element.
func gntLayout() map[string]uint64 {
	var (
		gr gntdevGrantRef
		mg gntdevMapGrantRef
		ug gntdevUnmapGrantRef
		un gntdevUnmapNotify
		ag gntallocAllocGref
		dg gntallocDeallocGref
	)
	return map[string]uint64{
		"size struct ioctl_gntdev_grant_ref":                        uint64(unsafe.Sizeof(gr)),
		"off struct ioctl_gntdev_grant_ref.domid":                   uint64(unsafe.Offsetof(gr.Domid)),
		"off struct ioctl_gntdev_grant_ref.ref":                     uint64(unsafe.Offsetof(gr.Ref)),
		"size struct ioctl_gntdev_map_grant_ref":                    gntdevMapGrantRefRefsOffset + uint64(unsafe.Sizeof(gr)),
		"off struct ioctl_gntdev_map_grant_ref.count":               uint64(unsafe.Offsetof(mg.Count)),
		"off struct ioctl_gntdev_map_grant_ref.pad":                 uint64(unsafe.Offsetof(mg.Pad)),
		"off struct ioctl_gntdev_map_grant_ref.index":               uint64(unsafe.Offsetof(mg.Index)),
		"off struct ioctl_gntdev_map_grant_ref.refs":                uint64(unsafe.Sizeof(mg)),
		"size struct ioctl_gntdev_unmap_grant_ref":                  uint64(unsafe.Sizeof(ug)),
		"off struct ioctl_gntdev_unmap_grant_ref.index":             uint64(unsafe.Offsetof(ug.Index)),
		"off struct ioctl_gntdev_unmap_grant_ref.count":             uint64(unsafe.Offsetof(ug.Count)),
		"off struct ioctl_gntdev_unmap_grant_ref.pad":               uint64(unsafe.Offsetof(ug.Pad)),
		"size struct ioctl_gntdev_unmap_notify":                     uint64(unsafe.Sizeof(un)),
		"off struct ioctl_gntdev_unmap_notify.index":                uint64(unsafe.Offsetof(un.Index)),
		"off struct ioctl_gntdev_unmap_notify.action":               uint64(unsafe.Offsetof(un.Action)),
		"off struct ioctl_gntdev_unmap_notify.event_channel_port":   uint64(unsafe.Offsetof(un.EventChannelPort)),
		"size struct ioctl_gntalloc_alloc_gref":                     gntallocAllocGrefIDsOffset + 8, // 4-byte gref_ids[1], padded to the u64's alignment
		"off struct ioctl_gntalloc_alloc_gref.domid":                uint64(unsafe.Offsetof(ag.Domid)),
		"off struct ioctl_gntalloc_alloc_gref.flags":                uint64(unsafe.Offsetof(ag.Flags)),
		"off struct ioctl_gntalloc_alloc_gref.count":                uint64(unsafe.Offsetof(ag.Count)),
		"off struct ioctl_gntalloc_alloc_gref.index":                uint64(unsafe.Offsetof(ag.Index)),
		"off struct ioctl_gntalloc_alloc_gref.gref_ids":             uint64(unsafe.Sizeof(ag)),
		"size struct ioctl_gntalloc_dealloc_gref":                   uint64(unsafe.Sizeof(dg)),
		"off struct ioctl_gntalloc_dealloc_gref.index":              uint64(unsafe.Offsetof(dg.Index)),
		"off struct ioctl_gntalloc_dealloc_gref.count":              uint64(unsafe.Offsetof(dg.Count)),
		"size struct ioctl_gntalloc_unmap_notify":                   uint64(unsafe.Sizeof(un)),
		"off struct ioctl_gntalloc_unmap_notify.index":              uint64(unsafe.Offsetof(un.Index)),
		"off struct ioctl_gntalloc_unmap_notify.action":             uint64(unsafe.Offsetof(un.Action)),
		"off struct ioctl_gntalloc_unmap_notify.event_channel_port": uint64(unsafe.Offsetof(un.EventChannelPort)),
		"IOCTL_GNTDEV_MAP_GRANT_REF":                                ioctlGntdevMapGrantRefNr,
		"IOCTL_GNTDEV_UNMAP_GRANT_REF":                              ioctlGntdevUnmapGrantRefNr,
		"IOCTL_GNTDEV_SET_UNMAP_NOTIFY":                             ioctlGntdevSetUnmapNotifyNr,
		"IOCTL_GNTALLOC_ALLOC_GREF":                                 ioctlGntallocAllocGrefNr,
		"IOCTL_GNTALLOC_DEALLOC_GREF":                               ioctlGntallocDeallocGrefNr,
		"IOCTL_GNTALLOC_SET_UNMAP_NOTIFY":                           ioctlGntdevSetUnmapNotifyNr,
		"UNMAP_NOTIFY_CLEAR_BYTE":                                   unmapNotifyClearByte,
		"UNMAP_NOTIFY_SEND_EVENT":                                   unmapNotifySendEvent,
		"GNTALLOC_FLAG_WRITABLE":                                    gntallocFlagWritable,
	}
}

// TestGntdevABIMatchesMeasured checks the gntdev and gntalloc mirrors
// against every line gcc printed for this GOARCH.
func TestGntdevABIMatchesMeasured(t *testing.T) {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	checkMeasured(t, "testdata/gntdev-offsets."+arch+".txt", gntLayout(),
		func(_, val string) (uint64, error) { return strconv.ParseUint(val, 0, 64) }, nil)
}

// TestGntdevIoctlNumbers checks the request numbers against the _IOC
// encoding of the C struct sizes.
func TestGntdevIoctlNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"IOCTL_GNTDEV_MAP_GRANT_REF", ioctlGntdevMapGrantRefNr, 0x184700},
		{"_IOC(NONE,'G',0,24)", ioc(iocNone, 'G', 0, unsafe.Sizeof(gntdevMapGrantRef{})+unsafe.Sizeof(gntdevGrantRef{})), 0x184700},
		{"IOCTL_GNTDEV_UNMAP_GRANT_REF", ioctlGntdevUnmapGrantRefNr, 0x104701},
		{"_IOC(NONE,'G',1,16)", ioc(iocNone, 'G', 1, unsafe.Sizeof(gntdevUnmapGrantRef{})), 0x104701},
		{"IOCTL_GNTDEV_SET_UNMAP_NOTIFY", ioctlGntdevSetUnmapNotifyNr, 0x104707},
		{"_IOC(NONE,'G',7,16)", ioc(iocNone, 'G', 7, unsafe.Sizeof(gntdevUnmapNotify{})), 0x104707},
		{"IOCTL_GNTALLOC_ALLOC_GREF", ioctlGntallocAllocGrefNr, 0x184705},
		{"IOCTL_GNTALLOC_DEALLOC_GREF", ioctlGntallocDeallocGrefNr, 0x104706},
		{"_IOC(NONE,'G',6,16)", ioc(iocNone, 'G', 6, unsafe.Sizeof(gntallocDeallocGref{})), 0x104706},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}
