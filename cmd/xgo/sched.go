package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"xgo.dev/xgo/cpupool"
	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/naming"
	"xgo.dev/xgo/sched"
)

// sched-credit, sched-credit2 and sched-rtds: xl's commands and option
// rules (tools/xl/xl_sched.c), with its text output byte for byte.

// SchedPoolParams are a pool's scheduler parameters; absent fields do
// not apply to the scheduler.
type SchedPoolParams struct {
	TsliceMS         *uint32 `json:"tsliceMS,omitempty" yaml:"tsliceMS,omitempty"`
	RatelimitUS      *uint32 `json:"ratelimitUS,omitempty" yaml:"ratelimitUS,omitempty"`
	MigrationDelayUS *uint32 `json:"migrationDelayUS,omitempty" yaml:"migrationDelayUS,omitempty"`
}

// SchedVCPUItem is one rtds vCPU's parameters.
type SchedVCPUItem struct {
	VCPU      uint32 `json:"vcpu" yaml:"vcpu"`
	PeriodUS  uint32 `json:"periodUS" yaml:"periodUS"`
	BudgetUS  uint32 `json:"budgetUS" yaml:"budgetUS"`
	Extratime bool   `json:"extratime" yaml:"extratime"`
}

// SchedDomainItem is one domain's parameters: weight and cap (credit,
// credit2), or rtds period and budget (Xen's defaults at domain level) and
// per-vCPU values.
type SchedDomainItem struct {
	ID        uint16          `json:"id" yaml:"id"`
	Name      string          `json:"name" yaml:"name"`
	Weight    *uint16         `json:"weight,omitempty" yaml:"weight,omitempty"`
	Cap       *uint16         `json:"cap,omitempty" yaml:"cap,omitempty"`
	PeriodUS  *uint32         `json:"periodUS,omitempty" yaml:"periodUS,omitempty"`
	BudgetUS  *uint32         `json:"budgetUS,omitempty" yaml:"budgetUS,omitempty"`
	Extratime *bool           `json:"extratime,omitempty" yaml:"extratime,omitempty"`
	VCPUs     []SchedVCPUItem `json:"vcpus,omitempty" yaml:"vcpus,omitempty"`
}

// SchedPoolItem is one pool of a listing; params is null when Xen would
// not give them ("[sched params unavailable]").
type SchedPoolItem struct {
	ID      uint32            `json:"id" yaml:"id"`
	Name    string            `json:"name" yaml:"name"`
	Params  *SchedPoolParams  `json:"params" yaml:"params"`
	Domains []SchedDomainItem `json:"domains,omitempty" yaml:"domains,omitempty"`
}

// SchedOutput is what sched-credit, sched-credit2 and sched-rtds print
// when they read parameters.
type SchedOutput struct {
	SchemaVersion int               `json:"schemaVersion" yaml:"schemaVersion"`
	Scheduler     string            `json:"scheduler" yaml:"scheduler"`
	Pools         []SchedPoolItem   `json:"pools,omitempty" yaml:"pools,omitempty"`
	Domains       []SchedDomainItem `json:"domains,omitempty" yaml:"domains,omitempty"`

	lines []string // xl's text, built as the data is gathered
}

func (o *SchedOutput) writeText(w io.Writer, _ termInfo) error {
	var b strings.Builder
	for _, l := range o.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o *SchedOutput) quietIDs() []string {
	var ids []string
	for _, p := range o.Pools {
		for _, d := range p.Domains {
			ids = append(ids, strconv.Itoa(int(d.ID)))
		}
	}
	for _, d := range o.Domains {
		ids = append(ids, strconv.Itoa(int(d.ID)))
	}
	if len(ids) == 0 { // -s: the pools whose parameters were printed
		for _, p := range o.Pools {
			ids = append(ids, p.Name)
		}
	}
	return ids
}

// xlName is how xl prints a name it could not read: printf("%s", NULL).
func xlName(name string, ok bool) string {
	if !ok {
		return "(null)"
	}
	return name
}

