package simguest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xenstore"
)

// Frontend is a guest's snd-xen-front for one device: Attach runs the
// xenbus handshake, its Streams speak sndif over the rings.
type Frontend struct {
	x       *Xen
	conn    *xenstore.Conn
	Dom     uint32
	BackDom uint32
	DevID   int
	Path    string // device/vsnd/<devid> in the guest's home
	Backend string
	ev      *Evtchn
	Streams []*Stream

	mu    sync.Mutex
	ports map[uint32]func()
	done  chan struct{}
}

// Stream is one stream's channels and, once opened, its buffer.
type Stream struct {
	f       *Frontend
	Path    string
	Capture bool

	ringFrame, evtFrame int
	ring                *sndif.FrontRing
	RingPage            []byte // the shared request ring, for tests that break it
	ringRef, port       uint32
	evt                 *sndif.EventConsumer
	EventPage           []byte
	evtRef, evtPort     uint32
	resp                chan struct{}

	mu        sync.Mutex
	positions []uint64
	eventIDs  []uint16
	evChanged chan struct{}

	nextID   uint16
	buf      []byte
	bufFrame int
	bufRefs  []uint32
	dir      []int // directory frames
	dirRefs  []uint32
	off      uint32 // next write/read offset in the buffer
	BufSize  uint32
	Written  uint64
}

// StateOf reads a xenbus state node.
func StateOf(ctx context.Context, conn *xenstore.Conn, path string) int {
	v, err := conn.Read(ctx, path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(v)))
	return n
}

// WaitState waits until the node at path holds one of states.
func WaitState(ctx context.Context, conn *xenstore.Conn, path string, states ...int) (int, error) {
	w, err := conn.Watch(ctx, path, "simguest-"+path)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	for {
		s := StateOf(ctx, conn, path)
		for _, want := range states {
			if s == want {
				return s, nil
			}
		}
		select {
		case <-ctx.Done():
			return s, fmt.Errorf("%s is %d, waiting for %v: %w", path, s, states, ctx.Err())
		case <-w.Events():
		}
	}
}

// Attach plays snd-xen-front's probe for device devid of domain dom,
// whose XenStore connection is conn (acting as dom): it waits for the
// backend's InitWait, allocates and grants the two pages and two ports
// of every stream, publishes them in one transaction, switches to
// Initialised, waits for the backend's Connected and switches to
// Connected.
func Attach(ctx context.Context, x *Xen, conn *xenstore.Conn, dom uint32, devid int) (*Frontend, error) {
	f := &Frontend{x: x, conn: conn, Dom: dom, DevID: devid, ports: map[uint32]func(){}, done: make(chan struct{})}
	f.Path = fmt.Sprintf("/local/domain/%d/device/vsnd/%d", dom, devid)
	be, err := conn.Read(ctx, f.Path+"/backend")
	if err != nil {
		return nil, err
	}
	f.Backend = string(be)
	bid, err := conn.Read(ctx, f.Path+"/backend-id")
	if err != nil {
		return nil, err
	}
	n, _ := strconv.ParseUint(string(bid), 10, 32)
	f.BackDom = uint32(n)
	if _, err := WaitState(ctx, conn, f.Backend+"/state", 2); err != nil {
		return nil, err
	}
	f.ev = x.Evtchn(dom)
	go f.dispatch()
	// Streams, PCM by PCM, as Linux counts them.
	for p := 0; ; p++ {
		found := false
		for s := 0; ; s++ {
			dir := fmt.Sprintf("%s/%d/%d", f.Path, p, s)
			typ, err := conn.Read(ctx, dir+"/type")
			if err != nil {
				break
			}
			found = true
			st, err := f.newStream(dir, strings.EqualFold(string(typ), "c"))
			if err != nil {
				f.Close()
				return nil, err
			}
			f.Streams = append(f.Streams, st)
		}
		if !found {
			break
		}
	}
	err = conn.Transact(ctx, func(tx *xenstore.Tx) error {
		for _, s := range f.Streams {
			for k, v := range map[string]uint32{"ring-ref": s.ringRef, "event-channel": s.port, "evt-ring-ref": s.evtRef, "evt-event-channel": s.evtPort} {
				if err := tx.Write(ctx, s.Path+"/"+k, []byte(strconv.FormatUint(uint64(v), 10))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = conn.Write(ctx, f.Path+"/state", []byte("3"))
	}
	if err == nil {
		_, err = WaitState(ctx, conn, f.Backend+"/state", 4)
	}
	if err == nil {
		err = conn.Write(ctx, f.Path+"/state", []byte("4"))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Frontend) newStream(dir string, capture bool) (*Stream, error) {
	s := &Stream{f: f, Path: dir, Capture: capture, resp: make(chan struct{}, 1), evChanged: make(chan struct{})}
	var err error
	if s.RingPage, s.ringFrame, err = f.x.Alloc(f.Dom, 1); err != nil {
		return nil, err
	}
	if s.ring, err = sndif.NewFrontRing(s.RingPage); err != nil {
		return nil, err
	}
	if s.ringRef, err = f.x.Grant(f.Dom, f.BackDom, s.ringFrame, false); err != nil {
		return nil, err
	}
	if s.EventPage, s.evtFrame, err = f.x.Alloc(f.Dom, 1); err != nil {
		return nil, err
	}
	if s.evt, err = sndif.NewEventConsumer(s.EventPage); err != nil {
		return nil, err
	}
	if s.evtRef, err = f.x.Grant(f.Dom, f.BackDom, s.evtFrame, false); err != nil {
		return nil, err
	}
	if s.port, err = f.ev.AllocUnbound(f.BackDom); err != nil {
		return nil, err
	}
	if s.evtPort, err = f.ev.AllocUnbound(f.BackDom); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.ports[s.port] = func() {
		select {
		case s.resp <- struct{}{}:
		default:
		}
	}
	f.ports[s.evtPort] = s.takeEvents
	f.mu.Unlock()
	return s, nil
}

func (f *Frontend) dispatch() {
	defer close(f.done)
	for {
		ports, err := f.ev.Pending()
		if err != nil {
			return
		}
		for _, p := range ports {
			f.mu.Lock()
			fn := f.ports[p]
			f.mu.Unlock()
			if fn != nil {
				fn()
			}
		}
		f.ev.Unmask(ports...)
	}
}

// Close frees the frontend's event channels (the guest's driver going
// away without a handshake).
func (f *Frontend) Close() {
	if f.ev != nil {
		f.ev.Close()
		<-f.done
		f.ev = nil
	}
}

// SpoilRing stores v as the ring's req_prod, as a guest breaking the
// protocol would, and notifies the backend.
func (s *Stream) SpoilRing(v uint32) {
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&s.RingPage[0])), v)
	s.f.ev.Notify(s.port)
}

// NotifyAll signals every stream's request channel, as a guest that
// changed its rings would.
func (f *Frontend) NotifyAll() {
	for _, s := range f.Streams {
		f.ev.Notify(s.port)
	}
}

// takeEvents is the event channel's interrupt: CUR_POS positions are
// recorded.
func (s *Stream) takeEvents() {
	evs := s.evt.Events()
	s.mu.Lock()
	for _, e := range evs {
		if e.Type == sndif.EvtCurPos {
			s.positions = append(s.positions, e.Position)
			s.eventIDs = append(s.eventIDs, e.ID)
		}
	}
	close(s.evChanged)
	s.evChanged = make(chan struct{})
	s.mu.Unlock()
}

// Positions returns the CUR_POS positions and event ids received.
func (s *Stream) Positions() ([]uint64, []uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.positions...), append([]uint16(nil), s.eventIDs...)
}

// Position is the last CUR_POS position (0 before any).
func (s *Stream) Position() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.positions) == 0 {
		return 0
	}
	return s.positions[len(s.positions)-1]
}

