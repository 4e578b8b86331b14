package xensim

import (
	"errors"
	"syscall"
	"testing"

	"xgo.dev/xgo/hypercall"
)

// One test per rule of xen-abi.md §6 (and the scheduler rules of §2.4),
// named after the Xen function it mirrors. The conformance scenarios of
// internal/scenario check the same rules again through the Hypervisor
// interface, on this simulator and on real Xen.

func testHost(t *testing.T, spec *Spec) *Host {
	t.Helper()
	h, err := NewHost(spec)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func labHost(t *testing.T) *Host     { return testHost(t, LabSpec()) }
func defaultHost(t *testing.T) *Host { return testHost(t, DefaultSpec()) }

// fullSpec has every scheduler built, SMT, an absent CPU and room above
// the present CPUs.
func fullSpec() *Spec {
	s := DefaultSpec()
	s.Schedulers.Built = []string{"credit", "credit2", "rtds", "null", "arinc653"}
	s.CPUs.Absent = "13"
	return s
}

func want(t *testing.T, err error, errno syscall.Errno, what string) {
	t.Helper()
	if errno == 0 {
		if err != nil {
			t.Errorf("%s: %v, want success", what, err)
		}
		return
	}
	if !errors.Is(err, errno) {
		t.Errorf("%s: %v, want %s", what, err, ErrnoName(errno))
		return
	}
	var oe *hypercall.OpError
	if !errors.As(err, &oe) || oe.Err != errno {
		t.Errorf("%s: %v is not a *hypercall.OpError with errno %s", what, err, ErrnoName(errno))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func poolOf(t *testing.T, h *Host, cpu uint32) int64 {
	t.Helper()
	pools, err := hypercall.ListCpupools(h)
	must(t, err)
	in := int64(-1)
	for _, p := range pools {
		if p.CPUs.Has(int(cpu)) {
			if in != -1 {
				t.Fatalf("cpu %d in pools %d and %d", cpu, in, p.ID)
			}
			in = int64(p.ID)
		}
	}
	free, err := h.CpupoolFreeCPUs()
	must(t, err)
	if free.Has(int(cpu)) {
		if in != -1 {
			t.Fatalf("cpu %d free and in pool %d", cpu, in)
		}
		return -2 // free
	}
	return in
}

const free = -2

func online(t *testing.T, h *Host, cpu uint32) bool {
	t.Helper()
	i, err := h.PCPUInfo(cpu)
	must(t, err)
	return i.Online
}

// --- pCPU hotplug: platform_hypercall.c, sysctl.c, cpu.c, smp.c, cpupool.c ---

func TestHotplugCPU0(t *testing.T) {
	h := labHost(t)
	want(t, h.PlatformCPUOffline(0), eOPNOTSUPP, "XENPF_cpu_offline cpu 0")
	want(t, h.CPUHotplug(hypercall.HotplugOffline, 0), eINVAL, "cpu_down cpu 0")
	if !online(t, h, 0) {
		t.Error("cpu 0 went offline")
	}
}

func TestHotplugOutOfRange(t *testing.T) {
	h := labHost(t)
	for _, cpu := range []uint32{4, 100, 0xFFFFFFFF} {
		want(t, h.PlatformCPUOnline(cpu), eINVAL, "XENPF_cpu_online beyond nr_cpu_ids")
		want(t, h.PlatformCPUOffline(cpu), eINVAL, "XENPF_cpu_offline beyond nr_cpu_ids")
		want(t, h.CPUHotplug(hypercall.HotplugOnline, cpu), eINVAL, "cpu_up beyond nr_cpu_ids")
		want(t, h.CPUHotplug(hypercall.HotplugOffline, cpu), eINVAL, "cpu_down beyond nr_cpu_ids")
	}
}

func TestHotplugNotPresent(t *testing.T) {
	h := testHost(t, fullSpec()) // CPU 13 absent, 16-31 never present
	for _, cpu := range []uint32{13, 20} {
		want(t, h.PlatformCPUOnline(cpu), eINVAL, "XENPF_cpu_online absent")
		want(t, h.PlatformCPUOffline(cpu), eINVAL, "XENPF_cpu_offline absent")
		want(t, h.CPUHotplug(hypercall.HotplugOnline, cpu), eINVAL, "cpu_up absent (!cpu_present)")
		// cpu_down only checks nr_cpu_ids and cpu 0, then !cpu_online.
		want(t, h.CPUHotplug(hypercall.HotplugOffline, cpu), eEXIST, "cpu_down absent")
	}
}

func TestHotplugAlreadyInState(t *testing.T) {
	h := labHost(t)
	want(t, h.PlatformCPUOnline(3), 0, "XENPF_cpu_online of an online cpu")
	want(t, h.CPUHotplug(hypercall.HotplugOnline, 3), eEXIST, "cpu_up of an online cpu")
	must(t, h.CPUHotplug(hypercall.HotplugOffline, 3))
	want(t, h.PlatformCPUOffline(3), 0, "XENPF_cpu_offline of an offline cpu")
	want(t, h.CPUHotplug(hypercall.HotplugOffline, 3), eEXIST, "cpu_down of an offline cpu")
}

func TestHotplugPool0CPU(t *testing.T) {
	for _, path := range []string{"platform", "sysctl"} {
		h := labHost(t)
		off, on := h.PlatformCPUOffline, h.PlatformCPUOnline
		if path == "sysctl" {
			off = func(c uint32) error { return h.CPUHotplug(hypercall.HotplugOffline, c) }
			on = func(c uint32) error { return h.CPUHotplug(hypercall.HotplugOnline, c) }
		}
		must(t, off(2))
		if online(t, h, 2) || poolOf(t, h, 2) != -1 {
			t.Errorf("%s: offline cpu 2 online=%v pool=%d", path, online(t, h, 2), poolOf(t, h, 2))
		}
		pi, _ := h.Physinfo()
		if pi.NrCPUs != 3 {
			t.Errorf("%s: nr_cpus %d after offline", path, pi.NrCPUs)
		}
		// cpupool_cpu_add: an onlined CPU joins Pool-0.
		must(t, on(2))
		if p := poolOf(t, h, 2); p != 0 {
			t.Errorf("%s: onlined cpu 2 in pool %d", path, p)
		}
	}
}

func TestHotplugOfflineOtherPool(t *testing.T) {
	// cpupool_cpu_remove_prologue: -ENODEV for a CPU of a pool other
	// than Pool-0.
	h := labHost(t)
	id, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, err)
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CpupoolAddCPU(id, 3))
	want(t, h.PlatformCPUOffline(3), eNODEV, "XENPF_cpu_offline of a pool-1 cpu")
	if !online(t, h, 3) || poolOf(t, h, 3) != int64(id) {
		t.Error("refused offline changed the cpu's pool")
	}
	// The refusal left cpu 3 in cpupool_locked_cpus: stranded until a
	// reboot (docs/xen-behaviour.md).
	want(t, h.CPUHotplug(hypercall.HotplugOffline, 3), eBUSY, "cpu_down of a stranded cpu")
	want(t, h.PlatformCPUOffline(3), eBUSY, "XENPF_cpu_offline of a stranded cpu")
	want(t, h.CPUHotplug(hypercall.HotplugOnline, 3), eEXIST, "online a stranded cpu")
	must(t, h.CpupoolRemoveCPU(id, 3))
	if poolOf(t, h, 3) != free {
		t.Error("removing the stranded cpu from its pool did not free it")
	}
	want(t, h.CpupoolAddCPU(0, 3), eNODEV, "add the stranded cpu to Pool-0")
	want(t, h.CpupoolAddCPU(id, 3), eNODEV, "add the stranded cpu back to its pool")
	want(t, h.CpupoolAddCPU(id, hypercall.PoolAny), eNODEV, "PAR_ANY picks the stranded free cpu")
	if got := h.StrandedCPUs(); got.String() != "3" {
		t.Errorf("StrandedCPUs = %v, want 3", got)
	}
	if got := h.ReleaseStrandedCPUs(); len(got) != 1 || got[0] != 3 {
		t.Errorf("ReleaseStrandedCPUs = %v, want [3]", got)
	}
	must(t, h.CpupoolAddCPU(0, 3))
	must(t, h.CPUHotplug(hypercall.HotplugOffline, 3))
	must(t, h.CPUHotplug(hypercall.HotplugOnline, 3))
	if h.StrandedCPUs().Len() != 0 {
		t.Errorf("a successful offline and online left %v stranded", h.StrandedCPUs())
	}
}

func TestHotplugFreeCPUReturnsToPool0(t *testing.T) {
	h := labHost(t)
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CpupoolAddCPU(id, 3))
	must(t, h.CpupoolRemoveCPU(id, 3))
	if poolOf(t, h, 3) != free {
		t.Fatal("removed cpu is not free")
	}
	must(t, h.PlatformCPUOffline(3)) // a free CPU can go offline
	free, _ := h.CpupoolFreeCPUs()
	if free.Has(3) {
		t.Error("offline cpu still free")
	}
	must(t, h.CPUHotplug(hypercall.HotplugOnline, 3))
	if p := poolOf(t, h, 3); p != 0 {
		t.Errorf("onlined cpu in pool %d, want Pool-0 (never the pool it left)", p)
	}
}

