package sndif

import (
	"encoding/binary"
	"errors"
	"testing"
)

func newPage() []byte { return make([]byte, PageSize) }

func TestRingRoundTrip(t *testing.T) {
	page := newPage()
	front, err := NewFrontRing(page)
	if err != nil {
		t.Fatal(err)
	}
	back, err := NewBackRing(page)
	if err != nil {
		t.Fatal(err)
	}
	// Several laps of the ring, in batches that do not divide it.
	id := uint16(0)
	for lap := 0; lap < 10; lap++ {
		for range 7 {
			front.Put(&Request{ID: id, Operation: OpWrite, RW: RWReq{Offset: uint32(id), Length: 4}})
			id++
		}
		notify := front.Push()
		if lap == 0 && !notify {
			t.Fatal("the first push did not ask for a notification (req_event starts at 1)")
		}
		n := 0
		for {
			more, err := back.FinalCheck()
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
			req, err := back.Take()
			if err != nil {
				t.Fatal(err)
			}
			if req.Operation != OpWrite || req.RW.Offset != uint32(req.ID) {
				t.Fatalf("request %+v", req)
			}
			back.Put(&Response{ID: req.ID, Operation: req.Operation})
			n++
		}
		if n != 7 {
			t.Fatalf("lap %d: took %d requests", lap, n)
		}
		back.Push()
		rs := front.Responses()
		if len(rs) != 7 || rs[6].ID != id-1 {
			t.Fatalf("lap %d: responses %+v", lap, rs)
		}
	}
}

func TestRingHostileIndices(t *testing.T) {
	page := newPage()
	if _, err := NewFrontRing(page); err != nil {
		t.Fatal(err)
	}
	back, _ := NewBackRing(page)
	binary.NativeEndian.PutUint32(page[offReqProd:], RingSize+1)
	if _, err := back.FinalCheck(); !errors.Is(err, ErrRingOverflow) {
		t.Fatalf("producer a ring ahead: %v", err)
	}
	binary.NativeEndian.PutUint32(page[offReqProd:], 0xfffffff0) // "behind" the consumer
	if _, err := back.Unconsumed(); !errors.Is(err, ErrRingOverflow) {
		t.Fatalf("producer behind: %v", err)
	}
	binary.NativeEndian.PutUint32(page[offReqProd:], 5)
	page[ringHeader+2] = 200 // garbage operation
	if n, _ := back.Unconsumed(); n != 5 {
		t.Fatal(n)
	}
	req, err := back.Take()
	if err != nil || req.Operation.Known() {
		t.Fatalf("garbage op: %+v %v", req, err)
	}
	// A ring page that already claims too much is refused at attach.
	binary.NativeEndian.PutUint32(page[offReqProd:], 1000)
	if _, err := NewBackRing(page); !errors.Is(err, ErrRingOverflow) {
		t.Fatal(err)
	}
	if _, err := NewBackRing(make([]byte, 100)); !errors.Is(err, ErrShortPacket) {
		t.Fatal(err)
	}
	if _, err := NewBackRing(make([]byte, PageSize+1)[1:]); !errors.Is(err, ErrMisaligned) {
		t.Fatal(err)
	}
}

func TestEventPage(t *testing.T) {
	page := newPage()
	cons, _ := NewEventConsumer(page)
	prod, err := NewEventProducer(page)
	if err != nil {
		t.Fatal(err)
	}
	for i := range EventRingLen {
		if err := prod.Put(&Event{ID: uint16(i), Type: EvtCurPos, Position: uint64(i) * 100}); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if err := prod.Put(&Event{ID: 99}); !errors.Is(err, ErrEventRingFull) {
		t.Fatalf("full ring: %v", err)
	}
	evs := cons.Events()
	if len(evs) != EventRingLen || evs[62].Position != 6200 || evs[62].ID != 62 {
		t.Fatalf("%d events, last %+v", len(evs), evs[len(evs)-1])
	}
	// Wrapping: the producer continues at index 63, slot 0.
	if err := prod.Put(&Event{ID: 63, Position: 1}); err != nil {
		t.Fatal(err)
	}
	if evs := cons.Events(); len(evs) != 1 || evs[0].ID != 63 {
		t.Fatalf("%+v", evs)
	}
	// A garbage consumer index never lets the producer overwrite.
	binary.NativeEndian.PutUint32(page[offInCons:], 0x80000000)
	if err := prod.Put(&Event{}); !errors.Is(err, ErrEventRingFull) {
		t.Fatal(err)
	}
}
