//go:build linux

package hypercall

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// debianConfig is an excerpt of the .config of Debian's Xen 4.17 build
// (credit and credit2 only), in Kconfig's own format.
const debianConfig = `#
# Automatically generated file; DO NOT EDIT.
# Xen/x86 4.17.3 Configuration
#
CONFIG_HYPFS=y
CONFIG_HYPFS_CONFIG=y

#
# Schedulers
#
CONFIG_SCHED_CREDIT=y
CONFIG_SCHED_CREDIT2=y
# CONFIG_SCHED_RTDS is not set
# CONFIG_SCHED_ARINC653 is not set
# CONFIG_SCHED_NULL is not set
CONFIG_SCHED_CREDIT2_DEFAULT=y
CONFIG_SCHED_DEFAULT="credit2"
# end of Schedulers
`

func gzipped(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSchedulersFromConfig(t *testing.T) {
	cases := []struct {
		config string
		want   []Scheduler
		err    string
	}{
		{debianConfig, []Scheduler{SchedCredit, SchedCredit2}, ""},
		{"CONFIG_SCHED_NULL=y\nCONFIG_SCHED_RTDS=y\nCONFIG_SCHED_ARINC653=y\nCONFIG_SCHED_CREDIT=y\nCONFIG_SCHED_CREDIT2=y\n",
			[]Scheduler{SchedCredit, SchedCredit2, SchedRTDS, SchedARINC653, SchedNull}, ""},
		// "=m" or "=n" do not build a scheduler; _DEFAULT options are not schedulers.
		{"CONFIG_SCHED_RTDS=n\nCONFIG_SCHED_NULL=y\nCONFIG_SCHED_NULL_DEFAULT=y\n", []Scheduler{SchedNull}, ""},
		{"CONFIG_HYPFS=y\n", nil, "sets no CONFIG_SCHED_"},
		{"# CONFIG_SCHED_CREDIT is not set\n# CONFIG_SCHED_CREDIT2 is not set\n", nil, "enables no scheduler"},
		{"", nil, "sets no CONFIG_SCHED_"},
	}
	for i, c := range cases {
		got, err := SchedulersFromConfig([]byte(c.config))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("case %d: err = %v, want %q", i, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("case %d: %v, %v; want %v", i, got, err, c.want)
		}
	}
}

// TestHypfsReadGolden checks the arguments of XEN_HYPFS_OP_read and that
// a node larger than the first buffer is read again at the size Xen
// reports in the direntry of its ENOBUFS answer.
func TestHypfsReadGolden(t *testing.T) {
	xen := newFakeXen(4)
	// Contents larger than the first read's buffer.
	noise := make([]byte, 9000)
	for i := range noise {
		noise[i] = byte(i*7919>>3) ^ byte(i)
	}
	xen.hypfs = map[string]HypfsEntry{
		"/buildinfo/config":  {Type: HypfsString, Encoding: HypfsGzip, Content: gzipped(t, debianConfig)},
		"/big":               {Type: HypfsBlob, Encoding: HypfsPlain, Content: noise},
		"/params/sched-gran": {Type: HypfsString, Encoding: HypfsPlain, MaxWriteLen: 64, Content: []byte("cpu\x00")},
	}
	x, dev := openFake(t, xen, nil)
	dev.reset()
	var paths [][]byte
	dev.force = func(c fakeCall) syscall.Errno {
		if c.op == hypervisorHypfsOp && c.arg[1] != 0 {
			paths = append(paths, bytes.Clone(dev.mem(c.arg[1], int(c.arg[2]), "path")))
		}
		return 0
	}

	e, err := x.ReadHypfs("/params/sched-gran")
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != HypfsString || e.MaxWriteLen != 64 || string(e.Content) != "cpu\x00" {
		t.Errorf("entry = %+v", e)
	}
	calls := dev.snapshot()
	if len(calls) != 1 {
		t.Fatalf("%d hypercalls, want 1", len(calls))
	}
	c := calls[0]
	if c.op != 42 || c.arg[0] != 1 || c.arg[2] != 19 || c.arg[4] != 12+4096 {
		t.Errorf("hypercall %d args %v: want __HYPERVISOR_hypfs_op (42), XEN_HYPFS_OP_read (1), path length 19 with the NUL, buffer 12+4096", c.op, c.arg)
	}
	compareGolden(t, "path", paths[0], parseGolden(t, `
		2f 70 61 72 61 6d 73 2f // "/params/"
		73 63 68 65 64 2d 67 72 61 6e // "sched-gran"
		00 // NUL, counted in path_len`))

	dev.reset()
	e, err = x.ReadHypfs("/big")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.Content, noise) {
		t.Errorf("big node: %d bytes, want %d", len(e.Content), len(noise))
	}
	calls = dev.snapshot()
	if len(calls) != 2 || calls[0].errn != unix.ENOBUFS || calls[1].errn != 0 || calls[1].arg[4] != uint64(12+len(noise)) {
		t.Errorf("big node calls: %+v; want ENOBUFS then one read of 12+%d bytes", calls, len(noise))
	}

	s, err := x.BuiltSchedulers()
	if err != nil || !slices.Equal(s, []Scheduler{SchedCredit, SchedCredit2}) {
		t.Errorf("BuiltSchedulers = %v, %v", s, err)
	}
	if v, err := x.HypfsVersion(); err != nil || v != 1 {
		t.Errorf("HypfsVersion = %d, %v", v, err)
	}
	dev.checkClean(t)
}

