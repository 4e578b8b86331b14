//go:build amd64 || arm64

package hypercall

import (
	"runtime"
	"testing"
	"unsafe"
)

// The expected numbers come from two sources, named per row:
//
//	abi: xen-abi.md §2.3–§2.6 (gcc on x86_64 with the 4.19 headers)
//	gcc: gcc 12 on x86_64, -D__XEN_TOOLS__, including
//	     xen/include/public/{xen,version,sysctl,domctl,platform}.h at
//	     RELEASE-4.16.0, 4.17.0, 4.19.0, 4.21.0 and 4.22.0; every tag gave
//	     the same numbers except physinfo at 4.16.0 (the V14 rows).
//	header: the header's text at RELEASE-4.17.0 read by eye, for
//	     structs of fixed-size members without holes (char arrays,
//	     uint16/uint8, a uint32 then 8-aligned handles).
//	uapi: Linux include/uapi/xen/{privcmd,evtchn}.h (all members are
//	     u64 or unsigned int, so the layout is fixed by inspection).
//	arm: aarch64-linux-gnu-gcc 12, same headers and tags:
//	     xen_arch_domainconfig is 12 bytes (4.16–4.20) or 16 (4.21+),
//	     placed at 104 and rounded up to 8: getdomaininfo is 120 bytes.
//
// The full gcc output per tag and architecture is in testdata/ (made by
// testdata/abi-offsets.c); TestABIMatchesMeasured checks every line of it.
type layoutRow struct {
	name   string
	got    uintptr
	want   uintptr
	source string
}