// WaitPosition waits for a CUR_POS at or past pos.
func (s *Stream) WaitPosition(ctx context.Context, pos uint64) error {
	for {
		s.mu.Lock()
		ch := s.evChanged
		var cur uint64
		if n := len(s.positions); n > 0 {
			cur = s.positions[n-1]
		}
		s.mu.Unlock()
		if cur >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("position %d, waiting for %d: %w", cur, pos, ctx.Err())
		case <-ch:
		}
	}
}

// ErrTimeout is a request the backend did not answer in time (Linux's
// VSND_WAIT_BACK_MS, 3 s).
var ErrTimeout = errors.New("simguest: no response")

// Do sends one request and waits for its response, as be_stream_do_io
// and be_stream_wait_io do.
func (s *Stream) Do(req sndif.Request) (sndif.Response, error) {
	req.ID = s.nextID
	s.nextID++
	s.ring.Put(&req)
	if s.ring.Push() {
		s.f.ev.Notify(s.port)
	}
	deadline := time.After(3 * time.Second)
	for {
		for _, r := range s.ring.Responses() {
			if r.ID == req.ID {
				return r, nil
			}
		}
		select {
		case <-s.resp:
		case <-deadline:
			return sndif.Response{}, fmt.Errorf("%w to %s", ErrTimeout, req.Operation)
		}
	}
}

// ErrStatus is a request the backend answered with an error status.
var ErrStatus = errors.New("simguest: error status")

func statusErr(r sndif.Response, err error) error {
	if err != nil {
		return err
	}
	if r.Status != 0 {
		return fmt.Errorf("%s: %w %d", r.Operation, ErrStatus, r.Status)
	}
	return nil
}

// Query sends HW_PARAM_QUERY.
func (s *Stream) Query(q sndif.HwParam) (sndif.Response, error) {
	return s.Do(sndif.Request{Operation: sndif.OpHwParamQuery, HwParam: q})
}

// Open allocates a buffer of size octets (adjacent pages) with its page
// directory, grants them, and sends OPEN.
func (s *Stream) Open(format sndif.Format, rate uint32, channels uint8, size, period uint32) error {
	r, err := s.OpenRaw(format, rate, channels, size, period, nil)
	return statusErr(r, err)
}

