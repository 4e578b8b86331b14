package backend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	"xgo.dev/xgo/sound/route"
	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xendev"
)

// stream serves one stream of a connected device: its request ring,
// its event page, and while it is open the shared buffer and the sink
// or source. One goroutine (run) owns everything below the channels.
type stream struct {
	d   *device
	cfg StreamConfig

	ringMap, evtMap xendev.Mapping
	ring            *sndif.BackRing
	evts            *sndif.EventProducer
	port, evtPort   uint32 // local ports
	bound           [2]bool
	kick            chan struct{}
	stop            chan struct{}
	done            chan struct{}

	// Between OPEN and CLOSE.
	open     bool
	format   sndif.Format
	pf       pcmFormat
	rate     uint32
	channels int
	frame    uint64
	bufSize  uint32
	period   uint32
	buf      xendev.Mapping
	sink     Sink
	source   Source
	endpoint string
	running  bool
	lastTick time.Time
	remNs    uint64 // fraction of a frame the clock owes, in ns·Hz
	written  uint64 // playback: octets the guest wrote since OPEN
	// baseW and basePos are written and pos when the stream last
	// stopped (or was opened): a guest may write at most one buffer
	// more than the clock advanced since then. A stop discards what the
	// guest had written ahead, as a card's does, so ALSA's refill after
	// an underrun is not "ahead"; rebases bounds how often a stop may
	// grant that buffer again.
	baseW, basePos uint64
	rebases        bucket
	pos            uint64 // octets played or captured since OPEN
	lastEvent      uint64 // position of the last CUR_POS
	volumes        []int32
	mutes          []bool

	evtID uint16 // next event id: counts from 0 for the connection, as the frontend expects
	// held is a WRITE that came more than a buffer ahead of the clock:
	// it is answered (and the ring read on) when the clock catches up.
	held *sndif.Request
	// reqs bounds the requests served a second.
	reqs bucket
	// Counters.
	requests, events, dropped uint64
}

func (s *stream) logf(format string, args ...any) {
	s.d.debugf("%s: "+format, append([]any{s.cfg}, args...)...)
}

// attach maps the stream's two pages and binds its two ports.
func (s *stream) attach() error {
	fe := s.d.fe
	g := s.d.b.grants
	var err error
	if s.ringMap, err = g.Map(fe, []uint32{s.cfg.RingRef}, true); err != nil {
		return fmt.Errorf("%s: mapping ring-ref %d: %w", s.cfg, s.cfg.RingRef, err)
	}
	if s.ring, err = sndif.NewBackRing(s.ringMap.Bytes()); err != nil {
		return fmt.Errorf("%s: ring: %w", s.cfg, err)
	}
	if s.evtMap, err = g.Map(fe, []uint32{s.cfg.EvtRingRef}, true); err != nil {
		return fmt.Errorf("%s: mapping evt-ring-ref %d: %w", s.cfg, s.cfg.EvtRingRef, err)
	}
	if s.evts, err = sndif.NewEventProducer(s.evtMap.Bytes()); err != nil {
		return fmt.Errorf("%s: event page: %w", s.cfg, err)
	}
	s.kick = make(chan struct{}, 1)
	if s.port, err = s.d.b.mux.bind(fe, s.cfg.EventChannel, s.kick); err != nil {
		return fmt.Errorf("%s: binding event-channel %d: %w", s.cfg, s.cfg.EventChannel, err)
	}
	s.bound[0] = true
	if s.evtPort, err = s.d.b.mux.bind(fe, s.cfg.EvtEventChannel, nil); err != nil {
		return fmt.Errorf("%s: binding evt-event-channel %d: %w", s.cfg, s.cfg.EvtEventChannel, err)
	}
	s.bound[1] = true
	return nil
}

// detach undoes attach (whatever part of it was done).
func (s *stream) detach() {
	if s.bound[1] {
		s.d.b.mux.unbind(s.evtPort)
	}
	if s.bound[0] {
		s.d.b.mux.unbind(s.port)
	}
	s.bound = [2]bool{}
	for _, m := range []xendev.Mapping{s.evtMap, s.ringMap} {
		if m != nil {
			m.Unmap()
		}
	}
	s.evtMap, s.ringMap = nil, nil
}

// start runs the stream's goroutine; fail is called once if the guest
// breaks the protocol.
func (s *stream) start(fail func(error)) {
	s.reqs = newBucket(requestsPerSec, requestBurst)
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	go s.run(fail)
}

// halt stops the goroutine (closing an open PCM: its WAV is finalised).
func (s *stream) halt() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	s.stop = nil
}

