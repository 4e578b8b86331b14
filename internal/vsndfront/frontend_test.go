package vsndfront_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"xgo.dev/xgo/internal/vsndfront"
	"xgo.dev/xgo/xensim"
	"xgo.dev/xgo/xenstore"
	"xgo.dev/xgo/xenstore/xenbus"
)

const (
	fe   = "/local/domain/1/device/vsnd/0"
	be   = "/local/domain/0/backend/vsnd/1/0"
	errN = "/local/domain/1/error/device/vsnd/0/error"
)

type rig struct {
	t   *testing.T
	sim *xensim.Sim
	xs  *xenstore.Conn // dom0
	f   *vsndfront.Frontend
	ctx context.Context
}

// newRig boots the default simulated host and runs a frontend for domu1
// (domid 1).
func newRig(t *testing.T, opts *vsndfront.Options) *rig {
	t.Helper()
	s, err := xensim.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Discard() })
	xs, err := s.XenStore()
	if err != nil {
		t.Fatal(err)
	}
	guest, err := s.XenStoreAs(1)
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &vsndfront.Options{}
	}
	opts.RemoveTimeout = 20 * time.Millisecond
	f := vsndfront.New(guest, 1, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &rig{t: t, sim: s, xs: xs, f: f, ctx: ctx}
}

// provision writes a device as a toolstack does, with the given
// configuration nodes (relative to the frontend directory), in one
// transaction.
func (r *rig) provision(config map[string]string) {
	r.t.Helper()
	r.provisionWith(be, config)
	// Let the frontend handle the watch's first event before the
	// backend moves.
	if _, err := r.f.WaitFor(r.ctx, 0, func(d vsndfront.Device) bool { return d.Events > 0 || d.Err != "" }); err != nil {
		r.t.Fatal(err)
	}
}

// provisionWith writes the device with backend node bePath (the backend
// directory is made at be whatever bePath says).
func (r *rig) provisionWith(bePath string, config map[string]string) {
	r.t.Helper()
	perms := func(owner, reader uint32) xenstore.Perms {
		return xenstore.Perms{{Access: xenstore.AccessNone, Domain: owner}, {Access: xenstore.AccessRead, Domain: reader}}
	}
	err := r.xs.Transact(r.ctx, func(tx *xenstore.Tx) error {
		steps := []error{
			tx.Mkdir(r.ctx, be), tx.SetPerms(r.ctx, be, perms(0, 1)),
			tx.Write(r.ctx, be+"/state", []byte("1")),
			tx.Mkdir(r.ctx, fe), tx.SetPerms(r.ctx, fe, perms(1, 0)),
			tx.Write(r.ctx, fe+"/backend", []byte(bePath)),
			tx.Write(r.ctx, fe+"/backend-id", []byte("0")),
			tx.Write(r.ctx, fe+"/state", []byte("1")),
		}
		for k, v := range config {
			steps = append(steps, tx.Write(r.ctx, fe+"/"+k, []byte(v)))
		}
		for _, err := range steps {
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) backend(s xenbus.State) {
	r.t.Helper()
	if err := r.xs.Write(r.ctx, be+"/state", []byte(strconv.Itoa(int(s)))); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) read(path string) string {
	v, err := r.xs.Read(r.ctx, path)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(v)
}

func (r *rig) wait(cond func(vsndfront.Device) bool) vsndfront.Device {
	r.t.Helper()
	d, err := r.f.WaitFor(r.ctx, 0, cond)
	if err != nil {
		r.t.Fatal(err)
	}
	return d
}

var oneStream = map[string]string{"0/0/type": "p", "0/0/unique-id": "a"}

// TestRefusals: what Linux's frontend refuses, with the errno it writes.
func TestRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		config map[string]string
		want   string
	}{
		{"no PCM device", map[string]string{"short-name": "x"}, "19 initializing frontend"},
		{"PCM device 1 without 0", map[string]string{"1/0/type": "p"}, "19 initializing frontend"},
		{"stream without type", map[string]string{"0/0/unique-id": "a"}, "2 initializing frontend"},
		{"type neither p nor c", map[string]string{"0/0/type": "play"}, "22 initializing frontend"},
		{"second stream's type wrong", map[string]string{"0/0/type": "p", "0/1/type": "x"}, "22 initializing frontend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, nil)
			r.provision(tt.config)
			r.backend(xenbus.InitWait)
			d := r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Closing })
			if d.Err != tt.want || r.read(errN) != tt.want || r.read(fe+"/state") != "5" {
				t.Errorf("error %q, node %q, state %s; want %q", d.Err, r.read(errN), r.read(fe+"/state"), tt.want)
			}
			if len(d.Channels) != 0 || !strings.HasPrefix(r.read(fe+"/0/0/ring-ref"), "<") {
				t.Errorf("published after a refusal: %v %q", d.Channels, r.read(fe+"/0/0/ring-ref"))
			}
		})
	}
}

