package hypercall

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
)

// HypfsEntry is one node of the hypervisor file system as
// XEN_HYPFS_OP_read returns it.
type HypfsEntry struct {
	Type     HypfsType
	Encoding HypfsEncoding
	// MaxWriteLen is the longest write Xen accepts; 0 for a read-only
	// node.
	MaxWriteLen uint32
	// Content is the node's raw contents, still encoded.
	Content []byte
}

// Plain returns the contents decoded: gunzipped when Xen gzipped them.
func (e HypfsEntry) Plain() ([]byte, error) {
	switch e.Encoding {
	case HypfsPlain:
		return e.Content, nil
	case HypfsGzip:
		r, err := gzip.NewReader(bytes.NewReader(e.Content))
		if err != nil {
			return nil, fmt.Errorf("hypfs: gzip contents: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(r, hypfsMaxContent))
		if err != nil {
			return nil, fmt.Errorf("hypfs: gzip contents: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("hypfs: unknown encoding %d", e.Encoding)
}

// HypfsDirEntry is one entry of a hypfs directory listing.
type HypfsDirEntry struct {
	Name        string
	Type        HypfsType
	Encoding    HypfsEncoding
	ContentLen  uint32
	MaxWriteLen uint32
}

// Dir decodes the contents of a directory node: its entries as
// struct xen_hypfs_dirlistentry records chained by off_next.
func (e HypfsEntry) Dir() ([]HypfsDirEntry, error) {
	if e.Type != HypfsDir {
		return nil, fmt.Errorf("hypfs: not a directory (type %d)", e.Type)
	}
	var out []HypfsDirEntry
	b := e.Content
	for len(b) > 0 {
		if len(b) < hypfsDirlistNameOff+1 {
			return out, fmt.Errorf("hypfs: directory entry truncated at %d bytes", len(b))
		}
		h := binary.LittleEndian
		next := int(h.Uint16(b[12:]))
		name := b[hypfsDirlistNameOff:]
		if next != 0 && next <= len(b) {
			name = b[hypfsDirlistNameOff:next]
		}
		n := bytes.IndexByte(name, 0)
		if n < 0 {
			return out, errors.New("hypfs: directory entry name is not NUL-terminated")
		}
		out = append(out, HypfsDirEntry{
			Name: string(name[:n]), Type: HypfsType(b[0]), Encoding: HypfsEncoding(b[1]),
			ContentLen: h.Uint32(b[4:]), MaxWriteLen: h.Uint32(b[8:]),
		})
		if next == 0 {
			break
		}
		if next < hypfsDirlistNameOff+1 || next > len(b) {
			return out, fmt.Errorf("hypfs: bad off_next %d", next)
		}
		b = b[next:]
	}
	return out, nil
}

const (
	// hypfsFirstRead is the contents buffer of the first read: small
	// nodes take one hypercall, larger ones a second with the size the
	// first one reports.
	hypfsFirstRead = 4096
	// hypfsMaxContent bounds what xgo reads or gunzips from one node.
	hypfsMaxContent = 16 << 20
)

// HypfsVersion returns the highest hypfs interface version the hypervisor
// supports (XEN_HYPFS_OP_get_version). One hypercall.
func (x *Xen) HypfsVersion() (int, error) {
	var v uintptr
	err := x.run("hypfs_op get_version", 0, func(*arena) error {
		var err error
		v, err = x.do(&call{hc: hypervisorHypfsOp, arg: [5]uint64{hypfsOpGetVersion}, kind: OpHypfsRead, op: "hypfs_op get_version"})
		return err
	})
	return int(v), err
}

// ReadHypfs reads one node of the hypervisor file system
// (XEN_HYPFS_OP_read), e.g. "/buildinfo/config". It costs one hypercall
// for contents up to 4 KiB and two for larger ones. A missing node fails
// with ENOENT; a hypervisor without hypfs with ENOSYS, matching
// ErrNotSupported.
func (x *Xen) ReadHypfs(path string) (HypfsEntry, error) {
	target := "path " + path
	if !strings.HasPrefix(path, "/") || len(path)+1 > hypfsMaxPathLen || strings.IndexByte(path, 0) >= 0 {
		return HypfsEntry{}, &OpError{Op: OpHypfsRead.String(), Target: target, Meaning: fmt.Sprintf("a hypfs path is absolute, without NUL bytes and shorter than %d bytes", hypfsMaxPathLen), Err: errnoInval}
	}
	hdr := sizeOf[hypfsDirentry]()
	size := hypfsFirstRead
	for try := 0; ; try++ {
		var out HypfsEntry
		var need uint32
		err := x.run(OpHypfsRead.String(), arenaSize(len(path)+1, hdr+size), func(a *arena) error {
			p := a.take(len(path) + 1)
			copy(p, path)
			buf := a.take(hdr + size)
			_, err := x.do(&call{
				hc:     hypervisorHypfsOp,
				arg:    [5]uint64{hypfsOpRead, uint64(addrOf(p)), uint64(len(p)), uint64(addrOf(buf)), uint64(len(buf))},
				kind:   OpHypfsRead,
				op:     OpHypfsRead.String(),
				target: target,
			})
			d := view[hypfsDirentry](buf)
			if errors.Is(err, syscall.Errno(xenENOBUFS)) {
				need = d.ContentLen
				return err
			}
			if err != nil {
				return err
			}
			if int(d.ContentLen) > size {
				return &OpError{Op: OpHypfsRead.String(), Target: target, Meaning: fmt.Sprintf("Xen reports %d bytes of contents in a %d-byte buffer", d.ContentLen, size), Err: errnoInval}
			}
			out = HypfsEntry{Type: HypfsType(d.Type), Encoding: HypfsEncoding(d.Encoding), MaxWriteLen: d.MaxWriteLen,
				Content: bytes.Clone(buf[hdr : hdr+int(d.ContentLen)])}
			return nil
		})
		if err == nil {
			return out, nil
		}
		// The node grew between the two reads (or the first was too
		// small): read again with the size Xen gave, a few times.
		if need == 0 || try >= 3 {
			return HypfsEntry{}, err
		}
		if need > hypfsMaxContent {
			return HypfsEntry{}, &OpError{Op: OpHypfsRead.String(), Target: target, Meaning: fmt.Sprintf("the node holds %d bytes, more than xgo reads (%d)", need, hypfsMaxContent), Err: errnoInval}
		}
		size = int(need)
	}
}

// BuildConfigPath is the hypfs node holding the hypervisor's gzipped
// .config (CONFIG_HYPFS_CONFIG, xen/common/kernel.c).
const BuildConfigPath = "/buildinfo/config"

// BuiltSchedulers implements Hypervisor: it reads the build configuration
// from hypfs (/buildinfo/config) and returns the schedulers it enables.
// One hypercall on Debian's Xen 4.17 (its config is 977 bytes of gzip,
// 2.6 KB plain); two for a config over 4 KiB of gzip.
func (x *Xen) BuiltSchedulers() ([]Scheduler, error) {
	e, err := x.ReadHypfs(BuildConfigPath)
	if err != nil {
		return nil, &UnknownError{What: "built schedulers", Err: err}
	}
	cfg, err := e.Plain()
	if err != nil {
		return nil, &UnknownError{What: "built schedulers", Err: err}
	}
	s, err := SchedulersFromConfig(cfg)
	if err != nil {
		return nil, &UnknownError{What: "built schedulers", Err: err}
	}
	return s, nil
}

// ErrUnknown matches the errors of queries whose answer this hypervisor
// does not reveal (see UnknownError).
var ErrUnknown = errors.New("unknown")

// UnknownError says that something about the hypervisor cannot be known:
// what answers it is missing (hypfs not built, a node missing) or could
// not be read. Callers must then not guess, only skip what depended on it.
type UnknownError struct {
	What string // e.g. "built schedulers"
	Err  error  // why
}

func (e *UnknownError) Error() string { return e.What + " unknown: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *UnknownError) Unwrap() error { return e.Err }

// Is matches ErrUnknown.
func (e *UnknownError) Is(target error) bool { return target == ErrUnknown }

// configSchedulers maps Xen's Kconfig options (xen/common/sched/Kconfig)
// to the schedulers they build.
var configSchedulers = []struct {
	option string
	sched  Scheduler
}{
	{"CONFIG_SCHED_CREDIT", SchedCredit},
	{"CONFIG_SCHED_CREDIT2", SchedCredit2},
	{"CONFIG_SCHED_RTDS", SchedRTDS},
	{"CONFIG_SCHED_ARINC653", SchedARINC653},
	{"CONFIG_SCHED_NULL", SchedNull},
}

// SchedulersFromConfig returns the schedulers a Xen .config (plain text)
// builds, in the order credit, credit2, rtds, arinc653, null. A config
// that does not mention any CONFIG_SCHED_ option, set or "is not set", is
// not a Xen config: that is an error, not "none".
func SchedulersFromConfig(config []byte) ([]Scheduler, error) {
	set := map[string]bool{}
	mentioned := false
	sc := bufio.NewScanner(bytes.NewReader(config))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if name, ok := strings.CutPrefix(line, "# "); ok {
			if opt, ok := strings.CutSuffix(name, " is not set"); ok && strings.HasPrefix(opt, "CONFIG_SCHED_") {
				mentioned = true
			}
			continue
		}
		opt, val, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(opt, "CONFIG_SCHED_") {
			continue
		}
		mentioned = true
		set[opt] = val == "y"
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the build config: %w", err)
	}
	if !mentioned {
		return nil, errors.New("the build config sets no CONFIG_SCHED_ option")
	}
	var out []Scheduler
	for _, c := range configSchedulers {
		if set[c.option] {
			out = append(out, c.sched)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the build config enables no scheduler")
	}
	return out, nil
}
