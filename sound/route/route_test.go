package route

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]Endpoint{
		"wav:a.wav":     {Kind: WAV, File: "a.wav"},
		"wav:guest 1":   {Kind: WAV, File: "guest 1"},
		"tone:440":      {Kind: Tone, Hz: 440},
		"tone:0.5e3":    {Kind: Tone, Hz: 500},
		"silence":       {Kind: Silence},
		"null":          {Kind: Null},
		"alsa<hw:0;0>":  {Kind: Default},
		"pulse<sink>":   {Kind: Default},
		"0e5f3c1a-uuid": {Kind: Default},
	}
	for id, want := range good {
		got, err := Parse(id)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", id, got, err, want)
		}
		if id != "alsa<hw:0;0>" && id != "pulse<sink>" && id != "0e5f3c1a-uuid" && id != "tone:0.5e3" && got.String() != id {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), id)
		}
	}
	for _, id := range []string{"wav:", "wav:../x", "wav:/etc/passwd", "wav:a/b", "wav:.hidden", "wav:..", "wav:a\nb", "wav:\x00",
		"wav:" + strings.Repeat("x", 256), "tone:", "tone:0", "tone:96001", "tone:NaN", "tone:x"} {
		got, err := Parse(id)
		if !errors.Is(err, ErrBad) || got.Kind != Default {
			t.Errorf("Parse(%q) = %+v, %v; want Default and ErrBad", id, got, err)
		}
	}
}