// OpenRaw is Open with a hook that may spoil the directory or request
// before it is sent.
func (s *Stream) OpenRaw(format sndif.Format, rate uint32, channels uint8, size, period uint32, spoil func(req *sndif.Request, dir [][]byte)) (sndif.Response, error) {
	s.release()
	x, f := s.f.x, s.f
	n := sndif.BufferPages(size)
	var err error
	if n > 0 {
		if s.buf, s.bufFrame, err = x.Alloc(f.Dom, n); err != nil {
			return sndif.Response{}, err
		}
		for i := range n {
			ref, _ := x.Grant(f.Dom, f.BackDom, s.bufFrame+i, false)
			s.bufRefs = append(s.bufRefs, ref)
		}
	}
	nd := max(sndif.DirPages(size), 1)
	var dirPages [][]byte
	for range nd {
		p, fr, err := x.Alloc(f.Dom, 1)
		if err != nil {
			return sndif.Response{}, err
		}
		ref, _ := x.Grant(f.Dom, f.BackDom, fr, false)
		s.dir = append(s.dir, fr)
		s.dirRefs = append(s.dirRefs, ref)
		dirPages = append(dirPages, p)
	}
	for i, p := range dirPages {
		var next uint32
		if i+1 < nd {
			next = s.dirRefs[i+1]
		}
		lo := i * sndif.DirRefsPerPage
		hi := min(lo+sndif.DirRefsPerPage, len(s.bufRefs))
		sndif.EncodeDirPage(p, next, s.bufRefs[lo:hi])
	}
	s.BufSize, s.off, s.Written = size, 0, 0
	req := sndif.Request{Operation: sndif.OpOpen, Open: sndif.OpenReq{PCMRate: rate, PCMFormat: format, PCMChannels: channels, BufferSize: size, GrefDirectory: s.dirRefs[0], PeriodSize: period}}
	if spoil != nil {
		spoil(&req, dirPages)
	}
	return s.Do(req)
}

// release revokes and frees the buffer and directory.
func (s *Stream) release() {
	x, f := s.f.x, s.f
	for _, r := range s.bufRefs {
		x.Revoke(f.Dom, r)
	}
	for _, r := range s.dirRefs {
		x.Revoke(f.Dom, r)
	}
	if s.buf != nil {
		x.Free(f.Dom, s.bufFrame, len(s.buf)/PageSize)
	}
	for _, fr := range s.dir {
		x.Free(f.Dom, fr, 1)
	}
	s.buf, s.bufRefs, s.dir, s.dirRefs = nil, nil, nil, nil
}

// Trigger sends TRIGGER.
func (s *Stream) Trigger(t sndif.Trigger) error {
	return statusErr(s.Do(sndif.Request{Operation: sndif.OpTrigger, Trigger: t}))
}

// Close sends CLOSE and frees the buffer.
func (s *Stream) Close() error {
	err := statusErr(s.Do(sndif.Request{Operation: sndif.OpClose}))
	s.release()
	return err
}

// Write copies p (at most the buffer) into the buffer at the running
// offset, wrapping as ALSA's ring buffer does, and sends one WRITE per
// contiguous piece.
func (s *Stream) Write(p []byte) error {
	for len(p) > 0 {
		n := min(uint32(len(p)), s.BufSize-s.off)
		copy(s.buf[s.off:], p[:n])
		if err := statusErr(s.Do(sndif.Request{Operation: sndif.OpWrite, RW: sndif.RWReq{Offset: s.off, Length: n}})); err != nil {
			return err
		}
		s.Written += uint64(n)
		s.off = (s.off + n) % s.BufSize
		p = p[n:]
	}
	return nil
}

// Read asks for n octets at the running offset and returns them.
func (s *Stream) Read(n uint32) ([]byte, error) {
	var out []byte
	for n > 0 {
		k := min(n, s.BufSize-s.off)
		if err := statusErr(s.Do(sndif.Request{Operation: sndif.OpRead, RW: sndif.RWReq{Offset: s.off, Length: k}})); err != nil {
			return out, err
		}
		out = append(out, s.buf[s.off:s.off+k]...)
		s.off = (s.off + k) % s.BufSize
		n -= k
	}
	return out, nil
}

// Play plays data as aplay does: it fills the buffer, starts the
// stream, writes a period whenever the position (from CUR_POS events)
// leaves room, then waits until everything was played (drain) and stops.
func (s *Stream) Play(ctx context.Context, data []byte, period uint32) error {
	first := min(uint32(len(data)), s.BufSize)
	if err := s.Write(data[:first]); err != nil {
		return err
	}
	data = data[first:]
	if err := s.Trigger(sndif.TriggerStart); err != nil {
		return err
	}
	for len(data) > 0 {
		room := uint64(s.BufSize) - (s.Written - s.Position())
		if room < uint64(period) {
			if err := s.WaitPosition(ctx, s.Written-uint64(s.BufSize)+uint64(period)); err != nil {
				return err
			}
			continue
		}
		n := min(uint64(len(data)), room/uint64(period)*uint64(period))
		if err := s.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	if err := s.WaitPosition(ctx, s.Written); err != nil {
		return err
	}
	return s.Trigger(sndif.TriggerStop)
}
