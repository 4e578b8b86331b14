// Package pcpu lists physical CPUs and brings them online or offline.
//
// It is the domain layer for what xen-hptool and the Linux xen_cpu sysfs
// driver do: enumerate present pCPUs with XENPF_get_cpuinfo, join them with
// cputopoinfo and cpupool membership, and change their state through either
// XEN_SYSCTL_cpu_hotplug (the default, as libxc does) or XENPF_cpu_online /
// XENPF_cpu_offline (the sysfs path). It talks to Xen only through the
// interfaces of package hypercall and package xenstore, so it runs unchanged
// against the simulated host in package xensim.
package pcpu
