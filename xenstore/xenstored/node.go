package xenstored

import (
	"strconv"
	"strings"
	"syscall"

	"xgo.dev/xgo/xenstore"
)

// noGeneration is NO_GENERATION of xenstored_core.h: the generation
// recorded for a node that did not exist when a transaction first looked.
const noGeneration = ^uint64(0)

// Permission bits as in xenstore_lib.h (XS_PERM_*). permOwner is what
// perm_for_conn adds for the owner and for privileged connections.
const (
	permNone  uint8 = 0x00
	permRead  uint8 = 0x01
	permWrite uint8 = 0x02
	permOwner uint8 = 0x08
	permAll         = permRead | permWrite | permOwner
)

// domidSelf is DOMID_SELF from xen.h; IS_DOMAIN_INTRODUCED answers T for it.
const domidSelf = 0x7FF0

// recordHeaderSize is sizeof(struct xs_tdb_record_hdr) on x86_64 and Arm64
// (u64 generation, three u32 and the 8-aligned flexible perms array), and
// permRecordSize is sizeof(struct xs_permissions). write_node_raw compares
// header + perms + value + children against the node-size quota.
const (
	recordHeaderSize = 24
	permRecordSize   = 8
)

// perm is one entry of a node's permission list as the daemon keeps it:
// ignore is XS_PERM_IGNORE, set on entries naming a domain that is gone
// (domain_adjust_node_perms) and skipped by permFor, but still listed by
// GET_PERMS.
type perm struct {
	id     uint32
	bits   uint8 // permRead|permWrite
	ignore bool
}

// node is one XenStore node. Nodes stored in a view (the tree or a
// transaction) are never changed in place: a change builds a new node and
// new slices, so views may share nodes.
type node struct {
	name     string
	value    []byte
	children []string // leaf names in insertion order, as C keeps them
	perms    []perm
	gen      uint64
}

func (n *node) clone() *node {
	c := *n
	return &c
}

func (n *node) owner() uint32 { return n.perms[0].id }

// childLen is the byte length of the NUL-separated children list.
func (n *node) childLen() int {
	l := 0
	for _, c := range n.children {
		l += len(c) + 1
	}
	return l
}

// childBytes is the children list as DIRECTORY sends it.
func (n *node) childBytes() []byte {
	b := make([]byte, 0, n.childLen())
	for _, c := range n.children {
		b = append(b, c...)
		b = append(b, 0)
	}
	return b
}

// recordSize is data.dsize of write_node_raw.
func (n *node) recordSize() int {
	return recordHeaderSize + permRecordSize*len(n.perms) + len(n.value) + n.childLen()
}

func (n *node) withoutChild(name string) (*node, bool) {
	for i, c := range n.children {
		if c == name {
			cp := n.clone()
			cp.children = make([]string, 0, len(n.children)-1)
			cp.children = append(cp.children, n.children[:i]...)
			cp.children = append(cp.children, n.children[i+1:]...)
			return cp, true
		}
	}
	return n, false
}

func copyPerms(p []perm) []perm { return append([]perm(nil), p...) }

// permLetter and letterBits convert between the wire letters and bits.
func permLetter(bits uint8) byte {
	switch bits & (permRead | permWrite) {
	case permRead:
		return 'r'
	case permWrite:
		return 'w'
	case permRead | permWrite:
		return 'b'
	}
	return 'n'
}

// permsString gives the GET_PERMS payload: each entry as the letter and
// the id printed with "%i" (xs_perm_to_string), so ids above 2^31 print
// negative as in C.
func permsString(ps []perm) []byte {
	var b []byte
	for _, p := range ps {
		b = append(b, permLetter(p.bits))
		b = strconv.AppendInt(b, int64(int32(p.id)), 10)
		b = append(b, 0)
	}
	return b
}

// parsePerms is xs_strings_to_perms: each entry is a letter n/r/w/b and an
// id parsed by strtol(…, 0) (so "r0x10", "r010" and "r -1" are accepted as
// in C); trailing junk or an empty id is EINVAL.
func parsePerms(entries []string) ([]perm, error) {
	ps := make([]perm, len(entries))
	for i, e := range entries {
		if e == "" {
			return nil, syscall.EINVAL
		}
		switch e[0] {
		case 'r':
			ps[i].bits = permRead
		case 'w':
			ps[i].bits = permWrite
		case 'b':
			ps[i].bits = permRead | permWrite
		case 'n':
			ps[i].bits = permNone
		default:
			return nil, syscall.EINVAL
		}
		v, rest := cStrtol(e[1:], 0)
		if rest != "" || e[1:] == "" {
			return nil, syscall.EINVAL
		}
		ps[i].id = uint32(v) // (unsigned int) of a long, as C truncates
	}
	return ps, nil
}

