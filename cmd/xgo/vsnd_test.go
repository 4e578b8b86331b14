package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/internal/vsndfront"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore/xenbus"
)

// vsndSim writes a fresh default simulated host (Domain-0, domu1 = 1,
// domu2 = 2) and returns the --sim=STATE flag and the state file.
func vsndSim(t *testing.T) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sim.yaml")
	if err := xensim.Init(path, nil); err != nil {
		t.Fatal(err)
	}
	return "--sim=" + path, path
}

var vsndCard = []string{
	"CARD, short-name=xgo, long-name=xgo test card, sample-rates=44100;48000, sample-formats=s16_le;f32_le, buffer-size=65536",
	"PCM, name=Analog, channels-max=2",
	"STREAM, unique-id=alsa<hw:0;0>, type=p",
	"STREAM, unique-id=alsa<hw:0;1>, type=c, channels-max=1",
	"PCM, name=HDMI",
	"STREAM, unique-id=pulse<>media.role:music, type=P, sample-rates=48000",
}

func readState(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVsndCommands runs attach, list and detach on the simulated host and
// checks their text, JSON and quiet forms against testdata/vsnd.
func TestVsndCommands(t *testing.T) {
	t.Parallel()
	sim, state := vsndSim(t)
	d := testDeps(t)
	pristine := readState(t, state)

	r := runXgo(t, d, append([]string{sim, "-N", "vsnd-attach", "domu1"}, vsndCard...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("dry run: %+v", r)
	}
	golden(t, "vsnd/attach-dry-run.txt", r.stdout)
	if !bytes.Equal(readState(t, state), pristine) {
		t.Fatal("the dry run changed the host")
	}

	r = runXgo(t, d, append([]string{sim, "vsnd-attach", "domu1"}, vsndCard...)...)
	if r.code != 0 || r.stdout != "vsnd device 0 attached to domain 'domu1' (1), backend domain 'Domain-0' (0)\n" {
		t.Fatalf("attach: %+v", r)
	}
	if !strings.Contains(r.stderr, "xgo: warning: float_le are written as sndif names them") {
		t.Errorf("no warning about float formats: %q", r.stderr)
	}
	r = runXgo(t, d, append([]string{sim, "vsnd-attach", "-q", "1"}, vsndCard[1:]...)...)
	if r.code != 0 || r.stdout != "1\n" || r.stderr != "" {
		t.Fatalf("attach -q: %+v", r)
	}

	r = runXgo(t, d, sim, "vsnd-list", "domu1", "domu2")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("list: %+v", r)
	}
	golden(t, "vsnd/list.txt", r.stdout)
	r = runXgo(t, d, sim, "vsnd-list", "1", "-o", "json")
	golden(t, "vsnd/list.json", r.stdout)
	var doc VsndListOutput
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Devices) != 2 {
		t.Fatalf("json: %v %+v", err, doc)
	}
	r = runXgo(t, d, sim, "vsnd-list", "domu1", "-o", "yaml")
	if r.code != 0 || !strings.Contains(r.stdout, "    stateName: Initialising\n") || !strings.Contains(r.stdout, "      sampleFormats:\n        - s16_le\n        - float_le\n") {
		t.Errorf("yaml: %s", r.stdout)
	}
	if r = runXgo(t, d, sim, "vsnd-list", "-q", "domu1"); r.stdout != "1 0\n1 1\n" {
		t.Errorf("list -q: %q", r.stdout)
	}

	r = runXgo(t, d, sim, "-N", "vsnd-detach", "domu1", "1")
	if r.code != 0 {
		t.Fatalf("detach -N: %+v", r)
	}
	golden(t, "vsnd/detach-dry-run.txt", r.stdout)
	for _, id := range []string{"1", "0"} {
		if r = runXgo(t, d, sim, "vsnd-detach", "domu1", id); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Fatalf("detach %s: %+v", id, r)
		}
	}
	if r = runXgo(t, d, sim, "vsnd-list", "domu1"); r.code != 0 || r.stdout != "" {
		t.Errorf("list after detach: %+v", r)
	}
	// Every node the attaches wrote is gone again.
	after, before := simTree(t, state), simTreeOf(t, pristine)
	if after != before {
		t.Errorf("detach left nodes:\n%s", after)
	}
}

// simTree is the XenStore block of a state file.
func simTree(t *testing.T, state string) string { return simTreeOf(t, readState(t, state)) }

func simTreeOf(t *testing.T, b []byte) string {
	t.Helper()
	s := string(b)
	i := strings.Index(s, "  nodes: |")
	if i < 0 {
		t.Fatalf("no nodes in the state file")
	}
	return s[i:]
}