func weightHeader() string { return fmt.Sprintf("%-33s %4s %6s %4s", "Name", "ID", "Weight", "Cap") }
func rtdsHeader() string {
	return fmt.Sprintf("%-33s %4s %9s %9s %10s", "Name", "ID", "Period", "Budget", "Extratime")
}
func rtdsVCPUHeader() string {
	return fmt.Sprintf("%-33s %4s %4s %9s %9s %10s", "Name", "ID", "VCPU", "Period", "Budget", "Extratime")
}
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// poolLine is xl's "Cpupool NAME: ..." line for pool p and scheduler s;
// params is nil when they cannot be read (the error says why).
func poolLine(m *cpupool.Manager, p cpupool.Pool, s hypercall.Scheduler) (string, *SchedPoolParams, error) {
	name := xlName(p.Name, p.Named)
	if s == hypercall.SchedRTDS {
		return fmt.Sprintf("Cpupool %s: sched=RTDS", name), &SchedPoolParams{}, nil
	}
	sp := sched.Pool{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler}
	params, err := sched.PoolParams(m.Hypervisor(), sp, s)
	if err != nil {
		return fmt.Sprintf("Cpupool %s: [sched params unavailable]", name), nil, err
	}
	out := &SchedPoolParams{RatelimitUS: &params.RatelimitUS}
	if s == hypercall.SchedCredit {
		out.TsliceMS, out.MigrationDelayUS = &params.TsliceMS, &params.MigrationDelayUS
	}
	return fmt.Sprintf("Cpupool %s: %s", name, sched.PoolParamsText(params)), out, nil
}

// schedHost is what the sched commands read: pools and domains with names.
type schedHost struct {
	m     *cpupool.Manager
	pools []cpupool.Pool
	doms  []cpupool.Domain
}

func readSchedHost(ctx context.Context, m *cpupool.Manager) (*schedHost, error) {
	pools, err := m.Pools(ctx)
	if err != nil {
		return nil, err
	}
	doms, err := m.Domains(ctx)
	if err != nil {
		return nil, err
	}
	return &schedHost{m: m, pools: pools, doms: doms}, nil
}

func (h *schedHost) poolOf(d cpupool.Domain) cpupool.Pool {
	for _, p := range h.pools {
		if p.ID == d.Pool {
			return p
		}
	}
	return cpupool.Pool{ID: d.Pool}
}

// domain finds -d's domain. An unknown name is an error matching
// cpupool.ErrNotFound, which xl reports before printing anything; an
// unknown domid is another error, reported after the header as xl does.
func (h *schedHost) domain(q string) (cpupool.Domain, error) {
	d, err := cpupool.ResolveDomain(h.doms, q)
	if err != nil && errors.Is(err, cpupool.ErrNotFound) && naming.IsID(q) {
		return cpupool.Domain{}, fmt.Errorf("domain %s does not exist", q)
	}
	return d, err
}

// weightRow reads a credit/credit2 domain's weight and cap and formats
// xl's row.
func (h *schedHost) weightRow(d cpupool.Domain, s hypercall.Scheduler) (string, SchedDomainItem, error) {
	p := h.poolOf(d)
	sd := d.Sched(p)
	item := SchedDomainItem{ID: d.ID, Name: d.Name}
	if p.Scheduler != s {
		return "", item, fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not %s", d.Label(), p.Label(), p.Scheduler, s)
	}
	params, err := sched.DomainParams(h.m.Hypervisor(), sd, s)
	if err != nil {
		return "", item, err
	}
	item.Weight, item.Cap = &params.Weight, &params.Cap
	return fmt.Sprintf("%-33s %4d %6d %4d", xlName(d.Name, d.Named), d.ID, params.Weight, params.Cap), item, nil
}

// rtdsRow formats xl's domain-level rtds row: Xen's default period and
// budget, and "yes" for extratime (libxl's unset default, -1).
func (h *schedHost) rtdsRow(d cpupool.Domain) (string, SchedDomainItem, error) {
	p := h.poolOf(d)
	item := SchedDomainItem{ID: d.ID, Name: d.Name}
	if p.Scheduler != hypercall.SchedRTDS {
		return "", item, fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not rtds", d.Label(), p.Label(), p.Scheduler)
	}
	params, err := sched.DomainParams(h.m.Hypervisor(), d.Sched(p), hypercall.SchedRTDS)
	if err != nil {
		return "", item, err
	}
	yes := true
	item.PeriodUS, item.BudgetUS, item.Extratime = &params.PeriodUS, &params.BudgetUS, &yes
	return fmt.Sprintf("%-33s %4d %9d %9d %10s", xlName(d.Name, d.Named), d.ID, int32(params.PeriodUS), int32(params.BudgetUS), "yes"), item, nil
}

