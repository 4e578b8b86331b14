package pcpu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

var ctx = context.Background()

// fast retries for the tests.
func fastOpts() Options {
	return Options{XenStore: poolNames, Timeout: 2 * time.Second, RetryDelay: time.Millisecond}
}

func TestReadState(t *testing.T) {
	f := newFakeXen(6)
	delete(f.cpus, 2)        // a gap: CPU 2 is not present
	f.cpus[5].online = false // offline: in no pool, topology unknown
	f.pools[0].cpus = cpuset.Of(0, 1, 4)
	f.addPool(1, 2, 3)
	f.pools[0].cpus = cpuset.Of(0, 1) // CPU 4 is free

	st, err := ReadState(ctx, f, poolNames)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range st.CPUs {
		got = append(got, fmt.Sprintf("%d:%v:%d/%d:%d/%d/%d:%s", c.ID, c.Online, c.APICID, c.ACPIID,
			int32(c.Core), int32(c.Socket), int32(c.Node), c.Pool.Label()))
	}
	want := []string{
		"0:true:0/1:0/0/0:Pool-0",
		"1:true:2/2:1/0/0:Pool-0",
		"3:true:6/4:1/1/0:rt",
		"4:true:8/5:0/2/1:no pool",
		"5:false:10/6:-1/-1/-1:no pool",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("state:\n got %v\nwant %v", got, want)
	}
	if st.MaxPresent != 5 || st.Free.String() != "4" || !st.Present().Equal(cpuset.Of(0, 1, 3, 4, 5)) {
		t.Errorf("max present %d, free %s, present %s", st.MaxPresent, st.Free, st.Present())
	}
	if p := st.Pool(1); p == nil || p.Name != "rt" || p.Scheduler != hypercall.SchedCredit || p.NDom != 2 {
		t.Errorf("pool 1 = %+v", p)
	}

	// Without XenStore the pools have no names.
	st, err = ReadState(ctx, f, nil)
	if err != nil || st.Pool(1).Name != "" || st.Pool(1).Label() != "pool 1" {
		t.Errorf("no XenStore: %v, %+v", err, st.Pool(1))
	}

	cpus, err := List(ctx, f, poolNames)
	if err != nil || len(cpus) != 5 || cpus[2].ID != 3 || cpus[2].Pool.Name != "rt" {
		t.Errorf("List = %+v, %v", cpus, err)
	}
}

func TestReadStateErrors(t *testing.T) {
	f := newFakeXen(2)
	f.fail("get_cpuinfo", syscall.EACCES)
	_, err := ReadState(ctx, f, nil)
	if !errors.Is(err, hypercall.ErrNotSupported) || !strings.HasPrefix(err.Error(), "reading the host's CPUs: ") {
		t.Errorf("EACCES: %v", err)
	}
}

func TestParseCPUs(t *testing.T) {
	f := newFakeXen(8)
	delete(f.cpus, 6)
	f.cpus[5].online = false
	tests := []struct{ in, want string }{
		{"3", "3"},
		{"2-5,^3", "2,4-5"},
		{"all", "0-5,7"}, // present CPUs only, offline included
		{"all,^0", "1-5,7"},
		{"node:1", "4,7"}, // CPU 5 is offline and Xen forgot its node
		{"12", "12"},      // kept: Offline/Online refuse it
	}
	for _, tt := range tests {
		s, err := ParseCPUs(f, tt.in)
		if err != nil || s.String() != tt.want {
			t.Errorf("ParseCPUs(%q) = %s, %v; want %s", tt.in, s, err, tt.want)
		}
	}
	var pe *cpuset.ParseError
	if _, err := ParseCPUs(f, "3-x"); !errors.As(err, &pe) {
		t.Errorf("bad list: %v", err)
	}
	if _, err := ParseCPUs(f, "node:9"); !errors.As(err, &pe) || !strings.Contains(err.Error(), "no NUMA node 9") {
		t.Errorf("node:9: %v", err)
	}
	// A list without "all" or nodes does not talk to Xen.
	g := newFakeXen(2)
	if _, err := ParseCPUs(g, "1,3-4"); err != nil || len(g.calls) != 0 {
		t.Errorf("plain list: %v, calls %v", err, g.calls)
	}
}