func TestHotplugSMTOff(t *testing.T) {
	// cpu_up_helper: with smt=0 a CPU with an online sibling is brought
	// up, taken down again, and -EPERM returned.
	s := DefaultSpec()
	off := false
	s.Xen.SMT = &off
	h := testHost(t, s)
	if online(t, h, 1) || !online(t, h, 0) {
		t.Fatal("smt=0 did not park the secondary threads")
	}
	want(t, h.PlatformCPUOnline(1), ePERM, "XENPF_cpu_online of a secondary thread with smt=0")
	want(t, h.CPUHotplug(hypercall.HotplugOnline, 1), ePERM, "cpu_up_helper of a secondary thread with smt=0")
	if online(t, h, 1) {
		t.Error("secondary thread stayed online")
	}
	pi, _ := h.Physinfo()
	if pi.NrCPUs != 8 || pi.ThreadsPerCore != 1 || pi.CoresPerSocket != 4 {
		t.Errorf("physinfo with smt=0: %+v", pi)
	}
	// SMT enable sets opt_smt and brings the secondaries up, into Pool-0.
	must(t, h.CPUHotplug(hypercall.HotplugSMTEnable, 0))
	if !online(t, h, 1) || poolOf(t, h, 1) != 0 {
		t.Error("SMT enable did not online cpu 1 into Pool-0")
	}
}

