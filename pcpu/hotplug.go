package pcpu

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"xgo.dev/xgo/cpuset"
	"xgo.dev/xgo/hypercall"
)

// Via selects how CPUs are brought online or taken offline. Both end in
// the same cpu_up/cpu_down in Xen, but Xen's entry points differ in their
// errnos (xen-abi.md §6.1); this package hides the difference.
type Via int

const (
	// ViaHypercall issues XEN_SYSCTL_cpu_hotplug, as xen-hptool (libxc's
	// xc_cpu_online/offline) does. It is the default.
	ViaHypercall Via = iota
	// ViaSysfs writes Linux's /sys/devices/system/xen_cpu/xen_cpuN/online,
	// which makes the kernel issue XENPF_cpu_online/offline and keeps its
	// xen_cpu devices in step.
	ViaSysfs
)

func (v Via) String() string {
	if v == ViaSysfs {
		return "sysfs"
	}
	return "hypercall"
}

// ParseVia reads "hypercall" or "sysfs".
func ParseVia(s string) (Via, error) {
	switch s {
	case "hypercall", "sysctl":
		return ViaHypercall, nil
	case "sysfs", "platform":
		return ViaSysfs, nil
	}
	return 0, fmt.Errorf("unknown hotplug path %q (want hypercall or sysfs)", s)
}

// Sysfs changes a CPU's state the way Linux's xen_cpu online files do:
// *hypercall.XenCPUSysfs on a dom0 kernel, or PlatformOps, which issues
// the same platform operations directly.
type Sysfs interface {
	SetOnline(cpu uint32, online bool) error
}

// PlatformOps issues XENPF_cpu_online and XENPF_cpu_offline through a
// Hypervisor: what the kernel does when its online files are written,
// without the kernel. It lets the sysfs path run against a simulated host.
type PlatformOps struct{ H Platform }

// SetOnline implements Sysfs.
func (p PlatformOps) SetOnline(cpu uint32, online bool) error {
	if online {
		return p.H.PlatformCPUOnline(cpu)
	}
	return p.H.PlatformCPUOffline(cpu)
}

// Retry policy for EBUSY: Xen answers it while another hotplug or pool
// change holds its locks (it retries once itself). xen-hptool retries
// every 100 ms for ever; xgo backs off up to a second and gives up after
// Options.Timeout.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRetryDelay = 100 * time.Millisecond
	maxRetryDelay     = time.Second
)

// Options control Online and Offline.
type Options struct {
	// Via selects the hotplug path; the zero value is ViaHypercall.
	Via Via
	// Sysfs is what ViaSysfs writes through; required with ViaSysfs.
	Sysfs Sysfs
	// XenStore supplies pool names for messages; may be nil.
	XenStore XenStore
	// Evacuate (Offline only) first removes a CPU from a cpupool other
	// than Pool-0, which Xen requires, and puts it back if the offline
	// then fails. It refuses to take the last CPUs of a pool that has
	// domains.
	Evacuate bool
	// Timeout bounds how long one CPU is retried while Xen answers
	// EBUSY; 0 means DefaultTimeout, a negative value no retry.
	Timeout time.Duration
	// RetryDelay is the first pause between EBUSY retries (it doubles up
	// to a second); 0 means DefaultRetryDelay.
	RetryDelay time.Duration
	// DryRun validates the request and reports what would be done,
	// changing nothing.
	DryRun bool
}

