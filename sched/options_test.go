package sched

import (
	"testing"

	"xgo.dev/xgo/hypercall"
)

func TestRTDSOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		o    RTDSOptions
		want string
	}{
		{RTDSOptions{}, ""},
		{RTDSOptions{Pool: true}, ""},
		{RTDSOptions{Pool: true, Domain: true}, "Specifying a cpupool is not allowed with other options."},
		{RTDSOptions{Periods: 1}, "Missing parameters."},
		{RTDSOptions{Domain: true, Periods: 1, Budgets: 1, Extratimes: 1}, "Must specify VCPU."},
		{RTDSOptions{Domain: true, VCPUs: 1, AllVCPUs: true}, "Incorrect VCPU IDs."},
		{RTDSOptions{Domain: true, VCPUs: 2, Periods: 1, Budgets: 1, Extratimes: 1}, "Incorrect number of period, budget and extratime"},
		{RTDSOptions{Domain: true, VCPUs: 1, Periods: 1, Budgets: 1}, "Incorrect number of period, budget and extratime"},
		{RTDSOptions{Domain: true, VCPUs: 2, Periods: 2, Budgets: 2, Extratimes: 2}, ""},
		{RTDSOptions{Domain: true, AllVCPUs: true, Periods: 1, Budgets: 1, Extratimes: 1}, ""},
		{RTDSOptions{Domain: true, VCPUs: 3}, ""},
	} {
		checkMsg(t, tc.o, tc.o.Check(), tc.want)
	}
}

func TestCreditOptionsCheck(t *testing.T) {
	one := int64(1)
	w := DomainChange{Weight: &one}
	r := PoolChange{RatelimitUS: &one}
	for _, tc := range []struct {
		o    CreditOptions
		want string
	}{
		{CreditOptions{Scheduler: hypercall.SchedCredit}, ""},
		{CreditOptions{Scheduler: hypercall.SchedCredit, Show: true, Domain: true}, "Specifying a cpupool or schedparam is not allowed with domain options."},
		{CreditOptions{Scheduler: hypercall.SchedCredit2, Show: true, Domain: true}, ""},
		{CreditOptions{Scheduler: hypercall.SchedCredit2, Pool: true, DomainChange: w}, "Specifying a cpupool is not allowed with other options."},
		{CreditOptions{Scheduler: hypercall.SchedCredit2, DomainChange: w}, "Must specify a domain."},
		{CreditOptions{Scheduler: hypercall.SchedCredit, PoolChange: r}, "Must specify schedparam to set schedule parameter values."},
		{CreditOptions{Scheduler: hypercall.SchedCredit, Show: true, Pool: true, PoolChange: r}, ""},
	} {
		checkMsg(t, tc.o, tc.o.Check(), tc.want)
	}
}

// checkMsg fails t unless err's text is want ("" for no error).
func checkMsg(t *testing.T, o any, err error, want string) {
	t.Helper()
	got := ""
	if err != nil {
		got = err.Error()
	}
	if got != want {
		t.Errorf("%+v.Check() = %q, want %q", o, got, want)
	}
}
