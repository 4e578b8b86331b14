//go:build amd64 || arm64

package hypercall

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// cLayout maps every line of testdata/abi-offsets.*.txt (the output of
// testdata/abi-offsets.c, compiled against Xen's public headers) to the
// same number taken from the Go mirrors. physinfoV14 selects the 4.16
// physinfo mirror.
func cLayout(physinfoV14 bool) map[string]uintptr {
	var (
		sc  sysctlOp
		bm  xenctlBitmap
		pi  sysctlPhysinfo
		p14 sysctlPhysinfoV14
		hp  sysctlCPUHotplugOp
		tp  sysctlCputopoinfoOp
		tpe sysctlCputopo
		ni  sysctlNumainfoOp
		mi  sysctlMeminfo
		gl  sysctlGetdomaininfolistOp
		cp  sysctlCpupoolOp
		so  sysctlSchedulerOp
		a6  sysctlARINC653Schedule
		a6e sysctlARINC653Entry
		dc  domctlOp
		gi  domctlGetdomaininfo
		dso domctlSchedulerOp
		dsv domctlSchedVCPUs
		dpv domctlSchedparamVCPU
		pf  platformOp
		pci xenpfPCPUInfo
	)
	m := map[string]uintptr{
		"size struct xen_sysctl":                                           unsafe.Sizeof(sc),
		"off struct xen_sysctl.cmd":                                        unsafe.Offsetof(sc.Cmd),
		"off struct xen_sysctl.interface_version":                          unsafe.Offsetof(sc.InterfaceVersion),
		"off struct xen_sysctl.u":                                          unsafe.Offsetof(sc.U),
		"size struct xenctl_bitmap":                                        unsafe.Sizeof(bm),
		"off struct xenctl_bitmap.nr_bits":                                 unsafe.Offsetof(bm.NrBits),
		"size struct xen_sysctl_sched_id":                                  unsafe.Sizeof(sysctlSchedIDOp{}),
		"size struct xen_sysctl_cpu_hotplug":                               unsafe.Sizeof(hp),
		"off struct xen_sysctl_cpu_hotplug.op":                             unsafe.Offsetof(hp.Op),
		"size struct xen_sysctl_cputopoinfo":                               unsafe.Sizeof(tp),
		"off struct xen_sysctl_cputopoinfo.cputopo":                        unsafe.Offsetof(tp.Cputopo),
		"size struct xen_sysctl_cputopo":                                   unsafe.Sizeof(tpe),
		"off struct xen_sysctl_cputopo.socket":                             unsafe.Offsetof(tpe.Socket),
		"off struct xen_sysctl_cputopo.node":                               unsafe.Offsetof(tpe.Node),
		"size struct xen_sysctl_numainfo":                                  unsafe.Sizeof(ni),
		"off struct xen_sysctl_numainfo.meminfo":                           unsafe.Offsetof(ni.Meminfo),
		"off struct xen_sysctl_numainfo.distance":                          unsafe.Offsetof(ni.Distance),
		"size struct xen_sysctl_meminfo":                                   unsafe.Sizeof(mi),
		"off struct xen_sysctl_meminfo.memfree":                            unsafe.Offsetof(mi.Memfree),
		"size struct xen_sysctl_getdomaininfolist":                         unsafe.Sizeof(gl),
		"off struct xen_sysctl_getdomaininfolist.max_domains":              unsafe.Offsetof(gl.MaxDomains),
		"off struct xen_sysctl_getdomaininfolist.buffer":                   unsafe.Offsetof(gl.Buffer),
		"off struct xen_sysctl_getdomaininfolist.num_domains":              unsafe.Offsetof(gl.NumDomains),
		"size struct xen_sysctl_cpupool_op":                                unsafe.Sizeof(cp),
		"off struct xen_sysctl_cpupool_op.cpupool_id":                      unsafe.Offsetof(cp.CpupoolID),
		"off struct xen_sysctl_cpupool_op.sched_id":                        unsafe.Offsetof(cp.SchedID),
		"off struct xen_sysctl_cpupool_op.domid":                           unsafe.Offsetof(cp.Domid),
		"off struct xen_sysctl_cpupool_op.cpu":                             unsafe.Offsetof(cp.CPU),
		"off struct xen_sysctl_cpupool_op.n_dom":                           unsafe.Offsetof(cp.NDom),
		"off struct xen_sysctl_cpupool_op.cpumap":                          unsafe.Offsetof(cp.Cpumap),
		"size struct xen_sysctl_scheduler_op":                              unsafe.Sizeof(so),
		"off struct xen_sysctl_scheduler_op.sched_id":                      unsafe.Offsetof(so.SchedID),
		"off struct xen_sysctl_scheduler_op.cmd":                           unsafe.Offsetof(so.Cmd),
		"off struct xen_sysctl_scheduler_op.u":                             unsafe.Offsetof(so.U),
		"size struct xen_sysctl_credit_schedule":                           unsafe.Sizeof(sysctlCreditSchedule{}),
		"size struct xen_sysctl_credit2_schedule":                          unsafe.Sizeof(sysctlCredit2Schedule{}),
		"size struct xen_sysctl_arinc653_schedule":                         unsafe.Sizeof(a6),
		"off struct xen_sysctl_arinc653_schedule.num_sched_entries":        unsafe.Offsetof(a6.NumSchedEntries),
		"off struct xen_sysctl_arinc653_schedule.sched_entries":            unsafe.Offsetof(a6.SchedEntries),
		"size ((struct xen_sysctl_arinc653_schedule*)0)->sched_entries[0]": unsafe.Sizeof(a6e),
		"off struct xen_sysctl_arinc653_schedule.sched_entries[0].vcpu_id": unsafe.Offsetof(a6.SchedEntries) + unsafe.Offsetof(a6e.VCPUID),
		"off struct xen_sysctl_arinc653_schedule.sched_entries[0].runtime": unsafe.Offsetof(a6.SchedEntries) + unsafe.Offsetof(a6e.Runtime),
		"off struct xen_sysctl_arinc653_schedule.sched_entries[1]":         unsafe.Offsetof(a6.SchedEntries) + unsafe.Sizeof(a6e),
		"size struct xen_domctl":                                           unsafe.Sizeof(dc),
		"off struct xen_domctl.cmd":                                        unsafe.Offsetof(dc.Cmd),
		"off struct xen_domctl.interface_version":                          unsafe.Offsetof(dc.InterfaceVersion),
		"off struct xen_domctl.domain":                                     unsafe.Offsetof(dc.Domain),
		"off struct xen_domctl.u":                                          unsafe.Offsetof(dc.U),
		"size struct xen_domctl_getdomaininfo":                             unsafe.Sizeof(gi),
		"off struct xen_domctl_getdomaininfo.flags":                        unsafe.Offsetof(gi.Flags),
		"off struct xen_domctl_getdomaininfo.tot_pages":                    unsafe.Offsetof(gi.TotPages),
		"off struct xen_domctl_getdomaininfo.max_pages":                    unsafe.Offsetof(gi.MaxPages),
		"off struct xen_domctl_getdomaininfo.outstanding_pages":            unsafe.Offsetof(gi.OutstandingPages),
		"off struct xen_domctl_getdomaininfo.shr_pages":                    unsafe.Offsetof(gi.ShrPages),
		"off struct xen_domctl_getdomaininfo.paged_pages":                  unsafe.Offsetof(gi.PagedPages),
		"off struct xen_domctl_getdomaininfo.shared_info_frame":            unsafe.Offsetof(gi.SharedInfoFrame),
		"off struct xen_domctl_getdomaininfo.cpu_time":                     unsafe.Offsetof(gi.CPUTime),
		"off struct xen_domctl_getdomaininfo.nr_online_vcpus":              unsafe.Offsetof(gi.NrOnlineVCPUs),
		"off struct xen_domctl_getdomaininfo.max_vcpu_id":                  unsafe.Offsetof(gi.MaxVCPUID),
		"off struct xen_domctl_getdomaininfo.ssidref":                      unsafe.Offsetof(gi.SSIDRef),
		"off struct xen_domctl_getdomaininfo.handle":                       unsafe.Offsetof(gi.Handle),
		"off struct xen_domctl_getdomaininfo.cpupool":                      unsafe.Offsetof(gi.Cpupool),
		"off struct xen_domctl_getdomaininfo.gpaddr_bits":                  unsafe.Offsetof(gi.GPAddrBits),
		"off struct xen_domctl_getdomaininfo.arch_config":                  unsafe.Offsetof(gi.ArchConfig),
		"size struct xen_domctl_scheduler_op":                              unsafe.Sizeof(dso),
		"off struct xen_domctl_scheduler_op.cmd":                           unsafe.Offsetof(dso.Cmd),
		"off struct xen_domctl_scheduler_op.u":                             unsafe.Offsetof(dso.U),
		"off struct xen_domctl_scheduler_op.u.v.vcpus":                     unsafe.Offsetof(dso.U) + unsafe.Offsetof(dsv.VCPUs),
		"off struct xen_domctl_scheduler_op.u.v.nr_vcpus":                  unsafe.Offsetof(dso.U) + unsafe.Offsetof(dsv.NrVCPUs),
		"off struct xen_domctl_scheduler_op.u.v.padding":                   unsafe.Offsetof(dso.U) + unsafe.Offsetof(dsv.Padding),
		"size struct xen_domctl_schedparam_vcpu":                           unsafe.Sizeof(dpv),
		"off struct xen_domctl_schedparam_vcpu.vcpuid":                     unsafe.Offsetof(dpv.VCPUID),
		"size struct xen_domctl_sched_rtds":                                unsafe.Sizeof(domctlSchedRTDS{}),
		"size struct xen_domctl_sched_credit":                              unsafe.Sizeof(domctlSchedCredit{}),
		"size struct xen_domctl_sched_credit2":                             unsafe.Sizeof(domctlSchedCredit{}),
		"size struct xen_platform_op":                                      unsafe.Sizeof(pf),
		"off struct xen_platform_op.u":                                     unsafe.Offsetof(pf.U),
		"size struct xenpf_pcpuinfo":                                       unsafe.Sizeof(pci),
		"off struct xenpf_pcpuinfo.max_present":                            unsafe.Offsetof(pci.MaxPresent),
		"off struct xenpf_pcpuinfo.flags":                                  unsafe.Offsetof(pci.Flags),
		"off struct xenpf_pcpuinfo.apic_id":                                unsafe.Offsetof(pci.APICID),
		"off struct xenpf_pcpuinfo.acpi_id":                                unsafe.Offsetof(pci.ACPIID),
		"size struct xenpf_cpu_ol":                                         unsafe.Sizeof(xenpfCPUOL{}),
		"size xen_extraversion_t":                                          xenExtraversionLen,
		"size xen_commandline_t":                                           xenCommandlineLen,
		"size struct xen_build_id":                                         unsafe.Sizeof(xenBuildIDHeader{}),
		"XEN_INVALID_MEM_SZ":                                               xenInvalidMemSize,
	}
	if physinfoV14 {
		m["size struct xen_sysctl_physinfo"] = unsafe.Sizeof(p14)
		m["off struct xen_sysctl_physinfo.threads_per_core"] = unsafe.Offsetof(p14.ThreadsPerCore)
		m["off struct xen_sysctl_physinfo.cores_per_socket"] = unsafe.Offsetof(p14.CoresPerSocket)
		m["off struct xen_sysctl_physinfo.nr_cpus"] = unsafe.Offsetof(p14.NrCPUs)
		m["off struct xen_sysctl_physinfo.max_cpu_id"] = unsafe.Offsetof(p14.MaxCPUID)
		m["off struct xen_sysctl_physinfo.nr_nodes"] = unsafe.Offsetof(p14.NrNodes)
		m["off struct xen_sysctl_physinfo.max_node_id"] = unsafe.Offsetof(p14.MaxNodeID)
		m["off struct xen_sysctl_physinfo.cpu_khz"] = unsafe.Offsetof(p14.CPUkHz)
		m["off struct xen_sysctl_physinfo.capabilities"] = unsafe.Offsetof(p14.Capabilities)
		m["off struct xen_sysctl_physinfo.total_pages"] = unsafe.Offsetof(p14.TotalPages)
		m["off struct xen_sysctl_physinfo.free_pages"] = unsafe.Offsetof(p14.FreePages)
		m["off struct xen_sysctl_physinfo.scrub_pages"] = unsafe.Offsetof(p14.ScrubPages)
		m["off struct xen_sysctl_physinfo.outstanding_pages"] = unsafe.Offsetof(p14.OutstandingPages)
		m["off struct xen_sysctl_physinfo.max_mfn"] = unsafe.Offsetof(p14.MaxMFN)
		m["off struct xen_sysctl_physinfo.hw_cap"] = unsafe.Offsetof(p14.HWCap)
	} else {
		m["size struct xen_sysctl_physinfo"] = unsafe.Sizeof(pi)
		m["off struct xen_sysctl_physinfo.threads_per_core"] = unsafe.Offsetof(pi.ThreadsPerCore)
		m["off struct xen_sysctl_physinfo.cores_per_socket"] = unsafe.Offsetof(pi.CoresPerSocket)
		m["off struct xen_sysctl_physinfo.nr_cpus"] = unsafe.Offsetof(pi.NrCPUs)
		m["off struct xen_sysctl_physinfo.max_cpu_id"] = unsafe.Offsetof(pi.MaxCPUID)
		m["off struct xen_sysctl_physinfo.nr_nodes"] = unsafe.Offsetof(pi.NrNodes)
		m["off struct xen_sysctl_physinfo.max_node_id"] = unsafe.Offsetof(pi.MaxNodeID)
		m["off struct xen_sysctl_physinfo.cpu_khz"] = unsafe.Offsetof(pi.CPUkHz)
		m["off struct xen_sysctl_physinfo.capabilities"] = unsafe.Offsetof(pi.Capabilities)
		m["off struct xen_sysctl_physinfo.arch_capabilities"] = unsafe.Offsetof(pi.ArchCapabilities)
		m["off struct xen_sysctl_physinfo.pad"] = unsafe.Offsetof(pi.Pad)
		m["off struct xen_sysctl_physinfo.total_pages"] = unsafe.Offsetof(pi.TotalPages)
		m["off struct xen_sysctl_physinfo.free_pages"] = unsafe.Offsetof(pi.FreePages)
		m["off struct xen_sysctl_physinfo.scrub_pages"] = unsafe.Offsetof(pi.ScrubPages)
		m["off struct xen_sysctl_physinfo.outstanding_pages"] = unsafe.Offsetof(pi.OutstandingPages)
		m["off struct xen_sysctl_physinfo.max_mfn"] = unsafe.Offsetof(pi.MaxMFN)
		m["off struct xen_sysctl_physinfo.hw_cap"] = unsafe.Offsetof(pi.HWCap)
	}
	// xen_arch_domainconfig differs per release on arm64 (12 or 16 bytes);
	// xgo only relies on where it starts and on the getdomaininfo stride.
	delete(m, "size struct xen_arch_domainconfig")
	return m
}

