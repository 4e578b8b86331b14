package route

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Kind is what a stream is bound to.
type Kind string

// The kinds of endpoint.
const (
	Default Kind = "default" // playback: the stream's default file; capture: a 440 Hz tone
	WAV     Kind = "wav"
	Tone    Kind = "tone"
	Silence Kind = "silence"
	Null    Kind = "null"
)

// DefaultToneHz is the tone a capture stream without a source produces.
const DefaultToneHz = 440

// MaxFileName bounds a wav: file name (NAME_MAX).
const MaxFileName = 255

// Endpoint is a parsed route.
type Endpoint struct {
	Kind Kind
	File string  // WAV: a file name, no directory
	Hz   float64 // Tone
}

func (e Endpoint) String() string {
	switch e.Kind {
	case WAV:
		return "wav:" + e.File
	case Tone:
		return "tone:" + strconv.FormatFloat(e.Hz, 'g', -1, 64)
	}
	return string(e.Kind)
}

// ErrBad is a route that starts like one of the kinds but is malformed.
var ErrBad = errors.New("bad route")

// Parse reads a unique-id written by the admin. A malformed wav: or
// tone: is an error (ErrBad) and Default; every other text that is not
// one of the kinds is Default without error, so snd_be's forms attach.
func Parse(id string) (Endpoint, error) {
	switch {
	case strings.HasPrefix(id, "wav:"):
		f := strings.TrimPrefix(id, "wav:")
		if msg := CheckFileName(f); msg != "" {
			return Endpoint{Kind: Default}, fmt.Errorf("%w %q: %s", ErrBad, id, msg)
		}
		return Endpoint{Kind: WAV, File: f}, nil
	case strings.HasPrefix(id, "tone:"):
		hz, err := strconv.ParseFloat(strings.TrimPrefix(id, "tone:"), 64)
		if err != nil || !(hz >= 1 && hz <= 96000) {
			return Endpoint{Kind: Default}, fmt.Errorf("%w %q: want tone:<Hz> with 1 ≤ Hz ≤ 96000", ErrBad, id)
		}
		return Endpoint{Kind: Tone, Hz: hz}, nil
	case id == string(Silence):
		return Endpoint{Kind: Silence}, nil
	case id == string(Null):
		return Endpoint{Kind: Null}, nil
	}
	return Endpoint{Kind: Default}, nil
}

// CheckFileName returns why name cannot be a file of a guest's
// directory, or "": one path component, not hidden, printable.
func CheckFileName(name string) string {
	switch {
	case name == "":
		return "the file name is empty"
	case len(name) > MaxFileName:
		return fmt.Sprintf("the file name has %d bytes, at most %d", len(name), MaxFileName)
	case strings.ContainsRune(name, '/'):
		return "the file must be a plain file name, without '/': each guest's files live in its own directory"
	case name[0] == '.':
		return "the file name may not start with '.'"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "the file name has a control character"
		}
	}
	return ""
}
