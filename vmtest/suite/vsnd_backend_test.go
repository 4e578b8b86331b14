//go:build xenlab

package suite

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The acceptance tests of issue #11: a PV domU with snd-xen-front and
// Debian's aplay/arecord plays to and records from a vsnd card served by
// `xgo vsnd-backend` in dom0.

// ------------------------------------------------------------ audio helpers

const (
	vbRate     = 48000
	vbChannels = 2
	vbToneHz   = 440
)

// vbTone returns frames of a 440 Hz s16_le stereo tone at 48 kHz, the
// right channel a quarter period ahead of the left, so that a channel
// swap or a frame shift shows. The same binary computes it in the domU
// and in dom0, so both get the same bytes.
func vbTone(frames int) []byte { return vbToneFrom(0, frames) }

// vbToneFrom returns frames start to start+frames-1 of vbTone's tone,
// computed frame by frame as vbTone does: chunks of it laid end to end
// are byte for byte vbTone of their total, so a guest can stream a tone
// of a length it does not know in advance.
func vbToneFrom(start, frames int) []byte {
	b := make([]byte, 0, frames*vbChannels*2)
	for n := start; n < start+frames; n++ {
		ph := 2 * math.Pi * vbToneHz * float64(n) / vbRate
		l := int16(math.Round(16000 * math.Sin(ph)))
		r := int16(math.Round(16000 * math.Sin(ph+math.Pi/2)))
		b = binary.LittleEndian.AppendUint16(b, uint16(l))
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// vbWAV wraps s16_le stereo 48 kHz samples in a canonical 44-byte WAV
// header.
func vbWAV(data []byte) []byte {
	h := make([]byte, 0, 44+len(data))
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+len(data)))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, vbChannels)
	h = binary.LittleEndian.AppendUint32(h, vbRate)
	h = binary.LittleEndian.AppendUint32(h, vbRate*vbChannels*2)
	h = binary.LittleEndian.AppendUint16(h, vbChannels*2)
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
	return append(h, data...)
}

// vbWAVInfo is what a WAV file says about itself.
type vbWAVInfo struct {
	Format, Channels, Bits uint16
	Rate                   uint32
	RIFFSize, FileSize     int
	Data                   []byte
}

// vbParseWAV reads the fmt and data chunks of a RIFF/WAVE file.
func vbParseWAV(b []byte) (vbWAVInfo, error) {
	var w vbWAVInfo
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return w, fmt.Errorf("not a RIFF/WAVE file (%d bytes)", len(b))
	}
	w.RIFFSize, w.FileSize = int(binary.LittleEndian.Uint32(b[4:])), len(b)
	seenFmt := false
	for off := 12; off+8 <= len(b); {
		id, n := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		switch id {
		case "fmt ":
			if n < 16 || len(body) < 16 {
				return w, fmt.Errorf("short fmt chunk")
			}
			w.Format = binary.LittleEndian.Uint16(body[0:])
			w.Channels = binary.LittleEndian.Uint16(body[2:])
			w.Rate = binary.LittleEndian.Uint32(body[4:])
			w.Bits = binary.LittleEndian.Uint16(body[14:])
			seenFmt = true
		case "data":
			if !seenFmt {
				return w, fmt.Errorf("data chunk before fmt")
			}
			if n > len(body) {
				return w, fmt.Errorf("data chunk says %d bytes, file has %d", n, len(body))
			}
			w.Data = body[:n]
			return w, nil
		}
		off += 8 + n + n%2
	}
	return w, fmt.Errorf("no data chunk")
}