func TestOffline(t *testing.T) {
	f := newFakeXen(4)
	res, err := Offline(ctx, f, cpuset.Of(2, 3), fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].String() != "cpu 2: offlined" || res[1].String() != "cpu 3: offlined" || res[0].Attempts != 1 {
		t.Errorf("results %v", res)
	}
	if got := f.mutations(); got != "hotplug offline 2 hotplug offline 3" {
		t.Errorf("calls %q", got)
	}
	if !f.pools[0].cpus.Equal(cpuset.Of(0, 1)) {
		t.Errorf("Pool-0 = %s", f.pools[0].cpus)
	}
	// Again: already offline, nothing sent.
	f.calls = nil
	res, err = Offline(ctx, f, cpuset.Of(3), fastOpts())
	if err != nil || res[0].String() != "cpu 3: already offline" || res[0].Status() != "already" || f.mutations() != "" {
		t.Errorf("again: %v %v %q", res, err, f.mutations())
	}
}

func TestOnline(t *testing.T) {
	f := newFakeXen(4)
	f.cpus[3].online = false
	f.pools[0].cpus = cpuset.Of(0, 1, 2)
	res, err := Online(ctx, f, cpuset.Of(2, 3), fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res[0].String() != "cpu 2: already online" || res[1].String() != "cpu 3: onlined" || res[1].Status() != "onlined" {
		t.Errorf("results %v", res)
	}
	if f.mutations() != "hotplug online 3" || !f.pools[0].cpus.Equal(cpuset.Of(0, 1, 2, 3)) {
		t.Errorf("calls %q, Pool-0 %s", f.mutations(), f.pools[0].cpus)
	}
}

// TestRefusals checks every up-front refusal: one line each, and nothing
// sent to Xen.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *fakeXen)
		cpus     cpuset.Set
		online   bool
		evacuate bool
		want     string
	}{
		{"cpu 0", nil, cpuset.Of(0), false, false,
			"cpu 0 cannot be taken offline: Xen never offlines its boot cpu"},
		{"not present", nil, cpuset.Of(3, 9), false, false,
			"cpu 9 is not present on this host (present: 0-5)"},
		{"not present, online", func(f *fakeXen) { delete(f.cpus, 4) }, cpuset.Of(4, 5, 9, 10), true, false,
			"cpus 4,9-10 are not present on this host (present: 0-3,5)"},
		{"other pool", func(f *fakeXen) { f.addPool(1, 1, 3, 4) }, cpuset.Of(2, 3), false, false,
			"cpu 3 is in cpupool 'rt', not Pool-0: remove it first (xgo cpupool-cpu-remove rt 3) or use --evacuate"},
		{"other pools", func(f *fakeXen) { f.addPool(1, 1, 3, 4); f.addPool(7, 0, 5) }, cpuset.Of(3, 4, 5), false, false,
			"cpus 3-4 are in cpupool 'rt', not Pool-0: remove them first (xgo cpupool-cpu-remove rt 3,4) or use --evacuate; " +
				"cpu 5 is in cpupool pool 7, not Pool-0: remove it first (xgo cpupool-cpu-remove pool 7 5) or use --evacuate"},
		{"evacuate strands domains", func(f *fakeXen) { f.addPool(1, 2, 3, 4) }, cpuset.Of(3, 4), false, true,
			"taking cpus 3-4 offline would leave cpupool 'rt' without a cpu while it has 2 domains: move them to another pool first (xgo cpupool-migrate <domain> Pool-0) or keep one of its cpus"},
		{"evacuate last cpu", func(f *fakeXen) { f.addPool(2, 1, 5) }, cpuset.Of(5), false, true,
			"taking cpu 5 offline would leave cpupool 'batch' without a cpu while it has 1 domain: move it to another pool first (xgo cpupool-migrate <domain> Pool-0) or keep one of its cpus"},
		{"everything at once", func(f *fakeXen) { f.addPool(1, 1, 3) }, cpuset.Of(0, 3, 8), false, false,
			"cpu 8 is not present on this host (present: 0-5); cpu 0 cannot be taken offline: Xen never offlines its boot cpu; " +
				"cpu 3 is in cpupool 'rt', not Pool-0: remove it first (xgo cpupool-cpu-remove rt 3) or use --evacuate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeXen(6)
			if tt.setup != nil {
				tt.setup(f)
			}
			opts := fastOpts()
			opts.Evacuate = tt.evacuate
			var res []Result
			var err error
			if tt.online {
				res, err = Online(ctx, f, tt.cpus, opts)
			} else {
				res, err = Offline(ctx, f, tt.cpus, opts)
			}
			var re *RefusedError
			if !errors.As(err, &re) || err.Error() != tt.want {
				t.Errorf("error:\n got %v\nwant %s", err, tt.want)
			}
			if res != nil || f.mutations() != "" {
				t.Errorf("refused request still did something: %v, calls %q", res, f.mutations())
			}
		})
	}
}

