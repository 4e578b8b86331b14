package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/xensim"
)

// The "xgo sim" commands manage the simulated host itself: which host it
// is (init, reset), what it looks like (show) and which failures it will
// inject (fault). Every other command acts on it with --sim.

func simCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:     "sim",
		Category: "simulated host",
		Usage:    "Create, reset, inspect and inject faults into the simulated Xen host of --sim",
		Description: `The simulated host is a model of a Xen 4.17 host (its CPUs, cpupools,
schedulers, domains and XenStore) kept in one state file. Every xgo
command acts on it instead of this machine when given --sim=STATE, --sim
(the file XGO_SIM names, else ~/.local/state/xgo/sim.yaml), or when
XGO_SIM=STATE is set. Commands that change the host save it when they end; others leave
the file as it was. Concurrent xgo processes take turns on it.

docs/sim.md describes the model, the spec format and the rules it follows.

EXAMPLES:
   xgo sim init --lab                 # 4 pCPUs, like the vmtest lab
   xgo --sim pcpu-list
   xgo --sim cpupool-create name=rt sched=credit cpus=3
   xgo sim show
   XGO_SIM=/tmp/host.yaml xgo sim init --spec host-spec.yaml
   xgo sim fault op rmcpu EBUSY -n 2
   xgo sim reset`,
		Subcommands: []*cli.Command{
			simInitCommand(e),
			simResetCommand(e),
			simShowCommand(e),
			simFaultCommand(e),
		},
	}
}

// ---------------------------------------------------------------- init

func simInitCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "Boot a fresh simulated host, replacing the state file",
		ArgsUsage: "[--spec <file> | --lab]",
		Description: `Boots the simulated host from a spec and writes its state file (the one
--sim or XGO_SIM names, else the default), discarding what was there.
Without options it boots the default host: 2 sockets × 4 cores × 2
threads (16 pCPUs, max_cpu_id 31), 2 NUMA nodes, credit and credit2
(credit2 the default), Domain-0 and two PV guests, Xen 4.17.5. --lab
boots the vmtest lab's host (4 pCPUs, one domU). --spec FILE boots the
host a spec file describes (docs/sim.md); it is checked first, and its
errors name the line.

EXAMPLES:
   xgo sim init
   xgo sim init --lab --sim=/tmp/lab.yaml
   xgo sim init --spec big-host.yaml -o json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "spec", Aliases: []string{"f"}, Usage: "boot the host described by the spec `FILE`"},
			&cli.BoolFlag{Name: "lab", Usage: "boot the vmtest lab's host (QEMU -smp 4)", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			file, lab := c.String("spec"), c.Bool("lab")
			if file != "" && lab {
				return usagef("sim init: --spec %q and --lab both choose the host: give one", file)
			}
			spec, from := xensim.DefaultSpec(), "the default spec"
			switch {
			case lab:
				spec, from = xensim.LabSpec(), "the lab spec"
			case file != "":
				data, err := readInputFile("sim init", "spec file", file, nil)
				if err != nil {
					return err
				}
				s, err := xensim.ParseSpec(data, file)
				if err != nil {
					var se *xensim.SpecError
					if errors.As(err, &se) {
						return asUsage(err)
					}
					return err
				}
				spec, from = s, file
			}
			return runSimBoot(e, "init", from, func(path string) (*xensim.Spec, error) {
				return spec, xensim.Init(path, spec)
			}, spec)
		},
	}
}

// ---------------------------------------------------------------- reset

func simResetCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "reset",
		Usage: "Reboot the simulated host from the spec it was created with",
		Description: `Reboots the simulated host: every change made since "xgo sim init"
(pools, pCPU states, domains' pools and parameters, XenStore writes,
pending faults, stranded pCPUs) is gone, and the host is what its spec
describes. A state file that cannot be read is replaced by the default
host; a missing one is created.

