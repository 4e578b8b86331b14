package pcpu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/xensim"
)

func TestInfo(t *testing.T) {
	f := newFakeXen(4)
	f.cpus[3].online = false
	f.pools[0].cpus = f.pools[0].cpus.Remove(2, 3) // CPU 2 free
	f.pci = []hypercall.PCITopology{
		{Device: hypercall.PCIDevice{Seg: 0, Bus: 0, DevFn: 0}, Node: 0},
		{Device: hypercall.PCIDevice{Seg: 0, Bus: 0, DevFn: 0x1f<<3 | 3}, Node: hypercall.InvalidID},
		{Device: hypercall.PCIDevice{Seg: 1, Bus: 0xaf, DevFn: 1}, Node: 1},
		{Device: hypercall.PCIDevice{Seg: 0, Bus: 3, DevFn: 0}, Node: hypercall.InvalidDev},
	}
	in, err := ReadInfo(f, true)
	if err != nil {
		t.Fatal(err)
	}
	in.Node = &NodeInfo{Host: "lab", Release: "6.1.0-48-amd64", Version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)", Machine: "x86_64"}
	// Formats from tools/xl/xl_info.c @RELEASE-4.17.5.
	want := `host                   : lab
release                : 6.1.0-48-amd64
version                : #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)
machine                : x86_64
nr_cpus                : 3
max_cpu_id             : 15
nr_nodes               : 1
cores_per_socket       : 2
threads_per_core       : 1
cpu_mhz                : 2394.454
hw_caps                : 178bfbff:f6f83203:2e500800:000003f7:0000000f:219c01a9:00400004:00000000
virt_caps              : pv shadow gnttab-v1
total_memory           : 2048
free_memory            : 1024
sharing_freed_memory   : 2
sharing_used_memory    : 1
outstanding_claims     : 1
free_cpus              : 1
cpu_topology           :
cpu:    core    socket     node
  0:       0        0        0
  1:       1        0        0
  2:       0        1        0
device topology        :
device           node
0000:00:00.0      0
0001:af:00.1      1
numa_info              :
node:    memsize    memfree    distances
   0:      2048       1030      10,20
xen_major              : 4
xen_minor              : 17
xen_extra              : .5
xen_version            : 4.17.5
xen_caps               : xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 
xen_scheduler          : credit2
xen_pagesize           : 4096
platform_params        : virt_start=0xffff800000000000
xen_changeset          : 
xen_commandline        : placeholder dom0_mem=768M
cc_compiler            : x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0
cc_compile_by          : pkg-xen-devel
cc_compile_domain      : lists.alioth.debian.org
cc_compile_date        : Wed Nov  4 16:52:28 UTC 2026
build_id               : dead01
xend_config_format     : 4
`
	if got := in.Text(); got != want {
		t.Errorf("info text:\n%s\nwant:\n%s", got, want)
	}

	// No device with a node: xl says so. No PCI devices listed (no
	// sysfs): xl prints an error and no block at all.
	f.pci = f.pci[1:2]
	if in, _ := ReadInfo(f, true); !strings.Contains(in.Text(), "device           node\nNo device topology data available\nnuma_info") {
		t.Errorf("no device with a node:\n%s", in.Text())
	}
	for _, e := range []error{
		hypercall.NewOpError(hypercall.OpPCITopology, "", syscall.ENOSYS), // Xen without CONFIG_HAS_PCI
		fmt.Errorf("list: %w", hypercall.ErrNotSupported),                 // no sysfs
	} {
		f.pci, f.pciErr = nil, e
		in, err = ReadInfo(f, true)
		if err != nil || in.PCIErr != e || strings.Contains(in.Text(), "device topology") || !strings.Contains(in.Text(), "numa_info") {
			t.Errorf("PCI error %v: %v\n%s", e, err, in.Text())
		}
	}

	// Without -n nothing of the topology is read.
	g := newFakeXen(2)
	in2, err := ReadInfo(g, false)
	calls := strings.Join(g.calls, " ")
	if err != nil || in2.Topology != nil || strings.Contains(calls, "topology") {
		t.Errorf("ReadInfo(false): %v, calls %v", err, g.calls)
	}
	if strings.Contains(in2.Text(), "cpu_topology") || strings.Contains(in2.Text(), "device topology") {
		t.Error("topology printed without -n")
	}
	if calls != "get_physinfo get_sharing get_freeinfo get_version get_buildinfo get_schedid" {
		t.Errorf("calls %s", calls)
	}
}