// TestWhatLinuxIgnores: unknown rates and formats, streams past the
// eighth, PCMs past the eighth, a channel minimum above the maximum.
func TestWhatLinuxIgnores(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	cfg := map[string]string{
		"sample-rates":       "44100,12345,8000",
		"sample-formats":     "f32_le,S16_LE,float_le",
		"channels-min":       "4",
		"channels-max":       "2",
		"buffer-size":        "12x",    // "%u" reads 12
		"0/sample-formats":   "f64_le", // nothing known: the card's stay
		"0/sample-rates":     "48000",
		"0/0/channels-max":   "6",
		"0/0/buffer-size":    "junk",
		"0/0/sample-rates":   " 44100", // strncasecmp: the space counts
		"0/0/sample-formats": "u8",
	}
	for s := range 9 {
		cfg[fmt.Sprintf("0/%d/type", s)] = "P"
	}
	for p := 1; p < 10; p++ {
		cfg[fmt.Sprintf("%d/0/type", p)] = "c"
	}
	r.provision(cfg)
	r.backend(xenbus.InitWait)
	d := r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Initialised })
	if got := fmt.Sprint(d.Card.Rates, d.Card.RateMin, d.Card.RateMax, d.Card.Formats, d.Card.ChannelsMin, d.Card.ChannelsMax, d.Card.BufferBytesMax); got != "[8000 44100] 8000 44100 [s16_le float_le] 2 2 12" {
		t.Errorf("card: %s", got)
	}
	p0 := d.PCMs[0]
	if got := fmt.Sprint(p0.HW.Rates, p0.HW.Formats, len(p0.Streams)); got != "[48000] [s16_le float_le] 8" {
		t.Errorf("pcm 0: %s", got)
	}
	s0 := p0.Streams[0].HW
	if got := fmt.Sprint(s0.Rates, s0.Formats, s0.ChannelsMin, s0.ChannelsMax, s0.BufferBytesMax); got != "[48000] [u8] 2 6 12" {
		t.Errorf("stream 0: %s", got)
	}
	if len(d.PCMs) != 8 || len(d.Channels) != 15 {
		t.Errorf("%d PCMs, %d streams with channels; want 8, 15", len(d.PCMs), len(d.Channels))
	}
	if r.read(fe + "/0/8/ring-ref")[0] != '<' || r.read(fe + "/8/0/ring-ref")[0] != '<' {
		t.Error("published for a stream or PCM Linux does not count")
	}
}

// TestDefaults: a card that sets nothing gets SND_DRV_PCM_HW_DEFAULT.
func TestDefaults(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.provision(oneStream)
	r.backend(xenbus.InitWait)
	d := r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Initialised })
	hw := d.PCMs[0].Streams[0].HW
	if got := fmt.Sprint(hw.Rates == nil, hw.RateMin, hw.RateMax, hw.Formats, hw.ChannelsMin, hw.ChannelsMax, hw.BufferBytesMax); got != "true 5512 48000 [u8 s16_le] 1 2 65536" {
		t.Errorf("defaults: %s", got)
	}
}

