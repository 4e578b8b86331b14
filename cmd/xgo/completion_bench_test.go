package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"xgo.dev/xgo/xensim"
)

// spec256 is a 256-CPU host: 4 sockets × 32 cores × 2 threads on 4
// NUMA nodes, with 8 pools and 16 guests.
func spec256(b *testing.B) *xensim.Spec {
	b.Helper()
	var y strings.Builder
	y.WriteString(`xen: {version: "4.17", extraversion: ".5", commandLine: "sched=credit2", cpuKHz: 2394454}
cpus: {sockets: 4, coresPerSocket: 32, threadsPerCore: 2, nodes: 4, maxCPUID: 255, apicIDsPerSocket: 64}
memory: {nodeMiB: [65536, 65536, 65536, 65536]}
schedulers: {built: [credit, credit2], default: credit2}
pools:
  - {id: 0, name: Pool-0}
`)
	for i := 1; i < 8; i++ {
		fmt.Fprintf(&y, "  - {id: %d, name: pool%d, scheduler: credit2, cpus: \"%d-%d\"}\n", i, i, 184+8*i, 191+8*i)
	}
	y.WriteString("domains:\n  - {name: Domain-0, domid: 0, vcpus: 4, memoryMiB: 4096}\n")
	for i := 1; i <= 16; i++ {
		fmt.Fprintf(&y, "  - {name: guest%d, domid: %d, type: pv, vcpus: 2, memoryMiB: 1024}\n", i, i)
	}
	s, err := xensim.ParseSpec([]byte(y.String()), "bench256.yaml")
	if err != nil {
		b.Fatalf("%v\n%s", err, y.String())
	}
	return s
}

// BenchmarkComplete256 is one press of Tab with "xgo __complete" on a
// 256-CPU simulated host, in-process: load the state file, read what the
// slot needs, print the candidates. Process start-up (a few ms) comes on
// top; docs/perf.md records both.
func BenchmarkComplete256(b *testing.B) {
	state := filepath.Join(b.TempDir(), "host.state")
	if err := xensim.Init(state, spec256(b)); err != nil {
		b.Fatal(err)
	}
	d := deps{Stdin: strings.NewReader(""), Stderr: new(bytes.Buffer), Getenv: func(k string) string {
		if k == simEnvVar {
			return state
		}
		return ""
	}}
	for _, bc := range []struct{ name, line, want string }{
		{"pools", "cpupool-cpu-add ", "pool7\n"},
		{"online-cpus", "cpupool-cpu-add pool1 ", "255\n"},
		{"domains", "cpupool-migrate ", "guest16\n"},
		{"flags", "cpupool-list --", "--cpus\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out bytes.Buffer
			d.Stdout = &out
			for b.Loop() {
				out.Reset()
				runComplete(context.Background(), d, strings.Split(bc.line, " "))
			}
			if !strings.Contains(out.String(), bc.want) {
				b.Fatalf("%q: %q lacks %q", bc.line, out.String(), bc.want)
			}
		})
	}
}