func TestHotplugSMT(t *testing.T) {
	// arch_do_sysctl: SMT operations need hyper-threading.
	h := labHost(t)
	want(t, h.CPUHotplug(hypercall.HotplugSMTDisable, 0), eOPNOTSUPP, "SMT disable without HT")
	err := h.CPUHotplug(hypercall.HotplugSMTEnable, 0)
	want(t, err, eOPNOTSUPP, "SMT enable without HT")
	if !errors.Is(err, hypercall.ErrNotSupported) {
		t.Errorf("%v does not match ErrNotSupported", err)
	}
	want(t, h.CPUHotplug(hypercall.HotplugOp(7), 1), eOPNOTSUPP, "unknown hotplug op")

	// smt_up_down_helper stops at a CPU that cannot go down.
	h = defaultHost(t)
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, h.CpupoolRemoveCPU(0, 5))
	must(t, h.CpupoolAddCPU(id, 5))
	want(t, h.CPUHotplug(hypercall.HotplugSMTDisable, 0), eNODEV, "SMT disable with a secondary in pool 1")
	if online(t, h, 1) || online(t, h, 3) || !online(t, h, 5) || !online(t, h, 7) {
		t.Error("SMT disable did not stop at cpu 5")
	}
	// The refused cpu 5 is stranded: the next SMT disable stops there
	// with EBUSY, even out of its pool.
	must(t, h.CpupoolRemoveCPU(id, 5))
	want(t, h.CPUHotplug(hypercall.HotplugSMTDisable, 0), eBUSY, "SMT disable with a stranded secondary")
	h.ReleaseStrandedCPUs() // a reboot
	must(t, h.CPUHotplug(hypercall.HotplugSMTDisable, 0))
	pi, _ := h.Physinfo()
	if pi.NrCPUs != 8 || pi.ThreadsPerCore != 1 {
		t.Errorf("after SMT disable: %+v", pi)
	}
	must(t, h.CPUHotplug(hypercall.HotplugSMTEnable, 0))
	pi, _ = h.Physinfo()
	if pi.NrCPUs != 16 || pi.ThreadsPerCore != 2 {
		t.Errorf("after SMT enable: %+v", pi)
	}
}

func TestPhysinfoFromCPU0(t *testing.T) {
	// sysctl.c XEN_SYSCTL_physinfo: threads and cores from CPU 0's
	// sibling and core masks, which lose offline CPUs (remove_siblinginfo).
	h := defaultHost(t)
	must(t, h.PlatformCPUOffline(1))
	pi, _ := h.Physinfo()
	if pi.ThreadsPerCore != 1 || pi.CoresPerSocket != 7 || pi.NrCPUs != 15 {
		t.Errorf("physinfo after offlining cpu 0's sibling: %+v", pi)
	}
	must(t, h.PlatformCPUOffline(9)) // other socket: no change to the counts
	pi, _ = h.Physinfo()
	if pi.ThreadsPerCore != 1 || pi.CoresPerSocket != 7 || pi.NrCPUs != 14 {
		t.Errorf("physinfo after offlining cpu 9: %+v", pi)
	}
}

func TestCPUTopologyOffline(t *testing.T) {
	// cpu_smpboot_free: unparked (AMD) offline CPUs lose core and socket.
	h := labHost(t)
	must(t, h.PlatformCPUOffline(2))
	topo, _ := h.CPUTopology()
	if topo[2].Present() || topo[2].Node != 0 || !topo[1].Present() {
		t.Errorf("lab topology after offline: %+v", topo)
	}
	h = defaultHost(t) // parked (Intel): keeps them
	must(t, h.PlatformCPUOffline(2))
	topo, _ = h.CPUTopology()
	if !topo[2].Present() || topo[2].Core != 1 {
		t.Errorf("default topology after offline: %+v", topo)
	}
}

func TestGetCPUInfoInvalid(t *testing.T) {
	// XENPF_get_cpuinfo never fails for a bad id.
	h := testHost(t, fullSpec())
	for _, cpu := range []uint32{13, 16, 31, 32, 0xFFFFFFFF} {
		i, err := h.PCPUInfo(cpu)
		must(t, err)
		if !i.Invalid || i.Online || i.MaxPresent != 15 || i.APICID != 0 {
			t.Errorf("cpu %d: %+v", cpu, i)
		}
	}
}

// --- cpupool_do_sysctl (xen/common/sched/cpupool.c) ---

func TestCpupoolCreate(t *testing.T) {
	h := labHost(t) // nr_cpu_ids 4: at most 8 pools
	id, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, err)
	if id != 1 {
		t.Errorf("first pool id %d", id)
	}
	info, _ := h.CpupoolInfo(id)
	if info.ID != 1 || info.NDom != 0 || info.CPUs.Len() != 0 || info.Scheduler != hypercall.SchedCredit {
		t.Errorf("new pool %+v", info)
	}
	_, err = h.CpupoolCreate(1, hypercall.SchedCredit)
	want(t, err, eEXIST, "create with a used id")
	_, err = h.CpupoolCreate(0, hypercall.SchedCredit2)
	want(t, err, eEXIST, "create with id 0")
	_, err = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedRTDS)
	want(t, err, eNOENT, "create with an unbuilt scheduler")
	if !errors.Is(err, hypercall.ErrNotSupported) {
		t.Errorf("%v does not match ErrNotSupported", err)
	}
	_, err = h.CpupoolCreate(hypercall.PoolAny, hypercall.Scheduler(4))
	want(t, err, eNOENT, "create with the removed SEDF")
	// (highest id)+1, not the lowest gap
	must(t, h.CpupoolDestroy(1))
	id, _ = h.CpupoolCreate(5, hypercall.SchedCredit)
	if id != 5 {
		t.Errorf("explicit id %d", id)
	}
	id, _ = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	if id != 6 {
		t.Errorf("after pool 5 got %d, want 6", id)
	}
	// Wrap: the highest id is 0xFFFFFFFE, so the first gap is used.
	_, err = h.CpupoolCreate(0xFFFFFFFE, hypercall.SchedCredit)
	must(t, err)
	id, _ = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	if id != 1 {
		t.Errorf("after the top id got %d, want the gap 1", id)
	}
	for i := 0; i < 3; i++ {
		_, err = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
		must(t, err)
	}
	_, err = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	want(t, err, eNOSPC, "the 9th pool with nr_cpu_ids 4")
	_, err = h.CpupoolCreate(1, hypercall.SchedCredit)
	want(t, err, eNOSPC, "ENOSPC comes before EEXIST")
}