// TestPublishing checks the order of allocation (per PCM playback, then
// capture; request channel, then event channel), the values published,
// and the whole life: Connected, backend Closed, InitWait again, removal.
func TestPublishing(t *testing.T) {
	t.Parallel()
	r := newRig(t, &vsndfront.Options{FirstGrant: 100, FirstPort: 20})
	r.provision(map[string]string{
		"0/0/type": "c", "0/1/type": "p", "1/0/type": "p",
	})
	r.sim.FailNextCommits(20)
	r.backend(xenbus.InitWait)
	d := r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Initialised })
	if d.Publishes != 1 || d.Attempts != 21 {
		t.Errorf("%d publishes in %d attempts, want 1 in 21", d.Publishes, d.Attempts)
	}
	var got []string
	for _, c := range d.Channels {
		got = append(got, fmt.Sprintf("%s#%d:%d/%d,%d/%d", c.Stream.Path[len(fe)+1:], c.Stream.Index, c.Req.Ref, c.Req.Port, c.Evt.Ref, c.Evt.Port))
	}
	want := "0/1#1:100/20,101/21 0/0#0:102/22,103/23 1/0#2:104/24,105/25"
	if strings.Join(got, " ") != want {
		t.Errorf("channels\n got  %s\n want %s", strings.Join(got, " "), want)
	}
	for _, c := range d.Channels {
		for k, v := range map[string]uint32{"ring-ref": c.Req.Ref, "event-channel": c.Req.Port, "evt-ring-ref": c.Evt.Ref, "evt-event-channel": c.Evt.Port} {
			if r.read(c.Stream.Path+"/"+k) != strconv.Itoa(int(v)) {
				t.Errorf("%s/%s = %q, want %d", c.Stream.Path, k, r.read(c.Stream.Path+"/"+k), v)
			}
		}
	}
	// Connected only after the backend.
	r.backend(xenbus.Connected)
	r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Connected })
	// snd-xen-front ignores Closing ...
	r.backend(xenbus.Closing)
	d = r.wait(func(d vsndfront.Device) bool { return d.Events >= 4 })
	if d.State != xenbus.Connected || len(d.Channels) != 3 {
		t.Errorf("after Closing: %s, %d channels", d.State, len(d.Channels))
	}
	// ... and on Closed frees everything and starts over.
	r.backend(xenbus.Closed)
	d = r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Initialising })
	if len(d.Channels) != 0 {
		t.Errorf("channels kept after the backend closed: %v", d.Channels)
	}
	// Linux 6.1 closes every port twice and reports the second close;
	// the last port of the last stream by index stays.
	if got := r.read(errN); got != "22 freeing event channel 25" {
		t.Errorf("error node after freeing: %q", got)
	}
	r.backend(xenbus.InitWait)
	d = r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Initialised })
	if d.Channels[0].Req.Ref != 100 || d.Publishes != 2 {
		t.Errorf("reconnect: %+v", d)
	}
	// The toolstack removes the device: the frontend lets go and does
	// not bring the state node back.
	if err := r.xs.Rm(r.ctx, fe); err != nil {
		t.Fatal(err)
	}
	r.wait(func(d vsndfront.Device) bool { return d.Removed })
	if v := r.read(fe + "/state"); v[0] != '<' {
		t.Errorf("state node written after removal: %q", v)
	}
}

func TestCloseOnClosing(t *testing.T) {
	t.Parallel()
	r := newRig(t, &vsndfront.Options{CloseOnClosing: true})
	r.provision(oneStream)
	r.backend(xenbus.InitWait)
	r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Initialised })
	r.backend(xenbus.Closing)
	d := r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Closed })
	if len(d.Channels) != 0 || r.read(fe+"/state") != "6" {
		t.Errorf("closed: %+v, state %s", d, r.read(fe+"/state"))
	}
}

// TestProbe: a device not in Initialising is not taken; one whose backend
// directory is missing is refused as Linux's talk_to_otherend does.
func TestProbe(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	if err := r.xs.Write(r.ctx, "/local/domain/1/device/vsnd/4/state", []byte("6")); err != nil {
		t.Fatal(err)
	}
	r.provisionWith("/local/domain/0/backend/vsnd/1/9", oneStream)
	d := r.wait(func(d vsndfront.Device) bool { return d.State == xenbus.Closing })
	if d.Err != "2 unable to read other end from "+fe+".  missing or inaccessible." || r.read(fe+"/state") != "5" {
		t.Errorf("probe: %q, state %s", d.Err, r.read(fe+"/state"))
	}
	if _, ok := r.f.Device(4); ok {
		t.Error("a device in Closed was probed")
	}
}
