package sndif

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// This file is io/ring.h's generic single-page ring as sndif uses it
// (DEFINE_RING_TYPES(xen_sndif, struct xensnd_req, struct xensnd_resp)),
// and the event page of sndif.h (struct xensnd_event_page).
//
// struct xen_sndif_sring, one 4096-byte page:
//
//	0   req_prod   written by the frontend
//	4   req_event  written by the backend (notify me when req_prod passes it)
//	8   rsp_prod   written by the backend
//	12  rsp_event  written by the frontend
//	16  48 bytes of padding (pvt/pad in ring.h)
//	64  RingSize entries of 64 bytes (union of request and response)

// Ring layout.
const (
	offReqProd  = 0
	offReqEvent = 4
	offRspProd  = 8
	offRspEvent = 12
	ringHeader  = 64
	// RingSize is __RING_SIZE for a 4096-byte page and 64-byte entries:
	// (4096-64)/64 = 63 rounded down to a power of two.
	RingSize = 32
)

// Event page layout.
const (
	offInCons = 0
	offInProd = 4
	// EventRingOffset is XENSND_IN_RING_OFFS, sizeof(struct
	// xensnd_event_page).
	EventRingOffset = 64
	// EventRingLen is XENSND_IN_RING_LEN: (4096-64)/64 = 63 events
	// (not a power of two; indices wrap modulo 63 as the frontend's do).
	EventRingLen = (PageSize - EventRingOffset) / PacketSize
)

func u32at(page []byte, off int) *uint32 { return (*uint32)(unsafe.Pointer(&page[off])) }

func checkPage(page []byte) error {
	if len(page) < PageSize {
		return fmt.Errorf("%w: shared page of %d bytes", ErrShortPacket, len(page))
	}
	if uintptr(unsafe.Pointer(&page[0]))%8 != 0 {
		return ErrMisaligned
	}
	return nil
}

// BackRing is the backend's end of a request ring: it consumes requests
// and produces responses (BACK_RING_ATTACH and the RING_* macros). It is
// not safe for concurrent use; one goroutine serves a ring.
type BackRing struct {
	page       []byte
	reqCons    uint32 // next request to take
	rspProdPvt uint32 // next response slot
	entry      [PacketSize]byte
}

// NewBackRing attaches to a shared ring page the frontend initialised,
// starting where its responses stand (BACK_RING_ATTACH). A page whose
// producer is already more than a ring ahead is refused.
func NewBackRing(page []byte) (*BackRing, error) {
	if err := checkPage(page); err != nil {
		return nil, err
	}
	r := &BackRing{page: page[:PageSize]}
	rsp := atomic.LoadUint32(u32at(r.page, offRspProd))
	r.reqCons, r.rspProdPvt = rsp, rsp
	if _, err := r.Unconsumed(); err != nil {
		return nil, err
	}
	return r, nil
}

// Unconsumed is how many requests the frontend has produced that were
// not taken yet (RING_HAS_UNCONSUMED_REQUESTS with the overflow check of
// RING_REQUEST_PROD_OVERFLOW): ErrRingOverflow when the producer claims
// more than a ring.
func (r *BackRing) Unconsumed() (int, error) {
	prod := atomic.LoadUint32(u32at(r.page, offReqProd))
	n := prod - r.reqCons
	if n > RingSize {
		return 0, fmt.Errorf("%w: req_prod %d, consumed %d", ErrRingOverflow, prod, r.reqCons)
	}
	// Responses not yet produced never exceed a ring: the backend
	// answers every request before taking more than a ring of them.
	if r.reqCons-r.rspProdPvt+n > RingSize {
		return 0, fmt.Errorf("%w: %d requests unanswered", ErrRingOverflow, r.reqCons-r.rspProdPvt+n)
	}
	return int(n), nil
}

// Take copies the next request out of the ring and decodes it. Call it
// only when Unconsumed said there is one.
func (r *BackRing) Take() (Request, error) {
	off := ringHeader + int(r.reqCons%RingSize)*PacketSize
	copy(r.entry[:], r.page[off:off+PacketSize])
	r.reqCons++
	return DecodeRequest(r.entry[:])
}

// Put writes a response into the next response slot; Push publishes it.
func (r *BackRing) Put(resp *Response) {
	off := ringHeader + int(r.rspProdPvt%RingSize)*PacketSize
	var b [PacketSize]byte
	resp.Encode(b[:])
	copy(r.page[off:off+PacketSize], b[:])
	r.rspProdPvt++
}

// Push publishes the responses Put so far (RING_PUSH_RESPONSES_AND_CHECK_NOTIFY)
// and reports whether the frontend asked to be notified.
func (r *BackRing) Push() bool {
	old := atomic.LoadUint32(u32at(r.page, offRspProd))
	now := r.rspProdPvt
	atomic.StoreUint32(u32at(r.page, offRspProd), now)
	ev := atomic.LoadUint32(u32at(r.page, offRspEvent))
	return now-ev < now-old
}

