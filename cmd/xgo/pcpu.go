package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/host"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/pcpu"
)

// parseCPUList reads a CPULIST argument: a mistake in it is a usage
// error; a node this host does not have, or a list that selects none of
// its cpus, is a failure (exit 1), as for a cpu it does not have.
func parseCPUList(h hypercall.Hypervisor, cmd, list string) (cpuset.Set, error) {
	s, err := pcpu.ParseCPUs(h, list)
	var pe *cpuset.ParseError
	if errors.As(err, &pe) {
		if pe.Absent {
			return s, fmt.Errorf("%s: %w", cmd, err)
		}
		return s, usagef("%s: %v", cmd, err)
	}
	return s, err
}

// checkCPUListSyntax parses list without the host, so that a typo is a
// usage error even where there is no Xen. Items that need the host ("all",
// node:) are accepted here and resolved later.
func checkCPUListSyntax(cmd, list string) error {
	if err := cpuset.CheckSyntax(list); err != nil {
		return usagef("%s: %v", cmd, err)
	}
	return nil
}

// --------------------------------------------------------------- pcpu-list

// PCPUListOutput is the result of pcpu-list.
type PCPUListOutput struct {
	SchemaVersion int         `json:"schemaVersion" yaml:"schemaVersion"`
	CPUs          []pcpu.Item `json:"cpus" yaml:"cpus"`
}

func (o *PCPUListOutput) tableHeader() []string {
	return []string{"CPU", "STATE", "APIC", "ACPI", "CORE", "SOCKET", "NODE", "POOL", "SCHED"}
}

func (o *PCPUListOutput) tableRows() [][]string {
	rows := make([][]string, 0, len(o.CPUs))
	opt := func(v *uint32) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatUint(uint64(*v), 10)
	}
	for _, c := range o.CPUs {
		state := "offline"
		if c.Online {
			state = "online"
		}
		pool, sched := "-", "-"
		if c.Pool != nil {
			pool = c.Pool.Name
			if pool == "" {
				pool = "pool " + strconv.FormatUint(uint64(c.Pool.ID), 10)
			}
			sched = c.Scheduler
		}
		rows = append(rows, []string{strconv.FormatUint(uint64(c.CPU), 10), state,
			strconv.FormatUint(uint64(c.APICID), 10), strconv.FormatUint(uint64(c.ACPIID), 10),
			opt(c.Core), opt(c.Socket), opt(c.Node), pool, sched})
	}
	return rows
}

func (o *PCPUListOutput) quietIDs() []string {
	ids := make([]string, len(o.CPUs))
	for i, c := range o.CPUs {
		ids[i] = strconv.FormatUint(uint64(c.CPU), 10)
	}
	return ids
}

type pcpuListOptions struct {
	CPUs string // "" = all
}

func pcpuListCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "pcpu-list",
		Usage:     "List the physical CPUs: state, firmware ids, topology and cpupool",
		ArgsUsage: "[<cpu-list>]",
		Description: `Lists the present physical CPUs (XENPF_get_cpuinfo, as Linux's xen_cpu
driver sees them) with Xen's id, online state, APIC and ACPI ids, core,
socket and NUMA node (XEN_SYSCTL_cputopoinfo; "-" where Xen does not know
them, as for an offline CPU on AMD hosts), and the cpupool and scheduler
the CPU runs in ("-" for a CPU in no pool). CPULIST (xl's cpu-list syntax:
"2-5,^3", "node:1", "all") selects CPUs; -q prints their ids.

EXAMPLES:
   xgo pcpu-list
   xgo pcpu-list 2-3 -o json
   xgo pcpu-list node:1 -q`,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 0, 1)
			if err != nil {
				return err
			}
			opts := pcpuListOptions{}
			if len(args) == 1 {
				opts.CPUs = args[0]
				if err := checkCPUListSyntax("pcpu-list", opts.CPUs); err != nil {
					return err
				}
			}
			return runPCPUList(c.Context, opts, e)
		},
	}
}