EXAMPLES:
   xgo sim reset
   xgo sim reset --sim=/tmp/lab.yaml`,
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return runSimBoot(e, "reset", "its spec", xensim.Reset, nil)
		},
	}
}

// SimBootOutput is the result of sim init and sim reset.
type SimBootOutput struct {
	SchemaVersion int    `json:"schemaVersion" yaml:"schemaVersion"`
	Action        string `json:"action" yaml:"action"` // init or reset
	Path          string `json:"path" yaml:"path"`
	From          string `json:"from" yaml:"from"` // "the default spec", "the lab spec", a file
	DryRun        bool   `json:"dryRun" yaml:"dryRun"`
	// Host is the fresh host (what `xgo sim show` prints).
	Host xensim.Summary `json:"host" yaml:"host"`
}

func (o *SimBootOutput) writeText(w io.Writer, _ termInfo) error {
	verb := "booted"
	if o.DryRun {
		verb = "would boot"
	}
	c := o.Host.CPUs
	_, err := fmt.Fprintf(w, "%s a simulated Xen %s host from %s: %d pCPUs (%s), %s, %s; state in %s\n",
		verb, o.Host.Xen, o.From, c.Present, c.Topology,
		plural(len(o.Host.Pools), "cpupool"), plural(len(o.Host.Domains), "domain"), o.Path)
	return err
}

func (o *SimBootOutput) quietIDs() []string { return []string{o.Path} }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// runSimBoot boots a host with boot (which writes the state file and
// returns the spec it used) and prints it; a dry run boots dry, a host
// from spec (nil: the one recorded at the path) in memory only.
func runSimBoot(e *env, action, from string, boot func(path string) (*xensim.Spec, error), spec *xensim.Spec) error {
	path, err := e.simPath()
	if err != nil {
		return err
	}
	if e.global.DryRun {
		if spec == nil {
			spec = recordedSpec(path)
		}
	} else {
		if spec, err = boot(path); err != nil {
			return err
		}
	}
	s, err := xensim.New(spec)
	if err != nil {
		return err
	}
	sum := s.Summary()
	_ = s.Close()
	abs := path
	if a, err := filepath.Abs(path); err == nil {
		abs = a
	}
	sum.Path = abs
	return e.out.render(&SimBootOutput{SchemaVersion: schemaVersion, Action: action, Path: abs, From: from, DryRun: e.global.DryRun, Host: sum})
}

// recordedSpec is the spec sim reset would boot: the state file's, else
// the default.
func recordedSpec(path string) *xensim.Spec {
	s, err := xensim.Open(path)
	if err != nil {
		return xensim.DefaultSpec()
	}
	defer s.Discard()
	return s.Spec()
}

// ---------------------------------------------------------------- show

// SimShowOutput is the result of sim show: the host's summary.
type SimShowOutput struct {
	xensim.Summary `yaml:",inline"`
	// Saved is false while the state file does not exist: the host shown
	// is the default one, written by the first command that changes it.
	Saved bool `json:"saved" yaml:"saved"`
}

func simShowCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "show",
		Usage: "Describe the simulated host: pCPUs, cpupools, domains, pending faults",
		Description: `Prints the simulated host as a whole: its Xen and schedulers, pCPUs
(online, offline, free, stranded), memory, cpupools with their names,
domains with their pools, the faults waiting to be injected, and the
size of its XenStore. It changes nothing.

