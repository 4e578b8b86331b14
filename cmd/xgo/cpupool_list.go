package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/cpupool"
)

// CpupoolListOutput is the result of cpupool-list.
type CpupoolListOutput struct {
	SchemaVersion int                `json:"schemaVersion" yaml:"schemaVersion"`
	Pools         []cpupool.ListItem `json:"pools" yaml:"pools"`

	cpus bool // -c: the text form lists cpus
}

// writeText prints what xl cpupool-list prints (main_cpupoollist,
// tools/xl/xl_cpupool.c), byte for byte: the name padded to 19 columns,
// then "%3d %9s       y       %4d" (the Active column is always y), or
// with -c the cpus one by one, comma-separated.
func (o *CpupoolListOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-19s", "Name")
	if o.cpus {
		b.WriteString("CPU list\n")
	} else {
		b.WriteString("CPUs   Sched     Active   Domain count\n")
	}
	for _, p := range o.Pools {
		fmt.Fprintf(&b, "%-19s", p.Name)
		if o.cpus {
			b.WriteString(p.CPUs.List())
		} else {
			fmt.Fprintf(&b, "%3d %9s       y       %4d", p.CPUs.Len(), p.Scheduler, p.Domains)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *CpupoolListOutput) quietIDs() []string {
	ids := make([]string, len(o.Pools))
	for i, p := range o.Pools {
		ids[i] = p.Name
	}
	return ids
}

func cpupoolListCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-list",
		Usage:     "List cpupools with their cpus, scheduler and number of domains, like xl cpupool-list",
		ArgsUsage: "[-c] [<pool>]",
		Description: `Lists every cpupool, or only <pool> (a name, or an id if all digits),
with the text xl cpupool-list prints. -c lists the cpus of each pool
instead of their number.

EXAMPLES:
   xgo cpupool-list
   xgo cpupool-list -c rt
   xgo cpupool-list -o json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "cpus", Aliases: []string{"c"}, Usage: "list each pool's cpus", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 0, 1)
			if err != nil {
				return err
			}
			q := ""
			if len(args) == 1 {
				q = args[0]
			}
			return runCpupoolList(c.Context, e, c.Bool("cpus"), q)
		},
	}
}

func runCpupoolList(ctx context.Context, e *env, cpus bool, q string) error {
	return withPools(ctx, e, false, func(m *cpupool.Manager) error {
		pools, err := m.List(ctx, q)
		if err != nil {
			return err
		}
		return e.out.render(&CpupoolListOutput{SchemaVersion: schemaVersion, Pools: pools, cpus: cpus})
	})
}
