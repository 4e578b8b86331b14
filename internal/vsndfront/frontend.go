package vsndfront

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

// Options tune a Frontend. The zero value behaves like Linux 6.1's
// snd-xen-front.
type Options struct {
	// CloseOnClosing makes the frontend answer a backend in Closing by
	// going to Closed, the generic xenbus convention netfront and
	// blkfront follow. Linux's snd-xen-front ignores Closing (it tears
	// down only when the backend reaches Closed, and then goes back to
	// Initialising), which is the default.
	CloseOnClosing bool
	// FirstGrant and FirstPort are the lowest grant reference and event
	// channel port handed out (each the lowest free one, as Xen's
	// get_free_port and a fresh grant table's free list give them). 0
	// means 8 and 8, what the lab's 1-vCPU Linux 6.1 PV domU gave its
	// first card: grant references 0-7 are reserved
	// (GNTTAB_NR_RESERVED_ENTRIES), ports 1-7 are xenstore, console,
	// timer, IPIs and debug.
	FirstGrant, FirstPort uint32
	// RemoveTimeout is how long a removed device waits for its backend
	// to reach InitWait before giving up, as xen_drv_remove polls 100
	// times 10 ms. 0 means 1 s.
	RemoveTimeout time.Duration
	// Logf, if set, receives what Linux would print with dev_err and
	// dev_dbg.
	Logf func(format string, args ...any)
}

// Frontend plays the guest kernel's xenbus frontend bus with the
// snd-xen-front driver loaded: it finds the domain's vsnd devices, and
// for each runs the driver's state machine against its backend. Create
// it with New, run it with Run.
type Frontend struct {
	conn  *xenstore.Conn
	domid uint32
	opts  Options
	home  string // /local/domain/<domid>

	mu      sync.Mutex
	devs    map[int]*device
	grants  alloc
	ports   alloc
	changed chan struct{} // closed and replaced whenever a device changes
}

// New returns a frontend for domain domid speaking over conn, which must
// act as that domain (xensim.Sim.XenStoreAs(domid)).
func New(conn *xenstore.Conn, domid uint32, opts *Options) *Frontend {
	f := &Frontend{conn: conn, domid: domid, home: "/local/domain/" + strconv.FormatUint(uint64(domid), 10), devs: map[int]*device{}, changed: make(chan struct{})}
	if opts != nil {
		f.opts = *opts
	}
	if f.opts.FirstGrant == 0 {
		f.opts.FirstGrant = 8
	}
	if f.opts.FirstPort == 0 {
		f.opts.FirstPort = 8
	}
	if f.opts.RemoveTimeout == 0 {
		f.opts.RemoveTimeout = time.Second
	}
	f.grants.base, f.ports.base = f.opts.FirstGrant, f.opts.FirstPort
	return f
}

func (f *Frontend) logf(format string, args ...any) {
	if f.opts.Logf != nil {
		f.opts.Logf(format, args...)
	}
}

// Channel is one allocated ring and its event channel.
type Channel struct {
	Ref  uint32 // grant reference of the ring page
	Port uint32 // event channel port
}

// StreamChannels are the two channels of one stream, as published.
type StreamChannels struct {
	Stream StreamConfig
	Req    Channel // ring-ref, event-channel
	Evt    Channel // evt-ring-ref, evt-event-channel
}

// Device is a snapshot of one device as the frontend sees it.
type Device struct {
	DevID     int
	Node      string       // /local/domain/<domid>/device/vsnd/<devid>
	State     xenbus.State // the state the frontend last switched to
	Backend   string       // the backend path it read
	BackendID int
	// Err is what it reported with xenbus_dev_fatal ("19 initializing
	// frontend"), "" if nothing.
	Err      string
	Card     HW
	PCMs     []PCM
	Channels []StreamChannels // in publishing order
	// Publishes counts transactions that published channels; Attempts
	// counts the tries, conflicts included.
	Publishes, Attempts int
	// Events counts the backend state changes handled (the first is
	// the one a new watch fires at once).
	Events  int
	Removed bool
}

type device struct {
	Device
	watch *xenstore.Watch
}

// Device returns a snapshot of device devid, and whether the frontend
// has it.
func (f *Frontend) Device(devid int) (Device, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.devs[devid]
	if !ok {
		return Device{}, false
	}
	return d.snapshot(), true
}

func (d *device) snapshot() Device {
	s := d.Device
	s.PCMs = slices.Clone(d.PCMs)
	s.Channels = slices.Clone(d.Channels)
	return s
}

