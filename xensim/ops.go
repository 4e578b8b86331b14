package xensim

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"syscall"
)

// Op names one Xen operation, spelled as package hypercall spells it in
// OpError.Op. Faults are injected per Op.
type Op string

// The operations of hypercall.Hypervisor.
const (
	OpXenVersion        Op = "xen_version"
	OpPhysinfo          Op = "sysctl physinfo"
	OpSchedID           Op = "sysctl sched_id"
	OpHypfsRead         Op = "hypfs_op read"
	OpCputopoinfo       Op = "sysctl cputopoinfo"
	OpNumainfo          Op = "sysctl numainfo"
	OpPcitopoinfo       Op = "sysctl pcitopoinfo"
	OpSharingFreed      Op = "memory_op get_sharing_freed_pages"
	OpSharingShared     Op = "memory_op get_sharing_shared_pages"
	OpGetCPUInfo        Op = "platform_op get_cpuinfo"
	OpPfCPUOnline       Op = "platform_op cpu_online"
	OpPfCPUOffline      Op = "platform_op cpu_offline"
	OpHotplugOnline     Op = "sysctl cpu_hotplug online"
	OpHotplugOffline    Op = "sysctl cpu_hotplug offline"
	OpHotplugSMTEnable  Op = "sysctl cpu_hotplug smt-enable"
	OpHotplugSMTDisable Op = "sysctl cpu_hotplug smt-disable"
	OpPoolCreate        Op = "sysctl cpupool_op create"
	OpPoolDestroy       Op = "sysctl cpupool_op destroy"
	OpPoolInfo          Op = "sysctl cpupool_op info"
	OpPoolAddCPU        Op = "sysctl cpupool_op addcpu"
	OpPoolRmCPU         Op = "sysctl cpupool_op rmcpu"
	OpPoolMoveDomain    Op = "sysctl cpupool_op movedomain"
	OpPoolFreeInfo      Op = "sysctl cpupool_op freeinfo"
	OpPoolSchedGet      Op = "sysctl scheduler_op getinfo"
	OpPoolSchedPut      Op = "sysctl scheduler_op putinfo"
	OpDomainInfo        Op = "domctl getdomaininfo"
	OpDomainInfoList    Op = "sysctl getdomaininfolist"
	OpDomSchedGet       Op = "domctl scheduler_op getinfo"
	OpDomSchedPut       Op = "domctl scheduler_op putinfo"
	OpVCPUSchedGet      Op = "domctl scheduler_op getvcpuinfo"
	OpVCPUSchedPut      Op = "domctl scheduler_op putvcpuinfo"
)

// Ops lists every Op, for CLI completion and validation.
var Ops = []Op{
	OpXenVersion, OpPhysinfo, OpSchedID, OpHypfsRead, OpCputopoinfo, OpNumainfo,
	OpPcitopoinfo, OpSharingFreed, OpSharingShared,
	OpGetCPUInfo, OpPfCPUOnline, OpPfCPUOffline,
	OpHotplugOnline, OpHotplugOffline, OpHotplugSMTEnable, OpHotplugSMTDisable,
	OpPoolCreate, OpPoolDestroy, OpPoolInfo, OpPoolAddCPU, OpPoolRmCPU,
	OpPoolMoveDomain, OpPoolFreeInfo, OpPoolSchedGet, OpPoolSchedPut,
	OpDomainInfo, OpDomainInfoList,
	OpDomSchedGet, OpDomSchedPut, OpVCPUSchedGet, OpVCPUSchedPut,
}