func TestFilterInfo(t *testing.T) {
	in, err := ReadInfo(newFakeXen(4), false)
	if err != nil {
		t.Fatal(err)
	}
	lines := in.Lines()
	tests := []struct{ key, want string }{
		{"nr_cpus", "4\n"},
		{"nr", "4\n1\n"},            // a prefix: nr_cpus and nr_nodes
		{"free", "1024\n0\n"},       // free_memory, free_cpus
		{"xen_version", "4.17.5\n"}, // exact
		{"xen_v", "4.17.5\n"},       // prefix
		{"build_id", "dead01\n"},    //
		{"virt_caps", "pv shadow gnttab-v1\n"},
		{"sharing", "2\n1\n"},
		{"xen_c", "xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64 \n\nplaceholder dom0_mem=768M\n"}, // xen_caps, xen_changeset (empty), xen_commandline
		{"cc_", "x86_64-linux-gnu-gcc (Debian 12.2.0-14+deb12u1) 12.2.0\npkg-xen-devel\nlists.alioth.debian.org\nWed Nov  4 16:52:28 UTC 2026\n"},
		{"platform", "virt_start=0xffff800000000000\n"},
		{"bogus", ""},
		{"", strings.Repeat("x", 0)}, // checked below: every value
	}
	for _, tt := range tests[:len(tests)-1] {
		if got := strings.Join(FilterInfo(lines, tt.key), ""); got != tt.want {
			t.Errorf("xl info %s = %q, want %q", tt.key, got, tt.want)
		}
	}
	if got := FilterInfo(lines, ""); len(got) != len(lines) {
		t.Errorf("empty key selects %d of %d lines", len(got), len(lines))
	}
	// An empty virt_caps is "virt_caps              :" with no space,
	// which the filter skips, as xl's does.
	empty := []InfoLine{{"virt_caps", ""}, {"xen_extra", ""}}
	if empty[0].String() != "virt_caps              :\n" || empty[1].String() != "xen_extra              : \n" {
		t.Errorf("empty values: %q %q", empty[0].String(), empty[1].String())
	}
	if got := FilterInfo(empty, "virt_caps"); len(got) != 0 {
		t.Errorf("empty virt_caps filtered: %q", got)
	}
	if got := FilterInfo(empty, "xen_extra"); len(got) != 1 || got[0] != "\n" {
		t.Errorf("empty xen_extra filtered: %q", got)
	}
}

func TestTopologyText(t *testing.T) {
	topo := []hypercall.CPUTopology{
		{CPU: 0, Core: 0, Socket: 0, Node: 0},
		{CPU: 1, Core: hypercall.InvalidID, Socket: hypercall.InvalidID, Node: hypercall.InvalidID},
		{CPU: 2, Core: 1, Socket: 0, Node: hypercall.InvalidID},
		{CPU: 13, Core: 12, Socket: 3, Node: 1},
	}
	want := "CPU\tcore\tsocket\tnode\nCPU0\t 0\t 0\t 0\nCPU2\t 1\t 0\t -1\nCPU3\t 12\t 3\t 1\n"
	if got := TopologyText(topo); got != want {
		t.Errorf("topology:\n%q\nwant\n%q", got, want)
	}
}

// fakeUevents hands out queued uevents, then blocks until ctx ends.
type fakeUevents struct {
	mu sync.Mutex
	q  []any // hypercall.XenCPUUevent or error
}

func (u *fakeUevents) Next(ctx context.Context) (hypercall.XenCPUUevent, error) {
	u.mu.Lock()
	if len(u.q) > 0 {
		x := u.q[0]
		u.q = u.q[1:]
		u.mu.Unlock()
		if err, ok := x.(error); ok {
			return hypercall.XenCPUUevent{}, err
		}
		return x.(hypercall.XenCPUUevent), nil
	}
	u.mu.Unlock()
	<-ctx.Done()
	return hypercall.XenCPUUevent{}, ctx.Err()
}

func eventsString(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Source+":"+itoa(e.CPU)+":"+string(e.Kind))
	}
	return strings.Join(s, " ")
}

func itoa(n uint32) string { return strings.TrimPrefix(cpuTarget(n), "cpu ") }

func cpuTarget(n uint32) string { return fmt.Sprintf("cpu %d", n) }