// vbAnalyse measures a recorded s16_le stereo signal: the left channel's
// frequency from its zero crossings, the share of its energy at 440 Hz
// (Goertzel) and its peak. The first 0.1 s is skipped (start-up).
func vbAnalyse(data []byte) (hz, share float64, peak int) {
	var x []float64
	for i := 0; i+4 <= len(data); i += 4 {
		x = append(x, float64(int16(binary.LittleEndian.Uint16(data[i:]))))
	}
	if len(x) > vbRate/10 {
		x = x[vbRate/10:]
	}
	if len(x) < 1000 {
		return 0, 0, 0
	}
	crossings, energy := 0, 0.0
	for i, v := range x {
		energy += v * v
		if int(math.Abs(v)) > peak {
			peak = int(math.Abs(v))
		}
		if i > 0 && (x[i-1] < 0) != (v < 0) {
			crossings++
		}
	}
	hz = float64(crossings) / 2 / (float64(len(x)) / vbRate)
	w := 2 * math.Pi * vbToneHz / vbRate
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+2*math.Cos(w)*s1-s2, s1
	}
	power := s1*s1 + s2*s2 - 2*math.Cos(w)*s1*s2
	if energy > 0 {
		// A pure tone of N samples puts N/2·Σx² into its Goertzel bin.
		share = power / (float64(len(x)) / 2 * energy)
	}
	return hz, share, peak
}

// ------------------------------------------------------- the guest's side

// vbGuestStep runs one command in the domU and prints it and its output.
func vbGuestStep(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	fmt.Printf("$ %s %s\n%s", name, strings.Join(args, " "), out)
	return string(out), err
}

func vbXSWrite(k, v string) error {
	out, err := exec.Command("xenstore-write", "data/xgo-vsnd/"+k, v).CombinedOutput()
	if err != nil {
		return fmt.Errorf("xenstore-write %s: %v %s", k, err, out)
	}
	return nil
}

func vbXSWaitExists(k string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for exec.Command("xenstore-read", "data/xgo-vsnd/"+k).Run() != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("data/xgo-vsnd/%s not written within %v", k, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// vbGuestDevice waits until the frontend's card is there and returns the
// hw: names of its playback and capture devices (from aplay -l and
// arecord -l).
func vbGuestDevice() (play, capture string, err error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := os.Stat("/dev/snd/pcmC0D0p"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cards, _ := os.ReadFile("/proc/asound/cards")
			return "", "", fmt.Errorf("no /dev/snd/pcmC0D0p after 90 s; /proc/asound/cards: %s", cards)
		}
		time.Sleep(100 * time.Millisecond)
	}
	re := regexp.MustCompile(`(?m)^card (\d+): .*, device (\d+):`)
	find := func(tool string) string {
		out, _ := vbGuestStep(tool, "-l")
		if m := re.FindStringSubmatch(out); m != nil {
			return "hw:" + m[1] + "," + m[2]
		}
		return ""
	}
	play, capture = find("aplay"), find("arecord")
	if play == "" {
		return "", "", fmt.Errorf("aplay -l lists no playback device")
	}
	return play, capture, nil
}

var _ = RegisterDomUFunc("vsnd-guest", func(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "vsnd-guest: "+format+"\n", a...)
		return 1
	}
	if len(args) != 1 {
		return fail("want one argument: main or second")
	}
	play, capture, err := vbGuestDevice()
	if err != nil {
		return fail("%v", err)
	}
	fmt.Printf("devices: playback %s, capture %s\n", play, capture)
	if args[0] == "second" {
		if err := os.WriteFile("/tmp/short.wav", vbWAV(vbTone(vbRate/2)), 0o644); err != nil {
			return fail("%v", err)
		}
		if err := vbXSWaitExists("go", 150*time.Second); err != nil {
			return fail("%v", err)
		}
		if _, err := vbGuestStep("aplay", "-D", play, "/tmp/short.wav"); err != nil {
			return fail("aplay: %v", err)
		}
		return 0
	}

	// main: 2 s of tone to the card, bit-exact on the host, once dom0
	// has set up its second guest and watches.
	if err := os.WriteFile("/tmp/tone.wav", vbWAV(vbTone(2*vbRate)), 0o644); err != nil {
		return fail("%v", err)
	}
	if err := vbXSWaitExists("go-play", 150*time.Second); err != nil {
		return fail("%v", err)
	}
	if err := vbXSWrite("phase", "playing"); err != nil {
		return fail("%v", err)
	}
	start := time.Now()
	_, err = vbGuestStep("aplay", "-D", play, "/tmp/tone.wav")
	took := time.Since(start)
	if err != nil {
		return fail("aplay: %v", err)
	}
	if err := vbXSWrite("phase", "played"); err != nil {
		return fail("%v", err)
	}
	fmt.Printf("played frames=%d seconds=%.3f\n", 2*vbRate, took.Seconds())

	// 1 s from the capture stream: the backend's 440 Hz tone.
	if capture == "" {
		return fail("arecord -l lists no capture device")
	}
	if _, err := vbGuestStep("arecord", "-D", capture, "-f", "S16_LE", "-c", "2", "-r", "48000", "-d", "1", "-t", "wav", "/tmp/rec.wav"); err != nil {
		return fail("arecord: %v", err)
	}
	rec, err := os.ReadFile("/tmp/rec.wav")
	if err != nil {
		return fail("%v", err)
	}
	w, err := vbParseWAV(rec)
	if err != nil {
		return fail("rec.wav: %v", err)
	}
	hz, share, peak := vbAnalyse(w.Data)
	fmt.Printf("captured frames=%d hz=%.1f share=%.3f peak=%d\n", len(w.Data)/4, hz, share, peak)
	if err := vbXSWrite("phase", "recorded"); err != nil {
		return fail("%v", err)
	}

	// A long playback that dom0 interrupts by destroying this domain:
	// left running when this function returns.
	if err := vbXSWaitExists("go-long", 60*time.Second); err != nil {
		return fail("%v", err)
	}
	if err := os.WriteFile("/tmp/long.wav", vbWAV(vbTone(30*vbRate)), 0o644); err != nil {
		return fail("%v", err)
	}
	long := exec.Command("aplay", "-q", "-D", play, "/tmp/long.wav")
	long.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := long.Start(); err != nil {
		return fail("aplay long: %v", err)
	}
	if err := vbXSWrite("phase", "long-playing"); err != nil {
		return fail("%v", err)
	}
	fmt.Printf("long playback started (pid %d)\n", long.Process.Pid)
	return 0
})