// maxPerWake bounds the requests served before the clock is looked at
// again, so a guest that keeps producing cannot starve its own pacing.
const maxPerWake = 4 * sndif.RingSize

func (s *stream) run(fail func(error)) {
	defer close(s.done)
	defer s.closePCM()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		wait, err := s.serve()
		if err != nil {
			fail(fmt.Errorf("%s: %w", s.cfg, err))
			return
		}
		s.advance(time.Now())
		if wait == 0 {
			select {
			case <-s.stop:
				return
			default:
				continue
			}
		}
		if s.running {
			wait = min(wait, s.tick())
		}
		if wait < forever {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-s.stop:
			return
		case <-s.kick:
		case <-timer.C:
		}
	}
}

// forever is serve's "nothing to wait for but the guest".
const forever = time.Duration(1<<63 - 1)

// serve answers the requests on the ring. It returns when the ring is
// empty (forever), when a WRITE must wait for the clock or the stream
// has spent its requests for now (how long to wait), or when more are
// waiting than one wake serves (0: go on at once).
func (s *stream) serve() (time.Duration, error) {
	for n := 0; ; n++ {
		if n == maxPerWake {
			return 0, nil
		}
		req := s.held
		if req == nil {
			more, err := s.ring.FinalCheck()
			if err != nil {
				return forever, err
			}
			if !more {
				return forever, nil
			}
			if ok, wait := s.reqs.take(time.Now()); !ok {
				return wait, nil
			}
			r, err := s.ring.Take()
			if err != nil {
				return forever, err
			}
			req = &r
			s.requests++
		}
		if wait := s.early(req); wait > 0 {
			s.held = req
			return wait, nil
		}
		s.held = nil
		resp := s.handle(req)
		s.ring.Put(&resp)
		if s.ring.Push() {
			s.d.b.mux.notify(s.port)
		}
	}
}

// ahead is how many octets more than one buffer ahead of the clock the
// guest would be after writing n more, counted since the stream last
// stopped; 0 or less is in time.
func (s *stream) ahead(n uint64) int64 {
	return int64(s.written-s.baseW+n) - int64(s.pos-s.basePos) - int64(s.bufSize)
}

// early says how long a playback WRITE must wait: a guest may write at
// most one buffer ahead of the stream's clock, as a card's DMA would
// let it, so it cannot fill dom0's disk faster than it plays. A stream
// whose clock is stopped does not wait: its WRITE beyond the buffer is
// answered EIO at once (see doWrite).
func (s *stream) early(req *sndif.Request) time.Duration {
	if req.Operation != sndif.OpWrite || !s.open || !s.running || s.cfg.Capture {
		return 0
	}
	ahead := s.ahead(uint64(req.RW.Length))
	if ahead <= 0 || s.rate == 0 || s.frame == 0 {
		return 0
	}
	return max(time.Millisecond, time.Duration(uint64(ahead)*uint64(time.Second)/(uint64(s.rate)*s.frame)))
}

func (s *stream) handle(req *sndif.Request) sndif.Response {
	resp := sndif.Response{ID: req.ID, Operation: req.Operation}
	switch req.Operation {
	case sndif.OpOpen:
		resp.Status = s.doOpen(req.Open)
	case sndif.OpClose:
		s.closePCM()
	case sndif.OpWrite:
		resp.Status = s.doWrite(req.RW)
	case sndif.OpRead:
		resp.Status = s.doRead(req.RW)
	case sndif.OpTrigger:
		resp.Status = s.doTrigger(req.Trigger)
	case sndif.OpHwParamQuery:
		resp.HwParam, resp.Status = s.query(req.HwParam)
	case sndif.OpSetVolume, sndif.OpGetVolume, sndif.OpMute, sndif.OpUnmute:
		resp.Status = s.doVolume(req.Operation, req.RW)
	default:
		resp.Status = sndif.StatusENOTSUPP
	}
	if resp.Status != 0 {
		s.logf("%s (id %d): status %d", req.Operation, req.ID, resp.Status)
	}
	return resp
}