func TestABILayout(t *testing.T) {
	var (
		sc   sysctlOp
		pi   sysctlPhysinfo
		pi14 sysctlPhysinfoV14
		hp   sysctlCPUHotplugOp
		tp   sysctlCputopoinfoOp
		tpe  sysctlCputopo
		ni   sysctlNumainfoOp
		mi   sysctlMeminfo
		gl   sysctlGetdomaininfolistOp
		cp   sysctlCpupoolOp
		bm   xenctlBitmap
		so   sysctlSchedulerOp
		a6   sysctlARINC653Schedule
		a6e  sysctlARINC653Entry
		dc   domctlOp
		gi   domctlGetdomaininfo
		dso  domctlSchedulerOp
		dsv  domctlSchedVCPUs
		dpv  domctlSchedparamVCPU
		pf   platformOp
		pci  xenpfPCPUInfo
		ph   privcmdHypercall
		bid  xenBuildIDHeader
		cci  xenCompileInfo
		ppar xenPlatformParameters
		pti  sysctlPcitopoinfoOp
		pdev physdevPCIDevice
		evbi ioctlEvtchnBindInterdomain
		hde  hypfsDirentry
		hdl  hypfsDirlistentry
	)
	getdomaininfoSize, getdomaininfoSrc := uintptr(112), "abi, gcc"
	if runtime.GOARCH == "arm64" {
		getdomaininfoSize, getdomaininfoSrc = 120, "arm"
	}
	rows := []layoutRow{
		// struct xen_sysctl
		{"sizeof(xen_sysctl)", unsafe.Sizeof(sc), 136, "abi, gcc"},
		{"xen_sysctl.interface_version", unsafe.Offsetof(sc.InterfaceVersion), 4, "abi, gcc"},
		{"xen_sysctl.u", unsafe.Offsetof(sc.U), 8, "abi, gcc"},
		{"sizeof(xenctl_bitmap)", unsafe.Sizeof(bm), 16, "abi, gcc"},
		{"xenctl_bitmap.nr_bits", unsafe.Offsetof(bm.NrBits), 8, "abi, gcc"},
		// physinfo, 4.17+ layout
		{"sizeof(xen_sysctl_physinfo)", unsafe.Sizeof(pi), 112, "abi, gcc"},
		{"physinfo.cores_per_socket", unsafe.Offsetof(pi.CoresPerSocket), 4, "abi, gcc"},
		{"physinfo.nr_cpus", unsafe.Offsetof(pi.NrCPUs), 8, "abi, gcc"},
		{"physinfo.max_cpu_id", unsafe.Offsetof(pi.MaxCPUID), 12, "abi, gcc"},
		{"physinfo.nr_nodes", unsafe.Offsetof(pi.NrNodes), 16, "abi, gcc"},
		{"physinfo.max_node_id", unsafe.Offsetof(pi.MaxNodeID), 20, "abi, gcc"},
		{"physinfo.cpu_khz", unsafe.Offsetof(pi.CPUkHz), 24, "abi, gcc"},
		{"physinfo.capabilities", unsafe.Offsetof(pi.Capabilities), 28, "abi, gcc"},
		{"physinfo.arch_capabilities", unsafe.Offsetof(pi.ArchCapabilities), 32, "abi, gcc"},
		{"physinfo.pad", unsafe.Offsetof(pi.Pad), 36, "abi, gcc"},
		{"physinfo.total_pages", unsafe.Offsetof(pi.TotalPages), 40, "abi, gcc"},
		{"physinfo.free_pages", unsafe.Offsetof(pi.FreePages), 48, "abi, gcc"},
		{"physinfo.scrub_pages", unsafe.Offsetof(pi.ScrubPages), 56, "abi, gcc"},
		{"physinfo.outstanding_pages", unsafe.Offsetof(pi.OutstandingPages), 64, "abi, gcc"},
		{"physinfo.max_mfn", unsafe.Offsetof(pi.MaxMFN), 72, "abi, gcc"},
		{"physinfo.hw_cap", unsafe.Offsetof(pi.HWCap), 80, "abi, gcc"},
		// physinfo, 4.16 layout
		{"sizeof(xen_sysctl_physinfo)@4.16", unsafe.Sizeof(pi14), 104, "gcc@4.16"},
		{"physinfo@4.16.capabilities", unsafe.Offsetof(pi14.Capabilities), 28, "gcc@4.16"},
		{"physinfo@4.16.total_pages", unsafe.Offsetof(pi14.TotalPages), 32, "abi, gcc@4.16"},
		{"physinfo@4.16.free_pages", unsafe.Offsetof(pi14.FreePages), 40, "gcc@4.16"},
		{"physinfo@4.16.scrub_pages", unsafe.Offsetof(pi14.ScrubPages), 48, "gcc@4.16"},
		{"physinfo@4.16.outstanding_pages", unsafe.Offsetof(pi14.OutstandingPages), 56, "gcc@4.16"},
		{"physinfo@4.16.max_mfn", unsafe.Offsetof(pi14.MaxMFN), 64, "gcc@4.16"},
		{"physinfo@4.16.hw_cap", unsafe.Offsetof(pi14.HWCap), 72, "gcc@4.16"},
		// sched_id, cpu_hotplug
		{"sizeof(xen_sysctl_sched_id)", unsafe.Sizeof(sysctlSchedIDOp{}), 4, "gcc"},
		{"sizeof(xen_sysctl_cpu_hotplug)", unsafe.Sizeof(hp), 8, "abi, gcc"},
		{"cpu_hotplug.op", unsafe.Offsetof(hp.Op), 4, "abi, gcc"},
		// cputopoinfo
		{"sizeof(xen_sysctl_cputopoinfo)", unsafe.Sizeof(tp), 16, "abi, gcc"},
		{"cputopoinfo.cputopo", unsafe.Offsetof(tp.Cputopo), 8, "abi, gcc"},
		{"sizeof(xen_sysctl_cputopo)", unsafe.Sizeof(tpe), 12, "abi, gcc"},
		{"cputopo.socket", unsafe.Offsetof(tpe.Socket), 4, "gcc"},
		{"cputopo.node", unsafe.Offsetof(tpe.Node), 8, "gcc"},
		// numainfo
		{"sizeof(xen_sysctl_numainfo)", unsafe.Sizeof(ni), 24, "abi, gcc"},
		{"numainfo.meminfo", unsafe.Offsetof(ni.Meminfo), 8, "abi, gcc"},
		{"numainfo.distance", unsafe.Offsetof(ni.Distance), 16, "abi, gcc"},
		{"sizeof(xen_sysctl_meminfo)", unsafe.Sizeof(mi), 16, "gcc"},
		{"meminfo.memfree", unsafe.Offsetof(mi.Memfree), 8, "gcc"},
		// pcitopoinfo, physdev_pci_device: the header by inspection
		// (members naturally aligned, handles 8-aligned)
		{"sizeof(xen_sysctl_pcitopoinfo)", unsafe.Sizeof(pti), 24, "header"},
		{"pcitopoinfo.devs", unsafe.Offsetof(pti.Devs), 8, "header"},
		{"pcitopoinfo.nodes", unsafe.Offsetof(pti.Nodes), 16, "header"},
		{"sizeof(physdev_pci_device)", unsafe.Sizeof(pdev), 4, "header"},
		{"physdev_pci_device.bus", unsafe.Offsetof(pdev.Bus), 2, "header"},
		{"physdev_pci_device.devfn", unsafe.Offsetof(pdev.DevFn), 3, "header"},
		// version.h: xen_compile_info (char arrays), xen_platform_parameters
		{"sizeof(xen_compile_info)", unsafe.Sizeof(cci), 144, "header"},
		{"compile_info.compile_by", unsafe.Offsetof(cci.CompileBy), 64, "header"},
		{"compile_info.compile_domain", unsafe.Offsetof(cci.CompileDomain), 80, "header"},
		{"compile_info.compile_date", unsafe.Offsetof(cci.CompileDate), 112, "header"},
		{"sizeof(xen_platform_parameters)", unsafe.Sizeof(ppar), 8, "header"},
		// getdomaininfolist
		{"sizeof(xen_sysctl_getdomaininfolist)", unsafe.Sizeof(gl), 24, "gcc"},
		{"getdomaininfolist.max_domains", unsafe.Offsetof(gl.MaxDomains), 4, "abi, gcc"},
		{"getdomaininfolist.buffer", unsafe.Offsetof(gl.Buffer), 8, "abi, gcc"},
		{"getdomaininfolist.num_domains", unsafe.Offsetof(gl.NumDomains), 16, "abi, gcc"},
		// cpupool_op
		{"sizeof(xen_sysctl_cpupool_op)", unsafe.Sizeof(cp), 40, "abi, gcc"},
		{"cpupool_op.cpupool_id", unsafe.Offsetof(cp.CpupoolID), 4, "abi, gcc"},
		{"cpupool_op.sched_id", unsafe.Offsetof(cp.SchedID), 8, "abi, gcc"},
		{"cpupool_op.domid", unsafe.Offsetof(cp.Domid), 12, "abi, gcc"},
		{"cpupool_op.cpu", unsafe.Offsetof(cp.CPU), 16, "abi, gcc"},
		{"cpupool_op.n_dom", unsafe.Offsetof(cp.NDom), 20, "abi, gcc"},
		{"cpupool_op.cpumap", unsafe.Offsetof(cp.Cpumap), 24, "abi, gcc"},
		// scheduler_op (sysctl)
		{"sizeof(xen_sysctl_scheduler_op)", unsafe.Sizeof(so), 32, "abi, gcc"},
		{"sysctl scheduler_op.sched_id", unsafe.Offsetof(so.SchedID), 4, "abi, gcc"},
		{"sysctl scheduler_op.cmd", unsafe.Offsetof(so.Cmd), 8, "abi, gcc"},
		{"sysctl scheduler_op.u", unsafe.Offsetof(so.U), 16, "abi, gcc"},
		{"sizeof(xen_sysctl_credit_schedule)", unsafe.Sizeof(sysctlCreditSchedule{}), 12, "gcc"},
		{"sizeof(xen_sysctl_credit2_schedule)", unsafe.Sizeof(sysctlCredit2Schedule{}), 4, "gcc"},
		{"sizeof(xen_sysctl_arinc653_schedule)", unsafe.Sizeof(a6), 2064, "abi, gcc"},
		{"arinc653_schedule.num_sched_entries", unsafe.Offsetof(a6.NumSchedEntries), 8, "gcc"},
		{"arinc653_schedule.sched_entries", unsafe.Offsetof(a6.SchedEntries), 16, "gcc"},
		{"sizeof(arinc653 sched_entries[0])", unsafe.Sizeof(a6e), 32, "gcc"},
		{"arinc653 entry.vcpu_id", unsafe.Offsetof(a6e.VCPUID), 16, "gcc"},
		{"arinc653 entry.runtime", unsafe.Offsetof(a6e.Runtime), 24, "gcc"},
		// struct xen_domctl
		{"sizeof(xen_domctl)", unsafe.Sizeof(dc), 144, "abi, gcc"},
		{"xen_domctl.interface_version", unsafe.Offsetof(dc.InterfaceVersion), 4, "abi, gcc"},
		{"xen_domctl.domain", unsafe.Offsetof(dc.Domain), 8, "abi, gcc"},
		{"xen_domctl.u", unsafe.Offsetof(dc.U), 16, "abi, gcc"},
		// getdomaininfo
		{"sizeof(xen_domctl_getdomaininfo)", unsafe.Sizeof(gi), getdomaininfoSize, getdomaininfoSrc},
		{"getdomaininfo.flags", unsafe.Offsetof(gi.Flags), 4, "abi, gcc"},
		{"getdomaininfo.tot_pages", unsafe.Offsetof(gi.TotPages), 8, "abi, gcc"},
		{"getdomaininfo.max_pages", unsafe.Offsetof(gi.MaxPages), 16, "abi, gcc"},
		{"getdomaininfo.outstanding_pages", unsafe.Offsetof(gi.OutstandingPages), 24, "abi, gcc"},
		{"getdomaininfo.shr_pages", unsafe.Offsetof(gi.ShrPages), 32, "abi, gcc"},
		{"getdomaininfo.paged_pages", unsafe.Offsetof(gi.PagedPages), 40, "abi, gcc"},
		{"getdomaininfo.shared_info_frame", unsafe.Offsetof(gi.SharedInfoFrame), 48, "abi, gcc"},
		{"getdomaininfo.cpu_time", unsafe.Offsetof(gi.CPUTime), 56, "abi, gcc"},
		{"getdomaininfo.nr_online_vcpus", unsafe.Offsetof(gi.NrOnlineVCPUs), 64, "abi, gcc"},
		{"getdomaininfo.max_vcpu_id", unsafe.Offsetof(gi.MaxVCPUID), 68, "abi, gcc"},
		{"getdomaininfo.ssidref", unsafe.Offsetof(gi.SSIDRef), 72, "abi, gcc"},
		{"getdomaininfo.handle", unsafe.Offsetof(gi.Handle), 76, "abi, gcc"},
		{"getdomaininfo.cpupool", unsafe.Offsetof(gi.Cpupool), 92, "abi, gcc"},
		{"getdomaininfo.gpaddr_bits", unsafe.Offsetof(gi.GPAddrBits), 96, "abi, gcc"},
		{"getdomaininfo.arch_config", unsafe.Offsetof(gi.ArchConfig), 104, "abi, gcc"},
		// scheduler_op (domctl)
		{"sizeof(xen_domctl_scheduler_op)", unsafe.Sizeof(dso), 24, "abi, gcc"},
		{"domctl scheduler_op.cmd", unsafe.Offsetof(dso.Cmd), 4, "abi, gcc"},
		{"domctl scheduler_op.u", unsafe.Offsetof(dso.U), 8, "abi, gcc"},
		{"sizeof(scheduler_op.u.v)", unsafe.Sizeof(dsv), 16, "gcc"},
		{"scheduler_op.u.v.nr_vcpus", unsafe.Offsetof(dsv.NrVCPUs), 8, "gcc (16 from the op start)"},
		{"scheduler_op.u.v.padding", unsafe.Offsetof(dsv.Padding), 12, "gcc (20 from the op start)"},
		{"sizeof(xen_domctl_schedparam_vcpu)", unsafe.Sizeof(dpv), 16, "abi, gcc"},
		{"schedparam_vcpu.vcpuid", unsafe.Offsetof(dpv.VCPUID), 12, "gcc"},
		{"sizeof(xen_domctl_sched_credit)", unsafe.Sizeof(domctlSchedCredit{}), 4, "gcc"},
		{"sizeof(xen_domctl_sched_rtds)", unsafe.Sizeof(domctlSchedRTDS{}), 12, "gcc"},
		// platform_op
		{"sizeof(xen_platform_op)", unsafe.Sizeof(pf), 136, "abi, gcc"},
		{"xen_platform_op.u", unsafe.Offsetof(pf.U), 8, "abi, gcc"},
		{"sizeof(xenpf_pcpuinfo)", unsafe.Sizeof(pci), 20, "abi, gcc"},
		{"pcpuinfo.max_present", unsafe.Offsetof(pci.MaxPresent), 4, "abi, gcc"},
		{"pcpuinfo.flags", unsafe.Offsetof(pci.Flags), 8, "abi, gcc"},
		{"pcpuinfo.apic_id", unsafe.Offsetof(pci.APICID), 12, "abi, gcc"},
		{"pcpuinfo.acpi_id", unsafe.Offsetof(pci.ACPIID), 16, "abi, gcc"},
		{"sizeof(xenpf_cpu_ol)", unsafe.Sizeof(xenpfCPUOL{}), 4, "gcc"},
		// version.h
		{"sizeof(struct xen_build_id)", unsafe.Sizeof(bid), 4, "gcc"},
		// hypfs.h
		{"sizeof(xen_hypfs_direntry)", unsafe.Sizeof(hde), 12, "hypfs.h"},
		{"xen_hypfs_direntry.encoding", unsafe.Offsetof(hde.Encoding), 1, "hypfs.h"},
		{"xen_hypfs_direntry.pad", unsafe.Offsetof(hde.Pad), 2, "hypfs.h"},
		{"xen_hypfs_direntry.content_len", unsafe.Offsetof(hde.ContentLen), 4, "hypfs.h"},
		{"xen_hypfs_direntry.max_write_len", unsafe.Offsetof(hde.MaxWriteLen), 8, "hypfs.h"},
		{"sizeof(xen_hypfs_dirlistentry)", unsafe.Sizeof(hdl), 16, "hypfs.h"},
		{"xen_hypfs_dirlistentry.off_next", unsafe.Offsetof(hdl.OffNext), 12, "hypfs.h"},
		{"xen_hypfs_dirlistentry.name", unsafe.Offsetof(hdl.OffNext) + 2, hypfsDirlistNameOff, "hypfs.h"},
		// Linux UAPI
		{"sizeof(privcmd_hypercall)", unsafe.Sizeof(ph), 48, "abi, uapi"},
		{"privcmd_hypercall.arg", unsafe.Offsetof(ph.Arg), 8, "uapi"},
		{"sizeof(ioctl_evtchn_bind_virq)", unsafe.Sizeof(ioctlEvtchnBindVIRQ{}), 4, "uapi"},
		{"sizeof(ioctl_evtchn_bind_interdomain)", unsafe.Sizeof(evbi), 8, "uapi"},
		{"ioctl_evtchn_bind_interdomain.remote_port", unsafe.Offsetof(evbi.RemotePort), 4, "uapi"},
		{"sizeof(ioctl_evtchn_bind_unbound_port)", unsafe.Sizeof(ioctlEvtchnBindUnboundPort{}), 4, "uapi"},
		{"sizeof(ioctl_evtchn_unbind/notify)", unsafe.Sizeof(ioctlEvtchnPort{}), 4, "uapi"},
	}
	for _, r := range rows {
		if r.got != r.want {
			t.Errorf("%s = %d, want %d (source: %s)", r.name, r.got, r.want, r.source)
		}
	}
}

