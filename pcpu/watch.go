package pcpu

import (
	"context"
	"errors"
	"time"

	"xgo.dev/xgo/hypercall"
)

// EventKind is what happened to a CPU.
type EventKind string

const (
	EventOnline  EventKind = "online"  // the CPU came online
	EventOffline EventKind = "offline" // the CPU went offline
	EventAdded   EventKind = "added"   // a CPU became present (hot-added)
	EventRemoved EventKind = "removed" // a CPU is no longer present
)

// Event is one change of a physical CPU's state.
type Event struct {
	Time time.Time
	CPU  uint32
	Kind EventKind
	// Source is where the change was seen: "uevent" (the kernel's
	// xen_cpu driver) or "poll" (XENPF_get_cpuinfo).
	Source string
}

// Uevents is a source of the kernel's xen_cpu uevents, as
// *hypercall.XenCPUUevents delivers them.
type Uevents interface {
	Next(ctx context.Context) (hypercall.XenCPUUevent, error)
}

// DefaultPollInterval is how often Watch reads the CPUs' state when it
// polls.
const DefaultPollInterval = time.Second

// WatchOptions control Watch.
type WatchOptions struct {
	// Uevents, when not nil, is where changes come from; otherwise Watch
	// polls XENPF_get_cpuinfo every Interval.
	Uevents Uevents
	// Interval between polls; 0 means DefaultPollInterval.
	Interval time.Duration
	// Count stops the watch after that many events; 0 watches until ctx
	// ends.
	Count int
	// Now stamps the events; nil means time.Now.
	Now func() time.Time
	// Ready, if set, is called once the watch is in place: a change made
	// after it returns is reported.
	Ready func(source string)
	// Read, if set, reads every CPU's state instead of
	// hypercall.ListPCPUs(h): a simulated host kept in a file that other
	// processes change re-reads the file each time.
	Read func() ([]hypercall.PCPUInfo, error)
}

// Watch reports changes of the physical CPUs' state to fn, in the order
// they happen, until ctx ends (it then returns nil), fn returns an error,
// or Count events were reported.
//
// With Uevents it reports the kernel's xen_cpu events: online, offline,
// add and remove of present CPUs. The kernel learns of a change from
// Xen's VIRQ_PCPU_STATE and re-reads every CPU, so a CPU that went
// offline and online again before the kernel looked shows no event, as in
// sysfs. When the kernel dropped events (its socket buffer was full),
// Watch reads the state from Xen and reports the differences from what it
// last knew. Without Uevents it compares a fresh XENPF_get_cpuinfo of
// every CPU with the previous one each Interval.
func Watch(ctx context.Context, h hypercall.Hypervisor, opts WatchOptions, fn func(Event) error) error {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	read := opts.Read
	if read == nil {
		read = func() ([]hypercall.PCPUInfo, error) { return hypercall.ListPCPUs(h) }
	}
	known, err := pollState(read)
	if err != nil {
		return err
	}
	n := 0
	emit := func(ev Event) (bool, error) {
		if err := fn(ev); err != nil {
			return true, err
		}
		n++
		return opts.Count > 0 && n >= opts.Count, nil
	}
	// emitDiff reports what changed since known, from a fresh read.
	emitDiff := func() (bool, error) {
		cur, err := pollState(read)
		if err != nil {
			return true, err
		}
		t := now()
		for _, ev := range diffStates(known, cur) {
			ev.Time = t
			if stop, err := emit(ev); stop || err != nil {
				known = cur
				return true, err
			}
		}
		known = cur
		return false, nil
	}

	if opts.Uevents == nil {
		if opts.Ready != nil {
			opts.Ready("poll")
		}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
			if stop, err := emitDiff(); stop || err != nil {
				return err
			}
		}
	}

	if opts.Ready != nil {
		opts.Ready("uevent")
	}
	for {
		ue, err := opts.Uevents.Next(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, hypercall.ErrUeventsLost):
			if stop, err := emitDiff(); stop || err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		ev := Event{Time: now(), CPU: ue.CPU, Source: "uevent"}
		st := known[ue.CPU]
		switch ue.Action {
		case "online":
			ev.Kind, st = EventOnline, cpuState{present: true, online: true}
		case "offline":
			ev.Kind, st = EventOffline, cpuState{present: true, online: false}
		case "add":
			// The driver registers the device with Xen's state at
			// the time; online and offline follow as changes.
			ev.Kind = EventAdded
			st.present = true
		case "remove":
			ev.Kind, st = EventRemoved, cpuState{}
		default:
			continue // bind, change, ...: not a state change
		}
		known[ue.CPU] = st
		if stop, err := emit(ev); stop || err != nil {
			return err
		}
	}
}

// cpuState is what Watch tracks of a CPU.
type cpuState struct {
	present, online bool
}

// pollState reads every CPU's state from Xen.
func pollState(read func() ([]hypercall.PCPUInfo, error)) (map[uint32]cpuState, error) {
	infos, err := read()
	if err != nil {
		return nil, explainRead(err)
	}
	m := make(map[uint32]cpuState, len(infos))
	for _, in := range infos {
		if !in.Invalid {
			m[in.CPU] = cpuState{present: true, online: in.Online}
		}
	}
	return m, nil
}

// diffStates lists the changes from a to b in CPU order.
func diffStates(a, b map[uint32]cpuState) []Event {
	maxID := uint32(0)
	for id := range a {
		maxID = max(maxID, id)
	}
	for id := range b {
		maxID = max(maxID, id)
	}
	var out []Event
	for id := uint32(0); id <= maxID; id++ {
		was, is := a[id], b[id]
		ev := Event{CPU: id, Source: "poll"}
		switch {
		case was == is:
			continue
		case !was.present && is.present:
			ev.Kind = EventAdded
			out = append(out, ev)
			if is.online {
				out = append(out, Event{CPU: id, Source: "poll", Kind: EventOnline})
			}
			continue
		case was.present && !is.present:
			ev.Kind = EventRemoved
		case is.online:
			ev.Kind = EventOnline
		default:
			ev.Kind = EventOffline
		}
		out = append(out, ev)
	}
	return out
}