// rtdsVCPURows reads the given vCPUs of d (all when nil) and formats
// xl's per-vCPU rows.
func (h *schedHost) rtdsVCPURows(d cpupool.Domain, vcpus []uint32) ([]string, SchedDomainItem, error) {
	p := h.poolOf(d)
	item := SchedDomainItem{ID: d.ID, Name: d.Name}
	if p.Scheduler != hypercall.SchedRTDS {
		return nil, item, fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not rtds: per-vCPU parameters are rtds only", d.Label(), p.Label(), p.Scheduler)
	}
	vs, err := sched.VCPUParams(h.m.Hypervisor(), d.Sched(p), hypercall.SchedRTDS, vcpus)
	if err != nil {
		return nil, item, err
	}
	var lines []string
	for _, v := range vs {
		lines = append(lines, fmt.Sprintf("%-33s %4d %4d %9d %9d %10s", xlName(d.Name, d.Named), d.ID, v.VCPU, v.PeriodUS, v.BudgetUS, yesNo(v.Extratime)))
		item.VCPUs = append(item.VCPUs, SchedVCPUItem{VCPU: v.VCPU, PeriodUS: v.PeriodUS, BudgetUS: v.BudgetUS, Extratime: v.Extratime})
	}
	return lines, item, nil
}

// listing is xl's sched_domain_output: for every pool of scheduler s (or
// only poolQ), the pool line, the header, and a row per domain in it.
// header and row give the scheduler's format.
func (h *schedHost) listing(out *SchedOutput, s hypercall.Scheduler, poolQ string, header string,
	rows func(d cpupool.Domain) ([]string, SchedDomainItem, error)) error {
	var only *cpupool.Pool
	if poolQ != "" {
		p, err := cpupool.ResolvePool(h.pools, poolQ)
		if err != nil {
			return err
		}
		only = &p
	}
	for _, p := range h.pools {
		if p.Scheduler != s || (only != nil && only.ID != p.ID) {
			continue
		}
		line, params, err := poolLine(h.m, p, s)
		out.lines = append(out.lines, line)
		item := SchedPoolItem{ID: p.ID, Name: p.Name, Params: params}
		if err != nil {
			h.m.Trace(fmt.Sprintf("cpupool %s: %v", p.Label(), err))
		}
		out.lines = append(out.lines, header)
		for _, d := range h.doms {
			if d.Pool != p.ID {
				continue
			}
			ls, di, err := rows(d)
			if err != nil {
				out.Pools = append(out.Pools, item)
				return err
			}
			out.lines = append(out.lines, ls...)
			item.Domains = append(item.Domains, di)
		}
		out.Pools = append(out.Pools, item)
	}
	return nil
}

// intFlag reads an integer option strictly (xl uses strtol and takes
// "abc" as 0).
func intFlag(c *cli.Context, cmd, name string) (*int64, error) {
	if !c.IsSet(name) {
		return nil, nil
	}
	v := c.String(name)
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return nil, usagef("%s: invalid value %q for --%s: not a number", cmd, v, name)
	}
	return &n, nil
}

// schedChange is the output of a sched command that changes parameters:
// nothing in the text form (as xl), the step with -N or -o json|yaml.
func schedChange(e *env, cmd, what string, step cpupool.StepView, apply func() error) error {
	o := &CpupoolChangeOutput{SchemaVersion: schemaVersion, Command: cmd, DryRun: e.global.DryRun, What: what, Steps: []cpupool.StepView{step}}
	if !e.global.DryRun {
		if err := apply(); err != nil {
			return poolErr(cmd, err)
		}
	}
	return e.out.render(o)
}

func poolParamsStep(p cpupool.Pool, s hypercall.Scheduler, text string) cpupool.StepView {
	id := p.ID
	return cpupool.StepView{Call: "sysctl scheduler_op putinfo", Pool: &id, PoolName: p.Name, Detail: s.String() + " " + text,
		Text: fmt.Sprintf("sysctl scheduler_op putinfo pool %d '%s', %s %s", p.ID, p.Name, s, text)}
}