EXAMPLES:
   xgo sim show
   xgo sim show -o json
   XGO_SIM=/tmp/lab.yaml xgo sim show -o yaml`,
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return e.withSim(false, func(s *xensim.Sim) error {
				_, err := os.Stat(s.Path())
				out := &SimShowOutput{Summary: s.Summary(), Saved: err == nil}
				out.SchemaVersion = schemaVersion
				return e.out.render(out)
			})
		},
	}
}

func (o *SimShowOutput) writeText(w io.Writer, t termInfo) error {
	var b strings.Builder
	c := o.CPUs
	state := o.Path
	if !o.Saved {
		state += " (not created yet: the default host)"
	}
	none := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	kv := [][]string{
		{"State file", state},
		{"Xen", fmt.Sprintf("%s, scheduler %s (built: %s)", o.Xen, o.Scheduler, strings.Join(o.Schedulers, ", "))},
		{"pCPUs", fmt.Sprintf("%d present: %s; max_cpu_id %d", c.Present, c.Topology, c.MaxCPUID)},
		{"", fmt.Sprintf("online %s, offline %s, free %s", none(c.Online), none(c.Offline), none(c.Free))},
	}
	if c.Stranded != "" {
		kv = append(kv, []string{"", fmt.Sprintf("stranded %s (a refused offline, as on Xen 4.17: no pool takes it, it cannot go offline; xgo sim reset reboots)", c.Stranded)})
	}
	kv = append(kv,
		[]string{"Memory", fmt.Sprintf("%d MiB, %d MiB free", o.MemoryMiB.Total, o.MemoryMiB.Free)},
		[]string{"XenStore", fmt.Sprintf("%d nodes", o.XenStore.Nodes)})
	if err := writePlain(&b, nil, kv); err != nil {
		return err
	}
	b.WriteByte('\n')
	var rows [][]string
	poolName := map[uint32]string{}
	for _, p := range o.Pools {
		poolName[p.ID] = p.Name
		rows = append(rows, []string{strconv.FormatUint(uint64(p.ID), 10), p.Name, p.Scheduler, none(p.CPUs), strconv.FormatUint(uint64(p.Domains), 10)})
	}
	if err := writeRows(&b, t, []string{"POOL", "NAME", "SCHED", "CPUS", "DOMAINS"}, rows); err != nil {
		return err
	}
	b.WriteByte('\n')
	rows = nil
	for _, d := range o.Domains {
		pool := poolName[d.Pool]
		if pool == "" {
			pool = "pool " + strconv.FormatUint(uint64(d.Pool), 10)
		}
		rows = append(rows, []string{strconv.FormatUint(uint64(d.Domid), 10), d.Name, pool, strconv.FormatUint(uint64(d.VCPUs), 10), strconv.FormatUint(d.MemoryMiB, 10)})
	}
	if err := writeRows(&b, t, []string{"DOMID", "NAME", "POOL", "VCPUS", "MEMORY_MIB"}, rows); err != nil {
		return err
	}
	b.WriteByte('\n')
	if err := writeFaults(&b, t, o.Faults, o.XenStore.PendingCommitFailures); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeRows prints a table the way the renderer does: bordered on a
// terminal, aligned text in a pipe.
func writeRows(w io.Writer, t termInfo, header []string, rows [][]string) error {
	if t.tty {
		return writeTable(w, header, rows)
	}
	return writePlain(w, header, rows)
}

// writeFaults prints the pending faults, or says there are none.
func writeFaults(w io.Writer, t termInfo, faults []xensim.Fault, commits int) error {
	if len(faults) == 0 && commits == 0 {
		_, err := io.WriteString(w, "No faults pending.\n")
		return err
	}
	var rows [][]string
	for _, f := range faults {
		rows = append(rows, []string{string(f.Op), f.ErrnoName, faultWhen(f)})
	}
	if commits > 0 {
		when := "next commit"
		if commits > 1 {
			when = "next " + strconv.Itoa(commits) + " commits"
		}
		rows = append(rows, []string{"xenstore transaction commit", "EAGAIN", when})
	}
	return writeRows(w, t, []string{"FAULT", "ERRNO", "WHEN"}, rows)
}

func faultWhen(f xensim.Fault) string {
	var w string
	switch {
	case f.Permanent:
		w = "always"
	case f.Count == 1:
		w = "next attempt"
	default:
		w = "next " + strconv.Itoa(f.Count) + " attempts"
	}
	if f.After > 0 {
		w = "after " + strconv.Itoa(f.After) + " that succeed, " + w
	}
	if f.RunOnly {
		w += ", on the host only (not in batch plans)"
	}
	return w
}

// ---------------------------------------------------------------- fault

// SimFaultsOutput is the result of the sim fault commands: the faults
// pending after the command.
type SimFaultsOutput struct {
	SchemaVersion int            `json:"schemaVersion" yaml:"schemaVersion"`
	DryRun        bool           `json:"dryRun" yaml:"dryRun"`
	Faults        []xensim.Fault `json:"faults" yaml:"faults"`
	// XenstoreCommitFailures is how many XenStore transaction commits
	// will still fail with EAGAIN.
	XenstoreCommitFailures int `json:"xenstoreCommitFailures" yaml:"xenstoreCommitFailures"`
}

func (o *SimFaultsOutput) writeText(w io.Writer, t termInfo) error {
	if o.DryRun {
		if _, err := io.WriteString(w, "dry run: the faults would be:\n"); err != nil {
			return err
		}
	}
	return writeFaults(w, t, o.Faults, o.XenstoreCommitFailures)
}

func (o *SimFaultsOutput) quietIDs() []string {
	var ids []string
	for _, f := range o.Faults {
		ids = append(ids, string(f.Op))
	}
	if o.XenstoreCommitFailures > 0 {
		ids = append(ids, "xenstore-commit")
	}
	return ids
}

const faultOpsHelp = `OP is an operation as the hypercall layer names it in errors, or its
last word when that is unambiguous: physinfo, cputopoinfo, numainfo,
get_cpuinfo, cpu_online, cpu_offline (platform), "sysctl cpu_hotplug
online", "sysctl cpu_hotplug offline", create, destroy, info, addcpu,
rmcpu, movedomain, freeinfo, "sysctl scheduler_op getinfo", ...
(xgo sim fault list --ops lists them all). ERRNO is a Xen errno name
(EBUSY) or number. An attempt is one hypercall, retries included: Xen's
EAGAIN on cpupool operations is retried 250 times, so "-n 3" of EAGAIN
is absorbed as on real Xen, while --always is not.`

func simFaultCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "fault",
		Usage: "Make the simulated host fail operations: hypercalls, XenStore commits",
		Description: `Sets up failures the simulated host injects into the next commands, to
