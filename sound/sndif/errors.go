package sndif

import "errors"

// Errors of the codecs. A guest that causes one of the ring errors has
// broken the protocol: the backend stops serving the stream's ring
// (it closes the device); a bad operation only earns an error status.
var (
	// ErrShortPacket: a buffer is not the size of a packet or page.
	ErrShortPacket = errors.New("sndif: wrong packet size")
	// ErrRingOverflow: the guest's producer index is more than a ring
	// ahead of what was consumed.
	ErrRingOverflow = errors.New("sndif: producer index more than a ring ahead")
	// ErrEventRingFull: the event page has no room (the guest does not
	// consume, or its consumer index is garbage); the event is dropped.
	ErrEventRingFull = errors.New("sndif: event ring full")
	// ErrBadDirectory: a page directory that does not describe the
	// buffer (too many pages, a loop, a missing page).
	ErrBadDirectory = errors.New("sndif: bad page directory")
	// ErrMisaligned: a shared page that is not 8-byte aligned, so its
	// indices cannot be accessed atomically.
	ErrMisaligned = errors.New("sndif: shared page not aligned")
)