// vbALSAProbe shows the guest image has what the acceptance test needs.
var _ = RegisterDomUFunc("alsa-probe", func(args []string) int {
	rc := 0
	for _, c := range [][]string{{"modprobe", "snd-xen-front"}, {"aplay", "-l"}, {"arecord", "--version"}, {"aplay", "--version"}} {
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		code := 0
		if err != nil {
			code = -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
		}
		fmt.Printf("== %s rc=%d\n%s", strings.Join(c, " "), code, out)
		if c[0] != "aplay" || c[1] != "-l" {
			if code != 0 {
				rc = 1
			}
		}
	}
	if _, err := os.Stat("/sys/module/snd_xen_front"); err != nil {
		fmt.Println("snd_xen_front not loaded")
		rc = 1
	}
	if _, err := os.Stat("/usr/share/alsa/alsa.conf"); err != nil {
		fmt.Println("no alsa.conf")
		rc = 1
	}
	return rc
})

// TestXenVsndBackendDomUHasALSA: the lab's domU has snd-xen-front and
// Debian's aplay and arecord, which run (with no card: no backend here).
func TestXenVsndBackendDomUHasALSA(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("the guest image does not depend on the XenStore daemon")
	}
	_, r := RunFuncInDomU(t, DomUOptions{Modules: []string{"snd-xen-front"}}, "alsa-probe")
	t.Logf("%s", r)
	if r.ExitCode != 0 {
		t.Fatalf("the domU lacks something:\n%s", r)
	}
	for _, want := range []string{"== modprobe snd-xen-front rc=0", "arecord: version 1.2.8", "aplay: version 1.2.8"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("domU output lacks %q", want)
		}
	}
	// aplay -l ran (not "not found"): with no card it says so.
	if !regexp.MustCompile(`== aplay -l rc=[01]\n`).MatchString(r.Stdout) {
		t.Errorf("aplay -l did not run")
	}
}

// ------------------------------------------------------------- dom0's side

