package hypercall

import (
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Xen is an open handle on the hypervisor: the privcmd device plus its
// hypercall buffers, and the interface versions chosen for the running
// release. It implements Hypervisor.
//
// A Xen is safe for concurrent use: each call gets its own hypercall
// buffer. Close waits for calls in progress and makes later calls fail
// with ErrClosed.
type Xen struct {
	dev   device
	bufs  *bufPool
	abi   ABI
	major int // as reported by XENVER_version
	minor int
	// pciDir is where PCITopology lists dom0's PCI devices
	// (PCISysfsDir; tests use a temporary directory).
	pciDir string

	calls atomic.Uint64
	trace *tracer
	sleep func(time.Duration)

	mu      sync.RWMutex // held shared by calls, exclusively by Close
	closed  bool
	cleanup runtime.Cleanup // closes the device of a leaked handle
}

var _ Hypervisor = (*Xen)(nil)

// options are the environment of newXen; tests replace them.
type options struct {
	getenv func(string) string
	stderr io.Writer
	sleep  func(time.Duration)
}

func defaultOptions() options {
	return options{getenv: os.Getenv, stderr: os.Stderr, sleep: time.Sleep}
}

// newXen wraps an open device: it asks Xen for its version and picks the
// ABI. On error the device is closed.
func newXen(dev device, o options) (*Xen, error) {
	x := &Xen{dev: dev, sleep: o.sleep, pciDir: PCISysfsDir}
	x.bufs = &bufPool{dev: dev, page: dev.pageSize()}
	if debugEnabled(o.getenv(EnvDebug), "hypercall") {
		x.trace = &tracer{w: o.stderr}
	}
	v, err := x.versionNumber()
	if err != nil {
		_ = dev.close()
		return nil, err
	}
	x.major, x.minor = int(v>>16), int(v&0xFFFF)
	x.abi, err = selectABI(x.major, x.minor, o.getenv(EnvXenVersion))
	if err != nil {
		_ = dev.close()
		return nil, err
	}
	return x, nil
}

// confirmDom0 asks Xen whether this domain may use sysctl, for hosts
// whose /proc/xen/capabilities could not be read: a guest gets EPERM.
// It closes x when the answer is no.
func confirmDom0(x *Xen) error {
	_, err := x.SchedulerID()
	if err == nil {
		return nil
	}
	x.Close()
	if errors.Is(err, syscall.Errno(xenEPERM)) {
		return &OpError{Op: "open", Meaning: "not running in dom0: Xen refuses sysctl to this domain and /proc/xen/capabilities is not readable (is xenfs mounted?)", Err: syscall.Errno(xenEPERM), sentinel: ErrNotDom0}
	}
	return err
}

// ABI returns the interface versions in use.
func (x *Xen) ABI() ABI { return x.abi }

// Hypercalls returns how many hypercalls this handle has issued,
// including retries. It lets tests and benchmarks check the cost of an
// operation.
func (x *Xen) Hypercalls() uint64 { return x.calls.Load() }

// Close releases the device and the cached buffers. It waits for calls in
// progress; later calls fail with ErrClosed.
func (x *Xen) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	x.cleanup.Stop()
	x.bufs.drain()
	return x.dev.close()
}

// cleanupArg is what closeLeaked needs; it must not reach the *Xen.
type cleanupArg struct {
	dev  device
	bufs *bufPool
}

// closeLeaked is the backstop for a handle dropped without Close.
func closeLeaked(c cleanupArg) {
	c.bufs.drain()
	_ = c.dev.close()
}

// retryRule lets a call be reissued when it fails with errno, up to max
// times, sleeping between attempts.
type retryRule struct {
	errno syscall.Errno
	max   int
	pause time.Duration // first pause; doubles up to maxPause
}

const maxPause = 20 * time.Millisecond

// Retry rules. EINTR: always, at once. The others follow libxc:
// do_sysctl_save retries cpupool operations on EAGAIN (xgo bounds it),
// xc_cpupool_removecpu retries EADDRINUSE 5 times; get_cpuinfo's EBUSY
// only lasts while a hotplug operation holds the CPU maps.
var (
	retryEINTR      = retryRule{errno: syscall.Errno(xenEINTR), max: 16}
	retryEAGAIN     = retryRule{errno: syscall.Errno(xenEAGAIN), max: 250, pause: time.Millisecond}
	retryEADDRINUSE = retryRule{errno: syscall.Errno(xenEADDRINUSE), max: 5, pause: 10 * time.Millisecond}
	retryEBUSY      = retryRule{errno: syscall.Errno(xenEBUSY), max: 50, pause: time.Millisecond}
)

// call describes one hypercall for the choke point.
type call struct {
	hc     uint64    // __HYPERVISOR_*
	arg    [5]uint64 // the hypercall's arguments (pointers into hypercall memory)
	kind   Op        // selects errno meanings
	op     string    // e.g. "sysctl cpupool_op rmcpu"
	target string    // e.g. "pool 3, cpu 5"
	// req is the request struct in hypercall memory. Xen may write to it
	// before failing, so it is restored before each retry.
	req   []byte
	retry []retryRule
}

// doReq issues a hypercall whose only argument is its request struct in
// hypercall memory, as sysctl, domctl and platform_op all are.
func (x *Xen) doReq(hc uint64, req []byte, kind Op, op, target string, retry []retryRule) error {
	_, err := x.do(&call{
		hc:     hc,
		arg:    [5]uint64{uint64(addrOf(req))},
		kind:   kind,
		op:     op,
		target: target,
		req:    req,
		retry:  retry,
	})
	return err
}

// do is the single place that issues hypercalls. It counts and traces
// every attempt, retries per the call's rules, and turns a failure into an
// *OpError. The caller keeps the hypercall buffer alive (it is not Go
// memory, so the garbage collector does not track it) until do returns.
//
// do must run inside x.run, which holds the handle open.
func (x *Xen) do(c *call) (uintptr, error) {
	saved := append([]byte(nil), c.req...)
	rules := append([]retryRule{retryEINTR}, c.retry...)
	tries := make([]int, len(rules))
	for attempt := 0; ; attempt++ {
		h := privcmdHypercall{Op: c.hc, Arg: c.arg}
		start := time.Now()
		r, errno := x.dev.hypercall(&h)
		x.calls.Add(1)
		x.trace.line(c.op, c.target, attempt, r, errno, time.Since(start))
		if errno == 0 {
			return r, nil
		}
		again := false
		for i, rule := range rules {
			if rule.errno == errno && tries[i] < rule.max {
				if rule.pause > 0 {
					p := rule.pause << min(tries[i], 8)
					x.sleep(min(p, maxPause))
				}
				tries[i]++
				again = true
				break
			}
		}
		if !again {
			return 0, newOpError(c.kind, c.op, c.target, errno)
		}
		copy(c.req, saved)
	}
}

// run holds the handle open while fn issues its hypercalls with an arena
// of at least n bytes of hypercall memory (none if n is 0), and frees the
// memory afterwards. op names the operation for ErrClosed.
func (x *Xen) run(op string, n int, fn func(a *arena) error) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return &OpError{Op: op, sentinel: ErrClosed}
	}
	if n == 0 {
		return fn(&arena{})
	}
	b, err := x.bufs.get(n)
	if err != nil {
		return &OpError{Op: op, Meaning: err.Error(), Err: errnoOf(err)}
	}
	defer x.bufs.put(b)
	return fn(&arena{mem: b})
}
