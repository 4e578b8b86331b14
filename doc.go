// Package xgo is the root of the xgo module: a pure-Go toolstack for Xen
// dom0 admins that does what xl, xen-hptool and xenstore-* do for physical
// CPUs, cpupools, schedulers and para-virtual sound.
//
// The module is layered, and imports only point down:
//
//	cmd/xgo                              CLI wiring, rendering, exit codes
//	completion                           shell completion
//	batch                                YAML batch files (plan, run, rollback)
//	pcpu, cpupool, sched, sound          what admins do
//	xensim                               the simulated host (implements the client layer's interfaces)
//	hypercall, xenstore, xenstore/...    talking to Xen
//	golang.org/x/sys                     (hypercall and xenstore only)
//
// layers_test.go enforces the order; docs/architecture.md explains it.
package xgo
