package sched

import (
	"errors"
	"fmt"
	"syscall"

	"xgo.dev/xgo/hypercall"
)

// ErrInvalid is matched by errors about a value that can never be right:
// out of range, unknown parameter, not a number. Nothing was sent to Xen.
var ErrInvalid = errors.New("invalid scheduler parameter")

// ErrRefused is matched by errors about a value that is right for some
// domain but not for this one (a cap above 100 per vCPU of the domain, a
// vCPU it does not have). Nothing was sent to Xen.
var ErrRefused = errors.New("scheduler parameter refused for this domain")

// InvalidError names the parameter and value that are wrong, and why.
type InvalidError struct {
	Param  string // e.g. "tslice", "weight"
	Value  string // as given
	Reason string // e.g. "must be between 1 and 1000 ms"
	// Host is set when the value is wrong only for this host's domain or
	// pool: the error then matches ErrRefused instead of ErrInvalid.
	Host bool
}

func (e *InvalidError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Param, e.Reason)
	}
	return fmt.Sprintf("invalid %s %s: %s", e.Param, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrInvalid) true, or ErrRefused for Host.
func (e *InvalidError) Is(target error) bool {
	if e.Host {
		return target == ErrRefused
	}
	return target == ErrInvalid
}

func invalid(param string, value any, format string, args ...any) error {
	return &InvalidError{Param: param, Value: fmt.Sprint(value), Reason: fmt.Sprintf(format, args...)}
}

// refused is invalid for a value that is wrong only for this domain.
func refused(param string, value any, format string, args ...any) error {
	return &InvalidError{Param: param, Value: fmt.Sprint(value), Reason: fmt.Sprintf(format, args...), Host: true}
}

// XenError is a Xen refusal explained for an admin: Msg names the pool or
// domain and says what is wrong in their terms. It unwraps to the
// *hypercall.OpError, so errors.Is matches the errno and the hypercall
// sentinels.
type XenError struct {
	Msg string
	Err error
}

func (e *XenError) Error() string { return e.Msg }
func (e *XenError) Unwrap() error { return e.Err }

// Pool names a cpupool in messages and calls.
type Pool struct {
	ID        uint32
	Name      string
	Scheduler hypercall.Scheduler
}

func (p Pool) String() string {
	if p.Name == "" {
		return fmt.Sprintf("cpupool %d", p.ID)
	}
	return fmt.Sprintf("cpupool '%s'", p.Name)
}

// Domain names a domain in messages and calls. MaxVCPUID bounds the cap
// and the vCPU ids; Pool is the cpupool it is in.
type Domain struct {
	ID        uint16
	Name      string
	MaxVCPUID uint32
	Pool      Pool
}

func (d Domain) String() string {
	if d.Name == "" {
		return fmt.Sprintf("domain %d", d.ID)
	}
	return fmt.Sprintf("domain '%s' (%d)", d.Name, d.ID)
}

// explainPool turns a scheduler_op sysctl error into one line.
func explainPool(err error, p Pool, sched hypercall.Scheduler, put bool) error {
	if err == nil {
		return nil
	}
	var msg string
	switch {
	case errors.Is(err, syscall.ESRCH):
		msg = fmt.Sprintf("%s (id %d) does not exist", p, p.ID)
	case errors.Is(err, syscall.EINVAL) && p.Scheduler != 0 && p.Scheduler != sched:
		msg = fmt.Sprintf("%s uses the %s scheduler, not %s", p, p.Scheduler, sched)
	case errors.Is(err, syscall.EINVAL) && put:
		msg = fmt.Sprintf("Xen refused the %s parameters of %s as out of range", sched, p)
	case errors.Is(err, syscall.EINVAL):
		msg = fmt.Sprintf("%s does not use the %s scheduler", p, sched)
	default:
		verb := "reading"
		if put {
			verb = "setting"
		}
		msg = fmt.Sprintf("%s the %s parameters of %s: %v", verb, sched, p, err)
	}
	return &XenError{Msg: msg, Err: err}
}

// explainDomain turns a scheduler_op domctl error into one line.
func explainDomain(err error, d Domain, sched hypercall.Scheduler, put bool) error {
	if err == nil {
		return nil
	}
	var msg string
	switch {
	case errors.Is(err, syscall.ESRCH):
		msg = fmt.Sprintf("%s does not exist", d)
	case errors.Is(err, syscall.EINVAL) && d.Pool.Scheduler != 0 && d.Pool.Scheduler != sched:
		msg = fmt.Sprintf("%s is in %s, which uses the %s scheduler, not %s", d, d.Pool, d.Pool.Scheduler, sched)
	case errors.Is(err, syscall.EINVAL) && put:
		msg = fmt.Sprintf("Xen refused the %s parameters for %s as out of range", sched, d)
	case errors.Is(err, syscall.EINVAL):
		msg = fmt.Sprintf("%s is not scheduled by %s", d, sched)
	default:
		verb := "reading"
		if put {
			verb = "setting"
		}
		msg = fmt.Sprintf("%s the %s parameters of %s: %v", verb, sched, d, err)
	}
	return &XenError{Msg: msg, Err: err}
}
