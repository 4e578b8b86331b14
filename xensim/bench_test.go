package xensim

import (
	"fmt"
	"path/filepath"
	"testing"

	"xgo.dev/xgo/hypercall"
)

// scaleSpec is a host with cpus pCPUs (16 sockets, 2 threads per core),
// pools cpupools sharing the CPUs evenly (Pool-0 included) and domains
// guests spread over the pools.
func scaleSpec(cpus, pools, domains int) *Spec {
	s := DefaultSpec()
	s.CPUs = CPUSpec{Sockets: 16, CoresPerSocket: cpus / 32, ThreadsPerCore: 2, Nodes: 16}
	s.Memory = MemorySpec{HypervisorMiB: 4096}
	for range 16 {
		s.Memory.NodeMiB = append(s.Memory.NodeMiB, 64<<10)
	}
	per := cpus / pools
	for i := 1; i < pools; i++ {
		s.Pools = append(s.Pools, PoolSpec{ID: uint32(i), Scheduler: "credit", CPUs: fmt.Sprintf("%d-%d", i*per, (i+1)*per-1)})
	}
	s.Domains = s.Domains[:1]
	for i := 1; i <= domains; i++ {
		s.Domains = append(s.Domains, DomainSpec{Name: fmt.Sprintf("guest%d", i), Domid: uint16(i), VCPUs: 2, MemoryMiB: 256, Pool: uint32(i % pools)})
	}
	return s
}

var scales = []struct{ cpus, pools, domains int }{
	{256, 32, 64},
	{1024, 128, 250},
	{4096, 512, 1000},
}

func scaleName(cpus, pools, domains int) string {
	return fmt.Sprintf("cpus=%d/pools=%d/domains=%d", cpus, pools, domains)
}

func TestScaleSpec(t *testing.T) {
	h := testHost(t, scaleSpec(4096, 512, 1000))
	pools, err := hypercall.ListCpupools(h)
	must(t, err)
	doms, err := hypercall.ListDomains(h)
	must(t, err)
	if len(pools) != 512 || len(doms) != 1001 || pools[511].CPUs.Len() != 8 {
		t.Errorf("%d pools, %d domains, last pool %+v", len(pools), len(doms), pools[511])
	}
}

// BenchmarkList enumerates every pCPU (get_cpuinfo per CPU, as Linux's
// xen-pcpu driver and xgo's pcpu list do) and every pool (INFO until
// ENOENT). The pCPU part costs the same per CPU at any size; each INFO
// copies a cpumap as long as the pool's highest CPU id, as Xen does, so
// the pool part grows with pools × CPUs.
func BenchmarkList(b *testing.B) {
	for _, sc := range scales {
		h, err := NewHost(scaleSpec(sc.cpus, sc.pools, sc.domains))
		if err != nil {
			b.Fatal(err)
		}
		name := scaleName(sc.cpus, sc.pools, sc.domains)
		b.Run("pcpus/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cpus, err := hypercall.ListPCPUs(h)
				if err != nil || len(cpus) != sc.cpus {
					b.Fatal(len(cpus), err)
				}
			}
		})
		b.Run("pools/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pools, err := hypercall.ListCpupools(h)
				if err != nil || len(pools) != sc.pools {
					b.Fatal(len(pools), err)
				}
			}
		})
		b.Run("both/"+name, func(b *testing.B) {
			for b.Loop() {
				hypercall.ListPCPUs(h)
				hypercall.ListCpupools(h)
			}
		})
	}
}

// BenchmarkMove moves one CPU from a pool to another and back (RMCPU +
// ADDCPU each way): its cost must not grow with the host.
func BenchmarkMove(b *testing.B) {
	for _, sc := range scales {
		b.Run(scaleName(sc.cpus, sc.pools, sc.domains), func(b *testing.B) {
			h, err := NewHost(scaleSpec(sc.cpus, sc.pools, sc.domains))
			if err != nil {
				b.Fatal(err)
			}
			last := uint32(sc.pools - 1)
			cpu := uint32(sc.cpus - 1) // in the last pool, which has 8
			b.ReportAllocs()
			for b.Loop() {
				if err := h.CpupoolRemoveCPU(last, cpu); err != nil {
					b.Fatal(err)
				}
				if err := h.CpupoolAddCPU(1, cpu); err != nil {
					b.Fatal(err)
				}
				if err := h.CpupoolRemoveCPU(1, cpu); err != nil {
					b.Fatal(err)
				}
				if err := h.CpupoolAddCPU(last, cpu); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOpenClose is the cost every `xgo --sim` command pays: lock,
// load the state file and rebuild the XenStore tree, save, unlock.
func BenchmarkOpenClose(b *testing.B) {
	for _, sc := range scales {
		b.Run(scaleName(sc.cpus, sc.pools, sc.domains), func(b *testing.B) {
			p := filepath.Join(b.TempDir(), "sim.yaml")
			if err := Init(p, scaleSpec(sc.cpus, sc.pools, sc.domains)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s, err := Open(p)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("default", func(b *testing.B) {
		p := filepath.Join(b.TempDir(), "sim.yaml")
		if err := Init(p, nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			s, err := Open(p)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
