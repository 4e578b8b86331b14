package sound

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file parses xl.cfg's vsnd item syntax (tools/xl/xl_parse.c
// parse_vsnd_item), one item per argument as `xl vsnd-attach` takes them:
//
//	CARD, short-name=Main, sample-rates=44100;48000, backend=Domain-0
//	PCM, name=Analog
//	STREAM, unique-id=alsa<hw:0;0>, type=p
//
// Item keywords are case-insensitive and keys case-sensitive, as in xl.
// Unlike xl, xgo refuses what xl silently accepts or lets through: a key
// given twice, an empty value, numbers that are not plain decimals, and a
// second CARD item; it trims spaces at both ends of every token (xl only
// at the start).

// itemKind is CARD, PCM or STREAM.
type itemKind int

const (
	kindCard itemKind = iota
	kindPCM
	kindStream
)

var paramKeys = []string{KeySampleRates, KeySampleFormats, KeyChannelsMin, KeyChannelsMax, KeyBufferSize}

func keysOf(k itemKind) []string {
	switch k {
	case kindCard:
		return append([]string{"backend", KeyShortName, KeyLongName}, paramKeys...)
	case kindPCM:
		return append([]string{KeyName}, paramKeys...)
	}
	return append([]string{KeyUniqueID, KeyType}, paramKeys...)
}

// ParseItems parses the items of one card. Every problem is reported,
// each naming its argument, item and key; the card is also checked with
// Validate.
func ParseItems(items []string) (*Card, error) {
	c := &Card{sources: map[string]string{}}
	var es SpecErrors
	sawCard := false
	for n, raw := range items {
		arg := fmt.Sprintf("argument %d", n+1)
		var toks []string
		for _, t := range strings.Split(raw, ",") {
			if t = strings.TrimSpace(t); t != "" { // xl's strtok skips empty tokens
				toks = append(toks, t)
			}
		}
		if len(toks) == 0 {
			es = append(es, &SpecError{Item: arg, Msg: "empty item (want CARD, PCM or STREAM followed by key=value settings)"})
			continue
		}
		var kind itemKind
		var item string
		var p *Params
		switch strings.ToUpper(toks[0]) {
		case "CARD":
			kind, item, p = kindCard, cardItem, &c.Params
			if sawCard {
				es = append(es, &SpecError{Item: arg, Msg: "a second CARD item: give every card setting in one"})
				continue
			}
			sawCard = true
		case "PCM":
			c.PCMs = append(c.PCMs, PCM{})
			kind, item, p = kindPCM, pcmItem(len(c.PCMs)-1), &c.PCMs[len(c.PCMs)-1].Params
		case "STREAM":
			if len(c.PCMs) == 0 { // xl creates the PCM a STREAM needs
				c.PCMs = append(c.PCMs, PCM{})
			}
			pcm := &c.PCMs[len(c.PCMs)-1]
			pcm.Streams = append(pcm.Streams, Stream{})
			kind, item, p = kindStream, streamItem(len(c.PCMs)-1, len(pcm.Streams)-1), &pcm.Streams[len(pcm.Streams)-1].Params
		default:
			es = append(es, &SpecError{Item: arg, Msg: fmt.Sprintf("unknown item %q (want CARD, PCM or STREAM)", toks[0])})
			continue
		}
		c.sources[item] = arg
		where := arg + ": " + item
		seen := map[string]bool{}
		for _, tok := range toks[1:] {
			key, val, ok := strings.Cut(tok, "=")
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			bad := func(format string, args ...any) {
				es = append(es, &SpecError{Item: where, Key: key, Msg: fmt.Sprintf(format, args...)})
			}
			switch {
			case !ok:
				key = ""
				bad("%q is not key=value", tok)
				continue
			case !slices.Contains(keysOf(kind), key):
				hint := ""
				if kind == kindStream && key == "id" {
					hint = "; xl.cfg's manual shows id=, but the key is unique-id"
				}
				bad("unknown key (want %s)%s", strings.Join(keysOf(kind), ", "), hint)
				continue
			case seen[key]:
				bad("given twice")
				continue
			case val == "":
				bad("empty value")
				continue
			}
			seen[key] = true
			var err error
			switch key {
			case "backend":
				c.Backend = val
			case KeyShortName:
				c.ShortName = val
			case KeyLongName:
				c.LongName = val
			case KeyName:
				c.PCMs[len(c.PCMs)-1].Name = val
			case KeyUniqueID:
				s := lastStream(c)
				s.UniqueID = val
			case KeyType:
				s := lastStream(c)
				s.Type = parseType(val)
			default:
				err = setParam(p, key, val, ";")
			}
			if err != nil {
				bad("%v", err)
			}
		}
	}
	if len(es) > 0 {
		return nil, es
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func lastStream(c *Card) *Stream {
	p := &c.PCMs[len(c.PCMs)-1]
	return &p.Streams[len(p.Streams)-1]
}

// parseType accepts p and c in any case (libxl compares with strcasecmp);
// anything else is kept for Validate to report.
func parseType(v string) StreamType {
	switch strings.ToLower(v) {
	case "p":
		return Playback
	case "c":
		return Capture
	}
	return StreamType(v)
}

// setParam sets one parameter from its text; lists are split at sep (";"
// in xl's syntax, "," in XenStore).
func setParam(p *Params, key, val, sep string) error {
	switch key {
	case KeySampleRates:
		for _, s := range strings.Split(val, sep) {
			s = strings.TrimSpace(s)
			r, err := parseUint(s, 1, 1<<32-1)
			if err != nil {
				return fmt.Errorf("rate %q: %v", s, err)
			}
			p.SampleRates = append(p.SampleRates, uint32(r))
		}
	case KeySampleFormats:
		for _, s := range strings.Split(val, sep) {
			s = strings.TrimSpace(s)
			if c, ok := CanonicalFormat(s); ok {
				s = c
			}
			p.SampleFormats = append(p.SampleFormats, s)
		}
	case KeyChannelsMin, KeyChannelsMax:
		n, err := parseUint(val, 1, MaxChannels)
		if err != nil {
			return err
		}
		if key == KeyChannelsMin {
			p.ChannelsMin = uint32(n)
		} else {
			p.ChannelsMax = uint32(n)
		}
	case KeyBufferSize:
		n, err := parseUint(val, 1, 1<<32-1)
		if err != nil {
			return err
		}
		p.BufferSize = uint32(n)
	default:
		return fmt.Errorf("not a parameter")
	}
	return nil
}

// parseUint accepts plain decimal digits within [lo, hi]; xl's strtoul
// would also take "0x10", "010" (octal) and "12abc".
func parseUint(s string, lo, hi uint64) (uint64, error) {
	if s == "" {
		return 0, fmt.Errorf("empty number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a decimal number", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > hi {
		return 0, fmt.Errorf("%s is above %d", s, hi)
	}
	if n < lo {
		return 0, fmt.Errorf("%s is below %d", s, lo)
	}
	return n, nil
}
