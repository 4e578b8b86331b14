package sched

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"xgo.dev/xgo/hypercall"
)

// Limits of the pool parameters (xen/include/public/sysctl.h
// XEN_SYSCTL_SCHED_RATELIMIT_*, XEN_SYSCTL_CSCHED_TSLICE_*,
// XEN_SYSCTL_CSCHED_MGR_DLY_MAX_US), as libxl checks them.
const (
	RatelimitMinUS      = 100
	RatelimitMaxUS      = 500000
	TsliceMinMS         = 1
	TsliceMaxMS         = 1000
	MigrationDelayMaxUS = 100000
)

// Limits of the domain parameters: libxl's weight range, and RTDS's
// minimum period and budget (xen/common/sched/rt.c RTDS_MIN_PERIOD,
// RTDS_MIN_BUDGET), which Xen enforces for per-vCPU changes.
const (
	WeightMin       = 1
	WeightMax       = 65535
	CapPerVCPU      = 100 // a cap is in percent of one CPU, at most 100 per vCPU
	RTDSMinPeriodUS = 10
	RTDSMinBudgetUS = 10
)

// Defaults Xen gives a new pool and a domain entering one, when the boot
// command line does not change them (sched_credit_tslice_ms,
// sched_ratelimit_us; CSCHED_DEFAULT_WEIGHT, CSCHED2_DEFAULT_WEIGHT,
// RTDS_DEFAULT_PERIOD/BUDGET).
const (
	DefaultTsliceMS      = 30
	DefaultRatelimitUS   = 1000
	DefaultWeight        = 256
	DefaultRTDSPeriodUS  = 10000
	DefaultRTDSBudgetUS  = 4000
	defaultMigrDelayUS   = 0
	defaultCredit2RateUS = 1000
)

// DefaultPoolParams returns the parameters Xen gives a new pool of sched
// when the boot command line does not change them.
func DefaultPoolParams(s hypercall.Scheduler) hypercall.PoolSchedParams {
	p := hypercall.PoolSchedParams{Scheduler: s}
	switch s {
	case hypercall.SchedCredit:
		p.TsliceMS, p.RatelimitUS, p.MigrationDelayUS = DefaultTsliceMS, DefaultRatelimitUS, defaultMigrDelayUS
	case hypercall.SchedCredit2:
		p.RatelimitUS = defaultCredit2RateUS
	}
	return p
}

// HasPoolParams reports whether sched has parameters per pool that xgo
// can set (credit and credit2).
func HasPoolParams(s hypercall.Scheduler) bool {
	return s == hypercall.SchedCredit || s == hypercall.SchedCredit2
}

// HasWeight reports whether sched has per-domain weight and cap (credit
// and credit2).
func HasWeight(s hypercall.Scheduler) bool {
	return s == hypercall.SchedCredit || s == hypercall.SchedCredit2
}

// PoolParamsText is the parameter part of xl's "Cpupool NAME: ..." line:
// "tslice=30ms ratelimit=1000us migration-delay=0us" for credit,
// "ratelimit=1000us" for credit2, "sched=RTDS" for rtds, "" otherwise.
func PoolParamsText(p hypercall.PoolSchedParams) string {
	switch p.Scheduler {
	case hypercall.SchedCredit:
		return fmt.Sprintf("tslice=%dms ratelimit=%dus migration-delay=%dus", int32(p.TsliceMS), int32(p.RatelimitUS), int32(p.MigrationDelayUS))
	case hypercall.SchedCredit2:
		return fmt.Sprintf("ratelimit=%dus", int32(p.RatelimitUS))
	case hypercall.SchedRTDS:
		return "sched=RTDS"
	}
	return ""
}