// vbBackend is a running `xgo vsnd-backend`.
type vbBackend struct {
	cmd     *exec.Cmd
	stderr  *syncBuffer
	dir     string // its --wav-dir: each guest's files are in dir/<guest name>/
	done    chan error
	stopped bool
}

// startVsndBackend starts `xgo vsnd-backend --wav-dir DIR -v` and stops it
// with SIGTERM when the test ends (unless the test did), checking that it
// exits 0. DIR does not exist yet: the backend creates its WAV directory.
func startVsndBackend(t *testing.T) *vbBackend {
	t.Helper()
	xgo := XgoPath(t)
	if r := Run(t, xgo, "vsnd-backend", "--help"); r.ExitCode != 0 {
		t.Skipf("this xgo has no vsnd-backend command yet:\n%s", r)
	}
	b := &vbBackend{stderr: &syncBuffer{}, dir: filepath.Join(t.TempDir(), "vsnd"), done: make(chan error, 1)}
	b.cmd = exec.Command(xgo, "vsnd-backend", "--wav-dir", b.dir, "-v")
	b.cmd.Stdout, b.cmd.Stderr = b.stderr, b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	t.Cleanup(func() {
		if !b.stopped {
			if _, err := b.stop(); err != nil {
				t.Errorf("xgo vsnd-backend did not exit cleanly on SIGTERM: %v", err)
			}
		}
		t.Logf("xgo vsnd-backend's log:\n%s", indent(b.stderr.String()))
	})
	return b
}

// stop sends SIGTERM and returns how long the backend took to exit and
// how it exited; one still running 15 s later is killed.
func (b *vbBackend) stop() (time.Duration, error) {
	b.stopped = true
	start := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case err := <-b.done:
		b.done <- err
		return time.Since(start), err
	case <-time.After(15 * time.Second):
		_ = b.cmd.Process.Kill()
		err := <-b.done
		b.done <- err
		return time.Since(start), fmt.Errorf("still running 15 s after SIGTERM; killed (%v)", err)
	}
}

// guestDir is where the backend keeps the files of the guest named name.
func (b *vbBackend) guestDir(name string) string { return filepath.Join(b.dir, name) }

// alive reports whether the backend process is still running.
func (b *vbBackend) alive() bool {
	select {
	case err := <-b.done:
		b.done <- err
		return false
	default:
		return true
	}
}

// cpuTicks returns the backend's user+system CPU time in clock ticks
// (USER_HZ, 100 on Linux) from /proc/<pid>/stat.
func (b *vbBackend) cpuTicks(t *testing.T) int {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", b.cmd.Process.Pid))
	if err != nil {
		t.Errorf("backend stat: %v", err)
		return 0
	}
	// Fields after the ")" that closes the command name: state is field 3;
	// utime and stime are fields 14 and 15.
	f := strings.Fields(string(s[bytes.LastIndexByte(s, ')')+1:]))
	u, _ := strconv.Atoi(f[11])
	k, _ := strconv.Atoi(f[12])
	return u + k
}

