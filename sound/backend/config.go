package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"xgo.dev/xgo/sound/sndif"
	"xgo.dev/xgo/xenstore"
)

// Limits the backend puts on what a guest asks for. The frontend
// directory belongs to the guest, so its configuration is a request,
// not a promise: these bound it whatever it says.
const (
	// MaxBufferSize caps a stream's shared buffer (OPEN buffer_sz and
	// the buffer-size node): 16 MiB, 4096 pages, 5 directory pages.
	MaxBufferSize = 16 << 20
	// DefaultBufferSize is Linux's frontend default when no buffer-size
	// is configured (64 KiB).
	DefaultBufferSize = 64 << 10
	maxPCMs           = 8 // Linux's SNDRV_PCM_DEVICES bound in the frontend
	maxStreams        = 8 // per PCM (VSND_MAX_STREAM)
)

// linuxRates are the rates Linux's frontend understands (it ignores the
// others), so they are the ones a stream can offer.
var linuxRates = []uint32{5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000}

// Params is sndif's parameter set after card → PCM → stream inheritance.
type Params struct {
	Rates       []uint32 // ascending
	Formats     sndif.FormatMask
	ChannelsMin uint32
	ChannelsMax uint32
	BufferSize  uint32
}

// StreamConfig is one stream of a device as the frontend configured it,
// with the transport it published.
type StreamConfig struct {
	PCM, Index int    // PCM device and stream index
	Path       string // the frontend's stream directory
	Capture    bool
	UniqueID   string
	Params     Params
	// Transport.
	RingRef, EventChannel, EvtRingRef, EvtEventChannel uint32
}

// Name is the stream as a message names it: "pcm 0 stream 1".
func (s StreamConfig) Name() string { return fmt.Sprintf("pcm %d stream %d", s.PCM, s.Index) }

func (s StreamConfig) String() string {
	t := "p"
	if s.Capture {
		t = "c"
	}
	return fmt.Sprintf("pcm%d-s%d(%s)", s.PCM, s.Index, t)
}

// defaultParams are Linux's frontend defaults (xen_snd_front_cfg.c):
// U8 and S16_LE, 5512–48000 Hz, 1–2 channels, 64 KiB.
func defaultParams() Params {
	var rates []uint32
	for _, r := range linuxRates {
		if r <= 48000 {
			rates = append(rates, r)
		}
	}
	return Params{Rates: rates, Formats: sndif.MaskOf(sndif.FormatU8, sndif.FormatS16LE), ChannelsMin: 1, ChannelsMax: 2, BufferSize: DefaultBufferSize}
}

type cfgReader struct {
	ctx  context.Context
	conn xenstore.Ops // a connection, or a transaction for one consistent view
}

// read returns a node's value, "" and false when it is missing.
func (r cfgReader) read(path string) (string, bool, error) {
	v, err := r.conn.Read(r.ctx, path)
	if errors.Is(err, xenstore.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return strings.TrimSpace(string(v)), true, nil
}

// params reads the parameter set at dir over inherited, as the
// frontend's cfg_read_pcm_hw does: each key present replaces the
// inherited value; unknown rates and formats are ignored; a channel
// minimum above the maximum is lowered to it.
func (r cfgReader) params(dir string, inherited Params) (Params, error) {
	p := inherited
	p.Rates = slices.Clone(inherited.Rates)
	if v, ok, err := r.read(dir + "/sample-rates"); err != nil {
		return p, err
	} else if ok {
		p.Rates = nil
		for _, item := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(item), 10, 32)
			if err == nil && slices.Contains(linuxRates, uint32(n)) && !slices.Contains(p.Rates, uint32(n)) {
				p.Rates = append(p.Rates, uint32(n))
			}
		}
		slices.Sort(p.Rates)
	}
	if v, ok, err := r.read(dir + "/sample-formats"); err != nil {
		return p, err
	} else if ok {
		p.Formats = 0
		for _, item := range strings.Split(v, ",") {
			if f, ok := sndif.ParseFormat(strings.TrimSpace(item)); ok {
				p.Formats |= sndif.MaskOf(f)
			}
		}
	}
	for _, k := range []struct {
		key string
		dst *uint32
		max uint64
	}{{"channels-min", &p.ChannelsMin, 255}, {"channels-max", &p.ChannelsMax, 255}, {"buffer-size", &p.BufferSize, 1<<32 - 1}} {
		v, ok, err := r.read(dir + "/" + k.key)
		if err != nil {
			return p, err
		}
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n > k.max {
			return p, fmt.Errorf("%s/%s: bad value %q", dir, k.key, v)
		}
		*k.dst = uint32(n)
	}
	if p.ChannelsMin > p.ChannelsMax {
		p.ChannelsMin = p.ChannelsMax
	}
	return p, nil
}