// query answers HW_PARAM_QUERY: the intersection of the request's
// ranges with what the stream supports.
func (s *stream) query(q sndif.HwParam) (sndif.HwParam, int32) {
	p := s.cfg.Params
	var a sndif.HwParam
	a.Formats = q.Formats & p.Formats
	a.Rates = sndif.Range{Min: 0, Max: 0}
	var in []uint32
	for _, r := range p.Rates {
		if r >= q.Rates.Min && r <= q.Rates.Max {
			in = append(in, r)
		}
	}
	a.Channels = sndif.Range{Min: max(q.Channels.Min, p.ChannelsMin, 1), Max: min(q.Channels.Max, p.ChannelsMax)}
	if a.Formats == 0 || len(in) == 0 || a.Channels.Min > a.Channels.Max {
		return a, sndif.StatusEINVAL
	}
	a.Rates = sndif.Range{Min: in[0], Max: in[len(in)-1]}
	// The most frames a buffer of buffer-size octets can hold: with the
	// narrowest format and the fewest channels left.
	narrow := 8
	for f, pf := range pcmFormats {
		if a.Formats.Has(f) {
			narrow = min(narrow, pf.bytes)
		}
	}
	maxFrames := p.BufferSize / uint32(narrow) / a.Channels.Min
	a.Buffer = sndif.Range{Min: max(q.Buffer.Min, 1), Max: min(q.Buffer.Max, maxFrames)}
	a.Period = sndif.Range{Min: max(q.Period.Min, 1), Max: min(q.Period.Max, maxFrames)}
	if a.Buffer.Min > a.Buffer.Max || a.Period.Min > a.Period.Max {
		return a, sndif.StatusEINVAL
	}
	return a, sndif.StatusOK
}

func (s *stream) doOpen(o sndif.OpenReq) int32 {
	if s.open {
		s.closePCM() // a second hw_params in the guest opens again without CLOSE
	}
	p := s.cfg.Params
	pf, ok := pcmFormats[o.PCMFormat]
	ch := uint32(o.PCMChannels)
	switch {
	case !ok || !p.Formats.Has(o.PCMFormat):
		s.logf("OPEN: format %s not offered", o.PCMFormat)
		return sndif.StatusEINVAL
	case !slices.Contains(p.Rates, o.PCMRate):
		s.logf("OPEN: rate %d not offered", o.PCMRate)
		return sndif.StatusEINVAL
	case ch < max(p.ChannelsMin, 1) || ch > p.ChannelsMax:
		s.logf("OPEN: %d channels not in %d-%d", ch, p.ChannelsMin, p.ChannelsMax)
		return sndif.StatusEINVAL
	case o.BufferSize == 0 || o.BufferSize > p.BufferSize:
		s.logf("OPEN: buffer of %d octets (at most %d)", o.BufferSize, p.BufferSize)
		return sndif.StatusEINVAL
	case o.PeriodSize > o.BufferSize:
		s.logf("OPEN: period of %d octets above the buffer's %d", o.PeriodSize, o.BufferSize)
		return sndif.StatusEINVAL
	}
	refs, err := s.directory(o.GrefDirectory, o.BufferSize)
	if err != nil {
		s.logf("OPEN: %v", err)
		switch {
		case errors.Is(err, sndif.ErrBadDirectory):
			return sndif.StatusEINVAL
		case errors.Is(err, ErrGrantLimit):
			return sndif.StatusENOMEM
		}
		return sndif.StatusEFAULT
	}
	buf, err := s.d.b.grants.Map(s.d.fe, refs, true)
	if err != nil {
		s.logf("OPEN: mapping the %d buffer pages: %v", len(refs), err)
		if errors.Is(err, ErrGrantLimit) {
			return sndif.StatusENOMEM
		}
		return sndif.StatusEFAULT
	}
	if len(buf.Bytes()) < int(o.BufferSize) {
		buf.Unmap()
		return sndif.StatusEFAULT
	}
	s.format, s.pf, s.rate, s.channels = o.PCMFormat, pf, o.PCMRate, int(ch)
	s.frame = uint64(pf.bytes) * uint64(ch)
	s.bufSize, s.period, s.buf = o.BufferSize, o.PeriodSize, buf
	if err := s.openEndpoint(); err != nil {
		s.d.logf("%s: OPEN: %v", s.cfg, err)
		buf.Unmap()
		s.buf = nil
		return sndif.StatusEIO
	}
	s.open, s.running = true, false
	s.written, s.pos, s.lastEvent, s.remNs = 0, 0, 0, 0
	s.baseW, s.basePos, s.rebases = 0, 0, newBucket(rebasesPerSec, rebaseBurst)
	s.volumes, s.mutes = make([]int32, ch), make([]bool, ch)
	s.logf("OPEN %s %d Hz %d ch, buffer %d, period %d, %q", s.format, s.rate, ch, s.bufSize, s.period, s.endpoint)
	return sndif.StatusOK
}

