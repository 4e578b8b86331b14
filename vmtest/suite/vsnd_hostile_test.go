//go:build xenlab

package suite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

// Issue #15's lab half: a hostile guest against `xgo vsnd-backend`,
// beside a second guest that plays.
//
// The hostile guest owns its frontend directories and rewrites them over
// its own XenStore connection (/dev/xen/xenbus, with xgo's xenstore
// client: this suite binary is its payload):
//
//   - before its driver connects, one device per way of stepping outside
//     the card the admin attached (vhTampers: an extra PCM or stream,
//     wider ranges, another type): the backend must not serve any of
//     them, and says why in the device's error node;
//   - before its driver connects too, the unique-ids of the one card
//     that is to connect, aimed at the other guest's file, at
//     /etc/passwd and, after a newline, at dom0's log: a unique-id
//     widens nothing, so the backend serves that card, every stream on
//     the admin's route;
//   - once that card is connected, its unique-ids aimed the same way
//     again: the sound lands where the admin routed it, in the hostile
//     guest's own directory, and capture gets the admin's source.
//
// It also tries to write the admin's records in the backend directory
// and the other guest's frontend, which XenStore must refuse.
//
// Meanwhile the second guest (the victim) plays: its recording is
// bit-exact, and nothing of dom0's outside the hostile guest's
// directory changes (checksums).

// vhForged is a log line the hostile guest hides after a newline in its
// unique-ids: the backend may only ever show it quoted, inside a line.
const vhForged = "xgo: vsnd-backend: dom0 vsnd0: XGO-FORGED InitWait -> Connected"

// vhCardParams are the admin's card-level ranges of every card in the
// test: a single rate, format and channel count, and the buffer the
// admin allows.
const vhCardParams = "sample-rates=48000, sample-formats=s16_le, channels-min=2, channels-max=2, buffer-size=65536"

// vhPlayParams are the ranges of the cards that play: a 256 KiB buffer,
// of which aplay takes one second (vhAplayBuffer). With 64 KiB (0.34 s)
// the guests' ALSA underran under the lab's TCG load, and after such an
// xrun the backend of 2026-12-07 answers the guest's refill with EIO
// ("WRITE of 16384 octets more than a buffer ahead of the stopped
// stream": it counts octets written against its clock since OPEN, while
// the guest's prepare after the xrun dropped what was still queued) and
// aplay stops with "write error". That is a backend bug of its own, not
// the guest boundary this test is about.
var vhPlayParams = strings.Replace(vhCardParams, "buffer-size=65536", "buffer-size=262144", 1)

// vhAplayBuffer is aplay's buffer time (µs) on the cards that play.
const vhAplayBuffer = "1000000"

// vhTamper is one rewrite of a frontend directory that leaves the card
// the admin attached (one PCM "main" with one playback stream) in a way
// the backend must refuse: more PCMs or streams than the admin's record,
// another type, wider ranges. Each gets its own device, which must never
// reach Connected; its error node must match Reason.
type vhTamper struct {
	What   string
	Reason string
	// Nodes are the frontend nodes, relative to the device, and the
	// values the guest writes.
	Nodes [][2]string
}

var vhTampers = []vhTamper{
	{"an extra PCM", `(?i)pcm 1|stream`, [][2]string{{"1/name", "extra"}, {"1/0/type", "p"}, {"1/0/unique-id", "wav:extra-pcm.wav"}}},
	{"an extra stream", `(?i)stream 1`, [][2]string{{"0/1/type", "p"}, {"0/1/unique-id", "wav:extra-stream.wav"}}},
	{"buffer-size raised", `buffer`, [][2]string{{"buffer-size", "16777216"}}},
	{"channels-max raised", `channels`, [][2]string{{"channels-max", "8"}}},
	{"playback turned into capture", `type`, [][2]string{{"0/0/type", "c"}}},
}

// vhGoodItems is the card that connects. Its unique-ids are rewritten
// before the driver connects (vhServedRewrites): a unique-id widens
// nothing, so the backend serves the card, every stream on the admin's
// route from the record, whatever the frontend's unique-id says. They
// are rewritten again once it is connected (vhGoodRewrites). (Linux
// 6.1's snd-xen-front creates its ALSA card with index 0, so a guest has
// one connected card at a time; a fresh card after a detach was not
// served reliably in the lab: the re-used device id went Closed at once,
// and rmmod snd_xen_front stayed EAGAIN. So this one card carries both
// parts.)
var vhGoodItems = []string{"CARD, short-name=xgo-good, long-name=xgo hostile guest's card, " + vhPlayParams,
	"PCM, name=good-main", "STREAM, unique-id=wav:hostile.wav, type=p", "STREAM, unique-id=silence, type=c",
	"PCM, name=good-second", "STREAM, unique-id=alsa<hw:0;0>, type=p"}