func TestEvacuate(t *testing.T) {
	f := newFakeXen(6)
	f.addPool(1, 1, 3, 4)
	opts := fastOpts()
	opts.Evacuate = true
	res, err := Offline(ctx, f, cpuset.Of(2, 4), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].String() != "cpu 2: offlined" || res[1].String() != "cpu 4: removed from cpupool 'rt', offlined" || res[1].Evacuated.ID != 1 {
		t.Errorf("results %v", res)
	}
	if got := f.mutations(); got != "hotplug offline 2 rmcpu 1 4 hotplug offline 4" {
		t.Errorf("calls %q", got)
	}
	// Onlined again, the CPU goes to Pool-0 (Xen's rule), not back to rt.
	if _, err := Online(ctx, f, cpuset.Of(4), opts); err != nil || !f.pools[0].cpus.Has(4) || f.pools[1].cpus.Has(4) {
		t.Errorf("online: %v; pools %s / %s", err, f.pools[0].cpus, f.pools[1].cpus)
	}
}

// TestEvacuateRollback: when the offline fails after the evacuation, the
// CPU goes back into its pool; when that fails too, the error says how to
// repair it.
func TestEvacuateRollback(t *testing.T) {
	f := newFakeXen(6)
	f.addPool(1, 1, 3, 4)
	f.fail("hotplug offline", syscall.EIO)
	opts := fastOpts()
	opts.Evacuate = true
	res, err := Offline(ctx, f, cpuset.Of(4), opts)
	var fe *FailedError
	if !errors.As(err, &fe) || len(fe.Failed) != 1 {
		t.Fatalf("err %v", err)
	}
	want := "cpu 4 could not be taken offline: input/output error; it was put back into cpupool 'rt' [sysctl cpu_hotplug offline: EIO]"
	if err.Error() != want || !res[0].Restored || res[0].Status() != "failed" {
		t.Errorf("error:\n got %v\nwant %s\nresult %+v", err, want, res[0])
	}
	if !f.pools[1].cpus.Equal(cpuset.Of(3, 4)) || !f.cpus[4].online {
		t.Errorf("cpu 4 not left as it was: rt %s", f.pools[1].cpus)
	}
	if got := f.mutations(); got != "rmcpu 1 4 hotplug offline 4 addcpu 1 4" {
		t.Errorf("calls %q", got)
	}

	f.fail("hotplug offline", syscall.EIO)
	f.fail("addcpu", syscall.ENOMEM)
	_, err = Offline(ctx, f, cpuset.Of(4), opts)
	var ce *CPUError
	if !errors.As(err, &ce) || !ce.Stranded || !strings.Contains(err.Error(), "putting it back into cpupool 'rt' failed too") ||
		!strings.Contains(err.Error(), "add it yourself (xgo cpupool-cpu-add rt 4)") {
		t.Errorf("stranded: %v", err)
	}

	// The signature of a CPU Xen keeps locked after a failed offline
	// while it was in a pool (xen-hptool on a pool's CPU): offline EBUSY
	// for ever, and no pool takes it back.
	l := newFakeXen(6)
	l.addPool(1, 1, 3, 4)
	for range 100 {
		l.fail("hotplug offline", syscall.EBUSY)
	}
	l.fail("addcpu", syscall.ENODEV)
	opts.Timeout = 20 * time.Millisecond
	_, err = Offline(ctx, l, cpuset.Of(3), opts)
	if !errors.As(err, &ce) || !ce.Stranded || !strings.HasPrefix(err.Error(), "cpu 3 was removed from cpupool 'rt', but Xen refuses both to take it offline (EBUSY) and to put it back (ENODEV): Xen still marks it as being unplugged") {
		t.Errorf("locked cpu: %v", err)
	}
	opts.Timeout = 2 * time.Second

	// A removal Xen refuses leaves the CPU in its pool.
	g := newFakeXen(6)
	g.addPool(1, 1, 3, 4)
	g.fail("rmcpu", syscall.EBUSY)
	_, err = Offline(ctx, g, cpuset.Of(3), opts)
	if err == nil || !strings.HasPrefix(err.Error(), "cpu 3 is the last cpu of cpupool 'rt', which has domains") || !g.pools[1].cpus.Has(3) {
		t.Errorf("rmcpu EBUSY: %v", err)
	}
}

