package main

import (
	"context"
	"io"
	"strconv"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
)

// TopologyOutput is the result of topology: the CPUs whose core Xen
// knows, as xenpm get-cpu-topology lists them.
type TopologyOutput struct {
	SchemaVersion int                `json:"schemaVersion" yaml:"schemaVersion"`
	CPUs          []pcpu.TopologyRow `json:"cpus" yaml:"cpus"`

	topo []hypercall.CPUTopology
}

// writeText prints xenpm get-cpu-topology's table, byte for byte.
func (o *TopologyOutput) writeText(w io.Writer, _ termInfo) error {
	_, err := io.WriteString(w, pcpu.TopologyText(o.topo))
	return err
}

func (o *TopologyOutput) quietIDs() []string {
	ids := make([]string, len(o.CPUs))
	for i, c := range o.CPUs {
		ids[i] = strconv.FormatUint(uint64(c.CPU), 10)
	}
	return ids
}

func topologyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "topology",
		Usage: "Print each CPU's core, socket and NUMA node, like xenpm get-cpu-topology",
		Description: `Prints XEN_SYSCTL_cputopoinfo in the format of "xenpm get-cpu-topology":
a header, then one row per CPU whose core Xen knows (CPUs that are not
present, and on AMD hosts offline CPUs, are left out).

EXAMPLES:
   xgo topology
   xgo topology -o json`,
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return runTopology(c.Context, e)
		},
	}
}

func runTopology(_ context.Context, e *env) error {
	hv, release, err := openHypervisor(e, false)
	if err != nil {
		return err
	}
	defer release()
	topo, err := hv.CPUTopology()
	if err != nil {
		return err
	}
	return e.out.render(&TopologyOutput{SchemaVersion: schemaVersion, CPUs: pcpu.TopologyRows(topo), topo: topo})
}
