package backend_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xensim/simguest"
	"xgo.dev/xgo/xenstore"
)

var playCard = []string{
	"CARD, short-name=t, sample-rates=44100;48000, sample-formats=s16_le;s24_le;float_le, buffer-size=65536",
	"PCM, name=a, channels-max=2",
	"STREAM, unique-id=wav:out.wav, type=p",
	"STREAM, unique-id=tone:1000, type=c",
}

// TestPlaybackBitExact plays a known signal through the ring as aplay
// would and finds exactly its samples in the WAV file, paced in real
// time with a CUR_POS event just past every period boundary.
func TestPlaybackBitExact(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	f := r.attach(t, 1, playCard...)
	if len(f.Streams) != 2 || f.Streams[0].Capture || !f.Streams[1].Capture {
		t.Fatalf("streams: %+v", f.Streams)
	}
	s := f.Streams[0]
	const buf, period = 16384, 4096
	if err := s.Open(sndif.FormatS16LE, 48000, 2, buf, period); err != nil {
		t.Fatal(err)
	}
	signal := tone16(24000, 2, 440) // 0.5 s
	start := time.Now()
	if err := s.Play(ctx, signal, period); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A card plays 48000 frames a second: what did not fit in the first
	// buffer takes real time.
	if min := time.Duration(len(signal)-buf) * time.Second / (48000 * 4); elapsed < min*9/10 {
		t.Errorf("played %d octets in %v: faster than 48 kHz (%v)", len(signal), elapsed, min)
	}
	tag, ch, rate, bits, data := readWAV(t, r.file(1, "out.wav"))
	if tag != 1 || ch != 2 || rate != 48000 || bits != 16 {
		t.Errorf("WAV fmt: tag %d, %d channels, %d Hz, %d bits", tag, ch, rate, bits)
	}
	if !bytes.Equal(data, signal) {
		t.Fatalf("WAV data differs: %d octets, want %d", len(data), len(signal))
	}
	pos, ids := s.Positions()
	if len(pos) < len(signal)/period-1 {
		t.Errorf("%d CUR_POS events for %d periods", len(pos), len(signal)/period)
	}
	for i := range pos {
		if ids[i] != uint16(i) {
			t.Fatalf("event %d has id %d: ids must count from 0", i, ids[i])
		}
		if i > 0 && pos[i] <= pos[i-1] {
			t.Fatalf("position went from %d to %d", pos[i-1], pos[i])
		}
		if pos[i]%4 != 0 {
			t.Fatalf("position %d is not on a frame", pos[i])
		}
	}
	if last := pos[len(pos)-1]; last < uint64(len(signal)) {
		t.Errorf("last position %d, want at least %d", last, len(signal))
	}
	for i := 1; i < len(pos); i++ {
		if pos[i]/period <= pos[i-1]/period || pos[i]%period == 0 {
			t.Fatalf("events at %d then %d: want one strictly past each period boundary", pos[i-1], pos[i])
		}
	}

	// A second OPEN replaces the file with one complete WAV.
	if err := s.Open(sndif.FormatS16LE, 44100, 1, buf, period); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(signal[:1000]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, ch, rate, _, data = readWAV(t, r.file(1, "out.wav"))
	if ch != 1 || rate != 44100 || !bytes.Equal(data, signal[:1000]) {
		t.Errorf("second WAV: %d ch %d Hz %d octets", ch, rate, len(data))
	}
}

// TestCaptureTone reads the backend's test tone and compares it with a
// sine computed here.
func TestCaptureTone(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.attach(t, 2, playCard...)
	c := f.Streams[1]
	if err := c.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
		t.Fatal(err)
	}
	if err := c.Trigger(sndif.TriggerStart); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read(20000) // wraps around the buffer
	if err != nil {
		t.Fatal(err)
	}
	if want := tone16(5000, 2, 1000); !bytes.Equal(got, want) {
		t.Fatalf("capture differs from a 1000 Hz tone at half scale:\n got % x\nwant % x", got[:32], want[:32])
	}
	if err := c.WaitPosition(ctxT(t), 4096); err != nil {
		t.Fatalf("capture position does not advance: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestCaptureWAVAndSilence reads a WAV file through a capture stream,
// converted to the stream's big-endian format, then silence past its end.
func TestCaptureWAVAndSilence(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	// 3 frames of s16 mono, as a WAV file.
	samples := []int16{1, -2, 0x1234}
	var data []byte
	for _, v := range samples {
		data = binary.LittleEndian.AppendUint16(data, uint16(v))
	}
	var w bytes.Buffer
	w.WriteString("RIFF")
	w.Write(binary.LittleEndian.AppendUint32(nil, uint32(36+len(data))))
	w.WriteString("WAVEfmt ")
	hdr := binary.LittleEndian.AppendUint32(nil, 16)
	hdr = binary.LittleEndian.AppendUint16(hdr, 1)
	hdr = binary.LittleEndian.AppendUint16(hdr, 1)
	hdr = binary.LittleEndian.AppendUint32(hdr, 48000)
	hdr = binary.LittleEndian.AppendUint32(hdr, 96000)
	hdr = binary.LittleEndian.AppendUint16(hdr, 2)
	hdr = binary.LittleEndian.AppendUint16(hdr, 16)
	w.Write(hdr)
	w.WriteString("data")
	w.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(data))))
	w.Write(data)
	if err := os.MkdirAll(filepath.Dir(r.file(1, "in.wav")), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.file(1, "in.wav"), w.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f := r.attach(t, 1, "CARD, sample-rates=48000, sample-formats=s16_be;s16_le", "PCM, name=c",
		"STREAM, unique-id=wav:in.wav, type=c", "STREAM, unique-id=silence, type=c")
	c := f.Streams[0]
	if err := c.Open(sndif.FormatS16BE, 48000, 1, 4096, 1024); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read(10)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 1, 0xff, 0xfe, 0x12, 0x34, 0, 0, 0, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("got % x, want % x", got, want)
	}
	if err := c.Open(sndif.FormatS16LE, 48000, 2, 4096, 1024); err == nil {
		t.Error("a stereo OPEN of a mono WAV succeeded")
	}
	s := f.Streams[1]
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 4096, 1024); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Read(64); err != nil || !bytes.Equal(got, make([]byte, 64)) {
		t.Errorf("silence: % x %v", got, err)
	}
}