// WaitFor waits until cond holds for device devid (or it is removed,
// then cond sees Removed set).
func (f *Frontend) WaitFor(ctx context.Context, devid int, cond func(Device) bool) (Device, error) {
	for {
		f.mu.Lock()
		ch := f.changed
		d, ok := f.devs[devid]
		var snap Device
		if ok {
			snap = d.snapshot()
		}
		f.mu.Unlock()
		if ok && cond(snap) {
			return snap, nil
		}
		select {
		case <-ctx.Done():
			return snap, fmt.Errorf("vsndfront: device %d: %w (state %s)", devid, ctx.Err(), snap.State)
		case <-ch:
		}
	}
}

// WaitState waits until device devid's frontend state is s.
func (f *Frontend) WaitState(ctx context.Context, devid int, s xenbus.State) (Device, error) {
	return f.WaitFor(ctx, devid, func(d Device) bool { return d.State == s })
}

// notify wakes the waiters; call with f.mu held.
func (f *Frontend) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// update changes device d under the lock and wakes the waiters.
func (f *Frontend) update(d *device, fn func(*Device)) {
	f.mu.Lock()
	fn(&d.Device)
	f.notify()
	f.mu.Unlock()
}

type event struct {
	devid int // -1: the bus (device/vsnd) changed
}

// Run drives the frontend until ctx ends (it then returns ctx's error)
// or the connection breaks. Like Linux's xenwatch thread, it handles one
// event at a time.
func (f *Frontend) Run(ctx context.Context) error {
	events := make(chan event, 64)
	kick := func(e event) {
		select {
		case events <- e:
		default: // a pending event of the same kind makes us look anyway
			go func() {
				select {
				case events <- e:
				case <-ctx.Done():
				}
			}()
		}
	}
	bus, err := f.conn.Watch(ctx, f.home+"/device/vsnd", "vsndfront-bus")
	if err != nil {
		return err
	}
	defer bus.Close()
	go forward(bus, -1, kick)
	defer func() {
		f.mu.Lock()
		for _, d := range f.devs {
			if d.watch != nil {
				d.watch.Close()
			}
		}
		f.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.conn.Done():
			return f.conn.Err()
		case e := <-events:
			if e.devid < 0 {
				f.busChanged(ctx, kick)
			} else {
				f.otherendChanged(ctx, e.devid)
			}
		}
	}
}

func forward(w *xenstore.Watch, devid int, kick func(event)) {
	for range w.Events() {
		kick(event{devid: devid})
	}
}

// busChanged is the frontend bus's watch on device/: probe new vsnd
// devices whose state is Initialising (xenbus_probe_node), remove those
// whose node is gone (xenbus_dev_changed, xenbus_dev_remove).
func (f *Frontend) busChanged(ctx context.Context, kick func(event)) {
	ids, err := f.conn.Directory(ctx, f.home+"/device/vsnd")
	if err != nil && !errors.Is(err, xenstore.ErrNotExist) {
		f.logf("vsndfront: listing devices: %v", err)
		return
	}
	present := map[int]bool{}
	for _, n := range ids {
		id, err := strconv.Atoi(n)
		if err != nil || id < 0 {
			continue
		}
		present[id] = true
		f.mu.Lock()
		d, known := f.devs[id]
		known = known && !d.Removed
		f.mu.Unlock()
		if !known {
			f.probe(ctx, id, kick)
		}
	}
	f.mu.Lock()
	var gone []*device
	for id, d := range f.devs {
		if !present[id] && !d.Removed {
			gone = append(gone, d)
		}
	}
	f.mu.Unlock()
	for _, d := range gone {
		f.remove(ctx, d)
	}
}

// probe is xenbus_probe_node, talk_to_otherend, watch_otherend and the
// driver's probe for one device.
func (f *Frontend) probe(ctx context.Context, id int, kick func(event)) {
	node := f.home + "/device/vsnd/" + strconv.Itoa(id)
	if xenbus.ReadState(ctx, f.conn, node+"/state") != xenbus.Initialising {
		return // not new (it may be going away after Closed)
	}
	d := &device{Device: Device{DevID: id, Node: node, State: xenbus.Initialising}}
	f.mu.Lock()
	f.devs[id] = d
	f.notify()
	f.mu.Unlock()

	// xenbus_read_otherend_details: backend-id ("%i") and backend.
	idStr, err1 := f.conn.Read(ctx, node+"/backend-id")
	be, err2 := f.conn.Read(ctx, node+"/backend")
	beID, err3 := strconv.ParseInt(strings.TrimSpace(string(idStr)), 0, 32)
	if err := errors.Join(err1, err2); err != nil || err3 != nil {
		f.fatal(ctx, d, errnoOf(err, syscall.EINVAL), "reading other end details from "+node)
		return
	}
	if len(be) == 0 {
		f.fatal(ctx, d, syscall.ENOENT, "unable to read other end from "+node+".  missing or inaccessible.")
		return
	}
	if _, err := f.conn.Directory(ctx, string(be)); err != nil {
		f.fatal(ctx, d, syscall.ENOENT, "unable to read other end from "+node+".  missing or inaccessible.")
		return
	}
	f.update(d, func(x *Device) { x.Backend, x.BackendID = string(be), int(beID) })
	w, err := f.conn.Watch(ctx, string(be)+"/state", "vsndfront-otherend-"+strconv.Itoa(id))
	if err != nil {
		f.fatal(ctx, d, errnoOf(err, syscall.EINVAL), "adding watch on "+string(be)+"/state")
		return
	}
	d.watch = w
	go forward(w, id, kick)
	// xen_drv_probe: xenbus_switch_state(Initialising), a no-op here.
}