func domainParamsStep(d cpupool.Domain, call, detail string) cpupool.StepView {
	id := d.ID
	return cpupool.StepView{Call: call, Domain: &id, DomainName: d.Name, Detail: detail,
		Text: fmt.Sprintf("%s domain %d '%s', %s", call, d.ID, d.Name, detail)}
}

// -------------------------------------------------- sched-credit(2)

func schedCreditCommand(e *env, credit2 bool) *cli.Command {
	name, s := "sched-credit", hypercall.SchedCredit
	usage := "Get or set credit scheduler parameters of domains and cpupools, like xl sched-credit"
	args := "[-d <domain>] [-w <weight>] [-c <cap>] [-s] [-t <ms>] [-r <us>] [-m <us>] [-p <pool>]"
	desc := `Without options, lists every credit cpupool: its parameters
(tslice, ratelimit, migration-delay) and the weight and cap of each of
its domains, as xl sched-credit prints them. -p lists one pool.

   -d DOMAIN           show one domain; with -w/-c, set its weight
                       (1-65535) and cap (0-100 per vCPU, 0: none)
   -s                  show a pool's parameters (Pool-0, or -p's); with
                       -t/-r/-m, set them (tslice 1-1000 ms, ratelimit 0
                       or 100-500000 us and at most the tslice, migration
                       delay 0-100000 us)

Values are checked before anything is sent. As in xl, -p and -s cannot be
combined with -d, -w or -c. With -N a change is printed, not made.

EXAMPLES:
   xgo sched-credit
   xgo sched-credit -d guest1 -w 512 -c 50
   xgo sched-credit -s -p rt -t 10 -r 500`
	flags := []cli.Flag{
		&cli.StringFlag{Name: "domain", Aliases: []string{"d"}, Usage: "the `DOMAIN` to show or change"},
		&cli.StringFlag{Name: "weight", Aliases: []string{"w"}, Usage: "set the domain's `WEIGHT`"},
		&cli.StringFlag{Name: "cap", Aliases: []string{"c"}, Usage: "set the domain's `CAP` (percent of one cpu; 0: none)"},
		&cli.BoolFlag{Name: "schedparam", Aliases: []string{"s"}, Usage: "show or set the pool's parameters", DisableDefaultText: true},
	}
	if credit2 {
		name, s = "sched-credit2", hypercall.SchedCredit2
		usage = "Get or set credit2 scheduler parameters of domains and cpupools, like xl sched-credit2"
		args = "[-d <domain>] [-w <weight>] [-c <cap>] [-s] [-r <us>] [-p <pool>]"
		desc = `Without options, lists every credit2 cpupool: its ratelimit and the
weight and cap of each of its domains, as xl sched-credit2 prints them.
-p lists one pool.

   -d DOMAIN           show one domain; with -w/-c, set its weight
                       (1-65535) and cap (0-100 per vCPU, 0: none)
   -s                  show a pool's ratelimit (Pool-0, or -p's); with -r,
                       set it (0 or 100-500000 us)

Values are checked before anything is sent. As in xl, -p cannot be
combined with -d, -w or -c; unlike xl, -r without -s is an error rather
than ignored. With -N a change is printed, not made.

EXAMPLES:
   xgo sched-credit2
   xgo sched-credit2 -d guest1 -w 512
   xgo sched-credit2 -s -p Pool-0 -r 1000`
	} else {
		flags = append(flags,
			&cli.StringFlag{Name: "tslice_ms", Aliases: []string{"t"}, Usage: "set the pool's time slice to `MS`"},
			&cli.StringFlag{Name: "migration_delay_us", Aliases: []string{"m"}, Usage: "set the pool's migration delay to `US`"})
	}
	flags = append(flags,
		&cli.StringFlag{Name: "ratelimit_us", Aliases: []string{"r"}, Usage: "set the pool's rate limit to `US` (0: off)"},
		&cli.StringFlag{Name: "cpupool", Aliases: []string{"p"}, Usage: "restrict to `POOL`"})
	return &cli.Command{
		Name: name, Usage: usage, ArgsUsage: args, Description: desc, Flags: flags,
		Action: func(c *cli.Context) error {
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return runSchedCredit(c, e, name, s)
		},
	}
}

