// Package scenario is the conformance suite of the simulated Xen host:
// scenarios written once, as data and code, that run both against
// package xensim on any machine and against the real hypervisor in the
// Xen lab (vmtest), so the simulator's rules and errnos are checked
// against real Xen.
//
// A Scenario is a sequence of hypercall.Hypervisor operations (Steps),
// each with the errno it must fail with or success, and checks of the
// state that must follow (pool membership, free CPUs, nr_cpus, n_dom,
// scheduler parameters). Every scenario names the rule of xen-abi.md §6
// it checks and the Xen function implementing it. CPUs, pools and
// domains are named relative to the host (Spare(0) is the highest online
// CPU of Pool-0 besides CPU 0, NoPool an id no pool has), so the same
// scenario runs on the lab's 4 CPUs and on a simulated 4096-CPU host.
//
// The runner snapshots the host before each scenario and restores it
// afterwards, also when a step fails or panics: the lab runs the whole
// suite in one boot. It checks the invariants (every online CPU in exactly
// one pool or free, n_dom matching the domains) after each scenario and
// verifies the restored state equals the snapshot; if it does not, the
// remaining scenarios are not run.
//
// Scenarios declare what they need (Needs): spare CPUs, a domU, built
// schedulers, SMT, fault injection. Those that cannot run on a host are
// skipped with the reason; those that must never run on real Xen (they
// inject faults, or would offline half the CPUs) say so in SimOnly.
//
// In a test:
//
//	hv, _ := hypercall.Open()
//	scenario.RunT(t, hv, scenario.Env{Name: "xen lab", DomU: domid})
//
// and on the simulator:
//
//	h, _ := xensim.NewHost(xensim.LabSpec())
//	scenario.RunT(t, h, scenario.SimEnv("xensim lab", h, 1))
package scenario