// TestABIMatchesMeasured checks the Go mirrors against the sizes and
// offsets gcc measured from Xen's headers at every release tag, for this
// GOARCH (testdata/abi-offsets.<arch>-<tag>.txt).
func TestABIMatchesMeasured(t *testing.T) {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	for _, tag := range []string{"4.16", "4.17", "4.19", "4.21", "4.22"} {
		want := map[string]uint64{}
		for k, v := range cLayout(tag == "4.16") {
			want[k] = uint64(v)
		}
		checkMeasured(t, "testdata/abi-offsets."+arch+"-"+tag+".txt", want,
			func(key, val string) (uint64, error) {
				base := 10
				if key == "XEN_INVALID_MEM_SZ" {
					base = 16
				}
				return strconv.ParseUint(val, base, 64)
			},
			func(key string) bool { return key == "size struct xen_arch_domainconfig" })
	}
}

// checkMeasured compares the "key value" lines gcc's layout of the real
// headers produced (testdata/*-offsets.*.txt) with the Go values in want:
// every line must have a Go counterpart (but for those skip names), agree
// with it, and every Go value must be measured. parse reads a line's
// value.
func checkMeasured(t *testing.T, name string, want map[string]uint64, parse func(key, val string) (uint64, error), skip func(key string) bool) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		key, val := line[:i], line[i+1:]
		n, err := parse(key, val)
		if err != nil {
			t.Fatalf("%s: bad line %q", name, line)
		}
		got, ok := want[key]
		if !ok {
			if skip == nil || !skip(key) {
				t.Errorf("%s: %q has no Go counterpart", name, key)
			}
			continue
		}
		seen++
		if got != n {
			t.Errorf("%s: %s = %d (%#x) in C, %d (%#x) in Go", name, key, n, n, got, got)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if seen != len(want) {
		t.Errorf("%s: checked %d of %d Go values", name, seen, len(want))
	}
}
