//go:build linux

package hypercall

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// parseGolden reads hand-annotated hex: one field per line, "//" starts a
// comment, "??" is a byte that is not compared (a guest handle, whose
// value is an address; TestBufferPlacement checks where it points),
// and "00*N" is N zero bytes.
func parseGolden(t *testing.T, s string) []int {
	t.Helper()
	var out []int
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		for _, tok := range strings.Fields(line) {
			if tok == "??" {
				out = append(out, -1)
				continue
			}
			if b, n, ok := strings.Cut(tok, "*"); ok {
				v, err1 := strconv.ParseUint(b, 16, 8)
				k, err2 := strconv.Atoi(n)
				if err1 != nil || err2 != nil {
					t.Fatalf("bad golden token %q", tok)
				}
				for range k {
					out = append(out, int(v))
				}
				continue
			}
			v, err := strconv.ParseUint(tok, 16, 8)
			if err != nil {
				t.Fatalf("bad golden token %q", tok)
			}
			out = append(out, int(v))
		}
	}
	return out
}

func compareGolden(t *testing.T, name string, got []byte, want []int) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d bytes, golden has %d\n got [% x]", name, len(got), len(want), got)
		return
	}
	for i := range got {
		if want[i] >= 0 && int(got[i]) != want[i] {
			t.Errorf("%s: byte %d = %#02x, want %#02x\n got [% x]", name, i, got[i], want[i], got)
			return
		}
	}
}

// goldenHost returns a fake 4.17 host on which the golden requests can
// run, and the handle on it.
func goldenHost(t *testing.T) (*Xen, *fakeDev, *fakeXen) {
	xen := newFakeXen(8)
	xen.pools[3] = &fakePool{sched: SchedCredit, cpus: map[uint32]bool{}, credit: sysctlCreditSchedule{TsliceMS: 30}}
	xen.pools[4] = &fakePool{sched: SchedARINC653, cpus: map[uint32]bool{}}
	xen.pools[6] = &fakePool{sched: SchedRTDS, cpus: map[uint32]bool{7: true}}
	delete(xen.pools[0].cpus, 7)
	xen.addDomain(9, 6, 2)
	x, dev := openFake(t, xen, nil)
	dev.reset()
	return x, dev, xen
}