func TestCpupoolDestroy(t *testing.T) {
	h := labHost(t)
	want(t, h.CpupoolDestroy(7), eNOENT, "destroy an unknown pool")
	want(t, h.CpupoolDestroy(0), eBUSY, "destroy Pool-0")
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CpupoolAddCPU(id, 3))
	want(t, h.CpupoolDestroy(id), eBUSY, "destroy a pool with a cpu")
	must(t, h.CpupoolMoveDomain(id, 1))
	must(t, h.CpupoolRemoveCPU(0, 2))
	must(t, h.CpupoolAddCPU(id, 2))
	must(t, h.CpupoolRemoveCPU(id, 3))
	want(t, h.CpupoolRemoveCPU(id, 2), eBUSY, "remove the last cpu of a pool with a domain")
	want(t, h.CpupoolDestroy(id), eBUSY, "destroy a pool with a domain")
	must(t, h.CpupoolMoveDomain(0, 1))
	must(t, h.CpupoolRemoveCPU(id, 2))
	must(t, h.CpupoolDestroy(id))
	_, err := h.CpupoolInfo(id)
	want(t, err, eNOENT, "info of the destroyed pool")
}

func TestCpupoolInfoEnumeration(t *testing.T) {
	h := defaultHost(t)
	for _, id := range []uint32{3, 9} {
		_, err := h.CpupoolCreate(id, hypercall.SchedCredit)
		must(t, err)
	}
	for req, got := range map[uint32]uint32{0: 0, 1: 3, 3: 3, 4: 9, 9: 9} {
		info, err := h.CpupoolInfo(req)
		must(t, err)
		if info.ID != got {
			t.Errorf("info(%d) = pool %d, want %d", req, info.ID, got)
		}
	}
	_, err := h.CpupoolInfo(10)
	want(t, err, eNOENT, "info past the last pool")
	pools, _ := hypercall.ListCpupools(h)
	if len(pools) != 3 {
		t.Errorf("ListCpupools = %+v", pools)
	}
}

func TestCpupoolAddCPU(t *testing.T) {
	h := defaultHost(t)
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	want(t, h.CpupoolAddCPU(77, 3), eNOENT, "add to an unknown pool")
	want(t, h.CpupoolAddCPU(id, hypercall.PoolAny), eNODEV, "add any cpu with none free")
	want(t, h.CpupoolAddCPU(id, 32), eINVAL, "add a cpu beyond nr_cpu_ids")
	want(t, h.CpupoolAddCPU(id, 20), eNODEV, "add a non-present cpu (offline)")
	want(t, h.CpupoolAddCPU(id, 3), eNODEV, "add a cpu of Pool-0")
	must(t, h.CpupoolRemoveCPU(0, 12))
	must(t, h.CpupoolRemoveCPU(0, 11))
	must(t, h.PlatformCPUOffline(12))
	want(t, h.CpupoolAddCPU(id, 12), eNODEV, "add an offline cpu")
	must(t, h.CpupoolAddCPU(id, hypercall.PoolAny)) // the first free: 11
	if poolOf(t, h, 11) != int64(id) {
		t.Error("PAR_ANY did not take cpu 11")
	}
	want(t, h.CpupoolAddCPU(id, 11), eNODEV, "add a cpu twice")
}

func TestCpupoolRemoveCPU(t *testing.T) {
	h := defaultHost(t)
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	want(t, h.CpupoolRemoveCPU(77, 3), eNOENT, "remove from an unknown pool")
	want(t, h.CpupoolRemoveCPU(id, hypercall.PoolAny), eINVAL, "remove any cpu of an empty pool")
	want(t, h.CpupoolRemoveCPU(0, 32), eINVAL, "remove a cpu beyond nr_cpu_ids")
	want(t, h.CpupoolRemoveCPU(0, 0), eINVAL, "remove cpu 0 from Pool-0")
	want(t, h.CpupoolRemoveCPU(id, 3), eADDRNOTAVAIL, "remove a cpu that is not a member")
	must(t, h.PlatformCPUOffline(4))
	want(t, h.CpupoolRemoveCPU(0, 4), eINVAL, "remove an offline cpu")
	must(t, h.CpupoolRemoveCPU(0, hypercall.PoolAny)) // the last: 15
	if poolOf(t, h, 15) != free {
		t.Error("PAR_ANY did not free cpu 15, or it went back to Pool-0")
	}
}

