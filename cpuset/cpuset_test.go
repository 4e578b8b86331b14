package cpuset

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// topo16 is two nodes of eight CPUs.
type topo16 struct{}

func (topo16) NumCPUs() int  { return 16 }
func (topo16) NumNodes() int { return 2 }
func (topo16) NodeCPUs(n int) (Set, bool) {
	switch n {
	case 0:
		return Range(0, 7), true
	case 1:
		return Range(8, 15), true
	}
	return Set{}, false
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"3", "3"},
		{"0-3", "0-3"},
		{"2-5,^3", "2,4-5"},
		{"^3,2-5", "2-5"}, // order matters: ^ removes only what is there already
		{"all", "0-15"},
		{"all,^0", "1-15"},
		{"node:1", "8-15"},
		{"nodes:0-1,^node:0", "8-15"},
		{"0,node:1,^10-13", "0,8-9,14-15"},
		{" 1 , 2 ", "1-2"},
		{"nodes:all", "0-15"},
		{"7,7,7", "7"},
		{"100", "100"}, // bigger than the host: the caller decides
	} {
		s, err := Parse(tc.in, topo16{})
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("Parse(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in, token string
	}{
		{"", `""`},
		{"1,,2", `""`},
		{"x", `"x"`},
		{"3-1", `"3-1"`},
		{"1-", `"1-"`},
		{"-1", `"-1"`},
		{"2x", `"2x"`},
		{"^all", `"^all"`},
		{"^nodes:all", `"^nodes:all"`},
		{"node:2", `"node:2"`},
		{"1-99999999", `"1-99999999"`},
		{"0,1;2", `"1;2"`},
	} {
		_, err := Parse(tc.in, topo16{})
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): want *ParseError, got %v", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.token) {
			t.Errorf("Parse(%q): error %q does not name %s", tc.in, err, tc.token)
		}
	}
}

func TestParseNeedsTopology(t *testing.T) {
	if _, err := Parse("all", nil); err == nil {
		t.Error(`Parse("all", nil) succeeded`)
	}
	if _, err := Parse("node:0", nil); err == nil {
		t.Error(`Parse("node:0", nil) succeeded`)
	}
	if s, err := Parse("1-2", nil); err != nil || s.String() != "1-2" {
		t.Errorf(`Parse("1-2", nil) = %v, %v`, s, err)
	}
}

func TestSetOps(t *testing.T) {
	a := Of(0, 1, 2, 70)
	b := Of(2, 3, 70)
	if got := a.Union(b).String(); got != "0-3,70" {
		t.Errorf("union = %s", got)
	}
	if got := a.Diff(b).String(); got != "0-1" {
		t.Errorf("diff = %s", got)
	}
	if got := a.Intersect(b).String(); got != "2,70" {
		t.Errorf("intersect = %s", got)
	}
	if !Of(1, 2).Equal(Of(2, 1).Add(200).Remove(200)) {
		t.Error("equal after add/remove of a high id")
	}
	if a.Max() != 70 || (Set{}).Max() != -1 {
		t.Errorf("max = %d", a.Max())
	}
	if !Of(1).SubsetOf(a) || Of(5).SubsetOf(a) {
		t.Error("subset")
	}
	if a.Len() != 4 || !a.Has(70) || a.Has(69) || a.Has(-1) || a.Has(1000) {
		t.Error("len/has")
	}
	if got := Of(0, 1, 2, 3, 6).List(); got != "0,1,2,3,6" {
		t.Errorf("List = %q", got)
	}
	if (Set{}).String() != "" || !(Set{}).IsEmpty() {
		t.Error("empty set")
	}
	// values: a change returns a new set
	c := a.Add(5)
	if a.Has(5) || !c.Has(5) {
		t.Error("Add changed its receiver")
	}
}

func TestBitmapRoundTrip(t *testing.T) {
	s := Of(0, 3, 8, 15, 63, 64, 127)
	b := s.Bitmap(128)
	if b[0] != 0x09 || b[1] != 0x81 {
		t.Errorf("bitmap bytes % x", b[:2])
	}
	if got := FromBitmap(b); !got.Equal(s) {
		t.Errorf("FromBitmap = %s, want %s", got, s)
	}
	if got := FromBitmap(s.Bitmap(10)); got.String() != "0,3,8" {
		t.Errorf("truncated bitmap = %s", got)
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(Of(2, 0, 1))
	if err != nil || string(b) != "[0,1,2]" {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var s Set
	if err := json.Unmarshal([]byte("[5,4]"), &s); err != nil || s.String() != "4-5" {
		t.Fatalf("unmarshal = %s, %v", s, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0-3", "2-5,^3", "node:1", "all", "^all", "1-", "nodes:0-1,^8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in, topo16{})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %v is not a *ParseError", in, err)
			}
			return
		}
		if s.IsEmpty() {
			return
		}
		// what String prints, Parse reads back as the same set
		back, err := Parse(s.String(), nil)
		if err != nil || !back.Equal(s) {
			t.Fatalf("round trip of %q: %s -> %v, %v", in, s, back, err)
		}
	})
}

// TestParseSelectsNoCPU: a list that selects no cpu is refused, never an
// empty set that a command would silently do nothing with. Without node
// items or "all" it is wrong on any host; with them it depends on the
// host (Absent).
func TestParseSelectsNoCPU(t *testing.T) {
	topo := testTopo{}
	for list, absent := range map[string]bool{
		"^3":             false,
		"2-3,^2-3":       false,
		"node:1,^node:1": true,
		"node:1,^4-7":    true,
		"all,^0-7":       true,
	} {
		_, err := Parse(list, topo)
		pe, ok := err.(*ParseError)
		if !ok || pe.Reason != "the cpu list selects no cpu" || pe.Absent != absent {
			t.Errorf("Parse(%q) = %v (%+v), want selects no cpu, Absent %v", list, err, pe, absent)
		}
		if err := CheckSyntax(list); (err == nil) != absent {
			t.Errorf("CheckSyntax(%q) = %v", list, err)
		}
	}
	long := strings.Repeat("1,", 400) + "x"
	_, err := Parse(long, nil)
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("Parse(long list) error is %d bytes: %v", len(err.Error()), err)
	}
}

// testTopo: 8 cpus, node 0 = 0-3, node 1 = 4-7.
type testTopo struct{}

func (testTopo) NumCPUs() int  { return 8 }
func (testTopo) NumNodes() int { return 2 }
func (testTopo) NodeCPUs(n int) (Set, bool) {
	if n < 0 || n > 1 {
		return Set{}, false
	}
	return Range(4*n, 4*n+3), true
}

// TestText: sets in messages stay short whatever their size.
func TestText(t *testing.T) {
	for _, tt := range []struct {
		s    Set
		want string
	}{
		{Of(2, 3), "2,3"},
		{Range(0, 15), "0-15"},
		{Range(16, 65535), "16-65535"},
	} {
		if got := tt.s.Text(); got != tt.want {
			t.Errorf("Text(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
	var even Set
	for i := 0; i <= 3000; i += 2 {
		even = even.Add(i)
	}
	if got := even.Text(); len(got) > 100 || !strings.HasSuffix(got, "more") {
		t.Errorf("Text(1501 even ids) = %q", got)
	}
}
