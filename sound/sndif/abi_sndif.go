package sndif

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// This file mirrors Xen's public header io/sndif.h (protocol version 2;
// checked against Linux's copy, include/xen/interface/io/sndif.h). Every
// packet is 64 octets; offsets are the header's.

// ProtocolVersion is XENSND_PROTOCOL_VERSION.
const ProtocolVersion = 2

// Versions is what a backend writes to its "versions" node: the protocol
// versions it speaks, XENSND_LIST_SEPARATOR-separated.
const Versions = "1,2"

// PageSize is XEN_PAGE_SIZE: rings, event pages, directory pages and
// buffer pages are all this size.
const PageSize = 4096

// PacketSize is the size of every request, response and event.
const PacketSize = 64

// Operation is a request's XENSND_OP_* code.
type Operation uint8

// The operations (XENSND_OP_*).
const (
	OpOpen         Operation = 0
	OpClose        Operation = 1
	OpRead         Operation = 2
	OpWrite        Operation = 3
	OpSetVolume    Operation = 4
	OpGetVolume    Operation = 5
	OpMute         Operation = 6
	OpUnmute       Operation = 7
	OpTrigger      Operation = 8
	OpHwParamQuery Operation = 9
)

var opNames = [...]string{"OPEN", "CLOSE", "READ", "WRITE", "SET_VOLUME", "GET_VOLUME", "MUTE", "UNMUTE", "TRIGGER", "HW_PARAM_QUERY"}

func (o Operation) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op" + strconv.Itoa(int(o))
}

// Known reports whether o is an operation of the protocol.
func (o Operation) Known() bool { return int(o) < len(opNames) }

// Trigger is a TRIGGER request's XENSND_OP_TRIGGER_* type.
type Trigger uint8

// The trigger types.
const (
	TriggerStart  Trigger = 0
	TriggerPause  Trigger = 1
	TriggerStop   Trigger = 2
	TriggerResume Trigger = 3
)

var triggerNames = [...]string{"start", "pause", "stop", "resume"}

func (t Trigger) String() string {
	if int(t) < len(triggerNames) {
		return triggerNames[t]
	}
	return "trigger" + strconv.Itoa(int(t))
}

// EventType is an event's XENSND_EVT_* code.
type EventType uint8

// EvtCurPos is XENSND_EVT_CUR_POS: the stream's position advanced.
const EvtCurPos EventType = 0

// Format is a XENSND_PCM_FORMAT_* code.
type Format uint8

// The PCM formats.
const (
	FormatS8               Format = 0
	FormatU8               Format = 1
	FormatS16LE            Format = 2
	FormatS16BE            Format = 3
	FormatU16LE            Format = 4
	FormatU16BE            Format = 5
	FormatS24LE            Format = 6
	FormatS24BE            Format = 7
	FormatU24LE            Format = 8
	FormatU24BE            Format = 9
	FormatS32LE            Format = 10
	FormatS32BE            Format = 11
	FormatU32LE            Format = 12
	FormatU32BE            Format = 13
	FormatF32LE            Format = 14
	FormatF32BE            Format = 15
	FormatF64LE            Format = 16
	FormatF64BE            Format = 17
	FormatIEC958SubframeLE Format = 18
	FormatIEC958SubframeBE Format = 19
	FormatMuLaw            Format = 20
	FormatALaw             Format = 21
	FormatIMAADPCM         Format = 22
	FormatMPEG             Format = 23
	FormatGSM              Format = 24
	NumFormats                    = 25
)

// formatNames are the XENSND_PCM_FORMAT_*_STR strings, by code.
var formatNames = [NumFormats]string{
	"s8", "u8", "s16_le", "s16_be", "u16_le", "u16_be", "s24_le", "s24_be",
	"u24_le", "u24_be", "s32_le", "s32_be", "u32_le", "u32_be",
	"float_le", "float_be", "float64_le", "float64_be",
	"iec958_subframe_le", "iec958_subframe_be", "mu_law", "a_law",
	"ima_adpcm", "mpeg", "gsm",
}