// FinalCheck is RING_FINAL_CHECK_FOR_REQUESTS: it reports whether
// requests are waiting, and if none are, asks the frontend to notify
// when one arrives (req_event) and looks once more.
func (r *BackRing) FinalCheck() (bool, error) {
	n, err := r.Unconsumed()
	if err != nil || n > 0 {
		return n > 0, err
	}
	atomic.StoreUint32(u32at(r.page, offReqEvent), r.reqCons+1)
	n, err = r.Unconsumed()
	return n > 0, err
}

// Consumed is the index of the next request to take.
func (r *BackRing) Consumed() uint32 { return r.reqCons }

// EventProducer is the backend's end of a stream's event page: it
// appends events that the frontend consumes. It is not safe for
// concurrent use.
type EventProducer struct {
	page []byte
	prod uint32
}

// NewEventProducer attaches to an event page, continuing from its
// in_prod (0 on the zeroed page a frontend hands over).
func NewEventProducer(page []byte) (*EventProducer, error) {
	if err := checkPage(page); err != nil {
		return nil, err
	}
	p := &EventProducer{page: page[:PageSize]}
	p.prod = atomic.LoadUint32(u32at(p.page, offInProd))
	return p, nil
}

// Put appends e and publishes it. When the ring has no room (the
// frontend is EventRingLen events behind, or its in_cons is garbage) it
// returns ErrEventRingFull and writes nothing.
func (p *EventProducer) Put(e *Event) error {
	cons := atomic.LoadUint32(u32at(p.page, offInCons))
	if p.prod-cons >= EventRingLen {
		return fmt.Errorf("%w: in_prod %d, in_cons %d", ErrEventRingFull, p.prod, cons)
	}
	off := EventRingOffset + int(p.prod%EventRingLen)*PacketSize
	var b [PacketSize]byte
	e.Encode(b[:])
	copy(p.page[off:off+PacketSize], b[:])
	p.prod++
	atomic.StoreUint32(u32at(p.page, offInProd), p.prod)
	return nil
}

// FrontRing is a frontend's end of a request ring (FRONT_RING_INIT and
// friends), for test frontends and benchmarks. Not safe for concurrent
// use.
type FrontRing struct {
	page       []byte
	reqProdPvt uint32
	rspCons    uint32
}

// NewFrontRing initialises page as a fresh ring (SHARED_RING_INIT) and
// returns the frontend's end of it.
func NewFrontRing(page []byte) (*FrontRing, error) {
	if err := checkPage(page); err != nil {
		return nil, err
	}
	clear(page[:PageSize])
	atomic.StoreUint32(u32at(page, offReqEvent), 1)
	atomic.StoreUint32(u32at(page, offRspEvent), 1)
	return &FrontRing{page: page[:PageSize]}, nil
}

// Free is how many requests can be queued before responses are consumed.
func (f *FrontRing) Free() int { return RingSize - int(f.reqProdPvt-f.rspCons) }

// Put queues a request; Push publishes.
func (f *FrontRing) Put(req *Request) {
	off := ringHeader + int(f.reqProdPvt%RingSize)*PacketSize
	req.Encode(f.page[off : off+PacketSize])
	f.reqProdPvt++
}

// Push publishes the queued requests (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY)
// and reports whether the backend asked to be notified.
func (f *FrontRing) Push() bool {
	old := atomic.LoadUint32(u32at(f.page, offReqProd))
	now := f.reqProdPvt
	atomic.StoreUint32(u32at(f.page, offReqProd), now)
	ev := atomic.LoadUint32(u32at(f.page, offReqEvent))
	return now-ev < now-old
}

// Responses takes every published response not seen yet, then sets
// rsp_event so the backend notifies for the next one.
func (f *FrontRing) Responses() []Response {
	var out []Response
	for {
		prod := atomic.LoadUint32(u32at(f.page, offRspProd))
		for n := 0; f.rspCons != prod && n < RingSize; n++ {
			off := ringHeader + int(f.rspCons%RingSize)*PacketSize
			r, _ := DecodeResponse(f.page[off : off+PacketSize])
			out = append(out, r)
			f.rspCons++
		}
		atomic.StoreUint32(u32at(f.page, offRspEvent), f.rspCons+1)
		if atomic.LoadUint32(u32at(f.page, offRspProd)) == f.rspCons || len(out) >= RingSize {
			return out
		}
	}
}

// EventConsumer is a frontend's end of an event page, for test
// frontends.
type EventConsumer struct{ page []byte }

// NewEventConsumer zeroes page (as a frontend allocates it) and returns
// its consumer.
func NewEventConsumer(page []byte) (*EventConsumer, error) {
	if err := checkPage(page); err != nil {
		return nil, err
	}
	clear(page[:PageSize])
	return &EventConsumer{page: page[:PageSize]}, nil
}

// Events takes every published event not consumed yet.
func (c *EventConsumer) Events() []Event {
	prod := atomic.LoadUint32(u32at(c.page, offInProd))
	cons := atomic.LoadUint32(u32at(c.page, offInCons))
	var out []Event
	for n := 0; cons != prod && n < EventRingLen; n++ {
		off := EventRingOffset + int(cons%EventRingLen)*PacketSize
		e, _ := DecodeEvent(c.page[off : off+PacketSize])
		out = append(out, e)
		cons++
	}
	atomic.StoreUint32(u32at(c.page, offInCons), cons)
	return out
}