// directory reads the page directory that starts at ref and returns the
// buffer's grant references. It maps at most the directory pages a
// buffer of size octets needs, so a directory that loops or never ends
// costs nothing more.
func (s *stream) directory(ref uint32, size uint32) ([]uint32, error) {
	n := sndif.BufferPages(size)
	refs := make([]uint32, 0, n)
	seen := map[uint32]bool{}
	for len(refs) < n {
		if seen[ref] {
			return nil, fmt.Errorf("%w: directory page %d listed twice", sndif.ErrBadDirectory, ref)
		}
		seen[ref] = true
		m, err := s.d.b.grants.Map(s.d.fe, []uint32{ref}, false)
		if err != nil {
			return nil, fmt.Errorf("mapping directory page %d: %w", ref, err)
		}
		dp, err := sndif.DecodeDirPage(m.Bytes(), min(n-len(refs), sndif.DirRefsPerPage))
		m.Unmap()
		if err != nil {
			return nil, err
		}
		refs = append(refs, dp.Refs...)
		ref = dp.Next
		if len(refs) < n && ref == 0 {
			return nil, fmt.Errorf("%w: the directory ends after %d of %d buffer pages", sndif.ErrBadDirectory, len(refs), n)
		}
	}
	return refs, nil
}

// openEndpoint opens what the stream is bound to: the admin's route
// (the record's unique-id; bindToRecord), never anything the frontend
// names. Files are the guest's own, in its directory (guestFiles).
func (s *stream) openEndpoint() error {
	ep, err := route.Parse(s.cfg.UniqueID)
	if err != nil {
		s.d.logf("%s: %v; using the default", s.cfg, err)
	}
	g := s.d.files
	if !s.cfg.Capture {
		var name string
		switch ep.Kind {
		case route.Null:
			s.sink, s.endpoint = discard{}, "null"
			return nil
		case route.WAV:
			name = ep.File
		default:
			name = fmt.Sprintf("vsnd%d-pcm%d-s%d.wav", s.d.devid, s.cfg.PCM, s.cfg.Index)
		}
		key := fmt.Sprintf("%d/%d/%d", s.d.devid, s.cfg.PCM, s.cfg.Index)
		f, got, renamed, err := g.playbackFile(key, name)
		if err != nil {
			return err
		}
		if renamed {
			s.d.logf("%s: %q exists and was not written by this stream: writing %q", s.cfg, name, got)
		}
		w, err := newWAVWriter(f, quotaFile{f, g}, s.format, s.rate, s.channels)
		if err != nil {
			f.Close()
			return err
		}
		s.sink, s.endpoint = w, "wav:"+f.Name()
		return nil
	}
	switch ep.Kind {
	case route.WAV:
		f, err := g.captureFile(ep.File)
		if err != nil {
			return err
		}
		r, warn, err := newWAVReader(f, s.format, s.rate, s.channels)
		if err != nil {
			f.Close()
			return err
		}
		for _, w := range warn {
			s.d.logf("%s: %s", s.cfg, w)
		}
		s.source, s.endpoint = r, "wav:"+f.Name()
	case route.Silence:
		s.source, s.endpoint = newSilence(s.format), "silence"
	case route.Tone:
		s.source, s.endpoint = newTone(s.format, ep.Hz, s.rate, s.channels), ep.String()
	default:
		s.source, s.endpoint = newTone(s.format, route.DefaultToneHz, s.rate, s.channels), "tone:440"
	}
	return nil
}

// region is the part of the shared buffer a request names, if it lies
// inside the buffer given at OPEN.
func (s *stream) region(rw sndif.RWReq) ([]byte, bool) {
	end := uint64(rw.Offset) + uint64(rw.Length)
	if !s.open || rw.Offset >= s.bufSize || end > uint64(s.bufSize) {
		return nil, false
	}
	return s.buf.Bytes()[rw.Offset:end], true
}

func (s *stream) doWrite(rw sndif.RWReq) int32 {
	if s.cfg.Capture {
		return sndif.StatusEINVAL
	}
	b, ok := s.region(rw)
	if !ok {
		s.logf("WRITE %d+%d outside the %d-octet buffer (open %v)", rw.Offset, rw.Length, s.bufSize, s.open)
		return sndif.StatusEINVAL
	}
	if s.ahead(uint64(len(b))) > 0 {
		// More than a buffer ahead of a clock that is not running (a
		// running one makes the WRITE wait instead: early).
		s.logf("WRITE of %d octets more than a buffer ahead of the stopped stream", len(b))
		return sndif.StatusEIO
	}
	if err := s.sink.Write(b); err != nil {
		s.d.logf("%s: writing %q: %v", s.cfg, s.endpoint, err)
		return sndif.StatusEIO
	}
	s.written += uint64(len(b))
	return sndif.StatusOK
}