// ParseOp accepts an Op by its full name ("sysctl cpupool_op rmcpu") or by
// its last word when that is unambiguous ("rmcpu", "physinfo").
func ParseOp(s string) (Op, error) {
	var hits []Op
	for _, op := range Ops {
		if string(op) == s {
			return op, nil
		}
		if w := lastWord(string(op)); w == s {
			hits = append(hits, op)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	if len(hits) > 1 {
		return "", fmt.Errorf("operation %q is ambiguous: %q", s, hits)
	}
	return "", fmt.Errorf("unknown operation %q", s)
}

// OpNames are the names of the operations that ParseOp reads as one
// word: each operation's last word when no other ends the same, else its
// full name (which has spaces), in the order of Ops.
func OpNames() []string {
	count := map[string]int{}
	for _, op := range Ops {
		count[lastWord(string(op))]++
	}
	out := make([]string, 0, len(Ops))
	for _, op := range Ops {
		if w := lastWord(string(op)); count[w] == 1 {
			out = append(out, w)
		} else {
			out = append(out, string(op))
		}
	}
	return out
}

func lastWord(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ' ' {
			return s[i+1:]
		}
	}
	return s
}

// retryRule mirrors hypercall's: a call failing with errno is reissued up
// to max times. The simulator does not sleep between attempts.
type retryRule struct {
	errno syscall.Errno
	max   int
}

// The retry rules of hypercall/xen.go, so that the simulator presents the
// same behaviour through hypercall.Hypervisor as *hypercall.Xen does on
// real Xen: EINTR always; EAGAIN for cpupool operations (libxc's
// do_sysctl_save); EADDRINUSE 5 times for RMCPU (xc_cpupool_removecpu);
// EBUSY for get_cpuinfo.
//
// TODO(hypercall): share these with package hypercall.
var (
	retryEINTR      = retryRule{eINTR, 16}
	retryEAGAIN     = retryRule{eAGAIN, 250}
	retryEADDRINUSE = retryRule{eADDRINUSE, 5}
	retryEBUSY      = retryRule{eBUSY, 50}
)

func retryRules(op Op) []retryRule {
	switch op {
	case OpPoolCreate, OpPoolDestroy, OpPoolInfo, OpPoolAddCPU, OpPoolMoveDomain, OpPoolFreeInfo:
		return []retryRule{retryEINTR, retryEAGAIN}
	case OpPoolRmCPU:
		return []retryRule{retryEINTR, retryEAGAIN, retryEADDRINUSE}
	case OpGetCPUInfo:
		return []retryRule{retryEINTR, retryEBUSY}
	}
	return []retryRule{retryEINTR}
}

// Fault makes an operation fail with Errno: the next Count attempts, or
// every attempt while Permanent. Attempts include the retries the
// hypercall layer makes (see Host), so an EAGAIN fault on a cpupool
// operation with Count ≤ 250 is absorbed by the retries, as on real Xen.
//
// After lets that many attempts succeed before the fault fires, so that
// a failure can come midway through a command. RunOnly keeps the fault
// out of Copy, so it fires when a batch runs on the host and not while
// it is planned on a copy.
type Fault struct {
	Op        Op            `yaml:"op" json:"op"`
	Errno     syscall.Errno `yaml:"-" json:"-"`
	ErrnoName string        `yaml:"errno" json:"errno"`
	Count     int           `yaml:"count,omitempty" json:"count,omitempty"`
	Permanent bool          `yaml:"permanent,omitempty" json:"permanent,omitempty"`
	After     int           `yaml:"after,omitempty" json:"after,omitempty"`
	RunOnly   bool          `yaml:"runOnly,omitempty" json:"runOnly,omitempty"`
}

func (f Fault) String() string {
	return fmt.Sprintf("%s: %s %s", f.Op, ErrnoName(f.Errno), f.When())
}

// When says when f fires: "next 2", "permanently", "after 3, next 1",
// with ", run only" for RunOnly.
func (f Fault) When() string {
	n := "permanently"
	if !f.Permanent {
		n = "next " + strconv.Itoa(f.Count)
	}
	if f.After > 0 {
		n = "after " + strconv.Itoa(f.After) + ", " + n
	}
	if f.RunOnly {
		n += ", run only"
	}
	return n
}

// faultSet holds the pending faults, one per Op.
type faultSet map[Op]*Fault

// take consumes one failure of op, returning its errno or 0.
func (fs faultSet) take(op Op) syscall.Errno {
	f := fs[op]
	if f == nil {
		return 0
	}
	if f.After > 0 {
		f.After--
		return 0
	}
	if f.Permanent {
		return f.Errno
	}
	f.Count--
	if f.Count <= 0 {
		delete(fs, op)
	}
	return f.Errno
}

func (fs faultSet) list() []Fault {
	out := make([]Fault, 0, len(fs))
	for _, f := range fs {
		g := *f
		g.ErrnoName = ErrnoName(g.Errno)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

func validOp(op Op) bool { return slices.Contains(Ops, op) }

// FailNext makes the next n attempts of op fail with errno (n ≤ 0 clears
// the fault of op).
func (h *Host) FailNext(op Op, errno syscall.Errno, n int) error {
	if !validOp(op) {
		return fmt.Errorf("xensim: unknown operation %q", op)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n <= 0 {
		delete(h.faults, op)
		return nil
	}
	if errno == 0 {
		return fmt.Errorf("xensim: fault for %s needs an errno", op)
	}
	h.faults[op] = &Fault{Op: op, Errno: errno, Count: n}
	return nil
}

// FailAlways makes every attempt of op fail with errno until ClearFaults.
func (h *Host) FailAlways(op Op, errno syscall.Errno) error {
	if !validOp(op) {
		return fmt.Errorf("xensim: unknown operation %q", op)
	}
	if errno == 0 {
		return fmt.Errorf("xensim: fault for %s needs an errno", op)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults[op] = &Fault{Op: op, Errno: errno, Permanent: true}
	return nil
}

// AddFault sets f (Count attempts, or every one when Permanent, after
// f.After that succeed), replacing the fault f.Op had.
func (h *Host) AddFault(f Fault) error {
	if !validOp(f.Op) {
		return fmt.Errorf("unknown operation %q", f.Op)
	}
	if f.Errno == 0 {
		return fmt.Errorf("fault for %s needs an errno", f.Op)
	}
	if !f.Permanent && f.Count <= 0 || f.After < 0 {
		return fmt.Errorf("fault for %s: count %d, after %d", f.Op, f.Count, f.After)
	}
	f.ErrnoName = ""
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults[f.Op] = &f
	return nil
}

// ClearFaults removes the faults of the given ops, or all faults when
// none is given.
func (h *Host) ClearFaults(ops ...Op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(ops) == 0 {
		clear(h.faults)
		return
	}
	for _, op := range ops {
		delete(h.faults, op)
	}
}

// Faults returns the pending faults, ordered by Op.
func (h *Host) Faults() []Fault {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.faults.list()
}

// call runs one operation the way hypercall's choke point does: each
// attempt counts as a hypercall, consumes an injected fault if one is
// pending, and is retried per op's rules. fn performs the operation with
// h.mu held; it receives the injected errno (0 if none) so that an
// operation can place the failure where Xen would (see RMCPU); an fn that
// ignores it must be wrapped by plain. target describes the arguments for
// the error.
func (h *Host) call(op Op, target func() string, fn func(injected syscall.Errno) syscall.Errno) error {
	return h.callAs(op, string(op), target, fn)
}

// callAs is call with the operation named name in errors (*Xen names
// sub-calls, e.g. "xen_version extraversion").
func (h *Host) callAs(op Op, name string, target func() string, fn func(injected syscall.Errno) syscall.Errno) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	rules := retryRules(op)
	var tries [3]int
	for {
		h.calls++
		errno := fn(h.faults.take(op))
		if errno == 0 {
			return nil
		}
		again := false
		for i, r := range rules {
			if r.errno == errno && tries[i] < r.max {
				tries[i]++
				again = true
				break
			}
		}
		if !again {
			return opError(op, name, target(), errno)
		}
	}
}

// plain adapts an operation that has no particular place for an injected
// failure: the fault fails it before it changes anything.
func plain(fn func() syscall.Errno) func(syscall.Errno) syscall.Errno {
	return func(injected syscall.Errno) syscall.Errno {
		if injected != 0 {
			return injected
		}
		return fn()
	}
}

// Targets, formatted as package hypercall formats them.
func cpuTarget(cpu uint32) string { return "cpu " + strconv.FormatUint(uint64(cpu), 10) }

func poolTarget(id uint32) string {
	if id == poolAny {
		return "any pool"
	}
	return "pool " + strconv.FormatUint(uint64(id), 10)
}

func poolCPUTarget(cpu uint32) string {
	if cpu == poolAny {
		return "any cpu"
	}
	return cpuTarget(cpu)
}

func domTarget(domid uint16) string { return "domain " + strconv.FormatUint(uint64(domid), 10) }