func (o *Options) timeout() time.Duration {
	if o.Timeout == 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

func (o *Options) retryDelay() time.Duration {
	if o.RetryDelay <= 0 {
		return DefaultRetryDelay
	}
	return o.RetryDelay
}

// Result is what happened to one CPU.
type Result struct {
	CPU uint32
	// Online is the state asked for.
	Online bool
	// Changed: the CPU is now in the state asked for, and was not before.
	Changed bool
	// Already: the CPU was in that state; nothing was done.
	Already bool
	// DryRun: nothing was done; Changed and Evacuated say what would be.
	DryRun bool
	// Evacuated is the cpupool the CPU was (or, with DryRun, would be)
	// removed from before going offline.
	Evacuated *Pool
	// Restored: the offline failed after the evacuation, and the CPU was
	// put back into Evacuated.
	Restored bool
	// Attempts counts the hotplug requests made (EBUSY retries + 1).
	Attempts int
	// Elapsed is how long the CPU took, retries included.
	Elapsed time.Duration
	// Err is why the CPU could not be changed (a *CPUError); the CPU was
	// left as it was.
	Err error
}

// Status is the one-word outcome: "onlined", "offlined", "already",
// "would" (dry run) or "failed".
func (r Result) Status() string {
	switch {
	case r.Err != nil:
		return "failed"
	case r.Already:
		return "already"
	case r.DryRun:
		return "would"
	case r.Online:
		return "onlined"
	}
	return "offlined"
}

// String describes the outcome for a person, e.g. "cpu 3: offlined",
// "cpu 3: removed from cpupool 'rt', offlined", "cpu 5: already online".
func (r Result) String() string {
	s := fmt.Sprintf("cpu %d: ", r.CPU)
	state := "offline"
	verb := "offlined"
	if r.Online {
		state, verb = "online", "onlined"
	}
	switch {
	case r.Err != nil:
		s += "failed: " + r.Err.Error()
	case r.Already:
		s += "already " + state
	case r.DryRun && r.Evacuated != nil:
		s += "would be removed from cpupool " + r.Evacuated.quoted() + " and " + verb
	case r.DryRun:
		s += "would be " + verb
	case r.Evacuated != nil:
		s += "removed from cpupool " + r.Evacuated.quoted() + ", " + verb
	default:
		s += verb
	}
	return s
}

// Online brings the CPUs online. The request is checked as a whole first:
// a CPU that is not present refuses it (a *RefusedError) and nothing is
// done. Then each CPU is onlined in turn; one already online is reported
// as such, EBUSY is retried up to opts.Timeout. Xen puts an onlined CPU
// into Pool-0 (not back into a pool it was in before it went offline).
//
// The results say what happened to each CPU. If any CPU failed, the error
// is a *FailedError; a CPU that failed is left as it was.
func Online(ctx context.Context, h hypercall.Hypervisor, cpus cpuset.Set, opts Options) ([]Result, error) {
	return hotplug(ctx, h, cpus, true, opts)
}

// Offline takes the CPUs offline. The request is checked as a whole
// first, and refused with a *RefusedError (nothing done) if it names CPU
// 0, a CPU that is not present, or a CPU in a cpupool other than Pool-0
// (unless opts.Evacuate, which removes it from its pool first, and refuses
// only when that would leave a pool's domains without a CPU). Then each
// CPU is taken offline in turn, as Online does.
func Offline(ctx context.Context, h hypercall.Hypervisor, cpus cpuset.Set, opts Options) ([]Result, error) {
	return hotplug(ctx, h, cpus, false, opts)
}

func hotplug(ctx context.Context, h hypercall.Hypervisor, cpus cpuset.Set, online bool, opts Options) ([]Result, error) {
	if cpus.IsEmpty() {
		return nil, errors.New("no cpus given")
	}
	if opts.Via == ViaSysfs && opts.Sysfs == nil {
		return nil, errors.New("pcpu: ViaSysfs needs Options.Sysfs")
	}
	st, err := ReadState(ctx, h, opts.XenStore)
	if err != nil {
		return nil, err
	}
	if err := validate(st, cpus, online, opts.Evacuate); err != nil {
		return nil, err
	}
	var results []Result
	var failed []*CPUError
	for _, id := range cpus.IDs() {
		c := st.CPU(uint32(id))
		var r Result
		if opts.DryRun {
			r = plan(c, online)
		} else {
			if err := ctx.Err(); err != nil {
				return results, err
			}
			r = change(ctx, h, c, online, &opts)
		}
		results = append(results, r)
		var ce *CPUError
		if errors.As(r.Err, &ce) {
			failed = append(failed, ce)
		}
	}
	if len(failed) > 0 {
		changed := 0
		for _, r := range results {
			if r.Changed && !r.DryRun {
				changed++
			}
		}
		return results, &FailedError{Online: online, Failed: failed, Total: len(results), Changed: changed}
	}
	return results, nil
}

// plan is what change would do to c.
func plan(c *PCPU, online bool) Result {
	r := Result{CPU: c.ID, Online: online, DryRun: true}
	switch {
	case c.Online == online:
		r.Already = true
	default:
		r.Changed = true
		if !online && c.Pool != nil && c.Pool.ID != 0 {
			r.Evacuated = c.Pool
		}
	}
	return r
}

// change brings c into the requested state, or leaves it as it was.
func change(ctx context.Context, h hypercall.Hypervisor, c *PCPU, online bool, opts *Options) Result {
	start := time.Now()
	r := Result{CPU: c.ID, Online: online}
	defer func() { r.Elapsed = time.Since(start) }()
	if c.Online == online {
		r.Already = true
		return r
	}
	if !online && c.Pool != nil && c.Pool.ID != 0 {
		// Validation let this through only with Evacuate.
		if err := h.CpupoolRemoveCPU(c.Pool.ID, c.ID); err != nil {
			r.Err = explainEvacuate(c, err)
			return r
		}
		r.Evacuated = c.Pool
	}
	attempts, err := retryBusy(ctx, opts, func() error { return setState(h, c.ID, online, opts) })
	r.Attempts = attempts
	switch {
	case err == nil:
		r.Changed = true
	case alreadyInState(err, opts.Via):
		// Someone else changed it since we looked.
		r.Already = true
	default:
		ce := explainHotplug(c, online, opts, attempts, time.Since(start), err)
		if r.Evacuated != nil {
			if aerr := h.CpupoolAddCPU(r.Evacuated.ID, c.ID); aerr != nil {
				if errors.Is(err, syscall.EBUSY) && errors.Is(aerr, syscall.ENODEV) {
					ce.Reason = lockedCPU(c.ID, r.Evacuated)
				} else {
					ce.Reason += fmt.Sprintf("; putting it back into cpupool %s failed too (%v): add it yourself (xgo cpupool-cpu-add %s %d)",
						r.Evacuated.quoted(), aerr, r.Evacuated.Label(), c.ID)
				}
				ce.Stranded = true
			} else {
				r.Restored = true
				ce.Reason += fmt.Sprintf("; it was put back into cpupool %s", r.Evacuated.quoted())
			}
		}
		r.Err = ce
	}
	return r
}

// setState issues one hotplug request on the chosen path.
func setState(h hypercall.Hypervisor, cpu uint32, online bool, opts *Options) error {
	if opts.Via == ViaSysfs {
		return opts.Sysfs.SetOnline(cpu, online)
	}
	op := hypercall.HotplugOffline
	if online {
		op = hypercall.HotplugOnline
	}
	return h.CPUHotplug(op, cpu)
}

// alreadyInState: the sysctl path answers EEXIST for a CPU already in the
// requested state (the platform path answers 0).
func alreadyInState(err error, via Via) bool {
	return via == ViaHypercall && errors.Is(err, syscall.EEXIST)
}

// retryBusy calls fn until it returns something other than EBUSY, the
// timeout passes or ctx ends, backing off from the retry delay up to a
// second. It returns the number of calls and fn's last error.
func retryBusy(ctx context.Context, opts *Options, fn func() error) (int, error) {
	deadline := time.Now().Add(opts.timeout())
	delay := opts.retryDelay()
	for n := 1; ; n++ {
		err := fn()
		if !errors.Is(err, syscall.EBUSY) {
			return n, err
		}
		left := time.Until(deadline)
		if opts.Timeout < 0 || left <= 0 {
			return n, err
		}
		t := time.NewTimer(min(delay, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return n, err
		case <-t.C:
		}
		delay = min(2*delay, maxRetryDelay)
	}
}

// ResultView is a Result as JSON and YAML output gives it.
type ResultView struct {
	CPU uint32 `json:"cpu" yaml:"cpu"`
	// Status is onlined, offlined, already, would (dry run) or failed.
	Status        string   `json:"status" yaml:"status"`
	Changed       bool     `json:"changed" yaml:"changed"`
	EvacuatedFrom *PoolRef `json:"evacuatedFrom,omitempty" yaml:"evacuatedFrom,omitempty"`
	Restored      bool     `json:"restored,omitempty" yaml:"restored,omitempty"`
	Attempts      int      `json:"attempts" yaml:"attempts"`
	ElapsedMS     int64    `json:"elapsedMs" yaml:"elapsedMs"`
	Error         string   `json:"error,omitempty" yaml:"error,omitempty"`
	// Line is String's text, for the text form.
	Line string `json:"-" yaml:"-"`
}

// View returns r as ResultView.
func (r Result) View() ResultView {
	v := ResultView{CPU: r.CPU, Status: r.Status(), Changed: r.Changed, EvacuatedFrom: r.Evacuated.Ref(),
		Restored: r.Restored, Attempts: r.Attempts, ElapsedMS: r.Elapsed.Milliseconds(), Line: r.String()}
	if r.Err != nil {
		v.Error = r.Err.Error()
	}
	return v
}
