package hypercall

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Gntdev is an open /dev/xen/gntdev: it maps pages that other domains
// granted to this one (a frontend's rings and buffers, seen from its
// backend) into this process.
//
// A Gntdev is safe for concurrent use. Close closes the device; mappings
// made through it stay valid until their own Unmap.
type Gntdev struct {
	f     *os.File
	rc    syscall.RawConn
	ioctl ioctlFunc
	mem   memFuncs
	trace *tracer

	mu     sync.Mutex
	pages  int // pages mapped through this handle and not yet unmapped
	closed bool
}

// memFuncs are the mmap and munmap seam tests replace.
type memFuncs struct {
	mmap   func(fd uintptr, offset int64, length int, writable bool) ([]byte, syscall.Errno)
	munmap func(b []byte) syscall.Errno
}

func newGntdev(f *os.File, ioctl ioctlFunc, mem memFuncs, trace *tracer) (*Gntdev, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Gntdev{f: f, rc: rc, ioctl: ioctl, mem: mem, trace: trace}, nil
}

// GrantMap is one contiguous mapping of granted pages, made by
// Gntdev.Map. Its methods are safe for concurrent use, but Bytes must not
// be touched after Unmap.
type GrantMap struct {
	g        *Gntdev
	domid    uint32
	refs     []uint32
	index    uint64
	mem      []byte
	writable bool

	mu       sync.Mutex
	unmapped bool
}

// control runs fn with the device's descriptor, or fails once it is closed.
func (g *Gntdev) control(op, target string, fn func(fd uintptr)) error {
	if err := g.rc.Control(fn); err != nil {
		return &OpError{Op: op, Target: target, Err: err, sentinel: ErrClosed}
	}
	return nil
}

// call issues one gntdev ioctl.
func (g *Gntdev) call(kind Op, op, target string, req uintptr, arg unsafe.Pointer) error {
	var errno syscall.Errno
	start := time.Now()
	if err := g.control(op, target, func(fd uintptr) { _, errno = g.ioctl(fd, req, arg) }); err != nil {
		return err
	}
	g.trace.line(op, target, 0, 0, errno, time.Since(start))
	if errno != 0 {
		return newOpError(kind, op, target, errno)
	}
	return nil
}

// refsTarget names a mapping's grants in errors and traces.
func refsTarget(domid uint32, refs []uint32) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "domain %d, ", domid)
	if len(refs) == 1 {
		sb.WriteString("ref ")
	} else {
		sb.WriteString("refs ")
	}
	for i, r := range refs {
		if i == 8 {
			fmt.Fprintf(&sb, ",... (%d)", len(refs))
			break
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatUint(uint64(r), 10))
	}
	return sb.String()
}

// maxGrantsPerMap bounds one Map: the driver's default limit on mapped
// pages (xen_gntdev.limit) is far above it, and a larger request is
// almost certainly a corrupt page directory.
const maxGrantsPerMap = 1 << 16

// Map maps the pages domid granted under refs into one contiguous,
// shared mapping of 4096*len(refs) bytes, in the order of refs: one
// MAP_GRANT_REF ioctl and one mmap. writable asks for a read-write
// mapping (the grants must allow it).
//
// If any reference is bad (not granted to this domain, out of range,
// read-only when writable was asked, or the domain is gone) the driver
// fails the mmap with EINVAL; Map then releases what it reserved and the
// grants that did map, and returns an *OpError naming the domain and the
// references. Nothing stays mapped after an error.
func (g *Gntdev) Map(domid uint32, refs []uint32, writable bool) (*GrantMap, error) {
	target := refsTarget(domid, refs)
	if len(refs) == 0 || len(refs) > maxGrantsPerMap {
		return nil, &OpError{Op: "gntdev map_grant_ref", Target: target,
			Meaning: fmt.Sprintf("%d grant references: want 1 to %d", len(refs), maxGrantsPerMap), Err: syscall.Errno(xenEINVAL)}
	}
	// The argument is the struct head plus count (domid, ref) pairs; a
	// []uint64 keeps it 8-byte aligned like the C struct.
	n := gntdevMapGrantRefRefsOffset + len(refs)*int(unsafe.Sizeof(gntdevGrantRef{}))
	words := make([]uint64, (n+7)/8)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
	encodeMapGrantRef(buf, domid, refs)
	if err := g.call(OpGntdevMap, "gntdev map_grant_ref", target, ioctlGntdevMapGrantRefNr, unsafe.Pointer(&words[0])); err != nil {
		return nil, err
	}
	index := binary.NativeEndian.Uint64(buf[8:])

	var mem []byte
	var errno syscall.Errno
	start := time.Now()
	cerr := g.control("gntdev mmap", target, func(fd uintptr) {
		mem, errno = g.mem.mmap(fd, int64(index), len(refs)*grantPageSize, writable)
	})
	g.trace.line("gntdev mmap", target, 0, uintptr(len(mem)), errno, time.Since(start))
	if cerr != nil || errno != 0 {
		// Give back the index: with the mmap failed no VMA holds the
		// grants, so this releases everything that did map.
		_ = g.unmapGrantRef(index, len(refs), target)
		if cerr != nil {
			return nil, cerr
		}
		return nil, newOpError(OpGntdevMmap, "gntdev mmap", target, errno)
	}
	g.mu.Lock()
	g.pages += len(refs)
	g.mu.Unlock()
	return &GrantMap{g: g, domid: domid, refs: append([]uint32(nil), refs...), index: index, mem: mem, writable: writable}, nil
}

