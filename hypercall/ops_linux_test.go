//go:build linux

package hypercall

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"xgo.dev/xgo/cpuset"
)

func TestXenVersion(t *testing.T) {
	x, _ := openFake(t, newFakeXen(4), nil)
	v, err := x.XenVersion()
	if err != nil {
		t.Fatal(err)
	}
	want := XenVersion{Major: 4, Minor: 17, Extra: ".3", CommandLine: "dom0_mem=2G sched=credit2", BuildID: []byte{0xde, 0xad, 0xbe, 0xef}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("XenVersion = %+v, want %+v", v, want)
	}
	if v.String() != "4.17.3" {
		t.Errorf("String = %q", v.String())
	}
	if a := x.ABI(); a.Sysctl != 0x15 || a.Domctl != 0x15 || a.Platform != 0x03000001 || a.Forced {
		t.Errorf("ABI = %+v", a)
	}
}

func TestXenVersionWithoutBuildID(t *testing.T) {
	xen := newFakeXen(4)
	xen.buildID = nil // Xen answers ENODATA
	x, _ := openFake(t, xen, nil)
	v, err := x.XenVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.BuildID != nil {
		t.Errorf("BuildID = %x, want nil", v.BuildID)
	}
}

func TestXenVersionBuildIDDenied(t *testing.T) {
	x, dev := openFake(t, newFakeXen(4), nil)
	dev.force = func(c fakeCall) syscall.Errno {
		if c.op == hypervisorXenVersion && c.cmd == xenverBuildID {
			return unix.EPERM
		}
		return 0
	}
	v, err := x.XenVersion()
	if err != nil || v.BuildID != nil || v.Extra != ".3" {
		t.Errorf("XenVersion = %+v, %v", v, err)
	}
	dev.force = func(c fakeCall) syscall.Errno {
		if c.op == hypervisorXenVersion && c.cmd == xenverCommandline {
			return unix.EFAULT
		}
		return 0
	}
	if _, err := x.XenVersion(); !errors.Is(err, unix.EFAULT) {
		t.Errorf("commandline EFAULT: %v", err)
	}
}

func TestPhysinfo(t *testing.T) {
	for _, v14 := range []bool{false, true} {
		xen := newFakeXen(8)
		env := map[string]string{}
		if v14 {
			xen.major, xen.minor, xen.sysctlV, xen.domctlV, xen.physinfoV14 = 4, 16, 0x14, 0x14, true
		} else {
			xen.physinfo.ArchCapabilities = 7
		}
		x, _ := openFake(t, xen, env)
		p, err := x.Physinfo()
		if err != nil {
			t.Fatal(err)
		}
		want := Physinfo{ThreadsPerCore: 2, CoresPerSocket: 4, NrCPUs: 8, MaxCPUID: 255, NrNodes: 2, MaxNodeID: 63,
			CPUkHz: 2400000, Capabilities: 0x3cf, TotalPages: 4 << 20, FreePages: 3 << 20, MaxMFN: 1 << 22,
			HWCap: [8]uint32{1, 2, 3, 4, 5, 6, 7, 8}}
		if !v14 {
			want.ArchCapabilities = 7
		}
		if p != want {
			t.Errorf("4.16 layout %v: Physinfo = %+v, want %+v", v14, p, want)
		}
		if p.TotalBytes() != 16<<30 {
			t.Errorf("TotalBytes = %d", p.TotalBytes())
		}
	}
}