// readStreams reads every stream of the device at fe (the frontend's
// directory): PCM devices and streams counted from 0 while they exist,
// as Linux counts them.
func (r cfgReader) readStreams(fe string, transport bool) ([]StreamConfig, error) {
	card, err := r.params(fe, defaultParams())
	if err != nil {
		return nil, err
	}
	var out []StreamConfig
	for p := 0; p < maxPCMs; p++ {
		pdir := fe + "/" + strconv.Itoa(p)
		if _, err := r.conn.Directory(r.ctx, pdir); err != nil {
			if errors.Is(err, xenstore.ErrNotExist) {
				break
			}
			return nil, err
		}
		pcm, err := r.params(pdir, card)
		if err != nil {
			return nil, err
		}
		for s := 0; s < maxStreams; s++ {
			sdir := pdir + "/" + strconv.Itoa(s)
			typ, ok, err := r.read(sdir + "/type")
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			sc := StreamConfig{PCM: p, Index: s, Path: sdir}
			switch strings.ToLower(typ) {
			case "p":
			case "c":
				sc.Capture = true
			default:
				return nil, fmt.Errorf("%s/type: %q is neither p nor c", sdir, typ)
			}
			sc.UniqueID, _, err = r.read(sdir + "/unique-id")
			if err != nil {
				return nil, err
			}
			if sc.Params, err = r.params(sdir, pcm); err != nil {
				return nil, err
			}
			sc.Params.Formats &= SupportedFormats
			sc.Params.BufferSize = min(sc.Params.BufferSize, MaxBufferSize)
			if transport {
				for _, k := range []struct {
					key string
					dst *uint32
				}{{"ring-ref", &sc.RingRef}, {"event-channel", &sc.EventChannel}, {"evt-ring-ref", &sc.EvtRingRef}, {"evt-event-channel", &sc.EvtEventChannel}} {
					v, ok, err := r.read(sdir + "/" + k.key)
					if err != nil {
						return nil, err
					}
					n, perr := strconv.ParseUint(v, 10, 32)
					if !ok || perr != nil {
						return nil, fmt.Errorf("%s/%s: missing or not a number (%q)", sdir, k.key, v)
					}
					*k.dst = uint32(n)
				}
			}
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no PCM device with a stream", fe)
	}
	return out, nil
}

// recordDir is where, below a device's backend directory, xgo
// vsnd-attach records the admin's card (sound.RecordDir).
const recordDir = "card"

// errNotConfigured: the frontend shows a card the admin's record does
// not allow.
var errNotConfigured = errors.New("the frontend's card is not the one the admin configured")

// record reads the admin's record of the card at dir: nil when there is
// none.
func (r cfgReader) record(dir string) ([]StreamConfig, error) {
	if _, err := r.conn.Directory(r.ctx, dir); errors.Is(err, xenstore.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	rec, err := r.readStreams(dir, false)
	if err != nil {
		return nil, fmt.Errorf("the admin's record: %w", err)
	}
	return rec, nil
}

// bindToRecord checks the frontend's streams against the admin's record
// and gives each the record's unique-id: every stream must be one the
// record has, of the same type, with rates, formats, channels and
// buffer size within the record's. What the guest narrowed stays its
// choice. Without a record every stream gets the default route (an
// empty unique-id), whatever the frontend's unique-id says.
func bindToRecord(fe, rec []StreamConfig) error {
	if rec == nil {
		for i := range fe {
			fe[i].UniqueID = ""
		}
		return nil
	}
	byKey := map[[2]int]StreamConfig{}
	for _, r := range rec {
		byKey[[2]int{r.PCM, r.Index}] = r
	}
	var bad []string
	for i := range fe {
		f := &fe[i]
		r, ok := byKey[[2]int{f.PCM, f.Index}]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s is not in it", f.Name()))
			continue
		}
		switch {
		case f.Capture != r.Capture:
			bad = append(bad, fmt.Sprintf("%s changed its type", f.Name()))
		case slices.ContainsFunc(f.Params.Rates, func(x uint32) bool { return !slices.Contains(r.Params.Rates, x) }):
			bad = append(bad, fmt.Sprintf("%s offers rates beyond %v", f.Name(), r.Params.Rates))
		case f.Params.Formats&^r.Params.Formats != 0:
			bad = append(bad, fmt.Sprintf("%s offers formats beyond the admin's", f.Name()))
		case f.Params.ChannelsMin < r.Params.ChannelsMin || f.Params.ChannelsMax > r.Params.ChannelsMax:
			bad = append(bad, fmt.Sprintf("%s offers %d-%d channels, beyond %d-%d", f.Name(), f.Params.ChannelsMin, f.Params.ChannelsMax, r.Params.ChannelsMin, r.Params.ChannelsMax))
		case f.Params.BufferSize > r.Params.BufferSize:
			bad = append(bad, fmt.Sprintf("%s asks a buffer of %d bytes, beyond %d", f.Name(), f.Params.BufferSize, r.Params.BufferSize))
		}
		f.UniqueID = r.UniqueID
	}
	if len(bad) == 0 {
		return nil
	}
	if len(bad) > 3 {
		bad = append(bad[:3], fmt.Sprintf("and %d more", len(bad)-3))
	}
	return fmt.Errorf("%w: %s", errNotConfigured, strings.Join(bad, "; "))
}
