package sched

import (
	"xgo.dev/xgo/hypercall"
)

// xlRule is an option rule's refusal, in xl's words (capitalised, with
// its full stop): the CLI prints it after the command name.
type xlRule string

func (e xlRule) Error() string { return string(e) }

// RTDSOptions are which of xl sched-rtds's options were given, counted
// as xl counts them (tools/xl/xl_sched.c main_sched_rtds).
type RTDSOptions struct {
	Domain, Pool, AllVCPUs bool
	VCPUs                  int // -v IDs other than "all"
	Periods, Budgets       int
	Extratimes             int
}

// Check applies xl's option rules, in its order and words. The error's
// text is xl's message, without the command name.
func (o RTDSOptions) Check() error {
	optV, optP, optB, optE := o.VCPUs > 0, o.Periods > 0, o.Budgets > 0, o.Extratimes > 0
	switch {
	case o.Pool && (o.Domain || optP || optB || optE || optV || o.AllVCPUs):
		return xlRule("Specifying a cpupool is not allowed with other options.")
	case !o.Domain && (optP || optB || optE || optV):
		return xlRule("Missing parameters.")
	case o.Domain && !optV && !o.AllVCPUs && (optP || optB || optE):
		return xlRule("Must specify VCPU.")
	case optV && o.AllVCPUs:
		return xlRule("Incorrect VCPU IDs.")
	case (o.VCPUs > o.Budgets && optB) || (o.VCPUs > o.Periods && optP) ||
		(o.VCPUs > o.Extratimes && optE) || o.Periods != o.Budgets || o.Periods != o.Extratimes:
		return xlRule("Incorrect number of period, budget and extratime")
	}
	return nil
}

// CreditOptions are which of xl sched-credit's (or sched-credit2's)
// options were given (main_sched_credit, main_sched_credit2).
type CreditOptions struct {
	Scheduler          hypercall.Scheduler // credit or credit2
	Domain, Pool, Show bool                // -d, -p, -s
	DomainChange       DomainChange        // -w, -c
	PoolChange         PoolChange          // -t, -r, -m
}

// Check applies xl's option rules, in its order and words (without the
// command name).
func (o CreditOptions) Check() error {
	domOpts := o.Domain || !o.DomainChange.IsZero()
	if o.Scheduler == hypercall.SchedCredit {
		if (o.Pool || o.Show) && domOpts {
			return xlRule("Specifying a cpupool or schedparam is not allowed with domain options.")
		}
	} else if o.Pool && domOpts {
		return xlRule("Specifying a cpupool is not allowed with other options.")
	}
	if !o.Domain && !o.DomainChange.IsZero() {
		return xlRule("Must specify a domain.")
	}
	if !o.Show && !o.PoolChange.IsZero() {
		return xlRule("Must specify schedparam to set schedule parameter values.")
	}
	return nil
}