func TestRetryBusy(t *testing.T) {
	f := newFakeXen(4)
	f.fail("hotplug offline", syscall.EBUSY, syscall.EBUSY, syscall.EBUSY)
	res, err := Offline(ctx, f, cpuset.Of(3), fastOpts())
	if err != nil || res[0].Attempts != 4 || !res[0].Changed {
		t.Errorf("EBUSY x3: %v, %+v", err, res)
	}

	// Busy for longer than the timeout: failed, and left online.
	g := newFakeXen(4)
	for range 1000 {
		g.fail("hotplug online", syscall.EBUSY)
		g.fail("hotplug offline", syscall.EBUSY)
	}
	opts := fastOpts()
	opts.Timeout = 50 * time.Millisecond
	start := time.Now()
	res, err = Offline(ctx, g, cpuset.Of(3), opts)
	if d := time.Since(start); d < 50*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %s", d)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "cpu 3 stayed busy for ") ||
		!strings.Contains(err.Error(), "Xen is running another CPU hotplug or cpupool change; retry later or allow more time with --timeout [sysctl cpu_hotplug offline: EBUSY]") {
		t.Errorf("timeout: %v", err)
	}
	if res[0].Attempts < 3 || !g.cpus[3].online {
		t.Errorf("attempts %d, online %v", res[0].Attempts, g.cpus[3].online)
	}

	// No retry at all with a negative timeout.
	opts.Timeout = -1
	res, err = Offline(ctx, g, cpuset.Of(3), opts)
	if err == nil || res[0].Attempts != 1 || !strings.HasPrefix(err.Error(), "cpu 3 is busy: ") {
		t.Errorf("no retry: %v, %d attempts", err, res[0].Attempts)
	}

	// Cancelling stops the retries.
	cctx, cancel := context.WithCancel(ctx)
	opts.Timeout = time.Minute
	opts.RetryDelay = 20 * time.Millisecond
	time.AfterFunc(50*time.Millisecond, cancel)
	start = time.Now()
	res, err = Offline(cctx, g, cpuset.Of(3), opts)
	if time.Since(start) > 5*time.Second || err == nil || res[0].Attempts < 2 {
		t.Errorf("cancel: %v after %s", err, time.Since(start))
	}
}

// TestPartialFailure: one CPU fails, the others are done; the error lists
// the failure and keeps Xen's errno reachable.
func TestPartialFailure(t *testing.T) {
	f := newFakeXen(4)
	f.fail("hotplug offline", 0, syscall.EPERM) // cpu 1 ok, cpu 2 refused by XSM
	res, err := Offline(ctx, f, cpuset.Of(1, 2, 3), fastOpts())
	var fe *FailedError
	if !errors.As(err, &fe) || fe.Total != 3 || len(fe.Failed) != 1 || fe.Failed[0].CPU != 2 {
		t.Fatalf("err %v", err)
	}
	if !errors.Is(err, hypercall.ErrPermission) || !errors.Is(err, syscall.EPERM) {
		t.Errorf("errno and sentinel lost: %v", err)
	}
	want := "1 of 3 cpus could not be taken offline: cpu 2 could not be taken offline: permission denied (xgo must run as root in dom0) [sysctl cpu_hotplug offline: EPERM]"
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
	if res[0].Status() != "offlined" || res[1].Status() != "failed" || res[2].Status() != "offlined" || !f.cpus[2].online {
		t.Errorf("results %v", res)
	}
}

