package xenbus

import (
	"context"
	"errors"
	"testing"
)

func TestParseState(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  State
		valid bool
	}{
		{"4", Connected, true},
		{" 6\n", Closed, true},
		{"0", Unknown, true},
		{"9", State(9), false},
		{"-1", State(-1), false},
		{"", Unknown, true},
		{"connected", Unknown, true},
	} {
		got := ParseState([]byte(c.in))
		if got != c.want || got.Valid() != c.valid {
			t.Errorf("ParseState(%q) = %v (valid %v), want %v (valid %v)", c.in, got, got.Valid(), c.want, c.valid)
		}
	}
}

func TestStateString(t *testing.T) {
	if InitWait.String() != "InitWait" || Reconfigured.String() != "Reconfigured" || State(9).String() != "9" || State(-1).String() != "-1" {
		t.Errorf("names: %v %v %v %v", InitWait, Reconfigured, State(9), State(-1))
	}
}

type fakeReader map[string]string

func (f fakeReader) Read(_ context.Context, path string) ([]byte, error) {
	v, ok := f[path]
	if !ok {
		return nil, errors.New("ENOENT")
	}
	return []byte(v), nil
}

func TestReadState(t *testing.T) {
	r := fakeReader{"/a/state": "3"}
	if s := ReadState(context.Background(), r, "/a/state"); s != Initialised {
		t.Errorf("present node: %v", s)
	}
	if s := ReadState(context.Background(), r, "/b/state"); s != Unknown {
		t.Errorf("missing node: %v", s)
	}
}