func toPublicPerms(ps []perm) xenstore.Perms {
	out := make(xenstore.Perms, len(ps))
	for i, p := range ps {
		out[i] = xenstore.Perm{Access: xenstore.Access(permLetter(p.bits)), Domain: p.id}
	}
	return out
}

// --- paths ---

// parentOf is get_parent: "/" for a top-level node and for "/" itself.
func parentOf(name string) string {
	if len(name) <= 1 {
		return "/"
	}
	i := strings.LastIndexByte(name[1:], '/')
	if i < 0 {
		return "/"
	}
	return name[:i+1]
}

// baseOf is basename() of xenstored_core.c: what follows the last '/'.
func baseOf(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// childPath is child_name of xenstored_core.c.
func childPath(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

// isChild is is_child of xenstored_watch.c: child equals parent, is below
// it, or parent is "/".
func isChild(child, parent string) bool {
	if parent == "/" {
		return true
	}
	if !strings.HasPrefix(child, parent) {
		return false
	}
	return len(child) == len(parent) || child[len(parent)] == '/'
}

func domainPath(domid uint32) string {
	return "/local/domain/" + strconv.FormatUint(uint64(domid), 10)
}

// isValidNodename is is_valid_nodename of xenstored_core.c (4.17): absolute,
// no trailing '/' except the root, no "//", only [A-Za-z0-9-/_@], and at
// most pathMax bytes after a leading "/local/domain/<id>/" (for every
// connection, dom0 included). pathMax < 0 disables the length check.
func isValidNodename(p string, pathMax int) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	if strings.HasSuffix(p, "/") && p != "/" {
		return false
	}
	if strings.Contains(p, "//") {
		return false
	}
	if pathMax >= 0 && len(p) > localOffset(p)+pathMax {
		return false
	}
	for i := 0; i < len(p); i++ {
		if !validChar(p[i]) {
			return false
		}
	}
	return true
}

// localOffset mirrors sscanf(node, "/local/domain/%5u/%n", ...): the
// length of a leading "/local/domain/<id>/" (id: optional sign and up to
// five characters in all), else 0.
func localOffset(p string) int {
	const prefix = "/local/domain/"
	if !strings.HasPrefix(p, prefix) {
		return 0
	}
	i := len(prefix)
	start := i
	if i < len(p) && (p[i] == '+' || p[i] == '-') {
		i++
	}
	digits := 0
	for i < len(p) && i-start < 5 && p[i] >= '0' && p[i] <= '9' {
		i++
		digits++
	}
	if digits == 0 || i >= len(p) || p[i] != '/' {
		return 0
	}
	return i + 1
}

func validChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '-' || c == '/' || c == '_' || c == '@':
		return true
	}
	return false
}

// --- payload parsing as xenstored_core.c does it ---

// onearg is onearg(): the payload must hold exactly one NUL, at its end.
func onearg(b []byte) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	for i, c := range b {
		if c == 0 {
			if i != len(b)-1 {
				return "", false
			}
			return string(b[:i]), true
		}
	}
	return "", false
}

// getStrings is get_strings(): the NUL-terminated strings of b; bytes
// after the last NUL are ignored. len(result) is the number of NULs
// (xs_count_strings).
func getStrings(b []byte) []string {
	var out []string
	start := 0
	for i, c := range b {
		if c == 0 {
			out = append(out, string(b[start:i]))
			start = i + 1
		}
	}
	return out
}

// cAtoi is glibc atoi: (int)strtol(s, NULL, 10).
func cAtoi(s string) int32 {
	v, _ := cStrtol(s, 10)
	return int32(v)
}

// cStrtol is C strtol for base 10 or 0 (0: "0x" hex, leading "0" octal):
// skips leading white space, takes a sign, saturates at the int64 range,
// and returns the unparsed rest ("" when all was consumed). With no digits
// at all it returns 0 and s unchanged, as C sets endptr to the start.
func cStrtol(s string, base int) (int64, string) {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 0 {
		switch {
		case i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && i+2 < len(s) && hexVal(s[i+2]) < 16:
			base = 16
			i += 2
		case i < len(s) && s[i] == '0':
			base = 8
		default:
			base = 10
		}
	}
	start := i
	var v uint64
	overflow := false
	for i < len(s) {
		d := hexVal(s[i])
		if d >= base {
			break
		}
		if v > (1<<63)/uint64(base) {
			overflow = true
		} else {
			v = v*uint64(base) + uint64(d)
			if v > 1<<63 {
				overflow = true
			}
		}
		i++
	}
	if i == start {
		return 0, s
	}
	switch {
	case overflow && neg:
		return -1 << 63, s[i:]
	case overflow || (!neg && v == 1<<63):
		return 1<<63 - 1, s[i:]
	case neg:
		return -int64(v), s[i:]
	}
	return int64(v), s[i:]
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return 99
}
