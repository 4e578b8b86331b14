// Package hypercall talks to the Xen hypervisor from dom0 without libxc or
// libxl: typed sysctl, domctl, platform_op, xen_version and memory_op
// operations and hypfs_op reads of the hypervisor file system (ReadHypfs;
// BuiltSchedulers reads the build config there) over Linux's privcmd
// device, and event channels over /dev/xen/evtchn. It is pure Go
// (CGO_ENABLED=0) and imports only the standard library and
// golang.org/x/sys/unix.
//
// Open returns a *Xen, which implements the Hypervisor interface; the
// domain packages (pcpu, cpupool, sched) depend on that interface only, so
// they run unchanged against the simulated host of package xensim.
//
//	x, err := hypercall.Open()
//	if err != nil {
//		return err // e.g. "open: not running in dom0: /proc/xen/capabilities does not list control_d ..."
//	}
//	defer x.Close()
//	pools, err := hypercall.ListCpupools(x)
//
// There is deliberately no generic "issue hypercall N" entry point: every
// operation has its own method, request layout and error meanings, and all
// of them go through one private choke point that retries, counts, traces
// and converts errors.
//
// # Xen releases
//
// Xen refuses a sysctl, domctl or platform_op whose interface version is
// not exactly its own (EACCES). Open asks the hypervisor for its version
// (XENVER_version) and takes the interface versions of that release from a
// table covering Xen 4.16 to 4.22 (ABI reports the choice). Any other
// release fails with an error matching ErrNotSupported, "Xen X.Y is not
// supported by xgo". Setting XGO_XEN_VERSION=4.19 forces the ABI of a
// listed release, for hypervisors known to share it. The ABI structs are
// hand-kept mirrors of Xen's public headers, one file per header
// (abi_xen.go for xen.h and version.h, abi_sysctl.go, abi_domctl.go,
// abi_platform.go, abi_memory.go, abi_physdev.go, abi_hypfs.go, and
// abi_privcmd.go, abi_evtchn.go for Linux's device UAPI); their sizes and
// offsets are checked by tests against gcc's measurements of the headers
// at every release tag, for x86_64 and arm64 (testdata/). Within 4.16–4.22 only physinfo changed
// layout (4.17 added arch_capabilities); both layouts are handled.
//
// # Errors
//
// A failed operation returns an *OpError naming the operation, its
// arguments and what Xen means by the errno for that operation (for
// example EADDRNOTAVAIL from a cpupool RMCPU is "cpu is not in that
// pool"). errors.Is matches both the errno (unix.EADDRNOTAVAIL) and, where
// one applies, a sentinel: ErrNotSupported (release, interface version,
// scheduler or feature missing), ErrPermission, ErrNoXen, ErrNotDom0,
// ErrClosed. Other Hypervisor implementations (the simulator) build the
// same errors with NewOpError.
//
// # Concurrency
//
// A *Xen and an *Evtchn are safe for concurrent use. Each hypercall gets
// its own hypercall buffer; up to four one-page buffers are cached. Close
// waits for calls in progress and makes later calls fail with ErrClosed.
// Xen serialises sysctl and platform operations internally, so parallel
// callers do not run faster, but they do not corrupt each other.
// Operations that Xen documents as transient are retried a bounded number
// of times: EINTR always, EAGAIN for cpupool operations (as libxc does),
// EADDRINUSE for cpupool RMCPU (5 times, as libxc does) and EBUSY for
// get_cpuinfo while a hotplug holds the CPU maps.
//
// Hypercalls(), the number of hypercalls a handle has issued, lets tests
// check the cost of an operation: ListPCPUs costs one call per CPU id,
// CPUTopology and NUMAInfo two, ListCpupools one per pool plus one,
// XenVersion and XenBuildInfo four each, MemSharing two, PCITopology one
// (none without PCI devices; dom0's devices are read from
// /sys/bus/pci/devices, as libxl reads them).
//
// # Privileges
//
// Everything here needs dom0 and root. Open distinguishes the cases with
// one line each: no Xen at all (no /dev/xen and no /proc/xen, or no
// privcmd driver): ErrNoXen; a Xen guest (/proc/xen/capabilities lacks
// control_d, or, when xenfs is not mounted, Xen refuses a sysctl with
// EPERM): ErrNotDom0; not root (EACCES or EPERM opening the device):
// ErrPermission. Xen itself may still refuse an operation with EPERM
// under an XSM policy; that error matches ErrPermission too.
//
// Memory that Xen reads or writes during a hypercall — the request struct
// and every array it points to (cpumaps, topology, NUMA and domain-info
// arrays, the ARINC653 schedule, per-vCPU arrays) — lives in pages mapped
// from /dev/xen/hypercall (MAP_SHARED; Linux ≥ 4.18) or, on older kernels,
// in anonymous pages that are locked, excluded from fork and touched before
// use, as libxencall does. It is never Go heap memory.
//
// # Debugging
//
// XGODEBUG=hypercall (a comma-separated list shared with the rest of xgo,
// e.g. XGODEBUG=hypercall,xenstore) prints one line per hypercall and
// event channel or grant device ioctl to standard error: the operation, its arguments, the
// result or errno, retries and the duration:
//
//	hypercall: sysctl cpupool_op rmcpu [pool 3, cpu 5] = -99 EADDRNOTAVAIL 21µs
//
// # Event channels
//
// OpenEvtchn returns an *Evtchn for binding VIRQs, interdomain and unbound
// ports, notifying, reading pending ports and unmasking them. Note that the
// dom0 kernel already binds VIRQ_PCPU_STATE, so binding it again fails with
// EEXIST; watch the xen_cpu sysfs uevents or poll instead.
//
// # Grant mapping
//
// OpenGntdev returns a *Gntdev (/dev/xen/gntdev), through which a backend
// maps the pages a guest granted it: Map takes the guest's domain and any
// number of grant references and makes one MAP_GRANT_REF ioctl and one
// shared mmap of 4096 bytes per reference. A bad reference fails the
// whole Map with an *OpError (EINVAL from the driver's mmap) and leaves
// nothing mapped. GrantMap.Unmap is idempotent; NotifyOnUnmap arms the
// driver's clear-byte / event notification for when the mapping goes,
// even by a crash. OpenGntalloc (/dev/xen/gntalloc) is the other side,
// allocating and granting this domain's pages; the lab uses it to play a
// frontend inside a guest. Layouts: abi_gntdev.go, abi_gntalloc.go.
package hypercall