func TestWatchUevents(t *testing.T) {
	f := newFakeXen(4)
	u := &fakeUevents{q: []any{
		hypercall.XenCPUUevent{Action: "offline", CPU: 3},
		hypercall.XenCPUUevent{Action: "bind", CPU: 3}, // not a state change
		hypercall.XenCPUUevent{Action: "online", CPU: 3},
		hypercall.XenCPUUevent{Action: "remove", CPU: 2},
	}}
	var got []Event
	ready := ""
	err := Watch(ctx, f, WatchOptions{Uevents: u, Count: 3, Ready: func(s string) { ready = s }}, func(ev Event) error {
		got = append(got, ev)
		return nil
	})
	if err != nil || ready != "uevent" {
		t.Fatalf("Watch: %v, ready %q", err, ready)
	}
	if s := eventsString(got); s != "uevent:3:offline uevent:3:online uevent:2:removed" {
		t.Errorf("events %s", s)
	}
	if got[0].Time.IsZero() {
		t.Error("no time stamp")
	}
}

// errLost stands for the listener's ErrUeventsLost error.
type errLost struct{}

func (errLost) Error() string        { return "lost" }
func (errLost) Is(target error) bool { return target == hypercall.ErrUeventsLost }

func TestWatchUeventsLost(t *testing.T) {
	f := newFakeXen(4)
	u := &fakeUevents{}
	var got []Event
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	err := Watch(cctx, f, WatchOptions{Uevents: u, Count: 2, Ready: func(string) {
		// Changes happen while the kernel's events are lost.
		f.cpus[1].online = false
		delete(f.cpus, 2)
		u.q = append(u.q, errLost{}, hypercall.XenCPUUevent{Action: "online", CPU: 1})
	}}, func(ev Event) error {
		got = append(got, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := eventsString(got); s != "poll:1:offline poll:2:removed" {
		t.Errorf("events %s", s)
	}
	// Other errors end the watch.
	u.q = []any{errors.New("socket broke")}
	if err := Watch(ctx, f, WatchOptions{Uevents: u}, func(Event) error { return nil }); err == nil || err.Error() != "socket broke" {
		t.Errorf("broken source: %v", err)
	}
}

func TestWatchPoll(t *testing.T) {
	f := newFakeXen(4)
	var got []Event
	fixed := time.Date(2026, 11, 21, 20, 15, 0, 0, time.UTC)
	var once sync.Once
	err := Watch(ctx, f, WatchOptions{Interval: 5 * time.Millisecond, Count: 3, Now: func() time.Time { return fixed },
		Ready: func(s string) {
			if s != "poll" {
				t.Errorf("ready %q", s)
			}
			once.Do(func() {
				f.mu.Lock()
				f.cpus[3].online = false
				f.cpus[7] = &fakeCPU{online: true}
				f.mu.Unlock()
			})
		}}, func(ev Event) error {
		got = append(got, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := eventsString(got); s != "poll:3:offline poll:7:added poll:7:online" || !got[0].Time.Equal(fixed) {
		t.Errorf("events %s", s)
	}

	// Ends when ctx ends, with no error.
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := Watch(cctx, f, WatchOptions{Interval: 5 * time.Millisecond}, func(Event) error { return nil }); err != nil {
		t.Errorf("cancelled watch: %v", err)
	}
	// fn's error ends it.
	f.cpus[1].online = false
	stop := errors.New("stop")
	if err := Watch(ctx, f, WatchOptions{Interval: time.Millisecond, Ready: func(string) {
		f.mu.Lock()
		f.cpus[1].online = true
		f.mu.Unlock()
	}}, func(Event) error { return stop }); err != stop {
		t.Errorf("fn error: %v", err)
	}
}

// TestInfoHypercalls pins what xgo info costs on the lab's host: 13
// hypercalls (physinfo, 2 memory_op, freeinfo, 4 + 4 xen_version,
// sched_id), 18 with -n (cputopoinfo and numainfo count-then-fill, one
// pcitopoinfo for the 4 PCI devices): the ones xl info makes.
func TestInfoHypercalls(t *testing.T) {
	for numa, want := range map[bool]uint64{false: 13, true: 18} {
		h, err := xensim.NewHost(xensim.LabSpec())
		if err != nil {
			t.Fatal(err)
		}
		before := h.Hypercalls()
		if _, err := ReadInfo(h, numa); err != nil {
			t.Fatal(err)
		}
		if got := h.Hypercalls() - before; got != want {
			t.Errorf("ReadInfo(numa=%v): %d hypercalls, want %d", numa, got, want)
		}
	}
}