func runSchedCredit(c *cli.Context, e *env, cmd string, s hypercall.Scheduler) error {
	ctx := c.Context
	dom, pool := c.String("domain"), c.String("cpupool")
	hasDom, hasPool, optS := c.IsSet("domain"), c.IsSet("cpupool"), c.Bool("schedparam")
	var change sched.DomainChange
	var pc sched.PoolChange
	var err error
	if change.Weight, err = intFlag(c, cmd, "weight"); err != nil {
		return err
	}
	if change.Cap, err = intFlag(c, cmd, "cap"); err != nil {
		return err
	}
	if pc.RatelimitUS, err = intFlag(c, cmd, "ratelimit_us"); err != nil {
		return err
	}
	if s == hypercall.SchedCredit {
		if pc.TsliceMS, err = intFlag(c, cmd, "tslice_ms"); err != nil {
			return err
		}
		if pc.MigrationDelayUS, err = intFlag(c, cmd, "migration_delay_us"); err != nil {
			return err
		}
	}
	opts := sched.CreditOptions{Scheduler: s, Domain: hasDom, Pool: hasPool, Show: optS, DomainChange: change, PoolChange: pc}
	if err := opts.Check(); err != nil {
		return usagef("%s: %v", cmd, err)
	}
	save := !e.global.DryRun && (!change.IsZero() || !pc.IsZero())
	return withPools(ctx, e, save, func(m *cpupool.Manager) error {
		h, err := readSchedHost(ctx, m)
		if err != nil {
			return err
		}
		out := &SchedOutput{SchemaVersion: schemaVersion, Scheduler: s.String()}
		switch {
		case optS:
			p, err := h.targetPool(pool, hasPool)
			if err != nil {
				return err
			}
			if pc.IsZero() {
				line, params, perr := poolLine(m, p, s)
				out.lines = append(out.lines, line)
				out.Pools = []SchedPoolItem{{ID: p.ID, Name: p.Name, Params: params}}
				if perr != nil {
					// xl prints the line and exits 0; say why on stderr.
					e.warnf("%v", perr)
				}
				return e.out.render(out)
			}
			sp := sched.Pool{ID: p.ID, Name: p.Name, Scheduler: p.Scheduler}
			if err := pc.Check(s); err != nil {
				return poolErr(cmd, err)
			}
			cur, err := sched.PoolParams(m.Hypervisor(), sp, s)
			if err != nil {
				return err
			}
			next, err := pc.Apply(cur)
			if err != nil {
				return poolErr(cmd, err)
			}
			return schedChange(e, cmd, fmt.Sprintf("set the %s parameters of cpupool %s", s, p.Label()),
				poolParamsStep(p, s, sched.PoolParamsText(next)),
				func() error { return sched.SetPoolParams(m.Hypervisor(), sp, next) })
		case !hasDom:
			err := h.listing(out, s, pool, weightHeader(), func(d cpupool.Domain) ([]string, SchedDomainItem, error) {
				l, it, err := h.weightRow(d, s)
				return []string{l}, it, err
			})
			return renderPartial(e, out, err)
		}
		d, derr := h.domain(dom)
		if errors.Is(derr, cpupool.ErrNotFound) {
			return derr // xl's find_domain fails before the header
		}
		if change.IsZero() {
			out.lines = append(out.lines, weightHeader())
			if derr != nil {
				return renderPartial(e, out, derr)
			}
			l, it, err := h.weightRow(d, s)
			if err == nil {
				out.lines = append(out.lines, l)
				out.Domains = []SchedDomainItem{it}
			}
			return renderPartial(e, out, err)
		}
		if derr != nil {
			return derr
		}
		p := h.poolOf(d)
		if p.Scheduler != s {
			return fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not %s", d.Label(), p.Label(), p.Scheduler, s)
		}
		sd := d.Sched(p)
		if err := change.Check(s, sd); err != nil {
			return poolErr(cmd, err)
		}
		cur, err := sched.DomainParams(m.Hypervisor(), sd, s)
		if err != nil {
			return err
		}
		next, err := change.Apply(cur, sd)
		if err != nil {
			return poolErr(cmd, err)
		}
		return schedChange(e, cmd, fmt.Sprintf("set the %s weight and cap of domain %s", s, d.Label()),
			domainParamsStep(d, "domctl scheduler_op putinfo", fmt.Sprintf("%s weight=%d cap=%d", s, next.Weight, next.Cap)),
			func() error { return sched.SetDomainParams(m.Hypervisor(), sd, next) })
	})
}

