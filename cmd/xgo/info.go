package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
)

// InfoTopology is one row of info -n's cpu_topology.
type InfoTopology struct {
	CPU    uint32 `json:"cpu" yaml:"cpu"`
	Core   uint32 `json:"core" yaml:"core"`
	Socket uint32 `json:"socket" yaml:"socket"`
	// Node is null for a CPU Xen places on no node.
	Node *uint32 `json:"node" yaml:"node"`
}

// InfoPCIDevice is one PCI device of info -n's device topology.
type InfoPCIDevice struct {
	// Device is "SSSS:BB:DD.F".
	Device string `json:"device" yaml:"device"`
	// Node is null when Xen gives the device no node (xl leaves such
	// devices out of its text).
	Node *uint32 `json:"node" yaml:"node"`
	// KnownToXen is false when Xen does not know the device at all
	// (XEN_INVALID_DEV).
	KnownToXen bool `json:"knownToXen" yaml:"knownToXen"`
}

// InfoNUMANode is one row of info -n's numa_info.
type InfoNUMANode struct {
	Node       uint32 `json:"node" yaml:"node"`
	MemSizeMiB uint64 `json:"memsizeMiB" yaml:"memsizeMiB"`
	MemFreeMiB uint64 `json:"memfreeMiB" yaml:"memfreeMiB"`
	// Distances to each node id; -1 where Xen does not know.
	Distances []int64 `json:"distances" yaml:"distances"`
}

// InfoOutput is the result of info: xl info's physinfo and version
// lines as typed fields. With a KEY only Values is filled: the lines xl
// would print for it.
type InfoOutput struct {
	SchemaVersion int `json:"schemaVersion" yaml:"schemaVersion"`

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

	CPUTopology []InfoTopology `json:"cpuTopology,omitempty" yaml:"cpuTopology,omitempty"`
	// DeviceTopology lists every PCI device with -n, also those without
	// a node.
	DeviceTopology []InfoPCIDevice `json:"deviceTopology,omitempty" yaml:"deviceTopology,omitempty"`
	NUMAInfo       []InfoNUMANode  `json:"numaInfo,omitempty" yaml:"numaInfo,omitempty"`

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

	info *pcpu.Info
}

// InfoValuesOutput is the result of info KEY: the lines xl info KEY
// selects (every key that starts with KEY).
type InfoValuesOutput struct {
	SchemaVersion int         `json:"schemaVersion" yaml:"schemaVersion"`
	Key           string      `json:"key" yaml:"key"`
	Values        []InfoValue `json:"values" yaml:"values"`
}

// InfoValue is one key and its value as xl prints it.
type InfoValue struct {
	Key   string `json:"key" yaml:"key"`
	Value string `json:"value" yaml:"value"`
}

// writeText prints xl info's lines, byte for byte.
func (o *InfoOutput) writeText(w io.Writer, _ termInfo) error {
	_, err := io.WriteString(w, o.info.Text())
	return err
}