// encodeMapGrantRef writes struct ioctl_gntdev_map_grant_ref with its
// refs into buf (the index is the driver's to fill).
func encodeMapGrantRef(buf []byte, domid uint32, refs []uint32) {
	binary.NativeEndian.PutUint32(buf[0:], uint32(len(refs)))
	binary.NativeEndian.PutUint32(buf[4:], 0)
	binary.NativeEndian.PutUint64(buf[8:], 0)
	for i, r := range refs {
		o := gntdevMapGrantRefRefsOffset + 8*i
		binary.NativeEndian.PutUint32(buf[o:], domid)
		binary.NativeEndian.PutUint32(buf[o+4:], r)
	}
}

func (g *Gntdev) unmapGrantRef(index uint64, count int, target string) error {
	arg := gntdevUnmapGrantRef{Index: index, Count: uint32(count)}
	return g.call(OpGntdevUnmap, "gntdev unmap_grant_ref", target, ioctlGntdevUnmapGrantRefNr, unsafe.Pointer(&arg))
}

// MappedPages returns how many pages are mapped through this handle and
// not yet unmapped.
func (g *Gntdev) MappedPages() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pages
}

// Close closes the device. Mappings made through it stay valid: their
// Unmap then only unmaps the memory, and the driver releases the grants
// when the last mapping of the file goes.
func (g *Gntdev) Close() error {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	return g.f.Close()
}

// Bytes returns the mapped memory: 4096 bytes per reference, in the
// order Map was given them. It is nil after Unmap.
func (m *GrantMap) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unmapped {
		return nil
	}
	return m.mem
}

// Domain returns the domain that granted the pages.
func (m *GrantMap) Domain() uint32 { return m.domid }

// Refs returns the grant references, in mapping order.
func (m *GrantMap) Refs() []uint32 { return append([]uint32(nil), m.refs...) }

// Unmap unmaps the memory and releases the grants (munmap, then
// UNMAP_GRANT_REF). It is idempotent: later calls return nil.
func (m *GrantMap) Unmap() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unmapped {
		return nil
	}
	target := refsTarget(m.domid, m.refs)
	if errno := m.g.mem.munmap(m.mem); errno != 0 {
		return newOpError(OpGntdevUnmap, "gntdev munmap", target, errno)
	}
	m.unmapped = true
	m.mem = nil
	m.g.mu.Lock()
	m.g.pages -= len(m.refs)
	closed := m.g.closed
	m.g.mu.Unlock()
	if closed {
		return nil
	}
	return m.g.unmapGrantRef(m.index, len(m.refs), target)
}

// NotifyOnUnmap asks the driver to act when this mapping goes away, even
// because this process died (SET_UNMAP_NOTIFY): with clearByte it zeroes
// the byte at offset (a byte of the mapping), and with a non-zero port
// it sends an event on that port, which must be bound in this process
// through /dev/xen/evtchn. Port 0 means no event (Xen never uses port
// 0). One notification per page; a later call replaces it.
func (m *GrantMap) NotifyOnUnmap(offset int, port uint32, clearByte bool) error {
	target := refsTarget(m.domid, m.refs) + fmt.Sprintf(", offset %d, port %d", offset, port)
	if offset < 0 || offset >= len(m.refs)*grantPageSize {
		return &OpError{Op: "gntdev set_unmap_notify", Target: target,
			Meaning: fmt.Sprintf("offset outside the %d-byte mapping", len(m.refs)*grantPageSize), Err: syscall.Errno(xenEINVAL)}
	}
	arg := gntdevUnmapNotify{Index: m.index + uint64(offset), EventChannelPort: port}
	if clearByte {
		arg.Action |= unmapNotifyClearByte
	}
	if port != 0 {
		arg.Action |= unmapNotifySendEvent
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.unmapped {
		return &OpError{Op: "gntdev set_unmap_notify", Target: target, Meaning: "the mapping is unmapped", sentinel: ErrClosed}
	}
	return m.g.call(OpGntdevNotify, "gntdev set_unmap_notify", target, ioctlGntdevSetUnmapNotifyNr, unsafe.Pointer(&arg))
}