// targetPool is -p's pool, or Pool-0 (id 0) as xl defaults for -s.
func (h *schedHost) targetPool(q string, given bool) (cpupool.Pool, error) {
	if !given {
		q = "0"
	}
	return cpupool.ResolvePool(h.pools, q)
}

// --------------------------------------------------------- sched-rtds

func schedRTDSCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "sched-rtds",
		Usage:     "Get or set rtds scheduler parameters of domains and their vCPUs, like xl sched-rtds",
		ArgsUsage: "[-d <domain>] [-v <id|all>]... [-p <period>]... [-b <budget>]... [-e <0|1>]... [--cpupool=<pool>]",
		Description: `Without options, lists every rtds cpupool and its domains with the
domain-level period and budget Xen reports (its defaults), as xl
sched-rtds prints them; --cpupool=POOL lists one pool.

   -d DOMAIN           show the domain
   -v, --vcpuid ID|all show the vCPU (repeat for more) or all vCPUs;
                       with -p, -b and -e (one of each per vCPU, or one
                       of each for all), set them: period and budget in
                       us (at least 10, budget <= period), extratime 1/0

As in xl, the pool option has no short form: xl's getopt string makes
-c take no value (xl silently ignores "-c POOL"); xgo refuses -c and asks
for --cpupool=POOL. After the command name -v is xl's vCPU id, not xgo's
global -v (verbose): write --verbose, or -v before the command name
(xgo -v sched-rtds ...). Values are checked before anything is sent;
with -N a change is printed, not made.

EXAMPLES:
   xgo sched-rtds
   xgo sched-rtds -d rt1 -v all
   xgo sched-rtds -d rt1 -v 0 -p 10000 -b 4000 -e 1
   xgo -v sched-rtds -d rt1 -v 0 -v 1 -p 10000 -b 4000 -e 1 -p 20000 -b 8000 -e 0`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "domain", Aliases: []string{"d"}, Usage: "the `DOMAIN` to show or change"},
			&cli.StringSliceFlag{Name: "vcpuid", Aliases: []string{"v"}, Usage: "the vCPU `ID` (or all) to show or change; repeatable (shadows the global -v)"},
			&cli.StringSliceFlag{Name: "period", Aliases: []string{"p"}, Usage: "set the vCPU's period to `US`; repeatable"},
			&cli.StringSliceFlag{Name: "budget", Aliases: []string{"b"}, Usage: "set the vCPU's budget to `US`; repeatable"},
			&cli.StringSliceFlag{Name: "extratime", Aliases: []string{"e"}, Usage: "set the vCPU's extratime (`1|0`); repeatable"},
			&cli.StringFlag{Name: "cpupool", Usage: "restrict the listing to `POOL`"},
			&cli.BoolFlag{Name: "c", Usage: "xl's -c, which takes no value: use --cpupool=POOL", DisableDefaultText: true, Hidden: true},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("c") {
				return usagef("sched-rtds: -c takes no value in xl and selects no pool (xl ignores \"-c POOL\"); write --cpupool=POOL")
			}
			if _, err := checkArgs(c, 0, 0); err != nil {
				return err
			}
			return runSchedRTDS(c, e)
		},
	}
}

