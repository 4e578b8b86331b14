//go:build xenlab

package suite

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"

	"xgo.dev/xgo/hypercall"
)

// This file sorts last on purpose: its test leaves a pCPU unusable for the
// rest of the boot, so every other test of the suite runs before it.

// TestXenZZQuirkFailedOfflineStrandsCPU pins down what Xen 4.17 does when a
// CPU that sits in a cpupool other than Pool-0 is offlined: the offline
// fails with ENODEV (both XEN_SYSCTL_cpu_hotplug and XENPF_cpu_offline), and
// the CPU stays locked in the hypervisor: once removed from its pool it
// cannot be added to any pool (ENODEV), onlined (EEXIST) or offlined
// (EBUSY, which xen-hptool retries forever). This is why xgo refuses such an
// offline before issuing it (docs/xen-behaviour.md). If a Xen update fixes
// the bug, this test fails and the refusal can be relaxed.
func TestXenZZQuirkFailedOfflineStrandsCPU(t *testing.T) {
	x := hcOpen(t)
	const cpu = 3
	id, err := x.CpupoolCreate(hypercall.PoolAny, hypercall.SchedCredit)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("xgo-quirk-%d", id)
	hcRun(t, "xenstore-write", fmt.Sprintf("/local/pool/%d/name", id), name)
	t.Cleanup(func() {
		x.CpupoolRemoveCPU(id, cpu)
		x.CpupoolDestroy(id)
		exec.Command("xenstore-rm", fmt.Sprintf("/local/pool/%d", id)).Run()
	})
	if err := x.CpupoolRemoveCPU(0, cpu); err != nil {
		t.Fatal(err)
	}
	if err := x.CpupoolAddCPU(id, cpu); err != nil {
		t.Fatal(err)
	}
	if err := x.CPUHotplug(hypercall.HotplugOffline, cpu); !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("offline cpu %d of pool %s: %v, want ENODEV", cpu, name, err)
	}
	// Still listed in its pool...
	info, err := x.CpupoolInfo(id)
	if err != nil || !info.CPUs.Has(int(cpu)) {
		t.Fatalf("pool %s after the failed offline: %+v, %v; want cpu %d still in it", name, info, err, cpu)
	}
	// ...and it can leave it, but then it is stranded.
	if err := x.CpupoolRemoveCPU(id, cpu); err != nil {
		t.Fatalf("remove cpu %d from %s: %v", cpu, name, err)
	}
	if err := x.CpupoolAddCPU(0, cpu); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("add the stranded cpu %d to Pool-0: %v, want ENODEV (has Xen fixed the bug?)", cpu, err)
	}
	if err := x.CPUHotplug(hypercall.HotplugOnline, cpu); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("online the stranded cpu %d: %v, want EEXIST", cpu, err)
	}
	free, err := x.CpupoolFreeCPUs()
	if err != nil || !free.Has(int(cpu)) {
		t.Errorf("free cpus %v, %v: want the stranded cpu %d listed as free", free, err, cpu)
	}
}
