package sound_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"xgo.dev/xgo/sound"
)

func streams(n int) []string {
	out := []string{"PCM, name=many"}
	for i := range n {
		out = append(out, "STREAM, type=p, unique-id=s"+strings.Repeat("x", i))
	}
	return out
}

func pcms(n int) []string {
	var out []string
	for i := range n {
		out = append(out, "PCM", "STREAM, type=c, unique-id=u"+strings.Repeat("y", i))
	}
	return out
}

// TestValidationRules has one case per rule: each names the item and the
// key in its message.
func TestValidationRules(t *testing.T) {
	t.Parallel()
	ok := "STREAM, unique-id=a, type=p"
	tests := []struct {
		name  string
		items []string
		want  string // the whole message, or a part of it
	}{
		// structure
		{"no PCM", []string{"CARD, short-name=x"}, "card: no PCM device: a card needs at least one"},
		{"PCM without stream", []string{"PCM, name=a"}, "argument 1: pcm 0: no stream: a PCM device needs at least one"},
		{"9 streams", streams(9), "argument 1: pcm 0: 9 streams: at most 8 per PCM device"},
		{"9 PCMs", pcms(9), "card: 9 PCM devices: at most 8"},
		{"type missing", []string{"STREAM, unique-id=a"}, "argument 1: pcm 0 stream 0: type: missing (want p or c"},
		{"type not p or c", []string{"STREAM, unique-id=a, type=play"}, `argument 1: pcm 0 stream 0: type: "play" is not p or c`},
		{"unique-id missing", []string{"STREAM, type=p"}, "argument 1: pcm 0 stream 0: unique-id: missing"},
		{"unique-id twice", []string{"PCM", ok, "PCM", ok}, `argument 4: pcm 1 stream 0: unique-id: "a" is already the unique-id of pcm 0 stream 0`},
		// parameters
		{"rate not in the set", []string{"CARD, sample-rates=44100;12345", ok}, "argument 1: card: sample-rates: 12345 Hz is not a rate Linux's frontend knows (want one of 5512, 8000,"},
		{"rate twice", []string{"PCM, sample-rates=8000;8000", ok}, "argument 1: pcm 0: sample-rates: 8000 given twice"},
		{"rate in hex", []string{"CARD, sample-rates=0x1f40", ok}, `argument 1: card: sample-rates: rate "0x1f40": "0x1f40" is not a decimal number`},
		{"empty rate", []string{"CARD, sample-rates=8000;;44100", ok}, `argument 1: card: sample-rates: rate "": empty number`},
		{"unknown format", []string{"STREAM, unique-id=a, type=p, sample-formats=s16_le;s17_le"}, `argument 1: pcm 0 stream 0: sample-formats: unknown format "s17_le" (want one of s8, u8,`},
		{"format twice in two spellings", []string{"CARD, sample-formats=f32_le;FLOAT_LE", ok}, `argument 1: card: sample-formats: "float_le" given twice`},
		{"channels-min above max", []string{"CARD, channels-min=4, channels-max=2", ok}, "argument 1: card: channels-min: 4 is above channels-max 2"},
		{"channels-min above inherited max", []string{"CARD, channels-max=2", "PCM, channels-min=3", ok}, "argument 2: pcm 0: channels-min: 3 is above channels-max 2 (inherited from the card)"},
		{"channels-max below inherited min", []string{"CARD, channels-min=4", "PCM, channels-max=6", "STREAM, unique-id=a, type=p, channels-max=2"}, "argument 3: pcm 0 stream 0: channels-max: 2 is below channels-min 4 (inherited from the card)"},
		{"channels-max below the PCM's min", []string{"PCM, channels-min=3", "STREAM, unique-id=a, type=p, channels-max=2"}, "argument 2: pcm 0 stream 0: channels-max: 2 is below channels-min 3 (inherited from the PCM)"},
		{"channels zero", []string{"CARD, channels-min=0", ok}, "argument 1: card: channels-min: 0 is below 1"},
		{"channels too many", []string{"PCM, channels-max=256", ok}, "argument 1: pcm 0: channels-max: 256 is above 255"},
		{"buffer-size zero", []string{"CARD, buffer-size=0", ok}, "argument 1: card: buffer-size: 0 is below 1"},
		{"buffer-size negative", []string{"CARD, buffer-size=-1", ok}, `argument 1: card: buffer-size: "-1" is not a decimal number`},
		{"buffer-size too big", []string{"CARD, buffer-size=4294967296", ok}, "argument 1: card: buffer-size: 4294967296 is above 4294967295"},
		// names and characters
		{"short-name too long", []string{"CARD, short-name=" + strings.Repeat("s", 33), ok}, "argument 1: card: short-name: 33 bytes, at most 32"},
		{"long-name too long", []string{"CARD, long-name=" + strings.Repeat("l", 81), ok}, "argument 1: card: long-name: 81 bytes, at most 80"},
		{"pcm name too long", []string{"PCM, name=" + strings.Repeat("n", 81), ok}, "argument 1: pcm 0: name: 81 bytes, at most 80"},
		{"unique-id too long", []string{"STREAM, type=p, unique-id=" + strings.Repeat("u", 1025)}, "argument 1: pcm 0 stream 0: unique-id: 1025 bytes, at most 1024"},
		{"control character", []string{"CARD, short-name=a\tb", ok}, `argument 1: card: short-name: "a\tb" has a control character`},
		{"newline", []string{"PCM, name=a\nb", ok}, `argument 1: pcm 0: name: "a\nb" has a control character`},
		{"not UTF-8", []string{"CARD, long-name=caf\xe9", ok}, `argument 1: card: long-name: "caf\xe9" is not valid UTF-8`},
		// the item syntax
		{"unknown item", []string{"CARDS, short-name=x"}, `argument 1: unknown item "CARDS" (want CARD, PCM or STREAM)`},
		{"unknown key", []string{"PCM, label=x", ok}, "argument 1: pcm 0: label: unknown key (want name, sample-rates, sample-formats, channels-min, channels-max, buffer-size)"},
		{"id instead of unique-id", []string{"STREAM, id=0, type=p"}, "argument 1: pcm 0 stream 0: id: unknown key (want unique-id, type, sample-rates, sample-formats, channels-min, channels-max, buffer-size); xl.cfg's manual shows id=, but the key is unique-id"},
		{"key twice", []string{"STREAM, unique-id=a, type=p, type=c"}, "argument 1: pcm 0 stream 0: type: given twice"},
		{"empty value", []string{"CARD, short-name=", ok}, "argument 1: card: short-name: empty value"},
		{"not key=value", []string{"PCM, Analog", ok}, `argument 1: pcm 0: "Analog" is not key=value`},
		{"second CARD", []string{"CARD, short-name=a", "CARD, long-name=b", ok}, "argument 2: a second CARD item: give every card setting in one"},
		{"empty item", []string{" , ", ok}, "argument 1: empty item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := sound.ParseItems(tt.items)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %s\nlacks\n  %s", err, tt.want)
			}
			if !errors.Is(err, sound.ErrInvalid) {
				t.Errorf("error does not match ErrInvalid: %v", err)
			}
			var se *sound.SpecError
			if !errors.As(err, &se) {
				t.Errorf("no *SpecError in %v", err)
			}
		})
	}
}

