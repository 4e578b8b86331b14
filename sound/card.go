package sound

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"xgo.dev/xgo/sound/route"
)

// This file holds the card model (pure data) and the rules a card must
// follow before anything is written to XenStore. The names and limits are
// those of Xen's public header io/sndif.h (XENSND_FIELD_*, XENSND_PCM_*)
// and of the consumer that decides what works in practice, Linux's
// snd-xen-front (sound/xen/xen_snd_front_cfg.c).

// XenStore keys of the vsnd protocol (sndif.h XENSND_FIELD_*).
const (
	KeyShortName     = "short-name"
	KeyLongName      = "long-name"
	KeyName          = "name"
	KeyType          = "type"
	KeyUniqueID      = "unique-id"
	KeyChannelsMin   = "channels-min"
	KeyChannelsMax   = "channels-max"
	KeySampleRates   = "sample-rates"
	KeySampleFormats = "sample-formats"
	KeyBufferSize    = "buffer-size"
	KeyRingRef       = "ring-ref"
	KeyEventChannel  = "event-channel"
	KeyEvtRingRef    = "evt-ring-ref"
	KeyEvtEventChan  = "evt-event-channel"
)

// Limits of a card.
const (
	MaxPCMs          = 8    // Linux counts PCM devices 0..SNDRV_PCM_DEVICES-1 and ignores the rest
	MaxStreams       = 8    // per PCM: Linux's VSND_MAX_STREAM; more are ignored
	MaxShortName     = 32   // sndif: short-name is char[32]
	MaxLongName      = 80   // sndif: long-name is char[80]
	MaxPCMName       = 80   // sndif: a PCM's name is char[80]
	MaxUniqueID      = 1024 // xgo's own bound: the node must fit a guest's node-size quota
	MaxChannels      = 255  // sndif: channels-min/-max are uint8_t
	maxFormatNameLen = 24   // sndif XENSND_SAMPLE_FORMAT_MAX_LEN
)

// SampleRates are the rates Linux's frontend recognises
// (CFG_HW_SUPPORTED_RATES); it silently drops any other, so xgo refuses
// them. sndif itself only says "decimal uint32".
var SampleRates = []uint32{5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000}

// SampleFormats are sndif's format names (XENSND_PCM_FORMAT_*_STR), in
// the order of their numbers XENSND_PCM_FORMAT_S8 (0) to _GSM (24).
var SampleFormats = []string{
	"s8", "u8", "s16_le", "s16_be", "u16_le", "u16_be", "s24_le", "s24_be",
	"u24_le", "u24_be", "s32_le", "s32_be", "u32_le", "u32_be",
	"float_le", "float_be", "float64_le", "float64_be",
	"iec958_subframe_le", "iec958_subframe_be", "mu_law", "a_law",
	"ima_adpcm", "mpeg", "gsm",
}

// xlFormats are the names libxl's enum gives the float formats (F32_LE
// ... F64_BE). xl accepts only these and writes them to XenStore as they
// are, where Linux's frontend, which compares with sndif's names, ignores
// them. xgo accepts both spellings and always writes sndif's.
var xlFormats = map[string]string{
	"f32_le": "float_le",
	"f32_be": "float_be",
	"f64_le": "float64_le",
	"f64_be": "float64_be",
}

// CanonicalFormat returns sndif's name for a format given in either
// spelling (any case), and whether it is one.
func CanonicalFormat(name string) (string, bool) {
	n := strings.ToLower(name)
	if c, ok := xlFormats[n]; ok {
		return c, true
	}
	if slices.Contains(SampleFormats, n) {
		return n, true
	}
	return "", false
}

// XlFormatName returns the name xl and libxl use for a sndif format
// ("float_le" → "f32_le"); other names are the same in both.
func XlFormatName(sndif string) string {
	for xl, s := range xlFormats {
		if s == sndif {
			return xl
		}
	}
	return sndif
}

// StreamType is a stream's direction as sndif spells it.
type StreamType string

// Stream types (XENSND_STREAM_TYPE_PLAYBACK, _CAPTURE).
const (
	Playback StreamType = "p"
	Capture  StreamType = "c"
)

// Params is the parameter set sndif lets a card, a PCM and a stream each
// define; a lower level inherits what it does not set. Zero values and
// empty lists mean "not set", and nothing is written for them (as libxl
// does).
type Params struct {
	SampleRates   []uint32 // Hz, each one of SampleRates
	SampleFormats []string // sndif or xl names; written as sndif's
	ChannelsMin   uint32   // 1..255
	ChannelsMax   uint32   // 1..255
	BufferSize    uint32   // bytes per stream, > 0
}

