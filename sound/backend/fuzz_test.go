package backend_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xendev"
	"xgo.dev/xgo/xensim/simguest"
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

// hostileKeys are the frontend nodes FuzzHostileGuest writes.
var hostileKeys = []string{"0/0/unique-id", "0/0/type", "0/1/type", "1/0/type", "1/0/unique-id", "buffer-size", "sample-rates",
	"sample-formats", "channels-min", "channels-max", "0/0/buffer-size", "0/1/unique-id", "short-name", "backend", "7/7/type", "0/0/ring-ref"}

// FuzzHostileGuest is the hostile guest with random moves: it writes
// random values into random nodes of its own frontend directory before
// connecting, then sends random requests on its rings. Whatever it does,
// nothing appears below the WAV directory but the admin's files in the
// guest's own directory, the backend keeps running, and every page it
// mapped of the guest is unmapped once the device is gone.
func FuzzHostileGuest(f *testing.F) {
	var mapped atomic.Int64
	r := newRigWith(f, func(g xendev.Grants) xendev.Grants { return countGrants{g, &mapped} })
	f.Add([]byte{0, 22, 'w', 'a', 'v', ':', '.', '.', '/', 'd', 'o', 'm', 'u', '2', '/', 'x', '.', 'w', 'a', 'v', 0, 0, 0, 0}, []byte{})
	f.Add([]byte{3, 1, 'p'}, []byte{})
	f.Add([]byte{5, 8, '1', '6', '7', '7', '7', '2', '1', '6'}, []byte{})
	seed := make([]byte, sndif.PacketSize)
	(&sndif.Request{Operation: sndif.OpWrite, RW: sndif.RWReq{Offset: 0, Length: 4096}}).Encode(seed)
	f.Add([]byte{}, seed)
	f.Fuzz(func(t *testing.T, nodes, ring []byte) {
		ctx := ctxT(t)
		card, err := sound.ParseItems([]string{card48k, "PCM, name=f", "STREAM, unique-id=wav:a.wav, type=p", "STREAM, unique-id=silence, type=c"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := r.m.Attach(ctx, sound.AttachRequest{Domain: "1", Card: card})
		if err != nil {
			t.Fatal(err)
		}
		writes := map[string]string{}
		for len(nodes) >= 2 && len(writes) < 8 {
			k, n := hostileKeys[int(nodes[0])%len(hostileKeys)], int(nodes[1])
			nodes = nodes[2:]
			n = min(n, len(nodes))
			writes[k] = string(nodes[:n])
			nodes = nodes[n:]
		}
		g := r.guest(t, 1)
		for k, v := range writes {
			_ = g.Write(ctx, a.FrontendPath+"/"+k, []byte(v)) // what xenstored refuses is no attack
		}
		if fr, err := r.connect(t, 1, a.DevID, 300*time.Millisecond); err == nil {
			for s := 0; len(ring) > 0 && s < len(fr.Streams); s++ {
				b := ring[:min(len(ring), sndif.PacketSize)]
				ring = ring[len(b):]
				b = append(b, make([]byte, sndif.PacketSize-len(b))...)
				req, err := sndif.DecodeRequest(b)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := fr.Streams[s%len(fr.Streams)].Do(req); err != nil && !errors.Is(err, simguest.ErrTimeout) {
					t.Fatalf("%s: %v", req.Operation, err)
				}
			}
			fr.Close()
		}
		if err := r.m.Undo(ctx, a); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for mapped.Load() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d pages of the guest still mapped after its device was removed (writes %q)", mapped.Load(), writes)
			}
			time.Sleep(time.Millisecond)
		}
		select {
		case err := <-r.done:
			t.Fatalf("the backend stopped: %v", err)
		default:
		}
		for name := range files(t, r.dir) {
			if name != "domu1/a.wav" && !(strings.HasPrefix(name, "domu1/a.") && strings.HasSuffix(name, ".wav")) {
				t.Fatalf("%s appeared below the WAV directory (writes %q)", name, writes)
			}
		}
	})
}
