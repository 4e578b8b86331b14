//go:build linux

package hypercall

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestHypercallCost pins how many hypercalls each enumeration costs:
// enumerating N CPUs is N calls (get_cpuinfo for 0..max_present), the
// count-then-fill ops are 2, listing P pools is P+1.
func TestHypercallCost(t *testing.T) {
	for _, n := range []int{1, 4, 64, 512} {
		xen := newFakeXen(n)
		x, _ := openFake(t, xen, nil)
		cost := func(name string, want uint64, f func() error) {
			t.Helper()
			before := x.Hypercalls()
			if err := f(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := x.Hypercalls() - before; got != want {
				t.Errorf("N=%d: %s cost %d hypercalls, want %d", n, name, got, want)
			}
		}
		cost("ListPCPUs", uint64(n), func() error { _, err := ListPCPUs(x); return err })
		cost("CPUTopology", 2, func() error { _, err := x.CPUTopology(); return err })
		cost("NUMAInfo", 2, func() error { _, err := x.NUMAInfo(); return err })
		cost("ListCpupools", 2, func() error { _, err := ListCpupools(x); return err })
		cost("ListDomains", 1, func() error { _, err := ListDomains(x); return err })
		cost("XenVersion", 4, func() error { _, err := x.XenVersion(); return err })
		cost("XenBuildInfo", 4, func() error { _, err := x.XenBuildInfo(); return err })
		cost("MemSharing", 2, func() error { _, err := x.MemSharing(); return err })
		cost("PCITopology", 1, func() error { _, err := x.PCITopology(); return err }) // 3 devices
	}
}

func BenchmarkListPCPUs(b *testing.B) {
	for _, n := range []int{8, 64, 256} {
		b.Run(fmt.Sprintf("cpus=%d", n), func(b *testing.B) {
			x, _ := openFake(b, newFakeXen(n), nil)
			before := x.Hypercalls()
			for b.Loop() {
				if _, err := ListPCPUs(x); err != nil {
					b.Fatal(err)
				}
			}
			per := float64(x.Hypercalls()-before) / float64(b.N)
			b.ReportMetric(per, "hypercalls/op")
			if per != float64(n) {
				b.Errorf("%v hypercalls per enumeration of %d CPUs, want %d", per, n, n)
			}
		})
	}
}

// TestConcurrentUse hammers one handle from several goroutines while it
// is closed; run with -race.
func TestConcurrentUse(t *testing.T) {
	x, _ := openFake(t, newFakeXen(16), nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				_, err1 := x.Physinfo()
				_, err2 := ListPCPUs(x)
				_, err3 := x.CpupoolInfo(0)
				for _, err := range []error{err1, err2, err3} {
					if err != nil && !errors.Is(err, ErrClosed) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		x.Close()
	}()
	wg.Wait()
}