// IsZero reports whether p sets nothing.
func (p Params) IsZero() bool {
	return len(p.SampleRates) == 0 && len(p.SampleFormats) == 0 && p.ChannelsMin == 0 && p.ChannelsMax == 0 && p.BufferSize == 0
}

// Card is one virtual sound card: what xl.cfg's vsnd item list or a
// --file YAML describes.
type Card struct {
	// Backend names the backend domain (a name or an id); "" means the
	// caller's choice, normally dom0. It is not written as such: it
	// decides where the backend directory lives.
	Backend   string
	ShortName string
	LongName  string
	Params
	PCMs []PCM

	// sources maps an item ("pcm 1 stream 0"), or an item and key
	// joined by "/", to where it was given ("argument 3",
	// "card.yaml:12"), for messages.
	sources map[string]string
}

// PCM is one PCM device of a card.
type PCM struct {
	Name string
	Params
	Streams []Stream
}

// Stream is one playback or capture stream of a PCM device.
type Stream struct {
	UniqueID string
	Type     StreamType
	Params
}

// SpecError is one thing wrong with a card: the item (card, "pcm 1",
// "pcm 1 stream 0", or an argument of the item syntax), the key, and why.
// It matches ErrInvalid.
type SpecError struct {
	Item string
	Key  string // "" when the item itself is wrong
	Msg  string
}

func (e *SpecError) Error() string {
	s := e.Item
	if e.Key != "" {
		s += ": " + e.Key
	}
	return s + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *SpecError) Unwrap() error { return ErrInvalid }

// SpecErrors is every problem found in a card, in card order.
type SpecErrors []*SpecError

