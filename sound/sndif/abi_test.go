package sndif

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// The golden packets below are written from the octet diagrams of
// sndif.h (little-endian, as on amd64 and arm64): one line per 4-octet
// row of the header's tables.

func le() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

func pad(rows ...[]byte) []byte {
	b := bytes.Join(rows, nil)
	return append(b, make([]byte, PacketSize-len(b))...)
}

func TestGoldenRequests(t *testing.T) {
	if !le() {
		t.Skip("golden bytes are little-endian")
	}
	tests := []struct {
		name string
		req  Request
		want []byte
	}{
		{"open", Request{ID: 0x0102, Operation: OpOpen, Open: OpenReq{PCMRate: 48000, PCMFormat: FormatS16LE, PCMChannels: 2, BufferSize: 65536, GrefDirectory: 0x11223344, PeriodSize: 4096}},
			pad(
				[]byte{0x02, 0x01, 0x00, 0x00}, // id, operation OPEN, reserved
				[]byte{0, 0, 0, 0},             // reserved
				[]byte{0x80, 0xbb, 0, 0},       // pcm_rate 48000        (12)
				[]byte{0x02, 0x02, 0, 0},       // pcm_format, channels (16)
				[]byte{0, 0, 1, 0},             // buffer_sz 65536       (20)
				[]byte{0x44, 0x33, 0x22, 0x11}, // gref_directory        (24)
				[]byte{0, 0x10, 0, 0},          // period_sz 4096        (28)
			)},
		{"close", Request{ID: 7, Operation: OpClose}, pad([]byte{7, 0, 1, 0})},
		{"write", Request{ID: 9, Operation: OpWrite, RW: RWReq{Offset: 0x1000, Length: 0x800}},
			pad(
				[]byte{9, 0, 3, 0}, []byte{0, 0, 0, 0},
				[]byte{0, 0x10, 0, 0}, // offset (12)
				[]byte{0, 0x08, 0, 0}, // length (16)
			)},
		{"read", Request{ID: 1, Operation: OpRead, RW: RWReq{Offset: 4, Length: 8}}, pad([]byte{1, 0, 2, 0}, []byte{0, 0, 0, 0}, []byte{4, 0, 0, 0}, []byte{8, 0, 0, 0})},
		{"set volume", Request{ID: 2, Operation: OpSetVolume, RW: RWReq{Offset: 0, Length: 8}}, pad([]byte{2, 0, 4, 0}, []byte{0, 0, 0, 0}, []byte{0, 0, 0, 0}, []byte{8, 0, 0, 0})},
		{"mute", Request{ID: 3, Operation: OpMute, RW: RWReq{Offset: 16, Length: 2}}, pad([]byte{3, 0, 6, 0}, []byte{0, 0, 0, 0}, []byte{16, 0, 0, 0}, []byte{2, 0, 0, 0})},
		{"trigger", Request{ID: 4, Operation: OpTrigger, Trigger: TriggerResume}, pad([]byte{4, 0, 8, 0}, []byte{0, 0, 0, 0}, []byte{3, 0, 0, 0})},
		{"hw param query", Request{ID: 5, Operation: OpHwParamQuery, HwParam: HwParam{
			Formats: MaskOf(FormatU8, FormatS16LE) | 1<<40, Rates: Range{8000, 48000}, Channels: Range{1, 2}, Buffer: Range{64, 16384}, Period: Range{32, 8192}}},
			pad(
				[]byte{5, 0, 9, 0}, []byte{0, 0, 0, 0},
				[]byte{0x06, 0, 0, 0},                  // formats low  (12)
				[]byte{0, 0x01, 0, 0},                  // formats high (16)
				[]byte{0x40, 0x1f, 0, 0},               // min rate 8000
				[]byte{0x80, 0xbb, 0, 0},               // max rate 48000
				[]byte{1, 0, 0, 0}, []byte{2, 0, 0, 0}, // channels
				[]byte{64, 0, 0, 0}, []byte{0, 0x40, 0, 0}, // buffer frames
				[]byte{32, 0, 0, 0}, []byte{0, 0x20, 0, 0}, // period frames (48)
			)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]byte, PacketSize)
			tt.req.Encode(got)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("encode:\n got [% x]\nwant [% x]", got, tt.want)
			}
			dec, err := DecodeRequest(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			dec.Raw = [PacketSize]byte{}
			if dec != tt.req {
				t.Fatalf("decode: got %+v, want %+v", dec, tt.req)
			}
		})
	}
}