see how xgo (or a script) copes: a hypercall that returns an errno the
next N times or always, and XenStore transaction commits that conflict
(EAGAIN). Faults stay in the state file until used up or cleared; xgo sim
show lists them.

` + faultOpsHelp + `

EXAMPLES:
   xgo sim fault op rmcpu EBUSY              # the next RMCPU fails
   xgo sim fault op addcpu ENODEV -n 3
   xgo sim fault op physinfo EACCES --always
   xgo sim fault xenstore-commit -n 2        # the next 2 commits conflict
   xgo sim fault list
   xgo sim fault clear rmcpu
   xgo sim fault clear`,
		Subcommands: []*cli.Command{
			simFaultOpCommand(e),
			simFaultCommitCommand(e),
			simFaultClearCommand(e),
			simFaultListCommand(e),
		},
	}
}

func simFaultOpCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "op",
		Usage:     "Make a hypercall fail with an errno, the next N times or always",
		ArgsUsage: "<op> <errno> [-n N | --always] [--after N] [--run-only]",
		Description: `Makes the operation OP fail with ERRNO: the next N attempts (-n,
default 1) or every attempt until cleared (--always). It replaces a
fault OP had. --after N lets N attempts succeed first, so that a
command fails midway (and rolls back); --run-only keeps the fault out of
the simulated copy that "xgo batch plan" and "batch run" check a file
on, so the plan passes and the run fails, as when the host changes
between the two.

` + faultOpsHelp + `

EXAMPLES:
   xgo sim fault op rmcpu EAGAIN --always
   xgo sim fault op "sysctl cpu_hotplug offline" EBUSY -n 2
   xgo sim fault op addcpu EBUSY --after 1 --always --run-only`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "count", Aliases: []string{"n"}, Value: 1, Usage: "fail the next `N` attempts"},
			&cli.BoolFlag{Name: "always", Usage: "fail every attempt until cleared", DisableDefaultText: true},
			&cli.IntFlag{Name: "after", Usage: "let `N` attempts succeed before failing"},
			&cli.BoolFlag{Name: "run-only", Usage: "fail on the host only, not on the copy batch plans check", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 2, 2)
			if err != nil {
				return err
			}
			op, err := xensim.ParseOp(args[0])
			if err != nil {
				return usagef("sim fault op: %v (see \"xgo sim fault list --ops\")", err)
			}
			errno, err := xensim.ParseErrno(args[1])
			if err != nil {
				return usagef("sim fault op: %v", err)
			}
			n, always := c.Int("count"), c.Bool("always")
			if always && c.IsSet("count") {
				return usagef("sim fault op: -n %d and --always both say how often: give one", n)
			}
			if n < 1 {
				return usagef("sim fault op: -n %d: the count must be at least 1", n)
			}
			after := c.Int("after")
			if after < 0 {
				return usagef("sim fault op: --after %d: the count cannot be negative", after)
			}
			f := xensim.Fault{Op: op, Errno: errno, Count: n, Permanent: always, After: after, RunOnly: c.Bool("run-only")}
			if always {
				f.Count = 0
			}
			return e.changeFaults(func(s *xensim.Sim) error {
				return s.Host().AddFault(f)
			})
		},
	}
}

func simFaultCommitCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "xenstore-commit",
		Usage:     "Make the next N XenStore transaction commits conflict (EAGAIN)",
		ArgsUsage: "[-n N]",
		Description: `Makes the next N XenStore transaction commits, from any connection,