// CheckPoolParams checks complete pool parameters the way libxl does
// before it sends them (libxl_sched_credit_params_set,
// libxl_sched_credit2_params_set): credit's time slice 1–1000 ms, a rate
// limit of 0 or 100–500000 µs that is not longer than the time slice,
// a migration delay of at most 100000 µs; credit2's rate limit likewise.
func CheckPoolParams(p hypercall.PoolSchedParams) error {
	switch p.Scheduler {
	case hypercall.SchedCredit:
		if err := checkTslice(int64(p.TsliceMS)); err != nil {
			return err
		}
		if err := checkRatelimit(int64(p.RatelimitUS)); err != nil {
			return err
		}
		if int64(p.RatelimitUS) > int64(p.TsliceMS)*1000 {
			return invalid("ratelimit", fmt.Sprintf("%dus", p.RatelimitUS), "must not be longer than the time slice (%dms)", p.TsliceMS)
		}
		return checkMigrDelay(int64(p.MigrationDelayUS))
	case hypercall.SchedCredit2:
		return checkRatelimit(int64(p.RatelimitUS))
	case hypercall.SchedRTDS, hypercall.SchedNull:
		return &InvalidError{Param: p.Scheduler.String(), Reason: "has no parameters per cpupool"}
	case hypercall.SchedARINC653:
		return &InvalidError{Param: p.Scheduler.String(), Reason: "schedules are not supported by xgo"}
	}
	return &InvalidError{Param: "scheduler", Value: p.Scheduler.String(), Reason: "unknown"}
}

func checkTslice(v int64) error {
	if v < TsliceMinMS || v > TsliceMaxMS {
		return invalid("tslice", fmt.Sprintf("%dms", v), "must be between %d and %d ms", TsliceMinMS, TsliceMaxMS)
	}
	return nil
}

func checkRatelimit(v int64) error {
	if v != 0 && (v < RatelimitMinUS || v > RatelimitMaxUS) {
		return invalid("ratelimit", fmt.Sprintf("%dus", v), "must be 0 (off) or between %d and %d us", RatelimitMinUS, RatelimitMaxUS)
	}
	return nil
}

func checkMigrDelay(v int64) error {
	if v < 0 || v > MigrationDelayMaxUS {
		return invalid("migration-delay", fmt.Sprintf("%dus", v), "must be between 0 and %d us", MigrationDelayMaxUS)
	}
	return nil
}

// PoolChange is a change of some pool parameters; nil fields stay as
// they are.
type PoolChange struct {
	TsliceMS         *int64 `json:"tsliceMS,omitempty" yaml:"tsliceMS,omitempty"`
	RatelimitUS      *int64 `json:"ratelimitUS,omitempty" yaml:"ratelimitUS,omitempty"`
	MigrationDelayUS *int64 `json:"migrationDelayUS,omitempty" yaml:"migrationDelayUS,omitempty"`
}

// IsZero reports whether c changes nothing.
func (c PoolChange) IsZero() bool {
	return c.TsliceMS == nil && c.RatelimitUS == nil && c.MigrationDelayUS == nil
}

// String gives c as KEY=VALUE words in xl's spelling, e.g.
// "tslice=10ms ratelimit=500us".
func (c PoolChange) String() string {
	var w []string
	if c.TsliceMS != nil {
		w = append(w, fmt.Sprintf("tslice=%dms", *c.TsliceMS))
	}
	if c.RatelimitUS != nil {
		w = append(w, fmt.Sprintf("ratelimit=%dus", *c.RatelimitUS))
	}
	if c.MigrationDelayUS != nil {
		w = append(w, fmt.Sprintf("migration-delay=%dus", *c.MigrationDelayUS))
	}
	return strings.Join(w, " ")
}

// Check checks the fields c sets for scheduler s, each on its own: that
// s has them, and their ranges. Apply also checks the combination.
func (c PoolChange) Check(s hypercall.Scheduler) error {
	if c.IsZero() {
		return nil
	}
	if !HasPoolParams(s) {
		return &InvalidError{Param: s.String(), Reason: "has no parameters per cpupool that xgo can set"}
	}
	if s == hypercall.SchedCredit2 && (c.TsliceMS != nil || c.MigrationDelayUS != nil) {
		return &InvalidError{Param: "credit2", Reason: "has only the ratelimit parameter per cpupool"}
	}
	if c.TsliceMS != nil {
		if err := checkTslice(*c.TsliceMS); err != nil {
			return err
		}
	}
	if c.RatelimitUS != nil {
		if err := checkRatelimit(*c.RatelimitUS); err != nil {
			return err
		}
	}
	if c.MigrationDelayUS != nil {
		if err := checkMigrDelay(*c.MigrationDelayUS); err != nil {
			return err
		}
	}
	return nil
}

