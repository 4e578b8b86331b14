// Package host opens the Xen host a command acts on, in one place: this
// machine's hypervisor (privcmd) and XenStore, or with Options.Sim a
// simulated host's (package xensim), locked for as long as the Host is
// open and saved when it closes if the command may have changed it.
//
// Nothing is opened before it is asked for: a command that only reads
// XenStore never opens privcmd. The managers of the domain packages
// (cpupool, sound) are built from a Host, so every command reaches Xen
// the same way and releases it with one Close. What pcpu's hotplug and
// watch read from the host beside the hypervisor (the xen_cpu sysfs files
// or their platform operations, the kernel's uevents) comes from here too.
package host
