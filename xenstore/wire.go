package xenstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MsgType is enum xsd_sockmsg_type from xen/include/public/io/xs_wire.h
// (4.17–4.20: XS_TYPE_COUNT is 23).
type MsgType uint32

// Message types, numbered as in xs_wire.h.
const (
	TypeControl            MsgType = 0 // XS_CONTROL (was XS_DEBUG)
	TypeDirectory          MsgType = 1
	TypeRead               MsgType = 2
	TypeGetPerms           MsgType = 3
	TypeWatch              MsgType = 4
	TypeUnwatch            MsgType = 5
	TypeTransactionStart   MsgType = 6
	TypeTransactionEnd     MsgType = 7
	TypeIntroduce          MsgType = 8
	TypeRelease            MsgType = 9
	TypeGetDomainPath      MsgType = 10
	TypeWrite              MsgType = 11
	TypeMkdir              MsgType = 12
	TypeRm                 MsgType = 13
	TypeSetPerms           MsgType = 14
	TypeWatchEvent         MsgType = 15
	TypeError              MsgType = 16
	TypeIsDomainIntroduced MsgType = 17
	TypeResume             MsgType = 18
	TypeSetTarget          MsgType = 19
	// 20 was XS_RESTRICT, removed from Xen.
	TypeResetWatches  MsgType = 21
	TypeDirectoryPart MsgType = 22
)

var msgTypeNames = [...]string{
	TypeControl:            "CONTROL",
	TypeDirectory:          "DIRECTORY",
	TypeRead:               "READ",
	TypeGetPerms:           "GET_PERMS",
	TypeWatch:              "WATCH",
	TypeUnwatch:            "UNWATCH",
	TypeTransactionStart:   "TRANSACTION_START",
	TypeTransactionEnd:     "TRANSACTION_END",
	TypeIntroduce:          "INTRODUCE",
	TypeRelease:            "RELEASE",
	TypeGetDomainPath:      "GET_DOMAIN_PATH",
	TypeWrite:              "WRITE",
	TypeMkdir:              "MKDIR",
	TypeRm:                 "RM",
	TypeSetPerms:           "SET_PERMS",
	TypeWatchEvent:         "WATCH_EVENT",
	TypeError:              "ERROR",
	TypeIsDomainIntroduced: "IS_DOMAIN_INTRODUCED",
	TypeResume:             "RESUME",
	TypeSetTarget:          "SET_TARGET",
	20:                     "",
	TypeResetWatches:       "RESET_WATCHES",
	TypeDirectoryPart:      "DIRECTORY_PART",
}

// String returns the type's name without the XS_ prefix, or its number for
// an unknown type.
func (t MsgType) String() string {
	if int(t) < len(msgTypeNames) && msgTypeNames[t] != "" {
		return msgTypeNames[t]
	}
	return "TYPE(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// Wire limits from xs_wire.h.
const (
	HeaderSize = 16   // sizeof(struct xsd_sockmsg)
	PayloadMax = 4096 // XENSTORE_PAYLOAD_MAX
	AbsPathMax = 3072 // XENSTORE_ABS_PATH_MAX
	RelPathMax = 2048 // XENSTORE_REL_PATH_MAX
	RingSize   = 1024 // XENSTORE_RING_SIZE: bytes per direction of a domain's ring
)

// Message is one XenStore wire message: struct xsd_sockmsg followed by its
// payload. All header fields are little-endian u32 on x86 and Arm.
type Message struct {
	Type    MsgType
	ReqID   uint32 // echoed back in the reply
	TxID    uint32 // 0 outside a transaction
	Payload []byte
}

// Errors of the message codec.
var (
	ErrPayloadTooBig = errors.New("payload larger than 4096 bytes")
	ErrShortMessage  = errors.New("short message")
)

// MarshalBinary encodes m. A payload over PayloadMax is refused: xenstored
// drops a connection that sends one.
func (m *Message) MarshalBinary() ([]byte, error) {
	if len(m.Payload) > PayloadMax {
		return nil, fmt.Errorf("xenstore: %s: %w (%d)", m.Type, ErrPayloadTooBig, len(m.Payload))
	}
	b := make([]byte, HeaderSize+len(m.Payload))
	binary.LittleEndian.PutUint32(b[0:], uint32(m.Type))
	binary.LittleEndian.PutUint32(b[4:], m.ReqID)
	binary.LittleEndian.PutUint32(b[8:], m.TxID)
	binary.LittleEndian.PutUint32(b[12:], uint32(len(m.Payload)))
	copy(b[HeaderSize:], m.Payload)
	return b, nil
}

// UnmarshalBinary decodes exactly one message from b; the header's length
// must match the bytes that follow it.
func (m *Message) UnmarshalBinary(b []byte) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("xenstore: %w: %d bytes", ErrShortMessage, len(b))
	}
	n := binary.LittleEndian.Uint32(b[12:])
	if n > PayloadMax {
		return fmt.Errorf("xenstore: %w (%d)", ErrPayloadTooBig, n)
	}
	if uint32(len(b)-HeaderSize) != n {
		return fmt.Errorf("xenstore: header says %d payload bytes, have %d: %w", n, len(b)-HeaderSize, ErrShortMessage)
	}
	m.Type = MsgType(binary.LittleEndian.Uint32(b[0:]))
	m.ReqID = binary.LittleEndian.Uint32(b[4:])
	m.TxID = binary.LittleEndian.Uint32(b[8:])
	m.Payload = append([]byte(nil), b[HeaderSize:]...)
	return nil
}

// ReadMessage reads one message from r. It refuses a header announcing more
// than PayloadMax bytes without reading them.
func ReadMessage(r io.Reader) (*Message, error) {
	var h [HeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(h[12:])
	if n > PayloadMax {
		return nil, fmt.Errorf("xenstore: %w (%d)", ErrPayloadTooBig, n)
	}
	m := &Message{
		Type:    MsgType(binary.LittleEndian.Uint32(h[0:])),
		ReqID:   binary.LittleEndian.Uint32(h[4:]),
		TxID:    binary.LittleEndian.Uint32(h[8:]),
		Payload: make([]byte, n),
	}
	if _, err := io.ReadFull(r, m.Payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return m, nil
}

// WriteMessage writes m with a single Write call: /dev/xen/xenbus takes one
// whole message per write.
func WriteMessage(w io.Writer, m *Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// JoinPayload builds a payload of NUL-terminated strings, as most requests
// are (`path\0`, `wpath\0token\0`, `path\0perm\0perm\0`).
func JoinPayload(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return b
}

// SplitPayload splits a payload of NUL-separated strings. A final NUL does
// not produce an empty last element; an empty payload gives no elements.
func SplitPayload(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	b = bytes.TrimSuffix(b, []byte{0})
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// OKPayload is the payload of a successful reply that carries no data.
var OKPayload = []byte("OK\x00")