func TestGoldenResponses(t *testing.T) {
	if !le() {
		t.Skip("golden bytes are little-endian")
	}
	tests := []struct {
		name string
		resp Response
		want []byte
	}{
		{"einval", Response{ID: 0x0a0b, Operation: OpWrite, Status: StatusEINVAL},
			pad([]byte{0x0b, 0x0a, 3, 0}, []byte{0xea, 0xff, 0xff, 0xff})}, // id, op, reserved; status -22
		{"ok", Response{ID: 1, Operation: OpOpen}, pad([]byte{1, 0, 0, 0}, []byte{0, 0, 0, 0})},
		{"hw param", Response{ID: 2, Operation: OpHwParamQuery, HwParam: HwParam{Formats: MaskOf(FormatS16LE), Rates: Range{44100, 48000}, Channels: Range{2, 2}, Buffer: Range{1, 2}, Period: Range{3, 4}}},
			pad([]byte{2, 0, 9, 0}, []byte{0, 0, 0, 0},
				[]byte{4, 0, 0, 0}, []byte{0, 0, 0, 0}, // formats
				[]byte{0x44, 0xac, 0, 0}, []byte{0x80, 0xbb, 0, 0},
				[]byte{2, 0, 0, 0}, []byte{2, 0, 0, 0},
				[]byte{1, 0, 0, 0}, []byte{2, 0, 0, 0},
				[]byte{3, 0, 0, 0}, []byte{4, 0, 0, 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]byte, PacketSize)
			tt.resp.Encode(got)
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("encode:\n got [% x]\nwant [% x]", got, tt.want)
			}
			dec, _ := DecodeResponse(tt.want)
			if dec != tt.resp {
				t.Fatalf("decode: got %+v, want %+v", dec, tt.resp)
			}
		})
	}
}

func TestGoldenEvent(t *testing.T) {
	if !le() {
		t.Skip("golden bytes are little-endian")
	}
	e := Event{ID: 0x0304, Type: EvtCurPos, Position: 0x0000000100002000}
	want := pad(
		[]byte{0x04, 0x03, 0, 0}, // id, type CUR_POS, reserved
		[]byte{0, 0, 0, 0},       // reserved
		[]byte{0, 0x20, 0, 0},    // position low  (12)
		[]byte{1, 0, 0, 0},       // position high (16)
	)
	got := make([]byte, PacketSize)
	e.Encode(got)
	if !bytes.Equal(got, want) {
		t.Fatalf("got [% x]\nwant [% x]", got, want)
	}
	if d, _ := DecodeEvent(want); d != e {
		t.Fatalf("decode: %+v", d)
	}
}

func TestGoldenDirPage(t *testing.T) {
	if !le() {
		t.Skip("golden bytes are little-endian")
	}
	page := make([]byte, PageSize)
	EncodeDirPage(page, 0x99, []uint32{10, 11, 0x01020304})
	want := bytes.Join([][]byte{
		{0x99, 0, 0, 0},          // gref_dir_next_page
		{10, 0, 0, 0},            // gref[0] at 4
		{11, 0, 0, 0},            // gref[1]
		{0x04, 0x03, 0x02, 0x01}, // gref[2]
	}, nil)
	if !bytes.Equal(page[:16], want) || !bytes.Equal(page[16:], make([]byte, PageSize-16)) {
		t.Fatalf("got [% x]", page[:16])
	}
	d, err := DecodeDirPage(page, 3)
	if err != nil || d.Next != 0x99 || len(d.Refs) != 3 || d.Refs[2] != 0x01020304 {
		t.Fatalf("decode: %+v %v", d, err)
	}
	if _, err := DecodeDirPage(page, DirRefsPerPage+1); err == nil {
		t.Fatal("decoding more references than a page holds succeeded")
	}
	if DirRefsPerPage != 1023 || DirPages(1023*4096) != 1 || DirPages(1023*4096+1) != 2 || BufferPages(1) != 1 || BufferPages(0) != 0 {
		t.Fatal("directory arithmetic")
	}
}

func TestLayoutConstants(t *testing.T) {
	// __RING_SIZE: (4096 - 64) / 64 = 63, rounded down to 32;
	// XENSND_IN_RING_LEN: (4096 - 64) / 64 = 63.
	if RingSize != 32 || EventRingLen != 63 || EventRingOffset != 64 || ringHeader != 64 {
		t.Fatal("ring geometry")
	}
}

func TestFormats(t *testing.T) {
	for i := range NumFormats {
		f := Format(i)
		g, ok := ParseFormat(f.String())
		if !ok || g != f {
			t.Fatalf("format %d: %q parses as %d %v", i, f, g, ok)
		}
	}
	if f, ok := ParseFormat("S16_LE"); !ok || f != FormatS16LE {
		t.Fatal("case-insensitive name")
	}
	if _, ok := ParseFormat("f32_le"); ok {
		t.Fatal("libxl's f32_le is not a sndif name")
	}
	if FormatF32LE.String() != "float_le" || FormatGSM != 24 {
		t.Fatal("format codes")
	}
}
