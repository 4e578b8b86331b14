package main

import (
	"context"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/pcpu"
)

// InfoOutput is the result of info: xl info's physinfo and version
// lines as typed fields.
type InfoOutput struct {
	SchemaVersion int `json:"schemaVersion" yaml:"schemaVersion"`
	pcpu.Summary  `yaml:",inline"`

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
		in.Node = pcpu.ReadNodeInfo()
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
		for _, l := range in.Select(opts.Key) {
			out.Values = append(out.Values, InfoValue{Key: l.Key, Value: l.Value})
		}
		return e.out.render(out)
	}
	return e.out.render(&InfoOutput{SchemaVersion: schemaVersion, Summary: in.Summary(), info: in})
}
