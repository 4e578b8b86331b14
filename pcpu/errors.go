package pcpu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// RefusedError is a request refused before anything was changed: each
// refusal is one line saying why and what to do.
type RefusedError struct {
	Online   bool
	Refusals []string
}

func (e *RefusedError) Error() string { return strings.Join(e.Refusals, "; ") }

// CPUError is why one CPU could not be brought online or taken offline.
// The CPU was left as it was, unless Stranded.
type CPUError struct {
	CPU    uint32
	Online bool
	// Reason explains the failure in an admin's terms, naming the CPU
	// and what to do.
	Reason string
	// Stranded: the CPU was removed from its cpupool for the offline,
	// the offline failed and putting it back failed too; Reason says how
	// to repair it.
	Stranded bool
	// Err is the error Xen (or the kernel) returned.
	Err error
}

func (e *CPUError) Error() string {
	if d := technical(e.Err); d != "" {
		return e.Reason + " [" + d + "]"
	}
	return e.Reason
}

// Unwrap returns Xen's error, so errors.Is finds its errno and
// hypercall's sentinels (ErrPermission, ErrNotSupported).
func (e *CPUError) Unwrap() error { return e.Err }

// FailedError reports the CPUs of a request that failed; the others were
// done.
type FailedError struct {
	Online bool
	Failed []*CPUError
	Total  int
	// Changed is how many of the other cpus were changed: when it is not
	// 0 the host is left partly changed.
	Changed int
}

func (e *FailedError) Error() string {
	if len(e.Failed) == 1 && e.Total == 1 {
		return e.Failed[0].Error()
	}
	what := "taken offline"
	if e.Online {
		what = "brought online"
	}
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("%d of %d cpus could not be %s: %s", len(e.Failed), e.Total, what, strings.Join(parts, "; "))
}

// Unwrap returns the per-CPU errors.
func (e *FailedError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f
	}
	return out
}

// validate applies the rules that refuse a request up front (xen-abi.md
// §6.1), so that no CPU is touched when Xen would refuse some of them for
// reasons known in advance.
func validate(st *State, cpus cpuset.Set, online, evacuate bool) error {
	var refusals []string
	present := st.Present()
	if absent := cpus.Diff(present); !absent.IsEmpty() {
		refusals = append(refusals, fmt.Sprintf("%s not present on this host (present: %s)",
			cpusAre(absent), present.Ranges()))
	}
	if !online {
		if cpus.Has(0) {
			refusals = append(refusals, "cpu 0 cannot be taken offline: Xen never offlines its boot cpu")
		}
		for _, p := range st.Pools {
			if p.ID == 0 {
				continue
			}
			// The online CPUs of this pool that the request takes
			// offline (an offline CPU is in no pool).
			mine := p.CPUs.Intersect(cpus)
			if mine.IsEmpty() {
				continue
			}
			if !evacuate {
				refusals = append(refusals, fmt.Sprintf("%s in cpupool %s, not Pool-0: remove %s first (xgo cpupool-cpu-remove %s %s) or use --evacuate",
					cpusAre(mine), p.quoted(), themIt(mine), p.Label(), mine.Text()))
				continue
			}
			if p.NDom > 0 && p.CPUs.SubsetOf(cpus) {
				refusals = append(refusals, fmt.Sprintf("%s would leave cpupool %s without a cpu while it has %s: move %s to another pool first (xgo cpupool-migrate <domain> Pool-0) or keep one of its cpus",
					cpuNoun(mine), p.quoted(), domains(p.NDom), themIt1(p.NDom)))
			}
		}
	}
	if len(refusals) > 0 {
		return &RefusedError{Online: online, Refusals: refusals}
	}
	return nil
}

// cpusAre is "cpu 3 is" or "cpus 3,5 are".
func cpusAre(s cpuset.Set) string {
	if s.Len() == 1 {
		return "cpu " + s.Ranges() + " is"
	}
	return "cpus " + s.Ranges() + " are"
}

// cpuNoun is "taking cpu 3 offline" or "taking cpus 3,5 offline".
func cpuNoun(s cpuset.Set) string {
	if s.Len() == 1 {
		return "taking cpu " + s.Ranges() + " offline"
	}
	return "taking cpus " + s.Ranges() + " offline"
}

func themIt(s cpuset.Set) string {
	if s.Len() == 1 {
		return "it"
	}
	return "them"
}

func themIt1(n uint32) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func domains(n uint32) string {
	if n == 1 {
		return "1 domain"
	}
	return strconv.FormatUint(uint64(n), 10) + " domains"
}

// lockedCPU explains a CPU that Xen will neither offline (EBUSY) nor take
// into a pool (ENODEV): it is still in cpupool_locked_cpus. Xen 4.17 (and
// later, up to at least 4.22) leaves a CPU there when an offline of it
// fails because it is in a pool other than Pool-0 (cpupool_cpu_remove_
// prologue sets the bit, returns -ENODEV, and gets no CPU_DOWN_FAILED), as
// xen-hptool cpu-offline does; only a reboot clears it. Seen in the lab.
func lockedCPU(cpu uint32, from *Pool) string {
	return fmt.Sprintf("cpu %d was removed from cpupool %s, but Xen refuses both to take it offline (EBUSY) and to put it back (ENODEV): "+
		"Xen still marks it as being unplugged, which an earlier failed offline of it while it was in a pool other than Pool-0 "+
		"(for example by xen-hptool) leaves behind until Xen reboots; it stays online in no pool", cpu, from.quoted())
}

