package cpupool_test

import (
	"context"
	"testing"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/xensim"
)

func benchEnv(b *testing.B) (*xensim.Sim, *cpupool.Manager) {
	b.Helper()
	s, err := xensim.ParseSpec([]byte(testSpec), "test.yaml")
	if err != nil {
		b.Fatal(err)
	}
	sim, err := xensim.New(s)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sim.Close() })
	xs, err := sim.XenStore()
	if err != nil {
		b.Fatal(err)
	}
	return sim, cpupool.New(sim.Host(), xs)
}

// BenchmarkPools is cpupool-list's work: every pool with its name.
func BenchmarkPools(b *testing.B) {
	sim, m := benchEnv(b)
	ctx := context.Background()
	h0 := sim.Host().Hypercalls()
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Pools(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sim.Host().Hypercalls()-h0)/float64(b.N), "hypercalls/op")
}

// BenchmarkRemoveAdd is cpupool-cpu-remove then cpupool-cpu-add of one
// cpu: plan (which reads and checks the host) and execute, twice.
func BenchmarkRemoveAdd(b *testing.B) {
	sim, m := benchEnv(b)
	ctx := context.Background()
	h0 := sim.Host().Hypercalls()
	b.ResetTimer()
	for b.Loop() {
		rp, err := m.PlanRemoveCPUs(ctx, "Pool-0", "3")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := rp.Execute(ctx); err != nil {
			b.Fatal(err)
		}
		ap, err := m.PlanAddCPUs(ctx, "Pool-0", "3")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ap.Execute(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sim.Host().Hypercalls()-h0)/float64(b.N), "hypercalls/op")
}

// BenchmarkMoveCPUs is one cpupool-cpu-move of two cpus, back and forth.
func BenchmarkMoveCPUs(b *testing.B) {
	sim, m := benchEnv(b)
	ctx := context.Background()
	h0 := sim.Host().Hypercalls()
	targets := []string{"spare", "Pool-0"}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		p, err := m.PlanMoveCPUs(ctx, "2-3", targets[i%2])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Execute(ctx); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(sim.Host().Hypercalls()-h0)/float64(b.N), "hypercalls/op")
}

// BenchmarkPlanCreate is cpupool-create's planning (a new Manager each
// time, as each command has): with sched= given, the built schedulers
// are read from hypfs's build config (one hypercall on Debian's Xen and here);
// without it, Xen's default scheduler (one).
func BenchmarkPlanCreate(b *testing.B) {
	for _, args := range [][]string{{"name=b"}, {"name=b", "sched=rtds"}} {
		b.Run(args[len(args)-1], func(b *testing.B) {
			sim, _ := benchEnv(b)
			xs, err := sim.XenStore()
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := cpupool.ParseConfig("", nil, args)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			h0 := sim.Host().Hypercalls()
			b.ResetTimer()
			for b.Loop() {
				if _, err := cpupool.New(sim.Host(), xs).PlanCreate(ctx, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(sim.Host().Hypercalls()-h0)/float64(b.N), "hypercalls/op")
		})
	}
}