// TestABIUnionsFit checks that every union member fits its union.
func TestABIUnionsFit(t *testing.T) {
	sysctlMembers := map[string]uintptr{
		"physinfo":          unsafe.Sizeof(sysctlPhysinfo{}),
		"physinfo@4.16":     unsafe.Sizeof(sysctlPhysinfoV14{}),
		"cpu_hotplug":       unsafe.Sizeof(sysctlCPUHotplugOp{}),
		"cputopoinfo":       unsafe.Sizeof(sysctlCputopoinfoOp{}),
		"numainfo":          unsafe.Sizeof(sysctlNumainfoOp{}),
		"getdomaininfolist": unsafe.Sizeof(sysctlGetdomaininfolistOp{}),
		"cpupool_op":        unsafe.Sizeof(sysctlCpupoolOp{}),
		"scheduler_op":      unsafe.Sizeof(sysctlSchedulerOp{}),
	}
	for n, sz := range sysctlMembers {
		if sz > sysctlUnionSize {
			t.Errorf("sysctl union member %s is %d bytes, union is %d", n, sz, sysctlUnionSize)
		}
	}
	if sz := unsafe.Sizeof(domctlGetdomaininfo{}); sz > domctlUnionSize {
		t.Errorf("getdomaininfo is %d bytes, domctl union is %d", sz, domctlUnionSize)
	}
	if got := unsafe.Sizeof(sysctlSchedulerOp{}.U); got < unsafe.Sizeof(sysctlCreditSchedule{}) {
		t.Errorf("scheduler_op union %d bytes < credit schedule", got)
	}
	if got := unsafe.Sizeof(domctlSchedparamVCPU{}.U); got != unsafe.Sizeof(domctlSchedRTDS{}) {
		t.Errorf("schedparam_vcpu union %d bytes, want sizeof(rtds)", got)
	}
}

