package backend

import (
	"math"

	"xgo.dev/xgo/sound/sndif"
)

// Sink receives a playback stream's samples, in the format the guest
// opened the stream with.
type Sink interface {
	Write(samples []byte) error
	Close() error
}

// Source produces a capture stream's samples: Read fills all of p.
type Source interface {
	Read(p []byte) error
	Close() error
}

// silence fills buffers with a format's silence: 0 for signed and float
// samples, the midpoint for unsigned ones, 0xff and 0xd5 for µ-law and
// A-law.
type silence struct{ frame []byte }

func newSilence(f sndif.Format) silence {
	p := pcmFormats[f]
	s := silence{frame: make([]byte, max(p.bytes, 1))}
	p.encode(s.frame, 0)
	return s
}

func (s silence) Read(b []byte) error {
	if len(s.frame) == 1 || isZero(s.frame) {
		v := s.frame[0]
		for i := range b {
			b[i] = v
		}
		return nil
	}
	for i := 0; i+len(s.frame) <= len(b); i += len(s.frame) {
		copy(b[i:], s.frame)
	}
	return nil
}

func (s silence) Close() error { return nil }

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// tone is a sine of Hz at half full scale, the same in every channel,
// continuous across reads.
type tone struct {
	p        pcmFormat
	hz       float64
	rate     float64
	channels int
	n        uint64 // frames produced
	carry    []byte // the rest of a frame split by the last Read
}

func newTone(f sndif.Format, hz float64, rate uint32, channels int) *tone {
	return &tone{p: pcmFormats[f], hz: hz, rate: float64(rate), channels: channels}
}

func (t *tone) Read(b []byte) error {
	k := copy(b, t.carry)
	t.carry = t.carry[k:]
	b = b[k:]
	fs := t.p.bytes * t.channels
	frame := make([]byte, fs)
	for len(b) > 0 {
		v := 0.5 * math.Sin(2*math.Pi*t.hz*float64(t.n)/t.rate)
		t.n++
		for c := range t.channels {
			t.p.encode(frame[c*t.p.bytes:], v)
		}
		k := copy(b, frame)
		b = b[k:]
		if k < fs {
			t.carry = append(t.carry[:0], frame[k:]...)
		}
	}
	return nil
}

func (t *tone) Close() error { return nil }

// discard is the null sink.
type discard struct{}

func (discard) Write([]byte) error { return nil }
func (discard) Close() error       { return nil }
