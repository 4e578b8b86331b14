package sndif

import (
	"encoding/binary"
	"testing"
)

// FuzzBackRing feeds random ring pages (indices and entries) to the
// backend's consumer: it must never panic, never see more than a ring of
// requests outstanding, and always stop.
func FuzzBackRing(f *testing.F) {
	seed := newPage()
	fr, _ := NewFrontRing(seed)
	fr.Put(&Request{ID: 1, Operation: OpOpen, Open: OpenReq{PCMRate: 48000, PCMChannels: 2, BufferSize: 4096}})
	fr.Put(&Request{ID: 2, Operation: OpHwParamQuery})
	fr.Push()
	f.Add(seed[:256], uint32(0))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff}, uint32(7))
	f.Add([]byte{40, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0}, uint32(1))
	f.Fuzz(func(t *testing.T, data []byte, rspProd uint32) {
		page := newPage()
		copy(page, data)
		back, err := NewBackRing(page)
		if err != nil {
			return
		}
		for steps := 0; steps < 4*RingSize; steps++ {
			more, err := back.FinalCheck()
			if err != nil || !more {
				break
			}
			req, err := back.Take()
			if err != nil {
				t.Fatal(err)
			}
			if n, err := back.Unconsumed(); err == nil && n > RingSize {
				t.Fatalf("%d requests unconsumed in a %d-entry ring", n, RingSize)
			}
			_ = req.Operation.String()
			back.Put(&Response{ID: req.ID, Operation: req.Operation, Status: StatusEINVAL})
			back.Push()
			// The guest moves its producer while we work.
			binary.NativeEndian.PutUint32(page[offReqProd:], binary.NativeEndian.Uint32(page[offReqProd:])+rspProd%3)
		}
	})
}

// FuzzDecodeRequest checks that decoding then encoding a request keeps
// every field the protocol defines.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(make([]byte, PacketSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		out := make([]byte, PacketSize)
		r.Encode(out)
		r2, err := DecodeRequest(out)
		if err != nil {
			t.Fatal(err)
		}
		r.Raw, r2.Raw = [PacketSize]byte{}, [PacketSize]byte{}
		if r != r2 {
			t.Fatalf("%+v != %+v", r, r2)
		}
	})
}
