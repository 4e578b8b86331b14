package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

// device runs the xenbus state machine of one vsnd device whose backend
// directory is bePath, in its own goroutine.
type device struct {
	b      *Backend
	fe     uint32
	devid  int
	bePath string
	fePath string

	kick    chan struct{}
	failed  chan error
	dead    atomic.Bool  // the frontend's domain is gone
	state   xenbus.State // what this backend last wrote
	resumed bool         // found Connected: reconnecting is not news
	// failures counts the guest's failed connections; no InitWait
	// before retryAt.
	failures int
	retryAt  time.Time
	quick    int // connections tried again at once because the transport moved
	streams  []*stream

	logs  *logLimiter
	dbg   *logLimiter // verbose lines
	steps bucket      // state-machine passes: a guest's state-change storm waits
	// files is the guest's directory, from its first connection on.
	files *guestFiles
}

func newDevice(b *Backend, fe uint32, devid int, bePath string) *device {
	return &device{b: b, fe: fe, devid: devid, bePath: bePath, kick: make(chan struct{}, 1),
		logs: newLogLimiter(logLinesPer10s, logBurst), dbg: newLogLimiter(debugLinesPer10s, debugBurst), steps: newBucket(stepsPerSec, stepBurst)}
}

// logf logs one line about the device, at most logLinesPer10s every ten
// seconds after a burst of logBurst: a guest cannot flood dom0's log.
func (d *device) logf(format string, args ...any) {
	ok, dropped := d.logs.allow()
	if !ok {
		return
	}
	if dropped > 0 {
		format += fmt.Sprintf(" (%d earlier lines about this device suppressed)", dropped)
	}
	d.b.logf("dom%d vsnd%d: "+format, append([]any{d.fe, d.devid}, args...)...)
}

// debugf is logf's verbose twin (-v), limited likewise but apart, so
// that requests a guest makes fail on purpose cannot crowd out the
// device's state changes.
func (d *device) debugf(format string, args ...any) {
	if d.b.cfg.Debugf == nil {
		return
	}
	ok, dropped := d.dbg.allow()
	if !ok {
		return
	}
	if dropped > 0 {
		format += fmt.Sprintf(" (%d earlier verbose lines about this device suppressed)", dropped)
	}
	d.b.debugf("dom%d vsnd%d: "+format, append([]any{d.fe, d.devid}, args...)...)
}

func (d *device) poke() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// run follows the device until its backend directory is removed or ctx
// ends; then every stream is torn down and, if the directory is still
// there, the state is Closed.
func (d *device) run(ctx context.Context) {
	conn := d.b.cfg.XS
	defer func() {
		d.disconnect()
		if ctx.Err() != nil && d.state != xenbus.Closed && !d.b.cfg.KeepStates {
			cctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			d.switchState(cctx, xenbus.Closed)
			cancel()
		}
	}()
	fe, err := conn.Read(ctx, d.bePath+"/frontend")
	if err != nil {
		d.logf("no frontend node: %v", err)
		return
	}
	d.fePath = strings.TrimSpace(string(fe))
	if want := fmt.Sprintf("/local/domain/%d/device/vsnd/%d", d.fe, d.devid); d.fePath != want {
		d.logf("frontend node names %q, not %s: not served", d.fePath, want)
		return
	}
	w, err := conn.Watch(ctx, d.fePath+"/state", fmt.Sprintf("xgo-vsnd-fe-%d-%d", d.fe, d.devid))
	if err != nil {
		d.logf("watching the frontend: %v", err)
		return
	}
	defer w.Close()
	pace := time.NewTimer(time.Hour)
	defer pace.Stop()
	for {
		// A guest that flips its state as fast as it can gets
		// stepsPerSec passes of the state machine, no more; its events
		// meanwhile collapse into the next pass.
		if ok, wait := d.steps.take(time.Now()); !ok {
			pace.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-pace.C:
			}
			continue
		}
		if done := d.step(ctx); done {
			return
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-w.Events():
			if !ok {
				return
			}
		case <-d.kick:
		case err := <-d.failed:
			d.fail(ctx, syscall.EPROTO, err)
		}
	}
}

