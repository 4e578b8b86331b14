// Package sched reads and changes scheduler parameters: per pool
// (XEN_SYSCTL_scheduler_op: credit tslice/ratelimit/migration delay, credit2
// ratelimit) and per domain (XEN_DOMCTL_scheduler_op: credit/credit2 weight
// and cap, rtds period/budget/extratime per vCPU), with the same range rules
// as libxl (tools/libs/light/libxl_sched.c) plus the ones Xen itself
// enforces, so that a value Xen would refuse is refused before anything is
// sent.
//
// Values are checked by Check* functions and applied by Set* functions,
// which check again. An out-of-range or unknown value is an error matching
// ErrInvalid; a Xen refusal is explained in one line naming the pool or
// domain, and still matches the errno (errors.Is(err, syscall.EINVAL)).
//
// The text forms xl prints (for example "tslice=30ms ratelimit=1000us
// migration-delay=0us") are produced by PoolParamsText, and KEY=VALUE
// arguments in the same spelling are read by ParsePoolParams.
package sched
