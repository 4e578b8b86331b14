package pcpu

import (
	"fmt"
	"strconv"
	"strings"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// Info is what `xl info` reports about the hypervisor, its CPUs and its
// memory, read through the Hypervisor interface: every line xl prints.
type Info struct {
	// Node is the dom0 kernel's uname, which xl prints first; nil leaves
	// those lines out.
	Node *NodeInfo

	Physinfo  hypercall.Physinfo
	Sharing   hypercall.MemSharing
	FreeCPUs  cpuset.Set
	Version   hypercall.XenVersion
	Build     hypercall.XenBuildInfo
	Scheduler hypercall.Scheduler
	// Topology, PCI and NUMA are read only when asked for (xl info -n).
	Topology []hypercall.CPUTopology
	NUMA     []hypercall.NUMANode
	PCI      []hypercall.PCITopology
	// PCIErr is why the PCI devices' nodes could not be read (a dom0
	// without /sys/bus/pci, a hypervisor built without PCI support):
	// like xl, which reports the failure and goes on, Text then leaves
	// the device topology block out.
	PCIErr error
}

// NodeInfo is uname(2) of dom0: xl info's host, release, version and
// machine lines.
type NodeInfo struct {
	Host, Release, Version, Machine string
}

// ReadInfo reads physinfo, the sharing counts, the free CPUs, the
// version and build information and the default scheduler; with numa
// also cputopoinfo, the PCI devices' nodes and numainfo. Failing to read
// the PCI devices' nodes is not an error (see Info.PCIErr).
func ReadInfo(h InfoSource, numa bool) (*Info, error) {
	var in Info
	var err error
	if in.Physinfo, err = h.Physinfo(); err != nil {
		return nil, err
	}
	if in.Sharing, err = h.MemSharing(); err != nil {
		return nil, err
	}
	free, err := h.CpupoolFreeCPUs()
	if err != nil {
		return nil, err
	}
	in.FreeCPUs = free
	if in.Version, err = h.XenVersion(); err != nil {
		return nil, err
	}
	if in.Build, err = h.XenBuildInfo(); err != nil {
		return nil, err
	}
	if in.Scheduler, err = h.SchedulerID(); err != nil {
		return nil, err
	}
	if numa {
		if in.Topology, err = h.CPUTopology(); err != nil {
			return nil, err
		}
		if in.PCI, err = h.PCITopology(); err != nil {
			in.PCI, in.PCIErr = nil, err
		}
		if in.NUMA, err = h.NUMAInfo(); err != nil {
			return nil, err
		}
	}
	return &in, nil
}

// InfoLine is one "key : value" line of xl info.
type InfoLine struct {
	Key, Value string
}

// String formats the line as xl does: the key padded to 23 columns, ": ",
// the value and a newline. virt_caps is printed as xl prints it, with no
// space after the colon when there are no capabilities.
func (l InfoLine) String() string {
	if l.Key == "virt_caps" && l.Value == "" {
		return fmt.Sprintf("%-23s:\n", l.Key)
	}
	return fmt.Sprintf("%-23s: %s\n", l.Key, l.Value)
}

// HeadLines are the lines xl prints before the topology: dom0's uname (if
// known), then physinfo and free_cpus, in xl's order (tools/xl/xl_info.c
// output_nodeinfo and output_physinfo).
func (in *Info) HeadLines() []InfoLine {
	var out []InfoLine
	add := func(k, v string) { out = append(out, InfoLine{k, v}) }
	if n := in.Node; n != nil {
		add("host", n.Host)
		add("release", n.Release)
		add("version", n.Version)
		add("machine", n.Machine)
	}
	p := in.Physinfo
	add("nr_cpus", strconv.Itoa(int(int32(p.NrCPUs))))
	add("max_cpu_id", strconv.Itoa(int(int32(p.MaxCPUID))))
	add("nr_nodes", strconv.Itoa(int(int32(p.NrNodes))))
	add("cores_per_socket", strconv.Itoa(int(int32(p.CoresPerSocket))))
	add("threads_per_core", strconv.Itoa(int(int32(p.ThreadsPerCore))))
	add("cpu_mhz", fmt.Sprintf("%d.%03d", p.CPUkHz/1000, p.CPUkHz%1000))
	hw := make([]string, len(p.HWCap))
	for i, w := range p.HWCap {
		hw[i] = fmt.Sprintf("%08x", w)
	}
	add("hw_caps", strings.Join(hw, ":"))
	add("virt_caps", p.Capabilities.String())
	perMiB := uint64(1<<20) / hypercall.PageSize
	add("total_memory", strconv.FormatUint(p.TotalPages/perMiB, 10))
	add("free_memory", strconv.FormatUint((p.FreePages-p.OutstandingPages)/perMiB, 10))
	add("sharing_freed_memory", strconv.FormatUint(in.Sharing.FreedPages/perMiB, 10))
	add("sharing_used_memory", strconv.FormatUint(in.Sharing.SharedPages/perMiB, 10))
	add("outstanding_claims", strconv.FormatUint(p.OutstandingPages/perMiB, 10))
	add("free_cpus", strconv.Itoa(in.FreeCPUs.Len()))
	return out
}

// XenLines are the lines xl prints after the topology (output_xeninfo),
// then xend_config_format.
func (in *Info) XenLines() []InfoLine {
	v, b := in.Version, in.Build
	return []InfoLine{
		{"xen_major", strconv.Itoa(v.Major)},
		{"xen_minor", strconv.Itoa(v.Minor)},
		{"xen_extra", v.Extra},
		{"xen_version", fmt.Sprintf("%d.%d%s", v.Major, v.Minor, v.Extra)},
		{"xen_caps", b.Capabilities},
		{"xen_scheduler", in.Scheduler.String()},
		{"xen_pagesize", strconv.Itoa(hypercall.PageSize)},
		{"platform_params", "virt_start=0x" + strconv.FormatUint(b.VirtStart, 16)},
		{"xen_changeset", b.Changeset},
		{"xen_commandline", v.CommandLine},
		{"cc_compiler", b.Compiler},
		{"cc_compile_by", b.CompileBy},
		{"cc_compile_domain", b.CompileDomain},
		{"cc_compile_date", b.CompileDate},
		{"build_id", fmt.Sprintf("%x", v.BuildID)},
		{"xend_config_format", "4"},
	}
}

// Lines returns every key line in xl's order.
func (in *Info) Lines() []InfoLine {
	return append(in.HeadLines(), in.XenLines()...)
}

// TopologyText is xl info -n's cpu_topology block: rows for the CPUs
// whose core Xen knows (output_topologyinfo).
func (in *Info) TopologyText() string {
	var b strings.Builder
	b.WriteString("cpu_topology           :\n")
	b.WriteString("cpu:    core    socket     node\n")
	for i, c := range in.Topology {
		if c.Core == hypercall.InvalidID {
			continue
		}
		fmt.Fprintf(&b, "%3d:    %4d     %4d     %4d\n", i, int32(c.Core), int32(c.Socket), int32(c.Node))
	}
	return b.String()
}

// DeviceText is xl info -n's device topology block (output_topologyinfo):
// one row per PCI device Xen gives a node, or a line saying there is
// none.
func (in *Info) DeviceText() string {
	var b strings.Builder
	b.WriteString("device topology        :\n")
	b.WriteString("device           node\n")
	rows := 0
	for _, d := range in.PCI {
		if !d.HasNode() {
			continue
		}
		fmt.Fprintf(&b, "%s      %d\n", d.Device, int32(d.Node))
		rows++
	}
	if rows == 0 {
		b.WriteString("No device topology data available\n")
	}
	return b.String()
}

// NUMAText is xl info -n's numa_info block (output_numainfo): memory in
// MiB and the distances of each online node.
func (in *Info) NUMAText() string {
	var b strings.Builder
	b.WriteString("numa_info              :\n")
	b.WriteString("node:    memsize    memfree    distances\n")
	for i, n := range in.NUMA {
		if !n.Online {
			continue
		}
		fmt.Fprintf(&b, "%4d:    %6d     %6d      ", i, n.MemSize>>20, n.MemFree>>20)
		for j, d := range n.Distances {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(int(int32(d))))
		}
		if len(n.Distances) == 0 {
			b.WriteString("0") // xl prints dists[0] of a zeroed array
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Text is the whole output of xl info (with the topology, device and
// NUMA blocks when they were read).
func (in *Info) Text() string {
	var b strings.Builder
	for _, l := range in.HeadLines() {
		b.WriteString(l.String())
	}
	if in.Topology != nil {
		b.WriteString(in.TopologyText())
		if in.PCIErr == nil {
			b.WriteString(in.DeviceText())
		}
	}
	if in.NUMA != nil {
		b.WriteString(in.NUMAText())
	}
	for _, l := range in.XenLines() {
		b.WriteString(l.String())
	}
	return b.String()
}

// FilterInfo applies `xl info KEY`: for every line that starts with key
// (a prefix: "free" selects free_memory and free_cpus) and whose first
// colon is followed by a space, the text after ": ", newline included.
func FilterInfo(lines []InfoLine, key string) []string {
	var out []string
	for _, l := range lines {
		s := l.String()
		if !strings.HasPrefix(s, key) {
			continue
		}
		i := strings.IndexByte(s, ':')
		if i < 0 || i+1 >= len(s) || s[i+1] != ' ' {
			continue
		}
		out = append(out, s[i+2:])
	}
	return out
}

// TopologyText is `xenpm get-cpu-topology`: a header, then one row per CPU
// whose core Xen knows (tools/misc/xenpm.c cpu_topology_func).
func TopologyText(topo []hypercall.CPUTopology) string {
	var b strings.Builder
	b.WriteString("CPU\tcore\tsocket\tnode\n")
	for i, c := range topo {
		if c.Core == hypercall.InvalidID {
			continue
		}
		fmt.Fprintf(&b, "CPU%d\t %d\t %d\t %d\n", i, int32(c.Core), int32(c.Socket), int32(c.Node))
	}
	return b.String()
}
