package sound

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file reads a card from YAML (xgo vsnd-attach --file). The keys are
// xl's and sndif's, so a card reads like its XenStore nodes:
//
//	backend: Domain-0              # optional, a domain name or id
//	short-name: Main
//	long-name: Main virtual card
//	sample-rates: [44100, 48000]
//	sample-formats: [s16_le, float_le]
//	channels-min: 1
//	channels-max: 2
//	buffer-size: 65536
//	pcms:
//	  - name: Analog
//	    streams:
//	      - {unique-id: "alsa<hw:0;0>", type: p}
//	      - {unique-id: "alsa<hw:0;1>", type: c, channels-max: 1}
//
// Unknown keys, a key given twice and values of the wrong kind are errors
// naming the file and line.

// ParseYAML parses one card from data; name (a file name) prefixes
// messages. The card is checked with Validate.
func ParseYAML(data []byte, name string) (*Card, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &SpecError{Item: name, Msg: "empty file: want a card (short-name, pcms, ...)"}
		}
		return nil, &SpecError{Item: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		line := extra.Line
		if len(extra.Content) > 0 {
			line = extra.Content[0].Line
		}
		return nil, &SpecError{Item: fmt.Sprintf("%s:%d", name, line), Msg: "a second YAML document: one file holds one card"}
	}
	y := &yamlCard{name: name, card: &Card{sources: map[string]string{}}}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	y.cardNode(root)
	if len(y.errs) > 0 {
		return nil, y.errs
	}
	if err := y.card.Validate(); err != nil {
		return nil, err
	}
	return y.card, nil
}

type yamlCard struct {
	name string
	card *Card
	errs SpecErrors
}

func (y *yamlCard) at(n *yaml.Node) string { return fmt.Sprintf("%s:%d", y.name, n.Line) }

func (y *yamlCard) fail(n *yaml.Node, item, key, format string, args ...any) {
	y.errs = append(y.errs, &SpecError{Item: y.at(n) + ": " + item, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping node, calling fn for each key with its value,
// after refusing duplicates and keys not in allowed.
func (y *yamlCard) fields(n *yaml.Node, item string, allowed []string, fn func(key string, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		y.fail(n, item, "", "want a mapping of %s", strings.Join(allowed, ", "))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		switch {
		case k.Kind != yaml.ScalarNode:
			y.fail(k, item, "", "a key must be a plain name")
			continue
		case !slices.Contains(allowed, key):
			y.fail(k, item, key, "unknown key (want %s)", strings.Join(allowed, ", "))
			continue
		case seen[key]:
			y.fail(k, item, key, "given twice")
			continue
		}
		seen[key] = true
		y.card.sources[item+"/"+key] = y.at(k)
		fn(key, v)
	}
}

func (y *yamlCard) cardNode(n *yaml.Node) {
	c := y.card
	y.card.sources[cardItem] = y.at(n)
	y.fields(n, cardItem, append(keysOf(kindCard), "pcms"), func(key string, v *yaml.Node) {
		switch key {
		case "backend":
			c.Backend, _ = y.text(v, cardItem, key)
		case KeyShortName:
			c.ShortName, _ = y.text(v, cardItem, key)
		case KeyLongName:
			c.LongName, _ = y.text(v, cardItem, key)
		case "pcms":
			if v.Kind != yaml.SequenceNode {
				y.fail(v, cardItem, key, "want a list of PCM devices")
				return
			}
			for i, pn := range v.Content {
				c.PCMs = append(c.PCMs, PCM{})
				y.pcmNode(pn, i)
			}
		default:
			y.param(&c.Params, v, cardItem, key)
		}
	})
}

func (y *yamlCard) pcmNode(n *yaml.Node, i int) {
	item := pcmItem(i)
	y.card.sources[item] = y.at(n)
	y.fields(n, item, append(keysOf(kindPCM), "streams"), func(key string, v *yaml.Node) {
		p := &y.card.PCMs[i]
		switch key {
		case KeyName:
			p.Name, _ = y.text(v, item, key)
		case "streams":
			if v.Kind != yaml.SequenceNode {
				y.fail(v, item, key, "want a list of streams")
				return
			}
			for j, sn := range v.Content {
				p.Streams = append(p.Streams, Stream{})
				y.streamNode(sn, i, j)
			}
		default:
			y.param(&p.Params, v, item, key)
		}
	})
}

func (y *yamlCard) streamNode(n *yaml.Node, i, j int) {
	item := streamItem(i, j)
	y.card.sources[item] = y.at(n)
	y.fields(n, item, keysOf(kindStream), func(key string, v *yaml.Node) {
		s := &y.card.PCMs[i].Streams[j]
		switch key {
		case KeyUniqueID:
			s.UniqueID, _ = y.text(v, item, key)
		case KeyType:
			if t, ok := y.text(v, item, key); ok {
				s.Type = parseType(t)
			}
		default:
			y.param(&s.Params, v, item, key)
		}
	})
}

// text returns a scalar's text; numbers are taken as they are written.
func (y *yamlCard) text(v *yaml.Node, item, key string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		y.fail(v, item, key, "want a string")
		return "", false
	}
	if v.Value == "" {
		y.fail(v, item, key, "empty value")
		return "", false
	}
	return v.Value, true
}

// param sets one parameter: lists as YAML sequences (or one scalar),
// numbers as YAML integers.
func (y *yamlCard) param(p *Params, v *yaml.Node, item, key string) {
	switch key {
	case KeySampleRates, KeySampleFormats:
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
			if len(items) == 0 {
				y.fail(v, item, key, "empty list")
				return
			}
		}
		for _, e := range items {
			if e.Kind != yaml.ScalarNode || e.Tag == "!!null" || e.Value == "" {
				y.fail(e, item, key, "want a list of %s", map[bool]string{true: "rates in Hz", false: "format names"}[key == KeySampleRates])
				return
			}
			if key == KeySampleRates && e.Tag != "!!int" {
				y.fail(e, item, key, "rate %q is not a number", e.Value)
				return
			}
			if err := setParam(p, key, e.Value, "\x00"); err != nil {
				y.fail(e, item, key, "%v", err)
				return
			}
		}
	default:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" {
			y.fail(v, item, key, "want a number")
			return
		}
		if _, err := strconv.ParseInt(v.Value, 10, 64); err != nil && !strings.HasPrefix(v.Value, "-") {
			// 0x10, 0o7 and friends: YAML integers, but not plain decimals
			y.fail(v, item, key, "%q is not a decimal number", v.Value)
			return
		}
		if err := setParam(p, key, v.Value, ","); err != nil {
			y.fail(v, item, key, "%v", err)
		}
	}
}