// TestHwParamQuery answers with the intersection of the query and the
// stream's configuration.
func TestHwParamQuery(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.attach(t, 1, playCard...)
	s := f.Streams[0]
	all := sndif.HwParam{Formats: ^sndif.FormatMask(0), Rates: sndif.Range{Min: 0, Max: 1 << 31}, Channels: sndif.Range{Min: 0, Max: 100},
		Buffer: sndif.Range{Min: 0, Max: 1 << 31}, Period: sndif.Range{Min: 0, Max: 1 << 31}}
	resp, err := s.Query(all)
	if err != nil || resp.Status != 0 {
		t.Fatal(resp, err)
	}
	h := resp.HwParam
	if h.Formats != sndif.MaskOf(sndif.FormatS16LE, sndif.FormatS24LE, sndif.FormatF32LE) ||
		h.Rates != (sndif.Range{Min: 44100, Max: 48000}) || h.Channels != (sndif.Range{Min: 1, Max: 2}) ||
		h.Buffer != (sndif.Range{Min: 1, Max: 65536 / 2}) || h.Period.Max != 65536/2 {
		t.Errorf("answer %+v", h)
	}
	q := all
	q.Formats = sndif.MaskOf(sndif.FormatU8, sndif.FormatF32LE)
	q.Rates = sndif.Range{Min: 45000, Max: 96000}
	q.Channels = sndif.Range{Min: 2, Max: 8}
	resp, _ = s.Query(q)
	if h := resp.HwParam; resp.Status != 0 || h.Formats != sndif.MaskOf(sndif.FormatF32LE) || h.Rates != (sndif.Range{Min: 48000, Max: 48000}) ||
		h.Channels != (sndif.Range{Min: 2, Max: 2}) || h.Buffer.Max != 65536/4/2 {
		t.Errorf("narrowed answer %+v status %d", h, resp.Status)
	}
	q.Rates = sndif.Range{Min: 8000, Max: 22050}
	if resp, _ := s.Query(q); resp.Status != sndif.StatusEINVAL {
		t.Errorf("no rate in common: status %d", resp.Status)
	}
}

