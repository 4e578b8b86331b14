package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/cpupool"
)

// The mutating cpupool commands other than cpupool-create. Each plans the
// change with package cpupool (which checks everything first), then
// prints the plan (-N) or executes it. Those that exist in xl print what
// xl prints: nothing.

func cpupoolDestroyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-destroy",
		Usage:     "Destroy a cpupool that has no domains, like xl cpupool-destroy",
		ArgsUsage: "<pool>",
		Description: `Destroys <pool> (a name, or an id if all digits) in libxl's order: its
cpus become free, then Xen destroys the pool, then its XenStore entry
/local/pool/<id> goes. A pool with domains is refused (move them with
cpupool-migrate first), and so is Pool-0. If Xen refuses a step, the cpus
go back into the pool.

EXAMPLES:
   xgo cpupool-destroy rt
   xgo cpupool-destroy -N 3`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			return mutatePools(c.Context, e, "cpupool-destroy", func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
				pp, err := m.PlanDestroy(c.Context, args[0])
				if err != nil {
					return nil, nil, err
				}
				o := changeOutput(e, "cpupool-destroy", pp.Plan)
				o.Pool = pp.Pool.View()
				return pp.Plan, o, nil
			})
		},
	}
}

func cpupoolRenameCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-rename",
		Usage:     "Rename a cpupool, like xl cpupool-rename",
		ArgsUsage: "<pool> <new-name>",
		Description: `Gives <pool> a new name in XenStore (/local/pool/<id>/name), in a
transaction that first checks that no other pool has that name: unlike
xl, xgo refuses a name in use, since name lookups would then find only
one of the two pools. An all-digit name is refused too (it would be read
as an id).

EXAMPLES:
   xgo cpupool-rename rt realtime
   xgo cpupool-rename 0 Pool-node0`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, 2)
			if err != nil {
				return err
			}
			return mutatePools(c.Context, e, "cpupool-rename", func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
				pp, err := m.PlanRename(c.Context, args[0], args[1])
				if err != nil {
					return nil, nil, err
				}
				o := changeOutput(e, "cpupool-rename", pp.Plan)
				o.Pool = pp.Pool.View()
				return pp.Plan, o, nil
			})
		},
	}
}

func cpupoolCPUAddCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-cpu-add",
		Usage:     "Add free cpus to a cpupool, like xl cpupool-cpu-add",
		ArgsUsage: "<pool> <cpu-list>",
		Description: `Adds the cpus of <cpu-list> (xl syntax: "2-5,^3", "node:1", "all") to
<pool>. They must be free and online; cpus already in <pool> are left
alone. Every cpu is checked before any is added. If Xen still refuses
one, the others are added and xgo exits with status 1 naming the cpus
that were not (xl says "some cpus may not have been added" and exits 0).
To take cpus from another pool in one step, use cpupool-cpu-move.

EXAMPLES:
   xgo cpupool-cpu-add rt 2-3
   xgo cpupool-cpu-add rt node:1`,
		Action: func(c *cli.Context) error {
			return cpupoolCPUsAction(c, e, "cpupool-cpu-add", func(m *cpupool.Manager, pool, list string) (*cpupool.CPUPlan, error) {
				return m.PlanAddCPUs(c.Context, pool, list)
			})
		},
	}
}

func cpupoolCPURemoveCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-cpu-remove",
		Usage:     "Make cpus of a cpupool free, like xl cpupool-cpu-remove",
		ArgsUsage: "<pool> <cpu-list>",
		Description: `Removes the cpus of <cpu-list> from <pool>; they become free (they do
not go back to Pool-0). Every cpu must be in <pool>; cpu 0 never leaves
Pool-0, and a pool with domains keeps at least one cpu. If Xen still
refuses one, the others are removed and xgo exits with status 1 naming
the cpus that were not (xl exits 0); a cpu whose removal Xen interrupted
is put back into <pool>, so it is not left half moved.

EXAMPLES:
   xgo cpupool-cpu-remove Pool-0 2-3
   xgo cpupool-cpu-remove rt 5`,
		Action: func(c *cli.Context) error {
			return cpupoolCPUsAction(c, e, "cpupool-cpu-remove", func(m *cpupool.Manager, pool, list string) (*cpupool.CPUPlan, error) {
				return m.PlanRemoveCPUs(c.Context, pool, list)
			})
		},
	}
}

