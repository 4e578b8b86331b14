package sched_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"xgo.dev/xgo/hypercall"
	"xgo.dev/xgo/sched"
	"xgo.dev/xgo/xensim"
)

func i64(v int64) *int64 { return &v }

func TestCheckPoolParams(t *testing.T) {
	credit := func(ts, rl, md uint32) hypercall.PoolSchedParams {
		return hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit, TsliceMS: ts, RatelimitUS: rl, MigrationDelayUS: md}
	}
	credit2 := func(rl uint32) hypercall.PoolSchedParams {
		return hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit2, RatelimitUS: rl}
	}
	tests := []struct {
		p    hypercall.PoolSchedParams
		want string // "" for valid
	}{
		{credit(30, 1000, 0), ""},
		{credit(1, 0, 100000), ""},
		{credit(1000, 500000, 0), ""},
		{credit(1, 1000, 0), ""},
		{credit(1, 1001, 0), "invalid ratelimit 1001us: must not be longer than the time slice (1ms)"},
		{credit(0, 0, 0), "invalid tslice 0ms: must be between 1 and 1000 ms"},
		{credit(1001, 0, 0), "invalid tslice 1001ms: must be between 1 and 1000 ms"},
		{credit(30, 99, 0), "invalid ratelimit 99us: must be 0 (off) or between 100 and 500000 us"},
		{credit(30, 1000, 100001), "invalid migration-delay 100001us: must be between 0 and 100000 us"},
		{credit2(0), ""},
		{credit2(100), ""},
		{credit2(500001), "invalid ratelimit 500001us: must be 0 (off) or between 100 and 500000 us"},
		{hypercall.PoolSchedParams{Scheduler: hypercall.SchedRTDS}, "rtds: has no parameters per cpupool"},
	}
	for _, tt := range tests {
		err := sched.CheckPoolParams(tt.p)
		got := ""
		if err != nil {
			got = err.Error()
			if !errors.Is(err, sched.ErrInvalid) {
				t.Errorf("%+v: %v is not ErrInvalid", tt.p, err)
			}
		}
		if got != tt.want {
			t.Errorf("CheckPoolParams(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestParsePoolParams(t *testing.T) {
	c, err := sched.ParsePoolParams(hypercall.SchedCredit, []string{"tslice=10ms", "ratelimit_us=500", "migration-delay=20us"})
	if err != nil || c.String() != "tslice=10ms ratelimit=500us migration-delay=20us" {
		t.Errorf("credit: %q, %v", c, err)
	}
	for _, tt := range []struct {
		s    hypercall.Scheduler
		args []string
		want string
	}{
		{hypercall.SchedCredit2, []string{"tslice=10"}, "credit2: has only the ratelimit parameter per cpupool"},
		{hypercall.SchedCredit, []string{"slice=10"}, `invalid parameter "slice": unknown; want tslice=MS, ratelimit=US, migration-delay=US`},
		{hypercall.SchedCredit, []string{"tslice"}, `invalid parameter "tslice": want KEY=VALUE`},
		{hypercall.SchedCredit, []string{"tslice=ten"}, `invalid tslice "ten": not a number of milliseconds`},
		{hypercall.SchedCredit, []string{"tslice=5000"}, "invalid tslice 5000ms: must be between 1 and 1000 ms"},
		{hypercall.SchedRTDS, []string{"ratelimit=100"}, "rtds: has no parameters per cpupool that xgo can set"},
	} {
		_, err := sched.ParsePoolParams(tt.s, tt.args)
		if err == nil || err.Error() != tt.want || !errors.Is(err, sched.ErrInvalid) {
			t.Errorf("ParsePoolParams(%s, %q) = %v, want %q", tt.s, tt.args, err, tt.want)
		}
	}
	// A combination is checked by Apply.
	c, _ = sched.ParsePoolParams(hypercall.SchedCredit, []string{"ratelimit=40000"})
	if _, err := c.Apply(sched.DefaultPoolParams(hypercall.SchedCredit)); err == nil || !strings.Contains(err.Error(), "time slice (30ms)") {
		t.Errorf("Apply: %v", err)
	}
}

func TestPoolParamsText(t *testing.T) {
	for _, tt := range []struct {
		p    hypercall.PoolSchedParams
		want string
	}{
		{hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit, TsliceMS: 30, RatelimitUS: 1000}, "tslice=30ms ratelimit=1000us migration-delay=0us"},
		{hypercall.PoolSchedParams{Scheduler: hypercall.SchedCredit2, RatelimitUS: 1000}, "ratelimit=1000us"},
		{hypercall.PoolSchedParams{Scheduler: hypercall.SchedRTDS}, "sched=RTDS"},
		{hypercall.PoolSchedParams{Scheduler: hypercall.SchedNull}, ""},
	} {
		if got := sched.PoolParamsText(tt.p); got != tt.want {
			t.Errorf("PoolParamsText(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestDomainChecks(t *testing.T) {
	d := sched.Domain{ID: 3, Name: "g", MaxVCPUID: 1}
	for _, tt := range []struct {
		s    hypercall.Scheduler
		c    sched.DomainChange
		want string
	}{
		{hypercall.SchedCredit, sched.DomainChange{Weight: i64(1)}, ""},
		{hypercall.SchedCredit, sched.DomainChange{Weight: i64(65535), Cap: i64(200)}, ""},
		{hypercall.SchedCredit2, sched.DomainChange{Cap: i64(0)}, ""},
		{hypercall.SchedCredit, sched.DomainChange{Weight: i64(0)}, "invalid weight 0: must be between 1 and 65535"},
		{hypercall.SchedCredit2, sched.DomainChange{Weight: i64(65536)}, "invalid weight 65536: must be between 1 and 65535"},
		{hypercall.SchedCredit, sched.DomainChange{Cap: i64(201)}, "invalid cap 201: must be between 0 and 200 for domain 'g' (3) with 2 vCPUs (0: no cap)"},
		{hypercall.SchedCredit, sched.DomainChange{Cap: i64(-1)}, "invalid cap -1: must be between 0 and 200"},
		{hypercall.SchedRTDS, sched.DomainChange{Weight: i64(5)}, "rtds: has no weight or cap"},
	} {
		err := tt.c.Check(tt.s, d)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
			t.Errorf("%s %s: %q, want %q", tt.s, tt.c, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v    sched.VCPUChange
		want string
	}{
		{sched.VCPUChange{VCPU: 1, PeriodUS: 10000, BudgetUS: 4000}, ""},
		{sched.VCPUChange{VCPU: -1, PeriodUS: 10, BudgetUS: 10}, ""},
		{sched.VCPUChange{VCPU: 2, PeriodUS: 10000, BudgetUS: 4000}, "invalid vcpu 2: domain 'g' (3) has vCPUs 0-1"},
		{sched.VCPUChange{VCPU: 0, PeriodUS: 9, BudgetUS: 9}, "invalid period 9us: must be at least 10 us"},
		{sched.VCPUChange{VCPU: 0, PeriodUS: 100, BudgetUS: 200}, "invalid budget 200us: must not be longer than the period (100us)"},
		{sched.VCPUChange{VCPU: 0, PeriodUS: 100, BudgetUS: 0}, "invalid budget 0us: must be at least 10 us"},
	} {
		err := tt.v.Check(d)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.v, got, tt.want)
		}
	}
}

const spec = `
xen: {version: "4.17", extraversion: ".5"}
cpus: {sockets: 1, coresPerSocket: 4, threadsPerCore: 1}
memory: {nodeMiB: [2048]}
schedulers: {built: [credit, credit2, rtds], default: credit2}
pools:
  - {id: 1, name: c1, scheduler: credit, cpus: "2"}
  - {id: 2, name: rt, scheduler: rtds, cpus: "3"}
domains:
  - {name: Domain-0, domid: 0, vcpus: 2, memoryMiB: 512}
  - {name: g, domid: 1, vcpus: 2, memoryMiB: 128, pool: 1}
  - {name: r, domid: 2, vcpus: 2, memoryMiB: 128, pool: 2}
`

func TestAgainstSim(t *testing.T) {
	s, err := xensim.ParseSpec([]byte(spec), "spec")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := xensim.New(s)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	hv := sim.Host()
	c1 := sched.Pool{ID: 1, Name: "c1", Scheduler: hypercall.SchedCredit}
	got, err := sched.ChangePoolParams(hv, c1, hypercall.SchedCredit, sched.PoolChange{TsliceMS: i64(10)})
	if err != nil || sched.PoolParamsText(got) != "tslice=10ms ratelimit=1000us migration-delay=0us" {
		t.Errorf("ChangePoolParams = %q, %v", sched.PoolParamsText(got), err)
	}
	// The wrong scheduler is explained with the pool's.
	_, err = sched.PoolParams(hv, c1, hypercall.SchedCredit2)
	if err == nil || err.Error() != "cpupool 'c1' uses the credit scheduler, not credit2" || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("PoolParams(credit2) = %v", err)
	}
	_, err = sched.PoolParams(hv, sched.Pool{ID: 9, Name: "x"}, hypercall.SchedCredit)
	if err == nil || err.Error() != "cpupool 'x' (id 9) does not exist" {
		t.Errorf("PoolParams(9) = %v", err)
	}

	g := sched.Domain{ID: 1, Name: "g", MaxVCPUID: 1, Pool: c1}
	dp, err := sched.ChangeDomainParams(hv, g, hypercall.SchedCredit, sched.DomainChange{Weight: i64(512), Cap: i64(150)})
	if err != nil || dp.Weight != 512 || dp.Cap != 150 {
		t.Errorf("ChangeDomainParams = %+v, %v", dp, err)
	}
	if dp, _ := sched.DomainParams(hv, g, hypercall.SchedCredit); dp.Weight != 512 || dp.Cap != 150 {
		t.Errorf("after change: %+v", dp)
	}
	_, err = sched.DomainParams(hv, g, hypercall.SchedCredit2)
	if err == nil || err.Error() != "domain 'g' (1) is in cpupool 'c1', which uses the credit scheduler, not credit2" {
		t.Errorf("DomainParams(credit2) = %v", err)
	}

	r := sched.Domain{ID: 2, Name: "r", MaxVCPUID: 1, Pool: sched.Pool{ID: 2, Name: "rt", Scheduler: hypercall.SchedRTDS}}
	if _, err := sched.SetVCPUParams(hv, r, hypercall.SchedRTDS, []sched.VCPUChange{{VCPU: -1, PeriodUS: 20000, BudgetUS: 5000, Extratime: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.SetVCPUParams(hv, r, hypercall.SchedRTDS, []sched.VCPUChange{{VCPU: 1, PeriodUS: 30000, BudgetUS: 6000}}); err != nil {
		t.Fatal(err)
	}
	vs, err := sched.VCPUParams(hv, r, hypercall.SchedRTDS, nil)
	if err != nil || len(vs) != 2 || vs[0].PeriodUS != 20000 || !vs[0].Extratime || vs[1].PeriodUS != 30000 || vs[1].Extratime {
		t.Errorf("VCPUParams = %+v, %v", vs, err)
	}
}
