//go:build linux

package hypercall

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fakeGrantDev stands in for /dev/xen/gntdev and /dev/xen/gntalloc: the
// ioctl seam records each request's bytes (the whole variable-length
// argument, as the driver reads it), the mmap seam hands out anonymous
// memory and records offsets, and failures can be forced.
type fakeGrantDev struct {
	mu        sync.Mutex
	reqs      []uintptr
	args      [][]byte
	force     map[uintptr]syscall.Errno
	mmapErr   syscall.Errno
	nextIndex uint64
	mmaps     []string // "offset length rw|ro"
	live      int      // bytes mapped and not unmapped
}

// argLen is how many bytes the driver reads for req: variable-length
// requests carry their count in the head.
func argLen(req uintptr, arg unsafe.Pointer) int {
	head := unsafe.Slice((*byte)(arg), 16)
	switch req {
	case ioctlGntdevMapGrantRefNr:
		return gntdevMapGrantRefRefsOffset + 8*int(*(*uint32)(unsafe.Pointer(&head[0])))
	case ioctlGntallocAllocGrefNr:
		return gntallocAllocGrefIDsOffset + 4*int(*(*uint32)(unsafe.Pointer(&head[4])))
	}
	return int((req >> iocSizeShift) & iocSizeMask)
}

func (f *fakeGrantDev) ioctl(fd, req uintptr, arg unsafe.Pointer) (uintptr, syscall.Errno) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := unsafe.Slice((*byte)(arg), argLen(req, arg))
	f.reqs = append(f.reqs, req)
	f.args = append(f.args, append([]byte(nil), b...))
	if e := f.force[req]; e != 0 {
		return ^uintptr(0), e
	}
	switch req {
	case ioctlGntdevMapGrantRefNr:
		*(*uint64)(unsafe.Pointer(&b[8])) = f.nextIndex
		f.nextIndex += 4096 * uint64(*(*uint32)(unsafe.Pointer(&b[0])))
	case ioctlGntallocAllocGrefNr:
		n := int(*(*uint32)(unsafe.Pointer(&b[4])))
		*(*uint64)(unsafe.Pointer(&b[8])) = f.nextIndex
		for i := range n {
			*(*uint32)(unsafe.Pointer(&b[16+4*i])) = uint32(100 + i)
		}
		f.nextIndex += 4096 * uint64(n)
	}
	return 0, 0
}