// TestBuiltSchedulersUnknown: without hypfs, or without the config node,
// the list is unknown (ErrUnknown), with Xen's errno and meaning kept.
func TestBuiltSchedulersUnknown(t *testing.T) {
	for _, c := range []struct {
		nodes map[string]HypfsEntry
		errno syscall.Errno
		also  error
	}{
		{nil, unix.ENOSYS, ErrNotSupported},
		{map[string]HypfsEntry{"/buildinfo/version": {}}, unix.ENOENT, nil},
		{map[string]HypfsEntry{BuildConfigPath: {Type: HypfsString, Encoding: HypfsGzip, Content: []byte("not gzip")}}, 0, nil},
	} {
		xen := newFakeXen(4)
		xen.hypfs = c.nodes
		x, _ := openFake(t, xen, nil)
		s, err := x.BuiltSchedulers()
		if s != nil || !errors.Is(err, ErrUnknown) {
			t.Errorf("%v: BuiltSchedulers = %v, %v; want ErrUnknown", c.errno, s, err)
			continue
		}
		if c.errno != 0 && !errors.Is(err, c.errno) {
			t.Errorf("%v: %v does not match the errno", c.errno, err)
		}
		if c.also != nil && !errors.Is(err, c.also) {
			t.Errorf("%v: %v does not match %v", c.errno, err, c.also)
		}
		t.Logf("%v", err)
	}
	x, _ := openFake(t, newFakeXen(4), nil)
	for _, p := range []string{"buildinfo/config", "/a\x00b", "/" + strings.Repeat("a", 1023)} {
		if _, err := x.ReadHypfs(p); !errors.Is(err, unix.EINVAL) {
			t.Errorf("ReadHypfs(%.20q) = %v, want EINVAL before calling Xen", p, err)
		}
	}
}

// TestHypfsDirGolden decodes a directory listing laid out as
// xen/common/hypfs.c hypfs_read_dir writes it: each entry padded to a
// multiple of 4 (DIRENTRY_SIZE), off_next 0 on the last.
func TestHypfsDirGolden(t *testing.T) {
	var raw []byte
	for _, v := range parseGolden(t, `
		00 00 00 00 // type DIR, encoding PLAIN, pad
		60 00 00 00 // content_len 96
		00 00 00 00 // max_write_len 0
		14 00       // off_next 20 = ROUNDUP(14+6, 4)
		62 75 69 6c 64 00 // "build" NUL (one entry name, not padded here: 14+6 = 20)
		01 01 00 00 // type BLOB, encoding GZIP
		20 4e 00 00 // content_len 20000
		00 00 00 00 // max_write_len
		00 00       // off_next 0: last
		63 6f 6e 66 69 67 00 // "config" NUL
		00 00 00    // padding to 24`) {
		raw = append(raw, byte(v))
	}
	got, err := HypfsEntry{Type: HypfsDir, Content: raw}.Dir()
	if err != nil {
		t.Fatal(err)
	}
	want := []HypfsDirEntry{{Name: "build", Type: HypfsDir, ContentLen: 96}, {Name: "config", Type: HypfsBlob, Encoding: HypfsGzip, ContentLen: 20000}}
	if !slices.Equal(got, want) {
		t.Errorf("Dir = %+v, want %+v", got, want)
	}
	if _, err := (HypfsEntry{Type: HypfsDir, Content: raw[:10]}).Dir(); err == nil {
		t.Error("a truncated listing decoded without error")
	}
	hdr := view[hypfsDirentry](raw[20:])
	if hdr.Type != 1 || hdr.Encoding != 1 || hdr.ContentLen != 20000 {
		t.Errorf("direntry view = %+v", *hdr)
	}
}

// BenchmarkBuiltSchedulers reads, gunzips and parses a build config of
// the size of Debian's (about 3,000 lines) through the fake device.
func BenchmarkBuiltSchedulers(b *testing.B) {
	var cfg strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&cfg, "CONFIG_OPTION_%d=y\n", i)
	}
	cfg.WriteString(debianConfig)
	xen := newFakeXen(4)
	xen.hypfs = map[string]HypfsEntry{BuildConfigPath: {Type: HypfsString, Encoding: HypfsGzip, Content: gzipped(b, cfg.String())}}
	x, _ := openFake(b, xen, nil)
	h0 := x.Hypercalls()
	for b.Loop() {
		if _, err := x.BuiltSchedulers(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.Hypercalls()-h0)/float64(b.N), "hypercalls/op")
}
