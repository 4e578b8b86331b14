package backend

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"xgo.dev/xgo/sound/sndif"
)

// createWAV opens a new WAV file writer at path.
func createWAV(t *testing.T, path string, f sndif.Format, rate uint32, channels int) *wavWriter {
	t.Helper()
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWAVWriter(file, file, f, rate, channels)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestWAVRoundTrip writes every carried format to a WAV file and reads
// it back through the capture path: the samples come back unchanged.
func TestWAVRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for f, p := range pcmFormats {
		// 7 frames of 2 channels of varied bytes; 24-bit samples
		// sign-extended in their container as ALSA keeps them.
		in := make([]byte, 7*2*p.bytes)
		for i := range in {
			in[i] = byte(i*37 + 11)
		}
		if p.bits == 24 {
			for i := 0; i < len(in); i += 4 {
				v := make([]byte, 4)
				p.fromWAV(v, []byte{0, in[i+1], in[i+2], in[i+3]})
				copy(in[i:], v)
			}
		}
		path := filepath.Join(dir, f.String()+".wav")
		w := createWAV(t, path, f, 48000, 2)
		// Split mid-sample to exercise the carry.
		if err := w.Write(in[:3]); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(in[3:]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r, warn, err := newWAVReader(file, f, 44100, 2)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(warn) != 1 {
			t.Errorf("%s: rate mismatch not reported", f)
		}
		out := make([]byte, len(in)+2*p.bytes)
		if err := r.Read(out); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if !bytes.Equal(out[:len(in)], in) {
			t.Errorf("%s: round trip\n got % x\nwant % x", f, out[:len(in)], in)
		}
		sil := make([]byte, 2*p.bytes)
		newSilence(f).Read(sil)
		if !bytes.Equal(out[len(in):], sil) {
			t.Errorf("%s: after the data % x, want silence % x", f, out[len(in):], sil)
		}
	}
}

// TestWAVLayout pins the header and the conversions to WAV's layout.
func TestWAVLayout(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		f    sndif.Format
		in   []byte
		tag  uint16
		bits uint16
		data []byte
	}{
		{sndif.FormatS16LE, []byte{1, 2, 3, 4}, 1, 16, []byte{1, 2, 3, 4}},
		{sndif.FormatS16BE, []byte{1, 2, 3, 4}, 1, 16, []byte{2, 1, 4, 3}},
		{sndif.FormatU16LE, []byte{0, 0x80, 0xff, 0xff}, 1, 16, []byte{0, 0, 0xff, 0x7f}},
		{sndif.FormatS8, []byte{0, 0x7f}, 1, 8, []byte{0x80, 0xff}},
		{sndif.FormatU8, []byte{0, 0x7f}, 1, 8, []byte{0, 0x7f}},
		{sndif.FormatS24LE, []byte{1, 2, 3, 0}, 0xfffe, 32, []byte{0, 1, 2, 3}},
		{sndif.FormatF32BE, []byte{0x3f, 0x80, 0, 0}, 3, 32, []byte{0, 0, 0x80, 0x3f}},
		{sndif.FormatMuLaw, []byte{0xff}, 7, 8, []byte{0xff}},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.f.String())
		w := createWAV(t, path, c.f, 8000, 1)
		w.Write(c.in)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		fl := int(b[16])
		tag := uint16(b[20]) | uint16(b[21])<<8
		bits := uint16(b[34]) | uint16(b[35])<<8
		data := b[20+fl+8:]
		if len(data)%2 == 1 || len(c.data)%2 == 1 {
			data = data[:len(c.data)]
		}
		if tag != c.tag || bits != c.bits || !bytes.Equal(data, c.data) {
			t.Errorf("%s: tag %#x bits %d data % x; want %#x %d % x", c.f, tag, bits, data, c.tag, c.bits, c.data)
		}
	}
	if s := newSilence(sndif.FormatU16BE); !bytes.Equal(s.frame, []byte{0x80, 0}) {
		t.Errorf("u16_be silence % x", s.frame)
	}
	if s := newSilence(sndif.FormatALaw); !bytes.Equal(s.frame, []byte{0xd5}) {
		t.Errorf("A-law silence % x", s.frame)
	}
}
