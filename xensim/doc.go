// Package xensim is the simulated Xen host behind `xgo --sim`: a model of
// a Xen 4.17 host as dom0 sees it, with its XenStore.
//
// Host implements hypercall.Hypervisor with the rules and errnos of Xen's
// sources (each operation names the Xen function it mirrors), behind the
// retry rules of *hypercall.Xen and with the same *hypercall.OpError
// errors, so the domain packages cannot tell it from the real hypervisor.
// It models physical CPUs (present, online, APIC/ACPI ids with gaps,
// sockets, cores, threads, NUMA nodes, max_cpu_id above the present CPUs),
// both hotplug paths (XENPF_cpu_online/offline and XEN_SYSCTL_cpu_hotplug,
// with their different errnos), cpupools with their schedulers and
// parameters, and domains with their pools and scheduler parameters.
// The conformance scenarios of package internal/scenario check these rules
// against the simulator here and against real Xen in the lab (vmtest).
//
// A Spec describes a host in YAML (strict, errors with line numbers):
// topology, absent and offline CPUs, APIC ids, memory, the schedulers
// built and the default one, pools and domains at boot. DefaultSpec (2
// sockets × 4 cores × 2 threads, 2 NUMA nodes, credit and credit2, dom0
// and two guests) and LabSpec (the lab's QEMU host) are embedded.
//
// Sim is a Host plus its XenStore (the in-process daemon of package
// xenstore/xenstored, built the way xen-init-dom0 and xl create leave it),
// persisted in one state file locked with flock: Open loads it, Close
// saves it atomically, Init and Reset start over, Summary describes it.
// XenStore and XenStoreAs return connections as dom0 or as a guest.
//
// Faults can be injected per operation (Host.FailNext, FailAlways) and
// into XenStore commits (Sim.FailNextCommits); they persist in the state
// file too.
//
// docs/sim.md documents the spec and state formats, the XenStore tree,
// every rule with its Xen function, and what is assumed.
package xensim