func cpupoolCPUsAction(c *cli.Context, e *env, cmd string, plan func(m *cpupool.Manager, pool, list string) (*cpupool.CPUPlan, error)) error {
	args, err := checkArgs(c, 2, 2)
	if err != nil {
		return err
	}
	if err := checkCPUListSyntax(cmd, args[1]); err != nil {
		return err
	}
	return mutatePools(c.Context, e, cmd, func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
		cp, err := plan(m, args[0], args[1])
		if err != nil {
			return nil, nil, err
		}
		o := changeOutput(e, cmd, cp.Plan)
		o.Pool = cp.Pool.View()
		o.Moves = cpupool.MoveViews(cp.Moves)
		return cp.Plan, o, nil
	})
}

func cpupoolCPUMoveCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-cpu-move",
		Usage:     "Move cpus from wherever they are into a cpupool, as one operation",
		ArgsUsage: "<cpu-list> <pool>",
		Description: `Moves the cpus of <cpu-list> into <pool> from whichever pool they are in,
or from the free cpus, as one operation (xl needs a cpupool-cpu-remove
and a cpupool-cpu-add per source pool, and leaves the cpus free if the
add fails). Everything is checked first: cpu 0 never leaves Pool-0, every
cpu is online, <pool> exists, and a source pool with domains keeps at
least one cpu. If Xen refuses a step midway, the cpus already moved go
back where they were. Cpus already in <pool> are left alone.

EXAMPLES:
   xgo cpupool-cpu-move 2-3 rt
   xgo cpupool-cpu-move -N node:1 batch`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, 2)
			if err != nil {
				return err
			}
			if err := checkCPUListSyntax("cpupool-cpu-move", args[0]); err != nil {
				return err
			}
			return mutatePools(c.Context, e, "cpupool-cpu-move", func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
				cp, err := m.PlanMoveCPUs(c.Context, args[0], args[1])
				if err != nil {
					return nil, nil, err
				}
				o := changeOutput(e, "cpupool-cpu-move", cp.Plan)
				o.Pool = cp.Pool.View()
				o.Moves = cpupool.MoveViews(cp.Moves)
				return cp.Plan, o, nil
			}, func(o *CpupoolChangeOutput, p *cpupool.Plan, ok bool) {
				if ok && !e.global.DryRun && len(o.Moves) > 0 {
					ids := make([]string, len(o.Moves))
					for i, mv := range o.Moves {
						ids[i] = fmt.Sprint(mv.CPU)
					}
					o.text = append(o.text, fmt.Sprintf("moved cpu(s) %s to cpupool '%s'", strings.Join(ids, ","), o.Pool.Name))
				}
			})
		},
	}
}

func cpupoolMigrateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-migrate",
		Usage:     "Move a domain into a cpupool, like xl cpupool-migrate",
		ArgsUsage: "<domain> <pool>",
		Description: `Moves <domain> (a name, or a domid if all digits) into <pool>. The domain
keeps running; Xen gives it the default parameters of the new pool's
scheduler. Domain-0 cannot be moved (Xen does not let a domain move
itself), and <pool> must have cpus.

EXAMPLES:
   xgo cpupool-migrate guest1 rt
   xgo cpupool-migrate 5 Pool-0`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, 2)
			if err != nil {
				return err
			}
			return mutatePools(c.Context, e, "cpupool-migrate", func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
				mp, err := m.PlanMigrate(c.Context, args[0], args[1])
				if err != nil {
					return nil, nil, err
				}
				o := changeOutput(e, "cpupool-migrate", mp.Plan)
				o.Pool = mp.To.View()
				return mp.Plan, o, nil
			})
		},
	}
}

func cpupoolNumaSplitCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "cpupool-numa-split",
		Usage: "Split the host into one cpupool per NUMA node, like xl cpupool-numa-split",
		Description: `Only while Pool-0 is the only pool: Pool-0 takes the free cpus of cpu 0's
node and is renamed Pool-node<N>; Domain-0 keeps at most as many online
vCPUs as that node has cpus (xgo waits up to 10 s for it to take the
others offline); every other node's cpus leave Pool-0 for a new pool
Pool-node<M> with Pool-0's scheduler. Unlike xl, a failure midway undoes
the steps before it.

EXAMPLES:
   xgo cpupool-numa-split
   xgo cpupool-numa-split -N`,
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return mutatePools(c.Context, e, "cpupool-numa-split", func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
				p, err := m.PlanNumaSplit(c.Context)
				if err != nil {
					return nil, nil, err
				}
				return p, changeOutput(e, "cpupool-numa-split", p), nil
			})
		},
	}
}

func cpupoolSetSchedCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "cpupool-set-sched",
		Usage:     "Switch a cpupool with its cpus and running domains to another scheduler",
		ArgsUsage: "<pool> <scheduler> [<param>=<value>...]",
		Description: `Switches <pool> to <scheduler> (credit, credit2, rtds, null, arinc653)
without stopping its domains. Xen fixes a pool's scheduler when the pool
is created, so xgo creates a pool with the new scheduler beside it, sets
its parameters, moves one cpu over, moves the domains, moves the other
cpus, destroys the old pool, and gives the new one the old name and uuid.
The pool's id changes (xgo says so). Credit and credit2 domains keep
their weight and cap. A pool with one cpu and domains borrows a free cpu,
or one of Pool-0's, while the domains move, and gives it back. If any
step fails, everything is undone. Pool-0 cannot be switched (Domain-0
cannot leave it; use Xen's sched= boot option).

Parameters: tslice=MS, ratelimit=US, migration-delay=US (credit);
ratelimit=US (credit2). xl's spellings (tslice_ms=...) work too.

EXAMPLES:
   xgo cpupool-set-sched rt credit
   xgo cpupool-set-sched rt credit tslice=10 ratelimit=500
   xgo cpupool-set-sched -N batch credit2`,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			if len(args) < 2 {
				_, err := checkArgs(c, 2, -1)
				return err
			}
			var sp *cpupool.SetSchedPlan
			return mutatePools(c.Context, e, "cpupool-set-sched", func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error) {
				var err error
				if sp, err = m.PlanSetSched(c.Context, args[0], args[1], args[2:]); err != nil {
					return nil, nil, err
				}
				o := changeOutput(e, "cpupool-set-sched", sp.Plan)
				o.Pool = sp.Pool.View()
				return sp.Plan, o, nil
			}, func(o *CpupoolChangeOutput, p *cpupool.Plan, ok bool) {
				switch {
				case p.NewPool == nil || !ok:
				case e.global.DryRun:
					o.NewPool = &cpupool.RefView{Name: sp.Pool.Name}
				default:
					o.NewPool = p.NewPool.View()
					o.NewPool.Name = sp.Pool.Name
					o.text = append(o.text, fmt.Sprintf("cpupool %s now uses the %s scheduler; its id changed from %d to %d",
						sp.Pool.Label(), sp.Scheduler, sp.Pool.ID, p.NewPool.ID))
				}
			})
		},
	}
}

// mutatePools opens the host (saving a simulated host's state unless -N),
// plans, and runs the plan. finish, if given, completes the output from
// the outcome.
func mutatePools(ctx context.Context, e *env, cmd string, plan func(m *cpupool.Manager) (*cpupool.Plan, *CpupoolChangeOutput, error), finish ...func(o *CpupoolChangeOutput, p *cpupool.Plan, ok bool)) error {
	return withPools(ctx, e, !e.global.DryRun, func(m *cpupool.Manager) error {
		p, o, err := plan(m)
		if err != nil {
			return poolErr(cmd, err)
		}
		var fin func(*CpupoolChangeOutput, bool)
		if len(finish) > 0 {
			fin = func(o *CpupoolChangeOutput, ok bool) { finish[0](o, p, ok) }
		}
		return runPlan(ctx, e, p, o, fin)
	})
}