// TestMisbehavingGuest: bad requests get error statuses and the stream
// keeps working; a broken ring closes only that guest's device.
func TestMisbehavingGuest(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	bad := r.attach(t, 1, playCard...)
	good := r.attach(t, 2, "CARD, sample-rates=48000, sample-formats=s16_le", "PCM, name=g", "STREAM, unique-id=wav:good.wav, type=p")
	s := bad.Streams[0]
	status := func(r sndif.Response, err error) int32 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	cases := []struct {
		name  string
		spoil func(*sndif.Request, [][]byte)
		size  uint32
		want  int32
	}{
		{"buffer above buffer-size", nil, 1 << 20, sndif.StatusEINVAL},
		{"absurd buffer", func(r *sndif.Request, _ [][]byte) { r.Open.BufferSize = 0xffffffff }, 4096, sndif.StatusEINVAL},
		{"zero buffer", func(r *sndif.Request, _ [][]byte) { r.Open.BufferSize = 0 }, 4096, sndif.StatusEINVAL},
		{"period above buffer", func(r *sndif.Request, _ [][]byte) { r.Open.PeriodSize = 8192 }, 4096, sndif.StatusEINVAL},
		{"format not offered", func(r *sndif.Request, _ [][]byte) { r.Open.PCMFormat = sndif.FormatU8 }, 4096, sndif.StatusEINVAL},
		{"garbage format", func(r *sndif.Request, _ [][]byte) { r.Open.PCMFormat = 200 }, 4096, sndif.StatusEINVAL},
		{"rate not offered", func(r *sndif.Request, _ [][]byte) { r.Open.PCMRate = 8000 }, 4096, sndif.StatusEINVAL},
		{"channels", func(r *sndif.Request, _ [][]byte) { r.Open.PCMChannels = 3 }, 4096, sndif.StatusEINVAL},
		{"bad directory grant", func(r *sndif.Request, _ [][]byte) { r.Open.GrefDirectory = 99999 }, 4096, sndif.StatusEFAULT},
		{"bad buffer grant", func(_ *sndif.Request, d [][]byte) { binary.NativeEndian.PutUint32(d[0][4:], 77777) }, 4096, sndif.StatusEFAULT},
	}
	for _, c := range cases {
		if got := status(s.OpenRaw(sndif.FormatS16LE, 48000, 2, c.size, 1024, c.spoil)); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	// Directories of an 8 MiB buffer (2048 pages, two directory pages)
	// that end early or loop back to their first page.
	big := r.attach(t, 1, "CARD, sample-rates=48000, sample-formats=s16_le, buffer-size=16777216", "PCM, name=b", "STREAM, unique-id=null, type=p").Streams[0]
	for name, spoil := range map[string]func(*sndif.Request, [][]byte){
		"directory too short": func(_ *sndif.Request, d [][]byte) { binary.NativeEndian.PutUint32(d[0][0:], 0) },
		"directory loops":     func(r *sndif.Request, d [][]byte) { binary.NativeEndian.PutUint32(d[0][0:], r.Open.GrefDirectory) },
	} {
		if got := status(big.OpenRaw(sndif.FormatS16LE, 48000, 2, 8<<20, 1024, spoil)); got != sndif.StatusEINVAL {
			t.Errorf("%s: status %d", name, got)
		}
	}
	if err := big.Open(sndif.FormatS16LE, 48000, 2, 8<<20, 1024); err != nil {
		t.Errorf("an 8 MiB buffer: %v", err)
	}
	if got := status(s.Do(sndif.Request{Operation: 200})); got != sndif.StatusENOTSUPP {
		t.Errorf("garbage operation: status %d", got)
	}
	if got := status(s.Do(sndif.Request{Operation: sndif.OpWrite, RW: sndif.RWReq{Offset: 0, Length: 4}})); got != sndif.StatusEINVAL {
		t.Errorf("WRITE before OPEN: status %d", got)
	}
	if got := status(s.Do(sndif.Request{Operation: sndif.OpTrigger, Trigger: sndif.TriggerStart})); got != sndif.StatusEINVAL {
		t.Errorf("TRIGGER before OPEN: status %d", got)
	}
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 4096, 1024); err != nil {
		t.Fatalf("a good OPEN after the bad ones: %v", err)
	}
	for _, rw := range []sndif.RWReq{{Offset: 4000, Length: 97}, {Offset: 0xffffffff, Length: 2}, {Offset: 4096, Length: 0}, {Offset: 0, Length: 0xffffffff}} {
		if got := status(s.Do(sndif.Request{Operation: sndif.OpWrite, RW: rw})); got != sndif.StatusEINVAL {
			t.Errorf("WRITE %+v: status %d", rw, got)
		}
	}
	if got := status(s.Do(sndif.Request{Operation: sndif.OpTrigger, Trigger: 9})); got != sndif.StatusEINVAL {
		t.Errorf("bad trigger: status %d", got)
	}
	if got := status(s.Do(sndif.Request{Operation: sndif.OpRead, RW: sndif.RWReq{Length: 4}})); got != sndif.StatusEINVAL {
		t.Errorf("READ on playback: status %d", got)
	}
	if err := s.Write(make([]byte, 100)); err != nil {
		t.Errorf("a good WRITE after the bad ones: %v", err)
	}

	// The other guest plays while this one breaks its ring.
	g := good.Streams[0]
	if err := g.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	signal := tone16(9600, 2, 300)
	var playErr error
	go func() {
		defer wg.Done()
		playErr = g.Play(ctx, signal, 2048)
	}()
	s.SpoilRing(5000) // req_prod far ahead
	if _, err := simguest.WaitState(ctx, r.xs, bad.Backend+"/state", 6); err != nil {
		t.Fatalf("the broken device was not closed: %v", err)
	}
	errNode, _ := r.xs.Read(ctx, fmt.Sprintf("/local/domain/0/error/backend/vsnd/1/%d/error", bad.DevID))
	if !strings.Contains(string(errNode), "ring") {
		t.Errorf("error node: %q", errNode)
	}
	wg.Wait()
	if playErr != nil {
		t.Fatalf("the other guest: %v", playErr)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, data := readWAV(t, r.file(2, "good.wav")); !bytes.Equal(data, signal) {
		t.Error("the other guest's WAV differs")
	}
}

// TestGuestDiesMidStream: one guest is destroyed while playing; its
// device is closed and its WAV finalised, the other guest plays on.
func TestGuestDiesMidStream(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	dying := r.attach(t, 1, "CARD, sample-rates=48000, sample-formats=s16_le", "PCM, name=d", "STREAM, unique-id=wav:dying.wav, type=p")
	living := r.attach(t, 2, "CARD, sample-rates=48000, sample-formats=s16_le", "PCM, name=l", "STREAM, unique-id=wav:living.wav, type=p")
	d, l := dying.Streams[0], living.Streams[0]
	for _, s := range []*simguest.Stream{d, l} {
		if err := s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
			t.Fatal(err)
		}
	}
	signal := tone16(19200, 2, 500) // 0.4 s
	var wg sync.WaitGroup
	var lerr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		lerr = l.Play(ctx, signal, 2048)
	}()
	if err := d.Write(signal[:8192]); err != nil {
		t.Fatal(err)
	}
	if err := d.Trigger(sndif.TriggerStart); err != nil {
		t.Fatal(err)
	}
	if err := d.WaitPosition(ctx, 2048); err != nil {
		t.Fatal(err)
	}
	dying.Close()
	r.x.Destroy(1)
	r.sim.Server().ReleaseDomain(1)
	if _, err := simguest.WaitState(ctx, r.xs, dying.Backend+"/state", 6); err != nil {
		t.Fatalf("the dead guest's device: %v", err)
	}
	wg.Wait()
	if lerr != nil {
		t.Fatalf("the living guest: %v", lerr)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, data := readWAV(t, r.file(2, "living.wav")); !bytes.Equal(data, signal) {
		t.Error("the living guest's WAV differs")
	}
	if _, _, _, _, data := readWAV(t, r.file(1, "dying.wav")); !bytes.Equal(data, signal[:8192]) {
		t.Errorf("the dead guest's WAV holds %d octets, want the 8192 it wrote", len(data))
	}
}