func runPCPUList(ctx context.Context, opts pcpuListOptions, e *env) error {
	h, err := openHost(ctx, e, true, false)
	if err != nil {
		return err
	}
	defer h.Close()
	var only cpuset.Set
	filtered := opts.CPUs != ""
	if filtered {
		if only, err = parseCPUList(h.hv, "pcpu-list", opts.CPUs); err != nil {
			return err
		}
	}
	st, err := pcpu.ReadState(ctx, h.hv, h.xs)
	if err != nil {
		return err
	}
	if absent := only.Diff(st.Present()); !absent.IsEmpty() {
		return fmt.Errorf("pcpu-list: %s not present on this host (present: %s)", cpusAre(absent), st.Present().Ranges())
	}
	var sel *cpuset.Set
	if filtered {
		sel = &only
	}
	return e.out.render(&PCPUListOutput{SchemaVersion: schemaVersion, CPUs: st.Items(sel)})
}

// cpusAre is "cpu 3 is" or "cpus 3,5 are".
func cpusAre(s cpuset.Set) string {
	if s.Len() == 1 {
		return "cpu " + s.Ranges() + " is"
	}
	return "cpus " + s.Ranges() + " are"
}

// ------------------------------------------------- pcpu-online, pcpu-offline

// HotplugOutput is the result of pcpu-online and pcpu-offline.
type HotplugOutput struct {
	SchemaVersion int               `json:"schemaVersion" yaml:"schemaVersion"`
	Action        string            `json:"action" yaml:"action"` // online or offline
	Via           string            `json:"via" yaml:"via"`       // hypercall or sysfs
	DryRun        bool              `json:"dryRun" yaml:"dryRun"`
	Results       []pcpu.ResultView `json:"results" yaml:"results"`
}