func (s *stream) doRead(rw sndif.RWReq) int32 {
	if !s.cfg.Capture {
		return sndif.StatusEINVAL
	}
	b, ok := s.region(rw)
	if !ok {
		s.logf("READ %d+%d outside the %d-octet buffer (open %v)", rw.Offset, rw.Length, s.bufSize, s.open)
		return sndif.StatusEINVAL
	}
	if err := s.source.Read(b); err != nil {
		s.d.logf("%s: reading %q: %v", s.cfg, s.endpoint, err)
		return sndif.StatusEIO
	}
	return sndif.StatusOK
}

func (s *stream) doTrigger(t sndif.Trigger) int32 {
	if !s.open {
		return sndif.StatusEINVAL
	}
	now := time.Now()
	switch t {
	case sndif.TriggerStart, sndif.TriggerResume:
		if !s.running {
			s.running, s.lastTick = true, now
		}
	case sndif.TriggerStop, sndif.TriggerPause:
		s.advance(now)
		s.running = false
		if t == sndif.TriggerStop {
			if ok, _ := s.rebases.take(now); ok {
				s.baseW, s.basePos = s.written, s.pos
			}
		}
	default:
		return sndif.StatusEINVAL
	}
	s.logf("TRIGGER %s at %d", t, s.pos)
	return sndif.StatusOK
}

// doVolume stores volumes and mute flags. They are kept and reported
// back (GET_VOLUME), not applied to the samples: the WAV file holds
// exactly what the guest played.
func (s *stream) doVolume(op sndif.Operation, rw sndif.RWReq) int32 {
	b, ok := s.region(rw)
	if !ok {
		return sndif.StatusEINVAL
	}
	ne := binary.NativeEndian
	switch op {
	case sndif.OpSetVolume, sndif.OpGetVolume:
		if len(b) < 4*s.channels {
			return sndif.StatusEINVAL
		}
		for i := range s.channels {
			if op == sndif.OpSetVolume {
				s.volumes[i] = int32(ne.Uint32(b[4*i:]))
			} else {
				ne.PutUint32(b[4*i:], uint32(s.volumes[i]))
			}
		}
	default:
		if len(b) < s.channels {
			return sndif.StatusEINVAL
		}
		for i := range s.channels {
			if b[i] != 0 {
				s.mutes[i] = op == sndif.OpMute
			}
		}
	}
	return sndif.StatusOK
}

// tick is how often a running stream's clock is looked at: a quarter
// period, between 1 and 20 ms.
func (s *stream) tick() time.Duration {
	if s.period == 0 || s.rate == 0 || s.frame == 0 {
		return 10 * time.Millisecond
	}
	d := time.Duration(uint64(s.period) * uint64(time.Second) / (uint64(s.rate) * s.frame) / 4)
	return max(time.Millisecond, min(d, 20*time.Millisecond))
}

// advance moves the position as a card's DMA pointer moves in the time
// since the last look: rate frames a second while running, whether or
// not the guest wrote that far (then the guest's ALSA sees an underrun,
// as with a card). It sends CUR_POS when the position passed the next
// period boundary: strictly past it, because Linux's frontend signals a
// period only when more than period_size frames came since the last
// signal; with the clock looked at every quarter period, every event
// then signals one period.
func (s *stream) advance(now time.Time) {
	if !s.open || !s.running {
		return
	}
	dt := now.Sub(s.lastTick)
	s.lastTick = now
	if dt <= 0 {
		return
	}
	num := uint64(dt)*uint64(s.rate) + s.remNs
	frames := num / uint64(time.Second)
	s.remNs = num % uint64(time.Second)
	s.pos += frames * s.frame
	if s.period == 0 {
		return
	}
	next := (s.lastEvent/uint64(s.period) + 1) * uint64(s.period)
	if s.pos <= next {
		return
	}
	ev := sndif.Event{ID: s.evtID, Type: sndif.EvtCurPos, Position: s.pos}
	if err := s.evts.Put(&ev); err != nil {
		s.dropped++
		return
	}
	s.evtID++
	s.events++
	s.lastEvent = s.pos
	s.d.b.mux.notify(s.evtPort)
}

// closePCM is CLOSE: stop, finalise the sink, unmap the buffer.
func (s *stream) closePCM() {
	if !s.open {
		return
	}
	s.advance(time.Now())
	if s.sink != nil {
		if err := s.sink.Close(); err != nil {
			s.d.logf("%s: closing %q: %v", s.cfg, s.endpoint, err)
		}
	}
	if s.source != nil {
		s.source.Close()
	}
	s.buf.Unmap()
	s.logf("CLOSE after %d octets written, position %d, %d events", s.written, s.pos, s.events)
	s.open, s.running, s.sink, s.source, s.buf = false, false, nil, nil, nil
}
