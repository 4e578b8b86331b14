package sound_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/internal/vsndfront"
	"xgo.dev/xgo/sound"
	"xgo.dev/xgo/xenstore/xenbus"
)

// TestProvisionEndToEnd is the whole life of a card on the simulated
// host: attach, a fake backend moves to InitWait, the simulated Linux
// frontend publishes its rings, List shows them, both ends connect, and
// detach closes the device with the backend and removes every node.
func TestProvisionEndToEnd(t *testing.T) {
	t.Parallel()
	for _, conflicts := range []int{0, 20} {
		h := newHost(t)
		ctx := ctxT(t)
		before := h.tree(t, "/")
		f := h.startFrontend(t, 1, nil)

		h.sim.FailNextCommits(conflicts)
		a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
		if err != nil {
			t.Fatal(err)
		}
		if a.Attempts != conflicts+1 {
			t.Errorf("attach: %d attempts, want %d", a.Attempts, conflicts+1)
		}
		if _, err := f.WaitFor(ctx, 0, func(d vsndfront.Device) bool { return d.Events > 0 }); err != nil {
			t.Fatal(err)
		}

		be := h.backend(t, 0, a.BackendPath)
		h.sim.FailNextCommits(conflicts) // now for the frontend's publishing
		be.set(xenbus.InitWait)
		d, err := f.WaitState(ctx, 0, xenbus.Initialised)
		if err != nil {
			t.Fatal(err)
		}
		if d.Publishes != 1 || d.Attempts != conflicts+1 || h.sim.PendingCommitFailures() != 0 {
			t.Errorf("publishing: %d publishes in %d attempts, %d conflicts left; want 1, %d, 0", d.Publishes, d.Attempts, h.sim.PendingCommitFailures(), conflicts+1)
		}
		if len(d.Channels) != 3 {
			t.Fatalf("%d stream channels, want 3", len(d.Channels))
		}
		// The frontend read the card xgo wrote: f32_le arrived as
		// float_le, which Linux understands.
		if got := strings.Join(d.PCMs[0].HW.Formats, ","); got != "s16_le,float_le" {
			t.Errorf("formats the frontend took: %s", got)
		}

		dom, devs, err := h.m.List(ctx, "domu1")
		if err != nil {
			t.Fatal(err)
		}
		if dom.ID != 1 || len(devs) != 1 {
			t.Fatalf("list: %+v %+v", dom, devs)
		}
		dev := devs[0]
		if dev.Frontend.State != xenbus.Initialised || dev.Backend.State != xenbus.InitWait || !dev.Libxl || len(dev.Problems) != 0 {
			t.Errorf("listed %+v", dev)
		}
		byPath := map[string]sound.Transport{}
		for i := range dev.Streams {
			for j := range dev.Streams[i] {
				byPath[fmt.Sprintf("%s/%d/%d", a.FrontendPath, i, j)] = dev.Streams[i][j].Transport
			}
		}
		for _, c := range d.Channels {
			tr := byPath[c.Stream.Path]
			if !tr.Published() || *tr.RingRef != c.Req.Ref || *tr.EventChannel != c.Req.Port || *tr.EvtRingRef != c.Evt.Ref || *tr.EvtEventChannel != c.Evt.Port {
				t.Errorf("stream %s: listed %+v, frontend published %+v", c.Stream.Path, tr, c)
			}
		}

		be.set(xenbus.Connected)
		res, err := h.m.WaitConnected(ctx, a, 5*time.Second)
		if err != nil || res.Outcome != sound.OutcomeConnected {
			t.Fatalf("wait: %+v, %v", res, err)
		}

		be.follow(t)
		det, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 0, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if det.Handshake.Outcome != sound.OutcomeDone || det.Handshake.Backend != xenbus.Closed {
			t.Errorf("handshake %+v", det.Handshake)
		}
		if _, err := f.WaitFor(ctx, 0, func(d vsndfront.Device) bool { return d.Removed }); err != nil {
			t.Error(err)
		}
		if after := h.tree(t, "/"); after != before {
			t.Errorf("detach left:\n%s\nand removed:\n%s", strings.Join(diffLines(before, after), "\n"), strings.Join(diffLines(after, before), "\n"))
		}
	}
}