// TestValidationReportsEveryProblem checks that one call reports all the
// problems of a card, in card order.
func TestValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := sound.ParseItems([]string{"CARD, sample-rates=1", "STREAM, type=x", "STREAM, unique-id=b"})
	var es sound.SpecErrors
	if !errors.As(err, &es) || len(es) != 4 {
		t.Fatalf("want 4 problems, got %v", err)
	}
	want := []string{"card: sample-rates", "pcm 0 stream 0: type", "pcm 0 stream 0: unique-id", "pcm 0 stream 1: type"}
	for i, w := range want {
		if !strings.Contains(es[i].Error(), w) {
			t.Errorf("problem %d = %q, want %q", i, es[i], w)
		}
	}
}

func TestProgrammaticCardRules(t *testing.T) {
	t.Parallel()
	c := &sound.Card{
		ShortName: " lead", LongName: "x,y",
		PCMs: []sound.PCM{{Streams: []sound.Stream{{UniqueID: "a", Type: "p", Params: sound.Params{ChannelsMin: 300}}}}},
	}
	err := c.Validate()
	for _, want := range []string{
		`card: short-name: " lead" starts or ends with a space`,
		`card: long-name: "x,y" has a comma`,
		"pcm 0 stream 0: channels-min: 300 is above 255",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}

func TestParseItemsLikeXl(t *testing.T) {
	t.Parallel()
	c := mustCard(t, card2x3...)
	want := &sound.Card{
		ShortName: "xgo", LongName: "xgo test card",
		Params: sound.Params{SampleRates: []uint32{44100, 48000}, SampleFormats: []string{"s16_le", "float_le"}, BufferSize: 65536},
		PCMs: []sound.PCM{
			{Name: "Analog", Params: sound.Params{ChannelsMax: 2}, Streams: []sound.Stream{
				{UniqueID: "alsa<hw:0;0>", Type: sound.Playback},
				{UniqueID: "alsa<hw:0;1>", Type: sound.Capture, Params: sound.Params{ChannelsMax: 1}},
			}},
			{Name: "HDMI", Streams: []sound.Stream{
				{UniqueID: "pulse<>media.role:music", Type: sound.Playback, Params: sound.Params{SampleRates: []uint32{48000}}},
			}},
		},
	}
	if !sameCard(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	// A STREAM before any PCM gets one, as in xl; keywords in any case.
	c = mustCard(t, "stream, unique-id=x, type=c", "Card, backend=domu2")
	if len(c.PCMs) != 1 || c.PCMs[0].Streams[0].Type != sound.Capture || c.Backend != "domu2" {
		t.Errorf("implicit PCM: %+v", c)
	}
	// Items round-trip.
	back := mustCard(t, mustCard(t, card2x3...).Items()...)
	if !sameCard(back, mustCard(t, card2x3...)) {
		t.Errorf("Items does not round-trip: %q", mustCard(t, card2x3...).Items())
	}
	if got := strings.Join(mustCard(t, card2x3...).XlItems(), " | "); !strings.Contains(got, "sample-formats=s16_le;f32_le") {
		t.Errorf("XlItems: %s", got)
	}
}

// sameCard compares the exported data of two cards.
func sameCard(a, b *sound.Card) bool {
	strip := func(c *sound.Card) sound.Card {
		return sound.Card{Backend: c.Backend, ShortName: c.ShortName, LongName: c.LongName, Params: c.Params, PCMs: c.PCMs}
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

const card2x3YAML = `# the card of card2x3, as a file
short-name: xgo
long-name: xgo test card
sample-rates: [44100, 48000]
sample-formats: [s16_le, f32_le]
buffer-size: 65536
pcms:
  - name: Analog
    channels-max: 2
    streams:
      - {unique-id: "alsa<hw:0;0>", type: p}
      - unique-id: "alsa<hw:0;1>"
        type: c
        channels-max: 1
  - name: HDMI
    streams:
      - {unique-id: "pulse<>media.role:music", type: P, sample-rates: 48000}
`

func TestParseYAML(t *testing.T) {
	t.Parallel()
	c, err := sound.ParseYAML([]byte(card2x3YAML), "card.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !sameCard(c, mustCard(t, card2x3...)) {
		t.Errorf("YAML card %+v differs from the item card", c)
	}
	tests := []struct{ doc, want string }{
		{"", "card.yaml: empty file"},
		{"short-name: x\nshortname: y\n", "card.yaml:2: card: shortname: unknown key (want backend, short-name, long-name, sample-rates"},
		{"short-name: x\nshort-name: y\n", "card.yaml:2: card: short-name: given twice"},
		{"pcms: {name: x}\n", "card.yaml:1: card: pcms: want a list of PCM devices"},
		{"pcms:\n  - streams:\n      - {unique-id: a, type: x}\n", `card.yaml:3: pcm 0 stream 0: type: "x" is not p or c`},
		{"pcms:\n  - streams:\n      - {unique-id: a}\n", "card.yaml:3: pcm 0 stream 0: type: missing"},
		{"channels-min: two\npcms: [{streams: [{unique-id: a, type: p}]}]\n", "card.yaml:1: card: channels-min: want a number"},
		{"buffer-size: 0x10\npcms: [{streams: [{unique-id: a, type: p}]}]\n", `card.yaml:1: card: buffer-size: "0x10" is not a decimal number`},
		{"sample-rates: [44100, 4410]\npcms: [{streams: [{unique-id: a, type: p}]}]\n", "card.yaml:1: card: sample-rates: 4410 Hz is not a rate"},
		{"sample-rates: [\"44100\"]\npcms: [{streams: [{unique-id: a, type: p}]}]\n", `card.yaml:1: card: sample-rates: rate "44100" is not a number`},
		{"long-name: 'x,y'\npcms: [{streams: [{unique-id: a, type: p}]}]\n", `card.yaml:1: card: long-name: "x,y" has a comma`},
		{"pcms: [{name: ' x', streams: [{unique-id: a, type: p}]}]\n", `card.yaml:1: pcm 0: name: " x" starts or ends with a space`},
		{"pcms:\n  - streams: []\n", "card.yaml:2: pcm 0: no stream"},
		{"a: [\n", "card.yaml: line 1: did not find expected node content"},
		{"short-name: x\n---\nshort-name: y\n", "card.yaml:3: a second YAML document"},
	}
	for _, tt := range tests {
		_, err := sound.ParseYAML([]byte(tt.doc), "card.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n  got  %v\n  want %s", tt.doc, err, tt.want)
		}
		if err != nil && !errors.Is(err, sound.ErrInvalid) {
			t.Errorf("%q: %v does not match ErrInvalid", tt.doc, err)
		}
	}
}

func FuzzParseItems(f *testing.F) {
	for _, s := range card2x3 {
		f.Add(s, "STREAM, unique-id=z, type=c")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c, err := sound.ParseItems([]string{a, b})
		if (c == nil) == (err == nil) {
			t.Fatalf("card %v and error %v", c, err)
		}
		if c == nil {
			return
		}
		// A card that parses renders to items that parse to the same card.
		back, err := sound.ParseItems(c.Items())
		if err != nil || !sameCard(c, back) {
			t.Fatalf("%q -> %q: %v", []string{a, b}, c.Items(), err)
		}
	})
}