func TestCpupoolMovingCPU(t *testing.T) {
	// cpupool_unassign_cpu_finish / cpupool_assign_cpu_locked: an RMCPU
	// that stops with EAGAIN leaves the CPU "moving".
	h := defaultHost(t)
	a, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	b, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, h.CpupoolRemoveCPU(0, 14))
	must(t, h.CpupoolRemoveCPU(0, 15))
	must(t, h.CpupoolAddCPU(a, 14))
	must(t, h.CpupoolAddCPU(a, 15))

	// A few EAGAINs are retried by the hypercall layer and complete.
	must(t, h.FailNext(OpPoolRmCPU, eAGAIN, 3))
	n := h.Hypercalls()
	must(t, h.CpupoolRemoveCPU(a, 15))
	if got := h.Hypercalls() - n; got != 4 {
		t.Errorf("rmcpu with 3 EAGAINs took %d hypercalls, want 4", got)
	}
	if poolOf(t, h, 15) != free {
		t.Error("retried rmcpu did not free cpu 15")
	}

	must(t, h.FailAlways(OpPoolRmCPU, eAGAIN))
	want(t, h.CpupoolRemoveCPU(a, 14), eAGAIN, "rmcpu failing in cpu_disable_scheduler")
	h.ClearFaults()
	if poolOf(t, h, 14) != free {
		t.Error("interrupted cpu is not in the free mask")
	}
	want(t, h.CpupoolAddCPU(b, 14), eADDRNOTAVAIL, "add the moving cpu to another pool")
	want(t, h.CpupoolRemoveCPU(0, 3), eADDRNOTAVAIL, "remove another cpu while one is moving")
	want(t, h.PlatformCPUOffline(3), eADDRNOTAVAIL, "offline a Pool-0 cpu while one is moving")
	must(t, h.CpupoolAddCPU(a, 14)) // repairs
	// The refused offline stranded cpu 3 (cpupool_locked_cpus).
	must(t, h.CpupoolRemoveCPU(0, 3))
	want(t, h.CpupoolAddCPU(b, 3), eNODEV, "add the cpu a refused offline stranded")
	h.ReleaseStrandedCPUs()
	must(t, h.CpupoolAddCPU(b, 3))

	// Removing the moving CPU again completes the removal.
	must(t, h.FailNext(OpPoolRmCPU, eADDRINUSE, 6)) // 5 retries, then the error
	want(t, h.CpupoolRemoveCPU(a, 14), eADDRINUSE, "rmcpu with a pinned vcpu")
	must(t, h.CpupoolRemoveCPU(a, 14))
	if poolOf(t, h, 14) != free {
		t.Error("second rmcpu did not complete")
	}
	must(t, h.CpupoolAddCPU(b, 14))
}

func TestCpupoolMoveDomain(t *testing.T) {
	h := labHost(t)
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	want(t, h.CpupoolMoveDomain(id, 9), eSRCH, "move an unknown domain")
	want(t, h.CpupoolMoveDomain(id, 0), ePERM, "move dom0 from dom0")
	want(t, h.CpupoolMoveDomain(0, 0), ePERM, "move dom0 into its own pool")
	want(t, h.CpupoolMoveDomain(0, 1), 0, "move into the pool it is in")
	want(t, h.CpupoolMoveDomain(id, 1), eNOENT, "move into a pool without cpus")
	want(t, h.CpupoolMoveDomain(42, 1), eNOENT, "move into an unknown pool")
	must(t, h.SetDomainSchedParams(1, hypercall.DomainSchedParams{Scheduler: hypercall.SchedCredit2, Weight: 512}))
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CpupoolAddCPU(id, 3))
	must(t, h.CpupoolMoveDomain(id, 1))
	p0, _ := h.CpupoolInfo(0)
	p1, _ := h.CpupoolInfo(id)
	d, _ := h.DomainInfo(1)
	if p0.NDom != 1 || p1.NDom != 1 || d.Cpupool != id {
		t.Errorf("after move: pool0 %+v pool1 %+v dom %+v", p0, p1, d)
	}
	// sched_move_domain: the credit scheduler's defaults.
	sp, err := h.DomainSchedParams(1, hypercall.SchedCredit)
	must(t, err)
	if sp.Weight != 256 || sp.Cap != 0 {
		t.Errorf("params after move %+v", sp)
	}
}

func TestCpupoolFreeInfo(t *testing.T) {
	h := labHost(t)
	f, _ := h.CpupoolFreeCPUs()
	if f.Len() != 0 {
		t.Errorf("free %v at boot", f)
	}
	must(t, h.CpupoolRemoveCPU(0, 2))
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CPUHotplug(hypercall.HotplugOffline, 3))
	f, _ = h.CpupoolFreeCPUs()
	if f.String() != "2" {
		t.Errorf("free = %v, want 2", f)
	}
}

// --- schedulers: sched_adjust_global, sched_adjust, credit.c, credit2.c, rt.c ---

