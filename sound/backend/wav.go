package backend

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"xgo.dev/xgo/sound/sndif"
)

// WAV format tags.
const (
	wavPCM        = 1
	wavFloat      = 3
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xfffe
)

// wavHeader is the RIFF header, the fmt chunk and the data chunk's
// header. Plain formats use the 16-byte fmt chunk of WAVEFORMAT (18 with
// cbSize for non-PCM), 24-bit samples the 40-byte WAVEFORMATEXTENSIBLE
// with KSDATAFORMAT_SUBTYPE_PCM.
func wavHeader(p pcmFormat, rate uint32, channels int, dataLen uint32) []byte {
	var fmtChunk []byte
	le := binary.LittleEndian
	blockAlign := uint16(channels * p.wavBits / 8)
	base := func(tag uint16) []byte {
		b := make([]byte, 16)
		le.PutUint16(b[0:], tag)
		le.PutUint16(b[2:], uint16(channels))
		le.PutUint32(b[4:], rate)
		le.PutUint32(b[8:], rate*uint32(blockAlign))
		le.PutUint16(b[12:], blockAlign)
		le.PutUint16(b[14:], uint16(p.wavBits))
		return b
	}
	switch p.wavTag {
	case wavPCM:
		fmtChunk = base(wavPCM)
	case wavExtensible:
		fmtChunk = base(wavExtensible)
		ext := make([]byte, 24)
		le.PutUint16(ext[0:], 22) // cbSize
		le.PutUint16(ext[2:], uint16(p.wavValid))
		le.PutUint32(ext[4:], 0) // dwChannelMask: unspecified
		// KSDATAFORMAT_SUBTYPE_PCM 00000001-0000-0010-8000-00aa00389b71
		copy(ext[8:], []byte{1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71})
		fmtChunk = append(fmtChunk, ext...)
	default:
		fmtChunk = append(base(p.wavTag), 0, 0) // cbSize 0
	}
	h := make([]byte, 0, 12+8+len(fmtChunk)+8)
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, uint32(4+8+len(fmtChunk)+8)+dataLen+dataLen%2)
	h = append(h, "WAVE"...)
	h = append(h, "fmt "...)
	h = le.AppendUint32(h, uint32(len(fmtChunk)))
	h = append(h, fmtChunk...)
	h = append(h, "data"...)
	h = le.AppendUint32(h, dataLen)
	return h
}

// wavWriter is a playback sink that writes one WAV file: the samples
// converted losslessly to WAV's layout, the RIFF and data sizes written
// when it is closed.
type wavWriter struct {
	f        *os.File
	w        *bufio.Writer
	p        pcmFormat
	rate     uint32
	channels int
	hdrLen   int
	data     uint64 // octets of samples written
	carry    []byte // a partial sample left over from the last Write
	conv     []byte
}

// maxWAVData is the most a RIFF file's 32-bit sizes can describe.
const maxWAVData = 1<<32 - 1 - 1024

// newWAVWriter writes a WAV file into file: the samples through out
// (the file itself, or a writer that charges a quota), the header's
// final sizes at Close through file.
func newWAVWriter(file *os.File, out io.Writer, f sndif.Format, rate uint32, channels int) (*wavWriter, error) {
	p, ok := pcmFormats[f]
	if !ok {
		return nil, fmt.Errorf("WAV cannot carry %s", f)
	}
	w := &wavWriter{f: file, w: bufio.NewWriterSize(out, 64<<10), p: p, rate: rate, channels: channels}
	h := wavHeader(p, rate, channels, 0)
	w.hdrLen = len(h)
	if _, err := w.w.Write(h); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *wavWriter) Write(b []byte) error {
	if w.p.identity() {
		// The guest's layout is WAV's: copy as is.
		return w.put(b)
	}
	sz := w.p.bytes
	if len(w.carry) > 0 {
		need := sz - len(w.carry)
		if len(b) < need {
			w.carry = append(w.carry, b...)
			return nil
		}
		w.carry = append(w.carry, b[:need]...)
		b = b[need:]
		out := make([]byte, sz)
		w.p.toWAV(out, w.carry)
		w.carry = w.carry[:0]
		if err := w.put(out); err != nil {
			return err
		}
	}
	n := len(b) / sz * sz
	if cap(w.conv) < n {
		w.conv = make([]byte, n)
	}
	conv := w.conv[:n]
	for i := 0; i < n; i += sz {
		w.p.toWAV(conv[i:i+sz], b[i:i+sz])
	}
	w.carry = append(w.carry, b[n:]...)
	return w.put(conv)
}