// vhServedRewrites aim the served card's streams at the other guest's
// file, at dom0's /etc/passwd and, after a newline, at dom0's log.
func vhServedRewrites(other string) [][2]string {
	return [][2]string{
		{"0/0/unique-id", "wav:../" + other + "/victim.wav"},
		{"0/1/unique-id", "wav:/etc/passwd"},
		{"1/0/unique-id", "wav:t.wav\n" + vhForged},
	}
}

// vhGoodRewrites are what the hostile guest writes into the card
// once it is connected (PCM 0 "good-main": playback wav:hostile.wav and
// capture silence; PCM 1 "good-second": playback with snd_be's
// alsa<hw:0;0>, the default file): its streams aimed at the other
// guest's file and at dom0's, a forged log line in a name.
func vhGoodRewrites(other string) [][2]string {
	return [][2]string{
		{"0/0/unique-id", "wav:../" + other + "/victim.wav"},
		{"0/1/unique-id", "wav:../" + other + "/victim.wav"},
		{"1/0/unique-id", vhTraversal},
		{"0/name", "good-main\n" + vhForged},
	}
}

// vhTraversal climbs from any directory to dom0's /etc/passwd.
const vhTraversal = "wav:../../../../../../../../etc/passwd"

// vhQuotedValues are guest-written values distinctive enough that any
// log line showing them must show them %q-quoted, whole.
func vhQuotedValues(other string) []string {
	return []string{"wav:../" + other + "/victim.wav", "wav:/etc/passwd", vhTraversal, "wav:extra-pcm.wav", "wav:extra-stream.wav"}
}

// ------------------------------------------------------- the guests' side