// explainEvacuate explains a failed removal of c from its cpupool.
func explainEvacuate(c *PCPU, err error) *CPUError {
	p := c.Pool.quoted()
	ce := &CPUError{CPU: c.ID, Err: err}
	switch {
	case errors.Is(err, syscall.EBUSY):
		ce.Reason = fmt.Sprintf("cpu %d is the last cpu of cpupool %s, which has domains: move them to another pool first (xgo cpupool-migrate <domain> Pool-0)", c.ID, p)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		ce.Reason = fmt.Sprintf("cpu %d is no longer in cpupool %s (it was moved meanwhile, or another removal is pending): run the command again", c.ID, p)
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EADDRINUSE):
		ce.Reason = fmt.Sprintf("cpu %d is busy in cpupool %s (a vCPU is pinned to it for the moment): retry", c.ID, p)
	default:
		ce.Reason = fmt.Sprintf("cpu %d could not be removed from cpupool %s: %s", c.ID, p, meaning(err))
	}
	return ce
}

// explainHotplug explains a failed online or offline of c, per the errnos
// of xen-abi.md §6.1 for the path used.
func explainHotplug(c *PCPU, online bool, opts *Options, attempts int, elapsed time.Duration, err error) *CPUError {
	ce := &CPUError{CPU: c.ID, Online: online, Err: err}
	id := c.ID
	do := "taken offline"
	if online {
		do = "brought online"
	}
	switch {
	case errors.Is(err, hypercall.ErrPermission):
		ce.Reason = fmt.Sprintf("cpu %d could not be %s: permission denied (xgo must run as root in dom0)", id, do)
	case errors.Is(err, syscall.EBUSY):
		busy := fmt.Sprintf("cpu %d is busy", id)
		if attempts > 1 {
			busy = fmt.Sprintf("cpu %d stayed busy for %s (%d attempts)", id, elapsed.Round(100*time.Millisecond), attempts)
		}
		if online {
			ce.Reason = busy + ": Xen is running another CPU hotplug operation; retry later or allow more time with --timeout"
		} else {
			ce.Reason = busy + ": Xen is running another CPU hotplug or cpupool change; retry later or allow more time with --timeout"
		}
	case !online && errors.Is(err, syscall.ENODEV):
		ce.Reason = fmt.Sprintf("cpu %d was put into a cpupool other than Pool-0 meanwhile: remove it from that pool first (xgo cpupool-cpu-remove <pool> %d) or use --evacuate", id, id)
	case !online && (id == 0 && (errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EOPNOTSUPP))):
		ce.Reason = "cpu 0 cannot be taken offline: Xen never offlines its boot cpu"
	case errors.Is(err, syscall.ENOENT) && opts.Via == ViaSysfs:
		ce.Reason = fmt.Sprintf("cpu %d could not be %s: the kernel lists no xen_cpu%d device with an online file (not present, or the kernel has not caught up yet); try --via hypercall", id, do, id)
	case online && errors.Is(err, syscall.EINVAL) && opts.Via == ViaSysfs:
		ce.Reason = fmt.Sprintf("cpu %d could not be brought online through XENPF_cpu_online: it is not present, or Xen's clocksource is the TSC, which that path refuses; try --via hypercall", id)
	case errors.Is(err, syscall.EINVAL):
		ce.Reason = fmt.Sprintf("cpu %d could not be %s: Xen says it is not present (any more)", id, do)
	case online && errors.Is(err, syscall.EPERM) && opts.Via == ViaSysfs:
		ce.Reason = fmt.Sprintf("cpu %d could not be brought online: the kernel refused (xgo lacks CAP_SYS_ADMIN), or it is a secondary SMT thread and Xen runs with smt=0", id)
	case online && errors.Is(err, syscall.EPERM):
		ce.Reason = fmt.Sprintf("cpu %d is a secondary SMT thread and Xen runs with smt=0: Xen brought it up and took it offline again; boot Xen with smt=1 to use it", id)
	case online && errors.Is(err, syscall.EIO):
		ce.Reason = fmt.Sprintf("cpu %d did not come up; Xen's log says why (xl dmesg)", id)
	case errors.Is(err, hypercall.ErrNotSupported):
		ce.Reason = fmt.Sprintf("cpu %d could not be %s: this hypervisor does not support it", id, do)
	default:
		ce.Reason = fmt.Sprintf("cpu %d could not be %s: %s", id, do, meaning(err))
	}
	return ce
}

// meaning is Xen's meaning of err, without the operation's name.
func meaning(err error) string {
	var oe *hypercall.OpError
	if errors.As(err, &oe) && oe.Meaning != "" {
		return oe.Meaning
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// technical names the operation and errno behind err, e.g. "sysctl
// cpu_hotplug offline: EBUSY".
func technical(err error) string {
	if err == nil {
		return ""
	}
	var oe *hypercall.OpError
	if !errors.As(err, &oe) {
		return err.Error()
	}
	var errno syscall.Errno
	if errors.As(oe.Err, &errno) {
		return oe.Op + ": " + hypercall.ErrnoName(errno)
	}
	return oe.Op
}