// TestManyDevices plays on six devices of two guests at once; every WAV
// holds its own signal.
func TestManyDevices(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	var fronts []*simguest.Frontend
	for i := range 6 {
		dom := uint32(1 + i%2)
		fronts = append(fronts, r.attach(t, dom, "CARD, sample-rates=48000, sample-formats=s16_le", "PCM, name=m",
			fmt.Sprintf("STREAM, unique-id=wav:many%d.wav, type=p", i)))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(fronts))
	for i, f := range fronts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := f.Streams[0]
			if errs[i] = s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); errs[i] != nil {
				return
			}
			if errs[i] = s.Play(ctx, tone16(9600, 2, float64(200+100*i)), 2048); errs[i] != nil {
				return
			}
			errs[i] = s.Close()
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("device %d: %v", i, err)
		}
		if _, _, _, _, data := readWAV(t, r.file(uint32(1+i%2), fmt.Sprintf("many%d.wav", i))); !bytes.Equal(data, tone16(9600, 2, float64(200+100*i))) {
			t.Errorf("device %d: WAV differs", i)
		}
	}
}

// TestShutdownFinalises: stopping the backend mid-stream closes every
// device and leaves a complete WAV of what was written.
func TestShutdownFinalises(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	f := r.attach(t, 1, "CARD, sample-rates=48000, sample-formats=s16_le", "PCM, name=s", "STREAM, unique-id=x, type=p")
	s := f.Streams[0]
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 8192, 2048); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(tone16(1000, 2, 100)); err != nil {
		t.Fatal(err)
	}
	r.shutdown(t)
	if st := simguest.StateOf(ctx, r.xs, f.Backend+"/state"); st != 6 {
		t.Errorf("backend state %d after shutdown, want 6", st)
	}
	path := r.file(1, fmt.Sprintf("vsnd%d-pcm0-s0.wav", f.DevID))
	if _, _, _, _, data := readWAV(t, path); !bytes.Equal(data, tone16(1000, 2, 100)) {
		t.Errorf("default WAV holds %d octets", len(data))
	}
}