func (w *wavWriter) put(b []byte) error {
	if w.data+uint64(len(b)) > maxWAVData {
		return errors.New("WAV file full (4 GiB)")
	}
	w.data += uint64(len(b))
	_, err := w.w.Write(b)
	return err
}

// Close writes the final sizes and closes the file.
func (w *wavWriter) Close() error {
	err := w.w.Flush()
	if w.data%2 == 1 && err == nil {
		_, err = w.f.Write([]byte{0}) // RIFF chunks are padded to even sizes
	}
	if err == nil {
		_, err = w.f.WriteAt(wavHeader(w.p, w.rate, w.channels, uint32(w.data)), 0)
	}
	return errors.Join(err, w.f.Close())
}

// wavReader is a capture source reading a WAV file's samples, converted
// to the stream's format; after the data chunk it produces silence.
type wavReader struct {
	f *os.File
	r io.Reader // the data chunk
	p pcmFormat
	silence
	buf []byte
}

// wavInfo is what a WAV file's fmt chunk says.
type wavInfo struct {
	tag      uint16
	channels int
	rate     uint32
	bits     int
	valid    int
}

// parseWAV reads the RIFF header and chunks up to the data chunk.
func parseWAV(r io.Reader) (wavInfo, int64, error) {
	var info wavInfo
	le := binary.LittleEndian
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return info, 0, errors.New("not a RIFF WAVE file")
	}
	haveFmt := false
	for range 64 {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return info, 0, errors.New("no data chunk")
		}
		size := int64(le.Uint32(ch[4:]))
		switch string(ch[0:4]) {
		case "fmt ":
			if size < 16 || size > 1024 {
				return info, 0, errors.New("bad fmt chunk")
			}
			b := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, b); err != nil {
				return info, 0, err
			}
			info = wavInfo{tag: le.Uint16(b[0:]), channels: int(le.Uint16(b[2:])), rate: le.Uint32(b[4:]), bits: int(le.Uint16(b[14:]))}
			info.valid = info.bits
			if info.tag == wavExtensible && size >= 40 {
				info.valid = int(le.Uint16(b[18:]))
				info.tag = le.Uint16(b[24:]) // the subformat GUID's first field
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return info, 0, errors.New("data chunk before fmt chunk")
			}
			return info, size, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return info, 0, err
			}
		}
	}
	return info, 0, errors.New("no data chunk")
}

// newWAVReader reads the WAV file file; the caller closes file if it
// fails.
func newWAVReader(file *os.File, f sndif.Format, rate uint32, channels int) (*wavReader, []string, error) {
	p, ok := pcmFormats[f]
	if !ok {
		return nil, nil, fmt.Errorf("WAV cannot carry %s", f)
	}
	path := file.Name()
	br := bufio.NewReader(file)
	info, size, err := parseWAV(br)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	tag := p.wavTag
	if tag == wavExtensible {
		tag = wavPCM
	}
	if info.tag != tag || info.bits != p.wavBits || info.channels != channels {
		return nil, nil, fmt.Errorf("%s holds %d-channel %d-bit samples (format tag %d); the stream opened %d-channel %s", path, info.channels, info.bits, info.tag, channels, f)
	}
	var warn []string
	if info.rate != rate {
		warn = append(warn, fmt.Sprintf("%s is %d Hz, the stream %d Hz: played without resampling", path, info.rate, rate))
	}
	return &wavReader{f: file, r: io.LimitReader(br, size), p: p, silence: newSilence(f)}, warn, nil
}

func (r *wavReader) Read(b []byte) error {
	sz := r.p.bytes
	n := len(b) / sz * sz
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	got, err := io.ReadFull(r.r, r.buf[:n])
	got = got / sz * sz
	for i := 0; i < got; i += sz {
		r.p.fromWAV(b[i:i+sz], r.buf[i:i+sz])
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	return r.silence.Read(b[got:])
}

func (r *wavReader) Close() error { return r.f.Close() }