// writeText prints the values, one per line, as xl info KEY does.
func (o *InfoValuesOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	for _, v := range o.Values {
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type infoOptions struct {
	NUMA bool
	Key  string // "" = every line
}

func infoCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "info",
		Usage:     "Print the host's CPU, memory and Xen version summary, like xl info",
		ArgsUsage: "[<key>]",
		Description: `Prints every line of "xl info" that describes the hypervisor, in xl's
exact format: dom0's uname, physinfo (nr_cpus, max_cpu_id, ...,
total_memory, free_memory, sharing_*_memory, outstanding_claims),
free_cpus, the xen_*, platform_params and cc_* version lines and
xend_config_format. With KEY only the values of the lines whose key
starts with KEY are printed, as "xl info KEY" does ("xgo info free"
prints free_memory and free_cpus). -n adds the cpu_topology, device
topology (dom0's PCI devices that Xen places on a node) and numa_info
blocks (and, as in xl, disables KEY).

EXAMPLES:
   xgo info
   xgo info free_cpus
   xgo info -n
   xgo info -o json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "numa", Aliases: []string{"n"}, Usage: "add the CPU topology and NUMA information", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 0, 1)
			if err != nil {
				return err
			}
			opts := infoOptions{NUMA: c.Bool("numa")}
			if len(args) == 1 {
				opts.Key = args[0]
			}
			return runInfo(c.Context, opts, e)
		},
	}
}

func runInfo(_ context.Context, opts infoOptions, e *env) error {
	hv, release, err := openHypervisor(e, false)
	if err != nil {
		return err
	}
	defer release()
	in, err := pcpu.ReadInfo(hv, opts.NUMA)
	if err != nil {
		return err
	}
	if !e.global.Sim {
		in.Node = nodeInfo()
	}
	if in.PCIErr != nil {
		e.warnf("info: no device topology: %v", in.PCIErr)
	}
	if opts.Key != "" && opts.NUMA {
		e.warnf("info: -n prints every line; %q is ignored, as xl does", opts.Key)
		opts.Key = ""
	}
	if opts.Key != "" {
		out := &InfoValuesOutput{SchemaVersion: schemaVersion, Key: opts.Key, Values: []InfoValue{}}
		var lines []pcpu.InfoLine
		for _, l := range in.Lines() {
			if len(pcpu.FilterInfo([]pcpu.InfoLine{l}, opts.Key)) == 1 {
				lines = append(lines, l)
			}
		}
		for _, l := range lines {
			out.Values = append(out.Values, InfoValue{Key: l.Key, Value: l.Value})
		}
		return e.out.render(out)
	}
	return e.out.render(infoOutput(in))
}

func infoOutput(in *pcpu.Info) *InfoOutput {
	p := in.Physinfo
	perMiB := uint64(1<<20) / hypercall.PageSize
	o := &InfoOutput{
		SchemaVersion:        schemaVersion,
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
		XenMajor:             in.Version.Major,
		XenMinor:             in.Version.Minor,
		XenExtra:             in.Version.Extra,
		XenVersion:           in.Version.String(),
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
		info:                 in,
	}
	for _, d := range in.PCI {
		row := InfoPCIDevice{Device: d.Device.String(), KnownToXen: d.Node != hypercall.InvalidDev}
		if d.HasNode() {
			node := d.Node
			row.Node = &node
		}
		o.DeviceTopology = append(o.DeviceTopology, row)
	}
	for _, l := range in.XenLines() {
		if l.Key == "build_id" {
			o.BuildID = l.Value
		}
		if l.Key == "xen_version" {
			o.XenVersion = l.Value
		}
	}
	if n := in.Node; n != nil {
		o.Host, o.Release, o.Version, o.Machine = n.Host, n.Release, n.Version, n.Machine
	}
	for _, w := range p.HWCap {
		o.HWCaps = append(o.HWCaps, fmt.Sprintf("%08x", w))
	}
	if o.VirtCaps == nil {
		o.VirtCaps = []string{}
	}
	if o.FreeCPUs == nil {
		o.FreeCPUs = []int{}
	}
	for i, t := range in.Topology {
		if t.Core == hypercall.InvalidID {
			continue
		}
		row := InfoTopology{CPU: uint32(i), Core: t.Core, Socket: t.Socket}
		if t.Node != hypercall.InvalidID {
			node := t.Node
			row.Node = &node
		}
		o.CPUTopology = append(o.CPUTopology, row)
	}
	for i, n := range in.NUMA {
		if !n.Online {
			continue
		}
		row := InfoNUMANode{Node: uint32(i), MemSizeMiB: n.MemSize >> 20, MemFreeMiB: n.MemFree >> 20, Distances: []int64{}}
		for _, d := range n.Distances {
			row.Distances = append(row.Distances, int64(int32(d)))
		}
		o.NUMAInfo = append(o.NUMAInfo, row)
	}
	return o
}
