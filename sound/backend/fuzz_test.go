package backend_test

import (
	"testing"

	"xgo.dev/xgo/sound/sndif"
)

// FuzzRequests sends random requests (any operation, any fields) to a
// connected stream: every one must be answered, and the stream must
// still serve a good OPEN and WRITE afterwards.
func FuzzRequests(f *testing.F) {
	r := newRig(f)
	fr := r.attach(f, 1, "CARD, sample-rates=8000;48000, sample-formats=s16_le;u8, buffer-size=65536", "PCM, name=f",
		"STREAM, unique-id=null, type=p", "STREAM, unique-id=tone:300, type=c")
	seed := make([]byte, sndif.PacketSize)
	(&sndif.Request{Operation: sndif.OpOpen, Open: sndif.OpenReq{PCMRate: 48000, PCMFormat: sndif.FormatS16LE, PCMChannels: 2, BufferSize: 4096, GrefDirectory: 8}}).Encode(seed)
	f.Add(seed, false)
	f.Add(make([]byte, sndif.PacketSize), true)
	f.Fuzz(func(t *testing.T, b []byte, capture bool) {
		if len(b) < sndif.PacketSize {
			b = append(b, make([]byte, sndif.PacketSize-len(b))...)
		}
		req, err := sndif.DecodeRequest(b[:sndif.PacketSize])
		if err != nil {
			t.Fatal(err)
		}
		s := fr.Streams[0]
		if capture {
			s = fr.Streams[1]
		}
		resp, err := s.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", req.Operation, err)
		}
		if resp.Operation != req.Operation {
			t.Fatalf("response to %s says %s", req.Operation, resp.Operation)
		}
		if err := s.Open(sndif.FormatU8, 8000, 1, 4096, 1024); err != nil {
			t.Fatalf("after %+v: %v", req, err)
		}
		if capture {
			_, err = s.Read(100)
		} else {
			err = s.Write(make([]byte, 100))
		}
		if err != nil {
			t.Fatalf("after %+v: %v", req, err)
		}
	})
}
