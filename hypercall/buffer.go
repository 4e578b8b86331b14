package hypercall

import (
	"fmt"
	"sync"
	"unsafe"
)

// Hypercall buffers.
//
// Xen reads and writes the request structs and every array they point to
// through the guest's page tables while the hypercall runs. On a PVH or
// arm64 dom0 a page that is not mapped at that moment makes the call fail
// with EFAULT, and the Go runtime is free to move or free its own memory.
// So every byte Xen touches lives in memory the kernel hands out for that
// purpose (/dev/xen/hypercall, mapped MAP_SHARED) or, on kernels older
// than 4.18, in locked anonymous pages excluded from fork. The device
// layer (device_linux.go) provides the pages; this file carves them into
// the structs of one call.

// maxCachedBuffers is how many one-page buffers are kept for reuse, as
// libxencall does.
const maxCachedBuffers = 4

// bufPool hands out zeroed hypercall-safe memory in whole pages.
type bufPool struct {
	dev  device
	page int

	mu    sync.Mutex
	cache [][]byte // one-page buffers ready for reuse
}

// get returns at least n zeroed bytes of hypercall-safe memory.
func (p *bufPool) get(n int) ([]byte, error) {
	if n <= 0 {
		n = 1
	}
	size := (n + p.page - 1) / p.page * p.page
	if size == p.page {
		p.mu.Lock()
		if k := len(p.cache); k > 0 {
			b := p.cache[k-1]
			p.cache = p.cache[:k-1]
			p.mu.Unlock()
			clear(b)
			return b, nil
		}
		p.mu.Unlock()
	}
	b, err := p.dev.alloc(size)
	if err != nil {
		return nil, fmt.Errorf("allocating %d bytes of hypercall buffer: %w", size, err)
	}
	return b, nil
}

// put gives a buffer from get back.
func (p *bufPool) put(b []byte) {
	if len(b) == p.page {
		p.mu.Lock()
		if len(p.cache) < maxCachedBuffers {
			p.cache = append(p.cache, b)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	_ = p.dev.free(b)
}

// drain frees the cached buffers.
func (p *bufPool) drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.cache {
		_ = p.dev.free(b)
	}
	p.cache = nil
}

// arena carves one hypercall buffer into the regions of one call.
type arena struct {
	mem []byte
	off int
}

// take returns the next n bytes aligned to 8, the strictest alignment of
// any Xen ABI struct.
func (a *arena) take(n int) []byte {
	a.off = (a.off + 7) &^ 7
	if a.off+n > len(a.mem) {
		panic(fmt.Sprintf("hypercall: arena overflow: %d+%d > %d", a.off, n, len(a.mem)))
	}
	b := a.mem[a.off : a.off+n : a.off+n]
	a.off += n
	return b
}

// arenaSize returns the bytes an arena needs for regions of the given
// sizes, each aligned to 8.
func arenaSize(sizes ...int) int {
	t := 0
	for _, n := range sizes {
		t = (t+7)&^7 + n
	}
	return t
}

// addrOf returns the guest handle of b's first byte. b must come from an
// arena.
func addrOf(b []byte) guestHandle {
	if len(b) == 0 {
		return 0
	}
	return guestHandle(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// view returns b's first bytes as a *T. b must be a region of hypercall
// memory at least sizeof(T) long and 8-byte aligned.
func view[T any](b []byte) *T {
	var z T
	if uintptr(len(b)) < unsafe.Sizeof(z) {
		panic(fmt.Sprintf("hypercall: region of %d bytes is too small for %T", len(b), z))
	}
	return (*T)(unsafe.Pointer(unsafe.SliceData(b)))
}

// viewSlice returns b as n consecutive Ts.
func viewSlice[T any](b []byte, n int) []T {
	if n == 0 {
		return nil
	}
	var z T
	if uintptr(len(b)) < uintptr(n)*unsafe.Sizeof(z) {
		panic(fmt.Sprintf("hypercall: region of %d bytes is too small for %d × %T", len(b), n, z))
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// sizeOf returns sizeof(T) as an int.
func sizeOf[T any]() int {
	var z T
	return int(unsafe.Sizeof(z))
}
