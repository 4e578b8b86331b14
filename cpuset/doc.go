// Package cpuset is the one CPU-set type every xgo command uses: a sorted,
// duplicate-free set of Xen CPU ids, parsed from xl's cpu-list grammar
// (tools/xl/xl_parse.c: "2-5,^3", "node:1", "nodes:0-1", "all") and printed
// either as compact ranges ("0-3,6") or as xl prints pool CPU lists, one id
// at a time ("0,1,2,3,6").
//
// The package is pure data: it imports nothing of xgo, so every layer may
// use it. NUMA node items need the host's topology, which the caller passes
// in as a Topology.
package cpuset