func TestPhysCapsString(t *testing.T) {
	got := PhysCaps(0x3cf | 1<<12).String()
	want := "pv hvm hvm_directio pv_directio hap vmtrace vpmu gnttab-v1 gnttab-v2 0x1000" // 0x3cf has no shadow (bit 4) nor iommu_hap_pt_share (bit 5)
	if got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestSchedulerID(t *testing.T) {
	x, _ := openFake(t, newFakeXen(4), nil)
	s, err := x.SchedulerID()
	if err != nil || s != SchedCredit2 {
		t.Fatalf("SchedulerID = %v, %v", s, err)
	}
}

func TestCPUTopologyCountThenFill(t *testing.T) {
	xen := newFakeXen(6)
	xen.present[5] = false // a hole: cpu 5 not present
	xen.topo[4] = sysctlCputopo{Core: InvalidID, Socket: InvalidID, Node: InvalidID}
	x, dev := openFake(t, xen, nil)
	dev.reset()
	topo, err := x.CPUTopology()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo) != 5 {
		t.Fatalf("len = %d, want 5 (last present cpu + 1)", len(topo))
	}
	if topo[4].Present() || !topo[3].Present() || topo[3] != (CPUTopology{CPU: 3, Core: 1, Socket: 0, Node: 1}) {
		t.Errorf("topo = %+v", topo)
	}
	calls := dev.snapshot()
	if len(calls) != 2 {
		t.Fatalf("%d hypercalls, want 2 (count, fill)", len(calls))
	}
	first := view[sysctlOp](calls[0].req).cputopoinfo()
	if first.Cputopo != 0 || first.NumCPUs != 0 {
		t.Errorf("count call = %+v, want null handle", *first)
	}
	second := view[sysctlOp](calls[1].req).cputopoinfo()
	if second.Cputopo == 0 || second.NumCPUs != 5 {
		t.Errorf("fill call = %+v", *second)
	}
}

func TestNUMAInfo(t *testing.T) {
	xen := newFakeXen(4)
	xen.nodes = append(xen.nodes, sysctlMeminfo{Memsize: xenInvalidMemSize, Memfree: xenInvalidMemSize})
	x, _ := openFake(t, xen, nil)
	nodes, err := x.NUMAInfo()
	if err != nil {
		t.Fatal(err)
	}
	want := []NUMANode{
		{Node: 0, Online: true, MemSize: 8 << 30, MemFree: 5 << 30, Distances: []uint32{10, 21, 22}},
		{Node: 1, Online: true, MemSize: 8 << 30, MemFree: 7 << 30, Distances: []uint32{21, 10, 23}},
		{Node: 2, Online: false, Distances: []uint32{22, 23, 10}},
	}
	if !reflect.DeepEqual(nodes, want) {
		t.Errorf("NUMAInfo = %+v\nwant %+v", nodes, want)
	}
}

func TestPCPUInfoAndList(t *testing.T) {
	xen := newFakeXen(4)
	xen.present[2] = false
	xen.online[3] = false
	x, _ := openFake(t, xen, nil)
	cpus, err := ListPCPUs(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []PCPUInfo{
		{CPU: 0, MaxPresent: 3, Online: true, APICID: 0, ACPIID: 100},
		{CPU: 1, MaxPresent: 3, Online: true, APICID: 2, ACPIID: 101},
		{CPU: 2, MaxPresent: 3, Invalid: true},
		{CPU: 3, MaxPresent: 3, Online: false, APICID: 6, ACPIID: 103},
	}
	if !reflect.DeepEqual(cpus, want) {
		t.Errorf("ListPCPUs = %+v\nwant %+v", cpus, want)
	}
}

func TestPlatformCPUOnlineOffline(t *testing.T) {
	xen := newFakeXen(4)
	x, _ := openFake(t, xen, nil)
	if err := x.PlatformCPUOffline(2); err != nil {
		t.Fatal(err)
	}
	if xen.online[2] {
		t.Error("cpu 2 still online")
	}
	if err := x.PlatformCPUOffline(2); err != nil {
		t.Errorf("offline of an offline cpu through platform_op = %v, want nil (Xen's no-op)", err)
	}
	if err := x.PlatformCPUOnline(2); err != nil || !xen.online[2] {
		t.Fatalf("online: %v", err)
	}
	err := x.PlatformCPUOffline(0)
	if !errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, ErrNotSupported) {
		t.Errorf("offline cpu 0 = %v, want EOPNOTSUPP that is not ErrNotSupported", err)
	}
}

func TestCPUHotplug(t *testing.T) {
	xen := newFakeXen(4)
	x, _ := openFake(t, xen, nil)
	if err := x.CPUHotplug(HotplugOffline, 3); err != nil {
		t.Fatal(err)
	}
	if err := x.CPUHotplug(HotplugOffline, 3); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second offline = %v, want EEXIST", err)
	}
	if err := x.CPUHotplug(HotplugOnline, 3); err != nil {
		t.Fatal(err)
	}
	err := x.CPUHotplug(HotplugSMTDisable, 0)
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("smt-disable = %v, want ErrNotSupported and EOPNOTSUPP", err)
	}
}