// TestIoctlNumbers checks the request numbers against xen-abi.md §2.6 and
// against the _IOC encoding.
func TestIoctlNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"IOCTL_PRIVCMD_HYPERCALL", ioctlPrivcmdHypercall, 0x00305000},
		{"_IOC(NONE,'P',0,48)", ioc(iocNone, 'P', 0, unsafe.Sizeof(privcmdHypercall{})), 0x00305000},
		{"IOCTL_EVTCHN_BIND_VIRQ", ioctlEvtchnBindVIRQNr, 0x44500},
		{"IOCTL_EVTCHN_BIND_INTERDOMAIN", ioctlEvtchnBindInterdomainNr, 0x84501},
		{"IOCTL_EVTCHN_BIND_UNBOUND_PORT", ioctlEvtchnBindUnboundPortNr, 0x44502},
		{"IOCTL_EVTCHN_UNBIND", ioctlEvtchnUnbindNr, 0x44503},
		{"IOCTL_EVTCHN_NOTIFY", ioctlEvtchnNotifyNr, 0x44504},
		{"IOCTL_EVTCHN_RESET", ioctlEvtchnResetNr, 0x4505},
		{"_IOC(NONE,'E',1,8)", ioc(iocNone, 'E', 1, unsafe.Sizeof(ioctlEvtchnBindInterdomain{})), 0x84501},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}