// String is the format's XenStore name (XENSND_PCM_FORMAT_*_STR).
func (f Format) String() string {
	if int(f) < NumFormats {
		return formatNames[f]
	}
	return "format" + strconv.Itoa(int(f))
}

// Valid reports whether f is a format of the protocol.
func (f Format) Valid() bool { return int(f) < NumFormats }

// ParseFormat maps a XenStore format name to its code, case-insensitively
// as Linux's frontend compares them.
func ParseFormat(name string) (Format, bool) {
	for i, n := range formatNames {
		if equalFold(n, name) {
			return Format(i), true
		}
	}
	return 0, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// FormatMask is a HW_PARAM_QUERY formats mask: bit n set for Format n.
type FormatMask uint64

// Has reports whether f is in m.
func (m FormatMask) Has(f Format) bool { return f < 64 && m&(1<<f) != 0 }

// MaskOf returns the mask of the given formats.
func MaskOf(fs ...Format) FormatMask {
	var m FormatMask
	for _, f := range fs {
		if f < 64 {
			m |= 1 << f
		}
	}
	return m
}

// Status codes: a response's status is 0 or a negative Xen errno
// (xen/include/public/errno.h; these numbers equal Linux's).
const (
	StatusOK       int32 = 0
	StatusEIO      int32 = -5
	StatusE2BIG    int32 = -7
	StatusEBADF    int32 = -9
	StatusENOMEM   int32 = -12
	StatusEFAULT   int32 = -14
	StatusEBUSY    int32 = -16
	StatusEINVAL   int32 = -22
	StatusENOSPC   int32 = -28
	StatusERANGE   int32 = -34
	StatusENOTSUPP int32 = -95 // XEN_EOPNOTSUPP
)

// Offsets inside a packet: the common header is 8 bytes, the payload
// (the header's union) follows.
const (
	offID        = 0
	offOperation = 2
	offStatus    = 4 // responses
	offPayload   = 8
)

// OpenReq is struct xensnd_open_req (payload offset 8 of a request).
type OpenReq struct {
	PCMRate       uint32 // +0 (octet 8 of the request)
	PCMFormat     Format // +4
	PCMChannels   uint8  // +5
	BufferSize    uint32 // +8: buffer_sz, octets
	GrefDirectory uint32 // +12: grant of the first page directory page
	PeriodSize    uint32 // +16: period_sz, octets (0: no CUR_POS events)
}

// RWReq is struct xensnd_rw_req, used by READ, WRITE, SET_VOLUME,
// GET_VOLUME, MUTE and UNMUTE.
type RWReq struct {
	Offset uint32 // +0: octets into the buffer given at OPEN
	Length uint32 // +4: octets
}

// Range is one {min, max} interval of struct xensnd_query_hw_param.
type Range struct{ Min, Max uint32 }

// HwParam is struct xensnd_query_hw_param: a query's and its answer's
// formats mask and intervals. Buffer and Period are in frames (ALSA's
// BUFFER_SIZE and PERIOD_SIZE parameters).
type HwParam struct {
	Formats  FormatMask // +0
	Rates    Range      // +8
	Channels Range      // +16
	Buffer   Range      // +24
	Period   Range      // +32
}

// Request is struct xensnd_req, decoded: the header and the one payload
// its operation uses.
type Request struct {
	ID        uint16
	Operation Operation
	Open      OpenReq // OpOpen
	RW        RWReq   // OpRead, OpWrite, OpSetVolume, OpGetVolume, OpMute, OpUnmute
	Trigger   Trigger // OpTrigger
	HwParam   HwParam // OpHwParamQuery
	Raw       [PacketSize]byte
}

// DecodeRequest decodes a 64-byte request. An unknown operation is not
// an error here (the caller answers it with an error status); a packet of
// the wrong size is.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	if len(b) != PacketSize {
		return r, fmt.Errorf("%w: request of %d bytes", ErrShortPacket, len(b))
	}
	copy(r.Raw[:], b)
	p := r.Raw[:]
	ne := binary.NativeEndian
	r.ID = ne.Uint16(p[offID:])
	r.Operation = Operation(p[offOperation])
	q := p[offPayload:]
	switch r.Operation {
	case OpOpen:
		r.Open = OpenReq{
			PCMRate:       ne.Uint32(q[0:]),
			PCMFormat:     Format(q[4]),
			PCMChannels:   q[5],
			BufferSize:    ne.Uint32(q[8:]),
			GrefDirectory: ne.Uint32(q[12:]),
			PeriodSize:    ne.Uint32(q[16:]),
		}
	case OpRead, OpWrite, OpSetVolume, OpGetVolume, OpMute, OpUnmute:
		r.RW = RWReq{Offset: ne.Uint32(q[0:]), Length: ne.Uint32(q[4:])}
	case OpTrigger:
		r.Trigger = Trigger(q[0])
	case OpHwParamQuery:
		r.HwParam = decodeHwParam(q)
	}
	return r, nil
}