// Apply returns p with c's fields replaced, after checking them and the
// result (CheckPoolParams).
func (c PoolChange) Apply(p hypercall.PoolSchedParams) (hypercall.PoolSchedParams, error) {
	if err := c.Check(p.Scheduler); err != nil {
		return p, err
	}
	if c.TsliceMS != nil {
		p.TsliceMS = uint32(*c.TsliceMS)
	}
	if c.RatelimitUS != nil {
		p.RatelimitUS = uint32(*c.RatelimitUS)
	}
	if c.MigrationDelayUS != nil {
		p.MigrationDelayUS = uint32(*c.MigrationDelayUS)
	}
	return p, CheckPoolParams(p)
}

// poolKeys maps every accepted spelling of a pool parameter to its
// canonical name and unit: xl's output spelling (tslice, ratelimit,
// migration-delay) and xl's long option names (tslice_ms, ratelimit_us,
// migration_delay_us).
var poolKeys = map[string]struct{ name, unit string }{
	"tslice":             {"tslice", "ms"},
	"tslice_ms":          {"tslice", "ms"},
	"ratelimit":          {"ratelimit", "us"},
	"ratelimit_us":       {"ratelimit", "us"},
	"migration-delay":    {"migration-delay", "us"},
	"migration_delay":    {"migration-delay", "us"},
	"migration_delay_us": {"migration-delay", "us"},
}

// ParsePoolParams reads KEY=VALUE words for a pool of scheduler s:
// tslice=MS, ratelimit=US, migration-delay=US (credit) or ratelimit=US
// (credit2). xl's spellings (tslice_ms=, ratelimit_us=,
// migration_delay_us=) and a unit suffix as xl prints it ("10ms",
// "500us") are accepted. Each value is range-checked; errors match
// ErrInvalid.
func ParsePoolParams(s hypercall.Scheduler, words []string) (PoolChange, error) {
	var c PoolChange
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return c, &InvalidError{Param: "parameter", Value: strconv.Quote(w), Reason: "want KEY=VALUE"}
		}
		key, known := poolKeys[strings.ToLower(k)]
		if !known {
			return c, &InvalidError{Param: "parameter", Value: strconv.Quote(k), Reason: "unknown; want " + strings.Join(poolKeyNames(s), ", ")}
		}
		n, err := parseUnit(key.name, v, key.unit)
		if err != nil {
			return c, err
		}
		switch key.name {
		case "tslice":
			c.TsliceMS = &n
		case "ratelimit":
			c.RatelimitUS = &n
		case "migration-delay":
			c.MigrationDelayUS = &n
		}
	}
	return c, c.Check(s)
}

