package sound_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore/xenbus"
)

func TestDetach(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	before := h.tree(t, "/")
	card := mustCard(t, card2x3...)
	for range 2 {
		if _, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: card}); err != nil {
			t.Fatal(err)
		}
	}
	one := h.tree(t, "/")

	// Unknown device and domain.
	_, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 3})
	if !errors.Is(err, sound.ErrNotFound) || err.Error() != "domain 'domu1' (1) has no vsnd device 3" {
		t.Errorf("unknown device: %v", err)
	}
	if _, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "nosuch", DevID: 0}); !errors.Is(err, sound.ErrNotFound) {
		t.Errorf("unknown domain: %v", err)
	}

	// A dry run says what would go and changes nothing.
	d, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 1, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, c := range d.Changes {
		paths = append(paths, c.Op+" "+c.Path)
	}
	want := "rm /local/domain/1/device/vsnd/1 rm /local/domain/0/backend/vsnd/1/1 rm /libxl/1/device/vsnd/1"
	if strings.Join(paths, " ") != want || d.Handshake.Outcome != sound.OutcomeSkipped {
		t.Errorf("dry run: %q, handshake %s", paths, d.Handshake.Outcome)
	}
	if h.tree(t, "/") != one {
		t.Fatal("the dry run changed the tree")
	}

	// Neither end ever started: no handshake. The last device also
	// takes the directories above it.
	if _, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 1}); err != nil {
		t.Fatal(err)
	}
	d, err = h.m.Detach(ctx, sound.DetachRequest{Domain: "1", DevID: 0, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	paths = nil
	for _, c := range d.Changes {
		paths = append(paths, c.Path)
	}
	// backend stays: the console's backend is in it.
	want = "/local/domain/1/device/vsnd/0 /local/domain/0/backend/vsnd/1/0 /libxl/1/device/vsnd/0 /libxl/1/device/vsnd /local/domain/1/device/vsnd /local/domain/0/backend/vsnd/1 /local/domain/0/backend/vsnd"
	if strings.Join(paths, " ") != want {
		t.Errorf("last device, dry run:\n got  %s\n want %s", strings.Join(paths, " "), want)
	}
	if _, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "1", DevID: 0}); err != nil {
		t.Fatal(err)
	}
	if after := h.tree(t, "/"); after != before {
		t.Errorf("detach left:\n%s", strings.Join(diffLines(before, after), "\n"))
	}
}

// TestDetachHandshakeTimeout: the backend is up (InitWait) but nobody
// answers the close request; the device is removed anyway after the
// timeout, as libxl does.
func TestDetachHandshakeTimeout(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	h.backend(t, 0, a.BackendPath).set(xenbus.InitWait)
	start := time.Now()
	d, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 0, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if d.Handshake.Outcome != sound.OutcomeTimeout || d.Handshake.Backend != xenbus.Closing || time.Since(start) < 100*time.Millisecond {
		t.Errorf("handshake %+v", d.Handshake)
	}
	if h.tree(t, a.FrontendPath) != "" || h.tree(t, a.BackendPath) != "" || h.tree(t, a.LibxlPath) != "" {
		t.Error("the device is still there")
	}

	// --force skips the handshake altogether.
	a, _ = h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	h.backend(t, 0, a.BackendPath).set(xenbus.Connected)
	start = time.Now()
	d, err = h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 0, Force: true, Timeout: time.Minute})
	if err != nil || d.Handshake.Outcome != sound.OutcomeForced || time.Since(start) > 5*time.Second {
		t.Errorf("force: %+v, %v", d, err)
	}
}

// TestDetachTrustsOnlyDom0 lets the guest point its frontend's backend
// node at another directory: detach removes the device's real backend
// directory (from libxl's record), never the one the guest named.
func TestDetachTrustsOnlyDom0(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	victim := "/local/domain/0/backend/vbd/1/51712"
	if err := h.xs.Write(ctx, victim+"/state", []byte("4")); err != nil {
		t.Fatal(err)
	}
	guest, err := h.sim.XenStoreAs(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := guest.Write(ctx, a.FrontendPath+"/backend", []byte(victim)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 0}); err != nil {
		t.Fatal(err)
	}
	if h.tree(t, victim) == "" {
		t.Error("detach removed the directory the guest named")
	}
	if h.tree(t, a.BackendPath) != "" {
		t.Error("detach left the device's backend directory")
	}

	// Without libxl's record only a backend node naming this device's
	// own vsnd directory is believed.
	a, _ = h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err := h.xs.Rm(ctx, a.LibxlPath); err != nil {
		t.Fatal(err)
	}
	if err := guest.Write(ctx, a.FrontendPath+"/backend", []byte(victim)); err != nil {
		t.Fatal(err)
	}
	d, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 0})
	if err != nil {
		t.Fatal(err)
	}
	if d.BackendPath != "" || h.tree(t, victim) == "" || h.tree(t, a.FrontendPath) != "" {
		t.Errorf("backend %q; victim kept: %v", d.BackendPath, h.tree(t, victim) != "")
	}
}