// writeText prints one line per CPU: "cpu 3: offlined", "cpu 4: already
// offline", "cpu 5: failed: ...".
func (o *HotplugOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	for _, r := range o.Results {
		b.WriteString(r.Line)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// quietIDs are the CPUs that changed (or, with -N, would change).
func (o *HotplugOutput) quietIDs() []string {
	var ids []string
	for _, r := range o.Results {
		if r.Changed {
			ids = append(ids, strconv.FormatUint(uint64(r.CPU), 10))
		}
	}
	return ids
}

type hotplugOptions struct {
	Online   bool
	CPUs     string
	Via      pcpu.Via
	Timeout  time.Duration
	Evacuate bool
}

func pcpuHotplugCommand(e *env, online bool) *cli.Command {
	name, alias, verb, state := "pcpu-offline", "cpu-offline", "Take", "offline"
	if online {
		name, alias, verb, state = "pcpu-online", "cpu-online", "Bring", "online"
	}
	flags := []cli.Flag{
		&cli.DurationFlag{Name: "timeout", Value: pcpu.DefaultTimeout, Usage: "keep retrying a CPU that Xen reports busy (EBUSY) for up to `DURATION`"},
		&cli.StringFlag{Name: "via", Value: "hypercall", Usage: "hotplug path: hypercall (XEN_SYSCTL_cpu_hotplug, as xen-hptool) or sysfs (/sys/devices/system/xen_cpu/xen_cpuN/online, XENPF_cpu_online/offline)"},
	}
	desc := `Brings the CPUs of CPULIST (xl's cpu-list syntax: "3", "2-5,^3", "all")
online, as "xen-hptool cpu-online" does, one line per CPU. A CPU that is
already online is reported as such; a busy CPU (EBUSY) is retried with
backoff for up to --timeout (xen-hptool retries for ever). A CPU that is
not present refuses the whole request before anything is done. Xen puts
an onlined CPU into Pool-0, whatever pool it was in before it went
offline. The exit status is 1 when any CPU failed; a failed CPU is left as
it was. -N shows what would be done.

EXAMPLES:
   xgo pcpu-online 3
   xgo cpu-online 2-3 --via sysfs
   xgo pcpu-online all -N`
	if !online {
		flags = append(flags, &cli.BoolFlag{Name: "evacuate", Usage: "first remove a CPU from a cpupool other than Pool-0 (put back if the offline fails)", DisableDefaultText: true})
		desc = `Takes the CPUs of CPULIST (xl's cpu-list syntax) offline, as
"xen-hptool cpu-offline" does, one line per CPU. The request is checked
first and refused, with nothing done, if it names CPU 0 (Xen never
offlines it), a CPU that is not present, or a CPU in a cpupool other than
Pool-0 (Xen refuses those: remove it from its pool first, or give
--evacuate to have xgo do that, which it refuses when the pool's domains
would be left without a CPU). A CPU already offline is reported as such; a
busy CPU (EBUSY) is retried with backoff for up to --timeout. The exit
status is 1 when any CPU failed; a failed CPU is left as it was (an
evacuated one is put back into its pool). -N shows what would be done.

EXAMPLES:
   xgo pcpu-offline 3
   xgo cpu-offline 2-3 --via sysfs
   xgo pcpu-offline 6-7 --evacuate -N
   xgo pcpu-offline 3 -o json`
	}
	return &cli.Command{
		Name:        name,
		Aliases:     []string{alias},
		Usage:       verb + " physical CPUs " + state + ", like xen-hptool cpu-" + state,
		ArgsUsage:   "<cpu-list>",
		Description: desc,
		Flags:       flags,
		Action: func(c *cli.Context) error {
			args, err := checkArgs(c, 1, 1)
			if err != nil {
				return err
			}
			opts := hotplugOptions{Online: online, CPUs: args[0], Timeout: c.Duration("timeout"), Evacuate: c.Bool("evacuate")}
			if opts.Via, err = pcpu.ParseVia(c.String("via")); err != nil {
				return usagef("%s: --via: %v", name, err)
			}
			if opts.Timeout < 0 {
				return usagef("%s: --timeout %s: the timeout cannot be negative", name, opts.Timeout)
			}
			if err := checkCPUListSyntax(name, opts.CPUs); err != nil {
				return err
			}
			return runPCPUHotplug(c.Context, opts, e)
		},
	}
}

func runPCPUHotplug(ctx context.Context, opts hotplugOptions, e *env) error {
	name := "pcpu-offline"
	if opts.Online {
		name = "pcpu-online"
	}
	h, err := openHost(ctx, e, true, !e.global.DryRun)
	if err != nil {
		return err
	}
	defer h.Close()
	cpus, err := parseCPUList(h.hv, name, opts.CPUs)
	if err != nil {
		return err
	}
	popts := pcpu.Options{Via: opts.Via, XenStore: h.xs, Evacuate: opts.Evacuate, DryRun: e.global.DryRun, Timeout: opts.Timeout}
	if popts.Timeout == 0 {
		popts.Timeout = -1 // --timeout 0: no retry
	}
	if opts.Via == pcpu.ViaSysfs {
		if popts.Sysfs, err = h.PCPUSysfs(); err != nil {
			return fmt.Errorf("%s --via sysfs: %w", name, err)
		}
	}
	hotplug := pcpu.Offline
	if opts.Online {
		hotplug = pcpu.Online
	}
	results, err := hotplug(ctx, h.hv, cpus, popts)
	var fe *pcpu.FailedError
	if err != nil && !errors.As(err, &fe) {
		return err // refused, or the state could not be read: nothing done
	}
	out := &HotplugOutput{SchemaVersion: schemaVersion, Action: "offline", Via: opts.Via.String(), DryRun: e.global.DryRun}
	if opts.Online {
		out.Action = "online"
	}
	for _, r := range results {
		out.Results = append(out.Results, r.View())
	}
	if rerr := e.out.render(out); rerr != nil {
		return rerr
	}
	return err
}

// ------------------------------------------------------------- pcpu-watch

// PCPUEvent is one line of pcpu-watch.
type PCPUEvent struct {
	SchemaVersion int    `json:"schemaVersion" yaml:"schemaVersion"`
	Time          string `json:"time" yaml:"time"` // RFC 3339, milliseconds
	CPU           uint32 `json:"cpu" yaml:"cpu"`
	// Event is online, offline, added or removed.
	Event string `json:"event" yaml:"event"`
	// Source is uevent (the kernel's xen_cpu driver) or poll.
	Source string `json:"source" yaml:"source"`
}

// writeText prints "2026-11-21T20:15:13.123+00:00 cpu 3 offline".
func (ev *PCPUEvent) writeText(w io.Writer, _ termInfo) error {
	_, err := fmt.Fprintf(w, "%s cpu %d %s\n", ev.Time, ev.CPU, ev.Event)
	return err
}

func (ev *PCPUEvent) quietIDs() []string { return []string{strconv.FormatUint(uint64(ev.CPU), 10)} }

type pcpuWatchOptions struct {
	Count    int
	Interval time.Duration
	Poll     bool
}

func pcpuWatchCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "pcpu-watch",
		Usage: "Print physical CPUs going online or offline as it happens",
		Description: `Prints one line per change of a physical CPU's state (online, offline,
added, removed) until interrupted or, with --count, after N changes. In a
Linux dom0 the changes come from the kernel's xen_cpu uevents (the kernel
re-reads every CPU when Xen signals VIRQ_PCPU_STATE; a CPU that goes
offline and online again before it looks shows no change); elsewhere, on
the simulated host, or with --poll, XENPF_get_cpuinfo is read every
--interval. -o json prints one JSON object per line; -v says on stderr
when the watch is in place.

EXAMPLES:
   xgo pcpu-watch
   xgo pcpu-watch --count 2 -o json
   xgo pcpu-watch --poll --interval 200ms`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "count", Aliases: []string{"n"}, Usage: "stop after `N` changes"},
			&cli.DurationFlag{Name: "interval", Value: pcpu.DefaultPollInterval, Usage: "when polling, read the CPUs' state every `DURATION`"},
			&cli.BoolFlag{Name: "poll", Usage: "poll Xen even where kernel uevents are available", DisableDefaultText: true},
		},
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			opts := pcpuWatchOptions{Count: c.Int("count"), Interval: c.Duration("interval"), Poll: c.Bool("poll")}
			if opts.Count < 0 {
				return usagef("pcpu-watch: --count %d: the count cannot be negative", opts.Count)
			}
			if opts.Interval <= 0 {
				return usagef("pcpu-watch: --interval %s: the interval must be positive", opts.Interval)
			}
			return runPCPUWatch(c.Context, opts, e)
		},
	}
}