func errnoOf(err error, def syscall.Errno) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	var le errno
	if errors.As(err, &le) {
		return syscall.Errno(le)
	}
	return def
}

// otherendChanged is xenbus_otherend_changed and the driver's
// sndback_changed.
func (f *Frontend) otherendChanged(ctx context.Context, id int) {
	f.mu.Lock()
	d, ok := f.devs[id]
	f.mu.Unlock()
	if !ok || d.Removed || d.Backend == "" {
		return
	}
	bs := xenbus.ReadState(ctx, f.conn, d.Backend+"/state")
	f.logf("vsndfront: device %d: backend state is %s, front is %s", id, bs, d.State)
	defer f.update(d, func(x *Device) { x.Events++ })
	switch bs {
	case xenbus.Reconfiguring, xenbus.Reconfigured, xenbus.Initialised:
	case xenbus.Initialising:
		f.disconnect(ctx, d)
	case xenbus.InitWait:
		f.disconnect(ctx, d)
		if err := f.initwait(ctx, d); err != nil {
			f.fatal(ctx, d, errnoOf(err, syscall.EIO), "initializing frontend")
			return
		}
		f.switchState(ctx, d, xenbus.Initialised)
	case xenbus.Connected:
		if d.State != xenbus.Initialised {
			return
		}
		// sndback_connect builds the ALSA card from what was read.
		f.switchState(ctx, d, xenbus.Connected)
	case xenbus.Closing:
		if f.opts.CloseOnClosing {
			f.freeChannels(ctx, d)
			f.switchState(ctx, d, xenbus.Closed)
		}
		// snd-xen-front: the backend frees its resources first; wait
		// for its Closed.
	case xenbus.Unknown, xenbus.Closed:
		if d.State == xenbus.Closed {
			return
		}
		f.disconnect(ctx, d)
	}
}

// disconnect is sndback_disconnect: free every channel and go back to
// Initialising.
func (f *Frontend) disconnect(ctx context.Context, d *device) {
	f.freeChannels(ctx, d)
	f.switchState(ctx, d, xenbus.Initialising)
}

// freeChannels is xen_snd_front_evtchnl_free_all. Linux 6.1's
// evtchnl_free unbinds the IRQ, which closes the port, and then closes
// the port again with xenbus_free_evtchn, which fails with EINVAL and
// reports it with xenbus_dev_error: every freed channel writes "22
// freeing event channel <port>" to the device's error node, the last one
// staying (seen in the lab).
func (f *Frontend) freeChannels(ctx context.Context, d *device) {
	f.mu.Lock()
	chans := slices.Clone(d.Channels)
	for _, c := range chans {
		f.grants.free(c.Req.Ref)
		f.grants.free(c.Evt.Ref)
		f.ports.free(c.Req.Port)
		f.ports.free(c.Evt.Port)
	}
	d.Channels = nil
	f.notify()
	f.mu.Unlock()
	// evt_pairs are freed by stream index, request channel first.
	slices.SortFunc(chans, func(a, b StreamChannels) int { return a.Stream.Index - b.Stream.Index })
	for _, c := range chans {
		for _, port := range []uint32{c.Req.Port, c.Evt.Port} {
			f.devError(ctx, d, syscall.EINVAL, fmt.Sprintf("freeing event channel %d", port))
		}
	}
}

