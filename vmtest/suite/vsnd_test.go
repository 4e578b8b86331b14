//go:build xenlab

package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/xenstore"
)

// The PV sound tests: what xgo vsnd-attach writes against what xl
// vsnd-attach writes for the same card, each listing the other's card,
// xgo's card driven by the guest's real snd-xen-front against a fake
// backend (the test), and xgo vsnd-detach leaving the tree as it found
// it. One domU, xenstored's boot only; xl vsnd-attach waits 10 s for a
// backend that never comes, which is most of the test's time.

// vsndItems is the 2-PCM, 3-stream card of the comparison, in xl's
// syntax (f32_le: xl accepts no other spelling; xgo takes it too and
// writes sndif's float_le).
var vsndItems = []string{
	"CARD, short-name=xgo-lab, long-name=xgo lab card, sample-rates=44100;48000, sample-formats=s16_le;f32_le, buffer-size=65536",
	"PCM, name=Analog, channels-max=2",
	"STREAM, unique-id=alsa<hw:0;0>, type=p",
	"STREAM, unique-id=alsa<hw:0;1>, type=c, channels-max=1",
	"PCM, name=HDMI",
	"STREAM, unique-id=pulse<>media.role:music, type=p, sample-rates=48000",
}

// vsndPlainItems is a card without float formats, which libxl can read
// back.
var vsndPlainItems = []string{
	"CARD, short-name=plain, sample-rates=48000, sample-formats=s16_le",
	"PCM, name=Main",
	"STREAM, unique-id=p0, type=p",
}

