package pcpu

import (
	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// The roles of the hypervisor that parts of this package play against:
// each holds only the operations that part calls, so a test fakes only
// those. A hypercall.Hypervisor is all of them.
type (
	// TopologySource is what ReadTopology reads: max_cpu_id and the
	// CPUs' nodes.
	TopologySource interface {
		Physinfo() (hypercall.Physinfo, error)
		CPUTopology() ([]hypercall.CPUTopology, error)
	}
	// InfoSource is what ReadInfo reads for xl info.
	InfoSource interface {
		TopologySource
		MemSharing() (hypercall.MemSharing, error)
		CpupoolFreeCPUs() (cpuset.Set, error)
		XenVersion() (hypercall.XenVersion, error)
		XenBuildInfo() (hypercall.XenBuildInfo, error)
		SchedulerID() (hypercall.Scheduler, error)
		PCITopology() ([]hypercall.PCITopology, error)
		NUMAInfo() ([]hypercall.NUMANode, error)
	}
	// Platform is what PlatformOps issues: the platform operations behind
	// Linux's xen_cpu online files.
	Platform interface {
		PlatformCPUOnline(cpu uint32) error
		PlatformCPUOffline(cpu uint32) error
	}
)

var (
	_ InfoSource = hypercall.Hypervisor(nil)
	_ Platform   = hypercall.Hypervisor(nil)
)
