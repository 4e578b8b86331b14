package cpupool

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels matched with errors.Is.
var (
	// ErrInvalid: an argument can never be right (bad cpu list, unknown
	// scheduler, bad config syntax). Nothing was sent to Xen.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotFound: no pool or domain has that name or id.
	ErrNotFound = errors.New("not found")
	// ErrRefused: the request does not fit the host as it is (a cpu in
	// another pool, a pool with domains, ...). Nothing was changed.
	ErrRefused = errors.New("refused")
	// ErrPartial: some of the cpus were added or removed, others not.
	ErrPartial = errors.New("partly done")
)

// InvalidError is a bad argument.
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string        { return e.Msg }
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &InvalidError{Msg: fmt.Sprintf(format, args...)}
}

// NotFoundError names a pool or domain that does not exist. Its text is
// xl's: "unknown cpupool 'x'".
type NotFoundError struct {
	Kind string // "cpupool" or "domain"
	Name string
	// Suggestion is the existing name closest to Name, if one is close.
	Suggestion string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("unknown %s '%s'", e.Kind, e.Name) + DidYouMean(e.Suggestion)
}

// DidYouMean is " (did you mean 'name'?)", or "" for no name.
func DidYouMean(name string) string {
	if name == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean '%s'?)", name)
}
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// RefusedError is a request that validation refused, with every reason
// found, each naming the cpu, pool or domain concerned.
type RefusedError struct {
	What    string   // e.g. "move cpus 2,3 to 'rt'"
	Reasons []string // e.g. "cpu 0 can never leave Pool-0"
}

func (e *RefusedError) Error() string {
	return "cannot " + e.What + ": " + strings.Join(e.Reasons, "; ")
}
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// XenError is a Xen refusal explained in one line naming the pool, cpu or
// domain. It unwraps to the hypercall's *OpError (so errors.Is matches
// the errno and hypercall.ErrNotSupported and friends).
type XenError struct {
	Msg string
	Err error
}

func (e *XenError) Error() string { return e.Msg }
func (e *XenError) Unwrap() error { return e.Err }

// StepError is a plan that failed at one step. Unless RollbackErrs is
// non-empty, the steps before it were undone and the host is as it was.
type StepError struct {
	What string // the operation, e.g. "move cpus 2,3 to 'rt'"
	Step Step   // the step that failed
	Err  error  // why, explained (a *XenError or XenStore error)

	RolledBack   []Step  // steps undone, in the order they were undone
	RollbackErrs []error // undo steps that failed: the host is not as it was
}

func (e *StepError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %v", e.What, e.Err)
	switch {
	case len(e.RollbackErrs) > 0:
		fmt.Fprintf(&b, "; rolling back failed, the host is left changed: %v", errors.Join(e.RollbackErrs...))
	case len(e.RolledBack) > 0:
		fmt.Fprintf(&b, "; rolled back the %d step(s) done before, nothing changed", len(e.RolledBack))
	default:
		b.WriteString("; nothing changed")
	}
	return b.String()
}

func (e *StepError) Unwrap() error { return e.Err }

// PartialError is a best-effort plan (cpupool-cpu-add, -cpu-remove) of
// which some steps failed: Failed maps each cpu that failed to why.
type PartialError struct {
	What   string
	Done   []int
	Failed []CPUFailure
}

// CPUFailure is one cpu that could not be added or removed.
type CPUFailure struct {
	CPU int
	Err error
}

func (e *PartialError) Error() string {
	var b strings.Builder
	ids := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		ids[i] = fmt.Sprint(f.CPU)
	}
	fmt.Fprintf(&b, "%s: cpu(s) %s failed", e.What, strings.Join(ids, ","))
	for _, f := range e.Failed {
		fmt.Fprintf(&b, "; cpu %d: %v", f.CPU, f.Err)
	}
	if len(e.Done) > 0 {
		done := make([]string, len(e.Done))
		for i, c := range e.Done {
			done[i] = fmt.Sprint(c)
		}
		fmt.Fprintf(&b, " (cpu(s) %s done)", strings.Join(done, ","))
	} else {
		b.WriteString(" (none done)")
	}
	return b.String()
}

func (e *PartialError) Is(target error) bool { return target == ErrPartial }

// Unwrap returns the failures' errors, so errors.Is sees their errnos.
func (e *PartialError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// AbsentError is a cpu list that is well formed but names what this host
// does not have (a NUMA node) or selects none of its cpus. It matches
// ErrRefused: the same list may be right on another host.
type AbsentError struct{ Err error }

func (e *AbsentError) Error() string        { return e.Err.Error() }
func (e *AbsentError) Unwrap() error        { return e.Err }
func (e *AbsentError) Is(target error) bool { return target == ErrRefused }