func TestGoldenRequests(t *testing.T) {
	const (
		sysctlHdr = "15 00 00 00 // interface_version = 0x15 (XEN_SYSCTL_INTERFACE_VERSION, Xen 4.17)\n"
		domctlHdr = "15 00 00 00 // interface_version = 0x15 (XEN_DOMCTL_INTERFACE_VERSION, Xen 4.17)\n"
		pfHdr     = "01 00 00 03 // interface_version = 0x03000001 (XENPF_INTERFACE_VERSION)\n"
	)
	cases := []struct {
		name string
		run  func(x *Xen)
		call int // index among the recorded calls; -1: the last
		want string
	}{
		{"platform_op get_cpuinfo", func(x *Xen) { x.PCPUInfo(3) }, -1, `
			37 00 00 00 // cmd = XENPF_get_cpuinfo (55)
			` + pfHdr + `
			03 00 00 00 // u.pcpu_info.xen_cpuid = 3
			00*16       // max_present, flags, apic_id, acpi_id: OUT
			00*108      // rest of the 128-byte union`},
		{"platform_op cpu_online", func(x *Xen) { x.PlatformCPUOnline(5) }, -1, `
			38 00 00 00 // cmd = XENPF_cpu_online (56)
			` + pfHdr + `
			05 00 00 00 // u.cpu_ol.cpuid = 5
			00*124      // rest of the union`},
		{"platform_op cpu_offline", func(x *Xen) { x.PlatformCPUOffline(5) }, -1, `
			39 00 00 00 // cmd = XENPF_cpu_offline (57)
			` + pfHdr + `
			05 00 00 00 // u.cpu_ol.cpuid = 5
			00*124      // rest of the union`},
		{"sysctl physinfo", func(x *Xen) { x.Physinfo() }, -1, `
			03 00 00 00 // cmd = XEN_SYSCTL_physinfo
			` + sysctlHdr + `
			00*128      // u.physinfo: all OUT`},
		{"sysctl sched_id", func(x *Xen) { x.SchedulerID() }, -1, `
			04 00 00 00 // cmd = XEN_SYSCTL_sched_id
			` + sysctlHdr + `
			00*128      // u.sched_id: OUT`},
		{"sysctl cpu_hotplug offline", func(x *Xen) { x.CPUHotplug(HotplugOffline, 6) }, -1, `
			0b 00 00 00 // cmd = XEN_SYSCTL_cpu_hotplug (11)
			` + sysctlHdr + `
			06 00 00 00 // u.cpu_hotplug.cpu = 6
			01 00 00 00 // u.cpu_hotplug.op = XEN_SYSCTL_CPU_HOTPLUG_OFFLINE
			00*120      // rest of the union`},
		{"sysctl cpu_hotplug smt_disable", func(x *Xen) { x.CPUHotplug(HotplugSMTDisable, 0) }, -1, `
			0b 00 00 00 // cmd = XEN_SYSCTL_cpu_hotplug
			` + sysctlHdr + `
			00 00 00 00 // cpu (ignored)
			03 00 00 00 // op = XEN_SYSCTL_CPU_HOTPLUG_SMT_DISABLE
			00*120      // rest of the union`},
		{"sysctl cputopoinfo count", func(x *Xen) { x.CPUTopology() }, 0, `
			10 00 00 00 // cmd = XEN_SYSCTL_cputopoinfo (16)
			` + sysctlHdr + `
			00 00 00 00 // num_cpus = 0
			00 00 00 00 // padding
			00*8        // cputopo = NULL: ask for the count
			00*112      // rest of the union`},
		{"sysctl cputopoinfo fill", func(x *Xen) { x.CPUTopology() }, 1, `
			10 00 00 00 // cmd = XEN_SYSCTL_cputopoinfo
			` + sysctlHdr + `
			08 00 00 00 // num_cpus = 8, the count from the first call
			00 00 00 00 // padding
			?? ?? ?? ?? ?? ?? ?? ?? // cputopo: handle to 8 × 12 bytes
			00*112      // rest of the union`},
		{"sysctl pcitopoinfo", func(x *Xen) { x.PCITopology() }, -1, `
			16 00 00 00 // cmd = XEN_SYSCTL_pcitopoinfo (22)
			` + sysctlHdr + `
			03 00 00 00 // num_devs = 3, the devices of the fake's sysfs
			00 00 00 00 // padding
			?? ?? ?? ?? ?? ?? ?? ?? // devs: handle to 3 × physdev_pci_device
			?? ?? ?? ?? ?? ?? ?? ?? // nodes: handle to 3 × uint32
			00*104      // rest of the union`},
		{"sysctl numainfo count", func(x *Xen) { x.NUMAInfo() }, 0, `
			11 00 00 00 // cmd = XEN_SYSCTL_numainfo (17)
			` + sysctlHdr + `
			00 00 00 00 // num_nodes = 0
			00 00 00 00 // padding
			00*8        // meminfo = NULL
			00*8        // distance = NULL: ask for the count
			00*104      // rest of the union`},
		{"sysctl numainfo fill", func(x *Xen) { x.NUMAInfo() }, 1, `
			11 00 00 00 // cmd = XEN_SYSCTL_numainfo
			` + sysctlHdr + `
			02 00 00 00 // num_nodes = 2
			00 00 00 00 // padding
			?? ?? ?? ?? ?? ?? ?? ?? // meminfo: handle to 2 × 16 bytes
			?? ?? ?? ?? ?? ?? ?? ?? // distance: handle to 2 × 2 × 4 bytes
			00*104      // rest of the union`},
		{"sysctl getdomaininfolist", func(x *Xen) { x.DomainInfoList(5, 256) }, -1, `
			06 00 00 00 // cmd = XEN_SYSCTL_getdomaininfolist
			` + sysctlHdr + `
			05 00       // first_domain = 5
			00 00       // padding
			00 01 00 00 // max_domains = 256
			?? ?? ?? ?? ?? ?? ?? ?? // buffer: handle to 256 × sizeof(getdomaininfo)
			00 00 00 00 // num_domains: OUT
			00 00 00 00 // tail padding
			00*104      // rest of the union`},
		{"sysctl cpupool_op create", func(x *Xen) { x.CpupoolCreate(PoolAny, SchedCredit) }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op (18)
			` + sysctlHdr + `
			01 00 00 00 // op = CREATE
			ff ff ff ff // cpupool_id = XEN_SYSCTL_CPUPOOL_PAR_ANY
			05 00 00 00 // sched_id = XEN_SCHEDULER_CREDIT
			00 00 00 00 // domid
			00 00 00 00 // cpu
			00 00 00 00 // n_dom
			00*8        // cpumap.bitmap = NULL
			00 00 00 00 // cpumap.nr_bits
			00 00 00 00 // padding
			00*88       // rest of the union`},
		{"sysctl cpupool_op destroy", func(x *Xen) { x.CpupoolDestroy(3) }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op
			` + sysctlHdr + `
			02 00 00 00 // op = DESTROY
			03 00 00 00 // cpupool_id = 3
			00*32       // sched_id, domid, cpu, n_dom, cpumap
			00*88       // rest of the union`},
		{"sysctl cpupool_op info", func(x *Xen) { x.CpupoolInfo(1) }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op
			` + sysctlHdr + `
			03 00 00 00 // op = INFO
			01 00 00 00 // cpupool_id = 1: the first pool with an id ≥ 1
			00*16       // sched_id, domid, cpu, n_dom
			?? ?? ?? ?? ?? ?? ?? ?? // cpumap.bitmap: handle to 512 bytes
			00 10 00 00 // cpumap.nr_bits = 4096
			00 00 00 00 // padding
			00*88       // rest of the union`},
		{"sysctl cpupool_op addcpu", func(x *Xen) { x.CpupoolAddCPU(3, 7) }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op
			` + sysctlHdr + `
			04 00 00 00 // op = ADDCPU
			03 00 00 00 // cpupool_id = 3
			00 00 00 00 // sched_id
			00 00 00 00 // domid
			07 00 00 00 // cpu = 7
			00 00 00 00 // n_dom
			00*16       // cpumap
			00*88       // rest of the union`},
		{"sysctl cpupool_op rmcpu", func(x *Xen) { x.CpupoolRemoveCPU(0, 5) }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op
			` + sysctlHdr + `
			05 00 00 00 // op = RMCPU
			00 00 00 00 // cpupool_id = 0
			00 00 00 00 // sched_id
			00 00 00 00 // domid
			05 00 00 00 // cpu = 5
			00 00 00 00 // n_dom
			00*16       // cpumap
			00*88       // rest of the union`},
		{"sysctl cpupool_op movedomain", func(x *Xen) { x.CpupoolMoveDomain(3, 5) }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op
			` + sysctlHdr + `
			06 00 00 00 // op = MOVEDOMAIN
			03 00 00 00 // cpupool_id = 3
			00 00 00 00 // sched_id
			05 00 00 00 // domid = 5
			00 00 00 00 // cpu
			00 00 00 00 // n_dom
			00*16       // cpumap
			00*88       // rest of the union`},
		{"sysctl cpupool_op freeinfo", func(x *Xen) { x.CpupoolFreeCPUs() }, -1, `
			12 00 00 00 // cmd = XEN_SYSCTL_cpupool_op
			` + sysctlHdr + `
			07 00 00 00 // op = FREEINFO
			00*20       // cpupool_id, sched_id, domid, cpu, n_dom
			?? ?? ?? ?? ?? ?? ?? ?? // cpumap.bitmap: handle to 512 bytes
			00 10 00 00 // cpumap.nr_bits = 4096
			00 00 00 00 // padding
			00*88       // rest of the union`},
		{"sysctl scheduler_op credit getinfo", func(x *Xen) { x.PoolSchedParams(3, SchedCredit) }, -1, `
			13 00 00 00 // cmd = XEN_SYSCTL_scheduler_op (19)
			` + sysctlHdr + `
			03 00 00 00 // cpupool_id = 3
			05 00 00 00 // sched_id = XEN_SCHEDULER_CREDIT
			01 00 00 00 // cmd = XEN_SYSCTL_SCHEDOP_getinfo
			00 00 00 00 // padding
			00*16       // u.sched_credit: OUT
			00*96       // rest of the sysctl union`},
		{"sysctl scheduler_op credit putinfo", func(x *Xen) {
			x.SetPoolSchedParams(3, PoolSchedParams{Scheduler: SchedCredit, TsliceMS: 30, RatelimitUS: 1000, MigrationDelayUS: 200})
		}, -1, `
			13 00 00 00 // cmd = XEN_SYSCTL_scheduler_op
			` + sysctlHdr + `
			03 00 00 00 // cpupool_id = 3
			05 00 00 00 // sched_id = XEN_SCHEDULER_CREDIT
			00 00 00 00 // cmd = XEN_SYSCTL_SCHEDOP_putinfo
			00 00 00 00 // padding
			1e 00 00 00 // u.sched_credit.tslice_ms = 30
			e8 03 00 00 // u.sched_credit.ratelimit_us = 1000
			c8 00 00 00 // u.sched_credit.vcpu_migr_delay_us = 200
			00 00 00 00 // rest of the scheduler_op union
			00*96       // rest of the sysctl union`},
		{"sysctl scheduler_op credit2 putinfo", func(x *Xen) {
			x.SetPoolSchedParams(0, PoolSchedParams{Scheduler: SchedCredit2, RatelimitUS: 500})
		}, -1, `
			13 00 00 00 // cmd = XEN_SYSCTL_scheduler_op
			` + sysctlHdr + `
			00 00 00 00 // cpupool_id = 0
			06 00 00 00 // sched_id = XEN_SCHEDULER_CREDIT2
			00 00 00 00 // cmd = putinfo
			00 00 00 00 // padding
			f4 01 00 00 // u.sched_credit2.ratelimit_us = 500
			00*12       // rest of the scheduler_op union
			00*96       // rest of the sysctl union`},
		{"sysctl scheduler_op arinc653 putinfo", func(x *Xen) {
			x.SetPoolSchedParams(4, PoolSchedParams{Scheduler: SchedARINC653, ARINC653: &ARINC653Schedule{MajorFrame: time.Millisecond}})
		}, -1, `
			13 00 00 00 // cmd = XEN_SYSCTL_scheduler_op
			` + sysctlHdr + `
			04 00 00 00 // cpupool_id = 4
			07 00 00 00 // sched_id = XEN_SCHEDULER_ARINC653
			00 00 00 00 // cmd = putinfo
			00 00 00 00 // padding
			?? ?? ?? ?? ?? ?? ?? ?? // u.sched_arinc653.schedule: handle to 2064 bytes
			00*8        // rest of the scheduler_op union
			00*96       // rest of the sysctl union`},
		{"domctl getdomaininfo", func(x *Xen) { x.DomainInfo(5) }, -1, `
			05 00 00 00 // cmd = XEN_DOMCTL_getdomaininfo
			` + domctlHdr + `
			05 00       // domain = 5
			00*6        // _pad[3]
			00*128      // u.getdomaininfo: OUT`},
		{"domctl scheduler_op credit2 getinfo", func(x *Xen) { x.DomainSchedParams(5, SchedCredit2) }, -1, `
			10 00 00 00 // cmd = XEN_DOMCTL_scheduler_op (16)
			` + domctlHdr + `
			05 00       // domain = 5
			00*6        // _pad[3]
			06 00 00 00 // sched_id = XEN_SCHEDULER_CREDIT2
			01 00 00 00 // cmd = XEN_DOMCTL_SCHEDOP_getinfo
			00*16       // u: OUT
			00*104      // rest of the domctl union`},
		{"domctl scheduler_op credit putinfo", func(x *Xen) {
			x.SetDomainSchedParams(5, DomainSchedParams{Scheduler: SchedCredit, Weight: 512, Cap: 0xffff})
		}, -1, `
			10 00 00 00 // cmd = XEN_DOMCTL_scheduler_op
			` + domctlHdr + `
			05 00       // domain = 5
			00*6        // _pad[3]
			05 00 00 00 // sched_id = XEN_SCHEDULER_CREDIT
			00 00 00 00 // cmd = XEN_DOMCTL_SCHEDOP_putinfo
			00 02       // u.credit.weight = 512
			ff ff       // u.credit.cap = 0xffff (unchanged)
			00*12       // rest of the scheduler_op union
			00*104      // rest of the domctl union`},
		{"domctl scheduler_op rtds putinfo", func(x *Xen) {
			x.SetDomainSchedParams(9, DomainSchedParams{Scheduler: SchedRTDS, PeriodUS: 10000, BudgetUS: 4000})
		}, -1, `
			10 00 00 00 // cmd = XEN_DOMCTL_scheduler_op
			` + domctlHdr + `
			09 00       // domain = 9
			00*6        // _pad[3]
			08 00 00 00 // sched_id = XEN_SCHEDULER_RTDS
			00 00 00 00 // cmd = putinfo
			10 27 00 00 // u.rtds.period = 10000 µs
			a0 0f 00 00 // u.rtds.budget = 4000 µs
			00 00 00 00 // u.rtds.flags
			00 00 00 00 // rest of the scheduler_op union
			00*104      // rest of the domctl union`},
		{"domctl scheduler_op rtds putvcpuinfo", func(x *Xen) {
			x.SetVCPUSchedParams(9, SchedRTDS, []VCPUSchedParams{{VCPU: 1, PeriodUS: 1000, BudgetUS: 500, Extratime: true}})
		}, -1, `
			10 00 00 00 // cmd = XEN_DOMCTL_scheduler_op
			` + domctlHdr + `
			09 00       // domain = 9
			00*6        // _pad[3]
			08 00 00 00 // sched_id = XEN_SCHEDULER_RTDS
			02 00 00 00 // cmd = XEN_DOMCTL_SCHEDOP_putvcpuinfo
			?? ?? ?? ?? ?? ?? ?? ?? // u.v.vcpus: handle to 1 × 16 bytes
			01 00 00 00 // u.v.nr_vcpus = 1
			00 00 00 00 // u.v.padding
			00*104      // rest of the domctl union`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, dev, _ := goldenHost(t)
			c.run(x)
			calls := dev.snapshot()
			if len(calls) == 0 {
				t.Fatal("no hypercall issued")
			}
			i := c.call
			if i < 0 {
				i = len(calls) - 1
			}
			compareGolden(t, c.name, calls[i].req, parseGolden(t, c.want))
		})
	}
}

// TestGoldenNested checks the bytes of the arrays a request points to.
func TestGoldenNested(t *testing.T) {
	x, dev, _ := goldenHost(t)
	var seen []byte
	dev.force = func(c fakeCall) (e syscall.Errno) {
		if c.op == hypervisorDomctl && c.sub == domctlSchedopPutvcpuinfo {
			h := view[domctlOp](c.req).schedulerOp().vcpus().VCPUs
			seen = append([]byte(nil), dev.mem(uint64(h), 16, "vcpus")...)
		}
		if c.op == hypervisorSysctl && c.cmd == sysctlCmdSchedulerOp {
			h := view[sysctlOp](c.req).schedulerOp().arinc653().Schedule
			seen = append([]byte(nil), dev.mem(uint64(h), 64, "schedule")...)
		}
		return 0
	}
	x.SetVCPUSchedParams(9, SchedRTDS, []VCPUSchedParams{{VCPU: 1, PeriodUS: 1000, BudgetUS: 500, Extratime: true}})
	compareGolden(t, "xen_domctl_schedparam_vcpu", seen, parseGolden(t, `
		e8 03 00 00 // u.rtds.period = 1000
		f4 01 00 00 // u.rtds.budget = 500
		01 00 00 00 // u.rtds.flags = XEN_DOMCTL_SCHEDRT_extra
		01 00 00 00 // vcpuid = 1`))

	seen = nil
	x.SetPoolSchedParams(4, PoolSchedParams{Scheduler: SchedARINC653, ARINC653: &ARINC653Schedule{
		MajorFrame: 10 * time.Millisecond,
		Entries:    []ARINC653Entry{{DomainHandle: [16]byte{0: 0xaa, 15: 0xbb}, VCPU: 2, Runtime: 5 * time.Millisecond}},
	}})
	compareGolden(t, "xen_sysctl_arinc653_schedule (first 64 bytes)", seen, parseGolden(t, `
		80 96 98 00 00 00 00 00 // major_frame = 10 000 000 ns
		01                      // num_sched_entries = 1
		00*7                    // padding
		aa 00*14 bb             // sched_entries[0].dom_handle
		02 00 00 00             // sched_entries[0].vcpu_id = 2
		00 00 00 00             // padding
		40 4b 4c 00 00 00 00 00 // sched_entries[0].runtime = 5 000 000 ns
		00*16                   // sched_entries[1] starts`))
}

// TestGoldenPrivcmdHypercall checks the ioctl argument itself.
func TestGoldenPrivcmdHypercall(t *testing.T) {
	x, dev, _ := goldenHost(t)
	x.SchedulerID()
	c := dev.snapshot()[0]
	h := privcmdHypercall{Op: c.op, Arg: c.arg}
	got := unsafe.Slice((*byte)(unsafe.Pointer(&h)), unsafe.Sizeof(h))
	compareGolden(t, "privcmd_hypercall", got, parseGolden(t, `
		23 00 00 00 00 00 00 00 // op = __HYPERVISOR_sysctl (35)
		?? ?? ?? ?? ?? ?? ?? ?? // arg[0] = the xen_sysctl in hypercall memory
		00*8                    // arg[1]
		00*8                    // arg[2]
		00*8                    // arg[3]
		00*8                    // arg[4]`))

	dev.reset()
	x.XenVersion()
	calls := dev.snapshot()
	var cmds []string
	for _, c := range calls {
		cmds = append(cmds, fmt.Sprintf("op=%d arg0=%d hasbuf=%v", c.op, c.arg[0], c.arg[1] != 0))
	}
	want := []string{
		"op=17 arg0=0 hasbuf=false", // XENVER_version, arg NULL
		"op=17 arg0=1 hasbuf=true",  // XENVER_extraversion
		"op=17 arg0=9 hasbuf=true",  // XENVER_commandline
		"op=17 arg0=10 hasbuf=true", // XENVER_build_id
	}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Errorf("xen_version calls:\n%s\nwant\n%s", strings.Join(cmds, "\n"), strings.Join(want, "\n"))
	}

	// XenBuildInfo: libxl_get_version_info's order; MemSharing: two
	// memory_op calls with a NULL argument.
	for _, tc := range []struct {
		name string
		run  func()
		want []string
	}{
		{"xen_version build info", func() { x.XenBuildInfo() }, []string{
			"op=17 arg0=2 hasbuf=true", // XENVER_compile_info
			"op=17 arg0=3 hasbuf=true", // XENVER_capabilities
			"op=17 arg0=4 hasbuf=true", // XENVER_changeset
			"op=17 arg0=5 hasbuf=true", // XENVER_platform_parameters
		}},
		{"memory_op sharing", func() { x.MemSharing() }, []string{
			"op=12 arg0=18 hasbuf=false", // XENMEM_get_sharing_freed_pages, NULL
			"op=12 arg0=19 hasbuf=false", // XENMEM_get_sharing_shared_pages, NULL
		}},
	} {
		dev.reset()
		tc.run()
		var got []string
		for _, c := range dev.snapshot() {
			got = append(got, fmt.Sprintf("op=%d arg0=%d hasbuf=%v", c.op, c.arg[0], c.arg[1] != 0))
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s calls:\n%s\nwant\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

// TestGoldenPCIDevs checks the physdev_pci_device array pcitopoinfo
// hands Xen: seg, bus, devfn (device<<3 | function), 4 bytes each.
func TestGoldenPCIDevs(t *testing.T) {
	xen := newFakeXen(2)
	xen.pciDevs = []string{"0001:1a:1f.3"}
	x, dev := openFake(t, xen, nil)
	dev.reset()
	var got []byte
	dev.force = func(c fakeCall) syscall.Errno {
		if c.op == hypervisorSysctl && c.cmd == sysctlCmdPcitopoinfo {
			h := view[sysctlOp](c.req).pcitopoinfo().Devs
			got = bytes.Clone(dev.mem(uint64(h), 4, "devs"))
		}
		return 0
	}
	topo, err := x.PCITopology()
	if err != nil || len(topo) != 1 || topo[0].Node != InvalidDev {
		t.Fatalf("PCITopology = %v, %v", topo, err)
	}
	compareGolden(t, "physdev_pci_device", got, parseGolden(t, `
		01 00 // seg = 1
		1a    // bus = 0x1a
		fb    // devfn = 0x1f<<3 | 3`))
}