// step looks at both ends and does what the state machine says; done
// when the backend directory is gone.
func (d *device) step(ctx context.Context) (done bool) {
	conn := d.b.cfg.XS
	bs, err := conn.Read(ctx, d.bePath+"/state")
	if errors.Is(err, xenstore.ErrNotExist) {
		d.logf("backend directory removed")
		return true
	}
	if err != nil {
		return ctx.Err() != nil
	}
	if d.state == xenbus.Unknown {
		d.state = xenbus.ParseState(bs)
		if d.state == xenbus.Connected || d.state == xenbus.Initialised {
			// Left by an earlier backend: the frontend's transport may
			// still be published; connect to it afresh.
			d.state, d.resumed = xenbus.InitWait, true
		}
	}
	online, _ := conn.Read(ctx, d.bePath+"/online")
	fs := xenbus.ReadState(ctx, conn, d.fePath+"/state")
	switch {
	case d.dead.Load():
		if d.state != xenbus.Closed {
			d.logf("domain %d is gone", d.fe)
		}
		d.disconnect()
		d.switchState(ctx, xenbus.Closed)
		return false
	case strings.TrimSpace(string(online)) == "0":
		d.disconnect()
		d.switchState(ctx, xenbus.Closed)
		return false
	}
	switch fs {
	case xenbus.Initialising, xenbus.InitWait:
		if d.state == xenbus.Connected {
			d.logf("frontend went back to %s", fs)
		}
		if d.state != xenbus.InitWait && d.state != xenbus.Closing {
			if wait := time.Until(d.retryAt); wait > 0 {
				time.AfterFunc(wait, d.poke)
				return false
			}
			d.disconnect()
			if err := conn.Write(ctx, d.bePath+"/versions", []byte(sndif.Versions)); err != nil {
				d.logf("writing versions: %v", err)
				return false
			}
			d.switchState(ctx, xenbus.InitWait)
		}
	case xenbus.Initialised, xenbus.Connected:
		if d.state != xenbus.InitWait {
			return false
		}
		used, err := d.connect(ctx)
		if errors.Is(err, errNotPublished) {
			return false // it is publishing again: its state change wakes us
		}
		if err != nil {
			d.disconnect()
			if d.quick < 3 && d.transportMoved(ctx, used) {
				// Linux's frontend frees and re-publishes everything on
				// every backend InitWait event it sees, so a second
				// event can revoke the grants we just read.
				d.quick++
				d.debugf("%v; the frontend published again meanwhile: trying again", err)
				d.poke()
				return false
			}
			e := syscall.EINVAL
			switch {
			case errors.Is(err, errNotConfigured):
				e = syscall.EACCES
			case errors.Is(err, ErrGrantLimit):
				e = syscall.ENOMEM
			}
			d.fail(ctx, e, fmt.Errorf("connecting: %w", err))
			return false
		}
		d.quick = 0
		d.switchState(ctx, xenbus.Connected)
	case xenbus.Closing:
		d.disconnect()
		d.switchState(ctx, xenbus.Closing)
	case xenbus.Closed, xenbus.Unknown:
		d.disconnect()
		d.switchState(ctx, xenbus.Closed)
	}
	return false
}

// fail tears the device down after an error of the guest's (a transport
// that does not map or bind, a broken ring): the reason goes to the
// error node and the state to Closed, upon which Linux's frontend frees
// its channels and starts again from Initialising. The next InitWait
// waits 250 ms, doubled at every failure up to 30 s, so a guest that
// keeps failing costs little.
func (d *device) fail(ctx context.Context, e syscall.Errno, err error) {
	d.logf("%v: closing the device", err)
	d.disconnect()
	d.devError(ctx, e, err.Error())
	d.switchState(ctx, xenbus.Closed)
	d.failures++
	d.retryAt = time.Now().Add(min(250*time.Millisecond<<min(d.failures-1, 10), 30*time.Second))
}

// transportMoved reports whether the frontend left Initialised or
// published other transport than used since connect read it.
func (d *device) transportMoved(ctx context.Context, used []StreamConfig) bool {
	if fs := xenbus.ReadState(ctx, d.b.cfg.XS, d.fePath+"/state"); fs != xenbus.Initialised && fs != xenbus.Connected {
		return true
	}
	now, err := d.readTransport(ctx)
	if err != nil || len(now) != len(used) {
		return err == nil || errors.Is(err, errNotPublished)
	}
	for i := range now {
		a, b := now[i], used[i]
		if a.RingRef != b.RingRef || a.EventChannel != b.EventChannel || a.EvtRingRef != b.EvtRingRef || a.EvtEventChannel != b.EvtEventChannel {
			return true
		}
	}
	return false
}

// errNotPublished: the frontend is not (or no longer) in Initialised or
// Connected, so its transport is not a finished publication.
var errNotPublished = errors.New("the frontend has not published its transport")