// TestExplain checks the admin text for each errno of §6.1 on both paths.
func TestExplain(t *testing.T) {
	tests := []struct {
		via    Via
		online bool
		errno  syscall.Errno
		want   string
	}{
		{ViaHypercall, false, syscall.ENODEV, "cpu 3 was put into a cpupool other than Pool-0 meanwhile: remove it from that pool first (xgo cpupool-cpu-remove <pool> 3) or use --evacuate [sysctl cpu_hotplug offline: ENODEV]"},
		{ViaHypercall, false, syscall.EINVAL, "cpu 3 could not be taken offline: Xen says it is not present (any more) [sysctl cpu_hotplug offline: EINVAL]"},
		{ViaHypercall, false, syscall.EEXIST, ""}, // already offline: success
		{ViaSysfs, false, syscall.ENODEV, "cpu 3 was put into a cpupool other than Pool-0 meanwhile: remove it from that pool first (xgo cpupool-cpu-remove <pool> 3) or use --evacuate [platform_op cpu_offline: ENODEV]"},
		{ViaHypercall, true, syscall.EPERM, "cpu 3 is a secondary SMT thread and Xen runs with smt=0: Xen brought it up and took it offline again; boot Xen with smt=1 to use it [sysctl cpu_hotplug online: EPERM]"},
		{ViaHypercall, true, syscall.EIO, "cpu 3 did not come up; Xen's log says why (xl dmesg) [sysctl cpu_hotplug online: EIO]"},
		{ViaHypercall, true, syscall.EEXIST, ""},
		{ViaSysfs, true, syscall.EINVAL, "cpu 3 could not be brought online through XENPF_cpu_online: it is not present, or Xen's clocksource is the TSC, which that path refuses; try --via hypercall [platform_op cpu_online: EINVAL]"},
		{ViaSysfs, true, syscall.EBUSY, "cpu 3 is busy: Xen is running another CPU hotplug operation; retry later or allow more time with --timeout [platform_op cpu_online: EBUSY]"},
		{ViaHypercall, true, syscall.EOPNOTSUPP, "cpu 3 could not be brought online: this hypervisor does not support it [sysctl cpu_hotplug online: EOPNOTSUPP]"},
	}
	for _, tt := range tests {
		f := newFakeXen(4)
		if tt.online {
			f.cpus[3].online = false
			f.pools[0].cpus = cpuset.Of(0, 1, 2)
		}
		op := map[bool]string{false: "offline", true: "online"}[tt.online]
		if tt.via == ViaSysfs {
			f.fail("pf_"+op, tt.errno)
		} else {
			f.fail("hotplug "+op, tt.errno)
		}
		opts := fastOpts()
		opts.Timeout = -1
		opts.Via = tt.via
		opts.Sysfs = PlatformOps{f}
		var err error
		if tt.online {
			_, err = Online(ctx, f, cpuset.Of(3), opts)
		} else {
			_, err = Offline(ctx, f, cpuset.Of(3), opts)
		}
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s %s %v:\n got %s\nwant %s", tt.via, op, tt.errno, got, tt.want)
		}
	}
}

// TestSysfsPath runs the platform-op path: the same rules, other errnos.
func TestSysfsPath(t *testing.T) {
	f := newFakeXen(4)
	opts := fastOpts()
	opts.Via = ViaSysfs
	opts.Sysfs = PlatformOps{f}
	res, err := Offline(ctx, f, cpuset.Of(3), opts)
	if err != nil || res[0].String() != "cpu 3: offlined" || f.mutations() != "pf_offline 3" {
		t.Errorf("offline: %v %v %q", res, err, f.mutations())
	}
	res, err = Online(ctx, f, cpuset.Of(2, 3), opts)
	if err != nil || res[0].String() != "cpu 2: already online" || res[1].String() != "cpu 3: onlined" {
		t.Errorf("online: %v %v", res, err)
	}
	if _, err := Offline(ctx, f, cpuset.Of(3), Options{Via: ViaSysfs}); err == nil {
		t.Error("ViaSysfs without Sysfs accepted")
	}
}

func TestDryRun(t *testing.T) {
	f := newFakeXen(6)
	f.addPool(1, 1, 4, 5)
	f.cpus[3].online = false
	f.pools[0].cpus = cpuset.Of(0, 1, 2)
	opts := fastOpts()
	opts.DryRun = true
	opts.Evacuate = true
	res, err := Offline(ctx, f, cpuset.Of(2, 3, 4), opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.String())
	}
	want := "cpu 2: would be offlined|cpu 3: already offline|cpu 4: would be removed from cpupool 'rt' and offlined"
	if strings.Join(got, "|") != want || f.mutations() != "" {
		t.Errorf("dry run: %q, calls %q", got, f.mutations())
	}
	if res[0].Status() != "would" {
		t.Errorf("status %q", res[0].Status())
	}
}

func TestParseVia(t *testing.T) {
	for in, want := range map[string]Via{"hypercall": ViaHypercall, "sysfs": ViaSysfs} {
		if v, err := ParseVia(in); err != nil || v != want || v.String() != in {
			t.Errorf("ParseVia(%q) = %v, %v", in, v, err)
		}
	}
	if _, err := ParseVia("magic"); err == nil {
		t.Error("ParseVia(magic) accepted")
	}
}