// vbCompareTone checks a backend WAV file against the tone the guest
// played: the same format, the same samples, then at most a tail of
// silence (aplay fills its last period with silence).
func vbCompareTone(t *testing.T, name string, file []byte, frames int) {
	t.Helper()
	w, err := vbParseWAV(file)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if w.Format != 1 || w.Channels != vbChannels || w.Rate != vbRate || w.Bits != 16 {
		t.Errorf("%s: format %d, %d channels, %d Hz, %d bits; want PCM stereo 48000 Hz 16 bits", name, w.Format, w.Channels, w.Rate, w.Bits)
	}
	if w.RIFFSize != w.FileSize-8 {
		t.Errorf("%s: RIFF size %d, file %d bytes: not finalised", name, w.RIFFSize, w.FileSize)
	}
	want := vbTone(frames)
	if len(w.Data) < len(want) {
		t.Errorf("%s: %d frames, the guest played %d", name, len(w.Data)/4, frames)
		return
	}
	if i := firstDiff(w.Data[:len(want)], want); i >= 0 {
		t.Errorf("%s: samples differ from frame %d on (byte %d: %#02x, want %#02x)", name, i/4, i, w.Data[i], want[i])
		return
	}
	tail := w.Data[len(want):]
	for i, c := range tail {
		if c != 0 {
			t.Errorf("%s: %d frames more than played, and frame %d of them is not silence", name, len(tail)/4, i/4)
			return
		}
	}
	t.Logf("%s: all %d frames bit-exact, then %d frames of silence (aplay's last period)", name, frames, len(tail)/4)
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// vbFinalised waits until a WAV file's RIFF size matches its length (the
// backend fixes the sizes at CLOSE) and returns its bytes.
func vbFinalised(t *testing.T, path string, limit time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(path)
		if err == nil && len(b) > 44 && int(binary.LittleEndian.Uint32(b[4:])) == len(b)-8 {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not a finalised WAV after %v (%d bytes, %v)", path, limit, len(b), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// vbPool makes a credit2 cpupool with pCPUs 2 and 3 for the two sound
// domUs, each pinned to its own pCPU (vbPin): no guest vCPU shares a
// pCPU with dom0 or with the other guest. Shared pCPUs corrupt processes
// under the lab's TCG (docs/xen-behaviour.md); a first version of this
// test with both guests on one pCPU saw a guest's busybox segfault.
// The CPUs go back to Pool-0 when the test ends (after its domUs, which
// are destroyed by cleanups registered later).
func vbPool(t *testing.T) string {
	t.Helper()
	const pool = "xgo-vsndbe"
	MustRun(t, "xl", "cpupool-create", `name="`+pool+`"`, `sched="credit2"`)
	t.Cleanup(func() {
		Run(t, "xl", "cpupool-destroy", pool)
		Run(t, "xl", "cpupool-cpu-add", "Pool-0", "2,3")
	})
	MustRun(t, "xl", "cpupool-cpu-remove", "Pool-0", "2,3")
	MustRun(t, "xl", "cpupool-cpu-add", pool, "2,3")
	return pool
}

// vbPin is the xl.cfg line that pins a lab domU's vCPU to pCPU cpu.
func vbPin(cpu int) string { return fmt.Sprintf(`cpus = "%d"`, cpu) }

var vbCardParams = "sample-rates=48000, sample-formats=s16_le, channels-min=2, channels-max=2"

// TestXenVsndBackendPlayCapture is issue #11's acceptance on real Xen: a
// guest plays a 2 s tone through `xgo vsnd-backend` (bit-exact in the
// backend's WAV file), records the backend's 440 Hz test tone, and dies
// mid-playback while the backend goes on serving another guest's card,
// which `xl vsnd-attach` connected.
//
// Where the files go is issue #15's: each guest's in its own directory
// under --wav-dir, named after the guest, and routed only by what the
// admin recorded. Guest A's card comes from `xgo vsnd-attach`, which
// records `wav:play.wav` where only dom0 writes, so A plays into
// DIR/<A>/play.wav. Guest B's card comes from `xl vsnd-attach`, which
// records nothing: its `unique-id=wav:second.wav` sits in B's own
// frontend directory, which the backend never routes by, so B plays into
// the safe default DIR/<B>/vsnd0-pcm0-s0.wav and no second.wav appears.
func TestXenVsndBackendPlayCapture(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("xenstored's boot runs the vsnd backend tests")
	}
	be := startVsndBackend(t)
	pool := vbPool(t)
	mods := []string{"snd-xen-front"}

	a, resultA := StartFuncInDomU(t, DomUOptions{Modules: mods, Pool: pool, ExtraConfig: vbPin(2)}, "vsnd-guest", "main")
	start := time.Now()
	r := Xgo(t, "vsnd-attach", "--wait", a.Name, "CARD, short-name=xgo-lab, long-name=xgo lab card, "+vbCardParams,
		"PCM, name=main", "STREAM, unique-id=wav:play.wav, type=p", "STREAM, unique-id=tone:440, type=c")
	if r.ExitCode != 0 {
		t.Fatalf("xgo vsnd-attach --wait with the backend running:\n%s\nbackend log:\n%s", r, be.stderr)
	}
	t.Logf("xgo vsnd-attach --wait: Connected after %v", time.Since(start).Round(time.Millisecond))
	// The admin's routing is recorded in the backend directory.
	recA := fmt.Sprintf("/local/domain/0/backend/vsnd/%d/0/card", a.ID)
	if got := Run(t, "xenstore-read", recA+"/0/0/unique-id"); got.ExitCode != 0 || strings.TrimSpace(got.Stdout) != "wav:play.wav" {
		t.Errorf("xgo vsnd-attach recorded no wav:play.wav in %s:\n%s\n%s", recA, got, Run(t, "xenstore-ls", "-fp", recA).Stdout)
	}
	// On failure, what the frontend published and what its kernel said.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("guest A's vsnd device:\n%s", Run(t, "xenstore-ls", "-f", a.Path("device/vsnd")).Stdout)
			t.Logf("guest A's console:\n%s", tail(a.ConsoleLogQuiet(), 30))
		}
	})

	b, resultB := StartFuncInDomU(t, DomUOptions{Modules: mods, Pool: pool, ExtraConfig: vbPin(3)}, "vsnd-guest", "second")
	start = time.Now()
	r = Run(t, "xl", "vsnd-attach", b.Name, "CARD, short-name=xgo-lab2, "+vbCardParams, "PCM, name=main", "STREAM, unique-id=wav:second.wav, type=p")
	took := time.Since(start)
	if r.ExitCode != 0 {
		t.Errorf("xl vsnd-attach with the backend running:\n%s\nbackend log:\n%s", r, be.stderr)
	} else {
		// xl returns once the backend is in InitWait; the device must then
		// reach Connected on both sides.
		waitXenstore(t, fmt.Sprintf("/local/domain/0/backend/vsnd/%d/0/state", b.ID), "4", 30*time.Second)
		waitXenstore(t, b.Path("device/vsnd/0/state"), "4", 30*time.Second)
		t.Logf("xl vsnd-attach: returned after %v, both ends Connected after %v", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("guest B's vsnd device:\n%s", Run(t, "xenstore-ls", "-f", b.Path("device/vsnd")).Stdout)
			t.Logf("guest B's console:\n%s", tail(b.ConsoleLogQuiet(), 30))
		}
	})

	// Playback: CPU use of the backend while the guest plays.
	phase := a.Path("data/xgo-vsnd/phase")
	MustRun(t, "xenstore-write", a.Path("data/xgo-vsnd/go-play"), "1")
	waitXenstore(t, phase, "playing", 120*time.Second)
	cpu0, t0 := be.cpuTicks(t), time.Now()
	waitXenstore(t, phase, "played", 60*time.Second)
	cpu1, t1 := be.cpuTicks(t), time.Now()
	playPath := filepath.Join(be.guestDir(a.Name), "play.wav")
	played := vbFinalised(t, playPath, 10*time.Second)
	vbCompareTone(t, "play.wav", played, 2*vbRate)

	waitXenstore(t, phase, "recorded", 60*time.Second)
	MustRun(t, "xenstore-write", a.Path("data/xgo-vsnd/go-long"), "1")
	ra := resultA(t)
	t.Logf("guest A:\n%s", ra)
	if ra.ExitCode != 0 {
		t.Fatalf("guest A failed:\n%s\nbackend log:\n%s", ra, be.stderr)
	}
	var seconds float64
	if m := regexp.MustCompile(`played frames=\d+ seconds=([0-9.]+)`).FindStringSubmatch(ra.Stdout); m != nil {
		seconds, _ = strconv.ParseFloat(m[1], 64)
	}
	if seconds <= 0 {
		t.Errorf("guest A reported no playback time")
	}
	wall := t1.Sub(t0).Seconds()
	t.Logf("PERF vsnd-backend playback: %d frames in %.3f s in the guest (aplay) = %.0f frames/s; backend CPU %d ticks over %.2f s = %.1f%% of one CPU",
		2*vbRate, seconds, float64(2*vbRate)/seconds, cpu1-cpu0, wall, float64(cpu1-cpu0)/wall)
	m := regexp.MustCompile(`captured frames=(\d+) hz=([0-9.]+) share=([0-9.]+) peak=(\d+)`).FindStringSubmatch(ra.Stdout)
	if m == nil {
		t.Errorf("guest A reported no capture")
	} else {
		frames, _ := strconv.Atoi(m[1])
		hz, _ := strconv.ParseFloat(m[2], 64)
		share, _ := strconv.ParseFloat(m[3], 64)
		peak, _ := strconv.Atoi(m[4])
		if frames < vbRate*9/10 || hz < 430 || hz > 450 || share < 0.8 || peak < 1000 {
			t.Errorf("arecord got %d frames, %.1f Hz by zero crossings, %.0f%% of the energy at 440 Hz, peak %d: not the backend's 440 Hz tone", frames, hz, share*100, peak)
		}
	}

	// Destroy guest A mid-playback: the backend must close its device and
	// go on serving guest B.
	waitXenstore(t, phase, "long-playing", 30*time.Second)
	time.Sleep(2 * time.Second)
	logBefore := len(be.stderr.String())
	a.Destroy(t)
	destroyed := time.Now()
	closed := regexp.MustCompile(`(?im)^.*\bdom(ain)?[ -]?` + strconv.Itoa(a.ID) + `\b.*clos.*$`)
	deadline := time.Now().Add(20 * time.Second)
	for !closed.MatchString(be.stderr.String()[logBefore:]) {
		if time.Now().After(deadline) {
			t.Errorf("the backend logged no close of domain %d's device within 20 s of its destruction; log since:\n%s", a.ID, be.stderr.String()[logBefore:])
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("PERF vsnd-backend: guest A's device closed in the log %v after xl destroy returned", time.Since(destroyed).Round(10*time.Millisecond))
	if !be.alive() {
		t.Fatalf("xgo vsnd-backend exited after guest A was destroyed:\n%s", be.stderr)
	}
	if st, err := os.Stat(playPath); err == nil {
		t.Logf("play.wav of the interrupted playback: %d bytes", st.Size())
	}

	MustRun(t, "xenstore-write", b.Path("data/xgo-vsnd/go"), "1")
	rb := resultB(t)
	t.Logf("guest B:\n%s", rb)
	if rb.ExitCode != 0 {
		t.Fatalf("guest B could not play after guest A died:\n%s\nbackend log:\n%s", rb, be.stderr)
	}
	// xl recorded nothing: B's unique-id is its own, and B gets the
	// default file, whatever it says.
	if r := Run(t, "xenstore-ls", fmt.Sprintf("/local/domain/0/backend/vsnd/%d/0/card", b.ID)); r.ExitCode == 0 {
		t.Errorf("a card record in guest B's backend directory, which xl vsnd-attach wrote:\n%s", r.Stdout)
	}
	defPath := filepath.Join(be.guestDir(b.Name), "vsnd0-pcm0-s0.wav")
	vbCompareTone(t, "guest B's "+filepath.Base(defPath), vbFinalised(t, defPath, 10*time.Second), vbRate/2)
	files := vbFiles(t, be.dir)
	for _, f := range files {
		if filepath.Base(f) == "second.wav" {
			t.Errorf("%s exists: the backend routed by guest B's own unique-id (files under %s: %v)", f, be.dir, files)
		}
	}
	t.Logf("files under %s: %v", be.dir, files)
	if !be.alive() {
		t.Errorf("xgo vsnd-backend is gone")
	}
}

// vbFiles lists everything under dir, relative to dir, in lexical
// order (directories too).
func vbFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walking %s: %v", dir, err)
	}
	return out
}

// ConsoleLogQuiet is ConsoleLog for cleanups: what the domU printed so
// far, or why there is nothing.
func (d *DomU) ConsoleLogQuiet() string {
	b, err := os.ReadFile("/var/log/xen/console/guest-" + d.Name + ".log")
	if err != nil {
		return err.Error()
	}
	return strings.ReplaceAll(string(b), "\r", "")
}