func TestPoolSchedParams(t *testing.T) {
	h := labHost(t)
	p, err := h.PoolSchedParams(0, hypercall.SchedCredit2)
	must(t, err)
	if p.RatelimitUS != 1000 {
		t.Errorf("credit2 defaults %+v", p)
	}
	_, err = h.PoolSchedParams(0, hypercall.SchedCredit)
	want(t, err, eINVAL, "getinfo with another scheduler")
	_, err = h.PoolSchedParams(9, hypercall.SchedCredit2)
	want(t, err, eSRCH, "getinfo of an unknown pool")
	want(t, h.SetPoolSchedParams(9, hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit2}), eSRCH, "putinfo of an unknown pool")
	for _, c := range []struct {
		rl    uint32
		errno syscall.Errno
	}{{0, 0}, {99, eINVAL}, {100, 0}, {500000, 0}, {500001, eINVAL}} {
		want(t, h.SetPoolSchedParams(0, hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit2, RatelimitUS: c.rl}), c.errno, "credit2 ratelimit")
	}
	p, _ = h.PoolSchedParams(0, hypercall.SchedCredit2)
	if p.RatelimitUS != 500000 {
		t.Errorf("refused putinfo changed the ratelimit: %+v", p)
	}

	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	p, _ = h.PoolSchedParams(id, hypercall.SchedCredit)
	if p.TsliceMS != 30 || p.RatelimitUS != 1000 || p.MigrationDelayUS != 0 {
		t.Errorf("credit defaults %+v", p)
	}
	credit := func(ts, rl, md uint32) hypercall.PoolSchedParams {
		return hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit, TsliceMS: ts, RatelimitUS: rl, MigrationDelayUS: md}
	}
	for _, c := range []struct {
		p     hypercall.PoolSchedParams
		errno syscall.Errno
	}{
		{credit(0, 0, 0), eINVAL},
		{credit(1, 0, 0), 0},
		{credit(1000, 1000, 0), 0},
		{credit(1001, 1000, 0), eINVAL},
		{credit(30, 99, 0), eINVAL},
		{credit(30, 100, 0), 0},
		{credit(30, 30000, 0), 0},
		{credit(30, 30001, 0), eINVAL}, // ratelimit above the tslice
		{credit(1000, 500001, 0), eINVAL},
		{credit(30, 1000, 100000), 0},
		{credit(30, 1000, 100001), eINVAL},
	} {
		want(t, h.SetPoolSchedParams(id, c.p), c.errno, "credit putinfo")
	}
	p, _ = h.PoolSchedParams(id, hypercall.SchedCredit)
	if p.TsliceMS != 30 || p.RatelimitUS != 1000 || p.MigrationDelayUS != 100000 {
		t.Errorf("credit after puts %+v", p)
	}
}

func TestDomainSchedParams(t *testing.T) {
	h := labHost(t)
	for _, d := range []uint16{0, 1} {
		p, err := h.DomainSchedParams(d, hypercall.SchedCredit2)
		must(t, err)
		if p.Weight != 256 || p.Cap != 0 {
			t.Errorf("dom%d defaults %+v", d, p)
		}
	}
	_, err := h.DomainSchedParams(5, hypercall.SchedCredit2)
	want(t, err, eSRCH, "getinfo of an unknown domain")
	_, err = h.DomainSchedParams(1, hypercall.SchedCredit)
	want(t, err, eINVAL, "getinfo with another scheduler")
	c2 := func(w, c uint16) hypercall.DomainSchedParams {
		return hypercall.DomainSchedParams{Scheduler: hypercall.SchedCredit2, Weight: w, Cap: c}
	}
	must(t, h.SetDomainSchedParams(1, c2(512, 50)))
	must(t, h.SetDomainSchedParams(1, c2(0, 100))) // weight 0: unchanged
	// cap above 100 × vCPUs: EINVAL, but the weight is already set.
	want(t, h.SetDomainSchedParams(1, c2(700, 101)), eINVAL, "credit2 cap above 100 × vcpus")
	p, _ := h.DomainSchedParams(1, hypercall.SchedCredit2)
	if p.Weight != 700 || p.Cap != 100 {
		t.Errorf("credit2 after puts %+v", p)
	}
	must(t, h.SetDomainSchedParams(1, c2(0, 0))) // cap 0 removes it
	p, _ = h.DomainSchedParams(1, hypercall.SchedCredit2)
	if p.Weight != 700 || p.Cap != 0 {
		t.Errorf("credit2 after cap 0 %+v", p)
	}
	_, err = h.VCPUSchedParams(1, hypercall.SchedCredit2, []uint32{0})
	want(t, err, eINVAL, "getvcpuinfo on credit2")

	// credit: no range checks; 0 and 0xFFFF mean unchanged.
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CpupoolAddCPU(id, 3))
	must(t, h.CpupoolMoveDomain(id, 1))
	cr := func(w, c uint16) hypercall.DomainSchedParams {
		return hypercall.DomainSchedParams{Scheduler: hypercall.SchedCredit, Weight: w, Cap: c}
	}
	must(t, h.SetDomainSchedParams(1, cr(65535, 5000)))
	must(t, h.SetDomainSchedParams(1, cr(0, 0xFFFF)))
	p, _ = h.DomainSchedParams(1, hypercall.SchedCredit)
	if p.Weight != 65535 || p.Cap != 5000 {
		t.Errorf("credit after puts %+v", p)
	}
	want(t, h.SetVCPUSchedParams(1, hypercall.SchedCredit, []hypercall.VCPUSchedParams{{VCPU: 0, PeriodUS: 100, BudgetUS: 50}}), eINVAL, "putvcpuinfo on credit")
}

