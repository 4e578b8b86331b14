package xstool

import "strings"

// The value quoting of xenstore-read, xenstore-ls and xenstore-write, as
// tools/xs-clients/xenstore_client.c (sanitise_value, unsanitise_value)
// does it, so that xgo's text output and input match the real tools.

// Quote quotes a value for printing: printable ASCII other than
// the backslash is kept; tab, newline, carriage return and backslash
// become \t \n \r \\; bytes below 010 (octal) become \ and three octal
// digits; every other byte becomes \x and two lowercase hex digits.
func Quote(v []byte) string {
	var b strings.Builder
	b.Grow(len(v))
	const hex = "0123456789abcdef"
	for _, c := range v {
		switch {
		case c >= ' ' && c <= '~' && c != '\\':
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\\':
			b.WriteString(`\\`)
		case c < 010:
			b.WriteString(`\00`)
			b.WriteByte('0' + c)
		default:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// Unquote undoes Quote for values given on the command
// line: \t \n \r \\ as above, \xHH with up to two hex digits (\x with none
// stays "x"), \NNN with up to three octal digits (taken modulo 256), any
// other escaped character stands for itself, and a backslash at the very
// end gives a NUL byte, as xenstore-write does.
func Unquote(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i == len(s) {
			out = append(out, 0)
			break
		}
		switch c = s[i]; c {
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 'x':
			v, n := 0, 0
			for n < 2 && i+1 < len(s) && isHexDigit(s[i+1]) {
				i++
				n++
				v = v<<4 | hexValue(s[i])
			}
			if n == 0 {
				out = append(out, 'x')
			} else {
				out = append(out, byte(v))
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for n := 1; n < 3 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7'; n++ {
				i++
				v = v<<3 | int(s[i]-'0')
			}
			out = append(out, byte(v))
		default: // includes '\\'
			out = append(out, c)
		}
	}
	return out
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexValue(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}
