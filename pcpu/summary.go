package pcpu

import (
	"fmt"
	"strconv"
	"strings"

	"xgo.dev/xgo/hypercall"
)

// TopologyRow is one CPU whose core Xen knows, as info -n's cpu_topology
// and topology list it.
type TopologyRow struct {
	CPU    uint32 `json:"cpu" yaml:"cpu"`
	Core   uint32 `json:"core" yaml:"core"`
	Socket uint32 `json:"socket" yaml:"socket"`
	// Node is null for a CPU Xen places on no node.
	Node *uint32 `json:"node" yaml:"node"`
}

// TopologyRows are the rows of the CPUs whose core Xen knows (never nil).
func TopologyRows(topo []hypercall.CPUTopology) []TopologyRow {
	rows := []TopologyRow{}
	for i, t := range topo {
		if t.Core == hypercall.InvalidID {
			continue
		}
		row := TopologyRow{CPU: uint32(i), Core: t.Core, Socket: t.Socket}
		if t.Node != hypercall.InvalidID {
			node := t.Node
			row.Node = &node
		}
		rows = append(rows, row)
	}
	return rows
}

// PCIDeviceRow is one PCI device of info -n's device topology.
type PCIDeviceRow struct {
	// Device is "SSSS:BB:DD.F".
	Device string `json:"device" yaml:"device"`
	// Node is null when Xen gives the device no node (xl leaves such
	// devices out of its text).
	Node *uint32 `json:"node" yaml:"node"`
	// KnownToXen is false when Xen does not know the device at all
	// (XEN_INVALID_DEV).
	KnownToXen bool `json:"knownToXen" yaml:"knownToXen"`
}

// NUMANodeRow is one row of info -n's numa_info.
type NUMANodeRow struct {
	Node       uint32 `json:"node" yaml:"node"`
	MemSizeMiB uint64 `json:"memsizeMiB" yaml:"memsizeMiB"`
	MemFreeMiB uint64 `json:"memfreeMiB" yaml:"memfreeMiB"`
	// Distances to each node id; -1 where Xen does not know.
	Distances []int64 `json:"distances" yaml:"distances"`
}