func TestXenVsndMatchesXl(t *testing.T) {
	if Daemon() != "xenstored" {
		t.Skip("xenstored's boot runs the vsnd comparison (xl vsnd-attach costs 10 s per boot)")
	}
	XgoPath(t)
	xs, err := xenstore.Dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer xs.Close()
	d := StartDomU(t, DomUOptions{Modules: []string{"snd-xen-front"}})
	id := strconv.Itoa(d.ID)
	fe := "/local/domain/" + id + "/device/vsnd/0"
	be := "/local/domain/0/backend/vsnd/" + id + "/0"
	lx := "/libxl/" + id + "/device/vsnd/0"
	before := vsndContext(t, d.ID)
	if strings.Contains(before, "/vsnd") {
		t.Fatalf("the domU has vsnd nodes before the test:\n%s", before)
	}

	// xl: the tree it writes, then its failure after waiting for a
	// backend; xgo lists xl's card meanwhile.
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	appeared := vsndWatchNode(t, xs, lx+"/state")
	start := time.Now()
	xl := exec.CommandContext(ctx, "xl", append([]string{"vsnd-attach", d.Name}, vsndItems...)...)
	var xlOut bytes.Buffer
	xl.Stdout, xl.Stderr = &xlOut, &xlOut
	if err := xl.Start(); err != nil {
		t.Fatal(err)
	}
	xlWritten := vsndWhen(t, appeared, start, 20*time.Second)
	xlTree := vsndTree(t, d.ID, 0)
	if !strings.Contains(xlTree, fe+" = ") {
		t.Fatalf("xl's device is not device 0:\n%s", xlTree)
	}
	xlList := MustRun(t, "xl", "vsnd-list", d.Name)
	xgoList := Xgo(t, "vsnd-list", d.Name)
	if xgoList.ExitCode != 0 {
		t.Fatalf("%s", xgoList)
	}
	if got := vsndAsXlList(xgoList.Stdout); got != xlList+"\n" {
		t.Errorf("xgo vsnd-list of xl's card, in xl's form, differs from xl vsnd-list:\n--- xgo ---\n%s--- xl ---\n%s\n--- xgo as printed ---\n%s", got, xlList, xgoList.Stdout)
	}
	xlErr := xl.Wait()
	xlTotal := time.Since(start)
	var exit *exec.ExitError
	if !errors.As(xlErr, &exit) || exit.ExitCode() != 253 {
		t.Errorf("xl vsnd-attach without a backend: %v, want exit 253\n%s", xlErr, xlOut.String())
	}
	if vsndTree(t, d.ID, 0) != xlTree {
		t.Errorf("xl changed its tree while failing")
	}
	MustRun(t, "xenstore-rm", "/local/domain/"+id+"/device/vsnd", "/local/domain/0/backend/vsnd", "/libxl/"+id+"/device/vsnd")
	if got := vsndContext(t, d.ID); got != before {
		t.Fatalf("cleaning up after xl did not restore the tree:\n%s", vsndDiff(before, got))
	}

	// xgo, the same card: the same tree, but float_le where xl writes
	// f32_le.
	vsndSettle()
	appeared = vsndWatchNode(t, xs, lx+"/state")
	start = time.Now()
	r := runEnv(t, CommandTimeout, append(os.Environ(), "XGODEBUG=xenstore"), XgoPath(t), append([]string{"vsnd-attach", d.Name}, vsndItems...)...)
	xgoTotal := time.Since(start)
	if r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	xgoWritten := vsndWhen(t, appeared, start, 5*time.Second)
	requests := strings.Count(r.Stderr, " -> ")
	xsSpan := vsndTraceSpan(r.Stderr)
	xgoTree := vsndTree(t, d.ID, 0)
	// xgo also records the admin's card below the backend directory,
	// where the guest cannot write (the backend routes from it): the
	// one documented difference from xl's tree. Every record node must
	// repeat a node of the frontend's card, value for value, with the
	// backend directory's permissions.
	xgoTree, record := vsndSplitRecord(xgoTree, d.ID)
	if len(record) == 0 {
		t.Errorf("xgo wrote no record of the card below %s", be)
	}
	for _, l := range record {
		rel, val, perms := l[0], l[1], l[2]
		front := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(fe+"/"+rel+" = "+val) + ` +\(n` + id + `,r0\)$`)
		if perms != "n0,r"+id || !front.MatchString(xgoTree) {
			t.Errorf("record node card/%s = %s (%s): want the backend's permissions (n0,r%s) and the same node and value in %s", rel, val, perms, id, fe)
		}
	}
	for _, f := range [][2]string{{"float_le", "f32_le"}, {"float_be", "f32_be"}, {"float64_le", "f64_le"}, {"float64_be", "f64_be"}} {
		xgoTree = strings.ReplaceAll(xgoTree, f[0], f[1])
	}
	if vsndSortLines(xgoTree) != vsndSortLines(xlTree) {
		t.Errorf("xgo's tree differs from xl's (values and permissions, formats normalised):\n%s", vsndDiff(xlTree, xgoTree))
	} else if xgoTree != xlTree {
		t.Errorf("xgo's nodes are xl's, but in another order:\n--- xgo ---\n%s--- xl ---\n%s", xgoTree, xlTree)
	}
	if !strings.Contains(XenstoreRead(t, fe+"/sample-formats"), "float_le") {
		t.Errorf("xgo did not write sndif's float_le")
	}
	t.Logf("2-PCM/3-stream card: xl vsnd-attach wrote its tree %s after start and exited %v after %s (waiting for a backend); xgo vsnd-attach wrote it %s after start with %d XenStore requests taking %s from the first to the last message, and exited after %s",
		xlWritten.Round(time.Millisecond), xlErr, xlTotal.Round(time.Millisecond), xgoWritten.Round(time.Millisecond), requests, xsSpan, xgoTotal.Round(time.Millisecond))

	// libxl cannot read sndif's float names back: xl vsnd-list shows
	// none of the domain's cards.
	if out := MustRun(t, "xl", "vsnd-list", d.Name); out != "" {
		t.Errorf("xl vsnd-list of a card with float_le printed:\n%s", out)
	} else {
		t.Logf("as expected, xl vsnd-list shows nothing for a domain whose card has float_le")
	}

	// The guest's real snd-xen-front against a fake backend (this test,
	// as dom0): InitWait makes it read the card and publish its rings.
	setState := func(path string, s int) {
		t.Helper()
		if err := xs.Write(context.Background(), path+"/state", []byte(strconv.Itoa(s))); err != nil {
			t.Fatal(err)
		}
	}
	setState(be, 2)
	vsndWaitState(t, xs, fe, 3, 10*time.Second)
	list := Xgo(t, "vsnd-list", "-o", "json", d.Name)
	var doc struct {
		Devices []struct {
			Card struct {
				PCMs []struct {
					Streams []struct {
						Transport map[string]*uint32 `json:"transport"`
					} `json:"streams"`
				} `json:"pcms"`
			} `json:"card"`
		} `json:"devices"`
	}
	if err := json.Unmarshal([]byte(list.Stdout), &doc); err != nil || len(doc.Devices) != 1 {
		t.Fatalf("vsnd-list -o json: %v\n%s", err, list)
	}
	var transports []string
	for _, p := range doc.Devices[0].Card.PCMs {
		for _, s := range p.Streams {
			var kv []string
			for _, k := range []string{"ringRef", "eventChannel", "evtRingRef", "evtEventChannel"} {
				if s.Transport[k] == nil {
					t.Errorf("Linux did not publish %s: %s", k, list.Stdout)
					continue
				}
				kv = append(kv, fmt.Sprintf("%s=%d", k, *s.Transport[k]))
			}
			transports = append(transports, strings.Join(kv, " "))
		}
	}
	t.Logf("snd-xen-front published: %s", strings.Join(transports, "; "))
	setState(be, 4)
	vsndWaitState(t, xs, fe, 4, 10*time.Second)

	// Detach: the fake backend answers Closing with Closed after a
	// moment, in which Linux's frontend stays where it is.
	closing := make(chan string, 1)
	go func() {
		// Its own time: the test's 40 s for the attach comparisons may
		// be nearly spent by now on a loaded host.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w, err := xs.Watch(ctx, be+"/state", "")
		if err != nil {
			closing <- err.Error()
			return
		}
		defer w.Close()
		for range w.Events() {
			v, _ := xs.Read(ctx, be+"/state")
			if string(v) == "5" {
				time.Sleep(300 * time.Millisecond)
				fv, _ := xs.Read(ctx, fe+"/state")
				closing <- string(fv)
				_ = xs.Write(ctx, be+"/state", []byte("6"))
				return
			}
		}
	}()
	r = Xgo(t, "vsnd-detach", "-o", "json", d.Name, "0")
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, `"outcome": "closed-ok"`) {
		t.Errorf("vsnd-detach: %s", r)
	}
	select {
	case s := <-closing:
		if s != "4" {
			t.Errorf("snd-xen-front moved to %s on the backend's Closing; Linux 6.1 ignores Closing", s)
		}
	case <-time.After(5 * time.Second):
		t.Error("the fake backend never saw Closing")
	}
	if got := vsndContext(t, d.ID); got != before {
		t.Errorf("xgo vsnd-detach did not remove every node xgo wrote:\n%s", vsndDiff(before, got))
	}

	// Linux finishes removing a device up to a few seconds after its
	// nodes are gone by writing Closed to its state node: a card
	// attached at the same path in the meantime gets it, and the guest
	// never takes that card (xl, which also takes id 0 again after the
	// last card, has the same race). Attach one at once and see.
	detached := time.Now()
	if r := Xgo(t, append([]string{"vsnd-attach", d.Name}, vsndPlainItems...)...); r.ExitCode != 0 {
		t.Fatalf("%s", r)
	}
	raced := "no, not within 6s"
	for time.Since(detached) < 6*time.Second {
		if v, _ := xs.Read(context.Background(), fe+"/state"); string(v) == "6" {
			raced = fmt.Sprintf("yes, state Closed %s after the detach", time.Since(detached).Round(10*time.Millisecond))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("re-attaching device 0 right after detaching it: the guest's late removal closed the new card: %s", raced)

	// xl vsnd-list lists xgo's card (one without float formats).
	xlList = MustRun(t, "xl", "vsnd-list", d.Name)
	xgoList = Xgo(t, "vsnd-list", d.Name)
	if !strings.Contains(xlList, "devid: 0,") || vsndAsXlList(xgoList.Stdout) != xlList+"\n" {
		t.Errorf("xl vsnd-list of xgo's card:\n%s\nxgo vsnd-list in xl's form:\n%s", xlList, vsndAsXlList(xgoList.Stdout))
	}

	// What Linux refuses, as the simulated frontend models it: a stream
	// whose type is neither p nor c (written behind xgo's back), on a
	// fresh path (device 1).
	if r := Xgo(t, append([]string{"vsnd-attach", "-q", d.Name}, vsndPlainItems...)...); r.ExitCode != 0 || r.Stdout != "1\n" {
		t.Fatalf("%s", r)
	}
	fe1, be1 := "/local/domain/"+id+"/device/vsnd/1", "/local/domain/0/backend/vsnd/"+id+"/1"
	time.Sleep(300 * time.Millisecond) // the guest probes it
	if err := xs.Write(context.Background(), fe1+"/0/0/type", []byte("x")); err != nil {
		t.Fatal(err)
	}
	setState(be1, 2)
	vsndWaitState(t, xs, fe1, 5, 10*time.Second)
	if got := XenstoreRead(t, "/local/domain/"+id+"/error/device/vsnd/1/error"); got != "22 initializing frontend" {
		t.Errorf("Linux reported %q, the simulated frontend %q", got, "22 initializing frontend")
	}
	if r := Xgo(t, "vsnd-detach", "--force", d.Name, "1"); r.ExitCode != 0 || r.Stderr != "" {
		t.Errorf("%s", r)
	}
	if r := Xgo(t, "vsnd-detach", d.Name, "0"); r.ExitCode != 0 || r.Stderr != "" {
		t.Errorf("%s", r)
	}
	if got := vsndContext(t, d.ID); got != before {
		t.Errorf("at the end:\n%s", vsndDiff(before, got))
	}
}

// vsndSettle waits for the guest to finish removing a device whose nodes
// are gone: Linux's xen_drv_remove polls the (missing) backend state 100
// times, 10 ms apart (longer under TCG), before it lets go and writes
// Closed.
func vsndSettle() { time.Sleep(3 * time.Second) }

// vsndTree is xenstore-ls -fp below the three vsnd directories of the
// domain, which hold one device (devid) when it is called: the device
// directories with their permissions and everything in them. xl's card
// and xgo's are made in the same domU with the same device id, one after
// the other, so nothing needs renaming to compare them.
func vsndTree(t *testing.T, domid, devid int) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{
		fmt.Sprintf("/libxl/%d/device/vsnd", domid),
		fmt.Sprintf("/local/domain/%d/device/vsnd", domid),
		"/local/domain/0/backend/vsnd",
	} {
		b.WriteString(MustRun(t, "xenstore-ls", "-fp", p) + "\n")
	}
	return b.String()
}

