// Package layout reads, compares and applies desired-state files: a
// host's layout (cpupools with their names, Pool-0's included,
// schedulers, CPUs and parameters; which pool each domain runs in and
// its scheduler parameters; the vsnd cards of each domain; the pCPUs
// kept offline) as it should be, rather than the steps to get there.
//
// Decode reads a file strictly. Read reads the live host's layout, which
// Encode writes as a file (xgo export). Diff compares the live host with
// a file and computes the fewest batch steps from one to the other;
// Apply plans them on a simulated copy of the host and runs them with
// package batch's rollback. What a file does not mention is left alone;
// with Options.Prune, the pools and cards it does not list are removed.
// docs/layout.md describes the format.
package layout
