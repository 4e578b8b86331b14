// Package sndif is the wire format of Xen's para-virtual sound protocol,
// io/sndif.h (XENSND_PROTOCOL_VERSION 2, as Linux 6.1's snd-xen-front
// speaks it), seen from the backend: the 64-byte request, response and
// event packets, their operation, trigger, format and event codes, the
// page directory that describes a stream's shared buffer, and the two
// shared pages of a stream: the request ring (io/ring.h's generic
// single-page ring, consumed here) and the event page (produced here).
//
// Everything read from a shared page comes from the guest and is treated
// as hostile: a producer index more than a ring ahead, a consumer index
// that is not behind the producer, an unknown operation or a directory
// that loops are typed errors (ErrRingOverflow, ErrBadOperation, ...),
// never a panic or an endless loop. Packets are copied out of the shared
// page before they are decoded, so a guest that rewrites an entry while
// it is being handled cannot change what was validated.
//
// # Memory ordering
//
// The ring indices are shared with another domain's CPUs. Every index on
// a shared page is read and written with sync/atomic, which on the
// architectures dom0 runs on (amd64, arm64) orders the surrounding plain
// accesses as the ring macros' rmb/wmb/mb do: a request is copied only
// after req_prod was loaded, and rsp_prod is stored only after the
// response was written.
//
// # Byte order
//
// The protocol uses the CPU's native byte order (both ends run on the
// same machine); the codecs use binary.NativeEndian. The golden tests
// pin the little-endian layout of amd64 and arm64.
package sndif
