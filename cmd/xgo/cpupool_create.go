package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/cpupool"
)

func cpupoolCreateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-create",
		Usage:     "Create a cpupool from an xlcpupool.cfg file and KEY=VALUE settings, like xl cpupool-create",
		ArgsUsage: "[-f <file>] [<file>] [<key>=<value>...]",
		Description: `Creates a cpupool as xl cpupool-create does, from an xlcpupool.cfg(5)
file and/or KEY=VALUE settings (which win over the file):

   name="NAME"        default: the file's base name
   sched="SCHED"      credit, credit2, rtds, null or arinc653; default: Xen's
   cpus="2-3,^3"      a cpu-list; or cpus=["2","3"]; the cpus must be free
   nodes=[1]          instead of cpus: the free cpus of these NUMA nodes

It prints the four lines xl prints, then creates the pool (the next free
id) and names it in XenStore as libxl does. Without cpus or nodes the
pool is created empty (a note says so): add cpus with cpupool-cpu-add or
cpupool-cpu-move before moving domains into it. Unlike xl, a name that
is already used, or all digits, is refused; a setting may be a bare word
(name=rt); an unknown setting is an error. -n is xl's deprecated
spelling of -N.

EXAMPLES:
   xgo cpupool-create name=rt sched=credit cpus=2-3
   xgo cpupool-create /etc/xen/rt.cfg
   xgo cpupool-create -N -f /etc/xen/rt.cfg 'cpus=["4","5"]'`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "defconfig", Aliases: []string{"f"}, Usage: "read the settings from `FILE`"},
			&cli.BoolFlag{Name: "dryrun", Aliases: []string{"n"}, Usage: "same as -N (xl's deprecated option)", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			file := c.String("defconfig")
			var kv []string
			for _, a := range c.Args().Slice() {
				switch {
				case strings.Contains(a, "="):
					kv = append(kv, a)
				case file == "":
					file = a
				default:
					return usagef("cpupool-create: unexpected argument %q: the config file is %q", a, file)
				}
			}
			if c.Bool("dryrun") {
				e.global.DryRun = true
			}
			var data []byte
			if file != "" {
				b, err := readInputFile("cpupool-create", "config file", file, nil)
				if err != nil {
					return err
				}
				data = b
			}
			cfg, err := cpupool.ParseConfig(file, data, kv)
			if err != nil {
				return poolErr("cpupool-create", err)
			}
			return runCpupoolCreate(c.Context, e, cfg)
		},
	}
}

func runCpupoolCreate(ctx context.Context, e *env, cfg *cpupool.Config) error {
	return withPools(ctx, e, !e.global.DryRun, func(m *cpupool.Manager) error {
		cp, err := m.PlanCreate(ctx, cfg)
		if err != nil {
			return poolErr("cpupool-create", err)
		}
		o := changeOutput(e, "cpupool-create", cp.Plan)
		// xl's four lines (main_cpupoolcreate), printed before the pool
		// is created.
		o.text = []string{
			fmt.Sprintf("Using config file \"%s\"", cp.Source),
			fmt.Sprintf("cpupool name:   %s", cp.Name),
			fmt.Sprintf("scheduler:      %s", cp.Scheduler),
			fmt.Sprintf("number of cpus: %d", cp.CPUs.Len()),
		}
		return runPlan(ctx, e, cp.Plan, o, func(o *CpupoolChangeOutput, ok bool) {
			o.NewPool = nil
			if ok {
				o.NewPool = cp.NewPool.View()
			}
		})
	})
}
