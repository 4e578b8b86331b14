package backend

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

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

// Endpoint is what a stream's unique-id selects.
type Endpoint struct {
	Kind string  // "wav", "tone", "silence", "null", "default"
	File string  // wav: the path under the WAV directory
	Hz   float64 // tone
}

func (e Endpoint) String() string {
	switch e.Kind {
	case "wav":
		return "wav:" + e.File
	case "tone":
		return "tone:" + strconv.FormatFloat(e.Hz, 'g', -1, 64)
	}
	return e.Kind
}

// DefaultToneHz is the tone a capture stream without a source produces.
const DefaultToneHz = 440

// ErrBadUniqueID: a unique-id that names a source or sink badly. The
// stream then falls back to the default (see ParseUniqueID).
var ErrBadUniqueID = errors.New("bad unique-id")

// ParseUniqueID reads a stream's unique-id:
//
//	wav:<file>   playback writes <file>, capture reads it; <file> is
//	             relative to the WAV directory and may not leave it
//	tone:<hz>    capture produces a sine tone of <hz> Hz (1 to 96000);
//	             playback as default
//	silence      capture produces silence; playback as default
//	null         playback discards the samples; capture as default
//
// Anything else (snd_be's alsa<...>/pulse<...>, a UUID) is "default":
// playback writes dom<domid>-vsnd<devid>-pcm<p>-s<s>.wav in the WAV
// directory, capture produces a 440 Hz tone. A unique-id that starts
// with wav: or tone: but is malformed is an error (ErrBadUniqueID): the
// guest owns the node, so a path that leaves the directory must not be
// followed.
func ParseUniqueID(id string) (Endpoint, error) {
	switch {
	case strings.HasPrefix(id, "wav:"):
		f := strings.TrimPrefix(id, "wav:")
		clean := filepath.Clean(f)
		if f == "" || filepath.IsAbs(f) || clean == ".." || strings.HasPrefix(clean, "../") || clean == "." || strings.ContainsRune(f, 0) {
			return Endpoint{Kind: "default"}, fmt.Errorf("%w %q: the file must be a relative path inside the WAV directory", ErrBadUniqueID, id)
		}
		return Endpoint{Kind: "wav", File: clean}, nil
	case strings.HasPrefix(id, "tone:"):
		hz, err := strconv.ParseFloat(strings.TrimPrefix(id, "tone:"), 64)
		if err != nil || !(hz >= 1 && hz <= 96000) {
			return Endpoint{Kind: "default"}, fmt.Errorf("%w %q: want tone:<Hz> with 1 ≤ Hz ≤ 96000", ErrBadUniqueID, id)
		}
		return Endpoint{Kind: "tone", Hz: hz}, nil
	case id == "silence", id == "null":
		return Endpoint{Kind: id}, nil
	}
	return Endpoint{Kind: "default"}, nil
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