// TestVsndFile gives the card as YAML, from a file and from stdin.
func TestVsndFile(t *testing.T) {
	t.Parallel()
	sim, _ := vsndSim(t)
	file := filepath.Join(t.TempDir(), "card.yaml")
	yaml := "short-name: y\nbackend: domu2\npcms:\n  - streams:\n      - {unique-id: a, type: c}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runXgo(t, testDeps(t), sim, "vsnd-attach", "domu1", "--file", file, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"backendPath": "/local/domain/2/backend/vsnd/1/0"`) {
		t.Fatalf("--file: %+v", r)
	}
	d := testDeps(t)
	d.Stdin = strings.NewReader(strings.Replace(yaml, "backend: domu2\n", "", 1))
	r = runXgo(t, d, sim, "vsnd-attach", "-f", "-", "domu1", "-q")
	if r.code != 0 || r.stdout != "1\n" {
		t.Fatalf("--file -: %+v", r)
	}
	d.Stdin = strings.NewReader("pcms: []\n")
	r = runXgo(t, d, sim, "vsnd-attach", "-f", "-", "domu1")
	if r.code != exitUsage || r.stderr != "xgo: vsnd-attach: stdin:1: card: no PCM device: a card needs at least one (Linux's frontend refuses a card without one)\n" {
		t.Errorf("bad stdin card: %+v", r)
	}
}

// TestVsndBadInput: mistakes exit 2 (or 1 for what does not exist) with
// one line naming the token, and change nothing.
func TestVsndBadInput(t *testing.T) {
	t.Parallel()
	sim, state := vsndSim(t)
	pristine := readState(t, state)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"vsnd-attach", "domu1"}, 2, "xgo: vsnd-attach: no card: give items (CARD, ..., PCM, ..., STREAM, ...) or --file"},
		{[]string{"vsnd-attach"}, 2, "xgo: vsnd-attach: missing argument (usage: xgo vsnd-attach <domain> [<item>...])"},
		{[]string{"vsnd-attach", "domu1", "--file", "x.yaml", "PCM"}, 2, `xgo: vsnd-attach: unexpected argument "PCM": the card comes from --file`},
		{[]string{"vsnd-attach", "domu1", "--keep", "STREAM, unique-id=a, type=p"}, 2, "xgo: vsnd-attach: --keep only matters with --wait"},
		{[]string{"vsnd-attach", "domu1", "--wait=soon", "STREAM, unique-id=a, type=p"}, 2, `xgo: vsnd-attach: invalid value "soon" for flag --wait`},
		{[]string{"vsnd-attach", "domu1", "--file", "/nonexistent/card.yaml"}, 2, "xgo: vsnd-attach: --file: open /nonexistent/card.yaml: no such file or directory"},
		{[]string{"vsnd-attach", "domu1", "STREAM, id=0, type=p"}, 2, "xgo: vsnd-attach: argument 1: pcm 0 stream 0: id: unknown key (want unique-id, type, sample-rates, sample-formats, channels-min, channels-max, buffer-size); xl.cfg's manual shows id=, but the key is unique-id"},
		{[]string{"vsnd-attach", "domu1", "STREAM, unique-id=a, type=p, sample-rates=44000"}, 2, "xgo: vsnd-attach: argument 1: pcm 0 stream 0: sample-rates: 44000 Hz is not a rate Linux's frontend knows (want one of 5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000)"},
		{[]string{"vsnd-attach", "nosuch", "STREAM, unique-id=a, type=p"}, 1, "xgo: domain 'nosuch' does not exist"},
		{[]string{"vsnd-attach", "domu1", "--backend", "9", "STREAM, unique-id=a, type=p"}, 1, "xgo: backend: domain 9 does not exist"},
		{[]string{"vsnd-list"}, 2, "xgo: vsnd-list: missing argument (usage: xgo vsnd-list <domain>...)"},
		{[]string{"vsnd-list", "domu1", "nosuch"}, 1, "xgo: domain 'nosuch' does not exist"},
		{[]string{"vsnd-detach", "domu1"}, 2, "xgo: vsnd-detach: missing argument (usage: xgo vsnd-detach <domain> <devid>)"},
		{[]string{"vsnd-detach", "domu1", "-1"}, 2, "xgo: vsnd-detach: unknown flag -1"},
		{[]string{"vsnd-detach", "domu1", "x"}, 2, `xgo: vsnd-detach: invalid device id "x" (want a number, as vsnd-list shows)`},
		{[]string{"vsnd-detach", "domu1", "0", "--timeout", "0"}, 2, `xgo: vsnd-detach: --timeout: "0" is not a positive duration (15, 15s, 2m)`},
		{[]string{"vsnd-detach", "domu1", "0"}, 1, "xgo: domain 'domu1' (1) has no vsnd device 0"},
	}
	for _, tt := range tests {
		r := runXgo(t, testDeps(t), append([]string{sim}, tt.args...)...)
		if r.code != tt.code || r.stderr != tt.want+"\n" || r.stdout != "" {
			t.Errorf("xgo %q:\n got  %d %q %q\n want %d %q", tt.args, r.code, r.stderr, r.stdout, tt.code, tt.want)
		}
	}
	if !bytes.Equal(readState(t, state), pristine) {
		t.Error("a refused command changed the host")
	}
}