// Encode writes the request as a frontend would, into b (64 bytes):
// reserved fields zero.
func (r *Request) Encode(b []byte) {
	clear(b[:PacketSize])
	ne := binary.NativeEndian
	ne.PutUint16(b[offID:], r.ID)
	b[offOperation] = byte(r.Operation)
	q := b[offPayload:PacketSize]
	switch r.Operation {
	case OpOpen:
		ne.PutUint32(q[0:], r.Open.PCMRate)
		q[4] = byte(r.Open.PCMFormat)
		q[5] = r.Open.PCMChannels
		ne.PutUint32(q[8:], r.Open.BufferSize)
		ne.PutUint32(q[12:], r.Open.GrefDirectory)
		ne.PutUint32(q[16:], r.Open.PeriodSize)
	case OpRead, OpWrite, OpSetVolume, OpGetVolume, OpMute, OpUnmute:
		ne.PutUint32(q[0:], r.RW.Offset)
		ne.PutUint32(q[4:], r.RW.Length)
	case OpTrigger:
		q[0] = byte(r.Trigger)
	case OpHwParamQuery:
		encodeHwParam(q, r.HwParam)
	}
}

func decodeHwParam(q []byte) HwParam {
	ne := binary.NativeEndian
	return HwParam{
		Formats:  FormatMask(ne.Uint64(q[0:])),
		Rates:    Range{ne.Uint32(q[8:]), ne.Uint32(q[12:])},
		Channels: Range{ne.Uint32(q[16:]), ne.Uint32(q[20:])},
		Buffer:   Range{ne.Uint32(q[24:]), ne.Uint32(q[28:])},
		Period:   Range{ne.Uint32(q[32:]), ne.Uint32(q[36:])},
	}
}

func encodeHwParam(q []byte, h HwParam) {
	ne := binary.NativeEndian
	ne.PutUint64(q[0:], uint64(h.Formats))
	for i, r := range []Range{h.Rates, h.Channels, h.Buffer, h.Period} {
		ne.PutUint32(q[8+8*i:], r.Min)
		ne.PutUint32(q[12+8*i:], r.Max)
	}
}

// Response is struct xensnd_resp.
type Response struct {
	ID        uint16    // copied from the request
	Operation Operation // copied from the request
	Status    int32     // 0 or a negative Xen errno
	HwParam   HwParam   // OpHwParamQuery only
}

// Encode writes the response into b (64 bytes), reserved fields zero.
func (r *Response) Encode(b []byte) {
	clear(b[:PacketSize])
	ne := binary.NativeEndian
	ne.PutUint16(b[offID:], r.ID)
	b[offOperation] = byte(r.Operation)
	ne.PutUint32(b[offStatus:], uint32(r.Status))
	if r.Operation == OpHwParamQuery {
		encodeHwParam(b[offPayload:PacketSize], r.HwParam)
	}
}