// vsndSplitRecord takes the admin's record of the card (the nodes below
// <backend dir>/card) out of a vsndTree (xenstore-ls -fp lines), returning
// the rest and, for each record node with a value, its path below card/,
// its quoted value and its permissions.
func vsndSplitRecord(tree string, domid int) (string, [][3]string) {
	re := regexp.MustCompile(fmt.Sprintf(`^/local/domain/0/backend/vsnd/%d/0/card(/(\S+))? = (".*") +\((\S+)\)$`, domid))
	var rest []string
	var record [][3]string
	for _, l := range strings.Split(tree, "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil {
			rest = append(rest, l)
			continue
		}
		if m[2] != "" && m[3] != `""` {
			record = append(record, [3]string{m[2], m[3], m[4]})
		}
	}
	return strings.Join(rest, "\n"), record
}

// vsndContext is what a vsnd device can touch besides itself: the
// guest's device and error directories, dom0's backend directory and
// libxl's record of the guest.
func vsndContext(t *testing.T, domid int) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{fmt.Sprintf("/local/domain/%d/device", domid), fmt.Sprintf("/local/domain/%d/error", domid), "/local/domain/0/backend", fmt.Sprintf("/libxl/%d", domid)} {
		r := Run(t, "xenstore-ls", "-fp", p)
		b.WriteString(r.Stdout)
	}
	return b.String()
}

