package xenstore_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"xgo.dev/xgo/xenstore"
)

// FuzzReadMessage feeds arbitrary bytes to the message decoder. It must
// never panic, never accept a payload over PayloadMax, and whatever it
// accepts must re-encode to exactly the bytes it consumed; UnmarshalBinary
// must agree with it.
func FuzzReadMessage(f *testing.F) {
	seed := func(t xenstore.MsgType, req, tx uint32, payload string) []byte {
		b, err := (&xenstore.Message{Type: t, ReqID: req, TxID: tx, Payload: []byte(payload)}).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(seed(xenstore.TypeRead, 1, 0, "/local/domain/0/name\x00"))
	f.Add(seed(xenstore.TypeWrite, 2, 7, "/a\x00value"))
	f.Add(seed(xenstore.TypeError, 3, 0, "ENOENT\x00"))
	f.Add(seed(xenstore.TypeWatchEvent, 0, 0, "/a/b\x00token\x00"))
	f.Add(seed(xenstore.TypeDirectory, 4, 0, ""))
	f.Add(seed(xenstore.TypeDirectoryPart, 5, 0, "9\x00a\x00\x00"))
	f.Add(append(seed(xenstore.TypeRead, 1, 0, "x"), seed(xenstore.TypeRead, 2, 0, "y")...))
	f.Add([]byte{2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x10, 0, 0}) // len 4097
	f.Add([]byte{2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 'x'}) // short payload
	f.Add([]byte{1, 2, 3})
	f.Add(seed(xenstore.TypeRead, 1, 0, strings.Repeat("a", xenstore.PayloadMax)))

	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		m, err := xenstore.ReadMessage(r)
		consumed := len(data) - r.Len()
		if len(data) >= xenstore.HeaderSize {
			if n := binary.LittleEndian.Uint32(data[12:]); n > xenstore.PayloadMax {
				if err == nil {
					t.Fatalf("accepted a header announcing %d bytes", n)
				}
				if !errors.Is(err, xenstore.ErrPayloadTooBig) {
					t.Fatalf("len %d: err %v is not ErrPayloadTooBig", n, err)
				}
				if consumed != xenstore.HeaderSize {
					t.Fatalf("read %d bytes past a refused header", consumed-xenstore.HeaderSize)
				}
			}
		}
		if err != nil {
			if m != nil {
				t.Fatal("message and error together")
			}
			return
		}
		if len(m.Payload) > xenstore.PayloadMax {
			t.Fatalf("payload of %d bytes accepted", len(m.Payload))
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encoding an accepted message: %v", err)
		}
		if !bytes.Equal(b, data[:consumed]) {
			t.Fatalf("round trip:\n in [% x]\nout [% x]", data[:consumed], b)
		}
		var u xenstore.Message
		if err := u.UnmarshalBinary(data[:consumed]); err != nil {
			t.Fatalf("UnmarshalBinary refused what ReadMessage accepted: %v", err)
		}
		if u.Type != m.Type || u.ReqID != m.ReqID || u.TxID != m.TxID || !bytes.Equal(u.Payload, m.Payload) {
			t.Fatalf("decoders disagree: %+v vs %+v", u, m)
		}
		// UnmarshalBinary needs the exact length: one byte more must fail.
		if err := u.UnmarshalBinary(append(data[:consumed:consumed], 0)); err == nil {
			t.Fatal("UnmarshalBinary accepted a trailing byte")
		}
	})
}

// FuzzValidatePath checks that ValidatePath accepts exactly the paths C
// xenstored's is_valid_nodename would, as spelled out here independently,
// that its errors are *PathError matching ErrInvalid and naming the path,
// and that ValidateWatchPath accepts a superset.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{
		"/", "/local/domain/0", "name", "device/vsnd/0", "/a//b", "/a/", "", "@releaseDomain",
		"@introduceDomain", "@other", "/a b", "/a\x00b", "/ä", "//", "a/", "/-_@", "/" + strings.Repeat("x", 3071),
		"/" + strings.Repeat("x", 3072), strings.Repeat("y", 2048), strings.Repeat("y", 2049),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := xenstore.ValidatePath(p)
		want := modelValid(p)
		if (err == nil) != want {
			t.Fatalf("ValidatePath(%q) = %v, model says valid=%v", p, err, want)
		}
		if err != nil {
			var pe *xenstore.PathError
			if !errors.As(err, &pe) || !errors.Is(err, xenstore.ErrInvalid) {
				t.Fatalf("error %#v is not a *PathError matching ErrInvalid", err)
			}
			if len(p) <= 64 && pe.Path != p {
				t.Fatalf("error names %q, not %q", pe.Path, p)
			}
		}
		werr := xenstore.ValidateWatchPath(p)
		if err == nil && werr != nil {
			t.Fatalf("ValidateWatchPath refuses %q that ValidatePath accepts: %v", p, werr)
		}
		if werr == nil && err != nil && p != xenstore.WatchIntroduceDomain && p != xenstore.WatchReleaseDomain {
			t.Fatalf("ValidateWatchPath accepts %q: %v", p, err)
		}
	})
}

// modelValid is the path rule written out naively.
func modelValid(p string) bool {
	if p == "" {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '/' || c == '_' || c == '@'
		if !ok {
			return false
		}
		if c == '/' && i+1 < len(p) && p[i+1] == '/' {
			return false
		}
	}
	if len(p) > 1 && p[len(p)-1] == '/' {
		return false
	}
	if p[0] == '@' {
		return false
	}
	if p[0] == '/' {
		return len(p) <= xenstore.AbsPathMax
	}
	return len(p) <= xenstore.RelPathMax
}

// FuzzParsePerm checks parse → String → parse: what parses prints in
// canonical form, which parses to the same value, and errors are
// *PermError matching ErrInvalid.
func FuzzParsePerm(f *testing.F) {
	for _, s := range []string{"n0", "r1", "w65535", "b7", "b65536", "r007", "x1", "r", "", "r-1", "r+1", "r 1", "n0\x00", "w18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := xenstore.ParsePerm(s)
		if err != nil {
			var pe *xenstore.PermError
			if !errors.As(err, &pe) || !errors.Is(err, xenstore.ErrInvalid) || pe.Token != s {
				t.Fatalf("ParsePerm(%q) error %#v", s, err)
			}
			return
		}
		switch p.Access {
		case xenstore.AccessNone, xenstore.AccessRead, xenstore.AccessWrite, xenstore.AccessBoth:
		default:
			t.Fatalf("ParsePerm(%q) gave access %q", s, p.Access)
		}
		if p.Domain > 0xffff {
			t.Fatalf("ParsePerm(%q) gave domain %d", s, p.Domain)
		}
		str := p.String()
		q, err := xenstore.ParsePerm(str)
		if err != nil || q != p {
			t.Fatalf("ParsePerm(%q) = %v; String %q parses to %v, %v", s, p, str, q, err)
		}
		if q.String() != str {
			t.Fatalf("String not canonical: %q then %q", str, q.String())
		}
		ps, err := xenstore.ParsePerms(strings.Split(xenstore.Perms{p, q}.String(), ","))
		if err != nil || len(ps) != 2 || ps[0] != p || ps[1] != p {
			t.Fatalf("Perms round trip of %v: %v, %v", p, ps, err)
		}
	})
}