// DecodeResponse decodes a 64-byte response (what a frontend reads).
func DecodeResponse(b []byte) (Response, error) {
	if len(b) != PacketSize {
		return Response{}, fmt.Errorf("%w: response of %d bytes", ErrShortPacket, len(b))
	}
	ne := binary.NativeEndian
	r := Response{ID: ne.Uint16(b[offID:]), Operation: Operation(b[offOperation]), Status: int32(ne.Uint32(b[offStatus:]))}
	if r.Operation == OpHwParamQuery {
		r.HwParam = decodeHwParam(b[offPayload:])
	}
	return r, nil
}

// Event is struct xensnd_evt.
type Event struct {
	ID       uint16
	Type     EventType
	Position uint64 // EvtCurPos: the stream's position in octets since OPEN
}

// Encode writes the event into b (64 bytes), reserved fields zero.
func (e *Event) Encode(b []byte) {
	clear(b[:PacketSize])
	ne := binary.NativeEndian
	ne.PutUint16(b[offID:], e.ID)
	b[offOperation] = byte(e.Type)
	if e.Type == EvtCurPos {
		ne.PutUint64(b[offPayload:], e.Position)
	}
}

// DecodeEvent decodes a 64-byte event (what a frontend reads).
func DecodeEvent(b []byte) (Event, error) {
	if len(b) != PacketSize {
		return Event{}, fmt.Errorf("%w: event of %d bytes", ErrShortPacket, len(b))
	}
	ne := binary.NativeEndian
	e := Event{ID: ne.Uint16(b[offID:]), Type: EventType(b[offOperation])}
	if e.Type == EvtCurPos {
		e.Position = ne.Uint64(b[offPayload:])
	}
	return e, nil
}

// Page directory (struct xensnd_page_directory): gref_dir_next_page at
// 0, then grant references from offset 4 to the end of the page.
const (
	// DirRefsPerPage is how many buffer grant references one directory
	// page holds: (XEN_PAGE_SIZE - offsetof(gref)) / sizeof(grant_ref_t).
	DirRefsPerPage = (PageSize - 4) / 4
)

// DirPage is one decoded page of a page directory.
type DirPage struct {
	Next uint32   // gref_dir_next_page; 0 ends the list
	Refs []uint32 // the first n grants of the page
}

// DecodeDirPage decodes the first n (≤ DirRefsPerPage) references of a
// directory page.
func DecodeDirPage(page []byte, n int) (DirPage, error) {
	if len(page) < PageSize {
		return DirPage{}, fmt.Errorf("%w: directory page of %d bytes", ErrShortPacket, len(page))
	}
	if n < 0 || n > DirRefsPerPage {
		return DirPage{}, fmt.Errorf("%w: %d references on one directory page", ErrBadDirectory, n)
	}
	ne := binary.NativeEndian
	d := DirPage{Next: ne.Uint32(page[0:]), Refs: make([]uint32, n)}
	for i := range n {
		d.Refs[i] = ne.Uint32(page[4+4*i:])
	}
	return d, nil
}

// EncodeDirPage writes a directory page as a frontend does.
func EncodeDirPage(page []byte, next uint32, refs []uint32) {
	clear(page[:PageSize])
	ne := binary.NativeEndian
	ne.PutUint32(page[0:], next)
	for i, r := range refs {
		ne.PutUint32(page[4+4*i:], r)
	}
}

// DirPages is how many directory pages describe a buffer of size octets.
func DirPages(size uint32) int {
	n := BufferPages(size)
	return (n + DirRefsPerPage - 1) / DirRefsPerPage
}

// BufferPages is how many pages a buffer of size octets spans
// (num_grefs_total in sndif.h).
func BufferPages(size uint32) int { return int((uint64(size) + PageSize - 1) / PageSize) }
