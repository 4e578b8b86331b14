package vsndfront

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"

	"xgo.dev/xgo/xenstore"
)

// This file reads a card's configuration the way Linux's
// sound/xen/xen_snd_front_cfg.c does (xen_snd_front_cfg_card and the
// functions it calls). It is deliberately independent of package sound:
// it rejects what Linux rejects and silently ignores what Linux ignores,
// whatever xgo's own validator thinks of it.

// sndif and Linux constants.
const (
	maxPCMs    = 8 // SNDRV_PCM_DEVICES: devices counted 0..7
	maxStreams = 8 // VSND_MAX_STREAM
	pageSize   = 4096
)

// supportedRates is CFG_HW_SUPPORTED_RATES, in its order.
var supportedRates = []uint32{5512, 8000, 11025, 16000, 22050, 32000, 44100, 48000, 64000, 96000, 176400, 192000}

// supportedFormats are sndif's XENSND_PCM_FORMAT_*_STR names Linux knows
// (all of them), in sndif's numbering order.
var supportedFormats = []string{
	"s8", "u8", "s16_le", "s16_be", "u16_le", "u16_be", "s24_le", "s24_be",
	"u24_le", "u24_be", "s32_le", "s32_be", "u32_le", "u32_be",
	"float_le", "float_be", "float64_le", "float64_be",
	"iec958_subframe_le", "iec958_subframe_be", "mu_law", "a_law",
	"ima_adpcm", "mpeg", "gsm",
}

// HW is the hardware description Linux builds for a card, a PCM device
// or a stream (struct snd_pcm_hardware, the fields the configuration
// sets).
type HW struct {
	Formats []string // sndif names, in sndif order
	// Rates are the discrete rates; nil means SND_DRV_PCM_HW_DEFAULT's
	// continuous range RateMin..RateMax.
	Rates            []uint32
	RateMin, RateMax uint32
	ChannelsMin      uint32
	ChannelsMax      uint32
	BufferBytesMax   uint32
}

// defaultHW is SND_DRV_PCM_HW_DEFAULT.
func defaultHW() HW {
	return HW{
		Formats:        []string{"u8", "s16_le"},
		RateMin:        5512,
		RateMax:        48000,
		ChannelsMin:    1,
		ChannelsMax:    2,
		BufferBytesMax: 64 * 1024,
	}
}

func (h HW) clone() HW {
	h.Formats = append([]string(nil), h.Formats...)
	if h.Rates != nil {
		h.Rates = append([]uint32{}, h.Rates...)
	}
	return h
}

// PCM is one PCM device as the frontend configured it.
type PCM struct {
	Index   int
	Name    string // at most 79 bytes, as strlcpy into char[80] leaves
	HW      HW
	Streams []StreamConfig // playback streams first, then capture, as Linux groups them
}

// StreamConfig is one stream as the frontend configured it.
type StreamConfig struct {
	Index int    // the stream's number in the card, in XenStore order
	Path  string // its XenStore directory
	Type  string // "p" or "c"
	HW    HW
}

// errno is a negative Linux errno from the configuration code.
type errno syscall.Errno

func (e errno) Error() string { return syscall.Errno(e).Error() }

// reader reads nodes as Linux's xenbus_* helpers do, outside any
// transaction.
type reader struct {
	ctx  context.Context
	conn *xenstore.Conn
}

// exists is xenbus_exists: the node can be listed.
func (r reader) exists(path string) bool {
	_, err := r.conn.Directory(r.ctx, path)
	return err == nil
}

// read is xenbus_read; the error is an errno.
func (r reader) read(path string) (string, error) {
	v, err := r.conn.Read(r.ctx, path)
	if err != nil {
		var e syscall.Errno
		if errors.As(err, &e) {
			return "", errno(e)
		}
		return "", err
	}
	return string(v), nil
}

// readUnsigned is xenbus_read_unsigned: "%u" via xenbus_scanf, the
// default when the node is missing or does not start with a number.
func (r reader) readUnsigned(path string, def uint32) uint32 {
	v, err := r.read(path)
	if err != nil {
		return def
	}
	v = strings.TrimLeft(v, " \t\n")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.ParseUint(v[:end], 10, 32)
	if err != nil {
		return def
	}
	return uint32(n)
}