// TestCloseHandshakeWithFrontend uses a frontend that answers Closing
// with Closed (the generic xenbus convention) and no backend process:
// the handshake ends on the frontend's Closed.
func TestCloseHandshakeWithFrontend(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	f := h.startFrontend(t, 1, &vsndfront.Options{CloseOnClosing: true})
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitFor(ctx, 0, func(d vsndfront.Device) bool { return d.Events > 0 }); err != nil {
		t.Fatal(err)
	}
	h.backend(t, 0, a.BackendPath).set(xenbus.InitWait)
	if _, err := f.WaitState(ctx, 0, xenbus.Initialised); err != nil {
		t.Fatal(err)
	}
	det, err := h.m.Detach(ctx, sound.DetachRequest{Domain: "domu1", DevID: 0, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if det.Handshake.Outcome != sound.OutcomeDone || det.Handshake.Frontend != xenbus.Closed {
		t.Errorf("handshake %+v", det.Handshake)
	}
	if len(det.Changes) < 2 || det.Changes[0].Path != a.BackendPath+"/online" || det.Changes[1].Value != "5" {
		t.Errorf("changes %+v", det.Changes)
	}
}

// TestWaitNoBackend: nothing answers; the wait says so and Undo leaves
// the tree as it was.
func TestWaitNoBackend(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	before := h.tree(t, "/")
	h.startFrontend(t, 1, nil) // a guest with the driver, but no backend
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.m.WaitConnected(ctx, a, 150*time.Millisecond)
	if !errors.Is(err, sound.ErrNoBackend) || res.Outcome != sound.OutcomeNoBackend || res.Backend != xenbus.Initialising {
		t.Fatalf("wait: %+v, %v", res, err)
	}
	if !strings.Contains(err.Error(), "no backend answered within 150ms (backend Initialising, frontend Initialising)") {
		t.Errorf("message: %v", err)
	}
	if err := h.m.Undo(ctx, a); err != nil {
		t.Fatal(err)
	}
	if h.tree(t, "/") != before {
		t.Errorf("undo left nodes")
	}
}

// TestWaitTimeoutWithBackend: the backend answered but the guest has no
// frontend driver.
func TestWaitTimeoutWithBackend(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	h.backend(t, 0, a.BackendPath).set(xenbus.InitWait)
	res, err := h.m.WaitConnected(ctx, a, 100*time.Millisecond)
	if !errors.Is(err, sound.ErrNotConnected) || res.Outcome != sound.OutcomeTimeout {
		t.Fatalf("wait: %+v, %v", res, err)
	}
}

// TestFrontendRefusal: a card the Linux frontend refuses (written behind
// xgo's back: a stream lost its type) makes the wait fail with the
// frontend's own message.
func TestFrontendRefusal(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	ctx := ctxT(t)
	f := h.startFrontend(t, 1, nil)
	a, err := h.m.Attach(ctx, sound.AttachRequest{Domain: "domu1", Card: mustCard(t, card2x3...)})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.xs.Rm(ctx, a.FrontendPath+"/1/0/type"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WaitFor(ctx, 0, func(d vsndfront.Device) bool { return d.Events > 0 }); err != nil {
		t.Fatal(err)
	}
	h.backend(t, 0, a.BackendPath).set(xenbus.InitWait)
	res, err := h.m.WaitConnected(ctx, a, 5*time.Second)
	if !errors.Is(err, sound.ErrNotConnected) || res.Outcome != sound.OutcomeClosed || res.Frontend != xenbus.Closing {
		t.Fatalf("wait: %+v, %v", res, err)
	}
	if res.Error != "2 initializing frontend" || !strings.Contains(err.Error(), `the frontend reported "2 initializing frontend"`) {
		t.Errorf("frontend error %q in %v", res.Error, err)
	}
}