fail with EAGAIN as a conflicting transaction would; xgo retries such
conflicts a bounded number of times. -n 0 cancels.

EXAMPLES:
   xgo sim fault xenstore-commit
   xgo sim fault xenstore-commit -n 5`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "count", Aliases: []string{"n"}, Value: 1, Usage: "fail the next `N` commits"},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			n := c.Int("count")
			if n < 0 {
				return usagef("sim fault xenstore-commit: -n %d: the count cannot be negative", n)
			}
			return e.changeFaults(func(s *xensim.Sim) error {
				s.FailNextCommits(n)
				return nil
			})
		},
	}
}

func simFaultClearCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "clear",
		Usage:     "Remove pending faults: those of some operations, or all",
		ArgsUsage: "[<op>...]",
		Description: `Removes the faults of the operations named, or with no argument every
pending fault, XenStore commit conflicts included.

EXAMPLES:
   xgo sim fault clear
   xgo sim fault clear rmcpu addcpu`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 0, -1)
			if err != nil {
				return err
			}
			var ops []xensim.Op
			for _, a := range args {
				op, err := xensim.ParseOp(a)
				if err != nil {
					return usagef("sim fault clear: %v (see \"xgo sim fault list --ops\")", err)
				}
				ops = append(ops, op)
			}
			return e.changeFaults(func(s *xensim.Sim) error {
				s.Host().ClearFaults(ops...)
				if len(ops) == 0 {
					s.FailNextCommits(0)
				}
				return nil
			})
		},
	}
}

// SimOpsOutput is sim fault list --ops: the operations faults apply to.
type SimOpsOutput struct {
	SchemaVersion int      `json:"schemaVersion" yaml:"schemaVersion"`
	Ops           []string `json:"ops" yaml:"ops"`
}

func (o *SimOpsOutput) tableHeader() []string { return []string{"OP"} }
func (o *SimOpsOutput) tableRows() [][]string {
	rows := make([][]string, len(o.Ops))
	for i, op := range o.Ops {
		rows[i] = []string{op}
	}
	return rows
}
func (o *SimOpsOutput) quietIDs() []string { return o.Ops }

func simFaultListCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "List the pending faults, or with --ops the operations that can fail",
		Description: `Lists the faults the simulated host will inject, or with --ops the names
of the operations a fault can be set on.

EXAMPLES:
   xgo sim fault list
   xgo sim fault list -o json
   xgo sim fault list --ops`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "ops", Usage: "list the operation names instead", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			if c.Bool("ops") {
				out := &SimOpsOutput{SchemaVersion: schemaVersion}
				for _, op := range xensim.Ops {
					out.Ops = append(out.Ops, string(op))
				}
				return e.out.render(out)
			}
			return e.withSim(false, func(s *xensim.Sim) error {
				return e.out.render(faultsOutput(e, s))
			})
		},
	}
}

func faultsOutput(e *env, s *xensim.Sim) *SimFaultsOutput {
	f := s.Host().Faults()
	if f == nil {
		f = []xensim.Fault{}
	}
	return &SimFaultsOutput{SchemaVersion: schemaVersion, DryRun: e.global.DryRun, Faults: f, XenstoreCommitFailures: s.PendingCommitFailures()}
}

// changeFaults applies fn to the simulated host, saves it (unless -N) and
// prints the faults then pending.
func (e *env) changeFaults(fn func(s *xensim.Sim) error) error {
	return e.withSim(true, func(s *xensim.Sim) error {
		if err := fn(s); err != nil {
			return err
		}
		return e.out.render(faultsOutput(e, s))
	})
}