// Summary is Info as typed fields: xl info's physinfo and version lines,
// for machine-readable output.
type Summary struct {
	Host    string `json:"host,omitempty" yaml:"host,omitempty"`
	Release string `json:"release,omitempty" yaml:"release,omitempty"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	Machine string `json:"machine,omitempty" yaml:"machine,omitempty"`

	NrCPUs               uint32   `json:"nrCpus" yaml:"nrCpus"`
	MaxCPUID             uint32   `json:"maxCpuId" yaml:"maxCpuId"`
	NrNodes              uint32   `json:"nrNodes" yaml:"nrNodes"`
	CoresPerSocket       uint32   `json:"coresPerSocket" yaml:"coresPerSocket"`
	ThreadsPerCore       uint32   `json:"threadsPerCore" yaml:"threadsPerCore"`
	CPUkHz               uint32   `json:"cpuKHz" yaml:"cpuKHz"`
	HWCaps               []string `json:"hwCaps" yaml:"hwCaps"`
	VirtCaps             []string `json:"virtCaps" yaml:"virtCaps"`
	TotalMemoryMiB       uint64   `json:"totalMemoryMiB" yaml:"totalMemoryMiB"`
	FreeMemoryMiB        uint64   `json:"freeMemoryMiB" yaml:"freeMemoryMiB"`
	SharingFreedMiB      uint64   `json:"sharingFreedMemoryMiB" yaml:"sharingFreedMemoryMiB"`
	SharingUsedMiB       uint64   `json:"sharingUsedMemoryMiB" yaml:"sharingUsedMemoryMiB"`
	OutstandingClaimsMiB uint64   `json:"outstandingClaimsMiB" yaml:"outstandingClaimsMiB"`
	FreeCPUs             []int    `json:"freeCpus" yaml:"freeCpus"`

	CPUTopology []TopologyRow `json:"cpuTopology,omitempty" yaml:"cpuTopology,omitempty"`
	// DeviceTopology lists every PCI device with -n, also those without
	// a node.
	DeviceTopology []PCIDeviceRow `json:"deviceTopology,omitempty" yaml:"deviceTopology,omitempty"`
	NUMAInfo       []NUMANodeRow  `json:"numaInfo,omitempty" yaml:"numaInfo,omitempty"`

	XenMajor     int    `json:"xenMajor" yaml:"xenMajor"`
	XenMinor     int    `json:"xenMinor" yaml:"xenMinor"`
	XenExtra     string `json:"xenExtra" yaml:"xenExtra"`
	XenVersion   string `json:"xenVersion" yaml:"xenVersion"`
	XenCaps      string `json:"xenCaps" yaml:"xenCaps"`
	XenScheduler string `json:"xenScheduler" yaml:"xenScheduler"`
	XenPagesize  int    `json:"xenPagesize" yaml:"xenPagesize"`
	// VirtStart is platform_params' virt_start in hex ("0xffff800000000000"):
	// a 64-bit address does not survive JSON's float numbers.
	VirtStart        string `json:"virtStart" yaml:"virtStart"`
	XenChangeset     string `json:"xenChangeset" yaml:"xenChangeset"`
	XenCommandline   string `json:"xenCommandline" yaml:"xenCommandline"`
	CCCompiler       string `json:"ccCompiler" yaml:"ccCompiler"`
	CCCompileBy      string `json:"ccCompileBy" yaml:"ccCompileBy"`
	CCCompileDomain  string `json:"ccCompileDomain" yaml:"ccCompileDomain"`
	CCCompileDate    string `json:"ccCompileDate" yaml:"ccCompileDate"`
	BuildID          string `json:"buildId" yaml:"buildId"`
	XendConfigFormat int    `json:"xendConfigFormat" yaml:"xendConfigFormat"`
}

// Summary returns the typed form of what Text prints.
func (in *Info) Summary() Summary {
	p := in.Physinfo
	perMiB := uint64(1<<20) / hypercall.PageSize
	s := Summary{
		NrCPUs:               p.NrCPUs,
		MaxCPUID:             p.MaxCPUID,
		NrNodes:              p.NrNodes,
		CoresPerSocket:       p.CoresPerSocket,
		ThreadsPerCore:       p.ThreadsPerCore,
		CPUkHz:               p.CPUkHz,
		VirtCaps:             strings.Fields(p.Capabilities.String()),
		TotalMemoryMiB:       p.TotalPages / perMiB,
		FreeMemoryMiB:        (p.FreePages - p.OutstandingPages) / perMiB,
		SharingFreedMiB:      in.Sharing.FreedPages / perMiB,
		SharingUsedMiB:       in.Sharing.SharedPages / perMiB,
		OutstandingClaimsMiB: p.OutstandingPages / perMiB,
		FreeCPUs:             in.FreeCPUs.IDs(),
		CPUTopology:          TopologyRows(in.Topology),
		XenMajor:             in.Version.Major,
		XenMinor:             in.Version.Minor,
		XenExtra:             in.Version.Extra,
		XenCaps:              in.Build.Capabilities,
		XenScheduler:         in.Scheduler.String(),
		XenPagesize:          hypercall.PageSize,
		VirtStart:            "0x" + strconv.FormatUint(in.Build.VirtStart, 16),
		XenChangeset:         in.Build.Changeset,
		XenCommandline:       in.Version.CommandLine,
		CCCompiler:           in.Build.Compiler,
		CCCompileBy:          in.Build.CompileBy,
		CCCompileDomain:      in.Build.CompileDomain,
		CCCompileDate:        in.Build.CompileDate,
		XendConfigFormat:     4,
	}
	for _, d := range in.PCI {
		row := PCIDeviceRow{Device: d.Device.String(), KnownToXen: d.Node != hypercall.InvalidDev}
		if d.HasNode() {
			node := d.Node
			row.Node = &node
		}
		s.DeviceTopology = append(s.DeviceTopology, row)
	}
	for _, l := range in.XenLines() {
		switch l.Key {
		case "build_id":
			s.BuildID = l.Value
		case "xen_version":
			s.XenVersion = l.Value
		}
	}
	if n := in.Node; n != nil {
		s.Host, s.Release, s.Version, s.Machine = n.Host, n.Release, n.Version, n.Machine
	}
	for _, w := range p.HWCap {
		s.HWCaps = append(s.HWCaps, fmt.Sprintf("%08x", w))
	}
	if s.VirtCaps == nil {
		s.VirtCaps = []string{}
	}
	if s.FreeCPUs == nil {
		s.FreeCPUs = []int{}
	}
	for i, n := range in.NUMA {
		if !n.Online {
			continue
		}
		row := NUMANodeRow{Node: uint32(i), MemSizeMiB: n.MemSize >> 20, MemFreeMiB: n.MemFree >> 20, Distances: []int64{}}
		for _, d := range n.Distances {
			row.Distances = append(row.Distances, int64(int32(d)))
		}
		s.NUMAInfo = append(s.NUMAInfo, row)
	}
	return s
}

// Select is `xl info KEY` as lines: those FilterInfo selects, with their
// keys (never nil).
func (in *Info) Select(key string) []InfoLine {
	out := []InfoLine{}
	for _, l := range in.Lines() {
		if len(FilterInfo([]InfoLine{l}, key)) == 1 {
			out = append(out, l)
		}
	}
	return out
}