// TestBadTransportThenRetry: a transport that does not map closes the
// device with the reason in its error node; when the guest starts again
// the backend waits a little, then connects to the good transport.
func TestBadTransportThenRetry(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ctx := ctxT(t)
	card, _ := sound.ParseItems([]string{"PCM, name=r", "STREAM, unique-id=null, type=p"})
	a, err := r.m.Attach(ctx, sound.AttachRequest{Domain: "1", Card: card})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := r.sim.XenStoreAs(1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := simguest.WaitState(ctx, guest, a.BackendPath+"/state", 2); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"ring-ref": "9999", "event-channel": "1", "evt-ring-ref": "9998", "evt-event-channel": "2"} {
		if err := guest.Write(ctx, a.FrontendPath+"/0/0/"+k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := guest.Write(ctx, a.FrontendPath+"/state", []byte("3")); err != nil {
		t.Fatal(err)
	}
	if _, err := simguest.WaitState(ctx, guest, a.BackendPath+"/state", 6); err != nil {
		t.Fatal(err)
	}
	e, _ := r.xs.Read(ctx, "/local/domain/0/error/backend/vsnd/1/0/error")
	if !strings.Contains(string(e), "ring-ref 9999") {
		t.Errorf("error node %q", e)
	}
	start := time.Now()
	if err := guest.Write(ctx, a.FrontendPath+"/state", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := simguest.WaitState(ctx, guest, a.BackendPath+"/state", 2); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("InitWait again after %v: want a pause after a failure", d)
	}
	g := simguest.NewGuests(r.x)
	conn := func(uint32) (*xenstore.Conn, error) { return guest, nil }
	for simguest.StateOf(ctx, guest, a.FrontendPath+"/state") != 4 || simguest.StateOf(ctx, guest, a.BackendPath+"/state") != 4 {
		if _, err := g.Step(ctx, []uint32{1}, conn); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatal("no connection after the retry")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// grantsHook runs hook before the first Map of a ring page and fails
// that Map, as a mapping does when the guest revoked the grant a moment
// before.
type grantsHook struct {
	xendev.Grants
	once sync.Once
	hook func()
}

func (g *grantsHook) Map(domid uint32, refs []uint32, writable bool) (xendev.Mapping, error) {
	fired := false
	g.once.Do(func() {
		if g.hook != nil {
			g.hook()
			fired = true
		}
	})
	if fired {
		return nil, fmt.Errorf("map grant %d: revoked", refs[0])
	}
	return g.Grants.Map(domid, refs, writable)
}

// TestFrontendRepublishesWhileConnecting: Linux's frontend frees and
// publishes its channels again on every InitWait event it sees; when
// that happens while the backend maps the first ones, the backend
// connects to the new ones instead of closing the device.
func TestFrontendRepublishesWhileConnecting(t *testing.T) {
	t.Parallel()
	h := &grantsHook{}
	r := newRigWith(t, func(g xendev.Grants) xendev.Grants { h.Grants = g; return h })
	ctx := ctxT(t)
	h.hook = func() {
		// The guest starts over (sndback_disconnect: Initialising), to
		// publish new channels, as a second InitWait event makes it.
		c, _ := r.sim.XenStoreAs(1)
		c.Write(ctx, "/local/domain/1/device/vsnd/0/state", []byte("1"))
	}
	done := make(chan error, 1)
	go func() {
		var err error
		card, _ := sound.ParseItems([]string{"PCM, name=r", "STREAM, unique-id=null, type=p"})
		if _, err = r.m.Attach(ctx, sound.AttachRequest{Domain: "1", Card: card}); err != nil {
			done <- err
			return
		}
		conn, _ := r.sim.XenStoreAs(1)
		g := simguest.NewGuests(r.x)
		for ctx.Err() == nil {
			if _, err := g.Step(ctx, []uint32{1}, func(uint32) (*xenstore.Conn, error) { return conn, nil }); err != nil {
				done <- err
				return
			}
			if simguest.StateOf(ctx, conn, "/local/domain/1/device/vsnd/0/state") == 4 {
				done <- nil
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		done <- ctx.Err()
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := simguest.StateOf(ctx, r.xs, "/local/domain/0/backend/vsnd/1/0/state"); st != 4 {
		t.Fatalf("backend state %d", st)
	}
	if _, err := r.xs.Read(ctx, "/local/domain/0/error/backend/vsnd/1/0/error"); err == nil {
		t.Error("an error was reported")
	}
}

// TestUnderrunRefill: after a stop with data written ahead of the clock
// (ALSA's underrun recovery: stop, prepare, refill), the guest may fill
// its whole buffer again before it starts; the lab's aplay got EIO there
// while the pacing counted from OPEN.
func TestUnderrunRefill(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	f := r.attach(t, 1, playCard...)
	s := f.Streams[0]
	if err := s.Open(sndif.FormatS16LE, 48000, 2, 16384, 4096); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 16384)
	for round := range 3 {
		if err := s.Write(chunk); err != nil { // a full buffer, ahead of the clock
			t.Fatalf("round %d: prefill: %v", round, err)
		}
		if err := s.Trigger(sndif.TriggerStart); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if err := s.Trigger(sndif.TriggerStop); err != nil { // an underrun: ALSA stops
			t.Fatal(err)
		}
	}
	// A guest that skips the stop gets no fresh buffer.
	if err := s.Write(chunk); err != nil {
		t.Fatalf("the refill after the last stop: %v", err)
	}
	if err := s.Write(chunk); !errors.Is(err, simguest.ErrStatus) {
		t.Errorf("a second buffer while stopped: %v, want an error status", err)
	}
}
