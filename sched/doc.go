// Package sched reads and changes scheduler parameters: per pool
// (XEN_SYSCTL_scheduler_op: credit tslice/ratelimit/migration delay, credit2
// ratelimit) and per domain (XEN_DOMCTL_scheduler_op: credit/credit2 weight
// and cap, rtds period/budget/extratime), with the same range rules as libxl.
package sched