// TestVsndWaitNoBackend: nothing answers on the simulated host; --wait
// says so and removes the device, unless --keep.
func TestVsndWaitNoBackend(t *testing.T) {
	t.Parallel()
	sim, state := vsndSim(t)
	pristine := simTree(t, state)
	r := runXgo(t, testDeps(t), sim, "vsnd-attach", "domu1", "--wait=100ms", "STREAM, unique-id=a, type=p")
	if r.code != exitFailure || r.stdout != "vsnd device 0 of domain 'domu1' (1) removed again\n" ||
		r.stderr != "xgo: no backend answered within 100ms (backend Initialising, frontend Initialising); the device was removed again (--keep keeps it)\n" {
		t.Errorf("--wait: %+v", r)
	}
	if simTree(t, state) != pristine {
		t.Error("--wait left the device")
	}
	r = runXgo(t, testDeps(t), sim, "vsnd-attach", "domu1", "--wait=100ms", "--keep", "-o", "json", "STREAM, unique-id=a, type=p")
	if r.code != exitFailure || !strings.Contains(r.stdout, `"outcome": "no-backend"`) || !strings.Contains(r.stdout, `"removed": false`) {
		t.Errorf("--keep: %+v", r)
	}
	if r = runXgo(t, testDeps(t), sim, "vsnd-list", "-q", "domu1"); r.stdout != "1 0\n" {
		t.Errorf("--keep did not keep: %q", r.stdout)
	}
}

// TestVsndProvisioningOnSim is the whole life of a card through the
// commands: attach (with 20 commit conflicts), the simulated guest
// frontend publishes its rings to a fake backend in InitWait (with 20
// conflicts more), vsnd-list shows them, vsnd-detach closes and removes
// the card.
func TestVsndProvisioningOnSim(t *testing.T) {
	t.Parallel()
	sim, state := vsndSim(t)
	pristine := simTree(t, state)
	onHost := func(fn func(s *xensim.Sim)) {
		s, err := xensim.Open(state)
		if err != nil {
			t.Fatal(err)
		}
		fn(s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	onHost(func(s *xensim.Sim) { s.FailNextCommits(20) })
	r := runXgo(t, testDeps(t), append([]string{sim, "vsnd-attach", "domu1", "-o", "json"}, vsndCard...)...)
	if r.code != 0 || !strings.Contains(r.stdout, `"devid": 0`) {
		t.Fatalf("attach: %+v", r)
	}

	// The guest's frontend and a fake backend, on the host as saved.
	onHost(func(s *xensim.Sim) {
		if s.PendingCommitFailures() != 0 {
			t.Errorf("%d injected conflicts left after attach", s.PendingCommitFailures())
		}
		guest, err := s.XenStoreAs(1)
		if err != nil {
			t.Fatal(err)
		}
		f := vsndfront.New(guest, 1, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- f.Run(ctx) }()
		if _, err := f.WaitFor(ctx, 0, func(d vsndfront.Device) bool { return d.Events > 0 }); err != nil {
			t.Fatal(err)
		}
		s.FailNextCommits(20)
		dom0, _ := s.XenStore()
		if err := dom0.Write(ctx, "/local/domain/0/backend/vsnd/1/0/state", []byte("2")); err != nil {
			t.Fatal(err)
		}
		d, err := f.WaitState(ctx, 0, xenbus.Initialised)
		if err != nil {
			t.Fatal(err)
		}
		if d.Attempts != 21 || d.Publishes != 1 {
			t.Errorf("frontend: %d publishes in %d attempts", d.Publishes, d.Attempts)
		}
		cancel()
		<-done
	})
	r = runXgo(t, testDeps(t), sim, "vsnd-list", "domu1")
	if r.code != 0 {
		t.Fatalf("list: %+v", r)
	}
	golden(t, "vsnd/list-published.txt", r.stdout)

	// The backend is in InitWait and nothing answers the close request:
	// removed after the timeout, with a warning.
	r = runXgo(t, testDeps(t), sim, "vsnd-detach", "domu1", "0", "--timeout=100ms", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"outcome": "timeout"`) ||
		r.stderr != "xgo: warning: no end of vsnd device 0 of domain 'domu1' (1) closed within 100ms (frontend Initialised, backend Closing); removed it anyway, as libxl does\n" {
		t.Errorf("detach: %+v", r)
	}
	if simTree(t, state) != pristine {
		t.Error("detach left nodes")
	}
}