// TestDetachGoneDomain cleans up the nodes of a domain that no longer
// exists, by its id.
func TestDetachGoneDomain(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	before := h.tree(t, "/")
	for p, v := range map[string]string{
		"/libxl/7/device/vsnd/0/backend":             "/local/domain/0/backend/vsnd/7/0",
		"/local/domain/0/backend/vsnd/7/0/state":     "6",
		"/local/domain/7/device/vsnd/0/state":        "6",
		"/local/domain/7/device/vsnd/0/backend-id":   "0",
		"/local/domain/0/backend/vsnd/7/0/frontend":  "/local/domain/7/device/vsnd/0",
		"/local/domain/0/backend/vsnd/7/0/frontend2": "x",
	} {
		if err := h.xs.Write(ctx, p, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "7", DevID: 0}); err != nil {
		t.Fatal(err)
	}
	// Left: the parents a domain's creation would have made.
	left := diffLines(before, h.tree(t, "/"))
	slices.Sort(left)
	want := []string{`/libxl/7 (n0) ""`, `/libxl/7/device (n0) ""`, `/local/domain/7 (n0) ""`, `/local/domain/7/device (n0) ""`}
	if strings.Join(left, "|") != strings.Join(want, "|") {
		t.Errorf("left %q", left)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	if _, devs, err := h.m.List(ctx, "domu2"); err != nil || len(devs) != 0 {
		t.Errorf("empty list: %v %v", devs, err)
	}
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	// A card as xl writes it (f32_le) and one without libxl's record
	// whose nodes make no sense.
	for p, v := range map[string]string{
		"/local/domain/1/device/vsnd/3/backend":               "/local/domain/0/backend/vsnd/1/3",
		"/local/domain/1/device/vsnd/3/state":                 "3",
		"/local/domain/1/device/vsnd/3/sample-formats":        "f32_le,s16_le",
		"/local/domain/1/device/vsnd/3/sample-rates":          "44100,fast",
		"/local/domain/1/device/vsnd/3/0/0/type":              "p",
		"/local/domain/1/device/vsnd/3/0/0/ring-ref":          "12x",
		"/local/domain/1/device/vsnd/3/0/2/type":              "c", // after a gap: not read
		"/local/domain/0/backend/vsnd/1/3/state":              "2",
		"/local/domain/1/device/vsnd/3/0/0/evt-ring-ref":      "9",
		"/local/domain/1/device/vsnd/3/0/0/channels-max":      "two",
		"/local/domain/1/device/vsnd/3/0/0/unique-id":         "u",
		"/local/domain/1/device/vsnd/3/0/0/evt-event-channel": "11",
	} {
		if err := h.xs.Write(ctx, p, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	dom, devs, err := h.m.List(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	if dom.Name != "domu1" || len(devs) != 2 || devs[0].DevID != 0 || devs[1].DevID != 3 {
		t.Fatalf("list %+v", devs)
	}
	d0 := devs[0]
	if !d0.Libxl || d0.Backend.Path != a.BackendPath || d0.Backend.Domain.Name != "Domain-0" || d0.Frontend.State != xenbus.Initialising || !d0.Backend.HasState {
		t.Errorf("device 0: %+v", d0)
	}
	if !sameCard(&d0.Card, mustCard(t, card2x3...)) {
		t.Errorf("card read back: %+v", d0.Card)
	}
	d3 := devs[1]
	if d3.Libxl || d3.Frontend.State != xenbus.Initialised || d3.Backend.State != xenbus.InitWait {
		t.Errorf("device 3: %+v", d3)
	}
	if len(d3.Card.PCMs) != 1 || len(d3.Card.PCMs[0].Streams) != 1 || strings.Join(d3.Card.SampleFormats, ",") != "f32_le,s16_le" {
		t.Errorf("device 3 card: %+v", d3.Card)
	}
	tr := d3.Streams[0][0].Transport
	if tr.RingRef != nil || tr.EventChannel != nil || *tr.EvtRingRef != 9 || *tr.EvtEventChannel != 11 || tr.Published() {
		t.Errorf("device 3 transport %+v", tr)
	}
	problems := strings.Join(d3.Problems, "\n")
	for _, want := range []string{`card: sample-rates: not a rate: "fast"`, `pcm 0 stream 0: channels-max: "two" is not a number`, `pcm 0 stream 0: ring-ref: "12x" is not a number`} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
}