func (es SpecErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives each problem, so errors.As finds the first *SpecError and
// errors.Is(err, ErrInvalid) holds.
func (es SpecErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es SpecErrors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Item names used in errors.
const cardItem = "card"

func pcmItem(i int) string       { return "pcm " + strconv.Itoa(i) }
func streamItem(i, j int) string { return pcmItem(i) + " stream " + strconv.Itoa(j) }

// Validate checks the card against every rule: at least one and at most
// MaxPCMs PCMs, each with 1 to MaxStreams streams; each stream has a type
// (p or c) and a unique-id not used by another stream of the card; rates
// from SampleRates and formats by sndif's (or xl's) names, none twice;
// channels between 1 and 255 with the minimum not above the maximum,
// inheritance included; a positive buffer size; names within sndif's
// sizes; and no text XenStore or the item syntax cannot carry. It returns
// nil or SpecErrors.
func (c *Card) Validate() error {
	var es SpecErrors
	add := func(item, key, format string, args ...any) {
		es = append(es, &SpecError{Item: c.where(item, key), Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	text := func(item, key, v string, maxLen int, required bool) {
		if v == "" {
			if required {
				add(item, key, "missing")
			}
			return
		}
		if msg := checkText(v, maxLen); msg != "" {
			add(item, key, "%s", msg)
		}
	}
	text(cardItem, KeyShortName, c.ShortName, MaxShortName, false)
	text(cardItem, KeyLongName, c.LongName, MaxLongName, false)
	if c.Backend != "" {
		if msg := checkText(c.Backend, 64); msg != "" {
			add(cardItem, "backend", "%s", msg)
		}
	}
	checkParams(cardItem, c.Params, add)
	checkChannels(cardItem, []Params{c.Params}, add)
	switch {
	case len(c.PCMs) == 0:
		add(cardItem, "", "no PCM device: a card needs at least one (Linux's frontend refuses a card without one)")
	case len(c.PCMs) > MaxPCMs:
		add(cardItem, "", "%d PCM devices: at most %d (Linux's frontend ignores the rest)", len(c.PCMs), MaxPCMs)
	}
	ids := map[string]string{} // unique-id -> item that has it
	for i, p := range c.PCMs {
		item := pcmItem(i)
		text(item, KeyName, p.Name, MaxPCMName, false)
		checkParams(item, p.Params, add)
		checkChannels(item, []Params{c.Params, p.Params}, add)
		switch {
		case len(p.Streams) == 0:
			add(item, "", "no stream: a PCM device needs at least one")
		case len(p.Streams) > MaxStreams:
			add(item, "", "%d streams: at most %d per PCM device (Linux's frontend ignores the rest)", len(p.Streams), MaxStreams)
		}
		for j, s := range p.Streams {
			item := streamItem(i, j)
			switch {
			case s.Type == "":
				add(item, KeyType, "missing (want p or c; Linux's frontend refuses a stream without one)")
			case s.Type != Playback && s.Type != Capture:
				add(item, KeyType, "%q is not p or c", string(s.Type))
			}
			text(item, KeyUniqueID, s.UniqueID, MaxUniqueID, true)
			if _, err := route.Parse(s.UniqueID); err != nil {
				add(item, KeyUniqueID, "%v", err)
			}
			if s.UniqueID != "" {
				if other, dup := ids[s.UniqueID]; dup {
					add(item, KeyUniqueID, "%q is already the unique-id of %s", s.UniqueID, other)
				} else {
					ids[s.UniqueID] = item
				}
			}
			checkParams(item, s.Params, add)
			checkChannels(item, []Params{c.Params, p.Params, s.Params}, add)
		}
	}
	return es.err()
}

// where prefixes item with where it was given, if known.
func (c *Card) where(item, key string) string {
	if src, ok := c.sources[item+"/"+key]; ok {
		return src + ": " + item
	}
	if src, ok := c.sources[item]; ok {
		return src + ": " + item
	}
	return item
}

// checkText returns why v cannot be written, or "".
func checkText(v string, maxLen int) string {
	if len(v) > maxLen {
		return fmt.Sprintf("%d bytes, at most %d", len(v), maxLen)
	}
	if !utf8.ValidString(v) {
		return fmt.Sprintf("%q is not valid UTF-8", v)
	}
	for _, r := range v {
		switch {
		case r == ',':
			return fmt.Sprintf("%q has a comma, which the item syntax and sndif's lists use as separator", v)
		case r < 0x20 || r == 0x7f:
			return fmt.Sprintf("%q has a control character", v)
		}
	}
	if strings.TrimSpace(v) != v {
		return fmt.Sprintf("%q starts or ends with a space", v)
	}
	return ""
}

func checkParams(item string, p Params, add func(item, key, format string, args ...any)) {
	seenRate := map[uint32]bool{}
	for _, r := range p.SampleRates {
		switch {
		case !slices.Contains(SampleRates, r):
			add(item, KeySampleRates, "%d Hz is not a rate Linux's frontend knows (want one of %s)", r, rateList())
		case seenRate[r]:
			add(item, KeySampleRates, "%d given twice", r)
		}
		seenRate[r] = true
	}
	seenFmt := map[string]bool{}
	for _, f := range p.SampleFormats {
		c, ok := CanonicalFormat(f)
		switch {
		case !ok:
			add(item, KeySampleFormats, "unknown format %q (want one of %s; xl's f32_le, f32_be, f64_le, f64_be are accepted too)", f, strings.Join(SampleFormats, ", "))
		case seenFmt[c]:
			add(item, KeySampleFormats, "%q given twice", f)
		}
		seenFmt[c] = true
	}
	if p.ChannelsMin > MaxChannels {
		add(item, KeyChannelsMin, "%d is above %d", p.ChannelsMin, MaxChannels)
	}
	if p.ChannelsMax > MaxChannels {
		add(item, KeyChannelsMax, "%d is above %d", p.ChannelsMax, MaxChannels)
	}
}

// checkChannels checks the channel range of the last of levels (the
// card, then a PCM, then a stream): each bound is the level's own or the
// nearest one above it. Linux's frontend would silently lower a minimum
// above the maximum. A conflict is reported once, at the first level that
// sets a bound and ends up with min > max.
func checkChannels(item string, levels []Params, add func(item, key, format string, args ...any)) {
	own := levels[len(levels)-1]
	if own.ChannelsMin == 0 && own.ChannelsMax == 0 {
		return
	}
	lo, loUp := inherited(levels, func(p Params) uint32 { return p.ChannelsMin })
	hi, hiUp := inherited(levels, func(p Params) uint32 { return p.ChannelsMax })
	if lo == 0 || hi == 0 || lo <= hi {
		return
	}
	if loUp == 0 {
		add(item, KeyChannelsMin, "%d is above channels-max %d%s", lo, hi, levelName(hiUp, len(levels)))
		return
	}
	add(item, KeyChannelsMax, "%d is below channels-min %d%s", hi, lo, levelName(loUp, len(levels)))
}

// inherited returns the value of the last level that sets it and how many
// levels above the last that is.
func inherited(levels []Params, get func(Params) uint32) (uint32, int) {
	for i := len(levels) - 1; i >= 0; i-- {
		if v := get(levels[i]); v != 0 {
			return v, len(levels) - 1 - i
		}
	}
	return 0, 0
}

func levelName(up, depth int) string {
	switch {
	case up == 0:
		return ""
	case up == depth-1:
		return " (inherited from the card)"
	}
	return " (inherited from the PCM)"
}

func rateList() string {
	s := make([]string, len(SampleRates))
	for i, r := range SampleRates {
		s[i] = strconv.FormatUint(uint64(r), 10)
	}
	return strings.Join(s, ", ")
}
