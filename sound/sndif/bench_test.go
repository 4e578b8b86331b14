package sndif

import "testing"

// BenchmarkRingRequestResponse is one WRITE request through the ring and
// its response back: the protocol cost of the playback path without the
// copy of samples.
func BenchmarkRingRequestResponse(b *testing.B) {
	page := newPage()
	front, _ := NewFrontRing(page)
	back, _ := NewBackRing(page)
	req := Request{Operation: OpWrite, RW: RWReq{Length: 4096}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req.ID = uint16(i)
		front.Put(&req)
		front.Push()
		if more, err := back.FinalCheck(); !more || err != nil {
			b.Fatal(more, err)
		}
		r, _ := back.Take()
		back.Put(&Response{ID: r.ID, Operation: r.Operation})
		back.Push()
		front.Responses()
	}
}

func BenchmarkEventPut(b *testing.B) {
	page := newPage()
	cons, _ := NewEventConsumer(page)
	prod, _ := NewEventProducer(page)
	for i := 0; b.Loop(); i++ {
		if err := prod.Put(&Event{ID: uint16(i), Position: uint64(i)}); err != nil {
			cons.Events()
		}
	}
}