// vsndAsXlList turns xgo vsnd-list's text into xl's: state numbers without
// names, no backend state, formats under xl's (wrong) label, no event
// ring.
func vsndAsXlList(s string) string {
	s = regexp.MustCompile(`state: (-?\d+) \([A-Za-z]+\)`).ReplaceAllString(s, "state: $1")
	s = regexp.MustCompile(`, be-state: -?\d+`).ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, ", sample-formats: ", ", sample-rates: ")
	return regexp.MustCompile(`, evt-event-channel: -?\d+, evt-ring-ref: -?\d+`).ReplaceAllString(s, "")
}

// vsndTraceSpan is the time from the first to the last message of an
// XGODEBUG=xenstore trace ("xenstore: 15:04:05.000000 -> ...").
func vsndTraceSpan(trace string) time.Duration {
	var first, last time.Time
	for _, l := range strings.Split(trace, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || f[0] != "xenstore:" || (f[2] != "->" && f[2] != "<-") {
			continue
		}
		ts, err := time.Parse("15:04:05.000000", f[1])
		if err != nil {
			continue
		}
		if first.IsZero() {
			first = ts
		}
		last = ts
	}
	return last.Sub(first)
}

// vsndWatchNode watches path and reports, once, when it exists.
func vsndWatchNode(t *testing.T, xs *xenstore.Conn, path string) <-chan time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	w, err := xs.Watch(ctx, path, "")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	at := make(chan time.Time, 1)
	go func() {
		defer cancel()
		defer w.Close()
		for range w.Events() {
			if _, err := xs.Read(ctx, path); err == nil {
				at <- time.Now()
				return
			}
		}
	}()
	return at
}

// vsndWhen returns how long after start the node vsndWatchNode watches
// appeared.
func vsndWhen(t *testing.T, at <-chan time.Time, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	select {
	case when := <-at:
		return when.Sub(start)
	case <-time.After(limit):
		t.Fatalf("the device did not appear within %s", limit)
	}
	return 0
}

// vsndWaitState waits until the state node of dir reads want.
func vsndWaitState(t *testing.T, xs *xenstore.Conn, dir string, want int, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	w, err := xs.Watch(ctx, dir+"/state", "")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	last := ""
	for {
		v, _ := xs.Read(ctx, dir+"/state")
		if last = string(v); last == strconv.Itoa(want) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s/state is %q after %s, want %d", dir, last, limit, want)
		case <-w.Events():
		}
	}
}

func vsndSortLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

// vsndDiff shows the lines only in a (-) and only in b (+).
func vsndDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ia, ib := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !ib[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ia[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