func TestRTDSParams(t *testing.T) {
	h := testHost(t, fullSpec())
	id, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedRTDS)
	must(t, err)
	must(t, h.CpupoolRemoveCPU(0, 15))
	must(t, h.CpupoolAddCPU(id, 15))
	must(t, h.CpupoolMoveDomain(id, 2)) // 4 vCPUs
	v, err := h.VCPUSchedParams(2, hypercall.SchedRTDS, []uint32{0, 3})
	must(t, err)
	if v[1] != (hypercall.VCPUSchedParams{VCPU: 3, PeriodUS: 10000, BudgetUS: 4000, Extratime: true}) {
		t.Errorf("rtds defaults %+v", v)
	}
	_, err = h.VCPUSchedParams(2, hypercall.SchedRTDS, []uint32{4})
	want(t, err, eINVAL, "getvcpuinfo of a vcpu the domain lacks")
	rt := func(p, b uint32) hypercall.DomainSchedParams {
		return hypercall.DomainSchedParams{Scheduler: hypercall.SchedRTDS, PeriodUS: p, BudgetUS: b}
	}
	want(t, h.SetDomainSchedParams(2, rt(0, 100)), eINVAL, "rtds putinfo period 0")
	want(t, h.SetDomainSchedParams(2, rt(100, 0)), eINVAL, "rtds putinfo budget 0")
	must(t, h.SetDomainSchedParams(2, rt(20000, 30000))) // unchecked beyond 0
	p, _ := h.DomainSchedParams(2, hypercall.SchedRTDS)
	if p.PeriodUS != 10000 || p.BudgetUS != 4000 {
		t.Errorf("rtds getinfo returns the defaults, got %+v", p)
	}
	v, _ = h.VCPUSchedParams(2, hypercall.SchedRTDS, []uint32{2})
	if v[0].PeriodUS != 20000 || v[0].BudgetUS != 30000 {
		t.Errorf("putinfo did not reach the vcpus: %+v", v)
	}
	put := []hypercall.VCPUSchedParams{
		{VCPU: 0, PeriodUS: 1000, BudgetUS: 500},
		{VCPU: 1, PeriodUS: 1000, BudgetUS: 5}, // budget below 10 µs
		{VCPU: 2, PeriodUS: 1000, BudgetUS: 500},
	}
	want(t, h.SetVCPUSchedParams(2, hypercall.SchedRTDS, put), eINVAL, "putvcpuinfo budget 5")
	v, _ = h.VCPUSchedParams(2, hypercall.SchedRTDS, []uint32{0, 1, 2})
	if v[0].PeriodUS != 1000 || v[1].PeriodUS != 20000 || v[2].PeriodUS != 20000 || v[0].Extratime {
		t.Errorf("partial putvcpuinfo: %+v", v)
	}
	for _, c := range []hypercall.VCPUSchedParams{
		{VCPU: 0, PeriodUS: 9, BudgetUS: 9},
		{VCPU: 0, PeriodUS: 100, BudgetUS: 101},
		{VCPU: 4, PeriodUS: 100, BudgetUS: 50},
	} {
		want(t, h.SetVCPUSchedParams(2, hypercall.SchedRTDS, []hypercall.VCPUSchedParams{c}), eINVAL, "rtds putvcpuinfo range")
	}
	must(t, h.SetVCPUSchedParams(2, hypercall.SchedRTDS, []hypercall.VCPUSchedParams{{VCPU: 3, PeriodUS: 10, BudgetUS: 10, Extratime: true}}))
	// RTDS has no adjust_global: pool putinfo succeeds and does nothing.
	must(t, h.SetPoolSchedParams(id, hypercall.PoolSchedParams{Scheduler: hypercall.SchedRTDS}))
}

func TestNullAndARINC653(t *testing.T) {
	h := testHost(t, fullSpec())
	n, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedNull)
	must(t, err)
	must(t, h.CpupoolRemoveCPU(0, 15))
	must(t, h.CpupoolAddCPU(n, 15))
	must(t, h.CpupoolMoveDomain(n, 1))
	// null has no adjust hook: sched_adjust_dom returns 0.
	must(t, h.SetDomainSchedParams(1, hypercall.DomainSchedParams{Scheduler: hypercall.SchedNull, Weight: 5}))
	_, err = h.VCPUSchedParams(1, hypercall.SchedNull, []uint32{0})
	must(t, err)

	a, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedARINC653)
	p, err := h.PoolSchedParams(a, hypercall.SchedARINC653)
	must(t, err)
	if p.ARINC653 == nil || p.ARINC653.MajorFrame != 0 || len(p.ARINC653.Entries) != 0 {
		t.Errorf("arinc653 initial schedule %+v", p.ARINC653)
	}
	sched := func(major int64, runtimes ...int64) hypercall.PoolSchedParams {
		s := &hypercall.ARINC653Schedule{MajorFrame: durationOf(major)}
		for _, r := range runtimes {
			s.Entries = append(s.Entries, hypercall.ARINC653Entry{Runtime: durationOf(r)})
		}
		return hypercall.PoolSchedParams{Scheduler: hypercall.SchedARINC653, ARINC653: s}
	}
	want(t, h.SetPoolSchedParams(a, sched(0, 10)), eINVAL, "arinc653 major frame 0")
	want(t, h.SetPoolSchedParams(a, sched(100)), eINVAL, "arinc653 without entries")
	want(t, h.SetPoolSchedParams(a, sched(100, 60, 50)), eINVAL, "arinc653 entries beyond the major frame")
	want(t, h.SetPoolSchedParams(a, sched(100, 60, 0)), eINVAL, "arinc653 runtime 0")
	want(t, h.SetPoolSchedParams(a, hypercall.PoolSchedParams{Scheduler: hypercall.SchedARINC653}), eINVAL, "arinc653 without schedule")
	must(t, h.SetPoolSchedParams(a, sched(100, 60, 40)))
	p, _ = h.PoolSchedParams(a, hypercall.SchedARINC653)
	if p.ARINC653.MajorFrame != 100 || len(p.ARINC653.Entries) != 2 {
		t.Errorf("arinc653 schedule %+v", p.ARINC653)
	}
}