func poolKeyNames(s hypercall.Scheduler) []string {
	switch s {
	case hypercall.SchedCredit:
		return []string{"tslice=MS", "ratelimit=US", "migration-delay=US"}
	case hypercall.SchedCredit2:
		return []string{"ratelimit=US"}
	}
	names := make([]string, 0, 3)
	for k, v := range poolKeys {
		if k == v.name {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// parseUnit reads a decimal integer with an optional unit suffix.
func parseUnit(param, v, unit string) (int64, error) {
	num := strings.TrimSuffix(v, unit)
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, &InvalidError{Param: param, Value: strconv.Quote(v), Reason: "not a number of " + unitName(unit)}
	}
	return n, nil
}

func unitName(u string) string {
	if u == "ms" {
		return "milliseconds"
	}
	return "microseconds"
}

// DomainChange is a change of a credit or credit2 domain's weight and cap;
// nil fields stay as they are.
type DomainChange struct {
	Weight *int64 `json:"weight,omitempty" yaml:"weight,omitempty"`
	Cap    *int64 `json:"cap,omitempty" yaml:"cap,omitempty"`
}

// IsZero reports whether c changes nothing.
func (c DomainChange) IsZero() bool { return c.Weight == nil && c.Cap == nil }

// String gives c as "weight=512 cap=50".
func (c DomainChange) String() string {
	var w []string
	if c.Weight != nil {
		w = append(w, fmt.Sprintf("weight=%d", *c.Weight))
	}
	if c.Cap != nil {
		w = append(w, fmt.Sprintf("cap=%d", *c.Cap))
	}
	return strings.Join(w, " ")
}

// MaxCap is the largest cap libxl accepts for a domain whose highest vCPU
// id is maxVCPUID: 100 per vCPU. For credit it is also below 65535, the
// value Xen reads as "leave the cap unchanged".
func MaxCap(s hypercall.Scheduler, maxVCPUID uint32) int64 {
	m := int64(maxVCPUID+1) * CapPerVCPU
	if m > 65534 {
		m = 65534
	}
	return m
}

// Check checks c for a domain of scheduler s as libxl does
// (sched_credit_domain_set, sched_credit2_domain_set): weight 1–65535,
// cap 0–100 per vCPU.
func (c DomainChange) Check(s hypercall.Scheduler, d Domain) error {
	if c.IsZero() {
		return nil
	}
	if !HasWeight(s) {
		return &InvalidError{Param: s.String(), Reason: "has no weight or cap"}
	}
	if c.Weight != nil && (*c.Weight < WeightMin || *c.Weight > WeightMax) {
		return invalid("weight", *c.Weight, "must be between %d and %d", WeightMin, WeightMax)
	}
	if c.Cap != nil {
		top, m := MaxCap(s, 1<<31), MaxCap(s, d.MaxVCPUID)
		if *c.Cap > top || *c.Cap < 0 && m == top { // m == top: no domain yet (batch files)
			return invalid("cap", *c.Cap, "must be between 0 and %d (0: no cap; at most %d per vCPU of the domain)", top, CapPerVCPU)
		}
		if *c.Cap < 0 {
			return invalid("cap", *c.Cap, "must be between 0 and %d for %s with %d vCPUs (0: no cap)", m, d, d.MaxVCPUID+1)
		}
		if *c.Cap > m {
			// A cap that some domain could have is refused for this one.
			return refused("cap", *c.Cap, "must be between 0 and %d for %s with %d vCPUs (0: no cap)", m, d, d.MaxVCPUID+1)
		}
	}
	return nil
}

// Apply returns p with c's fields replaced, after Check.
func (c DomainChange) Apply(p hypercall.DomainSchedParams, d Domain) (hypercall.DomainSchedParams, error) {
	if err := c.Check(p.Scheduler, d); err != nil {
		return p, err
	}
	if c.Weight != nil {
		p.Weight = uint16(*c.Weight)
	}
	if c.Cap != nil {
		p.Cap = uint16(*c.Cap)
	}
	return p, nil
}

// VCPUChange sets an rtds vCPU's period, budget and extratime; VCPU < 0
// means every vCPU of the domain ("-v all").
type VCPUChange struct {
	VCPU      int64 `json:"vcpu" yaml:"vcpu"`
	PeriodUS  int64 `json:"periodUS" yaml:"periodUS"`
	BudgetUS  int64 `json:"budgetUS" yaml:"budgetUS"`
	Extratime bool  `json:"extratime" yaml:"extratime"`
}

// Check checks one change for domain d as libxl (sched_rtds_vcpu_set:
// the vCPU exists, period and budget ≥ 1, budget ≤ period) and Xen
// (rt_dom_cntl: period and budget ≥ 10 µs) do.
func (v VCPUChange) Check(d Domain) error {
	if v.VCPU > int64(d.MaxVCPUID) {
		return refused("vcpu", v.VCPU, "%s has vCPUs 0-%d", d, d.MaxVCPUID)
	}
	if v.PeriodUS < RTDSMinPeriodUS || v.PeriodUS > 1<<32-1 {
		return invalid("period", fmt.Sprintf("%dus", v.PeriodUS), "must be at least %d us", RTDSMinPeriodUS)
	}
	if v.BudgetUS < RTDSMinBudgetUS || v.BudgetUS > 1<<32-1 {
		return invalid("budget", fmt.Sprintf("%dus", v.BudgetUS), "must be at least %d us", RTDSMinBudgetUS)
	}
	if v.BudgetUS > v.PeriodUS {
		return invalid("budget", fmt.Sprintf("%dus", v.BudgetUS), "must not be longer than the period (%dus)", v.PeriodUS)
	}
	return nil
}