func TestCpupoolLifecycle(t *testing.T) {
	xen := newFakeXen(8)
	x, _ := openFake(t, xen, nil)
	id, err := x.CpupoolCreate(PoolAny, SchedCredit)
	if err != nil || id != 1 {
		t.Fatalf("create = %d, %v", id, err)
	}
	for _, cpu := range []uint32{6, 7} {
		if err := x.CpupoolRemoveCPU(0, cpu); err != nil {
			t.Fatal(err)
		}
	}
	free, err := x.CpupoolFreeCPUs()
	if err != nil || !free.Equal(cpuset.Of(6, 7)) {
		t.Fatalf("free = %v, %v", free, err)
	}
	if err := x.CpupoolAddCPU(id, 6); err != nil {
		t.Fatal(err)
	}
	if err := x.CpupoolAddCPU(id, PoolAny); err != nil {
		t.Fatal(err)
	}
	if err := x.CpupoolMoveDomain(id, 5); err != nil {
		t.Fatal(err)
	}
	pools, err := ListCpupools(x)
	if err != nil {
		t.Fatal(err)
	}
	want := []CpupoolInfo{
		{ID: 0, Scheduler: SchedCredit2, NDom: 1, CPUs: cpuset.Of(0, 1, 2, 3, 4, 5)},
		{ID: 1, Scheduler: SchedCredit, NDom: 1, CPUs: cpuset.Of(6, 7)},
	}
	if !reflect.DeepEqual(pools, want) {
		t.Errorf("pools = %+v\nwant %+v", pools, want)
	}
	if pools[0].CPUs.String() != "0-5" {
		t.Errorf("String = %q", pools[0].CPUs.String())
	}
	if err := x.CpupoolDestroy(id); !errors.Is(err, unix.EBUSY) {
		t.Errorf("destroy busy pool = %v, want EBUSY", err)
	}
	if err := x.CpupoolMoveDomain(0, 5); err != nil {
		t.Fatal(err)
	}
	for _, cpu := range []uint32{6, 7} {
		if err := x.CpupoolRemoveCPU(id, cpu); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.CpupoolDestroy(id); err != nil {
		t.Fatal(err)
	}
	if _, err := x.CpupoolInfo(1); !errors.Is(err, unix.ENOENT) {
		t.Errorf("info past the end = %v, want ENOENT", err)
	}
}

func TestPoolSchedParams(t *testing.T) {
	xen := newFakeXen(4)
	xen.pools[1] = &fakePool{sched: SchedCredit, cpus: map[uint32]bool{}, credit: sysctlCreditSchedule{TsliceMS: 30, RatelimitUS: 1000, VCPUMigrDelayUS: 0}}
	xen.pools[2] = &fakePool{sched: SchedARINC653, cpus: map[uint32]bool{}}
	x, _ := openFake(t, xen, nil)

	c2, err := x.PoolSchedParams(0, SchedCredit2)
	if err != nil || c2 != (PoolSchedParams{Scheduler: SchedCredit2, RatelimitUS: 1000}) {
		t.Fatalf("credit2 get = %+v, %v", c2, err)
	}
	if err := x.SetPoolSchedParams(0, PoolSchedParams{Scheduler: SchedCredit2, RatelimitUS: 500}); err != nil {
		t.Fatal(err)
	}
	if xen.pools[0].credit2.RatelimitUS != 500 {
		t.Errorf("credit2 ratelimit = %d", xen.pools[0].credit2.RatelimitUS)
	}

	c, err := x.PoolSchedParams(1, SchedCredit)
	if err != nil || c != (PoolSchedParams{Scheduler: SchedCredit, TsliceMS: 30, RatelimitUS: 1000}) {
		t.Fatalf("credit get = %+v, %v", c, err)
	}
	set := PoolSchedParams{Scheduler: SchedCredit, TsliceMS: 10, RatelimitUS: 2000, MigrationDelayUS: 50}
	if err := x.SetPoolSchedParams(1, set); err != nil {
		t.Fatal(err)
	}
	if got := xen.pools[1].credit; got != (sysctlCreditSchedule{TsliceMS: 10, RatelimitUS: 2000, VCPUMigrDelayUS: 50}) {
		t.Errorf("credit = %+v", got)
	}

	sched := &ARINC653Schedule{MajorFrame: 10 * time.Millisecond, Entries: []ARINC653Entry{
		{DomainHandle: [16]byte{15: 5}, VCPU: 0, Runtime: 4 * time.Millisecond},
		{DomainHandle: [16]byte{15: 6}, VCPU: 1, Runtime: 6 * time.Millisecond},
	}}
	if err := x.SetPoolSchedParams(2, PoolSchedParams{Scheduler: SchedARINC653, ARINC653: sched}); err != nil {
		t.Fatal(err)
	}
	a, err := x.PoolSchedParams(2, SchedARINC653)
	if err != nil || !reflect.DeepEqual(a.ARINC653, sched) {
		t.Fatalf("arinc653 get = %+v, %v", a.ARINC653, err)
	}
	big := &ARINC653Schedule{Entries: make([]ARINC653Entry, 65)}
	if err := x.SetPoolSchedParams(2, PoolSchedParams{Scheduler: SchedARINC653, ARINC653: big}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("65 entries = %v, want EINVAL", err)
	}

	_, err = x.PoolSchedParams(0, SchedCredit)
	var oe *OpError
	if !errors.As(err, &oe) || !errors.Is(err, unix.EINVAL) || oe.Meaning == "" {
		t.Errorf("wrong scheduler = %v, want EINVAL with a meaning", err)
	}
	if _, err := x.PoolSchedParams(9, SchedCredit); !errors.Is(err, unix.ESRCH) {
		t.Errorf("unknown pool = %v, want ESRCH", err)
	}
}

func TestDomainInfo(t *testing.T) {
	for _, pre418 := range []bool{false, true} {
		xen := newFakeXen(4)
		xen.preGetdomaininfoESRCH = pre418
		x, _ := openFake(t, xen, nil)
		d, err := x.DomainInfo(5)
		if err != nil {
			t.Fatal(err)
		}
		if d.Domid != 5 || d.OnlineVCPUs != 2 || d.MaxVCPUID != 1 || d.TotPages != 1005 || !d.Running() || d.CPUTime != 123456789*time.Nanosecond {
			t.Errorf("DomainInfo(5) = %+v", d)
		}
		if d.UUID() != "00000000-0000-0000-0000-000000000005" {
			t.Errorf("UUID = %s", d.UUID())
		}
		// Domain 3 does not exist; before 4.18 Xen answers with domain 5.
		_, err = x.DomainInfo(3)
		if !errors.Is(err, unix.ESRCH) {
			t.Errorf("pre-4.18 %v: DomainInfo(3) = %v, want ESRCH", pre418, err)
		}
	}
}

func TestListDomains(t *testing.T) {
	xen := newFakeXen(4)
	for id := uint16(10); id < 10+300; id++ {
		xen.addDomain(id, 0, 1)
	}
	x, dev := openFake(t, xen, nil)
	dev.reset()
	doms, err := ListDomains(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(doms) != 302 || doms[0].Domid != 0 || doms[1].Domid != 5 || doms[301].Domid != 309 {
		t.Fatalf("got %d domains: first %d, last %d", len(doms), doms[0].Domid, doms[len(doms)-1].Domid)
	}
	if n := len(dev.snapshot()); n != 2 {
		t.Errorf("%d hypercalls, want 2 batches", n)
	}
}

func TestDomainSchedParams(t *testing.T) {
	xen := newFakeXen(4)
	xen.pools[3] = &fakePool{sched: SchedRTDS, cpus: map[uint32]bool{3: true}, ndom: 1}
	xen.addDomain(7, 3, 3)
	x, _ := openFake(t, xen, nil)

	p, err := x.DomainSchedParams(5, SchedCredit2)
	if err != nil || p != (DomainSchedParams{Scheduler: SchedCredit2, Weight: 256}) {
		t.Fatalf("get = %+v, %v", p, err)
	}
	if err := x.SetDomainSchedParams(5, DomainSchedParams{Scheduler: SchedCredit2, Weight: 512, Cap: 50}); err != nil {
		t.Fatal(err)
	}
	if xen.domains[5].wc != (domctlSchedCredit{Weight: 512, Cap: 50}) {
		t.Errorf("weight/cap = %+v", xen.domains[5].wc)
	}
	if _, err := x.DomainSchedParams(5, SchedCredit); !errors.Is(err, unix.EINVAL) {
		t.Errorf("wrong scheduler = %v, want EINVAL", err)
	}
	if _, err := x.DomainSchedParams(99, SchedCredit2); !errors.Is(err, unix.ESRCH) {
		t.Errorf("no domain = %v, want ESRCH", err)
	}

	r, err := x.DomainSchedParams(7, SchedRTDS)
	if err != nil || r.PeriodUS != 10000 || r.BudgetUS != 4000 {
		t.Fatalf("rtds get = %+v, %v", r, err)
	}
	if err := x.SetDomainSchedParams(7, DomainSchedParams{Scheduler: SchedRTDS, PeriodUS: 20000, BudgetUS: 5000}); err != nil {
		t.Fatal(err)
	}
	if err := x.SetVCPUSchedParams(7, SchedRTDS, []VCPUSchedParams{{VCPU: 2, PeriodUS: 1000, BudgetUS: 500, Extratime: true}}); err != nil {
		t.Fatal(err)
	}
	v, err := x.VCPUSchedParams(7, SchedRTDS, []uint32{0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []VCPUSchedParams{
		{VCPU: 0, PeriodUS: 20000, BudgetUS: 5000},
		{VCPU: 1, PeriodUS: 20000, BudgetUS: 5000},
		{VCPU: 2, PeriodUS: 1000, BudgetUS: 500, Extratime: true},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("vcpus = %+v\nwant %+v", v, want)
	}
	if _, err := x.VCPUSchedParams(7, SchedRTDS, []uint32{3}); !errors.Is(err, unix.EINVAL) {
		t.Errorf("vcpu 3 = %v, want EINVAL", err)
	}
}

// TestVCPUSchedParamsPartialProgress: Xen may process fewer vCPUs than
// asked (it preempts after 64) and reports how many; xgo must continue
// with the rest, pointing the handle past the done ones.
func TestVCPUSchedParamsPartialProgress(t *testing.T) {
	xen := newFakeXen(4)
	xen.pools[3] = &fakePool{sched: SchedRTDS, cpus: map[uint32]bool{3: true}, ndom: 1}
	xen.addDomain(7, 3, 5)
	xen.vcpuBatch = 2
	x, dev := openFake(t, xen, nil)
	dev.reset()
	v, err := x.VCPUSchedParams(7, SchedRTDS, []uint32{0, 1, 2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 5 || v[4].VCPU != 4 || v[4].PeriodUS != 10000 {
		t.Errorf("vcpus = %+v", v)
	}
	calls := dev.snapshot()
	if len(calls) != 3 {
		t.Fatalf("%d hypercalls, want 3 (2+2+1)", len(calls))
	}
	h0 := view[domctlOp](calls[0].req).schedulerOp().vcpus()
	h1 := view[domctlOp](calls[1].req).schedulerOp().vcpus()
	if h1.VCPUs != h0.VCPUs+2*16 || h1.NrVCPUs != 3 || h0.NrVCPUs != 5 {
		t.Errorf("second call handle %#x/%d after %#x/%d, want +32 bytes and 3 left", h1.VCPUs, h1.NrVCPUs, h0.VCPUs, h0.NrVCPUs)
	}
}

func TestScheduler(t *testing.T) {
	for _, s := range []Scheduler{SchedCredit, SchedCredit2, SchedARINC653, SchedRTDS, SchedNull} {
		p, err := ParseScheduler(s.String())
		if err != nil || p != s {
			t.Errorf("ParseScheduler(%q) = %v, %v", s.String(), p, err)
		}
	}
	if _, err := ParseScheduler("sedf"); err == nil {
		t.Error("sedf parsed")
	}
	if Scheduler(4).String() != "scheduler(4)" {
		t.Errorf("String = %q", Scheduler(4).String())
	}
}

func TestXenBuildInfo(t *testing.T) {
	xen := newFakeXen(4)
	x, _ := openFake(t, xen, nil)
	got, err := x.XenBuildInfo()
	if err != nil || got != xen.build {
		t.Errorf("XenBuildInfo = %+v, %v\nwant %+v", got, err, xen.build)
	}
	// A string that fills its array has no NUL: it is read to the end.
	xen.build.CompileBy = "0123456789abcdef"
	if got, _ := x.XenBuildInfo(); got.CompileBy != xen.build.CompileBy {
		t.Errorf("full compile_by = %q", got.CompileBy)
	}
}

func TestMemSharing(t *testing.T) {
	xen := newFakeXen(4)
	x, dev := openFake(t, xen, nil)
	got, err := x.MemSharing()
	if err != nil || got != xen.sharing {
		t.Errorf("MemSharing = %+v, %v", got, err)
	}
	dev.force = func(c fakeCall) syscall.Errno {
		if c.op == hypervisorMemoryOp {
			return unix.ENOSYS
		}
		return 0
	}
	if _, err := x.MemSharing(); !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "memory_op get_sharing_freed_pages") {
		t.Errorf("ENOSYS: %v", err)
	}
}

func TestPCITopology(t *testing.T) {
	for _, batch := range []int{0, 1, 2} {
		xen := newFakeXen(4)
		xen.pciBatch = batch
		x, _ := openFake(t, xen, nil)
		order, err := ReadPCIDevices(x.pciDir)
		if err != nil || len(order) != 3 {
			t.Fatalf("ReadPCIDevices = %v, %v", order, err)
		}
		before := x.Hypercalls()
		got, err := x.PCITopology()
		if err != nil || len(got) != 3 {
			t.Fatalf("batch %d: PCITopology = %v, %v", batch, got, err)
		}
		want := map[string]uint32{"0000:00:00.0": 0, "0000:00:1f.3": InvalidID, "0000:03:00.1": InvalidDev}
		for i, e := range got {
			if e.Device != order[i] || want[e.Device.String()] != e.Node {
				t.Errorf("batch %d: entry %d = %v %#x; sysfs order %v", batch, i, e.Device, e.Node, order)
			}
		}
		calls := map[int]uint64{0: 1, 1: 3, 2: 2}[batch]
		if n := x.Hypercalls() - before; n != calls {
			t.Errorf("batch %d: %d hypercalls, want %d", batch, n, calls)
		}
		if !got[0].HasNode() && !got[1].HasNode() && !got[2].HasNode() {
			t.Errorf("no device has a node: %v", got)
		}
	}
	// No devices: no hypercall, no error. No directory: ErrNotSupported.
	xen := newFakeXen(4)
	xen.pciDevs = nil
	x, _ := openFake(t, xen, nil)
	before := x.Hypercalls()
	if got, err := x.PCITopology(); err != nil || len(got) != 0 || x.Hypercalls() != before {
		t.Errorf("no devices: %v, %v, %d calls", got, err, x.Hypercalls()-before)
	}
	x.pciDir = filepath.Join(t.TempDir(), "missing")
	if _, err := x.PCITopology(); !errors.Is(err, ErrNotSupported) {
		t.Errorf("no sysfs: %v", err)
	}
}

func TestParsePCIDevice(t *testing.T) {
	for _, s := range []string{"0000:00:1f.3", "0001:1a:00.0", "ffff:ff:1f.7"} {
		d, err := ParsePCIDevice(s)
		if err != nil || d.String() != s {
			t.Errorf("ParsePCIDevice(%q) = %v, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "0000:00:1f", "0000:00.1f.3", "zz:00:00.0", "10000:00:00.0", "0000:00:00.x", "pci0000:00"} {
		if d, err := ParsePCIDevice(s); err == nil {
			t.Errorf("ParsePCIDevice(%q) = %v, want an error", s, d)
		}
	}
}