// readHW is cfg_read_pcm_hw: the parent's description (or the default)
// with what the node at path overrides.
func (r reader) readHW(path string, parent *HW) HW {
	var hw HW
	if parent != nil {
		hw = parent.clone()
	} else {
		hw = defaultHW()
	}
	if v := r.readUnsigned(path+"/channels-min", 0); v != 0 {
		hw.ChannelsMin = v
	}
	if v := r.readUnsigned(path+"/channels-max", 0); v != 0 {
		hw.ChannelsMax = v
	}
	if list, err := r.read(path + "/sample-rates"); err == nil {
		var rates []uint32
		var lo, hi uint32 = ^uint32(0), 0
		for _, item := range strings.Split(list, ",") {
			for _, rate := range supportedRates {
				// strncasecmp(item, name, XENSND_SAMPLE_RATE_MAX_LEN)
				if strings.EqualFold(truncate(item, 11), truncate(strconv.FormatUint(uint64(rate), 10), 11)) {
					rates = appendOnce(rates, rate)
					lo, hi = min(lo, rate), max(hi, rate)
				}
			}
		}
		if len(rates) > 0 {
			hw.Rates = sortRates(rates)
			hw.RateMin, hw.RateMax = lo, hi
		}
	}
	if list, err := r.read(path + "/sample-formats"); err == nil {
		var got []string
		for _, item := range strings.Split(list, ",") {
			for _, f := range supportedFormats {
				if strings.EqualFold(truncate(item, 24), f) {
					got = append(got, f)
				}
			}
		}
		if len(got) > 0 {
			var ordered []string
			for _, f := range supportedFormats {
				for _, g := range got {
					if g == f {
						ordered = append(ordered, f)
						break
					}
				}
			}
			hw.Formats = ordered
		}
	}
	if v := r.readUnsigned(path+"/buffer-size", 0); v != 0 {
		hw.BufferBytesMax = v
	}
	if hw.ChannelsMin > hw.ChannelsMax {
		hw.ChannelsMin = hw.ChannelsMax
	}
	if hw.RateMin > hw.RateMax {
		hw.RateMin = hw.RateMax
	}
	return hw
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func appendOnce(list []uint32, v uint32) []uint32 {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func sortRates(rates []uint32) []uint32 {
	var out []uint32
	for _, r := range supportedRates {
		for _, x := range rates {
			if x == r {
				out = append(out, r)
			}
		}
	}
	return out
}

// streamType is the strncasecmp of cfg_get_stream_type and cfg_stream:
// "p" or "c" in either case and nothing after it, else EINVAL; a missing
// node is its read error.
func (r reader) streamType(path string) (string, error) {
	v, err := r.read(path + "/type")
	if err != nil {
		return "", err
	}
	switch strings.ToLower(v) {
	case "p", "c":
		return strings.ToLower(v), nil
	}
	return "", errno(syscall.EINVAL)
}

// readCard is xen_snd_front_cfg_card: the card's PCM devices and their
// streams, or the errno that makes Linux give up on the device.
func (r reader) readCard(node string) (HW, []PCM, error) {
	n := 0
	for n < maxPCMs && r.exists(node+"/"+strconv.Itoa(n)) {
		n++
	}
	if n == 0 {
		return HW{}, nil, errno(syscall.ENODEV) // "No devices configured for sound card"
	}
	card := r.readHW(node, nil)
	pcms := make([]PCM, n)
	streamCnt := 0
	for i := range pcms {
		dpath := node + "/" + strconv.Itoa(i)
		p := &pcms[i]
		p.Index = i
		if name, err := r.read(dpath + "/name"); err == nil {
			p.Name = truncate(name, 79)
		}
		p.HW = r.readHW(dpath, &card)
		ns := 0
		for ns < maxStreams && r.exists(dpath+"/"+strconv.Itoa(ns)) {
			ns++
		}
		// cfg_get_stream_type for every stream first, then cfg_stream.
		for j := 0; j < ns; j++ {
			if _, err := r.streamType(dpath + "/" + strconv.Itoa(j)); err != nil {
				return HW{}, nil, err
			}
		}
		var pb, cp []StreamConfig
		for j := 0; j < ns; j++ {
			spath := dpath + "/" + strconv.Itoa(j)
			t, err := r.streamType(spath)
			if err != nil {
				return HW{}, nil, err
			}
			s := StreamConfig{Index: streamCnt, Path: spath, Type: t, HW: r.readHW(spath, &p.HW)}
			streamCnt++
			if t == "p" {
				pb = append(pb, s)
			} else {
				cp = append(cp, s)
			}
		}
		p.Streams = append(pb, cp...)
	}
	return card, pcms, nil
}
