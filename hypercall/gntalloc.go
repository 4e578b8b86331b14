package hypercall

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Gntalloc is an open /dev/xen/gntalloc: it allocates pages of this
// domain and grants them to another, as a frontend does for its rings.
// xgo's backend never needs it; the lab uses it to play a frontend
// inside a domU. Safe for concurrent use.
type Gntalloc struct {
	f     *os.File
	rc    syscall.RawConn
	ioctl ioctlFunc
	mem   memFuncs
	trace *tracer
}

func newGntalloc(f *os.File, ioctl ioctlFunc, mem memFuncs, trace *tracer) (*Gntalloc, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Gntalloc{f: f, rc: rc, ioctl: ioctl, mem: mem, trace: trace}, nil
}

// Grant is a set of pages allocated and granted by Gntalloc.Alloc.
type Grant struct {
	a     *Gntalloc
	domid uint32
	refs  []uint32
	index uint64
	mem   []byte

	mu    sync.Mutex
	freed bool
}

// call issues one gntalloc ioctl.
func (a *Gntalloc) call(kind Op, op, target string, req uintptr, arg unsafe.Pointer) error {
	var errno syscall.Errno
	start := time.Now()
	if err := a.rc.Control(func(fd uintptr) { _, errno = a.ioctl(fd, req, arg) }); err != nil {
		return &OpError{Op: op, Target: target, Err: err, sentinel: ErrClosed}
	}
	a.trace.line(op, target, 0, 0, errno, time.Since(start))
	if errno != 0 {
		return newOpError(kind, op, target, errno)
	}
	return nil
}

// Alloc allocates count zeroed pages, grants them to domid (read-write
// when writable) and maps them here. The grant references are in Refs.
func (a *Gntalloc) Alloc(domid uint32, count int, writable bool) (*Grant, error) {
	target := fmt.Sprintf("domain %d, %d pages", domid, count)
	if count <= 0 || count > maxGrantsPerMap || domid > 0xffff {
		return nil, &OpError{Op: "gntalloc alloc_gref", Target: target,
			Meaning: fmt.Sprintf("want 1 to %d pages for a domain id below 65536", maxGrantsPerMap), Err: syscall.Errno(xenEINVAL)}
	}
	n := gntallocAllocGrefIDsOffset + 4*count
	words := make([]uint64, (n+7)/8)
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
	binary.NativeEndian.PutUint16(buf[0:], uint16(domid))
	if writable {
		binary.NativeEndian.PutUint16(buf[2:], gntallocFlagWritable)
	}
	binary.NativeEndian.PutUint32(buf[4:], uint32(count))
	if err := a.call(OpGntallocAlloc, "gntalloc alloc_gref", target, ioctlGntallocAllocGrefNr, unsafe.Pointer(&words[0])); err != nil {
		return nil, err
	}
	index := binary.NativeEndian.Uint64(buf[8:])
	refs := make([]uint32, count)
	for i := range refs {
		refs[i] = binary.NativeEndian.Uint32(buf[gntallocAllocGrefIDsOffset+4*i:])
	}
	var mem []byte
	var errno syscall.Errno
	if err := a.rc.Control(func(fd uintptr) { mem, errno = a.mem.mmap(fd, int64(index), count*grantPageSize, true) }); err != nil {
		return nil, &OpError{Op: "gntalloc mmap", Target: target, Err: err, sentinel: ErrClosed}
	}
	a.trace.line("gntalloc mmap", target, 0, uintptr(len(mem)), errno, 0)
	if errno != 0 {
		_ = a.dealloc(index, count, target)
		return nil, newOpError(OpGntallocAlloc, "gntalloc mmap", target, errno)
	}
	return &Grant{a: a, domid: domid, refs: refs, index: index, mem: mem}, nil
}

func (a *Gntalloc) dealloc(index uint64, count int, target string) error {
	arg := gntallocDeallocGref{Index: index, Count: uint32(count)}
	return a.call(OpGntallocDealloc, "gntalloc dealloc_gref", target, ioctlGntallocDeallocGrefNr, unsafe.Pointer(&arg))
}

// Close closes the device; grants still allocated are ended when their
// memory is unmapped.
func (a *Gntalloc) Close() error { return a.f.Close() }

// Refs returns the grant references, one per page, in page order.
func (g *Grant) Refs() []uint32 { return append([]uint32(nil), g.refs...) }

// Bytes returns the granted memory (4096 bytes per page); nil after Free.
func (g *Grant) Bytes() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.freed {
		return nil
	}
	return g.mem
}

// Free unmaps the pages and ends the grants (DEALLOC_GREF); the driver
// frees each page once the grantee has unmapped it too. Idempotent.
func (g *Grant) Free() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.freed {
		return nil
	}
	target := fmt.Sprintf("domain %d, %d pages", g.domid, len(g.refs))
	if errno := g.a.mem.munmap(g.mem); errno != 0 {
		return newOpError(OpGntallocDealloc, "gntalloc munmap", target, errno)
	}
	g.freed = true
	g.mem = nil
	return g.a.dealloc(g.index, len(g.refs), target)
}
