package backend_test

import (
	"fmt"
	"testing"
	"time"

	"xgo.dev/xgo/sound/sndif"
)

// BenchmarkWritePath is the playback request path without pacing: one
// WRITE of a period through the in-memory ring, the backend copying it
// out of the shared buffer into the sink, and the response back, as the
// guest waits for each. frames/s is what one stream can carry; a card
// needs 48000. The stream's clock never runs, so a guest may write one
// buffer before it must wait; the stream is opened again (off the
// clock) every buffer.
func BenchmarkWritePath(b *testing.B) {
	for _, sink := range []string{"null", "wav:bench.wav"} {
		for _, period := range []uint32{1024, 4096, 16384} {
			b.Run(fmt.Sprintf("%s/period=%d", sink, period), func(b *testing.B) {
				r := newRig(b)
				f := r.attach(b, 1, "CARD, sample-rates=48000, sample-formats=s16_le", "PCM, name=b", "STREAM, unique-id="+sink+", type=p")
				s := f.Streams[0]
				if err := s.Open(sndif.FormatS16LE, 48000, 2, 65536, period); err != nil {
					b.Fatal(err)
				}
				chunk := tone16(int(period/4), 2, 440)
				b.SetBytes(int64(period))
				var reopen time.Duration
				inBuffer := uint32(0)
				start := time.Now()
				for b.Loop() {
					if inBuffer+period > 65536 {
						b.StopTimer()
						t0 := time.Now()
						if err := s.Open(sndif.FormatS16LE, 48000, 2, 65536, period); err != nil {
							b.Fatal(err)
						}
						reopen += time.Since(t0)
						inBuffer = 0
						b.StartTimer()
					}
					if err := s.Write(chunk); err != nil {
						b.Fatal(err)
					}
					inBuffer += period
				}
				frames := float64(b.N) * float64(period/4)
				b.ReportMetric(frames/(time.Since(start)-reopen).Seconds(), "frames/s")
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
