// Package pcpu lists physical CPUs and brings them online or offline.
//
// It is the domain layer for what xen-hptool, xenpm get-cpu-topology,
// the physinfo part of xl info and the Linux xen_cpu sysfs driver do. It
// talks to Xen only through hypercall.Hypervisor (and reads pool names
// through a XenStore), so it runs unchanged against the simulated host of
// package xensim. ReadInfo, ReadTopology and PlatformOps take only the
// roles they call (InfoSource, TopologySource, Platform).
//
// # Listing
//
// ReadState enumerates the present CPUs with XENPF_get_cpuinfo, the way
// Linux's xen-pcpu driver does (ids 0..max_present; absent ids, which may
// leave gaps, are skipped), and joins them with XEN_SYSCTL_cputopoinfo
// (core, socket, node), the cpupools (pool, scheduler) and the pools'
// names at /local/pool/<id>/name. ParseCPUs reads xl's cpu-list grammar
// through package cpuset.
//
// # Hotplug
//
// Online and Offline change a set of CPUs. The request is validated as a
// whole before anything is sent to Xen, and refused with one line per
// problem (a *RefusedError) when it names CPU 0 (Xen never offlines it), a
// CPU that is not present, or a CPU in a cpupool other than Pool-0 (Xen
// refuses to offline it with ENODEV). With Options.Evacuate such a CPU is
// first removed from its pool, unless that would leave the pool's domains
// without a CPU; if the offline then fails the CPU is put back.
//
// Each CPU is then changed on its own and reported in a Result: a CPU
// already in the requested state is a success reported as such, EBUSY is
// retried with backoff up to Options.Timeout (xen-hptool retries for
// ever), and a CPU that fails is left as it was, with a *CPUError that
// explains Xen's errno in an admin's terms. Two paths are available
// (xen-abi.md §6.1 lists their different errnos): XEN_SYSCTL_cpu_hotplug
// as xen-hptool uses it (ViaHypercall, the default), and the Linux
// xen_cpu sysfs files, which issue XENPF_cpu_online/offline (ViaSysfs;
// PlatformOps issues those directly, e.g. on the simulated host). Xen puts
// a CPU that comes online into Pool-0, whatever pool it was in before.
//
// # Why refuse up front: what Xen 4.17 does (seen in the vmtest lab)
//
// Offlining a CPU that is in a pool other than Pool-0 fails with ENODEV,
// as documented, but also leaves the CPU marked as being unplugged
// (cpupool_cpu_remove_prologue sets it in cpupool_locked_cpus before it
// returns, and the failing notifier gets no CPU_DOWN_FAILED). Until Xen
// reboots, every offline of that CPU is EBUSY (xen-hptool retries for
// ever) and, once out of its pool, no pool takes it back (ENODEV). Offline
// therefore never sends such a request; with Evacuate it removes the CPU
// from its pool first, and it recognises a CPU someone else poisoned this
// way. Offlining an absent CPU below nr_cpu_ids through sysctl answers
// EEXIST (cpu_down checks only the id range, then cpu_online), which would
// read as "already offline": absent CPUs are refused before that, too.
//
// # Info and topology
//
// ReadInfo and Info format every line of `xl info` that describes the
// hypervisor (physinfo, sharing, free CPUs, the xen_*, platform_params
// and cc_* version lines, xend_config_format) and, with -n, its
// cpu_topology, device topology and numa_info blocks, byte for byte as
// xl 4.17 prints them; FilterInfo applies `xl info KEY`. TopologyText is
// `xenpm get-cpu-topology`.
//
// # Watching
//
// Watch reports CPUs going online, offline, appearing and disappearing:
// from the kernel's xen_cpu uevents when given a source of them
// (hypercall.ListenXenCPUUevents), else by polling XENPF_get_cpuinfo. Xen
// raises VIRQ_PCPU_STATE on every change, but the dom0 kernel's driver
// already binds it, so userspace cannot.
package pcpu