func TestDomainInfo(t *testing.T) {
	h := defaultHost(t)
	_, err := h.DomainInfo(3)
	want(t, err, eSRCH, "getdomaininfo of an unknown domain")
	d, err := h.DomainInfo(2)
	must(t, err)
	if d.OnlineVCPUs != 4 || d.MaxVCPUID != 3 || d.TotPages != 2048*256 || !d.Blocked() || d.UUID() == "00000000-0000-0000-0000-000000000000" {
		t.Errorf("domu2 %+v", d)
	}
	l, _ := h.DomainInfoList(1, 1)
	if len(l) != 1 || l[0].Domid != 1 {
		t.Errorf("list from 1, max 1: %+v", l)
	}
	l, _ = h.DomainInfoList(0, 0)
	if l != nil {
		t.Errorf("max 0: %+v", l)
	}
}

// --- errors and faults ---

func TestErrorShape(t *testing.T) {
	h := labHost(t)
	err := h.CpupoolRemoveCPU(0, 0)
	var oe *hypercall.OpError
	if !errors.As(err, &oe) {
		t.Fatalf("%T is not an *OpError", err)
	}
	if oe.Op != "sysctl cpupool_op rmcpu" || oe.Target != "pool 0, cpu 0" || oe.Meaning == "" {
		t.Errorf("OpError %+v", oe)
	}
	if got := err.Error(); got != "sysctl cpupool_op rmcpu (pool 0, cpu 0): cpu id out of range, cpu offline, or cpu 0 of Pool-0 (which can never leave it) (EINVAL)" {
		t.Errorf("message %q", got)
	}
}

func TestFaults(t *testing.T) {
	h := labHost(t)
	must(t, h.FailNext(OpPoolMoveDomain, eBUSY, 2))
	id, _ := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, h.CpupoolRemoveCPU(0, 3))
	must(t, h.CpupoolAddCPU(id, 3))
	want(t, h.CpupoolMoveDomain(id, 1), eBUSY, "first injected EBUSY")
	want(t, h.CpupoolMoveDomain(id, 1), eBUSY, "second injected EBUSY")
	must(t, h.CpupoolMoveDomain(id, 1))
	if d, _ := h.DomainInfo(1); d.Cpupool != id {
		t.Error("move after the faults did not happen")
	}

	// EAGAIN on a cpupool op is retried like libxc does (250 times).
	must(t, h.FailNext(OpPoolCreate, eAGAIN, 250))
	_, err := h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	must(t, err)
	must(t, h.FailNext(OpPoolCreate, eAGAIN, 251))
	_, err = h.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	want(t, err, eAGAIN, "251 EAGAINs")

	must(t, h.FailAlways(OpPhysinfo, eACCES))
	for range 3 {
		_, err = h.Physinfo()
		want(t, err, eACCES, "permanent fault")
		if !errors.Is(err, hypercall.ErrNotSupported) {
			t.Errorf("EACCES %v does not match ErrNotSupported", err)
		}
	}
	if f := h.Faults(); len(f) != 1 || !f[0].Permanent || f[0].ErrnoName != "EACCES" {
		t.Errorf("faults %+v", f)
	}
	h.ClearFaults(OpPhysinfo)
	_, err = h.Physinfo()
	must(t, err)
	if err := h.FailNext("sysctl nonsense", eBUSY, 1); err == nil {
		t.Error("fault for an unknown op accepted")
	}
	// get_cpuinfo's EBUSY is retried 50 times.
	must(t, h.FailNext(OpGetCPUInfo, eBUSY, 50))
	_, err = h.PCPUInfo(1)
	must(t, err)
}

func TestParseOpAndErrno(t *testing.T) {
	if op, err := ParseOp("rmcpu"); err != nil || op != OpPoolRmCPU {
		t.Errorf("ParseOp(rmcpu) = %q, %v", op, err)
	}
	if _, err := ParseOp("getinfo"); err == nil {
		t.Error("ambiguous getinfo accepted")
	}
	if e, err := ParseErrno("ebusy"); err != nil || e != eBUSY {
		t.Errorf("ParseErrno(ebusy) = %v, %v", e, err)
	}
	if e, err := ParseErrno("99"); err != nil || e != eADDRNOTAVAIL || ErrnoName(e) != "EADDRNOTAVAIL" {
		t.Errorf("ParseErrno(99) = %v, %v", e, err)
	}
}

// TestFaultAfterAndRunOnly: After lets attempts succeed before the fault
// fires; RunOnly faults stay out of copies (batch plans).
func TestFaultAfterAndRunOnly(t *testing.T) {
	s, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Host()
	must(t, h.AddFault(Fault{Op: OpPoolRmCPU, Errno: eBUSY, Permanent: true, After: 1, RunOnly: true}))
	cp, err := s.Copy()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if f := cp.Host().Faults(); len(f) != 0 {
		t.Errorf("a run-only fault was copied: %v", f)
	}
	must(t, h.CpupoolRemoveCPU(0, 15))
	want(t, h.CpupoolRemoveCPU(0, 14), eBUSY, "rmcpu after the first")
	if f := h.Faults(); len(f) != 1 || f[0].After != 0 || !f[0].RunOnly {
		t.Errorf("faults after firing: %+v", f)
	}
}