func runPCPUWatch(ctx context.Context, opts pcpuWatchOptions, e *env) error {
	wopts := pcpu.WatchOptions{Count: opts.Count, Interval: opts.Interval}
	var hv hypercall.Hypervisor
	if e.global.Sim {
		wopts.Read = host.PCPUsEachLook(e.openHost)
	} else {
		h, err := openHost(ctx, e, false, false)
		if err != nil {
			return err
		}
		defer h.Close()
		hv = h.hv
		if !opts.Poll {
			u, err := h.PCPUUevents()
			if err != nil {
				e.logf("polling Xen: no xen_cpu uevents (%v)", err)
			} else {
				defer u.Close()
				wopts.Uevents = u
			}
		}
	}
	wopts.Ready = func(source string) {
		how := "kernel xen_cpu uevents"
		if source == "poll" {
			how = "polling XENPF_get_cpuinfo every " + opts.Interval.String()
		}
		e.logf("watching physical CPUs (%s)", how)
	}
	return pcpu.Watch(ctx, hv, wopts, func(ev pcpu.Event) error {
		return e.out.stream(&PCPUEvent{SchemaVersion: schemaVersion, Time: ev.Time.Format("2006-01-02T15:04:05.000Z07:00"),
			CPU: ev.CPU, Event: string(ev.Kind), Source: ev.Source})
	})
}
