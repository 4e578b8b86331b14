// Package batch decodes, plans and runs YAML batch files: a list of xgo
// operations checked as a whole against a simulated copy of the host before
// anything changes, then applied in order and undone in reverse order if a
// step fails.
//
// # Format
//
// A batch file has a version key (1) and a list of steps; each step is one
// xgo command, named as on the command line, with its arguments as a
// mapping:
//
//	version: 1
//	steps:
//	  - pcpu-offline: {cpus: 15}
//	  - cpupool-create: {name: rt, sched: credit2}
//	  - cpupool-cpu-move: {cpus: [12, "13-14"], pool: rt}
//	  - cpupool-migrate: {domain: domu1, pool: rt}
//	  - sched-credit2: {domain: domu1, weight: 512}
//
// Decode is strict: an unknown operation or argument, a value of the wrong
// type, a bad cpu-list, scheduler, path or card is an *Error naming the
// file, line, column and step. docs/batch.md lists every operation.
//
// # Planning and running
//
// Plan applies the steps to a simulated copy of the host (xensim.Capture
// of the live host, or Sim.Copy of a simulated one) with the same domain
// code (packages pcpu, cpupool, sched, sound) that changes the real host,
// and reports what each step would change, or the first that would fail.
// Run applies them to the host; each step returns how to undo what it did
// (a cpupool plan's inverse steps, the scheduler parameters it replaced,
// the XenStore nodes it removed or overwrote, the vsnd device it wrote),
// and when a step fails the steps done are undone in reverse order.
// Cancelling Run's context (Ctrl-C) finishes the step under way, then
// rolls back.
//
// Export writes a host's layout as a batch file that recreates it on a
// host whose CPUs and domains are all in Pool-0.
package batch
