package layout

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"xgo.dev/xgo/batch"
)

var (
	seed    = flag.Uint64("layout.seed", 18, "seed of TestRoundTripRandomLayouts")
	layouts = flag.Int("layout.n", 30, "layouts TestRoundTripRandomLayouts tries")
)

// randomSteps reaches a random layout: random xgo operations, each run
// on its own; those the host refuses are skipped, so every layout is one
// the simulator can reach.
func randomSteps(t *testing.T, h *batch.Host, r *rand.Rand) []string {
	t.Helper()
	var kept []string
	try := func(step string) {
		f, err := batch.Decode([]byte("version: 1\nsteps:\n  - "+step+"\n"), "random.yaml")
		if err != nil {
			t.Fatalf("generated a bad step %q: %v", step, err)
		}
		if _, err := batch.Run(ctx(t), f, h, batch.RunOptions{}); err == nil {
			kept = append(kept, step)
		}
	}
	pools := []string{"Pool-0"}
	switch r.IntN(4) {
	case 0:
		try("cpupool-rename: {pool: Pool-0, name: node0}")
		pools[0] = "node0"
	case 1:
		try("cpupool-numa-split:")
		pools = []string{"Pool-node0", "Pool-node1"}
	}
	scheds := []string{"credit", "credit2", "rtds", `"null"`}
	for i := range r.IntN(4) {
		name := fmt.Sprintf("p%d", i)
		if i == 0 && pools[0] != "Pool-0" && r.IntN(2) == 0 {
			name = "Pool-0" // the name the renamed Pool-0 left free
		}
		try(fmt.Sprintf("cpupool-create: {name: %s, sched: %s}", name, scheds[r.IntN(len(scheds))]))
		pools = append(pools, name)
	}
	pick := func() string { return pools[r.IntN(len(pools))] }
	for range r.IntN(6) {
		lo := 1 + r.IntN(15)
		hi := min(15, lo+r.IntN(4))
		try(fmt.Sprintf("cpupool-cpu-move: {cpus: %d-%d, pool: %s}", lo, hi, pick()))
	}
	for _, dom := range []string{"domu1", "domu2"} {
		if r.IntN(3) > 0 {
			try(fmt.Sprintf("cpupool-migrate: {domain: %s, pool: %s}", dom, pick()))
		}
	}
	for _, p := range pools {
		try(fmt.Sprintf("sched-credit2: {cpupool: %s, ratelimit_us: %d}", p, []int{1000, 500, 2000}[r.IntN(3)]))
		try(fmt.Sprintf("sched-credit: {cpupool: %s, tslice_ms: %d, migration_delay_us: %d}", p, []int{30, 10}[r.IntN(2)], []int{0, 100}[r.IntN(2)]))
	}
	for _, dom := range []string{"Domain-0", "domu1", "domu2"} {
		switch r.IntN(3) {
		case 0:
			try(fmt.Sprintf("sched-credit2: {domain: %s, weight: %d}", dom, []int{256, 512, 128}[r.IntN(3)]))
			try(fmt.Sprintf("sched-credit: {domain: %s, weight: %d, cap: %d}", dom, []int{256, 64}[r.IntN(2)], []int{0, 50}[r.IntN(2)]))
		case 1:
			try(fmt.Sprintf("sched-rtds: {domain: %s, period: %d, budget: %d, extratime: %t}", dom, []int{10000, 20000}[r.IntN(2)], []int{4000, 5000}[r.IntN(2)], r.IntN(2) == 0))
			try(fmt.Sprintf("sched-rtds: {domain: %s, vcpuid: 1, period: 30000, budget: 100}", dom))
		}
	}
	if r.IntN(2) == 0 {
		lo := 1 + r.IntN(15)
		try(fmt.Sprintf("cpupool-cpu-remove: {pool: %s, cpus: %d-%d}", pick(), lo, min(15, lo+r.IntN(3))))
	}
	if r.IntN(2) == 0 {
		lo := 10 + r.IntN(6)
		try(fmt.Sprintf("pcpu-offline: {cpus: %d-15, evacuate: true}", lo))
	}
	for _, dom := range []string{"domu1", "domu2"} {
		for j := range r.IntN(3) {
			try(fmt.Sprintf("vsnd-attach: {domain: %s, card: {short-name: c%d, pcms: [{name: p, streams: [{unique-id: \"tone:%d\", type: %s}]}]}}", dom, j, 440+j, []string{"p", "c"}[r.IntN(2)]))
		}
	}
	return kept
}

// TestRoundTripRandomLayouts: on random reachable layouts, export →
// apply on a fresh host → export gives the same file, the diff against
// the source host is empty, and a second apply changes nothing. Run
// with -layout.seed=N to reproduce a failure it reports.
func TestRoundTripRandomLayouts(t *testing.T) {
	r := rand.New(rand.NewPCG(*seed, 0x18))
	for i := range *layouts {
		src := newSim(t)
		sh := hostOf(t, src)
		steps := randomSteps(t, sh, r)
		t.Logf("layout %d: %d steps: %s", i, len(steps), strings.Join(steps, "; "))
		exp, err := Export(ctx(t), sh)
		must(t, err)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d, layout %d: %s\nsteps:\n  %s\nexport:\n%s", *seed, i, fmt.Sprintf(format, args...), strings.Join(steps, "\n  "), exp)
		}
		f, err := Decode(exp, "export.yaml")
		if err != nil {
			fail("the export does not decode: %v", err)
		}
		if p, err := Diff(ctx(t), sh, f, Options{Prune: true, Strict: true}); err != nil || !p.InSync() {
			fail("the source host differs from its export: %v %v", err, p)
		}
		fresh := newSim(t)
		fh := hostOf(t, fresh)
		apply(t, fresh, fh, f, Options{Prune: true, Strict: true})
		again, err := Export(ctx(t), fh)
		must(t, err)
		if !bytes.Equal(exp, again) {
			fail("export after apply on a fresh host differs:\n%s", again)
		}
		if p := apply(t, fresh, fh, f, Options{Prune: true}); !p.InSync() {
			fail("a second apply would change: %v", p.Changes)
		}
		if p, err := Diff(ctx(t), sh, decode(t, string(again)), Options{Prune: true}); err != nil || !p.InSync() {
			fail("diff of the rebuilt host's export against the source: %v %v", err, p)
		}
		// From another random layout rather than a fresh host: --prune
		// takes it to the same layout.
		other := newSim(t)
		oh := hostOf(t, other)
		osteps := randomSteps(t, oh, r)
		p, err := Diff(ctx(t), oh, f, Options{Prune: true, Strict: true})
		if err != nil {
			fail("diff from another layout: %v (its steps: %s)", err, strings.Join(osteps, "; "))
		}
		cp, err := other.Copy()
		must(t, err)
		rep := NewReport(p, "apply")
		if err := Apply(ctx(t), p, oh, cp, batch.RunOptions{}, rep); err != nil {
			b, _, _ := p.Batch()
			fail("apply from another layout: %v\nits steps: %s\nbatch:\n%s", err, strings.Join(osteps, "; "), b)
		}
		cp.Close()
		if p, err := Diff(ctx(t), oh, f, Options{Prune: true, Strict: true}); err != nil || !p.InSync() {
			fail("after apply from another layout: %v %v", err, p.Changes)
		}
	}
}