func (f *fakeGrantDev) memFuncs() memFuncs {
	return memFuncs{
		mmap: func(fd uintptr, offset int64, length int, writable bool) ([]byte, syscall.Errno) {
			f.mu.Lock()
			defer f.mu.Unlock()
			mode := "ro"
			if writable {
				mode = "rw"
			}
			f.mmaps = append(f.mmaps, strings.Join([]string{hex64(uint64(offset)), hex64(uint64(length)), mode}, " "))
			if f.mmapErr != 0 {
				return nil, f.mmapErr
			}
			b, err := unix.Mmap(-1, 0, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
			if err != nil {
				return nil, err.(syscall.Errno)
			}
			f.live += length
			return b, 0
		},
		munmap: func(b []byte) syscall.Errno {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.live -= len(b)
			if err := unix.Munmap(b); err != nil {
				return err.(syscall.Errno)
			}
			return 0
		},
	}
}

func hex64(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// devFile returns an open file for the handle under test to own.
func devFile(t *testing.T) *os.File {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newTestGntdev(t *testing.T, trace *tracer) (*Gntdev, *fakeGrantDev) {
	fd := &fakeGrantDev{force: map[uintptr]syscall.Errno{}, nextIndex: 0x3000}
	g, err := newGntdev(devFile(t), fd.ioctl, fd.memFuncs(), trace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, fd
}

func TestGntdevMapGolden(t *testing.T) {
	var trace bytes.Buffer
	g, fd := newTestGntdev(t, &tracer{w: &trace})
	m, err := g.Map(7, []uint32{8, 0x1234, 9}, true)
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "map_grant_ref", fd.args[0], parseGolden(t, `
		03 00 00 00              // count = 3
		00 00 00 00              // pad
		00 00 00 00 00 00 00 00  // index (out)
		07 00 00 00  08 00 00 00 // refs[0]: domid 7, ref 8
		07 00 00 00  34 12 00 00 // refs[1]: domid 7, ref 0x1234
		07 00 00 00  09 00 00 00 // refs[2]: domid 7, ref 9
	`))
	if fd.reqs[0] != ioctlGntdevMapGrantRefNr {
		t.Errorf("request %#x, want MAP_GRANT_REF", fd.reqs[0])
	}
	if want := []string{"0x3000 0x3000 rw"}; !equalStrings(fd.mmaps, want) {
		t.Errorf("mmaps = %q, want %q (at the index the driver returned, one page per ref)", fd.mmaps, want)
	}
	if len(m.Bytes()) != 3*4096 || g.MappedPages() != 3 {
		t.Errorf("Bytes %d, MappedPages %d; want 12288, 3", len(m.Bytes()), g.MappedPages())
	}
	m.Bytes()[4096] = 1 // the memory is usable
	if got := m.Refs(); len(got) != 3 || got[1] != 0x1234 || m.Domain() != 7 {
		t.Errorf("Refs %v, Domain %d", got, m.Domain())
	}
	if err := m.NotifyOnUnmap(4097, 33, true); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "set_unmap_notify", fd.args[1], parseGolden(t, `
		01 40 00 00 00 00 00 00  // index: mapping 0x3000 + offset 4097
		03 00 00 00              // action: CLEAR_BYTE | SEND_EVENT
		21 00 00 00              // event_channel_port 33
	`))
	if err := m.Unmap(); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "unmap_grant_ref", fd.args[2], parseGolden(t, `
		00 30 00 00 00 00 00 00  // index 0x3000
		03 00 00 00              // count 3
		00 00 00 00              // pad
	`))
	if err := m.Unmap(); err != nil || len(fd.reqs) != 3 {
		t.Errorf("second Unmap = %v after %d ioctls; want nil and no new ioctl", err, len(fd.reqs))
	}
	if m.Bytes() != nil || g.MappedPages() != 0 || fd.live != 0 {
		t.Errorf("after Unmap: Bytes %d bytes, MappedPages %d, %d bytes still mapped", len(m.Bytes()), g.MappedPages(), fd.live)
	}
	if err := m.NotifyOnUnmap(0, 0, true); !errors.Is(err, ErrClosed) {
		t.Errorf("NotifyOnUnmap after Unmap = %v, want ErrClosed", err)
	}
	for _, w := range []string{
		"hypercall: gntdev map_grant_ref [domain 7, refs 8,4660,9] = 0",
		"hypercall: gntdev mmap [domain 7, refs 8,4660,9] = 12288",
		"hypercall: gntdev unmap_grant_ref [domain 7, refs 8,4660,9] = 0",
	} {
		if !strings.Contains(trace.String(), w) {
			t.Errorf("trace lacks %q:\n%s", w, trace.String())
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestGntdevMapBadRef: the driver fails the mmap when Xen refuses a
// grant; Map must give the index back (which releases the grants that
// did map) and report the refs.
func TestGntdevMapBadRef(t *testing.T) {
	g, fd := newTestGntdev(t, nil)
	fd.mmapErr = unix.EINVAL
	m, err := g.Map(5, []uint32{10, 99999}, false)
	if m != nil || err == nil {
		t.Fatalf("Map = %v, %v; want an error", m, err)
	}
	var oe *OpError
	if !errors.As(err, &oe) || !errors.Is(err, unix.EINVAL) || oe.Op != "gntdev mmap" || oe.Target != "domain 5, refs 10,99999" {
		t.Fatalf("error %#v", err)
	}
	if !strings.Contains(err.Error(), "not granted to this domain") {
		t.Errorf("message %q does not explain EINVAL", err)
	}
	if len(fd.reqs) != 2 || fd.reqs[1] != ioctlGntdevUnmapGrantRefNr {
		t.Fatalf("requests %#x; want MAP then UNMAP", fd.reqs)
	}
	compareGolden(t, "unmap after failed mmap", fd.args[1], parseGolden(t, `
		00 30 00 00 00 00 00 00  // the index MAP returned
		02 00 00 00  00 00 00 00 // count 2, pad
	`))
	if fd.mmaps[0] != "0x3000 0x2000 ro" || g.MappedPages() != 0 || fd.live != 0 {
		t.Errorf("mmap %q, MappedPages %d, live %d", fd.mmaps[0], g.MappedPages(), fd.live)
	}
}

func TestGntdevMapErrors(t *testing.T) {
	g, fd := newTestGntdev(t, nil)
	if _, err := g.Map(1, nil, true); !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "0 grant references") {
		t.Errorf("Map with no refs = %v", err)
	}
	if len(fd.reqs) != 0 {
		t.Errorf("Map with no refs issued %d ioctls", len(fd.reqs))
	}
	fd.force[ioctlGntdevMapGrantRefNr] = unix.ENOMEM
	if _, err := g.Map(1, []uint32{3}, true); !errors.Is(err, unix.ENOMEM) || !strings.Contains(err.Error(), "gntdev map_grant_ref (domain 1, ref 3)") {
		t.Errorf("forced ENOMEM: %v", err)
	}
	if len(fd.mmaps) != 0 {
		t.Errorf("mmap after a failed MAP_GRANT_REF")
	}
	delete(fd.force, ioctlGntdevMapGrantRefNr)
	m, err := g.Map(1, []uint32{3}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.NotifyOnUnmap(4096, 1, false); !errors.Is(err, unix.EINVAL) {
		t.Errorf("NotifyOnUnmap past the mapping = %v", err)
	}
	// Close leaves the mapping usable; its Unmap then only munmaps.
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	n := len(fd.reqs)
	m.Bytes()[0] = 9
	if err := m.Unmap(); err != nil || len(fd.reqs) != n || fd.live != 0 {
		t.Errorf("Unmap after Close = %v, %d new ioctls, %d bytes live", err, len(fd.reqs)-n, fd.live)
	}
	if _, err := g.Map(1, []uint32{3}, true); !errors.Is(err, ErrClosed) {
		t.Errorf("Map after Close = %v, want ErrClosed", err)
	}
}

func TestGntallocGolden(t *testing.T) {
	fd := &fakeGrantDev{force: map[uintptr]syscall.Errno{}, nextIndex: 0x5000}
	a, err := newGntalloc(devFile(t), fd.ioctl, fd.memFuncs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	gr, err := a.Alloc(0, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "alloc_gref", fd.args[0], parseGolden(t, `
		00 00        // domid 0
		01 00        // flags: GNTALLOC_FLAG_WRITABLE
		02 00 00 00  // count 2
		00*8         // index (out)
		00*8         // gref_ids[2] (out)
	`))
	if refs := gr.Refs(); len(refs) != 2 || refs[0] != 100 || refs[1] != 101 {
		t.Errorf("Refs = %v, want the driver's [100 101]", refs)
	}
	if fd.mmaps[0] != "0x5000 0x2000 rw" || len(gr.Bytes()) != 8192 {
		t.Errorf("mmap %q, %d bytes", fd.mmaps[0], len(gr.Bytes()))
	}
	if err := gr.Free(); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "dealloc_gref", fd.args[1], parseGolden(t, `
		00 50 00 00 00 00 00 00  // index 0x5000
		02 00 00 00  00 00 00 00 // count 2, padding
	`))
	if err := gr.Free(); err != nil || len(fd.reqs) != 2 || gr.Bytes() != nil || fd.live != 0 {
		t.Errorf("second Free = %v, %d ioctls, live %d", err, len(fd.reqs), fd.live)
	}
	if _, err := a.Alloc(70000, 1, false); !errors.Is(err, unix.EINVAL) {
		t.Errorf("Alloc for domain 70000 = %v", err)
	}
	fd.force[ioctlGntallocAllocGrefNr] = unix.ENOSPC
	if _, err := a.Alloc(0, 1, false); !errors.Is(err, unix.ENOSPC) || !strings.Contains(err.Error(), "xen_gntalloc.limit") {
		t.Errorf("forced ENOSPC: %v", err)
	}
}

func TestOpenGntdevClassification(t *testing.T) {
	dir := t.TempDir()
	h := host{
		paths:    hostPaths{devXen: dir, procXen: dir + "/proc", capabilities: dir + "/caps", gntdev: dir + "/gntdev", gntalloc: dir + "/gntalloc"},
		open:     func(string) (int, error) { return -1, unix.EACCES },
		readFile: os.ReadFile,
		exists:   fileExists,
	}
	if _, err := openGntdev(h, defaultOptions()); !errors.Is(err, ErrNoXen) || !strings.Contains(err.Error(), "xen-gntdev") {
		t.Errorf("no gntdev node: %v", err)
	}
	if err := os.WriteFile(dir+"/gntdev", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/gntalloc", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openGntdev(h, defaultOptions()); !errors.Is(err, ErrPermission) {
		t.Errorf("EACCES: %v", err)
	}
	// A guest (no control_d) may not map grants as a backend here, but
	// it may allocate them.
	if err := os.WriteFile(dir+"/caps", []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openGntdev(h, defaultOptions()); !errors.Is(err, ErrNotDom0) {
		t.Errorf("guest gntdev: %v", err)
	}
	if _, err := openGntalloc(h, defaultOptions()); !errors.Is(err, ErrPermission) {
		t.Errorf("guest gntalloc should get as far as opening the node: %v", err)
	}
}