func runSchedRTDS(c *cli.Context, e *env) error {
	const cmd = "sched-rtds"
	ctx := c.Context
	dom, pool := c.String("domain"), c.String("cpupool")
	hasDom, hasPool := c.IsSet("domain"), c.IsSet("cpupool")
	var vcpus []int64
	all := false
	for _, v := range c.StringSlice("vcpuid") {
		if v == "all" {
			all = true
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return usagef("%s: invalid vCPU %q (want a number or all)", cmd, v)
		}
		vcpus = append(vcpus, n)
	}
	nums := func(name string) ([]int64, error) {
		var out []int64
		for _, v := range c.StringSlice(name) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, usagef("%s: invalid value %q for --%s: not a number", cmd, v, name)
			}
			out = append(out, n)
		}
		return out, nil
	}
	periods, err := nums("period")
	if err != nil {
		return err
	}
	budgets, err := nums("budget")
	if err != nil {
		return err
	}
	var extras []bool
	for _, v := range c.StringSlice("extratime") {
		if v != "0" && v != "1" {
			return usagef("%s: Invalid extratime %q (want 1 or 0).", cmd, v)
		}
		extras = append(extras, v == "1")
	}
	opts := sched.RTDSOptions{Domain: hasDom, Pool: hasPool, AllVCPUs: all,
		VCPUs: len(vcpus), Periods: len(periods), Budgets: len(budgets), Extratimes: len(extras)}
	if err := opts.Check(); err != nil {
		return usagef("%s: %v", cmd, err)
	}
	optV := len(vcpus) > 0
	setting := len(periods) > 0
	return withPools(ctx, e, setting && !e.global.DryRun, func(m *cpupool.Manager) error {
		h, err := readSchedHost(ctx, m)
		if err != nil {
			return err
		}
		out := &SchedOutput{SchemaVersion: schemaVersion, Scheduler: "rtds"}
		if !hasDom {
			if all {
				err = h.listing(out, hypercall.SchedRTDS, pool, rtdsVCPUHeader(), func(d cpupool.Domain) ([]string, SchedDomainItem, error) {
					return h.rtdsVCPURows(d, nil)
				})
			} else {
				err = h.listing(out, hypercall.SchedRTDS, pool, rtdsHeader(), func(d cpupool.Domain) ([]string, SchedDomainItem, error) {
					l, it, err := h.rtdsRow(d)
					return []string{l}, it, err
				})
			}
			return renderPartial(e, out, err)
		}
		d, derr := h.domain(dom)
		if errors.Is(derr, cpupool.ErrNotFound) {
			return derr // xl's find_domain fails before the header
		}
		if !optV && !all {
			out.lines = append(out.lines, rtdsHeader())
			if derr != nil {
				return renderPartial(e, out, derr)
			}
			l, it, err := h.rtdsRow(d)
			if err == nil {
				out.lines = append(out.lines, l)
				out.Domains = []SchedDomainItem{it}
			}
			return renderPartial(e, out, err)
		}
		if !setting {
			out.lines = append(out.lines, rtdsVCPUHeader())
			if derr != nil {
				return renderPartial(e, out, derr)
			}
			var ids []uint32
			for _, v := range vcpus {
				if v > int64(d.MaxVCPUID) {
					return renderPartial(e, out, poolErr(cmd, &sched.InvalidError{Param: "vcpu", Value: fmt.Sprint(v), Reason: fmt.Sprintf("domain %s has vCPUs 0-%d", d.Label(), d.MaxVCPUID), Host: true}))
				}
				ids = append(ids, uint32(v))
			}
			ls, it, err := h.rtdsVCPURows(d, ids)
			if err == nil {
				out.lines = append(out.lines, ls...)
				out.Domains = []SchedDomainItem{it}
			}
			return renderPartial(e, out, err)
		}
		if derr != nil {
			return derr
		}
		p := h.poolOf(d)
		if p.Scheduler != hypercall.SchedRTDS {
			return fmt.Errorf("domain %s is in cpupool %s, which uses the %s scheduler, not rtds: per-vCPU parameters are rtds only", d.Label(), p.Label(), p.Scheduler)
		}
		var changes []sched.VCPUChange
		if all {
			changes = []sched.VCPUChange{{VCPU: -1, PeriodUS: periods[0], BudgetUS: budgets[0], Extratime: extras[0]}}
		} else {
			for i, v := range vcpus {
				changes = append(changes, sched.VCPUChange{VCPU: v, PeriodUS: periods[i], BudgetUS: budgets[i], Extratime: extras[i]})
			}
		}
		sd := d.Sched(p)
		var words []string
		for _, ch := range changes {
			if err := ch.Check(sd); err != nil {
				return poolErr(cmd, err)
			}
			v := "all"
			if ch.VCPU >= 0 {
				v = strconv.FormatInt(ch.VCPU, 10)
			}
			words = append(words, fmt.Sprintf("vcpu %s period=%dus budget=%dus extratime=%s", v, ch.PeriodUS, ch.BudgetUS, yesNo(ch.Extratime)))
		}
		return schedChange(e, cmd, fmt.Sprintf("set the rtds parameters of domain %s", d.Label()),
			domainParamsStep(d, "domctl scheduler_op putvcpuinfo", "rtds "+strings.Join(words, "; ")),
			func() error {
				_, err := sched.SetVCPUParams(m.Hypervisor(), sd, hypercall.SchedRTDS, changes)
				return err
			})
	})
}