// initwait is sndback_initwait: read the card, allocate two channels per
// stream (xen_snd_front_evtchnl_create_all) and publish them in one
// transaction (xen_snd_front_evtchnl_publish_all).
func (f *Frontend) initwait(ctx context.Context, d *device) error {
	card, pcms, err := reader{ctx, f.conn}.readCard(d.Node)
	if err != nil {
		f.logf("vsndfront: device %d: configuration refused: %v", d.DevID, err)
		return err
	}
	var chans []StreamChannels
	f.mu.Lock()
	for _, p := range pcms {
		for _, s := range p.Streams { // playback first, then capture
			var sc StreamChannels
			sc.Stream = s
			// evtchnl_alloc: the ring's grant, then its port; request
			// channel first, then the event channel.
			sc.Req.Ref = f.grants.get()
			sc.Req.Port = f.ports.get()
			sc.Evt.Ref = f.grants.get()
			sc.Evt.Port = f.ports.get()
			chans = append(chans, sc)
		}
	}
	d.Card, d.PCMs, d.Channels = card, pcms, chans
	f.notify()
	f.mu.Unlock()

	publish := func(tx *xenstore.Tx) error {
		f.update(d, func(x *Device) { x.Attempts++ })
		for _, c := range chans {
			for _, kv := range [][2]string{
				{"ring-ref", strconv.FormatUint(uint64(c.Req.Ref), 10)},
				{"event-channel", strconv.FormatUint(uint64(c.Req.Port), 10)},
				{"evt-ring-ref", strconv.FormatUint(uint64(c.Evt.Ref), 10)},
				{"evt-event-channel", strconv.FormatUint(uint64(c.Evt.Port), 10)},
			} {
				if err := tx.Write(ctx, c.Stream.Path+"/"+kv[0], []byte(kv[1])); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := transactForever(ctx, f.conn, publish); err != nil {
		f.logf("vsndfront: device %d: publishing: %v", d.DevID, err)
		return err
	}
	f.update(d, func(x *Device) { x.Publishes++ })
	return nil
}

// transactForever runs fn in a transaction until a commit is not refused
// with EAGAIN: Linux's "goto again".
func transactForever(ctx context.Context, conn *xenstore.Conn, fn func(tx *xenstore.Tx) error) error {
	for {
		err := conn.Transact(ctx, fn)
		if !errors.Is(err, xenstore.ErrAgain) {
			return err
		}
	}
}

var errNoNode = errors.New("state node gone")

// switchState is __xenbus_switch_state: nothing if the frontend is
// already in s; else, in a transaction, read the state node (if it is
// gone, write nothing: the device is being torn down) and write s.
func (f *Frontend) switchState(ctx context.Context, d *device, s xenbus.State) {
	if d.State == s {
		return
	}
	path := d.Node + "/state"
	err := transactForever(ctx, f.conn, func(tx *xenstore.Tx) error {
		if _, err := tx.Read(ctx, path); err != nil {
			return errNoNode
		}
		return tx.Write(ctx, path, []byte(strconv.Itoa(int(s))))
	})
	if err != nil && !errors.Is(err, errNoNode) {
		f.logf("vsndfront: device %d: writing state %s: %v", d.DevID, s, err)
		return
	}
	f.update(d, func(x *Device) { x.State = s })
}

// devError is xenbus_dev_error: write "<errno> <message>" to
// error/device/vsnd/<devid>/error in the guest's home.
func (f *Frontend) devError(ctx context.Context, d *device, e syscall.Errno, msg string) string {
	text := fmt.Sprintf("%d %s", int(e), msg)
	f.logf("vsndfront: device %d: %s", d.DevID, text)
	path := f.home + "/error/device/vsnd/" + strconv.Itoa(d.DevID) + "/error"
	if err := f.conn.Write(ctx, path, []byte(text)); err != nil {
		f.logf("vsndfront: device %d: writing %s: %v", d.DevID, path, err)
	}
	return text
}

// fatal is xenbus_dev_fatal: xenbus_dev_error, then switch to Closing.
func (f *Frontend) fatal(ctx context.Context, d *device, e syscall.Errno, msg string) {
	text := f.devError(ctx, d, e, msg)
	f.update(d, func(x *Device) { x.Err = text })
	f.switchState(ctx, d, xenbus.Closing)
}

// remove is xenbus_dev_remove with the driver's xen_drv_remove: switch to
// Closing (a no-op once the node is gone), wait a little for the backend
// to reach InitWait, free everything, switch to Closed.
func (f *Frontend) remove(ctx context.Context, d *device) {
	if d.watch != nil {
		d.watch.Close()
	}
	f.switchState(ctx, d, xenbus.Closing)
	if d.Backend != "" {
		deadline := time.Now().Add(f.opts.RemoveTimeout)
		for time.Now().Before(deadline) && xenbus.ReadState(ctx, f.conn, d.Backend+"/state") != xenbus.InitWait {
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	f.freeChannels(ctx, d)
	f.switchState(ctx, d, xenbus.Closed)
	f.update(d, func(x *Device) { x.Removed = true })
}

// alloc hands out the lowest free number from base.
type alloc struct {
	base uint32
	used map[uint32]bool
}

func (a *alloc) get() uint32 {
	if a.used == nil {
		a.used = map[uint32]bool{}
	}
	n := a.base
	for a.used[n] {
		n++
	}
	a.used[n] = true
	return n
}

func (a *alloc) free(n uint32) { delete(a.used, n) }
