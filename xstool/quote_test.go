package xstool

import (
	"bytes"
	"testing"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte(""), ""},
		{[]byte("plain text ~!@#$%^&*()"), "plain text ~!@#$%^&*()"},
		{[]byte(`back\slash "quoted"`), `back\\slash "quoted"`},
		{[]byte("tab\tnl\ncr\r"), `tab\tnl\ncr\r`},
		{[]byte{0, 1, 7}, `\000\001\007`},
		{[]byte{8, 0x0b, 0x1b, 0x7f, 0x80, 0xff}, `\x08\x0b\x1b\x7f\x80\xff`},
		{[]byte("é"), `\xc3\xa9`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []byte
	}{
		{"", []byte{}},
		{"plain", []byte("plain")},
		{`a\tb\nc\rd\\e`, []byte("a\tb\nc\rd\\e")},
		{`\x41\x4a\x4A`, []byte("AJJ")},
		{`\x7`, []byte{7}},
		{`\x123`, []byte{0x12, '3'}},
		{`\xzz`, []byte("xzz")},
		{`\101\0\08`, []byte{'A', 0, 0, '8'}},
		{`\777`, []byte{0xff}},
		{`\q`, []byte("q")},
		{`end\`, []byte{'e', 'n', 'd', 0}},
	}
	for _, tt := range tests {
		if got := Unquote(tt.in); !bytes.Equal(got, tt.want) {
			t.Errorf("Unquote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzQuoteRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "\x00\x01\t\n\r\\", "\xff\x80", "x\\y"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		s := Quote(v)
		for i := 0; i < len(s); i++ {
			if s[i] < ' ' || s[i] > '~' {
				t.Fatalf("Quote(%q) = %q has a non-printable byte", v, s)
			}
		}
		if back := Unquote(s); !bytes.Equal(back, v) {
			t.Fatalf("Unquote(Quote(%q)) = %q", v, back)
		}
	})
}