// vhFindCard waits until `aplay -l` lists a card with a PCM named pcm
// and returns the card's number. (Linux 6.1's snd-xen-front names every
// card "vsnd" and leaves short-name unused; PCMs keep their names.)
func vhFindCard(pcm string, limit time.Duration) (string, error) {
	re := regexp.MustCompile(`(?m)^card (\d+): .*, device \d+: ` + regexp.QuoteMeta(pcm) + ` \[`)
	deadline := time.Now().Add(limit)
	for {
		out, _ := exec.Command("aplay", "-l").CombinedOutput()
		if m := re.FindSubmatch(out); m != nil {
			fmt.Printf("$ aplay -l\n%s", out)
			return string(m[1]), nil
		}
		if time.Now().After(deadline) {
			cards, _ := os.ReadFile("/proc/asound/cards")
			return "", fmt.Errorf("no card with a PCM %q after %v; aplay -l:\n%s/proc/asound/cards:\n%s", pcm, limit, out, cards)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// vsnd-victim: plays a second of tone into its first PCM (the file the
// hostile guest goes after), then streams the tone into its second PCM
// until dom0 says stop.
var _ = RegisterDomUFunc("vsnd-victim", func(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "vsnd-victim: "+format+"\n", a...)
		return 1
	}
	card, err := vhFindCard("victim-first", 90*time.Second)
	if err != nil {
		return fail("%v", err)
	}
	if err := os.WriteFile("/tmp/first.wav", vbWAV(vbTone(vbRate)), 0o644); err != nil {
		return fail("%v", err)
	}
	if err := vbXSWaitExists("go-first", 150*time.Second); err != nil {
		return fail("%v", err)
	}
	if _, err := vbGuestStep("aplay", "-D", "hw:"+card+",0", "-B", vhAplayBuffer, "/tmp/first.wav"); err != nil {
		return fail("aplay: %v", err)
	}
	if err := vbXSWrite("phase", "first-played"); err != nil {
		return fail("%v", err)
	}

	if err := vbXSWaitExists("go-live", 150*time.Second); err != nil {
		return fail("%v", err)
	}
	// Told to stop through XenStore, polled with the client in this
	// process: a xenstore-read fork every poll costs the feeder its
	// lead under TCG.
	xs, err := xenstore.DialXenbus(xenstore.XenbusPath, nil)
	if err != nil {
		return fail("%v", err)
	}
	defer xs.Close()
	var stop atomic.Bool
	go func() {
		for {
			if _, err := xs.Read(context.Background(), "data/xgo-vsnd/stop"); err == nil {
				stop.Store(true)
				return
			}
			time.Sleep(300 * time.Millisecond)
		}
	}()
	// One second of buffer (vhPlayParams): the feeder may stall for most
	// of it without an underrun.
	ap := exec.Command("aplay", "-D", "hw:"+card+",1", "-B", vhAplayBuffer, "-t", "raw", "-f", "S16_LE", "-c", "2", "-r", "48000")
	in, err := ap.StdinPipe()
	if err != nil {
		return fail("%v", err)
	}
	var apOut syncBuffer
	ap.Stdout, ap.Stderr = &apOut, &apOut
	if err := ap.Start(); err != nil {
		return fail("aplay live: %v", err)
	}
	if err := vbXSWrite("phase", "live-playing"); err != nil {
		return fail("%v", err)
	}
	start := time.Now()
	const chunk = vbRate / 10
	frames := 0
	for !stop.Load() && frames < 240*vbRate {
		if _, err := in.Write(vbToneFrom(frames, chunk)); err != nil {
			_ = ap.Process.Kill()
			return fail("feeding aplay after %d frames: %v\n%s", frames, err, apOut.String())
		}
		frames += chunk
	}
	in.Close()
	if err := ap.Wait(); err != nil {
		return fail("aplay live: %v\n%s", err, apOut.String())
	}
	fmt.Printf("aplay live said:\n%s", apOut.String())
	fmt.Printf("live frames=%d seconds=%.3f stopped=%v\n", frames, time.Since(start).Seconds(), stop.Load())
	if err := vbXSWrite("phase", "live-played"); err != nil {
		return fail("%v", err)
	}
	return 0
})

// vhXSResult says how a XenStore write or rm the guest must not be
// allowed ended.
func vhXSResult(err error) string {
	switch {
	case err == nil:
		return "ACCEPTED"
	case errors.Is(err, xenstore.ErrPermission):
		return "refused"
	}
	return "failed: " + err.Error()
}

// vsnd-hostile OTHER-NAME OTHER-DOMID: see the top of this file.
var _ = RegisterDomUFunc("vsnd-hostile", func(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "vsnd-hostile: "+format+"\n", a...)
		return 1
	}
	if len(args) != 2 {
		return fail("want the other guest's name and domid")
	}
	other, otherID := args[0], args[1]
	ctx, cancel := context.WithTimeout(context.Background(), 280*time.Second)
	defer cancel()
	xs, err := xenstore.DialXenbus(xenstore.XenbusPath, nil)
	if err != nil {
		return fail("%v", err)
	}
	defer xs.Close()
	say := func(k, v string) error { return xs.Write(ctx, "data/xgo-hostile/"+k, []byte(v)) }
	await := func(k string, limit time.Duration) (string, error) {
		deadline := time.Now().Add(limit)
		for {
			if v, err := xs.Read(ctx, "data/xgo-hostile/"+k); err == nil {
				return string(v), nil
			}
			if time.Now().After(deadline) {
				return "", fmt.Errorf("data/xgo-hostile/%s not written within %v", k, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// tryForeign writes (or removes, value nil) a node that is not ours.
	tryForeign := func(path string, value []byte) {
		var err error
		op := "write"
		if value == nil {
			op, err = "rm", xs.Rm(ctx, path)
		} else {
			err = xs.Write(ctx, path, value)
		}
		fmt.Printf("foreign %s %s: %s\n", op, path, vhXSResult(err))
	}
	tryRecord := func(fe string) error {
		be, err := xs.Read(ctx, fe+"/backend")
		if err != nil {
			return fmt.Errorf("%s/backend: %v", fe, err)
		}
		rec := string(be) + "/card"
		tryForeign(rec+"/0/0/unique-id", []byte("wav:../"+other+"/victim.wav"))
		tryForeign(rec+"/buffer-size", []byte("16777216"))
		tryForeign(rec+"/0/9/unique-id", []byte("wav:extra.wav"))
		tryForeign(rec, nil)
		return nil
	}

	rewrite := func(d string, nodes [][2]string, what string) error {
		fe := "device/vsnd/" + d
		if err := tryRecord(fe); err != nil {
			return err
		}
		for _, kv := range nodes {
			if err := xs.Write(ctx, fe+"/"+kv[0], []byte(kv[1])); err != nil {
				return fmt.Errorf("rewriting %s/%s: %v", fe, kv[0], err)
			}
		}
		fmt.Printf("rewrote vsnd%s: %s\n", d, what)
		return nil
	}

	// (a) Before the driver loads: the admin attached len(vhTampers)
	// cards to be refused and one to be served; rewrite each its own way.
	list, err := await("tamper", 150*time.Second)
	if err != nil {
		return fail("%v", err)
	}
	served, err := await("served", 10*time.Second)
	if err != nil {
		return fail("%v", err)
	}
	devs := strings.Fields(list)
	if len(devs) != len(vhTampers) {
		return fail("dom0 named devices %q, want %d", list, len(vhTampers))
	}
	for i, d := range devs {
		if err := rewrite(d, vhTampers[i].Nodes, vhTampers[i].What); err != nil {
			return fail("%v", err)
		}
	}
	if err := rewrite(served, vhServedRewrites(other), "unique-ids at the other guest's file, /etc/passwd, a newline"); err != nil {
		return fail("%v", err)
	}
	tryForeign("/local/domain/"+otherID+"/device/vsnd/0/0/0/unique-id", []byte("wav:../hostile/x.wav"))
	if err := say("phase", "tampered"); err != nil {
		return fail("%v", err)
	}
	if _, err := vbGuestStep("modprobe", "snd-xen-front"); err != nil {
		return fail("modprobe snd-xen-front: %v", err)
	}
	if err := say("phase", "loaded"); err != nil {
		return fail("%v", err)
	}
	if err := os.WriteFile("/tmp/h.wav", vbWAV(vbTone(vbRate)), 0o644); err != nil {
		return fail("%v", err)
	}

	// (b) The card that was served, connected: point its unique-ids
	// elsewhere again, then play and record.
	good := served
	card, err := vhFindCard("good-main", 90*time.Second)
	if err != nil {
		return fail("%v", err)
	}
	if err := rewrite(good, vhGoodRewrites(other), "unique-ids at the other guest's file and /etc/passwd, a newline in a PCM name"); err != nil {
		return fail("%v", err)
	}
	for _, dev := range []string{"hw:" + card + ",0", "hw:" + card + ",1"} {
		if _, err := vbGuestStep("aplay", "-D", dev, "-B", vhAplayBuffer, "/tmp/h.wav"); err != nil {
			return fail("aplay %s: %v", dev, err)
		}
	}
	if _, err := vbGuestStep("arecord", "-D", "hw:"+card+",0", "-B", vhAplayBuffer, "-f", "S16_LE", "-c", "2", "-r", "48000", "-d", "1", "-t", "wav", "/tmp/rec.wav"); err != nil {
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
	nonzero := 0
	for _, c := range w.Data {
		if c != 0 {
			nonzero++
		}
	}
	fmt.Printf("captured frames=%d nonzero=%d\n", len(w.Data)/4, nonzero)
	if err := say("phase", "done"); err != nil {
		return fail("%v", err)
	}
	return 0
})

// ------------------------------------------------------------- dom0's side

// vhSums fingerprints files: sha256 of a regular file, "dir", "absent",
// or what else it is.
func vhSums(t *testing.T, paths []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		st, err := os.Lstat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			out[p] = "absent"
		case err != nil:
			t.Errorf("%s: %v", p, err)
		case st.IsDir():
			out[p] = "dir"
		case !st.Mode().IsRegular():
			out[p] = "not a regular file: " + st.Mode().String()
		default:
			f, err := os.Open(p)
			if err != nil {
				t.Errorf("%s: %v", p, err)
				continue
			}
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
			out[p] = fmt.Sprintf("sha256 %s, %d bytes", hex.EncodeToString(h.Sum(nil)), st.Size())
		}
	}
	return out
}

// vhOutside lists everything under dir except the subtree skip, as
// absolute paths.
func vhOutside(t *testing.T, dir, skip string) []string {
	t.Helper()
	var out []string
	for _, rel := range vbFiles(t, dir) {
		p := filepath.Join(dir, rel)
		if p == skip || strings.HasPrefix(p, skip+"/") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// vhStates remembers which devices of a domain ever showed state
// Connected (4), on either end, while it watched.
type vhStates struct {
	mu        sync.Mutex
	connected map[string]string // path of the state node → when
	events    int
}

// watchStates watches both ends of the devices devids of domain fe until
// the test ends.
func (v *vhStates) watch(t *testing.T, xs *xenstore.Conn, fe int, devids []string) {
	t.Helper()
	v.connected = map[string]string{}
	var nodes []string
	for _, d := range devids {
		nodes = append(nodes, fmt.Sprintf("/local/domain/0/backend/vsnd/%d/%s/state", fe, d), fmt.Sprintf("/local/domain/%d/device/vsnd/%s/state", fe, d))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	check := func() {
		for _, n := range nodes {
			if b, err := xs.Read(ctx, n); err == nil && strings.TrimSpace(string(b)) == "4" {
				v.mu.Lock()
				if _, seen := v.connected[n]; !seen {
					v.connected[n] = time.Now().Format("15:04:05.000")
				}
				v.mu.Unlock()
			}
		}
	}
	for i, dir := range []string{fmt.Sprintf("/local/domain/0/backend/vsnd/%d", fe), fmt.Sprintf("/local/domain/%d/device/vsnd", fe)} {
		w, err := xs.Watch(ctx, dir, fmt.Sprintf("xgo-vh-%d", i))
		if err != nil {
			t.Fatalf("watching %s: %v", dir, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Close()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-w.Events():
					if !ok {
						return
					}
					v.mu.Lock()
					v.events++
					v.mu.Unlock()
					if ev.Overflow || strings.HasSuffix(ev.Path, "/state") {
						check()
					}
				}
			}
		}()
	}
	check()
}

func (v *vhStates) seen() (map[string]string, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return maps.Clone(v.connected), v.events
}

// vhAttach runs xgo vsnd-attach and returns the device id it chose.
func vhAttach(t *testing.T, be *vbBackend, args ...string) int {
	t.Helper()
	r := Xgo(t, append([]string{"vsnd-attach"}, args...)...)
	if r.ExitCode != 0 {
		t.Fatalf("%s\nbackend log:\n%s", r, be.stderr)
	}
	m := regexp.MustCompile(`vsnd device (\d+) attached`).FindStringSubmatch(r.Stdout)
	if m == nil {
		t.Fatalf("xgo vsnd-attach named no device:\n%s", r)
	}
	id, _ := strconv.Atoi(m[1])
	return id
}

// vhWaitPhase waits until the payload of domU d writes want into node,
// and fails the test at once, with what the payload printed, if it
// ended first.
func vhWaitPhase(t *testing.T, d *DomU, result func(testing.TB) Result, node, want string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := exec.Command("xenstore-read", node).Output()
		if err == nil && strings.TrimSpace(string(out)) == want {
			return
		}
		if strings.Contains(d.ConsoleLogQuiet(), "\nXGO-DOMU-EXIT rc=") {
			t.Fatalf("%s is not %q: the payload of %s ended:\n%s", node, want, d.Name, result(t))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not %q after %v (last: %q, %v); %s's console:\n%s", node, want, limit, out, err, d.Name, tail(d.ConsoleLogQuiet(), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// vhCardRecord is the admin's record of a device: every node under its
// backend directory's card/, with permissions.
func vhCardRecord(t *testing.T, fe, devid int) string {
	t.Helper()
	return Run(t, "xenstore-ls", "-fp", fmt.Sprintf("/local/domain/0/backend/vsnd/%d/%d/card", fe, devid)).Stdout
}

// TestXenVsndBackendHostileGuest: see the top of this file.
//
// It runs on both daemons' boots (xenlab's -oxenstored-run names it): what
// a guest may write below its own frontend directory, and when the
// backend's watches see it, is the daemon's to decide.
func TestXenVsndBackendHostileGuest(t *testing.T) {
	if Daemon() == "oxenstored" {
		// Open (2026-12-07, fresh lab image; it fails on the previous
		// main too): the victim's aplay fails at hw_params, because the
		// backend keeps serving the transport it read at Connected
		// while the frontend re-publishes (new grants) after a second
		// InitWait event, which oxenstored delivers later than
		// xenstored. Following the re-publication makes the first
		// second play bit-exact here, but then the live playback gets
		// EIO under the hostile guest's load, and a unit test's
		// reconnect stays Connected: not landed. Passes on xenstored.
		t.Skip("oxenstored: the backend serves grants the frontend replaced after Connected (known, open)")
	}
	be := startVsndBackend(t)
	pool := vbPool(t)
	xs, err := xenstore.Dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer xs.Close()
	testStart := time.Now()

	// The victim: its first second of tone, before the hostile guest
	// exists, is the file the hostile guest goes after.
	s, resultS := StartFuncInDomU(t, DomUOptions{Modules: []string{"snd-xen-front"}, Pool: pool, ExtraConfig: vbPin(3)}, "vsnd-victim")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the victim's vsnd device:\n%s", Run(t, "xenstore-ls", "-f", s.Path("device/vsnd")).Stdout)
			t.Logf("the victim's console:\n%s", tail(s.ConsoleLogQuiet(), 30))
		}
	})
	vhAttach(t, be, "--wait=60s", s.Name, "CARD, short-name=xgo-victim, long-name=xgo victim card, "+vhPlayParams,
		"PCM, name=victim-first", "STREAM, unique-id=wav:victim.wav, type=p",
		"PCM, name=victim-live", "STREAM, unique-id=wav:victim-live.wav, type=p")
	MustRun(t, "xenstore-write", s.Path("data/xgo-vsnd/go-first"), "1")
	vhWaitPhase(t, s, resultS, s.Path("data/xgo-vsnd/phase"), "first-played", 120*time.Second)
	victimFile := filepath.Join(be.guestDir(s.Name), "victim.wav")
	vbCompareTone(t, "the victim's victim.wav", vbFinalised(t, victimFile, 10*time.Second), vbRate)

	// The hostile guest boots without snd-xen-front; the admin gives it
	// one card per tamper, which it rewrites before loading the driver.
	h, resultH := StartFuncInDomU(t, DomUOptions{Pool: pool, ExtraConfig: vbPin(2)}, "vsnd-hostile", s.Name, strconv.Itoa(s.ID))
	hostileDir := be.guestDir(h.Name)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the hostile guest's vsnd devices:\n%s", Run(t, "xenstore-ls", "-fp", h.Path("device/vsnd")).Stdout)
			t.Logf("the backend's side:\n%s", Run(t, "xenstore-ls", "-fp", fmt.Sprintf("/local/domain/0/backend/vsnd/%d", h.ID)).Stdout)
			t.Logf("error nodes:\n%s\n%s", Run(t, "xenstore-ls", "-f", "/local/domain/0/error").Stdout, Run(t, "xenstore-ls", "-f", h.Path("error")).Stdout)
			t.Logf("the hostile guest's console:\n%s", tail(h.ConsoleLogQuiet(), 40))
		}
	})
	var devids []string
	records := map[string]string{}
	for i := range vhTampers {
		d := vhAttach(t, be, h.Name, fmt.Sprintf("CARD, short-name=xgo-t%d, long-name=xgo hostile tamper %d, %s", i, i, vhCardParams),
			"PCM, name=main", fmt.Sprintf("STREAM, unique-id=wav:t%d.wav, type=p", i))
		devids = append(devids, strconv.Itoa(d))
		records[strconv.Itoa(d)] = vhCardRecord(t, h.ID, d)
		if !strings.Contains(records[strconv.Itoa(d)], fmt.Sprintf(`/card/0/0/unique-id = "wav:t%d.wav"`, i)) {
			t.Errorf("no admin's record of device %d:\n%s", d, records[strconv.Itoa(d)])
		}
	}
	good := vhAttach(t, be, append([]string{h.Name}, vhGoodItems...)...)
	goodRecord := vhCardRecord(t, h.ID, good)
	var states vhStates
	states.watch(t, xs, h.ID, devids)

	// What must not change: dom0's files, everything of the victim's.
	self, _ := os.Executable()
	watched := append([]string{"/etc/passwd", "/etc/shadow", "/etc/group", XgoPath(t), self, filepath.Join(filepath.Dir(be.dir), s.Name)},
		vhOutside(t, be.dir, hostileDir)...)
	before := vhSums(t, watched)
	t.Logf("watched for changes: %v", watched)

	// The victim plays on while the hostile guest works.
	MustRun(t, "xenstore-write", s.Path("data/xgo-vsnd/go-live"), "1")
	vhWaitPhase(t, s, resultS, s.Path("data/xgo-vsnd/phase"), "live-playing", 60*time.Second)
	cpu0, t0 := be.cpuTicks(t), time.Now()

	// (a) Tampered before connecting: never served, the reason in each
	// device's error node.
	MustRun(t, "xenstore-write", h.Path("data/xgo-hostile/served"), strconv.Itoa(good))
	MustRun(t, "xenstore-write", h.Path("data/xgo-hostile/tamper"), strings.Join(devids, " "))
	vhWaitPhase(t, h, resultH, h.Path("data/xgo-hostile/phase"), "loaded", 120*time.Second)
	ctx := context.Background()
	errNode := regexp.MustCompile(`^[1-9][0-9]* \S[^\n]*$`)
	for i, d := range devids {
		path := fmt.Sprintf("/local/domain/0/error/backend/vsnd/%d/%s/error", h.ID, d)
		deadline := time.Now().Add(60 * time.Second)
		var v []byte
		for {
			if v, err = xs.Read(ctx, path); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		switch {
		case err != nil:
			t.Errorf("vsnd%s (%s): no error node %s after 60 s: %v", d, vhTampers[i].What, path, err)
		case !errNode.Match(v):
			t.Errorf("vsnd%s (%s): error node %q is not one line \"<errno> <reason>\"", d, vhTampers[i].What, v)
		case !regexp.MustCompile(vhTampers[i].Reason).Match(v):
			t.Errorf("vsnd%s (%s): error node %q does not name the reason (want %s)", d, vhTampers[i].What, v, vhTampers[i].Reason)
		default:
			t.Logf("vsnd%s (%s): error %q", d, vhTampers[i].What, v)
		}
	}

	// The card whose unique-ids it rewrote before connecting is served,
	// and without an error node.
	waitXenstore(t, fmt.Sprintf("/local/domain/0/backend/vsnd/%d/%d/state", h.ID, good), "4", 90*time.Second)
	waitXenstore(t, h.Path(fmt.Sprintf("device/vsnd/%d/state", good)), "4", 30*time.Second)
	if v, err := xs.Read(ctx, fmt.Sprintf("/local/domain/0/error/backend/vsnd/%d/%d/error", h.ID, good)); err == nil {
		t.Errorf("vsnd%d, served, has an error node: %q", good, v)
	}
	rh := resultH(t)
	t.Logf("the hostile guest:\n%s", rh)
	if rh.ExitCode != 0 {
		t.Errorf("the hostile guest's payload failed:\n%s\nbackend log:\n%s", rh, be.stderr)
	}
	cpu1, t1 := be.cpuTicks(t), time.Now()

	// XenStore refused every write outside its own directories.
	attempts := regexp.MustCompile(`(?m)^foreign (write|rm) (\S+): (.*)$`).FindAllStringSubmatch(rh.Stdout, -1)
	if want := 4*(len(vhTampers)+2) + 1; len(attempts) != want && rh.ExitCode == 0 {
		t.Errorf("the hostile guest reported %d writes outside its directories, want %d", len(attempts), want)
	}
	for _, a := range attempts {
		if a[3] != "refused" {
			t.Errorf("the hostile guest's %s of %s: %s (want refused: EACCES)", a[1], a[2], a[3])
		}
	}
	for d, rec := range records {
		n, _ := strconv.Atoi(d)
		if now := vhCardRecord(t, h.ID, n); now != rec {
			t.Errorf("the admin's record of vsnd%s changed:\n%s", d, vsndDiff(rec, now))
		}
	}
	if now := vhCardRecord(t, h.ID, good); now != goodRecord {
		t.Errorf("the admin's record of vsnd%d changed:\n%s", good, vsndDiff(goodRecord, now))
	}

	// Its sound went where the admin routed it, in its own directory, and
	// capture got the admin's silence, not the victim's recording.
	if rh.ExitCode == 0 {
		vbCompareTone(t, "the hostile guest's hostile.wav", vbFinalised(t, filepath.Join(hostileDir, "hostile.wav"), 10*time.Second), vbRate)
		def := fmt.Sprintf("vsnd%d-pcm1-s0.wav", good)
		vbCompareTone(t, "the hostile guest's "+def, vbFinalised(t, filepath.Join(hostileDir, def), 10*time.Second), vbRate)
		want := []string{"hostile.wav", def}
		if got := vbFiles(t, hostileDir); !slices.Equal(got, want) {
			t.Errorf("the hostile guest's directory holds %q, want %q", got, want)
		}
		m := regexp.MustCompile(`captured frames=(\d+) nonzero=(\d+)`).FindStringSubmatch(rh.Stdout)
		if m == nil {
			t.Errorf("the hostile guest reported no capture")
		} else if frames, _ := strconv.Atoi(m[1]); frames < vbRate*9/10 || m[2] != "0" {
			t.Errorf("the hostile guest recorded %s frames, %s bytes not zero: want a second of the admin's silence", m[1], m[2])
		}
	}

	// The refused devices never connected, and still have not.
	seen, events := states.seen()
	for n, when := range seen {
		t.Errorf("%s was Connected (4) at %s: a device the guest tampered with was served", n, when)
	}
	for _, d := range devids {
		for _, n := range []string{fmt.Sprintf("/local/domain/0/backend/vsnd/%d/%s/state", h.ID, d), h.Path("device/vsnd/" + d + "/state")} {
			if v, err := xs.Read(ctx, n); err == nil && string(v) == "4" {
				t.Errorf("%s is Connected", n)
			}
		}
	}
	t.Logf("%d watch events on the refused devices' directories, none Connected", events)

	// The victim's live playback: bit-exact.
	MustRun(t, "xenstore-write", s.Path("data/xgo-vsnd/stop"), "1")
	rs := resultS(t)
	t.Logf("the victim:\n%s", rs)
	// (Not fatal: the checks after this one hold whatever became of
	// the victim.)
	liveFile := filepath.Join(be.guestDir(s.Name), "victim-live.wav")
	m := regexp.MustCompile(`live frames=(\d+) seconds=([0-9.]+) stopped=true`).FindStringSubmatch(rs.Stdout)
	switch {
	case rs.ExitCode != 0:
		t.Errorf("the victim's playback failed while the hostile guest worked:\n%s", rs)
	case m == nil:
		t.Errorf("the victim's live playback did not run until told to stop:\n%s", rs.Stdout)
	default:
		liveFrames, _ := strconv.Atoi(m[1])
		vbCompareTone(t, "the victim's victim-live.wav", vbFinalised(t, liveFile, 10*time.Second), liveFrames)
		t.Logf("the victim played %d frames (%s s) while the hostile guest worked", liveFrames, m[2])
	}

	// Nothing outside the hostile guest's directory changed; the only new
	// file outside it is the victim's live recording, and nothing appeared
	// beside the WAV directory.
	after := vhSums(t, watched)
	for _, p := range watched {
		if before[p] != after[p] {
			t.Errorf("%s changed: %s, now %s", p, before[p], after[p])
		}
	}
	for _, p := range vhOutside(t, be.dir, hostileDir) {
		if _, known := before[p]; !known && p != liveFile {
			t.Errorf("%s appeared outside the hostile guest's directory", p)
		}
	}
	for _, f := range vbFiles(t, filepath.Dir(be.dir)) {
		if !strings.HasPrefix(f, "vsnd/") {
			t.Errorf("%s appeared beside the WAV directory", filepath.Join(filepath.Dir(be.dir), f))
		}
	}

	// The log: one line per event, guest values quoted, nothing forged,
	// and a refused device's retries back off.
	log := be.stderr.String()
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	quotedForged := `\n` + vhForged
	for _, l := range lines {
		if !strings.HasPrefix(l, "xgo: ") {
			t.Errorf("backend log line not the backend's: %q", l)
		}
		if strings.Contains(l, "XGO-FORGED") && !strings.Contains(l, quotedForged) {
			t.Errorf("the guest's newline reached the log unquoted: %q", l)
		}
		for _, v := range vhQuotedValues(s.Name) {
			if strings.Contains(l, v) && !strings.Contains(l, strconv.Quote(v)) {
				t.Errorf("guest value %q not quoted in the log line %q", v, l)
			}
		}
	}
	window := time.Since(testStart).Seconds()
	// Retries at 250 ms, doubled each time up to 30 s.
	retries := 1
	for at, wait := 0.0, 0.25; at < window; at, wait = at+wait, math.Min(2*wait, 30) {
		retries++
	}
	for i, d := range devids {
		prefix := fmt.Sprintf("xgo: vsnd-backend: dom%d vsnd%s: ", h.ID, d)
		reason := regexp.MustCompile(vhTampers[i].Reason)
		n, reasons := 0, 0
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				n++
				if reason.MatchString(strings.TrimPrefix(l, prefix)) {
					reasons++
				}
			}
		}
		t.Logf("vsnd%s (%s): %d log lines, %d naming the reason, over %.0f s (at most %d retries)", d, vhTampers[i].What, n, reasons, window, retries)
		if reasons == 0 {
			t.Errorf("vsnd%s (%s): no log line names the reason (%s)", d, vhTampers[i].What, vhTampers[i].Reason)
		}
		if n > 5*retries {
			t.Errorf("vsnd%s (%s): %d log lines in %.0f s: more than its %d retries account for", d, vhTampers[i].What, n, window, retries)
		}
	}

	// Alive, and it stops within 2 s of SIGTERM with the refused devices
	// still retrying and both guests' cards attached.
	wall := t1.Sub(t0).Seconds()
	t.Logf("PERF vsnd-backend hostile guest: backend CPU %d ticks over %.2f s = %.1f%% of one CPU (%d refused devices retrying, 2 guests playing)",
		cpu1-cpu0, wall, float64(cpu1-cpu0)/wall, len(devids))
	if !be.alive() {
		t.Fatalf("xgo vsnd-backend exited:\n%s", be.stderr)
	}
	took, err := be.stop()
	t.Logf("PERF vsnd-backend: exited %v after SIGTERM (%v) with %d devices of 2 guests attached", took.Round(time.Millisecond), err, len(devids)+3)
	if err != nil {
		t.Errorf("xgo vsnd-backend did not exit 0 on SIGTERM: %v", err)
	}
	if took > 2*time.Second {
		t.Errorf("xgo vsnd-backend took %v to exit after SIGTERM, want at most 2 s", took.Round(time.Millisecond))
	}
}