// readTransport reads the streams and their transport, and the
// frontend's state, in one transaction. Linux's frontend publishes all
// of it in one transaction and then switches to Initialised; on every
// backend InitWait event it sees it first frees everything and goes
// back to Initialising. Reading node by node could mix two
// publications (seen in the lab: one stream's ring-ref was another's
// evt-ring-ref, the rings were crossed and aplay found no
// configuration); one transaction sees one finished publication or
// none.
//
// The admin's record of the card (RecordDir below the backend
// directory, which only dom0 writes) is read in the same transaction:
// each stream is routed by the record's unique-id, never the
// frontend's, and a frontend that shows streams or ranges the record
// does not have is refused (errNotConfigured). A card without a record
// (xl vsnd-attach writes none) is served with every stream on its
// default route.
func (d *device) readTransport(ctx context.Context) ([]StreamConfig, error) {
	var cfgs []StreamConfig
	err := d.b.cfg.XS.Transact(ctx, func(tx *xenstore.Tx) error {
		if fs := xenbus.ReadState(ctx, tx, d.fePath+"/state"); fs != xenbus.Initialised && fs != xenbus.Connected {
			return errNotPublished
		}
		r := cfgReader{ctx, tx}
		var err error
		if cfgs, err = r.readStreams(d.fePath, true); err != nil {
			return err
		}
		rec, err := r.record(d.bePath + "/" + recordDir)
		if err != nil {
			return err
		}
		return bindToRecord(cfgs, rec)
	})
	return cfgs, err
}

// connect reads the streams and their transport, maps and binds them
// all, and starts serving them. It returns what it read.
func (d *device) connect(ctx context.Context) ([]StreamConfig, error) {
	cfgs, err := d.readTransport(ctx)
	if err != nil {
		return nil, err
	}
	if d.files == nil {
		if d.files, err = d.b.guest(ctx, d.fe); err != nil {
			return cfgs, fmt.Errorf("the guest's WAV directory: %w", err)
		}
	}
	d.failed = make(chan error, 1)
	for _, c := range cfgs {
		s := &stream{d: d, cfg: c}
		d.streams = append(d.streams, s)
		if err := s.attach(); err != nil {
			return cfgs, err
		}
	}
	failed := d.failed
	for _, s := range d.streams {
		s.start(func(err error) {
			select {
			case failed <- err:
			default:
			}
		})
	}
	for _, s := range d.streams {
		d.debugf("%s: unique-id %q, ring-ref %d port %d, evt-ring-ref %d port %d", s.cfg, s.cfg.UniqueID, s.cfg.RingRef, s.cfg.EventChannel, s.cfg.EvtRingRef, s.cfg.EvtEventChannel)
	}
	return cfgs, nil
}

// disconnect stops every stream (finalising open WAV files), unbinds
// the ports and unmaps the pages.
func (d *device) disconnect() {
	for _, s := range d.streams {
		s.halt()
		s.detach()
	}
	d.streams = nil
}

// switchState is __xenbus_switch_state: write s unless the node is gone.
func (d *device) switchState(ctx context.Context, s xenbus.State) {
	if d.state == s {
		return
	}
	path := d.bePath + "/state"
	err := d.b.cfg.XS.Transact(ctx, func(tx *xenstore.Tx) error {
		if _, err := tx.Read(ctx, path); err != nil {
			return err
		}
		return tx.Write(ctx, path, []byte(strconv.Itoa(int(s))))
	})
	if err != nil {
		if !errors.Is(err, xenstore.ErrNotExist) && ctx.Err() == nil {
			d.logf("writing state %s: %v", s, err)
		}
		return
	}
	if d.resumed && s == xenbus.Connected {
		d.debugf("connected again")
	} else {
		d.logf("%s -> %s", d.state, s)
	}
	d.resumed = false
	d.state = s
}

// devError is xenbus_dev_error: "<errno> <message>" in
// error/backend/vsnd/<fe>/<devid>/error under this domain.
func (d *device) devError(ctx context.Context, e syscall.Errno, msg string) {
	path := fmt.Sprintf("/local/domain/%d/error/backend/vsnd/%d/%d/error", d.b.cfg.Self, d.fe, d.devid)
	if err := d.b.cfg.XS.Write(ctx, path, fmt.Appendf(nil, "%d %s", int(e), msg)); err != nil {
		d.debugf("writing %s: %v", path, err)
	}
}
